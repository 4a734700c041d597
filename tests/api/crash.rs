//! kill -9 of the server while 32 clerks file (their filings committed in groups): after a restart every acknowledged entry is there,
//! unchanged, and every chain verifies — on both backends.

use std::sync::Mutex;

use serde_json::{json, Value};

use crate::helpers::{
    backends, fresh_postgres_database, serve_binary, Backend, ADMIN_PASSWORD, PASSWORD,
};
use crate::served::{assert_chain_verifies, call, token, DropDatabase, Setup};

const JWT: &str = "a-jwt-secret-for-the-crash-test-0123456789";
const FILERS: usize = 32;
const FIRMS: usize = 4;

#[test]
fn acknowledged_filings_survive_kill_9_during_32_concurrent_filers() {
    for backend in backends() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().to_str().unwrap().to_string();
        let (database, _cleanup) = match &backend {
            Backend::Sqlite => (None, None),
            Backend::Postgres(admin) => {
                let (url, name) = fresh_postgres_database(admin);
                (Some(url), Some(DropDatabase(admin.clone(), name)))
            }
        };
        let mut args = vec![
            "--data-dir",
            data_dir.as_str(),
            "--workers",
            "4",
            "--filing-rate-limit-per-minute",
            "0",
            "--max-connections",
            "16",
        ];
        if let Some(url) = &database {
            args.extend(["--database-url", url.as_str()]);
        }
        let env = [
            ("PRECURSOR_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("PRECURSOR_JWT_SECRET", JWT),
            ("PRECURSOR_CHECKPOINT_INTERVAL_SECONDS", "0"),
        ];
        let (mut server, port) = serve_binary(&args, &env);
        let base = format!("http://127.0.0.1:{port}");
        let bases = [base.clone()];
        let setup = Setup::new(&bases);
        let (_, regulator) = setup.user(0, "crash.regulator", "regulator", None);
        let acetone = setup.acetone(&regulator);
        let firms: Vec<(String, String)> = (0..FIRMS)
            .map(|i| {
                let id = setup.firm(0, &regulator, &format!("崩溃测试企业{i}"), 500 + i as u32);
                let (_, clerk) = setup.user(0, &format!("crash.clerk{i}"), "enterprise", Some(&id));
                (id, clerk)
            })
            .collect();

        // 32 clerks file single entries until the server dies under them.
        let acknowledged: Mutex<Vec<(String, Value)>> = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for f in 0..FILERS {
                let (firm, clerk) = &firms[f % FIRMS];
                let (base, acetone, acknowledged) = (&base, &acetone, &acknowledged);
                scope.spawn(move || {
                    for i in 0.. {
                        let entry = json!({"kind": "production", "chemical_id": acetone, "quantity": format!("{}.{:03}", f + 1, i % 1000),
                            "occurred_at": "2026-03-01T08:00:00Z", "note": format!("filer {f} #{i}")});
                        match call(base, "POST", &format!("/api/v1/firms/{firm}/ledger"), Some(clerk), Some(&entry)) {
                            Ok((201, receipt)) => acknowledged.lock().unwrap().push((firm.clone(), receipt)),
                            Ok((status, body)) => panic!("filing answered {status}: {body}"),
                            Err(_) => return, // the server is gone
                        }
                    }
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(1500));
            // The kill falls among groups of filings committed together (group commit).
            let metrics = ureq::get(&format!("{base}/metrics"))
                .call()
                .unwrap()
                .into_string()
                .unwrap();
            let value = |name: &str| -> u64 {
                metrics
                    .lines()
                    .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
                    .unwrap()
            };
            let (commits, filings) = (
                value("ledger_group_commit_writes_count "),
                value("ledger_group_commit_writes_sum "),
            );
            assert!(
                filings > commits,
                "filings shared commits: {filings} in {commits}"
            );
            server.0.kill().unwrap(); // SIGKILL: no shutdown, no flush
            server.0.wait().unwrap();
        });
        let acknowledged = acknowledged.into_inner().unwrap();
        assert!(
            acknowledged.len() > FILERS,
            "the filers got going before the kill"
        );

        let (_server, port) = serve_binary(&args, &env);
        let base = format!("http://127.0.0.1:{port}");
        let regulator = token(&base, "crash.regulator", PASSWORD);
        let mut lost = 0;
        for (firm, receipt) in &acknowledged {
            let id = receipt["id"].as_str().unwrap();
            match call(
                &base,
                "GET",
                &format!("/api/v1/firms/{firm}/ledger/{id}"),
                Some(&regulator),
                None,
            )
            .unwrap()
            {
                (200, entry)
                    if entry["hash"] == receipt["hash"] && entry["seq"] == receipt["seq"] => {}
                _ => lost += 1,
            }
        }
        for (firm, _) in &firms {
            assert_chain_verifies(&base, firm, &regulator);
        }
        let name = if database.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        let count = acknowledged.len();
        eprintln!("kill -9 on {name}: {count} entries acknowledged, {lost} lost");
        assert_eq!(lost, 0, "every acknowledged entry survives");
    }
}

