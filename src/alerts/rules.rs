//! The pure rules of alerts: the kinds of event, who may receive which event (the scope of a
//! subscription or a stream), how far a scanner's cursor moves, when a failed delivery is tried
//! again, and how a delivery is signed. No I/O.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::domain::Role;

/// What happened, as a subscriber names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub enum EventKind {
    /// A registered firm filed a sale naming this firm as the buyer. About the buyer.
    #[serde(rename = "dispatch.addressed")]
    DispatchAddressed,
    /// A dispatch passed its `due_by` without a matching receipt. One event about the seller and
    /// one about the buyer, each with the shipment as that firm sees it.
    #[serde(rename = "dispatch.overdue")]
    DispatchOverdue,
    /// The buyer refused a dispatch. About the seller.
    #[serde(rename = "dispatch.refused")]
    DispatchRefused,
    /// A validation run found a new critical custody finding. About the finding's firm.
    #[serde(rename = "finding.critical")]
    FindingCritical,
}

impl EventKind {
    pub const ALL: [EventKind; 4] = [
        EventKind::DispatchAddressed,
        EventKind::DispatchOverdue,
        EventKind::DispatchRefused,
        EventKind::FindingCritical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::DispatchAddressed => "dispatch.addressed",
            EventKind::DispatchOverdue => "dispatch.overdue",
            EventKind::DispatchRefused => "dispatch.refused",
            EventKind::FindingCritical => "finding.critical",
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// What a filter looks at in an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMeta<'a> {
    pub kind: EventKind,
    /// The firm the event is about.
    pub firm_id: &'a str,
    /// That firm's region code (行政区划代码).
    pub region_code: &'a str,
}

/// Which events a subscription (or a stream) receives. Built only by [`Filter::for_caller`], so
/// an enterprise's filter always names its own firm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    kinds: Vec<EventKind>,
    firm_id: Option<String>,
    region_prefix: Option<String>,
}

/// Why a caller may not have the filter it asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeError {
    /// The role receives no events at all (association, admin): 403.
    Forbidden,
    /// An enterprise asked for another firm's events: 404, as for any other firm's object.
    OtherFirm,
    /// An enterprise asked for a region: only regulators watch regions (422 on `region_code`).
    RegionNotAllowed,
}

impl Filter {
    /// The filter a caller may hold. An enterprise: events about its own firm only (a `firm_id`
    /// naming another firm is refused, a region too). A regulator: one firm, a region prefix,
    /// both, or everything. No kinds means all kinds.
    pub fn for_caller(
        role: Role,
        own_firm: Option<&str>,
        kinds: &[EventKind],
        firm_id: Option<&str>,
        region_prefix: Option<&str>,
    ) -> Result<Filter, ScopeError> {
        let mut kinds = if kinds.is_empty() {
            EventKind::ALL.to_vec()
        } else {
            kinds.to_vec()
        };
        kinds.sort_unstable();
        kinds.dedup();
        let (firm_id, region_prefix) = match (role, own_firm) {
            (Role::Enterprise, Some(own)) => {
                if firm_id.is_some_and(|f| f != own) {
                    return Err(ScopeError::OtherFirm);
                }
                if region_prefix.is_some() {
                    return Err(ScopeError::RegionNotAllowed);
                }
                (Some(own.to_string()), None)
            }
            (Role::Regulator, _) => (
                firm_id.map(str::to_string),
                region_prefix.map(str::to_string),
            ),
            _ => return Err(ScopeError::Forbidden),
        };
        Ok(Filter {
            kinds,
            firm_id,
            region_prefix,
        })
    }

    /// Rebuilds a stored subscription's filter. A stored enterprise subscription keeps its firm.
    pub fn stored(
        kinds: Vec<EventKind>,
        firm_id: Option<String>,
        region_prefix: Option<String>,
    ) -> Filter {
        Filter {
            kinds,
            firm_id,
            region_prefix,
        }
    }

    pub fn kinds(&self) -> &[EventKind] {
        &self.kinds
    }

    pub fn firm_id(&self) -> Option<&str> {
        self.firm_id.as_deref()
    }

    pub fn region_prefix(&self) -> Option<&str> {
        self.region_prefix.as_deref()
    }

