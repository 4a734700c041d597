//! A registry served as its own process (the binary), spoken to over HTTP: what the tests that
//! kill, stop or multiply servers share — calls, sign-in, and the people and firms they set up.

use serde_json::{json, Value};

use crate::helpers::{credit_code, ADMIN_PASSWORD, PASSWORD};

pub fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Value), String> {
    let mut req =
        ureq::request(method, &format!("{base}{path}")).timeout(std::time::Duration::from_secs(20));
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let result = match body {
        Some(b) => req.send_json(b.clone()),
        None => req.call(),
    };
    match result {
        Ok(r) => Ok((r.status(), r.into_json().unwrap_or(Value::Null))),
        Err(ureq::Error::Status(s, r)) => Ok((s, r.into_json().unwrap_or(Value::Null))),
        Err(e) => Err(e.to_string()),
    }
}

pub fn token(base: &str, username: &str, password: &str) -> String {
    let (status, body) = call(
        base,
        "POST",
        "/api/v1/auth/login",
        None,
        Some(&json!({"username": username, "password": password})),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

/// Asserts that the firm's chain verifies, as the server at `base` checks it.
pub fn assert_chain_verifies(base: &str, firm: &str, regulator: &str) {
    let path = format!("/api/v1/firms/{firm}/ledger/verify");
    let (status, report) = call(base, "GET", &path, Some(regulator), None).unwrap();
    assert_eq!(
        (status, report["ok"].as_bool()),
        (200, Some(true)),
        "{report}"
    );
}

/// Sets up people and firms through served registries (one, or several on one database: each
/// step through the server `via`, modulo how many there are).
pub struct Setup<'a> {
    bases: &'a [String],
    pub admin: String,
}

impl<'a> Setup<'a> {
    pub fn new(bases: &'a [String]) -> Setup<'a> {
        Setup {
            bases,
            admin: token(&bases[0], "admin", ADMIN_PASSWORD),
        }
    }

    fn base(&self, via: usize) -> &str {
        &self.bases[via % self.bases.len()]
    }

    /// A user created through server `via` and signed in through the next: (id, token).
    pub fn user(&self, via: usize, name: &str, role: &str, firm: Option<&str>) -> (String, String) {
        let body = json!({"username": name, "password": PASSWORD, "role": role, "firm_id": firm});
        let (status, created) = call(
            self.base(via),
            "POST",
            "/api/v1/users",
            Some(&self.admin),
            Some(&body),
        )
        .unwrap();
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        (id, token(self.base(via + 1), name, PASSWORD))
    }

    /// A firm in Ningde registered by `regulator` through server `via`, with the `n`th test
    /// credit code: its id.
    pub fn firm(&self, via: usize, regulator: &str, name: &str, n: u32) -> String {
        let body = json!({"name": name, "credit_code": credit_code(n), "region_code": "350902",
            "address": "宁德", "activities": ["use"]});
        let (status, firm) = call(
            self.base(via),
            "POST",
            "/api/v1/firms",
            Some(regulator),
            Some(&body),
        )
        .unwrap();
        assert_eq!(status, 201, "{firm}");
        firm["id"].as_str().unwrap().to_string()
    }

    /// The catalog's acetone (CAS 67-64-1): its id.
    pub fn acetone(&self, token: &str) -> String {
        let (status, chemicals) = call(
            self.base(0),
            "GET",
            "/api/v1/chemicals?q=67-64-1",
            Some(token),
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "{chemicals}");
        chemicals["items"][0]["id"].as_str().unwrap().to_string()
    }
}

/// Drops the test's PostgreSQL database at the end.
pub struct DropDatabase(pub String, pub String);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        use diesel::{Connection, RunQueryDsl};
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.0) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.1))
                .execute(&mut conn);
        }
    }
}
