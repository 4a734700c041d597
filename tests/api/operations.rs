use std::collections::BTreeSet;

use crate::helpers::{each_backend, each_backend_with};

#[test]
fn health_readiness_and_metrics_are_open() {
    each_backend(|app| {
        assert_eq!(app.get("/healthz", None).body["status"], "ok");
        assert_eq!(app.get("/readyz", None).body["status"], "ready");
        app.get("/api/v1/me", None);
        let metrics = app.get("/metrics", None);
        assert_eq!(metrics.status, 200);
        assert!(metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain"));
        assert!(
            metrics.text.contains(
                "http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"401\"} 1"
            ),
            "{}",
            metrics.text
        );
        assert!(metrics.text.contains(
            "http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"+Inf\"} 1"
        ));
    });
}

#[test]
fn unknown_routes_and_methods_answer_problem_json() {
    each_backend(|app| {
        let r = app.get("/api/v1/nothing-here", None);
        assert_eq!((r.status, r.code()), (404, "not_found"));
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert_eq!(r.body["type"], "urn:precursor-registry:problem:not_found");
        // A known path with a method it does not serve: 405 naming the methods it does (RFC 9110).
        for (method, path, allow) in [
            ("DELETE", "/api/v1/firms", "GET, POST"),
            ("TRACE", "/api/v1/activity", "GET"),
            ("PUT", "/api/v1/auth/login", "POST"),
            ("POST", "/api/v1/firms/x/ledger/export", "GET"),
        ] {
            let r = app.request(method, path, None, None, None);
            assert_eq!(
                (r.status, r.code()),
                (405, "method_not_allowed"),
                "{method} {path}"
            );
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
            let mut listed: Vec<&str> = r.header("allow").unwrap_or("").split(", ").collect();
            listed.sort_unstable();
            assert_eq!(listed.join(", "), allow, "{method} {path}");
        }
    });
}

#[test]
fn security_headers_are_on_every_response() {
    each_backend(|app| {
        for path in ["/healthz", "/api/v1/me", "/no-such-page"] {
            let r = app.get(path, None);
            assert_eq!(
                r.header("x-content-type-options"),
                Some("nosniff"),
                "{path}"
            );
            assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
        }
    });
}

/// Switches on every route a deployment may leave off (the public directory).
fn every_optional_route(settings: &mut precursor_registry::config::Settings) {
    settings.public_directory = true;
}

/// Every route the server answers — with every optional one switched on — is in the OpenAPI
/// document, and nothing else is.
#[test]
fn the_openapi_document_covers_every_route() {
    each_backend_with(every_optional_route, |app| {
        let doc = app.get("/api/v1/openapi.json", None);
        assert_eq!(doc.status, 200);
        assert_eq!(doc.body["openapi"], "3.1.0");
        let documented: BTreeSet<String> = doc.body["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, ops)| {
                ops.as_object()
                    .unwrap()
                    .keys()
                    .map(move |m| format!("{} {path}", m.to_uppercase()))
            })
            .collect();
        let served: BTreeSet<String> = [
            "POST /api/v1/auth/login",
            "POST /api/v1/auth/refresh",
            "POST /api/v1/auth/logout",
            "GET /api/v1/me",
            "POST /api/v1/users",
            "GET /api/v1/users",
            "PATCH /api/v1/users/{user_id}",
            "GET /api/v1/chemicals",
            "GET /api/v1/chemicals/{chemical_id}",
            "POST /api/v1/chemicals",
            "POST /api/v1/chemicals/{chemical_id}/changes",
            "GET /api/v1/rules",
            "POST /api/v1/firms",
            "GET /api/v1/firms",
            "GET /api/v1/firms/{firm_id}",
            "PATCH /api/v1/firms/{firm_id}",
            "POST /api/v1/firms/{firm_id}/permits",
            "GET /api/v1/firms/{firm_id}/permits",
            "POST /api/v1/firms/{firm_id}/declarations",
            "GET /api/v1/firms/{firm_id}/declarations",
            "POST /api/v1/firms/{firm_id}/ledger",
            "GET /api/v1/firms/{firm_id}/ledger",
            "POST /api/v1/firms/{firm_id}/ledger/batch",
            "POST /api/v1/firms/{firm_id}/ledger/import",
            "GET /api/v1/firms/{firm_id}/ledger/verify",
            "GET /api/v1/firms/{firm_id}/ledger/{entry_id}",
            "GET /api/v1/firms/{firm_id}/ledger/{entry_id}/proof",
            "GET /api/v1/firms/{firm_id}/ledger/export",
            "GET /api/v1/transparency/key",
            "GET /api/v1/transparency/checkpoints/latest",
            "GET /api/v1/transparency/checkpoints",
            "POST /api/v1/transparency/checkpoints",
            "GET /api/v1/transparency/consistency",
            "GET /api/v1/firms/{firm_id}/inventory",
            "GET /api/v1/ledger/template.xlsx",
            "POST /api/v1/custody/validations",
            "GET /api/v1/custody/findings",
            "GET /api/v1/custody/findings/{finding_id}",
            "PATCH /api/v1/custody/findings/{finding_id}",
            "POST /api/v1/custody/findings/{finding_id}/explanations",
            "GET /api/v1/custody/trace",
            "POST /api/v1/firms/{firm_id}/gs1",
            "GET /api/v1/firms/{firm_id}/gs1",
            "POST /api/v1/firms/{firm_id}/ledger/epcis",
            "GET /api/v1/firms/{firm_id}/incoming",
            "POST /api/v1/firms/{firm_id}/incoming/{dispatch_id}/receipt",
            "POST /api/v1/firms/{firm_id}/incoming/{dispatch_id}/refusal",
            "GET /api/v1/firms/{firm_id}/outgoing",
            "GET /api/v1/shipments",
            "GET /api/v1/shipments/summary",
            "GET /api/v1/counterparties/check",
            "POST /api/v1/audits",
            "GET /api/v1/audits",
            "GET /api/v1/audits/{audit_id}",
            "PATCH /api/v1/audits/{audit_id}",
            "POST /api/v1/audits/{audit_id}/findings",
            "POST /api/v1/firms/{firm_id}/grades/assessment",
            "POST /api/v1/firms/{firm_id}/grades",
            "GET /api/v1/firms/{firm_id}/grades",
            "GET /api/v1/grades",
            "GET /api/v1/grades/summary",
            "GET /api/v1/supervision/due",
            "POST /api/v1/grades/publications",
            "GET /api/v1/grades/publications",
            "GET /api/v1/public/grades",
            "POST /api/v1/subscriptions",
            "GET /api/v1/subscriptions",
            "DELETE /api/v1/subscriptions/{subscription_id}",
            "GET /api/v1/subscriptions/{subscription_id}/deliveries",
            "GET /api/v1/events/stream",
            "GET /api/v1/activity",
            "GET /healthz",
            "GET /readyz",
            "GET /metrics",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(documented, served);
        assert!(doc.body["components"]["securitySchemes"]["bearer"].is_object());
        // The schemas say what the wire carries: enum names as sent, errors as problem+json.
        assert_eq!(
            doc.body["components"]["schemas"]["Role"]["enum"],
            serde_json::json!(["admin", "regulator", "enterprise", "association"])
        );
        assert_eq!(
            doc.body["components"]["schemas"]["Unit"]["enum"],
            serde_json::json!(["kg", "L"])
        );
        let register = &doc.body["paths"]["/api/v1/firms"]["post"]["responses"];
        for code in ["401", "409", "422"] {
            assert!(
                register[code]["content"]["application/problem+json"].is_object(),
                "{code}: {}",
                register[code]
            );
        }
        let trace =
            &doc.body["paths"]["/api/v1/custody/trace"]["get"]["responses"]["200"]["content"];
        assert!(trace["application/json"].is_object() && trace["text/vnd.graphviz"].is_object());

        // And the server really routes each documented operation (metrics name the matched pattern).
        for op in &documented {
            let (method, path) = op.split_once(' ').unwrap();
            let concrete = path
                .replace("{user_id}", "x")
                .replace("{chemical_id}", "x")
                .replace("{firm_id}", "x")
                .replace("{entry_id}", "x")
                .replace("{finding_id}", "x")
                .replace("{audit_id}", "x");
            app.request(
                method,
                &concrete,
                None,
                Some("{}"),
                Some("application/json"),
            );
        }
        let metrics = app.get("/metrics", None).text;
        for op in &documented {
            let (method, path) = op.split_once(' ').unwrap();
            let label = format!("http_requests_total{{method=\"{method}\",route=\"{path}\"");
            assert!(
                metrics.contains(&label),
                "{op} is documented but not routed"
            );
        }
    });
}

#[test]
fn the_docs_page_is_served_from_the_binary() {
    each_backend(|app| {
        let r = app.get("/docs/", None);
        assert_eq!(r.status, 200);
        assert!(r.text.to_lowercase().contains("swagger"), "{}", r.text);
        let config = app.get("/docs/swagger-initializer.js", None);
        assert_eq!(config.status, 200);
        assert!(config.text.contains("/api/v1/openapi.json"));
        assert!(!r.text.contains("https://"), "no CDN");
    });
}

#[test]
fn metrics_answer_only_to_the_configured_token() {
    each_backend_with(
        |settings| {
            settings.metrics_token = Some(precursor_registry::config::Secret::new(
                "metrics-token-for-tests",
            ));
        },
        |app| {
            let open = app.get("/metrics", None);
            assert_eq!((open.status, open.code()), (401, "metrics_token_required"));
            assert_eq!(app.get("/metrics", Some("another-token")).status, 401);
            let r = app.get("/metrics", Some("metrics-token-for-tests"));
            assert_eq!(r.status, 200);
            assert!(
                r.text.contains("http_requests_total") || r.text.contains("# TYPE"),
                "{}",
                r.text
            );
            assert_eq!(
                app.get("/healthz", None).status,
                200,
                "the other probes stay open"
            );
        },
    );
}

#[test]
fn a_user_filing_too_fast_waits_and_others_do_not() {
    each_backend_with(
        |settings| settings.filing_rate_limit_per_minute = 3,
        |app| {
            let c = crate::ledger::chain(app);
            let entry = serde_json::json!({"kind": "stocktake", "chemical_id": c.acetone, "quantity": "1",
                "occurred_at": "2026-01-01T00:00:00Z"});
            let path = format!("/api/v1/firms/{}/ledger", c.seller);
            for _ in 0..3 {
                assert_eq!(app.post(&path, Some(&c.seller_clerk), &entry).status, 201);
            }
            let r = app.post(&path, Some(&c.seller_clerk), &entry);
            assert_eq!((r.status, r.code()), (429, "rate_limited"), "{}", r.text);
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
            let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=60).contains(&retry));
            // A batch counts as one request of the same user; another user files on.
            let batch = app.post(
                &format!("{path}/batch"),
                Some(&c.seller_clerk),
                &serde_json::json!({"entries": [entry]}),
            );
            assert_eq!(batch.status, 429);
            let other = format!("/api/v1/firms/{}/ledger", c.buyer);
            assert_eq!(app.post(&other, Some(&c.buyer_clerk), &entry).status, 201);
        },
    );
}

