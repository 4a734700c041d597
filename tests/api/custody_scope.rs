//! A firm's own run reads only its part of the province, and an incremental run only what
//! changed: both find exactly what a full run finds (in scope), on both backends.

use std::collections::BTreeSet;

use chrono::Utc;
use precursor_registry::custody;
use precursor_registry::custody::validator::scope;
use precursor_registry::db::DbConnection;
use precursor_registry::demo::{generate, DemoOptions};
use precursor_registry::domain::CustodyRules;
use serde_json::{json, Value};

use crate::helpers::{each_backend, TestApp};

/// A finding's identity as a listed finding shows it to a regulator: its code and every entry.
fn listed_identity(v: &Value) -> String {
    let code = v["code"].as_str().unwrap();
    let mut ids: Vec<&str> = v["entry_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    ids.sort_unstable();
    if ids.is_empty() {
        format!("{code}:{}", v["firm_id"].as_str().unwrap())
    } else {
        format!("{code}:{}", ids.join(","))
    }
}

/// Open findings about `firm` (or all), through the API.
fn open_findings(app: &TestApp, token: &str, firm: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = "status=open&limit=1000".to_string();
        if let Some(f) = firm {
            query.push_str(&format!("&firm_id={f}"));
        }
        if let Some(a) = &after {
            query.push_str(&format!("&after={a}"));
        }
        let r = app.get(&format!("/api/v1/custody/findings?{query}"), Some(token));
        assert_eq!(r.status, 200, "{}", r.text);
        let items = r.body["items"].as_array().unwrap().clone();
        out.extend(items.iter().map(listed_identity));
        match r.body["next_cursor"].as_str() {
            Some(next) if !items.is_empty() => after = Some(next.to_string()),
            _ => return out,
        }
    }
}

/// The rules the test server judges by (a transit window of a day: see helpers).
fn rules() -> CustodyRules {
    CustodyRules {
        transit_window: chrono::Duration::hours(24),
        ..CustodyRules::defaults(Utc::now())
    }
}

/// What a full run finds now, by identity, about `firm` (or all).
fn full_run(conn: &mut DbConnection, firm: Option<&str>) -> (BTreeSet<String>, usize) {
    let settings = rules();
    let input = custody::store::load_input(conn, settings.thresholds).unwrap();
    let findings = custody::validate(&input, &settings);
    let kept = findings
        .iter()
        .filter(|f| firm.is_none_or(|id| scope::touches(f, &[id].into_iter().collect())))
        .map(|f| f.identity())
        .collect();
    (kept, input.entries.len())
}

#[test]
fn a_firms_own_run_reads_its_part_and_finds_what_a_full_run_finds_about_it() {
    each_backend(|app| {
        let mut conn = app.direct_connection();
        let options = DemoOptions {
            firms: 25,
            months: 2,
            seed: 11,
            end: Utc::now(),
            break_one_chain: true,
        };
        generate(&mut conn, &options).expect("the demo is generated");
        let regulator = app.regulator();
        let (everything, province) = full_run(&mut conn, None);
        assert!(everything.len() >= 20, "{} findings", everything.len());
        let firms: Vec<String> = precursor_registry::ledger::store::firms_with_entries(&mut conn)
            .unwrap()
            .into_iter()
            .collect();
        let mut read = Vec::new();
        for firm in &firms {
            let r = app.post(
                "/api/v1/custody/validations",
                Some(&regulator),
                &json!({ "firm_id": firm }),
            );
            assert_eq!(r.status, 201, "{}", r.text);
            let checked = r.body["entries_checked"].as_i64().unwrap() as usize;
            read.push(checked);
            let (expected, _) = full_run(&mut conn, Some(firm));
            assert_eq!(
                open_findings(app, &regulator, Some(firm)),
                expected,
                "firm {firm}"
            );
        }
        // Every firm's run reads less than the province, and together they find it all.
        assert!(read.iter().all(|&n| n < province), "{read:?} of {province}");
        assert_eq!(open_findings(app, &regulator, None), everything);
    });
}

