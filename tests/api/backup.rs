//! Backup while filings go on, restore into an empty registry: the restored registry answers the
//! same ledgers (up to the moment of the copy), every chain verifies, and a registry that holds
//! data is not overwritten unless forced.

use std::sync::atomic::{AtomicBool, Ordering};

use precursor_registry::db::DatabaseUrl;
use serde_json::json;

use crate::helpers::{
    backends, fresh_postgres_database, settings_for, start, Backend, TestApp, PASSWORD,
};
use crate::ledger::chain;

fn url_text(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(path) => path.display().to_string(),
        DatabaseUrl::Postgres(url) => url.clone(),
    }
}

fn registry(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_precursor-registry"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn an_online_backup_restores_into_an_empty_registry_with_the_same_ledgers() {
    for backend in backends() {
        let app = TestApp::spawn(&backend);
        let c = chain(&app);
        let (officer, _) = app.create_user("regulator", None);
        let entry = |i: usize| {
            json!({"kind": "production", "chemical_id": c.acetone, "quantity": format!("{}.5", i + 1),
            "occurred_at": "2026-03-01T08:00:00Z", "note": "备份测试"})
        };
        for i in 0..20 {
            let r = app.post(
                &format!("/api/v1/firms/{}/ledger", c.seller),
                Some(&c.seller_clerk),
                &entry(i),
            );
            assert_eq!(r.status, 201, "{}", r.text);
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("registry.backup");
        let source = url_text(&app.database_url);
        // The copy is taken while a clerk keeps filing.
        let filing = AtomicBool::new(true);
        let (out, filed_during) = std::thread::scope(|scope| {
            let filer = scope.spawn(|| {
                let mut n = 0;
                while filing.load(Ordering::SeqCst) {
                    let r = app.post(
                        &format!("/api/v1/firms/{}/ledger", c.buyer),
                        Some(&c.buyer_clerk),
                        &entry(n),
                    );
                    assert_eq!(r.status, 201, "{}", r.text);
                    n += 1;
                }
                n
            });
            std::thread::sleep(std::time::Duration::from_millis(100));
            let out = registry(&[
                "backup",
                "--to",
                file.to_str().unwrap(),
                "--database-url",
                &source,
            ]);
            filing.store(false, Ordering::SeqCst);
            (out, filer.join().unwrap())
        });
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("chains verify"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(filed_during > 0, "filings went on during the backup");
        let again = registry(&[
            "backup",
            "--to",
            file.to_str().unwrap(),
            "--database-url",
            &source,
        ]);
        assert!(
            !again.status.success(),
            "an existing file is not overwritten"
        );

        // Restore into an empty registry of the same backend.
        let (target, cleanup) = match &backend {
            Backend::Sqlite => (
                dir.path()
                    .join("restored")
                    .join("registry.db")
                    .display()
                    .to_string(),
                None,
            ),
            Backend::Postgres(admin) => {
                let (url, name) = fresh_postgres_database(admin);
                (url, Some((admin.clone(), name)))
            }
        };
        let out = registry(&[
            "restore",
            "--from",
            file.to_str().unwrap(),
            "--database-url",
            &target,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(said.contains("chains verify"), "{said}");
        // A registry that holds data is not overwritten by mistake.
        let refused = registry(&[
            "restore",
            "--from",
            file.to_str().unwrap(),
            "--database-url",
            &target,
        ]);
        assert!(!refused.status.success());
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("holds data"),
            "{}",
            String::from_utf8_lossy(&refused.stderr)
        );

        let data = tempfile::tempdir().unwrap();
        let (mut settings, _) = settings_for(&Backend::Sqlite, data.path());
        settings.database_url = Some(
            DatabaseUrl::parse(&target)
                .unwrap_or_else(|_| DatabaseUrl::Sqlite(target.clone().into())),
        );
        let database_url = settings.database_url();
        let (port, handle) = start(settings).unwrap();
        let restored = TestApp::attach(port, handle, database_url, cleanup);
        let before = app.token_for(&officer, PASSWORD);
        let after = restored.token_for(&officer, PASSWORD);
        // The seller's ledger is whole; the buyer's is what had been filed at the moment of the
        // copy: a prefix of the running registry's, entry for entry.
        assert_eq!(
            restored.entries(&after, &c.seller),
            app.entries(&before, &c.seller)
        );
        let running = app.entries(&before, &c.buyer);
        let copied = restored.entries(&after, &c.buyer);
        assert!(copied.len() <= running.len());
        assert_eq!(copied[..], running[..copied.len()]);
        let verify = restored.get(
            &format!("/api/v1/firms/{}/ledger/verify", c.buyer),
            Some(&after),
        );
        assert_eq!(verify.body["ok"], true, "{}", verify.text);
    }
}
