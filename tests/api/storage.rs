use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::{backends, settings_for, start, Backend, KillOnDrop, TestApp, ADMIN_PASSWORD};

fn migration_names(backend: &str) -> BTreeSet<String> {
    std::fs::read_dir(format!(
        "{}/migrations/{backend}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
    .collect()
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
}

#[test]
fn a_restart_keeps_data_and_tokens_and_seeds_nothing_twice() {
    for backend in backends() {
        let dir = tempfile::tempdir().unwrap();
        let (settings, cleanup) = settings_for(&backend, dir.path());
        let (port, handle) = start(settings.clone()).unwrap();
        let app = TestApp::attach(port, handle, settings.database_url(), None);
        let token = app.admin();
        let regulator = app.regulator();
        let firm = app.register_firm(&regulator, "重启前企业");
        drop(app);

        let url = settings.database_url();
        let (port, handle) = start(settings).unwrap();
        let again = TestApp::attach(port, handle, url, cleanup);
        assert_eq!(
            again.get("/api/v1/me", Some(&token)).status,
            200,
            "the signing key survived the restart"
        );
        let chemicals = again.get("/api/v1/chemicals?limit=1000", Some(&token));
        assert_eq!(chemicals.body["items"].as_array().unwrap().len(), 47);
        assert_eq!(
            again
                .get(&format!("/api/v1/firms/{firm}"), Some(&regulator))
                .status,
            200
        );
        assert_eq!(again.login("admin", ADMIN_PASSWORD).status, 200);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("jwt_secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        if let Backend::Sqlite = backend {
            assert!(dir.path().join("registry.db").exists());
        }
    }
}

#[test]
fn a_wrong_database_url_fails_fast_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = precursor_registry::Settings::new(dir.path());
    settings.bind = "127.0.0.1:0".into();
    settings.database_url = Some(
        precursor_registry::db::DatabaseUrl::parse("postgres://nobody@127.0.0.1:1/none").unwrap(),
    );
    let started = std::time::Instant::now();
    let Err(err) = start(settings) else {
        panic!("no server on a wrong URL")
    };
    assert!(err.contains("cannot open the database"), "{err}");
    assert!(
        !err.contains("nobody@"),
        "credentials are not echoed: {err}"
    );
    assert!(started.elapsed().as_secs() < 15);
    assert!(precursor_registry::db::DatabaseUrl::parse("mysql://x").is_err());
}

#[test]
fn the_cli_adds_a_user_who_can_then_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let binary = env!("CARGO_BIN_EXE_precursor-registry");
    let mut child = Command::new(binary)
        .args([
            "user",
            "add",
            "--username",
            "Officer.Wang",
            "--role",
            "regulator",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("PRECURSOR_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env_remove("DATABASE_URL")
        .env_remove("PRECURSOR_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"cli-chosen-password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created officer.wang (regulator)"));

    let (mut settings, _) = settings_for(&Backend::Sqlite, dir.path());
    settings.admin_password = None;
    let url = settings.database_url();
    let (port, handle) = start(settings).unwrap();
    let app = TestApp::attach(port, handle, url, None);
    assert_eq!(app.login("officer.wang", "cli-chosen-password").status, 200);

    let weak = Command::new(binary)
        .args([
            "user",
            "add",
            "--username",
            "weak",
            "--role",
            "regulator",
            "--data-dir",
        ])
        .arg(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 12"));
}

#[test]
fn first_start_without_a_password_prints_one_that_works_and_never_logs_it() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_precursor-registry"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--data-dir",
        ])
        .arg(dir.path())
        .env_remove("PRECURSOR_ADMIN_PASSWORD")
        .env_remove("PRECURSOR_JWT_SECRET")
        .env_remove("DATABASE_URL")
        .env_remove("PRECURSOR_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut stderr = std::io::BufReader::new(child.0.stderr.take().unwrap()).lines();
    let mut lines = Vec::new();
    let mut port = None;
    for line in stderr.by_ref() {
        let line = line.unwrap();
        if line.contains("listening") {
            port = line
                .split("port=")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|p| {
                    p.trim_matches(|c: char| !c.is_ascii_digit())
                        .parse::<u16>()
                        .ok()
                });
            break;
        }
        lines.push(line);
    }
    let port = port.expect("the server reports its port");
    // Keep draining the log so the server never writes into a closed pipe.
    std::thread::spawn(move || stderr.for_each(drop));
    let banner = lines
        .iter()
        .position(|l| l.contains("created user `admin`"))
        .expect("the password banner");
    let password = lines[banner + 2].trim().to_string();
    assert_eq!(password.len(), 24);
    assert!(
        lines.iter().filter(|l| l.contains(&password)).count() == 1,
        "printed exactly once"
    );
    let login = ureq::post(&format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .send_json(serde_json::json!({"username": "admin", "password": password}));
    assert_eq!(
        login.map(|r| r.status()).map_err(|e| e.to_string()),
        Ok(200)
    );
}

#[test]
fn the_server_keeps_serving_when_its_log_pipe_closes() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_precursor-registry"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("PRECURSOR_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env_remove("DATABASE_URL")
        .env_remove("PRECURSOR_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut port = None;
    {
        let stderr = std::io::BufReader::new(child.0.stderr.take().unwrap());
        for line in stderr.lines() {
            let line = line.unwrap();
            if let Some(rest) = line.split("port=").nth(1) {
                port = rest
                    .split_whitespace()
                    .next()
                    .and_then(|p| p.parse::<u16>().ok());
                break;
            }
        }
        // The reader is dropped here: whoever watched the log has gone away.
    }
    let port = port.expect("the server reports its port");
    for _ in 0..3 {
        let login = ureq::post(&format!("http://127.0.0.1:{port}/api/v1/auth/login"))
            .send_json(serde_json::json!({"username": "admin", "password": ADMIN_PASSWORD}));
        assert_eq!(
            login.map(|r| r.status()).map_err(|e| e.to_string()),
            Ok(200)
        );
    }
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "the server is still running"
    );
}