/// splitmix64: the test's filings are the same each run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn hours_ago(h: f64) -> String {
    (Utc::now() - chrono::Duration::seconds((h * 3600.0) as i64))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What the registry holds so far, to file against.
struct World {
    regulator: String,
    firms: Vec<(String, String)>,
    chemicals: [String; 2],
    /// (firm, entry id, kind)
    entries: Vec<(usize, String, String)>,
    reversed: BTreeSet<String>,
    suspended: BTreeSet<usize>,
}

impl World {
    /// Files an entry; the API may refuse it (a suspended firm, a reversal twice): then nothing.
    fn file(&mut self, app: &TestApp, firm: usize, entry: Value) -> Option<String> {
        let (id, token) = &self.firms[firm];
        let r = app.post(&format!("/api/v1/firms/{id}/ledger"), Some(token), &entry);
        if r.status != 201 {
            assert!((400..500).contains(&r.status), "{}", r.text);
            return None;
        }
        let entry_id = r.body["id"].as_str().unwrap().to_string();
        let kind = entry["kind"].as_str().unwrap().to_string();
        self.entries.push((firm, entry_id.clone(), kind));
        Some(entry_id)
    }

    /// A few random filings by one or two firms: production, shipments (the receipt often
    /// following, sometimes short, sometimes never), use, losses without a reason, backdated
    /// entries, reversals, refusals, a suspension or a reinstatement, a new limited permit.
    fn step(&mut self, app: &TestApp, rng: &mut Rng) {
        let n = self.firms.len() as u64;
        let actors = [rng.below(n) as usize, rng.below(n) as usize];
        for _ in 0..6 {
            let firm = actors[rng.below(2) as usize];
            let chemical = rng.below(2) as usize;
            let lot = format!("L{}", rng.below(3));
            let quantity = format!("{}", 1 + rng.below(20));
            let at = hours_ago(if rng.chance(15) {
                80.0
            } else {
                rng.below(40) as f64
            });
            let c = self.chemicals[chemical].clone();
            match rng.below(8) {
                0 | 1 => {
                    self.file(app, firm, json!({"kind": "production", "chemical_id": c, "lot": lot, "quantity": "50", "occurred_at": at}));
                }
                2 | 3 => {
                    let buyer = rng.below(n) as usize;
                    if buyer == firm {
                        continue;
                    }
                    let reference = format!("R{}", rng.below(1_000_000));
                    let buyer_id = self.firms[buyer].0.clone();
                    let sale = json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": c, "lot": lot, "quantity": quantity,
                        "occurred_at": at, "counterparty": {"firm_id": buyer_id}, "shipment_ref": reference});
                    let Some(dispatch) = self.file(app, firm, sale) else {
                        continue;
                    };
                    let seller_id = self.firms[firm].0.clone();
                    if rng.chance(60) {
                        let received = if rng.chance(80) {
                            quantity.clone()
                        } else {
                            "99".into()
                        };
                        self.file(app, buyer, json!({"kind": "purchase", "payment": "bank_transfer", "chemical_id": c, "lot": lot, "quantity": received,
                            "occurred_at": hours_ago(0.1), "counterparty": {"firm_id": seller_id}, "shipment_ref": reference}));
                    } else if rng.chance(30) {
                        let (buyer_id, token) = self.firms[buyer].clone();
                        let r = app.post(
                            &format!("/api/v1/firms/{buyer_id}/incoming/{dispatch}/refusal"),
                            Some(&token),
                            &json!({"reason": "包装破损"}),
                        );
                        assert!(
                            r.status == 201 || (400..500).contains(&r.status),
                            "{}",
                            r.text
                        );
                    }
                }
                4 => {
                    self.file(app, firm, json!({"kind": "consumption", "chemical_id": c, "lot": lot, "quantity": quantity, "occurred_at": at}));
                }
                5 => {
                    self.file(app, firm, json!({"kind": "loss", "chemical_id": c, "lot": lot, "quantity": "1", "occurred_at": at}));
                }
                6 => {
                    let own: Vec<String> = self
                        .entries
                        .iter()
                        .filter(|e| {
                            e.0 == firm && e.2 != "reversal" && !self.reversed.contains(&e.1)
                        })
                        .map(|e| e.1.clone())
                        .collect();
                    if let Some(target) = own.get(rng.below(own.len() as u64 + 1) as usize) {
                        let target = target.clone();
                        if self
                            .file(app, firm, json!({"kind": "reversal", "reverses": target, "occurred_at": hours_ago(0.05), "note": "录错"}))
                            .is_some()
                        {
                            self.reversed.insert(target);
                        }
                    }
                }
                _ => {
                    let id = self.firms[firm].0.clone();
                    if rng.chance(50) {
                        let status = if self.suspended.remove(&firm) {
                            "active"
                        } else {
                            self.suspended.insert(firm);
                            "suspended"
                        };
                        let r = app.patch(
                            &format!("/api/v1/firms/{id}"),
                            Some(&self.regulator),
                            &json!({"status": status, "reason": "检查"}),
                        );
                        assert_eq!(r.status, 200, "{}", r.text);
                    } else {
                        let r = app.post(
                            &format!("/api/v1/firms/{id}/permits"),
                            Some(&self.regulator),
                            &json!({"kind": "purchase_filing", "number": format!("F-{}", app.next()), "chemical_ids": [c],
                                    "valid_from": hours_ago(24.0 * 30.0), "valid_until": hours_ago(-24.0 * 300.0), "quantity_limit": "40"}),
                        );
                        assert_eq!(r.status, 201, "{}", r.text);
                    }
                }
            }
        }
    }
}

