//! The custody graph of one lot: where it came from and where every part of it went.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::model::{Entry, ExternalParty, Finding, Input, Party};
use super::validator::{counted_entries, shipments};
use crate::domain::quantity::format_thousandths as qty;
use crate::domain::CustodyRules;
use crate::domain::EntryKind;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TraceNode {
    /// A firm id, or `external:<credit code or name>` for an outside party.
    pub id: String,
    /// firm or external
    pub kind: &'static str,
    pub name: String,
    /// Came in (purchased, produced) and went out (sold, consumed, lost, disposed of).
    #[schema(example = "100.000")]
    pub received: String,
    pub produced: String,
    pub sent: String,
    pub consumed: String,
    pub lost: String,
    pub disposed: String,
    /// Book balance of the lot at the firm (after stocktakes).
    pub balance: String,
    /// Codes of the findings about this node's entries.
    pub finding_codes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TraceEdge {
    pub from: String,
    pub to: String,
    pub quantity: String,
    /// matched, in_transit, unmatched_dispatch, unmatched_receipt, external_sale or external_purchase
    pub state: &'static str,
    pub shipment_ref: Option<String>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    pub dispatch_entry_id: Option<String>,
    pub receipt_entry_id: Option<String>,
    pub finding_codes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TraceFinding {
    pub code: String,
    pub severity: String,
    pub firm_id: String,
    pub entry_ids: Vec<String>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Trace {
    pub chemical_id: String,
    /// Absent for movements filed without a lot.
    pub lot: Option<String>,
    pub nodes: Vec<TraceNode>,
    pub edges: Vec<TraceEdge>,
    pub findings: Vec<TraceFinding>,
}

#[derive(Default)]
struct Totals {
    received: i64,
    produced: i64,
    sent: i64,
    consumed: i64,
    lost: i64,
    disposed: i64,
    balance: i64,
}

fn external_id(party: &Party) -> Option<(String, String)> {
    match party {
        Party::External(outside) => {
            let ExternalParty {
                name, credit_code, ..
            } = &**outside;
            let key = credit_code
                .clone()
                .or_else(|| name.clone())
                .unwrap_or_else(|| "unknown".into());
            Some((
                format!("external:{key}"),
                name.clone().unwrap_or_else(|| key.clone()),
            ))
        }
        Party::Registered(_) => None,
    }
}

pub fn build(
    input: &Input,
    settings: &CustodyRules,
    findings: &[Finding],
    chemical_id: &str,
    lot: Option<&str>,
) -> Trace {
    let in_lot = |e: &Entry| &*e.chemical_id == chemical_id && e.lot.as_deref() == lot;
    let mut totals: BTreeMap<String, Totals> = BTreeMap::new();
    let mut externals: BTreeMap<String, String> = BTreeMap::new();
    let mut edges = Vec::new();
    let mut entries_by_id: HashMap<&str, &Entry> = HashMap::new();
    let mut ordered: Vec<&Entry> = counted_entries(input, settings)
        .into_iter()
        .filter(|e| in_lot(e))
        .collect();
    ordered.sort_by_key(|e| (e.firm_id.to_string(), e.occurred_at, e.seq));
    for e in ordered {
        entries_by_id.insert(&*e.id, e);
        let t = totals.entry(e.firm_id.to_string()).or_default();
        match e.kind {
            EntryKind::Purchase => t.received = t.received.saturating_add(e.quantity),
            EntryKind::Production => t.produced = t.produced.saturating_add(e.quantity),
            EntryKind::Sale => t.sent = t.sent.saturating_add(e.quantity),
            EntryKind::Consumption => t.consumed = t.consumed.saturating_add(e.quantity),
            EntryKind::Loss => t.lost = t.lost.saturating_add(e.quantity),
            EntryKind::Disposal => t.disposed = t.disposed.saturating_add(e.quantity),
            EntryKind::Stocktake | EntryKind::Reversal => {}
        }
        t.balance = match e.kind {
            EntryKind::Purchase | EntryKind::Production => t.balance.saturating_add(e.quantity),
            EntryKind::Stocktake => e.quantity,
            EntryKind::Reversal => t.balance,
            _ => t.balance.saturating_sub(e.quantity),
        };
        // Movements across the registry's edge: to and from outside parties.
        if let Some((ext, name)) = e.counterparty.as_ref().and_then(external_id) {
            externals.insert(ext.clone(), name);
            let (from, to, state) = if e.kind == EntryKind::Sale {
                (e.firm_id.to_string(), ext, "external_sale")
            } else {
                (ext, e.firm_id.to_string(), "external_purchase")
            };
            edges.push(TraceEdge {
                from,
                to,
                quantity: qty(e.quantity),
                state,
                shipment_ref: e.shipment_ref.as_deref().map(str::to_string),
                dispatched_at: Some(e.occurred_at),
                received_at: None,
                dispatch_entry_id: (e.kind == EntryKind::Sale).then(|| e.id.to_string()),
                receipt_entry_id: (e.kind == EntryKind::Purchase).then(|| e.id.to_string()),
                finding_codes: vec![],
            });
        }
    }
    for s in shipments(input, settings) {
        let touches =
            s.dispatch.as_ref().is_some_and(in_lot) || s.receipt.as_ref().is_some_and(in_lot);
        if !touches {
            continue;
        }
        let (from, to, state) = match (&s.dispatch, &s.receipt) {
            (Some(d), Some(r)) => (d.firm_id.to_string(), r.firm_id.to_string(), "matched"),
            (Some(d), None) => {
                let buyer = match &d.counterparty {
                    Some(Party::Registered(b)) => b.to_string(),
                    _ => String::new(),
                };
                let state = if settings.as_of > d.occurred_at + settings.transit_window {
                    "unmatched_dispatch"
                } else {
                    "in_transit"
                };
                (d.firm_id.to_string(), buyer, state)
            }
            (None, Some(r)) => {
                let seller = match &r.counterparty {
                    Some(Party::Registered(b)) => b.to_string(),
                    _ => String::new(),
                };
                (seller, r.firm_id.to_string(), "unmatched_receipt")
            }
            (None, None) => continue,
        };
        for firm in [&from, &to] {
            totals.entry(firm.clone()).or_default();
        }
        let quantity = s
            .dispatch
            .as_ref()
            .or(s.receipt.as_ref())
            .map(|e| e.quantity)
            .unwrap_or(0);
        edges.push(TraceEdge {
            from,
            to,
            quantity: qty(quantity),
            state,
            shipment_ref: s
                .dispatch
                .as_ref()
                .and_then(|d| d.shipment_ref.as_deref())
                .or_else(|| s.receipt.as_ref().and_then(|r| r.shipment_ref.as_deref()))
                .map(str::to_string),
            dispatched_at: s.dispatch.as_ref().map(|d| d.occurred_at),
            received_at: s.receipt.as_ref().map(|r| r.occurred_at),
            dispatch_entry_id: s.dispatch.as_ref().map(|d| d.id.to_string()),
            receipt_entry_id: s.receipt.as_ref().map(|r| r.id.to_string()),
            finding_codes: vec![],
        });
    }

    // Findings about this lot's entries (or, for a broken chain, about a firm in the graph).
    let mut relevant = Vec::new();
    for f in findings {
        let about_lot = f.chemical_id.as_deref() == Some(chemical_id) && f.lot.as_deref() == lot;
        let about_entries = f
            .entry_ids
            .iter()
            .chain(&f.counterparty_entry_ids)
            .any(|id| entries_by_id.contains_key(id.as_str()));
        if about_lot || about_entries {
            relevant.push(f);
        }
    }
    for edge in &mut edges {
        for f in &relevant {
            let ids: Vec<&String> = f
                .entry_ids
                .iter()
                .chain(&f.counterparty_entry_ids)
                .collect();
            if ids.iter().any(|id| {
                Some(id.as_str()) == edge.dispatch_entry_id.as_deref()
                    || Some(id.as_str()) == edge.receipt_entry_id.as_deref()
            }) {
                edge.finding_codes.push(f.code.as_str().to_string());
            }
        }
    }
    edges.sort_by(|a, b| {
        (a.dispatched_at.or(a.received_at), &a.from, &a.to).cmp(&(
            b.dispatched_at.or(b.received_at),
            &b.from,
            &b.to,
        ))
    });
    let name = |id: &str| {
        input
            .firms
            .get(id)
            .map(|f| f.name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let mut nodes: Vec<TraceNode> = totals
        .into_iter()
        .filter(|(id, _)| !id.is_empty())
        .map(|(id, t)| TraceNode {
            name: name(&id),
            kind: "firm",
            received: qty(t.received),
            produced: qty(t.produced),
            sent: qty(t.sent),
            consumed: qty(t.consumed),
            lost: qty(t.lost),
            disposed: qty(t.disposed),
            balance: qty(t.balance),
            finding_codes: relevant
                .iter()
                .filter(|f| f.firm_id == id)
                .map(|f| f.code.as_str().to_string())
                .collect(),
            id,
        })
        .collect();
    let zero = qty(0);
    nodes.extend(externals.into_iter().map(|(id, name)| TraceNode {
        id,
        kind: "external",
        name,
        received: zero.clone(),
        produced: zero.clone(),
        sent: zero.clone(),
        consumed: zero.clone(),
        lost: zero.clone(),
        disposed: zero.clone(),
        balance: zero.clone(),
        finding_codes: vec![],
    }));
    Trace {
        chemical_id: chemical_id.to_string(),
        lot: lot.map(str::to_string),
        nodes,
        edges,
        findings: relevant
            .into_iter()
            .map(|f| TraceFinding {
                code: f.code.as_str().to_string(),
                severity: f.severity.as_str().to_string(),
                firm_id: f.firm_id.to_string(),
                entry_ids: f
                    .entry_ids
                    .iter()
                    .chain(&f.counterparty_entry_ids)
                    .cloned()
                    .collect(),
                message: f.message_zh.clone(),
            })
            .collect(),
    }
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The graph in Graphviz DOT: firms as boxes, outside parties as ellipses, findings in red.
pub fn to_dot(trace: &Trace) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph custody {{");
    let _ = writeln!(out, "  rankdir=LR;");
    let _ = writeln!(
        out,
        "  label=\"{}\";",
        dot_escape(&format!(
            "lot {} of {}",
            trace.lot.as_deref().unwrap_or("(none)"),
            trace.chemical_id
        ))
    );
    for n in &trace.nodes {
        let shape = if n.kind == "firm" { "box" } else { "ellipse" };
        let color = if n.finding_codes.is_empty() {
            "black"
        } else {
            "red"
        };
        let label = if n.kind == "firm" {
            format!(
                "{}\\nin {} (made {}) / out {}\\nused {} lost {} disposed {}\\nbalance {}",
                dot_escape(&n.name),
                n.received,
                n.produced,
                n.sent,
                n.consumed,
                n.lost,
                n.disposed,
                n.balance
            )
        } else {
            dot_escape(&n.name)
        };
        let _ = writeln!(
            out,
            "  \"{}\" [shape={shape}, color={color}, label=\"{label}\"];",
            dot_escape(&n.id)
        );
    }
    for e in &trace.edges {
        let color = if e.finding_codes.is_empty()
            && matches!(
                e.state,
                "matched" | "external_sale" | "external_purchase" | "in_transit"
            ) {
            "black"
        } else {
            "red"
        };
        let mut label = format!("{} ({})", e.quantity, e.state);
        if !e.finding_codes.is_empty() {
            label.push_str(&format!("\\n{}", e.finding_codes.join(", ")));
        }
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\" [color={color}, label=\"{}\"];",
            dot_escape(&e.from),
            dot_escape(&e.to),
            dot_escape(&label).replace("\\\\n", "\\n")
        );
    }
    let _ = writeln!(out, "}}");
    out
}
