//! Spawns the real registry on 127.0.0.1:0 against a fresh database and talks HTTP to it.

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::{Connection, PgConnection, RunQueryDsl};
use precursor_registry::config::{Secret, Settings};
use precursor_registry::db::DatabaseUrl;
use precursor_registry::Application;
use serde_json::{json, Value};

pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const PASSWORD: &str = "a-long-enough-password";

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

/// SQLite always; PostgreSQL too when `PRECURSOR_TEST_POSTGRES_URL` is set.
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    if let Ok(url) = std::env::var("PRECURSOR_TEST_POSTGRES_URL") {
        if !url.is_empty() {
            all.push(Backend::Postgres(url));
        }
    }
    all
}

/// Runs `test` once per backend, each with its own fresh registry.
pub fn each_backend(test: impl Fn(&TestApp)) {
    for backend in backends() {
        let app = TestApp::spawn(&backend);
        test(&app);
    }
}

pub struct Response {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: Vec<(String, String)>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `code` of a problem+json body.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// The field errors of a 422, as (field, code) pairs.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or("").to_string(),
                            e["code"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn has_field_error(&self, field: &str, code: &str) -> bool {
        self.field_errors()
            .iter()
            .any(|(f, c)| f == field && c == code)
    }
}

pub struct TestApp {
    pub base: String,
    /// The app's database, for tests that must reach behind the API (tamper detection).
    pub database_url: DatabaseUrl,
    /// Kept so the SQLite file lives as long as the app.
    _data_dir: tempfile::TempDir,
    handle: actix_web::dev::ServerHandle,
    postgres_cleanup: Option<(String, String)>,
    counter: AtomicU32,
}

pub fn fresh_postgres_database(admin_url: &str) -> (String, String) {
    let name = format!("registry_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn =
        PgConnection::establish(admin_url).expect("PRECURSOR_TEST_POSTGRES_URL must be reachable");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .expect("create test database");
    let base = admin_url.split('?').next().unwrap_or(admin_url);
    let prefix = &base[..base.rfind('/').expect("URL with a database name")];
    (format!("{prefix}/{name}"), name)
}

pub fn settings_for(
    backend: &Backend,
    data_dir: &std::path::Path,
) -> (Settings, Option<(String, String)>) {
    let mut settings = Settings::new(data_dir);
    settings.bind = "127.0.0.1:0".into();
    settings.admin_password = Some(Secret::new(ADMIN_PASSWORD));
    settings.workers = Some(2);
    // A short transit window, so that tests need not wait a week for a shipment to be overdue.
    settings.custody.transit_window = chrono::Duration::hours(24);
    // Each request sees the board as it is now.
    settings.board_max_age = std::time::Duration::ZERO;
    settings.max_connections = 8;
    // Tests file as fast as they can; the filing rate has its own test.
    settings.filing_rate_limit_per_minute = 0;
    // No background validation unless a test asks for it: runs of their own would change what
    // a test's manual run reports as new.
    settings.continuous.every = std::time::Duration::ZERO;
    let mut cleanup = None;
    if let Backend::Postgres(admin_url) = backend {
        let (url, name) = fresh_postgres_database(admin_url);
        settings.database_url = Some(DatabaseUrl::parse(&url).expect("postgres url"));
        cleanup = Some((admin_url.clone(), name));
    }
    (settings, cleanup)
}

/// Starts an application on its own thread and actix system; returns its port and handle.
pub fn start(settings: Settings) -> Result<(u16, actix_web::dev::ServerHandle), String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match Application::build(settings) {
                Ok(app) => {
                    let _ = tx.send(Ok((app.port(), app.handle())));
                    let _ = app.run_until_stopped().await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        })
    });
    rx.recv().map_err(|e| e.to_string())?
}

/// Runs `test` once per backend, each with its own fresh registry whose settings `configure`
/// changed first (a deployment option switched on, a smaller limit).
pub fn each_backend_with(configure: impl Fn(&mut Settings), test: impl Fn(&TestApp)) {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, &configure);
        test(&app);
    }
}

impl TestApp {
    pub fn spawn(backend: &Backend) -> TestApp {
        TestApp::spawn_with(backend, |_| {})
    }

