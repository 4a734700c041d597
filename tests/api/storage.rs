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

fn config_show(file: &std::path::Path, env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_precursor-registry"));
    command.args(["config", "show", "--config"]).arg(file);
    for var in [
        "PRECURSOR_PUBLIC_DIRECTORY",
        "PRECURSOR_MAX_CONNECTIONS",
        "DATABASE_URL",
        "PRECURSOR_DATABASE_URL",
    ] {
        command.env_remove(var);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

#[test]
fn a_configuration_file_sets_what_flags_and_the_environment_do_not_and_bad_keys_stop_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("registry.toml");
    std::fs::write(&file, "public_directory = true\nmax_connections = 3\ndatabase_url = \"postgres://registry:s3cret@db.example/registry\"\n").unwrap();
    let out = config_show(&file, &[("PRECURSOR_MAX_CONNECTIONS", "5")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = String::from_utf8_lossy(&out.stdout).to_string();
    let line = |key: &str| {
        shown
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or("")
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("public_directory"), "true file");
    assert_eq!(
        line("max_connections"),
        "5 environment",
        "the environment wins over the file"
    );
    assert_eq!(
        line("database_url"),
        "postgres://registry:****@db.example/registry file",
        "the password is masked"
    );
    assert_eq!(line("rule_pack"), "cn default");
    assert_eq!(line("jwt_secret"), "(not set) environment only");
    assert!(!shown.contains("s3cret"));

    // The file's setting takes effect on a running server; the environment still wins.
    std::fs::write(&file, "public_directory = true\n").unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let config = file.to_str().unwrap();
    let env = [("PRECURSOR_ADMIN_PASSWORD", ADMIN_PASSWORD)];
    let (_server, port) =
        crate::helpers::serve_binary(&["--data-dir", data, "--config", config], &env);
    let status = |port: u16| match ureq::get(&format!(
        "http://127.0.0.1:{port}/api/v1/public/grades"
    ))
    .call()
    {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(s, _)) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        status(port),
        200,
        "the file switched the public directory on"
    );
    drop(_server);
    let off = [
        ("PRECURSOR_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("PRECURSOR_PUBLIC_DIRECTORY", "false"),
    ];
    let (_server, port) =
        crate::helpers::serve_binary(&["--data-dir", data, "--config", config], &off);
    assert_eq!(status(port), 404, "the environment wins over the file");

    // Refusals name the key.
    for (text, said) in [
        ("colour = \"red\"\n", "unknown key `colour`"),
        ("jwt_secret = \"x\"\n", "PRECURSOR_JWT_SECRET"),
        ("bind = [1, 2]\n", "`bind` must be a string"),
        ("max_connections = \"many\"\n", "key `max_connections`"),
    ] {
        std::fs::write(&file, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_precursor-registry"))
            .args(["serve", "--config", config, "--data-dir", data])
            .env_remove("PRECURSOR_MAX_CONNECTIONS")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(said), "{text}: {err}");
    }
}
