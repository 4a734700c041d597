//! The registry's Merkle tree on a running registry: every filing is a leaf, a regulator signs
//! checkpoints, a firm fetches its entry's proof and checks it offline with the binary alone;
//! consistency between checkpoints; a person's masked number; and the tree of a registry
//! upgraded from before it.

use std::path::Path;
use std::process::Output;

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::helpers::{each_backend, TestApp};
use crate::ledger::{chain, Chain};

fn at(hours_ago: i64) -> String {
    (Utc::now() - Duration::hours(hours_ago)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn file(app: &TestApp, c: &Chain, entry: Value) -> Value {
    let r = app.post(
        &format!("/api/v1/firms/{}/ledger", c.seller),
        Some(&c.seller_clerk),
        &entry,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

fn produce(app: &TestApp, c: &Chain, quantity: &str) -> Value {
    file(
        app,
        c,
        json!({"kind": "production", "chemical_id": c.acetone, "lot": "L1", "quantity": quantity, "occurred_at": at(2)}),
    )
}

fn checkpoint(app: &TestApp, c: &Chain) -> Value {
    let r = app.post(
        "/api/v1/transparency/checkpoints",
        Some(&c.regulator),
        &json!({}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

/// Runs the binary in `dir` with `args`.
fn offline(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_precursor-registry"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// `verify-consistency` on the key, the two notes and the proof, as files.
fn verify_consistency(key: &str, old: &Value, new: &Value, proof: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "key.txt", key);
    write(dir.path(), "old.txt", old["note"].as_str().unwrap());
    write(dir.path(), "new.txt", new["note"].as_str().unwrap());
    write(dir.path(), "proof.json", proof);
    let args = [
        "verify-consistency",
        "--key",
        "key.txt",
        "--old",
        "old.txt",
        "--new",
        "new.txt",
        "--proof",
        "proof.json",
    ];
    offline(dir.path(), &args)
}

/// Drops the whole tree (and the checkpoints, if asked), as a registry from before it had none
/// or as a registry rewriting its history would.
fn wipe_tree(conn: &mut precursor_registry::db::DbConnection, checkpoints_too: bool) {
    use diesel::prelude::*;
    use precursor_registry::db::schema::{checkpoints, merkle_head, merkle_leaves, merkle_nodes};
    diesel::delete(merkle_leaves::table).execute(conn).unwrap();
    diesel::delete(merkle_nodes::table).execute(conn).unwrap();
    if checkpoints_too {
        diesel::delete(checkpoints::table).execute(conn).unwrap();
    }
    diesel::update(merkle_head::table)
        .set(merkle_head::tree_size.eq(0_i64))
        .execute(conn)
        .unwrap();
}

fn verify_receipt(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "verify-receipt",
        "--key",
        "key.txt",
        "--checkpoint",
        "checkpoint.txt",
        "--entry",
        "entry.json",
        "--proof",
        "proof.json",
    ];
    args.extend_from_slice(extra);
    offline(dir, &args)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_firm_checks_offline_that_its_entry_is_in_the_signed_tree() {
    each_backend(|app| {
        let c = chain(app);
        let first = produce(app, &c, "100");
        let second = produce(app, &c, "5");
        let (a, b) = (
            first["leaf_index"].as_u64().unwrap(),
            second["leaf_index"].as_u64().unwrap(),
        );
        assert_eq!(b, a + 1, "the receipt names the entry's leaf: {second}");

        let key = app.get("/api/v1/transparency/key", None);
        assert_eq!(key.status, 200, "open to anyone: {}", key.text);
        let vkey = key.body["vkey"].as_str().unwrap().to_string();
        assert!(vkey.starts_with("precursor-registry+"), "{vkey}");
        assert_eq!(
            app.post(
                "/api/v1/transparency/checkpoints",
                Some(&c.seller_clerk),
                &json!({})
            )
            .status,
            403
        );
        let signed = checkpoint(app, &c);
        assert!(signed["tree_size"].as_u64().unwrap() > b, "{signed}");
        let latest = app.get("/api/v1/transparency/checkpoints/latest", None);
        assert_eq!(
            latest.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(latest.text, signed["note"].as_str().unwrap());

        let id = second["id"].as_str().unwrap();
        let path = format!("/api/v1/firms/{}/ledger/{id}/proof", c.seller);
        let other = app.register_firm(&c.regulator, "福鼎市旁观化工有限公司");
        assert_eq!(app.get(&path, Some(&app.enterprise(&other))).status, 404);
        let proof = app.get(&path, Some(&c.seller_clerk));
        assert_eq!(proof.status, 200, "{}", proof.text);
        assert_eq!(proof.body["leaf_index"], b);
        assert_eq!(proof.body["checkpoint"], signed["note"]);
        let entry = app.get(
            &format!("/api/v1/firms/{}/ledger/{id}", c.seller),
            Some(&c.seller_clerk),
        );
        assert_eq!(entry.body["leaf_index"], b, "{}", entry.text);

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "key.txt", &vkey);
        write(dir.path(), "checkpoint.txt", &latest.text);
        write(dir.path(), "entry.json", &entry.text);
        write(dir.path(), "proof.json", &proof.text);
        let out = verify_receipt(dir.path(), &[]);
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains(&format!("is leaf {b} of the tree")),
            "{}",
            text(&out)
        );

        // Whatever is changed, the check fails and says why.
        let mut altered = entry.body.clone();
        altered["quantity"] = json!("50.000");
        write(dir.path(), "entry.json", &altered.to_string());
        let out = verify_receipt(dir.path(), &[]);
        assert!(!out.status.success());
        assert!(
            text(&out).contains("the entry was altered"),
            "{}",
            text(&out)
        );
        write(dir.path(), "entry.json", &entry.text);
        let mut forged = proof.body.clone();
        forged["leaf_index"] = json!(a);
        write(dir.path(), "proof.json", &forged.to_string());
        let out = verify_receipt(dir.path(), &[]);
        assert!(text(&out).contains("NOT VERIFIED"), "{}", text(&out));
        let mut bigger = proof.body.clone();
        bigger["tree_size"] = json!(b + 5);
        write(dir.path(), "proof.json", &bigger.to_string());
        let out = verify_receipt(dir.path(), &[]);
        assert!(text(&out).contains("the checkpoint for"), "{}", text(&out));
        write(dir.path(), "proof.json", &proof.text);
        let forged_note = latest
            .text
            .replacen(&format!("\n{}\n", signed["tree_size"]), "\n1\n", 1);
        write(dir.path(), "checkpoint.txt", &forged_note);
        let out = verify_receipt(dir.path(), &[]);
        assert!(
            !out.status.success(),
            "a checkpoint changed after signing: {}",
            text(&out)
        );
    });
}

#[test]
fn checkpoints_are_consistent_and_the_proof_says_so_offline() {
    each_backend(|app| {
        let c = chain(app);
        produce(app, &c, "10");
        let older = checkpoint(app, &c);
        assert_eq!(
            checkpoint(app, &c)["tree_size"],
            older["tree_size"],
            "nothing new: the same checkpoint"
        );
        for q in ["1", "2", "3"] {
            produce(app, &c, q);
        }
        let newer = checkpoint(app, &c);
        let (m, n) = (
            older["tree_size"].as_u64().unwrap(),
            newer["tree_size"].as_u64().unwrap(),
        );
        assert_eq!(n, m + 3);
        let listed = app.get(&format!("/api/v1/transparency/checkpoints?from={m}"), None);
        assert_eq!(listed.status, 200, "{}", listed.text);
        let sizes: Vec<u64> = listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["tree_size"].as_u64().unwrap())
            .collect();
        assert_eq!(sizes, vec![m, n]);

        let proof = app.get(
            &format!("/api/v1/transparency/consistency?from={m}&to={n}"),
            None,
        );
        assert_eq!(proof.status, 200, "{}", proof.text);
        let beyond = app.get(
            &format!("/api/v1/transparency/consistency?from={m}&to={}", n + 1),
            None,
        );
        assert_eq!(beyond.status, 422, "{}", beyond.text);
        assert!(
            beyond.has_field_error("to", "beyond_tree"),
            "{}",
            beyond.text
        );
        let key = app.get("/api/v1/transparency/key", None).body["vkey"]
            .as_str()
            .unwrap()
            .to_string();

        let out = verify_consistency(&key, &older, &newer, &proof.text);
        assert!(out.status.success(), "{}", text(&out));
        // The checkpoints swapped: the proof is not for them.
        let out = verify_consistency(&key, &newer, &older, &proof.text);
        assert!(
            !out.status.success() && text(&out).contains("NOT CONSISTENT"),
            "{}",
            text(&out)
        );
    });
}

#[test]
fn a_clerk_gives_the_persons_whole_number_to_check_an_entry_shown_masked() {
    each_backend(|app| {
        let c = chain(app);
        produce(app, &c, "20");
        let sale = file(
            app,
            &c,
            json!({"kind": "sale", "payment": "card", "chemical_id": c.acetone, "lot": "L1", "quantity": "2", "occurred_at": at(1),
                   "counterparty": {"kind": "individual", "name": "张三", "resident_id": "11010519491231002X"}}),
        );
        assert_eq!(sale["counterparty"]["resident_id"], "**************002X");
        checkpoint(app, &c);
        let id = sale["id"].as_str().unwrap();
        let proof = app.get(
            &format!("/api/v1/firms/{}/ledger/{id}/proof", c.seller),
            Some(&c.seller_clerk),
        );
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "key.txt",
            app.get("/api/v1/transparency/key", None).body["vkey"]
                .as_str()
                .unwrap(),
        );
        write(
            dir.path(),
            "checkpoint.txt",
            proof.body["checkpoint"].as_str().unwrap(),
        );
        write(dir.path(), "entry.json", &sale.to_string());
        write(dir.path(), "proof.json", &proof.text);
        let out = verify_receipt(dir.path(), &[]);
        assert!(text(&out).contains("--resident-id"), "{}", text(&out));
        let out = verify_receipt(dir.path(), &["--resident-id", "11010519491231003X"]);
        assert!(!out.status.success(), "{}", text(&out));
        let out = verify_receipt(dir.path(), &["--resident-id", "11010519491231002X"]);
        assert!(out.status.success(), "{}", text(&out));
    });
}

/// A registry upgraded from before the tree appends its earlier entries at start, oldest first.
#[test]
fn entries_filed_before_the_tree_are_appended_to_it() {
    each_backend(|app| {
        let c = chain(app);
        for q in ["1", "2", "3"] {
            produce(app, &c, q);
        }
        let mut conn = app.direct_connection();
        let before = precursor_registry::transparency::store::tree_size(&mut conn).unwrap();
        let root = precursor_registry::transparency::store::root_at(&mut conn, before).unwrap();
        // As the database of a registry before issue 13: no tree at all.
        wipe_tree(&mut conn, false);
        let appended = precursor_registry::ledger::catch_up_tree(&mut conn).unwrap();
        assert_eq!(appended, before);
        assert_eq!(
            precursor_registry::transparency::store::tree_size(&mut conn).unwrap(),
            before
        );
        let again = precursor_registry::transparency::store::root_at(&mut conn, before).unwrap();
        assert_eq!(
            again, root,
            "the same entries in the same order make the same tree"
        );
        assert_eq!(
            precursor_registry::ledger::catch_up_tree(&mut conn).unwrap(),
            0
        );
    });
}

/// The monitor trusts the key it first sees, accepts a tree that grew consistently, and cries
/// out when the same key signs another history (two registries sharing the key stand for a
/// registry that forked, or was restored from an old backup and filed on).
#[test]
fn the_monitor_accepts_growth_and_reports_a_fork() {
    use crate::helpers::Backend;
    let seed = precursor_registry::config::Secret::new("ab".repeat(32));
    let with_key = |s: &mut precursor_registry::Settings| s.transparency_key = Some(seed.clone());
    let (real, other) = (
        TestApp::spawn_with(&Backend::Sqlite, with_key),
        TestApp::spawn_with(&Backend::Sqlite, with_key),
    );
    let state = tempfile::tempdir().unwrap();
    let monitor = |app: &TestApp| {
        offline(
            state.path(),
            &[
                "monitor",
                "--url",
                &app.base,
                "--state",
                state.path().to_str().unwrap(),
            ],
        )
    };
    let c = chain(&real);
    produce(&real, &c, "1");
    checkpoint(&real, &c);
    let out = monitor(&real);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("trusting the registry's key"),
        "{}",
        text(&out)
    );
    produce(&real, &c, "2");
    produce(&real, &c, "3");
    checkpoint(&real, &c);
    let out = monitor(&real);
    assert!(out.status.success(), "{}", text(&out));
    assert!(state.path().join("checkpoint-3.txt").exists() || text(&out).contains("tree of"));

    let d = chain(&other);
    for q in ["7", "8", "9", "10"] {
        produce(&other, &d, q);
    }
    checkpoint(&other, &d);
    let out = monitor(&other);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("!!! FORK"), "{}", text(&out));
    assert!(state.path().join("alarm.txt").exists());
}

/// A firm exports its whole ledger with proofs and checks it offline with the receipts it kept;
/// when the registry drops the last entries (which the chain alone cannot show), the check fails.
#[test]
fn a_firm_checks_its_whole_export_and_sees_its_last_entries_removed() {
    each_backend(|app| {
        let c = chain(app);
        let mut kept: Vec<Value> = ["30", "4", "5"]
            .iter()
            .map(|q| produce(app, &c, q))
            .collect();
        kept.push(file(
            app,
            &c,
            json!({"kind": "sale", "payment": "cheque", "chemical_id": c.acetone, "lot": "L1", "quantity": "1", "occurred_at": at(1),
                   "counterparty": {"kind": "individual", "name": "李四", "resident_id": "11010519491231002X"}}),
        ));
        checkpoint(app, &c);
        kept.push(produce(app, &c, "6"));
        let path = format!("/api/v1/firms/{}/ledger/export?with_proofs=true", c.seller);
        let other = app.register_firm(&c.regulator, "寿宁县旁观化工有限公司");
        assert_eq!(app.get(&path, Some(&app.enterprise(&other))).status, 404);
        let export = app.get(&path, Some(&c.seller_clerk));
        assert_eq!(export.status, 200, "{}", export.text);
        assert_eq!(export.body["entries"].as_array().unwrap().len(), 5);

        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "key.txt",
            app.get("/api/v1/transparency/key", None).body["vkey"]
                .as_str()
                .unwrap(),
        );
        write(dir.path(), "export.json", &export.text);
        write(
            dir.path(),
            "receipts.json",
            &Value::Array(kept.clone()).to_string(),
        );
        let check = |extra: &[&str]| {
            let mut args = vec![
                "verify-export",
                "--key",
                "key.txt",
                "--export",
                "export.json",
                "--receipts",
                "receipts.json",
            ];
            args.extend_from_slice(extra);
            offline(dir.path(), &args)
        };
        let out = check(&["--resident-id", "11010519491231002X"]);
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains("5 entries") && text(&out).contains("1 newer"),
            "{}",
            text(&out)
        );
        let out = check(&[]);
        assert!(text(&out).contains("--resident-id"), "{}", text(&out));

        let bare = app.get(
            &format!("/api/v1/firms/{}/ledger/export", c.seller),
            Some(&c.seller_clerk),
        );
        write(dir.path(), "export.json", &bare.text);
        let out = check(&["--resident-id", "11010519491231002X"]);
        assert!(text(&out).contains("gives no proof"), "{}", text(&out));

        // The registry drops the last 3 entries behind the API: the chain that is left is intact,
        // but the firm holds their receipts.
        {
            use diesel::prelude::*;
            use precursor_registry::db::schema::ledger_entries;
            let mut conn = app.direct_connection();
            for gone in &kept[2..] {
                let id = gone["id"].as_str().unwrap().to_string();
                diesel::delete(ledger_entries::table.filter(ledger_entries::id.eq(id)))
                    .execute(&mut conn)
                    .unwrap();
            }
        }
        let verify = app.get(
            &format!("/api/v1/firms/{}/ledger/verify", c.seller),
            Some(&c.seller_clerk),
        );
        assert_eq!(
            verify.body["ok"], true,
            "the chain alone does not show it: {}",
            verify.text
        );
        let export = app.get(&path, Some(&c.seller_clerk));
        write(dir.path(), "export.json", &export.text);
        let out = check(&["--resident-id", "11010519491231002X"]);
        assert!(!out.status.success());
        assert!(
            text(&out).contains("receipts for: seq 3, 4, 5"),
            "{}",
            text(&out)
        );
    });
}

