use serde_json::json;

use crate::helpers::{each_backend, each_backend_with, TestApp, ADMIN_PASSWORD, PASSWORD};

#[test]
fn sign_in_returns_a_bearer_pair_and_me_names_the_user() {
    each_backend(|app| {
        let r = app.login("admin", ADMIN_PASSWORD);
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["token_type"], "Bearer");
        assert_eq!(r.body["expires_in"], 900);
        assert!(r.body["refresh_token"].as_str().unwrap().len() >= 64);
        let token = r.body["access_token"].as_str().unwrap();
        let me = app.get("/api/v1/me", Some(token));
        assert_eq!(me.status, 200);
        assert_eq!(me.body["username"], "admin");
        assert_eq!(me.body["role"], "admin");
        assert_eq!(me.body["firm_id"], serde_json::Value::Null);
        assert!(me.body.get("password_hash").is_none());
    });
}

#[test]
fn wrong_password_and_unknown_user_are_refused_alike() {
    each_backend(|app| {
        let wrong = app.login("admin", "not-the-password");
        let unknown = app.login("nobody", "not-the-password");
        assert_eq!((wrong.status, wrong.code()), (401, "invalid_credentials"));
        assert_eq!(
            (unknown.status, unknown.code()),
            (401, "invalid_credentials")
        );
        assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    });
}

#[test]
fn usernames_are_not_case_sensitive() {
    each_backend(|app| {
        assert_eq!(app.login("ADMIN", ADMIN_PASSWORD).status, 200);
    });
}

#[test]
fn missing_bad_or_tampered_tokens_are_401() {
    each_backend(|app| {
        let none = app.get("/api/v1/me", None);
        assert_eq!((none.status, none.code()), (401, "unauthenticated"));
        assert_eq!(none.header("www-authenticate"), Some("Bearer"));
        let garbage = app.get("/api/v1/me", Some("garbage"));
        assert_eq!((garbage.status, garbage.code()), (401, "invalid_token"));
        let token = app.admin();
        let mut tampered = token.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(app.get("/api/v1/me", Some(&tampered)).status, 401);
        let basic = app.request("GET", "/api/v1/me", None, None, None);
        assert_eq!(basic.status, 401);
    });
}

#[test]
fn refresh_rotates_and_a_reused_token_ends_the_session() {
    each_backend(|app| {
        let first = app.login("admin", ADMIN_PASSWORD);
        let old = first.body["refresh_token"].as_str().unwrap().to_string();
        let second = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": old}));
        assert_eq!(second.status, 200, "{}", second.text);
        let newer = second.body["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(newer, old);
        assert_eq!(
            app.get("/api/v1/me", second.body["access_token"].as_str())
                .status,
            200
        );

        // The old token is refused, and presenting it revokes the rotated one too.
        let reuse = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": old}));
        assert_eq!((reuse.status, reuse.code()), (401, "invalid_refresh_token"));
        let after = app.post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": newer}),
        );
        assert_eq!(after.status, 401, "the whole family is revoked after reuse");

        let bogus = app.post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": "0".repeat(64)}),
        );
        assert_eq!(bogus.status, 401);
    });
}

#[test]
fn logout_revokes_the_refresh_token() {
    each_backend(|app| {
        let pair = app.login("admin", ADMIN_PASSWORD);
        let access = pair.body["access_token"].as_str().unwrap();
        let refresh = pair.body["refresh_token"].as_str().unwrap();
        let other_session = app.login("admin", ADMIN_PASSWORD);
        let r = app.post(
            "/api/v1/auth/logout",
            Some(access),
            &json!({"refresh_token": refresh}),
        );
        assert_eq!(r.status, 204, "{}", r.text);
        assert_eq!(
            app.post(
                "/api/v1/auth/refresh",
                None,
                &json!({"refresh_token": refresh})
            )
            .status,
            401
        );
        // Another session of the same user is untouched by a targeted logout…
        let other = other_session.body["refresh_token"].as_str().unwrap();
        let still = app.post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": other}),
        );
        assert_eq!(still.status, 200);
        // The access tokens of the user ended with the logout: the old one is refused.
        let old = app.get("/api/v1/me", Some(access));
        assert_eq!((old.status, old.code()), (401, "invalid_token"));
        // …and ended by a logout without a body.
        let fresh = still.body["access_token"].as_str().unwrap();
        let bare = app.request("POST", "/api/v1/auth/logout", Some(fresh), None, None);
        assert_eq!(bare.status, 204);
        let newest = still.body["refresh_token"].as_str().unwrap();
        assert_eq!(
            app.post(
                "/api/v1/auth/refresh",
                None,
                &json!({"refresh_token": newest})
            )
            .status,
            401
        );
        assert_eq!(
            app.post("/api/v1/auth/logout", None, &json!({})).status,
            401
        );
    });
}

