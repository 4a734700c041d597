//! Alerts that reach people: webhook deliveries (signed, retried, kept across restarts) and the
//! event stream, each only within the subscriber's scope. The receivers here are plain TCP
//! listeners that answer a scripted status.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use precursor_registry::config::Settings;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{backends, settings_for, start, Backend, TestApp};
use crate::ledger::{chain, Chain};

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A webhook receiver on 127.0.0.1: answers the statuses of `script` in turn, then 200.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(script: &[u16]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let log = got.clone();
        let script = script.to_vec();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(request);
                    log.len()
                };
                let status = script.get(n - 1).copied().unwrap_or(200);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} Scripted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Receiver { url, got }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests came in.
    fn wait_for(&self, n: usize, what: &str) -> Vec<Received> {
        wait(what, || {
            let got = self.received();
            (got.len() >= n).then_some(got)
        })
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Received> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received { headers, body })
}

/// Polls `probe` until it gives a value (at most 20 s).
fn wait<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Settings of a registry whose alerts run fast.
fn fast(settings: &mut Settings, retry_ms: u64) {
    settings.alerts.poll_interval = Duration::from_millis(100);
    settings.alerts.retry_base = Duration::from_millis(retry_ms);
    settings.alerts.http_timeout = Duration::from_secs(2);
    settings.alerts.stream_poll = Duration::from_millis(100);
}

/// A registry with fast alerts. Keep the directory as long as the app.
fn spawn_fast(backend: &Backend, retry_ms: u64) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (mut settings, cleanup) = settings_for(backend, dir.path());
    fast(&mut settings, retry_ms);
    let url = settings.database_url();
    let (port, handle) = start(settings).unwrap();
    (TestApp::attach(port, handle, url, cleanup), dir)
}

fn each_fast_backend(retry_ms: u64, test: impl Fn(&TestApp)) {
    for backend in backends() {
        let (app, _dir) = spawn_fast(&backend, retry_ms);
        test(&app);
    }
}