/// The registry rewrites an old entry and recomputes the firm's chain and its own tree: the chain
/// verifies again, but the new checkpoint is not consistent with the one signed before.
#[test]
fn a_rewritten_history_fails_the_consistency_check() {
    each_backend(|app| {
        use diesel::prelude::*;
        use precursor_registry::db::schema::ledger_entries;
        use precursor_registry::ledger::{chain as hashes, LedgerRow};
        let c = chain(app);
        for q in ["40", "3", "2"] {
            produce(app, &c, q);
        }
        let before = checkpoint(app, &c);
        let key = app.get("/api/v1/transparency/key", None).body["vkey"]
            .as_str()
            .unwrap()
            .to_string();

        let mut conn = app.direct_connection();
        let mut rows: Vec<LedgerRow> = ledger_entries::table
            .filter(ledger_entries::firm_id.eq(&c.seller))
            .order(ledger_entries::seq.asc())
            .select(LedgerRow::as_select())
            .load(&mut conn)
            .unwrap();
        rows[0].quantity = 4_000;
        let mut prev = hashes::GENESIS;
        for row in &mut rows {
            row.prev_hash = hex::encode(prev);
            prev = hashes::entry_hash(&prev, &row.hashed_fields());
            row.hash = hex::encode(prev);
            diesel::update(ledger_entries::table.filter(ledger_entries::id.eq(&row.id)))
                .set((
                    ledger_entries::quantity.eq(row.quantity),
                    ledger_entries::prev_hash.eq(&row.prev_hash),
                    ledger_entries::hash.eq(&row.hash),
                ))
                .execute(&mut conn)
                .unwrap();
        }
        wipe_tree(&mut conn, true);
        precursor_registry::ledger::catch_up_tree(&mut conn).unwrap();
        let verify = app.get(
            &format!("/api/v1/firms/{}/ledger/verify", c.seller),
            Some(&c.seller_clerk),
        );
        assert_eq!(
            verify.body["ok"], true,
            "the rewritten chain verifies: {}",
            verify.text
        );

        produce(app, &c, "1");
        let after = checkpoint(app, &c);
        let (m, n) = (
            before["tree_size"].as_u64().unwrap(),
            after["tree_size"].as_u64().unwrap(),
        );
        let proof = app.get(
            &format!("/api/v1/transparency/consistency?from={m}&to={n}"),
            None,
        );
        let out = verify_consistency(&key, &before, &after, &proof.text);
        assert!(!out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("NOT CONSISTENT"), "{}", text(&out));
    });
}

