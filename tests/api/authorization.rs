//! Every route × every role × own/other firm, with the exact status expected.

use serde_json::{json, Value};

use crate::helpers::{each_backend, TestApp, PASSWORD};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Admin,
    Regulator,
    Association,
    /// An enterprise user acting on its own firm.
    EnterpriseOwn,
    /// The same enterprise user acting on another firm.
    EnterpriseOther,
}

const CALLERS: [Caller; 6] = [
    Caller::Anonymous,
    Caller::Admin,
    Caller::Regulator,
    Caller::Association,
    Caller::EnterpriseOwn,
    Caller::EnterpriseOther,
];

struct World {
    admin: String,
    regulator: String,
    association: String,
    clerk: String,
    own_firm: String,
    other_firm: String,
    /// The other firm's credit code, for the counterparty check.
    other_credit_code: String,
    chemical: String,
    victim_user: String,
    /// An entry in each firm's ledger, for the per-entry route.
    own_entry: String,
    other_entry: String,
    /// A closed audit of each firm.
    own_audit: String,
    other_audit: String,
    /// A custody finding about each firm.
    own_finding: String,
    other_finding: String,
    /// Sales of the other firm to the own firm, awaiting their receipt (one to confirm, one to
    /// refuse).
    dispatch: String,
    dispatch_to_refuse: String,
    /// A webhook subscription of the clerk, and one of the other firm's clerk.
    own_subscription: String,
    other_subscription: String,
}