/// Runs an incremental validation and checks that the open findings are exactly what a full
/// run finds as of the same moment; returns the run's `incremental` report.
fn incremental_equals_full(app: &TestApp, conn: &mut DbConnection, regulator: &str) -> Value {
    let r = app.post(
        "/api/v1/custody/validations",
        Some(regulator),
        &json!({ "incremental": true }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let as_of = chrono::DateTime::parse_from_rfc3339(r.body["as_of"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);
    let settings = CustodyRules { as_of, ..rules() };
    let input = custody::store::load_input(conn, settings.thresholds).unwrap();
    let full: BTreeSet<String> = custody::validate(&input, &settings)
        .iter()
        .map(|f| f.identity())
        .collect();
    assert_eq!(open_findings(app, regulator, None), full, "{}", r.body);
    r.body["incremental"].clone()
}

#[test]
fn incremental_runs_after_random_filings_find_what_a_full_run_finds() {
    each_backend(|app| {
        let mut conn = app.direct_connection();
        let regulator = app.regulator();
        let chemicals = [
            app.chemical(&regulator, "67-64-1"),
            app.chemical(&regulator, "108-24-7"),
        ];
        let mut firms = Vec::new();
        for i in 0..8 {
            let id = app.register_firm(&regulator, &format!("化工{i}有限公司"));
            let r = app.post(
                &format!("/api/v1/firms/{id}/permits"),
                Some(&regulator),
                &json!({"kind": "purchase_filing", "number": format!("F-{}", app.next()), "chemical_ids": chemicals,
                        "valid_from": hours_ago(24.0 * 365.0), "valid_until": hours_ago(-24.0 * 365.0)}),
            );
            assert_eq!(r.status, 201, "{}", r.text);
            firms.push((id.clone(), app.enterprise(&id)));
        }
        let mut world = World {
            regulator: regulator.clone(),
            firms,
            chemicals,
            entries: vec![],
            reversed: BTreeSet::new(),
            suspended: BTreeSet::new(),
        };
        let mut rng = Rng(15);
        let first = incremental_equals_full(app, &mut conn, &regulator);
        assert_eq!(first["full"], true, "the first run judges everything");
        let mut partial = 0;
        for _ in 0..10 {
            world.step(app, &mut rng);
            let report = incremental_equals_full(app, &mut conn, &regulator);
            if report["full"] == false {
                partial += 1;
            }
        }
        // Time alone: a dispatch just inside its transit window, then past it with no filing.
        let seller_clerk = world.firms[0].1.clone();
        let seller = world.firms[0].0.clone();
        let r = app.post(
            &format!("/api/v1/firms/{seller}/ledger"),
            Some(&seller_clerk),
            &json!({"kind": "sale", "payment": "bank_transfer", "chemical_id": world.chemicals[0], "quantity": "1",
                    "occurred_at": hours_ago(24.0 - 3.0 / 3600.0), "counterparty": {"firm_id": world.firms[1].0}, "shipment_ref": "LATE-1"}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let dispatch = r.body["id"].as_str().unwrap().to_string();
        incremental_equals_full(app, &mut conn, &regulator);
        std::thread::sleep(std::time::Duration::from_secs(4));
        let report = incremental_equals_full(app, &mut conn, &regulator);
        assert_eq!(report["full"], false, "{report}");
        let overdue = open_findings(app, &regulator, Some(&seller));
        assert!(
            overdue.contains(&format!("UNMATCHED_DISPATCH:{dispatch}")),
            "{overdue:?}"
        );
        assert!(partial >= 5, "{partial} of 10 runs were incremental");
    });
}

/// One batch as the store read it or as `partition::select` defines it: its firms, its
/// entries, refusals and broken chains (by id).
type BatchView = (
    Vec<String>,
    BTreeSet<String>,
    BTreeSet<String>,
    Vec<(String, i64)>,
);

fn view(firms: &[String], part: &custody::model::Input) -> BatchView {
    (
        firms.to_vec(),
        part.entries.iter().map(|e| e.id.to_string()).collect(),
        part.refusals
            .iter()
            .map(|r| r.dispatch_id.to_string())
            .collect(),
        part.broken_chains
            .iter()
            .map(|(f, seq, _)| (f.clone(), *seq))
            .collect(),
    )
}

#[test]
fn a_full_run_reads_the_province_by_batches_of_firms_and_finds_what_validate_finds() {
    use custody::validator::partition;
    each_backend(|app| {
        let mut conn = app.direct_connection();
        let options = DemoOptions {
            firms: 25,
            months: 2,
            seed: 12,
            end: Utc::now(),
            break_one_chain: true,
        };
        generate(&mut conn, &options).expect("the demo is generated");
        let settings = rules();
        let input = custody::store::load_input(&mut conn, settings.thresholds).unwrap();
        let expected = custody::validate(&input, &settings);
        assert!(expected.len() >= 20, "{} findings", expected.len());
        // Small batches, so that the province takes several.
        let mut read: Vec<BatchView> = Vec::new();
        let mut found = Vec::new();
        let mut own_total = 0;
        precursor_registry::db::read_snapshot(&mut conn, |conn| {
            custody::store::stream_consistent(conn, settings.thresholds, 300, |part, firms, own| {
                let batch: std::collections::HashSet<&str> =
                    firms.iter().map(String::as_str).collect();
                read.push(view(firms, part));
                found.extend(partition::validate_batch(part, &settings, &batch, None));
                own_total += own;
                Ok(())
            })
        })
        .unwrap();
        assert!(read.len() > 3, "{} batches", read.len());
        assert_eq!(own_total, input.entries.len());
        for (firms, ..) in &read {
            let batch = firms.iter().map(String::as_str).collect();
            let defined = view(firms, &partition::select(&input, &batch));
            assert!(
                read.contains(&defined),
                "batch {firms:?} differs from its definition"
            );
            assert!(defined.1.len() < input.entries.len());
        }
        assert_eq!(partition::merge(found), expected);
        // Through the API: a full run records exactly these, having checked every entry.
        let regulator = app.regulator();
        let r = app.post("/api/v1/custody/validations", Some(&regulator), &json!({}));
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["entries_checked"], json!(input.entries.len()));
        let identities: BTreeSet<String> = expected.iter().map(|f| f.identity()).collect();
        assert_eq!(open_findings(app, &regulator, None), identities);
    });
}