/// 32 clerks of 4 firms file at once: every entry gets its own leaf, the leaves are exactly
/// 0..n, and every firm's export verifies against one checkpoint.
#[test]
fn parallel_filers_get_distinct_leaves_and_every_proof_verifies() {
    each_backend(|app| {
        use precursor_registry::transparency::receipt::{verify_export, ExportFile};
        let regulator = app.regulator();
        let acetone = app.chemical(&regulator, "67-64-1");
        let firms: Vec<(String, Vec<String>)> = (0..4)
            .map(|i| {
                let firm = app.register_firm(&regulator, &format!("宁德市并发化工{i}有限公司"));
                let clerks = (0..8).map(|_| app.enterprise(&firm)).collect();
                (firm, clerks)
            })
            .collect();
        let leaves = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for (firm, clerks) in &firms {
                for clerk in clerks {
                    let (leaves, acetone) = (&leaves, &acetone);
                    s.spawn(move || {
                        for k in 0..5 {
                            let r = app.post(
                                &format!("/api/v1/firms/{firm}/ledger"),
                                Some(clerk),
                                &json!({"kind": "production", "chemical_id": acetone, "lot": format!("P{k}"), "quantity": "1", "occurred_at": at(1)}),
                            );
                            assert_eq!(r.status, 201, "{}", r.text);
                            leaves.lock().unwrap().push(r.body["leaf_index"].as_u64().unwrap());
                        }
                    });
                }
            }
        });
        let mut leaves = leaves.into_inner().unwrap();
        leaves.sort_unstable();
        assert_eq!(
            leaves,
            (0..160).collect::<Vec<u64>>(),
            "distinct, and no hole"
        );
        let signed = app.post(
            "/api/v1/transparency/checkpoints",
            Some(&regulator),
            &json!({}),
        );
        assert_eq!(signed.body["tree_size"], 160, "{}", signed.text);
        let key = app.get("/api/v1/transparency/key", None).body["vkey"]
            .as_str()
            .unwrap()
            .to_string();
        for (firm, clerks) in &firms {
            let export = app.get(
                &format!("/api/v1/firms/{firm}/ledger/export?with_proofs=true"),
                Some(&clerks[0]),
            );
            let export: ExportFile = serde_json::from_str(&export.text).unwrap();
            let report = verify_export(&key, &export, &[], &[]).unwrap();
            assert_eq!((report.entries, report.proven), (40, 40));
        }
    });
}

/// Unasked, the registry signs a checkpoint within its interval once the tree has grown.
#[test]
fn a_checkpoint_is_signed_unasked_once_the_tree_grows() {
    crate::helpers::each_backend_with(
        |s| s.checkpoint_interval = Duration::seconds(1),
        |app| {
            let c = chain(app);
            let filed = produce(app, &c, "1");
            let size = filed["leaf_index"].as_u64().unwrap() + 1;
            let signed = (0..50).find_map(|_| {
                std::thread::sleep(std::time::Duration::from_millis(200));
                let listed = app.get(
                    &format!("/api/v1/transparency/checkpoints?from={size}"),
                    None,
                );
                listed.body.as_array().and_then(|a| a.first().cloned())
            });
            let signed = signed.expect("a checkpoint within 10 s");
            assert_eq!(signed["tree_size"], size);
        },
    );
}
