//! Three app servers on one PostgreSQL database: nothing that must be shared lives in one
//! process. Filings through all three into the same firms keep every chain gapless and
//! verifying (group commit on each), an idempotency key is honoured across servers, a lockout
//! set through one server holds on the others, a token signed by one is accepted by all and
//! revoked on all when its user is disabled, a validation run started from the console on one
//! is followed to its summary on the others.

use serde_json::{json, Value};

use crate::helpers::{fresh_postgres_database, serve_binary, KillOnDrop, ADMIN_PASSWORD, PASSWORD};
use crate::served::{assert_chain_verifies, call, DropDatabase, Setup};
use crate::visitor::Visitor;

const JWT: &str = "a-jwt-secret-for-the-three-servers-0123456789";
const KEY: &str = "5f1e3c0a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";
const FIRMS: usize = 4;
const FILERS: usize = 48;
const EACH: usize = 8;

fn start_three(url: &str) -> (Vec<KillOnDrop>, Vec<String>, Vec<tempfile::TempDir>) {
    let (mut servers, mut bases, mut dirs) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().to_str().unwrap().to_string();
        let args = [
            "--data-dir",
            data_dir.as_str(),
            "--database-url",
            url,
            "--filing-rate-limit-per-minute",
            "0",
            "--max-connections",
            "8",
        ];
        let env = [
            ("PRECURSOR_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("PRECURSOR_JWT_SECRET", JWT),
            ("PRECURSOR_TRANSPARENCY_KEY", KEY),
            ("PRECURSOR_CHECKPOINT_INTERVAL_SECONDS", "0"),
        ];
        let (server, port) = serve_binary(&args, &env);
        servers.push(server);
        bases.push(format!("http://127.0.0.1:{port}"));
        dirs.push(dir);
    }
    (servers, bases, dirs)
}

fn post(base: &str, path: &str, token: &str, body: &Value) -> (u16, Value) {
    call(base, "POST", path, Some(token), Some(body)).unwrap()
}

