//! Unit and property tests of the pure parts of alerts: scope, matching, cursors, backoff,
//! signatures, frames, and which firm a shipment event is about.

use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use proptest::prelude::*;

use super::rules::*;
use super::scan::shipment_draft;
use crate::domain::Role;
use crate::shipments::live::ShipmentState;
use crate::shipments::store::Side;
use crate::shipments::{FirmRef, ShipmentView};

const FIRMS: [&str; 3] = ["firm-a", "firm-b", "firm-c"];
const REGIONS: [&str; 3] = ["350902", "350100", "110101"];

fn kind() -> impl Strategy<Value = EventKind> {
    prop::sample::select(EventKind::ALL.to_vec())
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(vec![
        Role::Enterprise,
        Role::Regulator,
        Role::Association,
        Role::Admin,
    ])
}

fn maybe<T: Clone + std::fmt::Debug + 'static>(values: &[T]) -> impl Strategy<Value = Option<T>> {
    prop::option::of(prop::sample::select(values.to_vec()))
}

proptest! {
    /// Whatever an enterprise asks for, a filter it gets receives only events about its firm.
    #[test]
    fn an_enterprise_never_receives_another_firms_event(
        own in prop::sample::select(FIRMS.to_vec()),
        asked_firm in maybe(&FIRMS),
        asked_region in maybe(&["35", "3509", "110101"]),
        kinds in prop::collection::vec(kind(), 0..4),
        event_kind in kind(),
        event_firm in prop::sample::select(FIRMS.to_vec()),
        event_region in prop::sample::select(REGIONS.to_vec()),
    ) {
        let result = Filter::for_caller(Role::Enterprise, Some(own), &kinds, asked_firm, asked_region);
        match result {
            Ok(filter) => {
                prop_assert_eq!(filter.firm_id(), Some(own));
                let event = EventMeta { kind: event_kind, firm_id: event_firm, region_code: event_region };
                if filter.matches(&event) {
                    prop_assert_eq!(event_firm, own);
                }
            }
            Err(ScopeError::OtherFirm) => prop_assert!(asked_firm.is_some_and(|f| f != own)),
            Err(ScopeError::RegionNotAllowed) => prop_assert!(asked_region.is_some()),
            Err(ScopeError::Forbidden) => prop_assert!(false, "an enterprise may subscribe"),
        }
    }

    /// A filter receives an event exactly when the kind, the firm and the region prefix agree.
    #[test]
    fn a_regulator_filter_matches_by_kind_firm_and_region(
        kinds in prop::collection::vec(kind(), 0..4),
        firm in maybe(&FIRMS),
        region in maybe(&["3", "35", "3509", "350902", "11"]),
        event_kind in kind(),
        event_firm in prop::sample::select(FIRMS.to_vec()),
        event_region in prop::sample::select(REGIONS.to_vec()),
    ) {
        let filter = Filter::for_caller(Role::Regulator, None, &kinds, firm, region).unwrap();
        let event = EventMeta { kind: event_kind, firm_id: event_firm, region_code: event_region };
        let expected = (kinds.is_empty() || kinds.contains(&event_kind))
            && firm.is_none_or(|f| f == event_firm)
            && region.is_none_or(|r| event_region.starts_with(r));
        prop_assert_eq!(filter.matches(&event), expected);
    }

    /// The association and admins receive nothing, whatever they ask.
    #[test]
    fn only_regulators_and_enterprises_receive_events(
        role in role(),
        firm in maybe(&FIRMS),
    ) {
        let result = Filter::for_caller(role, Some("firm-a"), &[], firm, None);
        let may = matches!(role, Role::Regulator | Role::Enterprise);
        prop_assert_eq!(!matches!(result, Err(ScopeError::Forbidden)), may);
    }

    /// Waits start at the base, never shrink, double until the cap and never pass it.
    #[test]
    fn backoff_doubles_up_to_the_cap(
        base_ms in 1_u64..5_000,
        cap_ms in 1_u64..100_000,
        failed in 1_u32..80,
    ) {
        let policy = RetryPolicy {
            base: Duration::from_millis(base_ms),
            cap: Duration::from_millis(cap_ms),
            max_attempts: 10,
        };
        let wait = policy.backoff(failed);
        prop_assert!(wait <= policy.cap);
        prop_assert!(policy.backoff(failed + 1) >= wait);
        prop_assert_eq!(policy.backoff(1), policy.base.min(policy.cap));
        if wait < policy.cap {
            prop_assert_eq!(policy.backoff(failed + 1), (wait * 2).min(policy.cap));
        }
    }

    /// A delivery is given up after exactly `max_attempts` failures, and never after a success.
    #[test]
    fn deliveries_give_up_after_the_last_attempt(max in 1_u32..20, attempts in 1_u32..30) {
        let policy = RetryPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            max_attempts: max,
        };
        prop_assert_eq!(policy.after_attempt(attempts, true), Next::Delivered);
        let failed = policy.after_attempt(attempts, false);
        if attempts >= max {
            prop_assert_eq!(failed, Next::Failed);
        } else {
            prop_assert_eq!(failed, Next::RetryIn(policy.backoff(attempts)));
        }
    }

    /// A cursor never moves back, never past now (unless it already was), and moves to now
    /// when the scan read less than a full batch.
    #[test]
    fn cursors_move_forward_within_what_was_read(
        old in 0_i64..1000,
        now in 0_i64..1000,
        last in prop::option::of(0_i64..1000),
        fetched in 0_usize..10,
        limit in 1_usize..10,
    ) {
        let to = advance(old, fetched, limit, last, now);
        prop_assert!(to >= old);
        prop_assert!(to <= old.max(now));
        if fetched < limit {
            prop_assert_eq!(to, old.max(now));
        }
        if let (Some(last), true) = (last, fetched >= limit) {
            prop_assert!(to <= old.max(last));
        }
    }

    /// A scan rereads the window behind its cursor, but never before the cursor existed.
    #[test]
    fn scans_start_behind_the_cursor_but_not_before_it_began(
        since in 0_i64..10_000,
        ahead in 0_i64..10_000,
        window in 0_i64..10_000,
    ) {
        let at = |s: i64| t(0) + chrono::Duration::seconds(s);
        let (since, cursor) = (at(since), at(since + ahead));
        let from = scan_from(since, cursor, chrono::Duration::seconds(window));
        prop_assert!(from >= since && from <= cursor);
        prop_assert_eq!(from, (cursor - chrono::Duration::seconds(window)).max(since));
    }

    /// Whatever the data, a frame is one event: id, event and one data line, then a blank line.
    #[test]
    fn a_frame_is_one_event_whatever_the_data(data in ".*") {
        let frame = sse_frame("0193", EventKind::DispatchRefused, &data);
        prop_assert!(frame.ends_with("\n\n"));
        let lines: Vec<&str> = frame.trim_end_matches('\n').split('\n').collect();
        prop_assert_eq!(lines.len(), 3);
        prop_assert_eq!(lines[0], "id: 0193");
        prop_assert_eq!(lines[1], "event: dispatch.refused");
        prop_assert!(lines[2].starts_with("data: "));
    }

    /// A signature depends on every byte of the body and of the secret.
    #[test]
    fn a_signature_changes_with_the_body_and_the_secret(
        body in prop::collection::vec(any::<u8>(), 1..64),
        flip in any::<prop::sample::Index>(),
    ) {
        let secret = b"0123456789abcdef";
        let signed = signature(secret, &body);
        prop_assert!(signed.starts_with("sha256=") && signed.len() == 7 + 64);
        let mut other = body.clone();
        other[flip.index(body.len())] ^= 1;
        prop_assert_ne!(signature(secret, &other), signed.clone());
        prop_assert_ne!(signature(b"0123456789abcdeg", &body), signed);
    }
}