    /// Does this filter receive the event?
    pub fn matches(&self, event: &EventMeta<'_>) -> bool {
        self.kinds.contains(&event.kind)
            && self.firm_id.as_deref().is_none_or(|f| f == event.firm_id)
            && self
                .region_prefix
                .as_deref()
                .is_none_or(|p| event.region_code.starts_with(p))
    }
}

/// A region filter: 1 to 6 digits, a prefix of region codes (`35` a province, `3509` a city).
pub fn is_region_prefix(text: &str) -> bool {
    (1..=6).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// A webhook URL: `http://` or `https://`, a host, no spaces or control characters, at most
/// 2000 characters.
pub fn is_webhook_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    let Some(rest) = rest else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    text.len() <= 2000
        && !host.is_empty()
        && !host.starts_with(':')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// How long a source of facts is read again behind its cursor, for facts whose transaction
/// committed after a later one was already scanned. Facts already turned into events are skipped
/// (an event's identity is unique), so reading again never sends anything twice.
pub fn rescan_window(source: Source) -> chrono::Duration {
    match source {
        Source::Sales | Source::Refusals | Source::Overdue => chrono::Duration::minutes(2),
        // A validation run stamps its findings with its start and may run for a while.
        Source::Findings => chrono::Duration::minutes(30),
    }
}

/// Where the scanner reads facts from; each keeps its own cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Sales naming a registered buyer, by `recorded_at`.
    Sales,
    /// Dispatches by `due_by` (their `occurred_at` plus the transit window).
    Overdue,
    /// Buyers' refusals, by `refused_at`.
    Refusals,
    /// Custody findings, by `first_seen_at`.
    Findings,
}

impl Source {
    pub const ALL: [Source; 4] = [
        Source::Sales,
        Source::Overdue,
        Source::Refusals,
        Source::Findings,
    ];

    pub fn cursor_name(self) -> &'static str {
        match self {
            Source::Sales => "sales",
            Source::Overdue => "overdue",
            Source::Refusals => "refusals",
            Source::Findings => "findings",
        }
    }
}

/// Where a scan starts reading: the rescan window behind the cursor, but never before the cursor
/// was created (facts from before alerts existed make no events).
pub fn scan_from<T>(since: T, cursor: T, window: chrono::Duration) -> T
where
    T: Ord + Copy + std::ops::Sub<chrono::Duration, Output = T>,
{
    (cursor - window).max(since)
}

/// Where a cursor moves after a scan that read `fetched` facts of at most `limit`, the last one
/// at `last`: to `now` when the scan saw everything, else only to the last fact read (the rest
/// waits for the next scan). Never backwards, never past `now`.
pub fn advance<T: Ord + Copy>(old: T, fetched: usize, limit: usize, last: Option<T>, now: T) -> T {
    let to = match last {
        Some(last) if fetched >= limit => last.min(now),
        _ => now,
    };
    to.max(old)
}

/// When deliveries are tried and given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles after each further one.
    pub base: Duration,
    /// The longest wait between two attempts.
    pub cap: Duration,
    /// Attempts in all; after the last one fails the delivery is `failed`.
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// The wait after `failed` attempts have failed (1 → `base`, 2 → 2·`base`, …, at most `cap`).
    pub fn backoff(&self, failed: u32) -> Duration {
        let doublings = failed.saturating_sub(1).min(31);
        self.base
            .checked_mul(1_u32 << doublings)
            .unwrap_or(self.cap)
            .min(self.cap)
    }

    /// What follows an attempt, given how many attempts have now been made.
    pub fn after_attempt(&self, attempts: u32, succeeded: bool) -> Next {
        if succeeded {
            Next::Delivered
        } else if attempts >= self.max_attempts {
            Next::Failed
        } else {
            Next::RetryIn(self.backoff(attempts))
        }
    }
}

/// The state a delivery moves to after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    RetryIn(Duration),
    Failed,
}

/// A receiver's answer counts as delivered when it is 2xx.
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// `X-Precursor-Signature`: `sha256=` and the hex HMAC-SHA256 of the body under the secret.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// One server-sent event: `id:`, `event:` and one `data:` line (the JSON has no newlines).
pub fn sse_frame(id: &str, kind: EventKind, data: &str) -> String {
    let data = data.replace(['\r', '\n'], " ");
    format!("id: {id}\nevent: {}\ndata: {data}\n\n", kind.as_str())
}

/// A comment line that keeps an idle stream (and the proxies on its way) open.
pub const SSE_KEEPALIVE: &str = ": keep-alive\n\n";