fn post_keyed(base: &str, path: &str, token: &str, key: &str, body: &Value) -> (u16, Value) {
    let r = ureq::post(&format!("{base}{path}"))
        .set("Authorization", &format!("Bearer {token}"))
        .set("Idempotency-Key", key)
        .send_json(body.clone());
    match r {
        Ok(r) | Err(ureq::Error::Status(_, r)) => {
            (r.status(), r.into_json().unwrap_or(Value::Null))
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn three_servers_on_one_postgres_keep_chains_gapless_and_share_what_must_be_shared() {
    let Some(admin_url) = std::env::var("PRECURSOR_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped: three servers need PostgreSQL (set PRECURSOR_TEST_POSTGRES_URL)");
        return;
    };
    let (url, name) = fresh_postgres_database(&admin_url);
    let _drop = DropDatabase(admin_url.clone(), name);
    // The first server migrates and seeds; the others start on the prepared database.
    let (_servers, bases, _dirs) = start_three(&url);

    let setup = Setup::new(&bases);
    let (_, regulator) = setup.user(1, "three.regulator", "regulator", None);
    let acetone = setup.acetone(&regulator);
    let firms: Vec<(String, String)> = (0..FIRMS)
        .map(|i| {
            let id = setup.firm(i, &regulator, &format!("三台服务器企业{i}"), 700 + i as u32);
            // Created through one server, signed in through another: the token works on all.
            let (_, clerk) = setup.user(i + 1, &format!("three.clerk{i}"), "enterprise", Some(&id));
            (id, clerk)
        })
        .collect();

    // 48 clerks' threads file through all three servers at once into the same four firms; one
    // idempotency key is sent to every server by a thread of each.
    let keyed = json!({"kind": "production", "chemical_id": acetone, "quantity": "7", "occurred_at": "2026-03-01T08:00:00Z", "note": "keyed"});
    let keyed_answers = std::sync::Mutex::new(Vec::new());
    let retried = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for f in 0..FILERS {
            let (firm, clerk) = &firms[f % FIRMS];
            let (bases, acetone, retried) = (&bases, &acetone, &retried);
            scope.spawn(move || {
                for i in 0..EACH {
                    let base = &bases[(f + i) % 3];
                    let entry = json!({"kind": "production", "chemical_id": acetone, "quantity": format!("{}", f * 100 + i + 1),
                        "occurred_at": "2026-03-01T08:00:00Z", "note": format!("filer {f} #{i}")});
                    // A clerk's tool sends each entry with its own key and retries a 503 (the
                    // contract's "retry"): nothing may be lost or filed twice either way.
                    let key = format!("filer-{f}-{i}");
                    let mut tries = 0;
                    loop {
                        let (status, body) = post_keyed(base, &format!("/api/v1/firms/{firm}/ledger"), clerk, &key, &entry);
                        if status == 503 && tries < 5 {
                            tries += 1;
                            retried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            eprintln!("503, retried: {body}");
                            continue;
                        }
                        assert_eq!(status, 201, "{body}");
                        break;
                    }
                }
            });
        }
        for base in &bases {
            let (firm, clerk) = &firms[0];
            let (keyed, keyed_answers) = (&keyed, &keyed_answers);
            scope.spawn(move || {
                let r = ureq::post(&format!("{base}/api/v1/firms/{firm}/ledger"))
                    .set("Authorization", &format!("Bearer {clerk}"))
                    .set("Idempotency-Key", "three-servers-one-key")
                    .send_json(keyed.clone());
                let r = match r {
                    Ok(r) | Err(ureq::Error::Status(_, r)) => r,
                    Err(e) => panic!("{e}"),
                };
                let status = r.status();
                let body: Value = r.into_json().unwrap();
                keyed_answers
                    .lock()
                    .unwrap()
                    .push((status, body["id"].clone()));
            });
        }
    });
    let keyed_answers = keyed_answers.into_inner().unwrap();
    eprintln!("503 answers retried: {}", retried.into_inner());
    assert!(
        keyed_answers
            .iter()
            .all(|(s, id)| *s == 201 && *id == keyed_answers[0].1),
        "one entry for one key, the same receipt from every server: {keyed_answers:?}"
    );

    for (i, (firm, _)) in firms.iter().enumerate() {
        let base = &bases[i % 3];
        let (status, page) = call(
            base,
            "GET",
            &format!("/api/v1/firms/{firm}/ledger?limit=1000"),
            Some(&regulator),
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "{page}");
        let seqs: Vec<i64> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect();
        let expected = FILERS / FIRMS * EACH + usize::from(i == 0);
        assert_eq!(
            seqs,
            (1..=expected as i64).collect::<Vec<_>>(),
            "firm {i}: gapless"
        );
        for base in &bases {
            assert_chain_verifies(base, firm, &regulator);
        }
    }

    // Five wrong passwords through the first server lock the account on the others too.
    setup.user(0, "three.locked", "association", None);
    for _ in 0..5 {
        let body = json!({"username": "three.locked", "password": "wrong-password-1"});
        assert_eq!(
            call(&bases[0], "POST", "/api/v1/auth/login", None, Some(&body))
                .unwrap()
                .0,
            401
        );
    }
    for base in &bases[1..] {
        let body = json!({"username": "three.locked", "password": PASSWORD});
        let (status, problem) =
            call(base, "POST", "/api/v1/auth/login", None, Some(&body)).unwrap();
        assert_eq!(
            (status, problem["code"].as_str()),
            (429, Some("too_many_requests")),
            "{problem}"
        );
    }

    // An officer signed in to the console on one server starts a run through the second and
    // follows its progress page through the third, to the stored summary.
    let mut officer = Visitor::at(&bases[0], "en");
    assert_eq!(officer.sign_in("three.regulator", PASSWORD).status, 303);
    let mut officer = officer.moved_to(&bases[1]);
    let csrf = officer.get("/validations").csrf();
    let started = officer.post("/validations", &[("csrf", &csrf), ("firm", "")]);
    assert_eq!(started.status, 303, "{}", started.text);
    let running = started.location.unwrap();
    let mut officer = officer.moved_to(&bases[2]);
    let summary = (0..600)
        .find_map(|_| {
            let page = officer.get(&running);
            if page.status == 303 {
                return page.location;
            }
            assert_eq!(page.status, 200, "{}", page.text);
            std::thread::sleep(std::time::Duration::from_millis(50));
            None
        })
        .expect("the run finishes");
    let summary = officer.get(&summary);
    assert_eq!(summary.status, 200, "{}", summary.text);
    assert!(
        summary.text.contains("id=\"entries-checked\""),
        "{}",
        summary.text
    );
    assert_eq!(officer.get(&running).status, 404, "spent, on every server");

    // A clerk disabled through one server is refused by every server (within the generation
    // cache's second or two: poll, don't time).
    let (firm, clerk) = &firms[1];
    let (_, me) = call(&bases[2], "GET", "/api/v1/me", Some(clerk), None).unwrap();
    let clerk_id = me["id"].as_str().unwrap().to_string();
    let (status, body) = call(
        &bases[0],
        "PATCH",
        &format!("/api/v1/users/{clerk_id}"),
        Some(&setup.admin),
        Some(&json!({"disabled": true})),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    for base in &bases {
        let refused = (0..100).any(|_| {
            let entry = json!({"kind": "production", "chemical_id": acetone, "quantity": "1", "occurred_at": "2026-03-01T08:00:00Z"});
            let (status, _) = post(base, &format!("/api/v1/firms/{firm}/ledger"), clerk, &entry);
            if status == 401 {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            false
        });
        assert!(refused, "{base} refuses the disabled clerk's token");
    }
}