fn subscribe(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post("/api/v1/subscriptions", Some(token), &body);
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

fn now_minus_hours(hours: i64) -> String {
    (Utc::now() - chrono::Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The seller ships 10 acetone to `buyer`, dispatched `hours` ago; returns the sale's id.
fn ship(app: &TestApp, c: &Chain, buyer: &str, hours: i64, shipment_ref: &str) -> String {
    let r = app.post(
        &format!("/api/v1/firms/{}/ledger", c.seller),
        Some(&c.seller_clerk),
        &json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c.acetone, "quantity": "10", "occurred_at": now_minus_hours(hours),
                "counterparty": {"firm_id": buyer}, "shipment_ref": shipment_ref}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

fn deliveries(app: &TestApp, token: &str, subscription: &Value) -> Vec<Value> {
    let id = subscription["id"].as_str().unwrap();
    let r = app.get(
        &format!("/api/v1/subscriptions/{id}/deliveries"),
        Some(token),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

/// Waits until the subscription's only delivery has `status`.
fn wait_status(app: &TestApp, token: &str, subscription: &Value, status: &str) -> Value {
    wait(&format!("a delivery {status}"), || {
        let log = deliveries(app, token, subscription);
        log.iter().find(|d| d["status"] == status).cloned()
    })
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn the_buyer_s_webhook_gets_the_dispatch_signed_with_its_secret() {
    each_fast_backend(100, |app| {
        let c = chain(app);
        let receiver = Receiver::start(&[]);
        let sub = subscribe(
            app,
            &c.buyer_clerk,
            json!({"url": receiver.url, "kinds": ["dispatch.addressed"]}),
        );
        let secret = sub["secret"].as_str().unwrap().to_string();
        assert_eq!(secret.len(), 64);
        assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(sub["firm_id"], c.buyer.as_str(), "an enterprise's own firm");
        assert_eq!(sub["kinds"], json!(["dispatch.addressed"]));
        // The secret is shown once: not in the list.
        let listed = app.get("/api/v1/subscriptions", Some(&c.buyer_clerk));
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
        assert!(!listed.text.contains(&secret));
        assert!(listed.body["items"][0].get("secret").is_none());

        let sale = ship(app, &c, &c.buyer, 1, "YD-1");
        let got = receiver.wait_for(1, "the dispatch event");
        let request = &got[0];
        assert_eq!(request.header("X-Precursor-Event"), "dispatch.addressed");
        assert_eq!(
            request.header("X-Precursor-Signature"),
            hmac_hex(&secret, &request.body),
            "signed with the subscription's secret over the exact body"
        );
        assert_ne!(
            request.header("X-Precursor-Signature"),
            hmac_hex(&"0".repeat(64), &request.body)
        );
        assert!(request
            .header("Content-Type")
            .starts_with("application/json"));
        let event = request.json();
        assert_eq!(
            keys(&event),
            ["at", "firm_id", "id", "kind", "payload"]
                .map(String::from)
                .into()
        );
        assert_eq!(event["kind"], "dispatch.addressed");
        assert_eq!(event["firm_id"], c.buyer.as_str());
        let payload = &event["payload"];
        assert_eq!(payload["dispatch_id"], sale.as_str());
        assert_eq!(payload["status"], "awaiting");
        assert_eq!(payload["seller"]["id"], c.seller.as_str());
        // The payload is the shipment as the buyer's inbox shows it, no more.
        let inbox = app.get(
            &format!("/api/v1/firms/{}/incoming", c.buyer),
            Some(&c.buyer_clerk),
        );
        let item = &inbox.body["items"][0];
        assert_eq!(keys(payload), keys(item));
        for key in ["dispatch_id", "seller", "buyer", "quantity", "due_by"] {
            assert_eq!(payload[key], item[key], "{key}");
        }

        let log = wait_status(app, &c.buyer_clerk, &sub, "delivered");
        assert_eq!(log["attempts"], 1);
        assert_eq!(log["last_status"], 200);
        assert_eq!(log["event_id"], event["id"]);
        assert_eq!(log["kind"], "dispatch.addressed");
        assert_eq!(
            log["id"].as_str(),
            Some(request.header("X-Precursor-Delivery"))
        );
        // Nothing is sent twice.
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(receiver.received().len(), 1);
        assert_eq!(deliveries(app, &c.buyer_clerk, &sub).len(), 1);
    });
}

#[test]
fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt() {
    each_fast_backend(100, |app| {
        let c = chain(app);
        let receiver = Receiver::start(&[500, 503]);
        let sub = subscribe(
            app,
            &c.buyer_clerk,
            json!({"url": receiver.url, "kinds": ["dispatch.addressed"]}),
        );
        ship(app, &c, &c.buyer, 1, "YD-2");
        let log = wait_status(app, &c.buyer_clerk, &sub, "delivered");
        assert_eq!(log["attempts"], 3);
        assert_eq!(log["last_status"], 200);
        assert!(log["last_error"].is_null());
        let got = receiver.received();
        assert_eq!(got.len(), 3);
        let secret = sub["secret"].as_str().unwrap();
        for request in &got {
            assert_eq!(request.body, got[0].body, "the same event each time");
            assert_eq!(
                request.header("X-Precursor-Delivery"),
                got[0].header("X-Precursor-Delivery")
            );
            assert_eq!(
                request.header("X-Precursor-Signature"),
                hmac_hex(secret, &request.body)
            );
        }
    });
}

#[test]
fn a_receiver_that_never_answers_2xx_is_given_up_after_the_last_attempt() {
    for backend in backends() {
        let dir = tempfile::tempdir().unwrap();
        let (mut settings, cleanup) = settings_for(&backend, dir.path());
        fast(&mut settings, 50);
        settings.alerts.max_attempts = 2;
        let url = settings.database_url();
        let (port, handle) = start(settings).unwrap();
        let app = TestApp::attach(port, handle, url, cleanup);
        let c = chain(&app);
        let receiver = Receiver::start(&[500, 500, 500, 500]);
        let sub = subscribe(
            &app,
            &c.buyer_clerk,
            json!({"url": receiver.url, "kinds": ["dispatch.addressed"]}),
        );
        ship(&app, &c, &c.buyer, 1, "YD-3");
        let log = wait_status(&app, &c.buyer_clerk, &sub, "failed");
        assert_eq!(
            (&log["attempts"], &log["last_status"]),
            (&json!(2), &json!(500))
        );
        assert_eq!(log["last_error"], "answered HTTP 500");
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(receiver.received().len(), 2, "no attempt after giving up");
    }
}

#[test]
fn a_restart_in_between_loses_nothing_and_sends_nothing_twice() {
    for backend in backends() {
        let dir = tempfile::tempdir().unwrap();
        let (settings, cleanup) = settings_for(&backend, dir.path());
        let url = settings.database_url();
        let boot = |poll: Duration, retry: Duration| {
            let mut s = settings.clone();
            fast(&mut s, 0);
            s.alerts.poll_interval = poll;
            s.alerts.retry_base = retry;
            let (port, handle) = start(s).unwrap();
            (port, handle)
        };

        // 1. A registry whose scanner has not come round yet when it stops.
        let (port, handle) = boot(Duration::from_secs(3600), Duration::from_secs(3));
        let app = TestApp::attach(port, handle, url.clone(), None);
        let c = chain(&app);
        let receiver = Receiver::start(&[500]);
        let sub = subscribe(
            &app,
            &c.buyer_clerk,
            json!({"url": receiver.url, "kinds": ["dispatch.addressed"]}),
        );
        ship(&app, &c, &c.buyer, 1, "YD-4");
        std::thread::sleep(Duration::from_millis(300));
        assert!(deliveries(&app, &c.buyer_clerk, &sub).is_empty());
        drop(app);

        // 2. The next one finds the sale behind its cursor; the first attempt fails. The next
        //    attempt is due 3 s later, when this registry is gone.
        let (port, handle) = boot(Duration::from_millis(100), Duration::from_secs(3));
        let app = TestApp::attach(port, handle, url.clone(), None);
        receiver.wait_for(1, "the first attempt");
        let log = wait("the first attempt recorded", || {
            deliveries(&app, &c.buyer_clerk, &sub)
                .into_iter()
                .find(|d| d["attempts"] == 1)
        });
        assert_eq!(
            (&log["status"], &log["last_status"]),
            (&json!("pending"), &json!(500))
        );
        drop(app);

        // 3. The third delivers what the queue kept.
        let (port, handle) = boot(Duration::from_millis(100), Duration::from_secs(3));
        let app = TestApp::attach(port, handle, url.clone(), cleanup);
        let log = wait_status(&app, &c.buyer_clerk, &sub, "delivered");
        assert_eq!(log["attempts"], 2);
        let got = receiver.received();
        assert_eq!(got.len(), 2, "one failed attempt, one delivery");
        assert_eq!(got[0].body, got[1].body);
        assert_eq!(got[1].json()["payload"]["shipment_ref"], "YD-4");
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(deliveries(&app, &c.buyer_clerk, &sub).len(), 1, "one event");
        assert_eq!(receiver.received().len(), 2);
        drop(app);
    }
}

/// One server-sent event.
#[derive(Debug, Clone)]
struct Sse {
    id: String,
    event: String,
    data: Value,
}

/// Reads a stream until `enough` says so or `limit` passes; returns the events read.
fn read_stream(
    app: &TestApp,
    token: &str,
    query: &str,
    last_event_id: Option<&str>,
    limit: Duration,
    enough: impl Fn(&[Sse]) -> bool,
) -> Vec<Sse> {
    let mut request = ureq::get(&format!("{}/api/v1/events/stream{query}", app.base))
        .set("Authorization", &format!("Bearer {token}"))
        .timeout(limit);
    if let Some(last) = last_event_id {
        request = request.set("Last-Event-ID", last);
    }
    let response = request.call().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_type(), "text/event-stream");
    let mut reader = BufReader::new(response.into_reader());
    let mut events = Vec::new();
    let (mut id, mut event, mut data) = (String::new(), String::new(), String::new());
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return events,
            Ok(_) => {}
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if !data.is_empty() {
                events.push(Sse {
                    id: std::mem::take(&mut id),
                    event: std::mem::take(&mut event),
                    data: serde_json::from_str(&std::mem::take(&mut data)).unwrap(),
                });
                if enough(&events) {
                    return events;
                }
            }
        } else if let Some(v) = line.strip_prefix("id: ") {
            id = v.to_string();
        } else if let Some(v) = line.strip_prefix("event: ") {
            event = v.to_string();
        } else if let Some(v) = line.strip_prefix("data: ") {
            data = v.to_string();
        }
    }
}

#[test]
fn an_enterprise_never_receives_events_about_another_firm() {
    each_fast_backend(100, |app| {
        let c = chain(app);
        let other = app.register_firm(&c.regulator, "另一买方");
        let other_clerk = app.enterprise(&other);
        // An enterprise subscribes to its own firm only.
        let r = app.post(
            "/api/v1/subscriptions",
            Some(&c.buyer_clerk),
            &json!({"url": "http://127.0.0.1:9/x", "kinds": ["dispatch.addressed"], "firm_id": other}),
        );
        assert_eq!(r.status, 404, "{}", r.text);
        let r = app.post(
            "/api/v1/subscriptions",
            Some(&c.buyer_clerk),
            &json!({"url": "http://127.0.0.1:9/x", "kinds": ["dispatch.addressed"], "region_code": "35"}),
        );
        assert!(
            r.has_field_error("region_code", "not_allowed"),
            "{}",
            r.text
        );
        let r = app.get(
            &format!("/api/v1/events/stream?firm_id={other}"),
            Some(&c.buyer_clerk),
        );
        assert_eq!(r.status, 404);

        let mine = Receiver::start(&[]);
        let theirs = Receiver::start(&[]);
        let everything = Receiver::start(&[]);
        let all_kinds = json!([
            "dispatch.addressed",
            "dispatch.overdue",
            "dispatch.refused",
            "finding.critical"
        ]);
        subscribe(
            app,
            &c.buyer_clerk,
            json!({"url": mine.url, "kinds": all_kinds.clone()}),
        );
        subscribe(
            app,
            &other_clerk,
            json!({"url": theirs.url, "kinds": all_kinds.clone()}),
        );
        subscribe(
            app,
            &c.regulator,
            json!({"url": everything.url, "kinds": all_kinds, "region_code": "3509"}),
        );

        // The other firm's shipment is filed first, then ours: our event comes after theirs.
        let to_other = ship(app, &c, &other, 1, "YD-O");
        everything.wait_for(1, "the other firm's event");
        let to_us = ship(app, &c, &c.buyer, 1, "YD-M");
        let stream = read_stream(
            app,
            &c.buyer_clerk,
            "",
            Some("00000000-0000-0000-0000-000000000000"),
            Duration::from_secs(15),
            |events| {
                events
                    .iter()
                    .any(|e| e.data["payload"]["dispatch_id"] == to_us.as_str())
            },
        );
        mine.wait_for(1, "our event");
        theirs.wait_for(1, "their event");
        everything.wait_for(2, "both events for the regulator");
        std::thread::sleep(Duration::from_millis(400));

        let about = |got: Vec<Received>| -> Vec<(String, String)> {
            got.iter()
                .map(|r| {
                    let e = r.json();
                    (
                        e["firm_id"].as_str().unwrap().to_string(),
                        e["payload"]["dispatch_id"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        assert_eq!(
            about(mine.received()),
            vec![(c.buyer.clone(), to_us.clone())]
        );
        assert_eq!(
            about(theirs.received()),
            vec![(other.clone(), to_other.clone())]
        );
        assert_eq!(about(everything.received()).len(), 2);
        // The stream, replayed from the start, holds our firm's event and nothing of theirs.
        assert_eq!(stream.len(), 1, "{stream:?}");
        assert_eq!(stream[0].event, "dispatch.addressed");
        assert_eq!(stream[0].data["firm_id"], c.buyer.as_str());
        assert_eq!(stream[0].data["id"].as_str(), Some(stream[0].id.as_str()));
    });
}

#[test]
fn every_kind_of_fact_makes_its_event_on_the_regulator_s_stream() {
    each_fast_backend(100, |app| {
        let c = chain(app);
        let start = "00000000-0000-0000-0000-000000000000";
        // Dispatched 25 h ago (the window is 24 h): overdue at once, for seller and buyer.
        let late = ship(app, &c, &c.buyer, 25, "YD-L");
        // Refused by the buyer.
        let refused = ship(app, &c, &c.buyer, 1, "YD-R");
        let r = app.post(
            &format!("/api/v1/firms/{}/incoming/{refused}/refusal", c.buyer),
            Some(&c.buyer_clerk),
            &json!({"reason": "包装破损"}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        // A consumption of a lot that never came in: a critical ORPHAN_LOT finding.
        let r = app.post(
            &format!("/api/v1/firms/{}/ledger", c.buyer),
            Some(&c.buyer_clerk),
            &json!({"kind": "consumption", "chemical_id": c.acetone, "lot": "NOWHERE", "quantity": "1", "occurred_at": now_minus_hours(0)}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let r = app.post(
            "/api/v1/custody/validations",
            Some(&c.regulator),
            &json!({"firm_id": c.buyer}),
        );
        assert_eq!(r.status, 201, "{}", r.text);

        let wanted = |events: &[Sse]| {
            let has = |kind: &str, firm: &str| {
                events
                    .iter()
                    .any(|e| e.event == kind && e.data["firm_id"] == firm)
            };
            has("dispatch.overdue", &c.seller)
                && has("dispatch.overdue", &c.buyer)
                && has("dispatch.refused", &c.seller)
                && has("finding.critical", &c.buyer)
        };
        let events = read_stream(
            app,
            &c.regulator,
            "",
            Some(start),
            Duration::from_secs(15),
            wanted,
        );
        assert!(wanted(&events), "{events:#?}");
        let of = |kind: &str| -> Vec<&Sse> { events.iter().filter(|e| e.event == kind).collect() };
        let overdue = of("dispatch.overdue");
        assert!(overdue
            .iter()
            .all(|e| e.data["payload"]["dispatch_id"] == late.as_str()
                && e.data["payload"]["status"] == "overdue"));
        let refusal = of("dispatch.refused");
        assert_eq!(refusal[0].data["payload"]["dispatch_id"], refused.as_str());
        assert_eq!(refusal[0].data["payload"]["refusal"]["reason"], "包装破损");
        let findings = of("finding.critical");
        assert!(findings
            .iter()
            .all(|e| e.data["payload"]["severity"] == "critical"));
        assert!(findings
            .iter()
            .any(|e| e.data["firm_id"] == c.buyer.as_str()
                && e.data["payload"]["code"] == "ORPHAN_LOT"));
        // Each fact made its events once.
        let ids: BTreeSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), events.len());
        let addressed = of("dispatch.addressed");
        assert_eq!(addressed.len(), 2, "{addressed:#?}");

        // The kinds filter; and an association may not stream at all.
        let only = read_stream(
            app,
            &c.regulator,
            "?kinds=finding.critical",
            Some(start),
            Duration::from_secs(3),
            |events| !events.is_empty(),
        );
        assert!(only.iter().all(|e| e.event == "finding.critical") && !only.is_empty());
        let r = app.get("/api/v1/events/stream", Some(&app.association()));
        assert_eq!(r.status, 403);
        let r = app.get("/api/v1/events/stream?kinds=nothing", Some(&c.regulator));
        assert!(r.has_field_error("kinds[0]", "unknown_kind"), "{}", r.text);
    });
}

#[test]
fn subscriptions_are_checked_listed_and_ended() {
    each_fast_backend(100, |app| {
        let c = chain(app);
        let bad = app.post(
            "/api/v1/subscriptions",
            Some(&c.regulator),
            &json!({"url": "ftp://example.com/x", "kinds": ["dispatch.sent"], "region_code": "35x"}),
        );
        assert_eq!(bad.status, 422, "{}", bad.text);
        for (field, code) in [
            ("url", "invalid_url"),
            ("kinds[0]", "unknown_kind"),
            ("region_code", "invalid_region"),
        ] {
            assert!(bad.has_field_error(field, code), "{field}: {}", bad.text);
        }
        let none = app.post(
            "/api/v1/subscriptions",
            Some(&c.regulator),
            &json!({"url": "https://example.com/x", "kinds": []}),
        );
        assert!(none.has_field_error("kinds", "required"), "{}", none.text);
        let unknown = app.post(
            "/api/v1/subscriptions",
            Some(&c.regulator),
            &json!({"url": "https://example.com/x", "kinds": ["finding.critical"], "firm_id": uuid::Uuid::now_v7()}),
        );
        assert!(
            unknown.has_field_error("firm_id", "unknown_firm"),
            "{}",
            unknown.text
        );
        let extra = app.post(
            "/api/v1/subscriptions",
            Some(&c.regulator),
            &json!({"url": "https://example.com/x", "kinds": ["finding.critical"], "secret": "mine"}),
        );
        assert_eq!(extra.status, 422, "{}", extra.text);

        // A regulator watches a region; the subscription is its own.
        let receiver = Receiver::start(&[]);
        let sub = subscribe(
            app,
            &c.regulator,
            json!({"url": receiver.url, "kinds": ["dispatch.addressed"], "region_code": "35"}),
        );
        assert_eq!(sub["region_code"], "35");
        let id = sub["id"].as_str().unwrap();
        let other_regulator = app.regulator();
        assert_eq!(
            app.get(
                &format!("/api/v1/subscriptions/{id}/deliveries"),
                Some(&other_regulator)
            )
            .status,
            404
        );
        assert_eq!(
            app.request(
                "DELETE",
                &format!("/api/v1/subscriptions/{id}"),
                Some(&other_regulator),
                None,
                None
            )
            .status,
            404
        );
        ship(app, &c, &c.buyer, 1, "YD-5");
        wait_status(app, &c.regulator, &sub, "delivered");

        // Ended: kept, listed with ended_at, receives nothing more.
        let r = app.request(
            "DELETE",
            &format!("/api/v1/subscriptions/{id}"),
            Some(&c.regulator),
            None,
            None,
        );
        assert_eq!(r.status, 204, "{}", r.text);
        let r = app.request(
            "DELETE",
            &format!("/api/v1/subscriptions/{id}"),
            Some(&c.regulator),
            None,
            None,
        );
        assert_eq!(r.status, 204, "ending twice is no error");
        let listed = app.get("/api/v1/subscriptions", Some(&c.regulator));
        assert!(
            listed.body["items"][0]["ended_at"].is_string(),
            "{}",
            listed.text
        );
        ship(app, &c, &c.buyer, 1, "YD-6");
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(receiver.received().len(), 1);
        assert_eq!(deliveries(app, &c.regulator, &sub).len(), 1);
    });
}