#[test]
fn sigterm_says_not_ready_first_finishes_what_is_under_way_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap().to_string();
    let args = [
        "--data-dir",
        data_dir.as_str(),
        "--drain-seconds",
        "1",
        "--shutdown-seconds",
        "30",
    ];
    let env = [
        ("PRECURSOR_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("PRECURSOR_JWT_SECRET", JWT),
    ];
    let (mut server, port) = serve_binary(&args, &env);
    let base = format!("http://127.0.0.1:{port}");
    let bases = [base.clone()];
    let setup = Setup::new(&bases);
    let (_, regulator) = setup.user(0, "term.regulator", "regulator", None);
    let firm = setup.firm(0, &regulator, "停机测试企业", 700);
    let (_, clerk) = setup.user(0, "term.clerk", "enterprise", Some(&firm));
    let acetone = setup.acetone(&clerk);
    let entries: Vec<Value> = (0..1000)
        .map(|i| json!({"kind": "production", "chemical_id": acetone, "quantity": format!("{}.5", i + 1), "occurred_at": "2026-03-01T08:00:00Z"}))
        .collect();
    assert_eq!(call(&base, "GET", "/readyz", None, None).unwrap().0, 200);

    let pid = server.0.id().to_string();
    let (under_way, ready_while_draining) = std::thread::scope(|scope| {
        // A batch of 1000 under way when the signal comes.
        let batch = scope.spawn(|| {
            call(
                &base,
                "POST",
                &format!("/api/v1/firms/{firm}/ledger/batch"),
                Some(&clerk),
                Some(&json!({"entries": entries})),
            )
        });
        std::thread::sleep(std::time::Duration::from_millis(20));
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(kill.success());
        std::thread::sleep(std::time::Duration::from_millis(200));
        let ready = call(&base, "GET", "/readyz", None, None).map(|(status, _)| status);
        (batch.join().unwrap(), ready)
    });
    assert_eq!(
        ready_while_draining,
        Ok(503),
        "not ready while draining, still answering"
    );
    assert_eq!(
        under_way.map(|(status, _)| status),
        Ok(201),
        "the batch under way was filed"
    );
    let exit = server.0.wait().unwrap();
    assert!(exit.success(), "a clean exit: {exit:?}");
    // What was acknowledged is there after a restart.
    let (_again, port) = serve_binary(&args, &env);
    let base = format!("http://127.0.0.1:{port}");
    let regulator = token(&base, "term.regulator", PASSWORD);
    let (_, page) = call(
        &base,
        "GET",
        &format!("/api/v1/firms/{firm}/ledger?limit=1000"),
        Some(&regulator),
        None,
    )
    .unwrap();
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1000));
}