/// Issue 16: one client address has a filing budget whoever signs (two clerks of two firms
/// share it); `429 rate_limited` with `Retry-After` as problem+json. Behind a trusted proxy the
/// address is the forwarded one, which has a budget of its own.
#[test]
fn one_address_filing_too_fast_waits_whoever_signs() {
    each_backend_with(
        |settings| {
            settings.filing_rate_limit_per_address_per_minute = 3;
            settings.trust_forwarded_for = true;
        },
        |app| {
            let c = crate::ledger::chain(app);
            let entry = serde_json::json!({"kind": "stocktake", "chemical_id": c.acetone, "quantity": "1",
                "occurred_at": "2026-01-01T00:00:00Z"});
            let seller = format!("/api/v1/firms/{}/ledger", c.seller);
            let buyer = format!("/api/v1/firms/{}/ledger", c.buyer);
            for _ in 0..2 {
                assert_eq!(app.post(&seller, Some(&c.seller_clerk), &entry).status, 201);
            }
            assert_eq!(app.post(&buyer, Some(&c.buyer_clerk), &entry).status, 201);
            // The per-user limit is off here: it is the address that refuses both clerks.
            for (path, clerk) in [(&buyer, &c.buyer_clerk), (&seller, &c.seller_clerk)] {
                let r = app.post(path, Some(clerk), &entry);
                assert_eq!((r.status, r.code()), (429, "rate_limited"), "{}", r.text);
                assert_eq!(r.header("content-type"), Some("application/problem+json"));
                let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
                assert!((1..=60).contains(&retry));
            }
            // Another client, as the deployment's own proxy tells it, files on.
            let from = |address: &str| {
                let response = ureq::post(&format!("{}{buyer}", app.base))
                    .set("Authorization", &format!("Bearer {}", c.buyer_clerk))
                    .set("X-Forwarded-For", address)
                    .send_json(entry.clone());
                match response {
                    Ok(r) | Err(ureq::Error::Status(_, r)) => r.status(),
                    Err(e) => panic!("{e}"),
                }
            };
            assert_eq!(from("203.0.113.9"), 201);
            assert_eq!(
                from("198.51.100.1, 127.0.0.1"),
                429,
                "the last address counts"
            );
        },
    );
}