fn t(hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 12, 3)
        .unwrap()
        .and_hms_opt(hour, 0, 0)
        .unwrap()
}

#[test]
fn the_signature_is_hmac_sha256_of_rfc_4231() {
    // RFC 4231, test case 2.
    assert_eq!(
        signature(b"Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn kinds_read_and_write_the_same_names() {
    for kind in EventKind::ALL {
        assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        assert_eq!(
            serde_json::to_value(kind).unwrap(),
            serde_json::json!(kind.as_str())
        );
    }
    assert_eq!(EventKind::parse("dispatch"), None);
}

#[test]
fn an_enterprise_is_refused_another_firm_and_regions() {
    let own = Some("firm-a");
    assert_eq!(
        Filter::for_caller(Role::Enterprise, own, &[], Some("firm-b"), None),
        Err(ScopeError::OtherFirm)
    );
    assert_eq!(
        Filter::for_caller(Role::Enterprise, own, &[], None, Some("35")),
        Err(ScopeError::RegionNotAllowed)
    );
    // An enterprise account without a firm receives nothing.
    assert_eq!(
        Filter::for_caller(Role::Enterprise, None, &[], None, None),
        Err(ScopeError::Forbidden)
    );
    let filter = Filter::for_caller(Role::Enterprise, own, &[], Some("firm-a"), None).unwrap();
    assert_eq!(filter.kinds(), EventKind::ALL);
}

#[test]
fn webhook_urls_are_http_or_https_with_a_host() {
    for good in [
        "http://127.0.0.1:8081/hook",
        "https://alerts.example.com/precursor?x=1",
        "https://example.com",
    ] {
        assert!(is_webhook_url(good), "{good}");
    }
    for bad in [
        "",
        "ftp://example.com/",
        "example.com/hook",
        "http://",
        "https:///path",
        "http://:80/",
        "http://exa mple.com/",
        "javascript:alert(1)",
        "http://example.com/\nX-Injected: 1",
    ] {
        assert!(!is_webhook_url(bad), "{bad:?}");
    }
    assert!(!is_webhook_url(&format!(
        "https://example.com/{}",
        "a".repeat(2000)
    )));
}

#[test]
fn region_prefixes_are_one_to_six_digits() {
    assert!(is_region_prefix("35") && is_region_prefix("350902"));
    assert!(!is_region_prefix("") && !is_region_prefix("3509021") && !is_region_prefix("35a"));
}

#[test]
fn only_2xx_is_delivered() {
    assert!(is_success(200) && is_success(204) && is_success(299));
    assert!(!is_success(301) && !is_success(404) && !is_success(500) && !is_success(199));
}

fn shipment() -> ShipmentView {
    let at = t(8).and_utc();
    ShipmentView {
        dispatch_id: "dispatch-1".into(),
        seller: FirmRef {
            id: "seller".into(),
            name: "卖方".into(),
        },
        buyer: FirmRef {
            id: "buyer".into(),
            name: "买方".into(),
        },
        chemical_id: "acetone".into(),
        lot: None,
        quantity: "1.000".into(),
        shipment_ref: None,
        transport_permit_no: None,
        dispatched_at: at,
        due_by: at,
        age: 0,
        status: ShipmentState::Overdue,
        receipt: None,
        refusal: None,
        returned_by: None,
    }
}

#[test]
fn a_shipment_event_is_about_the_firm_whose_view_it_carries() {
    let view = shipment();
    let buyer = shipment_draft(EventKind::DispatchAddressed, Side::Buyer, &view, t(9)).unwrap();
    assert_eq!(
        (
            buyer.firm_id.as_str(),
            buyer.counterparty_firm_id.as_deref()
        ),
        ("buyer", Some("seller"))
    );
    let seller = shipment_draft(EventKind::DispatchOverdue, Side::Seller, &view, t(9)).unwrap();
    assert_eq!(
        (
            seller.firm_id.as_str(),
            seller.counterparty_firm_id.as_deref()
        ),
        ("seller", Some("buyer"))
    );
    assert_eq!(buyer.subject, "dispatch-1");
    let payload: serde_json::Value = serde_json::from_str(&buyer.payload).unwrap();
    assert_eq!(payload["dispatch_id"], "dispatch-1");
    assert_eq!(payload["status"], "overdue");
}