fn world(app: &TestApp) -> World {
    let regulator = app.regulator();
    let own_firm = app.register_firm(&regulator, "本企业");
    let other_firm = app.register_firm(&regulator, "他企业");
    let other_credit_code = app
        .get(&format!("/api/v1/firms/{other_firm}"), Some(&regulator))
        .body["credit_code"]
        .as_str()
        .unwrap()
        .to_string();
    let chemical = app.chemical(&regulator, "67-64-1");
    let (_, victim_user) = app.create_user("association", None);
    let clerk = app.enterprise(&own_firm);
    let other_clerk = app.enterprise(&other_firm);
    let entry = |token: &str, firm: &str| {
        let r = app.post(
            &format!("/api/v1/firms/{firm}/ledger"),
            Some(token),
            &stocktake(&chemical),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_str().unwrap().to_string()
    };
    let own_entry = entry(&clerk, &own_firm);
    let other_entry = entry(&other_clerk, &other_firm);
    // A consumption of a lot that never came in: one ORPHAN_LOT finding per firm.
    let orphan = json!({"kind": "consumption", "chemical_id": chemical, "lot": "NOWHERE", "quantity": "1", "occurred_at": chrono::Utc::now().to_rfc3339()});
    for (token, firm) in [(&clerk, &own_firm), (&other_clerk, &other_firm)] {
        assert_eq!(
            app.post(
                &format!("/api/v1/firms/{firm}/ledger"),
                Some(token),
                &orphan
            )
            .status,
            201
        );
    }
    assert_eq!(
        app.post("/api/v1/custody/validations", Some(&regulator), &json!({}))
            .status,
        201
    );
    let finding_of = |firm: &str| {
        let r = app.get(
            &format!("/api/v1/custody/findings?firm_id={firm}&code=ORPHAN_LOT"),
            Some(&regulator),
        );
        r.body["items"][0]["id"].as_str().unwrap().to_string()
    };
    let (own_finding, other_finding) = (finding_of(&own_firm), finding_of(&other_firm));
    let closed_audit = |firm: &str| {
        let r = app.post(
            "/api/v1/audits",
            Some(&regulator),
            &json!({"firm_id": firm, "kind": "spot"}),
        );
        let id = r.body["id"].as_str().unwrap().to_string();
        let r = app.patch(
            &format!("/api/v1/audits/{id}"),
            Some(&regulator),
            &json!({"status": "closed", "conclusion": "合规"}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        id
    };
    let (own_audit, other_audit) = (closed_audit(&own_firm), closed_audit(&other_firm));
    let sale = json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": chemical, "quantity": "1", "occurred_at": chrono::Utc::now().to_rfc3339(),
                      "counterparty": {"firm_id": own_firm}, "shipment_ref": "W-1"});
    let r = app.post(
        &format!("/api/v1/firms/{other_firm}/ledger"),
        Some(&other_clerk),
        &sale,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let dispatch = r.body["id"].as_str().unwrap().to_string();
    let r = app.post(
        &format!("/api/v1/firms/{other_firm}/ledger"),
        Some(&other_clerk),
        &sale,
    );
    let dispatch_to_refuse = r.body["id"].as_str().unwrap().to_string();
    let subscription = |token: &str| {
        let r = app.post(
            "/api/v1/subscriptions",
            Some(token),
            &json!({"url": "http://127.0.0.1:9/hook", "kinds": ["finding.critical"]}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_str().unwrap().to_string()
    };
    let (own_subscription, other_subscription) = (subscription(&clerk), subscription(&other_clerk));
    World {
        own_subscription,
        other_subscription,
        admin: app.admin(),
        association: app.association(),
        clerk,
        own_entry,
        other_entry,
        own_finding,
        other_finding,
        own_audit,
        other_audit,
        dispatch,
        dispatch_to_refuse,
        regulator,
        own_firm,
        other_firm,
        other_credit_code,
        chemical,
        victim_user,
    }
}

impl World {
    fn token(&self, caller: Caller) -> Option<&str> {
        match caller {
            Caller::Anonymous => None,
            Caller::Admin => Some(&self.admin),
            Caller::Regulator => Some(&self.regulator),
            Caller::Association => Some(&self.association),
            Caller::EnterpriseOwn | Caller::EnterpriseOther => Some(&self.clerk),
        }
    }

    /// The firm a caller's request names: the clerk's own firm, or another one.
    fn entry(&self, caller: Caller) -> &str {
        if caller == Caller::EnterpriseOther {
            &self.other_entry
        } else {
            &self.own_entry
        }
    }

    fn audit(&self, caller: Caller) -> &str {
        if caller == Caller::EnterpriseOther {
            &self.other_audit
        } else {
            &self.own_audit
        }
    }

    fn finding(&self, caller: Caller) -> &str {
        if caller == Caller::EnterpriseOther {
            &self.other_finding
        } else {
            &self.own_finding
        }
    }

    /// The clerk's own subscription, or the other firm clerk's.
    fn subscription(&self, caller: Caller) -> &str {
        if caller == Caller::EnterpriseOther {
            &self.other_subscription
        } else {
            &self.own_subscription
        }
    }

    fn firm(&self, caller: Caller) -> &str {
        if caller == Caller::EnterpriseOther {
            &self.other_firm
        } else {
            &self.own_firm
        }
    }
}

struct Route {
    method: &'static str,
    path: fn(&World, Caller) -> String,
    body: fn(&TestApp, &World, Caller) -> Option<Value>,
    /// Expected status for Anonymous, Admin, Regulator, Association, EnterpriseOwn, EnterpriseOther.
    expect: [u16; 6],
}

fn no_body(_: &TestApp, _: &World, _: Caller) -> Option<Value> {
    None
}

fn stocktake(chemical: &str) -> Value {
    json!({"kind": "stocktake", "chemical_id": chemical, "quantity": "1", "occurred_at": "2026-01-01T00:00:00Z"})
}

fn routes() -> Vec<Route> {
    vec![
        Route {
            method: "GET",
            path: |_, _| "/api/v1/me".into(),
            body: no_body,
            expect: [401, 200, 200, 200, 200, 200],
        },
        Route {
            method: "POST",
            path: |_, _| "/api/v1/users".into(),
            body: |app, _, _| {
                Some(
                    json!({"username": format!("user{}", app.next()), "password": PASSWORD, "role": "regulator"}),
                )
            },
            expect: [401, 201, 403, 403, 403, 403],
        },
        Route {
            method: "GET",
            path: |_, _| "/api/v1/users".into(),
            body: no_body,
            expect: [401, 200, 403, 403, 403, 403],
        },
        Route {
            method: "PATCH",
            path: |w, _| format!("/api/v1/users/{}", w.victim_user),
            body: |_, _, _| Some(json!({"disabled": false})),
            expect: [401, 200, 403, 403, 403, 403],
        },
        Route {
            method: "GET",
            path: |_, _| "/api/v1/chemicals".into(),
            body: no_body,
            expect: [401, 200, 200, 200, 200, 200],
        },
        Route {
            method: "GET",
            path: |w, _| format!("/api/v1/chemicals/{}", w.chemical),
            body: no_body,
            expect: [401, 200, 200, 200, 200, 200],
        },
        Route {
            method: "GET",
            path: |_, _| "/api/v1/rules".into(),
            body: no_body,
            expect: [401, 200, 200, 200, 200, 200],
        },
        Route {
            method: "POST",
            path: |_, _| "/api/v1/chemicals".into(),
            body: |app, _, _| {
                let n = app.next();
                Some(
                    json!({"name_en": format!("Added {n}"), "name_zh": format!("新增{n}"), "category": 3, "unit": "kg", "controlled_from": "2026-01-01"}),
                )
            },
            expect: [401, 201, 403, 403, 403, 403],
        },
        Route {
            method: "POST",
            path: |w, _| format!("/api/v1/chemicals/{}/changes", w.chemical),
            body: |_, _, _| {
                Some(json!({"effective_from": "2099-01-01", "category": 3, "note": "测试"}))
            },
            expect: [401, 201, 403, 403, 403, 403],
        },
        Route {
            method: "POST",
            path: |_, _| "/api/v1/firms".into(),
            body: |app, _, _| Some(app.firm_body("新企业")),
            expect: [401, 403, 201, 403, 403, 403],
        },
        Route {
            method: "GET",
            path: |_, _| "/api/v1/firms".into(),
            body: no_body,
            expect: [401, 403, 200, 200, 200, 200],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/firms/{}", w.firm(c)),
            body: no_body,
            expect: [401, 403, 200, 200, 200, 404],
        },
        Route {
            method: "PATCH",
            path: |w, c| format!("/api/v1/firms/{}", w.firm(c)),
            body: |_, _, _| Some(json!({"status": "active", "reason": "复核"})),
            expect: [401, 403, 200, 403, 403, 403],
        },
        Route {
            method: "POST",
            path: |w, c| format!("/api/v1/firms/{}/permits", w.firm(c)),
            body: |app, w, _| {
                Some(json!({
                    "kind": "purchase_filing",
                    "number": format!("F-{}", app.next()),
                    "chemical_ids": [w.chemical],
                    "valid_from": "2026-01-01T00:00:00Z",
                    "valid_until": "2027-01-01T00:00:00Z",
                }))
            },
            expect: [401, 403, 201, 403, 403, 403],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/firms/{}/permits", w.firm(c)),
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "POST",
            path: |w, c| format!("/api/v1/firms/{}/ledger", w.firm(c)),
            body: |_, w, _| Some(stocktake(&w.chemical)),
            expect: [401, 403, 403, 403, 201, 404],
        },
        Route {
            method: "POST",
            path: |w, c| format!("/api/v1/firms/{}/ledger/batch", w.firm(c)),
            body: |_, w, _| Some(json!({"entries": [stocktake(&w.chemical)]})),
            expect: [401, 403, 403, 403, 201, 404],
        },
        Route {
            method: "POST",
            path: |w, c| format!("/api/v1/firms/{}/ledger/epcis", w.firm(c)),
            body: |app, w, _| {
                let event = json!({"type": "ObjectEvent", "eventID": format!("urn:uuid:00000000-0000-4000-8000-{:012}", app.next()),
                    "eventTime": "2026-01-01T00:00:00Z", "eventTimeZoneOffset": "+08:00", "epcList": [],
                    "action": "OBSERVE", "bizStep": "stock_taking",
                    "quantityList": [{"epcClass": format!("urn:precursor-registry:class:id:{}", w.chemical), "quantity": 1, "uom": "KGM"}]});
                Some(
                    json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                    "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
                    "epcisBody": {"eventList": [event]}}),
                )
            },
            expect: [401, 403, 403, 403, 201, 404],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/firms/{}/ledger?format=epcis", w.firm(c)),
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "POST",
            path: |w, c| format!("/api/v1/firms/{}/gs1", w.firm(c)),
            body: |_, _, _| Some(json!({"company_prefixes": ["952123"]})),
            expect: [401, 403, 201, 403, 201, 404],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/firms/{}/gs1", w.firm(c)),
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "GET",
            path: |w, _| {
                format!(
                    "/api/v1/custody/trace?chemical_id={}&lot=NOWHERE&format=epcis",
                    w.chemical
                )
            },
            body: no_body,
            expect: [401, 403, 200, 403, 403, 403],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/firms/{}/ledger", w.firm(c)),
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/firms/{}/ledger?format=xlsx", w.firm(c)),
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "GET",
            path: |_, _| "/api/v1/ledger/template.xlsx".into(),
            body: no_body,
            expect: [401, 200, 200, 200, 200, 200],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/firms/{}/ledger/{}", w.firm(c), w.entry(c)),
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/firms/{}/incoming", w.firm(c)),
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/firms/{}/outgoing", w.firm(c)),
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "GET",
            path: |_, _| "/api/v1/shipments".into(),
            body: no_body,
            expect: [401, 403, 200, 403, 403, 403],
        },
        Route {
            method: "GET",
            path: |_, _| "/api/v1/shipments/summary".into(),
            body: no_body,
            expect: [401, 403, 200, 403, 403, 403],
        },
        Route {
            method: "POST",
            path: |w, c| {
                format!(
                    "/api/v1/firms/{}/incoming/{}/receipt",
                    w.firm(c),
                    w.dispatch
                )
            },
            body: |_, _, _| Some(json!({})),
            expect: [401, 403, 403, 403, 201, 404],
        },
        Route {
            method: "POST",
            path: |w, c| {
                format!(
                    "/api/v1/firms/{}/incoming/{}/refusal",
                    w.firm(c),
                    w.dispatch_to_refuse
                )
            },
            body: |_, _, _| Some(json!({"reason": "包装破损"})),
            expect: [401, 403, 403, 403, 201, 404],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/firms/{}/ledger/verify", w.firm(c)),
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/firms/{}/inventory", w.firm(c)),
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "POST",
            path: |_, _| "/api/v1/custody/validations".into(),
            body: |_, w, c| {
                Some(if c == Caller::EnterpriseOther {
                    json!({"firm_id": w.other_firm})
                } else {
                    json!({})
                })
            },
            expect: [401, 403, 201, 403, 201, 404],
        },
        Route {
            method: "GET",
            path: |w, c| {
                if c == Caller::EnterpriseOther {
                    format!("/api/v1/custody/findings?firm_id={}", w.other_firm)
                } else {
                    "/api/v1/custody/findings".into()
                }
            },
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "GET",
            path: |w, c| {
                if c == Caller::EnterpriseOther {
                    format!(
                        "/api/v1/custody/findings?format=xlsx&firm_id={}",
                        w.other_firm
                    )
                } else {
                    "/api/v1/custody/findings?format=xlsx".into()
                }
            },
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/custody/findings/{}", w.finding(c)),
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "POST",
            path: |w, c| format!("/api/v1/custody/findings/{}/explanations", w.finding(c)),
            body: |_, _, _| Some(json!({"text": "批号录入错误"})),
            expect: [401, 403, 403, 403, 201, 404],
        },
        Route {
            method: "PATCH",
            path: |w, c| format!("/api/v1/custody/findings/{}", w.finding(c)),
            body: |_, _, _| Some(json!({"status": "dismissed", "note": "核实无误"})),
            expect: [401, 403, 200, 403, 403, 403],
        },
        Route {
            method: "GET",
            path: |w, _| {
                format!(
                    "/api/v1/custody/trace?chemical_id={}&lot=NOWHERE",
                    w.chemical
                )
            },
            body: no_body,
            expect: [401, 403, 200, 403, 403, 403],
        },
        Route {
            method: "GET",
            // About another firm for every caller: checking a buyer is the point.
            path: |w, _| {
                format!(
                    "/api/v1/counterparties/check?credit_code={}&chemical_id={}",
                    w.other_credit_code, w.chemical
                )
            },
            body: no_body,
            expect: [401, 403, 200, 403, 200, 200],
        },
        Route {
            method: "POST",
            path: |_, _| "/api/v1/audits".into(),
            body: |_, w, _| Some(json!({"firm_id": w.own_firm, "kind": "routine"})),
            expect: [401, 403, 201, 403, 403, 403],
        },
        Route {
            method: "GET",
            path: |w, c| {
                if c == Caller::EnterpriseOther {
                    format!("/api/v1/audits?firm_id={}", w.other_firm)
                } else {
                    "/api/v1/audits".into()
                }
            },
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/audits/{}", w.audit(c)),
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "POST",
            path: |w, c| format!("/api/v1/audits/{}/findings", w.audit(c)),
            body: |_, _, _| Some(json!({"severity": "minor", "description": "x"})),
            // The regulator reaches the rule that a closed audit is read-only.
            expect: [401, 403, 409, 403, 403, 403],
        },
        Route {
            method: "PATCH",
            path: |w, c| format!("/api/v1/audits/{}", w.audit(c)),
            body: |_, _, _| Some(json!({"status": "closed", "conclusion": "x"})),
            expect: [401, 403, 409, 403, 403, 403],
        },
        Route {
            method: "POST",
            path: |w, c| format!("/api/v1/firms/{}/grades/assessment", w.firm(c)),
            body: |_, _, _| Some(json!({"period": "2026"})),
            expect: [401, 403, 200, 403, 403, 403],
        },
        Route {
            method: "POST",
            path: |w, c| format!("/api/v1/firms/{}/grades", w.firm(c)),
            body: |_, _, _| Some(json!({"period": "2026"})),
            expect: [401, 403, 201, 403, 403, 403],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/firms/{}/grades", w.firm(c)),
            body: no_body,
            expect: [401, 403, 200, 200, 200, 404],
        },
        Route {
            method: "GET",
            path: |_, _| "/api/v1/grades".into(),
            body: no_body,
            expect: [401, 403, 200, 200, 403, 403],
        },
        Route {
            method: "GET",
            path: |_, _| "/api/v1/grades?format=xlsx".into(),
            body: no_body,
            expect: [401, 403, 200, 200, 403, 403],
        },
        Route {
            method: "GET",
            path: |_, _| "/api/v1/grades/summary".into(),
            body: no_body,
            expect: [401, 403, 200, 200, 403, 403],
        },
        Route {
            // After the confirmation above, so that the period has a grade to publish.
            method: "POST",
            path: |_, _| "/api/v1/grades/publications".into(),
            body: |_, _, _| Some(json!({"period": "2026"})),
            expect: [401, 403, 403, 201, 403, 403],
        },
        Route {
            method: "GET",
            path: |_, _| "/api/v1/grades/publications".into(),
            body: no_body,
            expect: [401, 403, 200, 200, 403, 403],
        },
        Route {
            // The matrix's registry does not serve the public directory: unknown to everyone.
            method: "GET",
            path: |_, _| "/api/v1/public/grades".into(),
            body: no_body,
            expect: [404, 404, 404, 404, 404, 404],
        },
        Route {
            method: "GET",
            path: |_, _| "/api/v1/supervision/due".into(),
            body: no_body,
            expect: [401, 403, 200, 403, 403, 403],
        },
        Route {
            method: "GET",
            path: |_, _| "/api/v1/activity".into(),
            body: no_body,
            expect: [401, 200, 200, 403, 403, 403],
        },
        Route {
            method: "POST",
            path: |_, _| "/api/v1/subscriptions".into(),
            body: |_, w, c| {
                let mut body =
                    json!({"url": "http://127.0.0.1:9/hook", "kinds": ["dispatch.addressed"]});
                if c == Caller::EnterpriseOther {
                    body["firm_id"] = json!(w.other_firm);
                }
                Some(body)
            },
            expect: [401, 403, 201, 403, 201, 404],
        },
        Route {
            method: "GET",
            path: |_, _| "/api/v1/subscriptions".into(),
            body: no_body,
            expect: [401, 403, 200, 403, 200, 200],
        },
        Route {
            method: "GET",
            // A subscription belongs to the user who made it: not even a regulator reads another's.
            path: |w, c| format!("/api/v1/subscriptions/{}/deliveries", w.subscription(c)),
            body: no_body,
            expect: [401, 403, 404, 403, 200, 404],
        },
        Route {
            method: "DELETE",
            path: |w, c| format!("/api/v1/subscriptions/{}", w.subscription(c)),
            body: no_body,
            expect: [401, 403, 404, 403, 204, 404],
        },
        Route {
            method: "GET",
            // Streamed: only the status is read (see `status_of_stream`).
            path: |w, c| {
                if c == Caller::EnterpriseOther {
                    format!("/api/v1/events/stream?firm_id={}", w.other_firm)
                } else {
                    "/api/v1/events/stream".into()
                }
            },
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "POST",
            path: |w, c| format!("/api/v1/firms/{}/declarations", w.firm(c)),
            body: |_, w, c| {
                let customer = if c == Caller::EnterpriseOther {
                    &w.own_firm
                } else {
                    &w.other_firm
                };
                Some(
                    json!({"customer": {"firm_id": customer}, "chemical_id": w.chemical, "intended_use": "试剂",
                    "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"}),
                )
            },
            expect: [401, 403, 403, 403, 201, 404],
        },
        Route {
            method: "GET",
            path: |w, c| format!("/api/v1/firms/{}/declarations", w.firm(c)),
            body: no_body,
            expect: [401, 403, 200, 403, 200, 404],
        },
        Route {
            method: "POST",
            path: |_, _| "/api/v1/auth/logout".into(),
            body: |_, _, _| Some(json!({"refresh_token": "0".repeat(64)})),
            // Signing out ends the caller's access tokens: the clerk, signed out as
            // EnterpriseOwn just before, comes back as EnterpriseOther with an ended token.
            expect: [401, 204, 204, 204, 204, 401],
        },
    ]
}

/// The status and content type of a streamed answer, without waiting for its end.
fn status_of_stream(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String) {
    let mut request =
        ureq::get(&format!("{}{path}", app.base)).timeout(std::time::Duration::from_secs(5));
    if let Some(token) = token {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    match request.call() {
        Ok(r) | Err(ureq::Error::Status(_, r)) => (r.status(), r.content_type().to_string()),
        Err(e) => panic!("GET {path}: {e}"),
    }
}

#[test]
fn every_route_answers_every_role_with_the_exact_status() {
    each_backend(|app| {
        let w = world(app);
        let mut failures = Vec::new();
        for route in routes() {
            for (caller, expected) in CALLERS.iter().zip(route.expect) {
                let path = (route.path)(&w, *caller);
                let body = (route.body)(app, &w, *caller).map(|b| b.to_string());
                let content_type = body.as_ref().map(|_| "application/json");
                if path.starts_with("/api/v1/events/stream") {
                    let (status, content_type) = status_of_stream(app, &path, w.token(*caller));
                    if status != expected {
                        failures.push(format!(
                            "{} {path} as {caller:?}: expected {expected}, got {status}",
                            route.method
                        ));
                    }
                    let wanted = if status >= 400 {
                        "application/problem+json"
                    } else {
                        "text/event-stream"
                    };
                    assert_eq!(content_type, wanted, "{path}");
                    continue;
                }
                let r = app.request(
                    route.method,
                    &path,
                    w.token(*caller),
                    body.as_deref(),
                    content_type,
                );
                if r.status != expected {
                    failures.push(format!(
                        "{} {path} as {caller:?}: expected {expected}, got {} {}",
                        route.method, r.status, r.text
                    ));
                }
                if r.status >= 400 {
                    assert_eq!(
                        r.header("content-type"),
                        Some("application/problem+json"),
                        "{} {path}",
                        route.method
                    );
                }
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    });
}

#[test]
fn another_firms_data_never_appears_in_an_answer() {
    each_backend(|app| {
        let w = world(app);
        let other_permit = app.post(
            &format!("/api/v1/firms/{}/permits", w.other_firm),
            Some(&w.regulator),
            &json!({
                "kind": "purchase_filing", "number": "SECRET-1", "chemical_ids": [w.chemical],
                "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z",
            }),
        );
        assert_eq!(other_permit.status, 201);
        for path in [
            "/api/v1/firms".to_string(),
            format!("/api/v1/firms/{}/permits", w.own_firm),
            format!("/api/v1/firms/{}", w.own_firm),
        ] {
            let r = app.get(&path, Some(&w.clerk));
            assert!(
                !r.text.contains(&w.other_firm),
                "{path} leaks the other firm"
            );
            assert!(
                !r.text.contains("SECRET-1"),
                "{path} leaks the other firm's permit"
            );
        }
        let r = app.get(
            &format!("/api/v1/firms/{}/permits", w.other_firm),
            Some(&w.clerk),
        );
        assert_eq!(r.status, 404);
        assert!(!r.text.contains("SECRET-1"));
    });
}

#[test]
fn csv_import_answers_every_role_with_the_exact_status() {
    each_backend(|app| {
        let w = world(app);
        let csv = "kind,cas,quantity,occurred_at\nstocktake,67-64-1,1,2026-01-01T00:00:00Z\n";
        let expected = [401, 403, 403, 403, 201, 404];
        for (caller, status) in CALLERS.iter().zip(expected) {
            let path = format!("/api/v1/firms/{}/ledger/import", w.firm(*caller));
            let r = app.request("POST", &path, w.token(*caller), Some(csv), Some("text/csv"));
            assert_eq!(r.status, status, "{caller:?}: {}", r.text);
        }
    });
}

/// Issue 16: no field of a request vanishes. For every POST and PATCH of the OpenAPI document
/// with a JSON body, the body the walk above sends for a caller who may send it, plus one field
/// the route does not know, is refused with `422` naming that field — and nothing was done.
#[test]
fn every_json_body_refuses_a_field_it_does_not_know() {
    each_backend(|app| {
        let w = world(app);
        let doc = app.get("/api/v1/openapi.json", None).body;
        let mut documented = Vec::new();
        for (path, methods) in doc["paths"].as_object().unwrap() {
            for method in ["post", "patch"] {
                let Some(op) = methods.get(method) else {
                    continue;
                };
                if op
                    .pointer("/requestBody/content/application~1json")
                    .is_some()
                {
                    documented.push(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        let routes = routes();
        let pattern = |path: &str| {
            // The walk's concrete path back to the document's template: ids become `{…}`.
            let parts: Vec<String> = path
                .split('?')
                .next()
                .unwrap_or("")
                .split('/')
                .map(|p| {
                    if uuid::Uuid::parse_str(p).is_ok() {
                        "{}".to_string()
                    } else {
                        p.to_string()
                    }
                })
                .collect();
            parts.join("/")
        };
        let mut failures = Vec::new();
        for route_doc in &documented {
            let (method, template) = route_doc.split_once(' ').unwrap();
            let generic: String = template
                .split('/')
                .map(|p| if p.starts_with('{') { "{}" } else { p })
                .collect::<Vec<_>>()
                .join("/");
            let found = routes.iter().zip(0..).find(|(r, _)| {
                r.method == method
                    && CALLERS
                        .iter()
                        .any(|c| pattern(&(r.path)(&w, *c)) == generic)
            });
            let Some((route, _)) = found else {
                // Signing in and refreshing take no token: checked below.
                if !["/api/v1/auth/login", "/api/v1/auth/refresh"].contains(&template) {
                    failures.push(format!("{route_doc}: not in the walk"));
                }
                continue;
            };
            // A caller the route answers with success.
            let Some((caller, _)) = CALLERS
                .iter()
                .zip(route.expect)
                .find(|(_, s)| (200..300).contains(s))
            else {
                continue;
            };
            let Some(mut body) = (route.body)(app, &w, *caller) else {
                continue;
            };
            let Some(object) = body.as_object_mut() else {
                continue;
            };
            object.insert("zz_not_a_field".into(), json!(1));
            let path = (route.path)(&w, *caller);
            let r = app.request(
                method,
                &path,
                w.token(*caller),
                Some(&body.to_string()),
                Some("application/json"),
            );
            if r.status != 422 || !r.text.contains("zz_not_a_field") {
                failures.push(format!(
                    "{route_doc} as {caller:?}: {} {}",
                    r.status, r.text
                ));
            }
        }
        let login = json!({"username": "admin", "password": crate::helpers::ADMIN_PASSWORD, "zz_not_a_field": 1});
        let refresh = json!({"refresh_token": "0", "zz_not_a_field": 1});
        for (path, body) in [
            ("/api/v1/auth/login", login),
            ("/api/v1/auth/refresh", refresh),
        ] {
            let r = app.post(path, None, &body);
            if r.status != 422 || !r.text.contains("zz_not_a_field") {
                failures.push(format!("POST {path}: {} {}", r.status, r.text));
            }
        }
        assert!(documented.len() > 20, "the document lists the routes");
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    });
}

/// Issue 16: every state-changing request is in the activity log — who, when, what, its
/// outcome — under the request's id (`X-Request-Id`). Walks every POST, PATCH and DELETE of the
/// routes above as a caller who may make it.
#[test]
fn every_state_changing_request_leaves_one_activity_row_under_its_request_id() {
    use diesel::prelude::*;
    use precursor_registry::db::schema::activity_log;
    each_backend(|app| {
        let w = world(app);
        let mut conn = app.direct_connection();
        let mut failures = Vec::new();
        let mut walked = 0;
        for route in routes().iter().filter(|r| r.method != "GET") {
            let Some((caller, _)) = CALLERS
                .iter()
                .zip(route.expect)
                .find(|(_, s)| (200..300).contains(s))
            else {
                continue;
            };
            let path = (route.path)(&w, *caller);
            let body = (route.body)(app, &w, *caller).map(|b| b.to_string());
            let content_type = body.as_ref().map(|_| "application/json");
            let r = app.request(
                route.method,
                &path,
                w.token(*caller),
                body.as_deref(),
                content_type,
            );
            let Some(request_id) = r.header("x-request-id").map(str::to_string) else {
                failures.push(format!("{} {path}: no X-Request-Id", route.method));
                continue;
            };
            walked += 1;
            let rows: Vec<(Option<String>, String, String, i32)> = activity_log::table
                .filter(activity_log::id.eq(&request_id))
                .select((
                    activity_log::role,
                    activity_log::action,
                    activity_log::target,
                    activity_log::status,
                ))
                .load(&mut conn)
                .unwrap();
            match rows.as_slice() {
                [(Some(_), action, target, status)]
                    if action.starts_with(&format!("{} /", route.method))
                        && path.starts_with(target.as_str())
                        && *status == i32::from(r.status) => {}
                other => {
                    failures.push(format!("{} {path} ({}): {other:?}", route.method, r.status))
                }
            }
        }
        assert!(walked >= 20, "{walked} state-changing routes walked");
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    });
}