#[test]
fn a_disabled_user_a_new_password_and_a_sign_out_end_every_access_token_at_once() {
    each_backend(|app| {
        let regulator = app.regulator();
        let firm = app.register_firm(&regulator, "吊销测试企业");
        let (username, id) = app.create_user("enterprise", Some(&firm));
        let token = app.token_for(&username, PASSWORD);
        let second_device = app.token_for(&username, PASSWORD);
        let filing = json!({"kind": "stocktake", "chemical_id": app.chemical(&token, "67-64-1"),
            "quantity": "1", "occurred_at": "2026-01-01T00:00:00Z"});
        let ledger = format!("/api/v1/firms/{firm}/ledger");
        assert_eq!(app.post(&ledger, Some(&token), &filing).status, 201);
        let admin = app.admin();
        let user = format!("/api/v1/users/{id}");
        assert_eq!(
            app.patch(&user, Some(&admin), &json!({"disabled": true}))
                .status,
            200
        );
        // Disabled: the clerk files nothing more, on any device, from the next request on.
        for t in [&token, &second_device] {
            let r = app.post(&ledger, Some(t), &filing);
            assert_eq!((r.status, r.code()), (401, "invalid_token"), "{}", r.text);
        }
        // Enabled again, the old tokens stay ended; a new sign-in works.
        assert_eq!(
            app.patch(&user, Some(&admin), &json!({"disabled": false}))
                .status,
            200
        );
        assert_eq!(app.get("/api/v1/me", Some(&token)).status, 401);
        let token = app.token_for(&username, PASSWORD);
        assert_eq!(app.get("/api/v1/me", Some(&token)).status, 200);
        // A new password ends the tokens of the old one.
        let r = app.patch(
            &user,
            Some(&admin),
            &json!({"password": "another-long-password-1"}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(app.get("/api/v1/me", Some(&token)).status, 401);
        let token = app.token_for(&username, "another-long-password-1");
        // Signing out ends it too.
        let r = app.request("POST", "/api/v1/auth/logout", Some(&token), None, None);
        assert_eq!(r.status, 204);
        assert_eq!(app.post(&ledger, Some(&token), &filing).status, 401);
        let entries = app.get(&format!("{ledger}?limit=10"), Some(&regulator));
        assert_eq!(
            entries.body["items"].as_array().unwrap().len(),
            1,
            "one filing only"
        );
    });
}

#[test]
fn disabled_users_cannot_sign_in_or_refresh() {
    each_backend(|app| {
        let (username, id) = app.create_user("regulator", None);
        let pair = app.login(&username, PASSWORD);
        assert_eq!(pair.status, 200);
        let admin = app.admin();
        let r = app.patch(
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &json!({"disabled": true}),
        );
        assert_eq!(
            (r.status, r.body["disabled"].as_bool()),
            (200, Some(true)),
            "{}",
            r.text
        );
        let login = app.login(&username, PASSWORD);
        // A disabled account answers its right password exactly as a wrong one.
        assert_eq!((login.status, login.code()), (401, "invalid_credentials"));
        let refresh = app.post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": pair.body["refresh_token"]}),
        );
        assert_eq!(refresh.status, 401);
        // Re-enabled, the account signs in again.
        let r = app.patch(
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &json!({"disabled": false}),
        );
        assert_eq!(r.status, 200);
        assert_eq!(app.login(&username, PASSWORD).status, 200);
    });
}

#[test]
fn five_failures_lock_the_username_for_fifteen_minutes() {
    each_backend(|app| {
        let (username, _) = app.create_user("association", None);
        for _ in 0..5 {
            assert_eq!(app.login(&username, "wrong-password-here").status, 401);
        }
        let locked = app.login(&username, PASSWORD);
        assert_eq!(
            (locked.status, locked.code()),
            (429, "too_many_requests"),
            "{}",
            locked.text
        );
        let retry: u64 = locked
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .unwrap();
        assert!((850..=900).contains(&retry), "retry after {retry}");
        // Other usernames are not affected.
        assert_eq!(app.login("admin", ADMIN_PASSWORD).status, 200);
    });
}

#[test]
fn a_success_clears_earlier_failures() {
    each_backend(|app| {
        let (username, _) = app.create_user("association", None);
        for _ in 0..4 {
            assert_eq!(app.login(&username, "wrong-password-here").status, 401);
        }
        assert_eq!(app.login(&username, PASSWORD).status, 200);
        for _ in 0..4 {
            assert_eq!(app.login(&username, "wrong-password-here").status, 401);
        }
        assert_eq!(app.login(&username, PASSWORD).status, 200);
    });
}

/// A sign-in from `address` (the test registry trusts `X-Forwarded-For`): its status.
fn sign_in_from(app: &TestApp, address: &str, username: &str, password: &str) -> u16 {
    let body = json!({"username": username, "password": password}).to_string();
    let r = ureq::post(&format!("{}/api/v1/auth/login", app.base))
        .set("Content-Type", "application/json")
        .set("X-Forwarded-For", address)
        .send_string(&body);
    match r {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(status, _)) => status,
        Err(e) => panic!("sign-in: {e}"),
    }
}