    /// A registry with the tests' settings, changed by `configure` before it starts.
    pub fn spawn_with(backend: &Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (mut settings, postgres_cleanup) = settings_for(backend, data_dir.path());
        configure(&mut settings);
        let database_url = settings.database_url();
        let (port, handle) = start(settings).expect("the registry starts");
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            database_url,
            _data_dir: data_dir,
            handle,
            postgres_cleanup,
            counter: AtomicU32::new(0),
        }
    }

    /// Wraps a server started with [`start`]; `postgres_cleanup` drops its database at the end.
    pub fn attach(
        port: u16,
        handle: actix_web::dev::ServerHandle,
        database_url: DatabaseUrl,
        postgres_cleanup: Option<(String, String)>,
    ) -> TestApp {
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            database_url,
            _data_dir: tempfile::tempdir().expect("temp dir"),
            handle,
            postgres_cleanup,
            counter: AtomicU32::new(0),
        }
    }

    /// A direct connection to the app's database, behind the API's back.
    pub fn direct_connection(&self) -> precursor_registry::db::DbConnection {
        use diesel::r2d2::ManageConnection;
        precursor_registry::db::ConnectionManager::new(self.database_url.clone())
            .connect()
            .expect("direct connection")
    }

    /// A number unique within this app, for names and codes.
    pub fn next(&self) -> u32 {
        self.counter.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
        content_type: Option<&str>,
    ) -> Response {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        };
        let mut req = ureq::request(method, &url);
        if let Some(token) = token {
            req = req.set("Authorization", &format!("Bearer {token}"));
        }
        if let Some(ct) = content_type {
            req = req.set("Content-Type", ct);
        }
        let result = match body {
            Some(b) => req.send_string(b),
            None => req.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .filter_map(|n| response.header(&n).map(|v| (n.clone(), v.to_string())))
            .collect();
        let text = response.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Response {
            status,
            body,
            text,
            headers,
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request("GET", path, token, None, None)
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(
            "POST",
            path,
            token,
            Some(&body.to_string()),
            Some("application/json"),
        )
    }

    pub fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(
            "PATCH",
            path,
            token,
            Some(&body.to_string()),
            Some("application/json"),
        )
    }

    pub fn login(&self, username: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login",
            None,
            &json!({"username": username, "password": password}),
        )
    }

    pub fn token_for(&self, username: &str, password: &str) -> String {
        let r = self.login(username, password);
        assert_eq!(r.status, 200, "login {username}: {}", r.text);
        r.body["access_token"].as_str().unwrap().to_string()
    }

    pub fn admin(&self) -> String {
        self.token_for("admin", ADMIN_PASSWORD)
    }

    /// Creates an account through the admin API and returns its id.
    pub fn create_user(&self, role: &str, firm_id: Option<&str>) -> (String, String) {
        let username = format!("{role}-{}", self.next());
        let r = self.post(
            "/api/v1/users",
            Some(&self.admin()),
            &json!({"username": username, "password": PASSWORD, "role": role, "firm_id": firm_id}),
        );
        assert_eq!(r.status, 201, "create user: {}", r.text);
        (username, r.body["id"].as_str().unwrap().to_string())
    }

    /// Signs in a new user of `role` and returns its access token.
    pub fn user_token(&self, role: &str, firm_id: Option<&str>) -> String {
        let (username, _) = self.create_user(role, firm_id);
        self.token_for(&username, PASSWORD)
    }

    pub fn regulator(&self) -> String {
        self.user_token("regulator", None)
    }

    pub fn association(&self) -> String {
        self.user_token("association", None)
    }

    pub fn enterprise(&self, firm_id: &str) -> String {
        self.user_token("enterprise", Some(firm_id))
    }

    pub fn firm_body(&self, name: &str) -> Value {
        json!({
            "name": name,
            "credit_code": credit_code(self.next()),
            "region_code": "350902",
            "address": "福建省宁德市蕉城区工业路1号",
            "activities": ["trade", "store"],
        })
    }

    /// Registers a firm (as the given regulator) and returns its id.
    pub fn register_firm(&self, regulator: &str, name: &str) -> String {
        let r = self.post("/api/v1/firms", Some(regulator), &self.firm_body(name));
        assert_eq!(r.status, 201, "register firm: {}", r.text);
        r.body["id"].as_str().unwrap().to_string()
    }

    /// A firm's ledger (up to 1000 entries) as `token` sees it.
    pub fn entries(&self, token: &str, firm: &str) -> Vec<Value> {
        let r = self.get(
            &format!("/api/v1/firms/{firm}/ledger?limit=1000"),
            Some(token),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["items"].as_array().cloned().unwrap_or_default()
    }

    /// The catalog id of the chemical with this CAS number.
    pub fn chemical(&self, token: &str, cas: &str) -> String {
        let r = self.get(&format!("/api/v1/chemicals?q={cas}"), Some(token));
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["cas"] == cas)
            .expect("chemical in catalog")["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
        if let Some((admin_url, name)) = &self.postgres_cleanup {
            if let Ok(mut conn) = PgConnection::establish(admin_url) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

/// A valid unified social credit code, different for each `n`.
pub fn credit_code(n: u32) -> String {
    const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let first17 = format!("91350902MA{n:07}");
    let check =
        precursor_registry::domain::credit_code::check_character(first17.as_bytes()).unwrap();
    assert!(ALPHABET.contains(&(check as u8)));
    format!("{first17}{check}")
}

/// Stops a spawned server even when the test fails half-way.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary's `serve` on `127.0.0.1:0` with `args` and `env`; the process and the port
/// it reports (its log is drained on a thread of its own).
pub fn serve_binary(args: &[&str], env: &[(&str, &str)]) -> (KillOnDrop, u16) {
    use std::io::BufRead;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_precursor-registry"));
    command
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("PRECURSOR_DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = KillOnDrop(command.spawn().expect("the binary starts"));
    let stderr = child.0.stderr.take().expect("its log");
    let mut lines = std::io::BufReader::new(stderr).lines();
    let mut port = None;
    for line in lines.by_ref() {
        let line = line.expect("a log line");
        if let Some(rest) = line.split("port=").nth(1) {
            port = rest.split_whitespace().next().and_then(|p| {
                p.trim_matches(|c: char| !c.is_ascii_digit())
                    .parse::<u16>()
                    .ok()
            });
            break;
        }
    }
    // Warnings and errors of the server show up in a failing test's output.
    std::thread::spawn(move || {
        lines
            .map_while(Result::ok)
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .for_each(|l| eprintln!("server {port:?}: {l}"))
    });
    (child, port.expect("the server reports its port"))
}