#[test]
fn parallel_wrong_passwords_lock_after_exactly_the_limit_and_only_the_failing_addresses() {
    each_backend_with(
        |settings| settings.trust_forwarded_for = true,
        |app| {
            let (username, _) = app.create_user("regulator", None);
            let statuses: Vec<u16> = std::thread::scope(|scope| {
                let tries: Vec<_> = (0..8)
                    .map(|_| {
                        scope.spawn(|| sign_in_from(app, "10.0.0.1", &username, "wrong-password-1"))
                    })
                    .collect();
                tries.into_iter().map(|t| t.join().unwrap()).collect()
            });
            let wrong = statuses.iter().filter(|s| **s == 401).count();
            let locked = statuses.iter().filter(|s| **s == 429).count();
            assert_eq!((wrong, locked), (5, 3), "{statuses:?}");
            // The failing address waits even with the right password; a clean one gets through,
            // so a regulator is not locked out by someone else's guesses.
            assert_eq!(sign_in_from(app, "10.0.0.1", &username, PASSWORD), 429);
            assert_eq!(sign_in_from(app, "10.0.0.2", &username, PASSWORD), 200);
            // The success cleared the username's failures; the first address still has its own.
            assert_eq!(
                sign_in_from(app, "10.0.0.3", &username, "wrong-password-1"),
                401
            );
            assert_eq!(sign_in_from(app, "10.0.0.3", &username, PASSWORD), 200);
            // One address trying many usernames is slowed too.
            for i in 0..30 {
                assert_eq!(
                    sign_in_from(app, "10.0.0.9", &format!("nobody-{i}"), "guess-1"),
                    401
                );
            }
            assert_eq!(sign_in_from(app, "10.0.0.9", &username, PASSWORD), 429);
        },
    );
}

#[test]
fn failed_sign_ins_store_a_bounded_key_and_expire() {
    use diesel::prelude::*;
    use precursor_registry::db::schema::login_failures;
    each_backend(|app| {
        let huge = "u".repeat(3 * 1024 * 1024);
        let r = app.login(&huge, "some-password-1");
        assert_eq!((r.status, r.code()), (401, "invalid_credentials"));
        let mut conn = app.direct_connection();
        let keys: Vec<String> = login_failures::table
            .select(login_failures::username)
            .load(&mut conn)
            .unwrap();
        assert!(
            !keys.is_empty() && keys.iter().all(|k| k.len() <= 64),
            "{:?}",
            keys.iter().map(String::len).collect::<Vec<_>>()
        );
        // A failure from an hour ago is gone after the next sign-in.
        let old = chrono::Utc::now().naive_utc() - chrono::Duration::hours(1);
        diesel::insert_into(login_failures::table)
            .values((
                login_failures::id.eq("old-failure"),
                login_failures::username.eq("user:old"),
                login_failures::failed_at.eq(old),
            ))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(app.login("someone", "some-password-1").status, 401);
        let left: i64 = login_failures::table
            .filter(login_failures::id.eq("old-failure"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(left, 0);
    });
}
