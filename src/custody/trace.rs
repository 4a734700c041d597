//! The custody graph of one lot: where it came from and where every part of it went.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::{Entry, ExternalParty, Finding, Input, Party};
use super::validator::{counted_entries, shipments, Shipment};
use crate::auth::{policy, Principal};
use crate::db::DbConnection;
use crate::domain::quantity::format_thousandths as qty;
use crate::domain::{time, CustodyRules, EntryKind, Role};
use crate::error::{AppError, FieldError};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TraceQuery {
    #[param(required = true, value_type = uuid::Uuid)]
    pub chemical_id: Option<String>,
    /// Omit to trace the chemical's movements filed without a lot.
    pub lot: Option<String>,
    /// `json` (the graph, the default) or `epcis`: every firm's entries of the lot as one
    /// EPCIS 2.0 document (also `Accept: application/ld+json`).
    #[param(schema_with = trace_format)]
    pub format: Option<String>,
}

fn trace_format() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::named(&["json", "epcis"])
}

impl TraceQuery {
    /// The chemical and lot asked for; a 422 without a chemical.
    fn lot(&self) -> Result<(&str, Option<&str>), AppError> {
        let Some(chemical) = self
            .chemical_id
            .as_deref()
            .map(str::trim)
            .filter(|c| Uuid::parse_str(c).is_ok())
        else {
            return Err(AppError::Validation(vec![FieldError::new(
                "chemical_id",
                "invalid_id",
                "give the catalog id of the chemical",
            )]));
        };
        // No lot: the chemical's movements filed without a lot (category 3 may be kept so).
        let lot = self.lot.as_deref().map(str::trim).filter(|l| !l.is_empty());
        Ok((chemical, lot))
    }
}

/// `GET /custody/trace?format=epcis` (regulators): every firm's entries of the lot, in the
/// order they happened, as one EPCIS 2.0 document.
pub fn epcis(
    conn: &mut DbConnection,
    who: &Principal,
    query: &TraceQuery,
) -> Result<serde_json::Value, AppError> {
    policy::require_role(who, &[Role::Regulator])?;
    let (chemical, lot) = query.lot()?;
    let rows = crate::ledger::store::for_lot(conn, chemical, lot)?;
    crate::ledger::epcis::export::document(conn, &rows)
}

/// `GET /custody/trace` (regulators): the graph of one lot as of now, with the findings that
/// fire now.
pub fn trace(
    conn: &mut DbConnection,
    who: &Principal,
    query: &TraceQuery,
    rules: &CustodyRules,
) -> Result<Trace, AppError> {
    policy::require_role(who, &[Role::Regulator])?;
    let (chemical, lot) = query.lot()?;
    let input = super::store::load_input(conn, rules.thresholds)?;
    let settings = CustodyRules {
        as_of: time::from_db(time::now()),
        ..*rules
    };
    let findings = super::validator::validate(&input, &settings);
    Ok(build(&input, &settings, &findings, chemical, lot))
}

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

impl Totals {
    fn add(&mut self, e: &Entry) {
        match e.kind {
            EntryKind::Purchase => self.received = self.received.saturating_add(e.quantity),
            EntryKind::Production => self.produced = self.produced.saturating_add(e.quantity),
            EntryKind::Sale => self.sent = self.sent.saturating_add(e.quantity),
            EntryKind::Consumption => self.consumed = self.consumed.saturating_add(e.quantity),
            EntryKind::Loss => self.lost = self.lost.saturating_add(e.quantity),
            EntryKind::Disposal => self.disposed = self.disposed.saturating_add(e.quantity),
            EntryKind::Stocktake | EntryKind::Reversal => {}
        }
        self.balance = match e.kind {
            EntryKind::Purchase | EntryKind::Production => self.balance.saturating_add(e.quantity),
            EntryKind::Stocktake => e.quantity,
            EntryKind::Reversal => self.balance,
            _ => self.balance.saturating_sub(e.quantity),
        };
    }
}

fn external_id(party: &Party) -> Option<(String, String)> {
    match party {
        Party::External(outside) => {
            let ExternalParty {
                name,
                credit_code,
                resident_id,
                ..
            } = &**outside;
            let key = credit_code
                .clone()
                .or_else(|| resident_id.clone())
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

/// The graph while it is drawn: each firm's totals, the outside parties, the movements, and the
/// lot's entries by id (to find the findings about them).
#[derive(Default)]
struct Graph<'a> {
    totals: BTreeMap<String, Totals>,
    externals: BTreeMap<String, String>,
    edges: Vec<TraceEdge>,
    entries: HashMap<&'a str, &'a Entry>,
}

impl<'a> Graph<'a> {
    /// An entry of the lot: its firm's totals, and an edge when it crosses the registry's edge.
    fn add_entry(&mut self, e: &'a Entry) {
        self.entries.insert(&*e.id, e);
        self.totals.entry(e.firm_id.to_string()).or_default().add(e);
        // Movements across the registry's edge: to and from outside parties.
        if let Some((ext, name)) = e.counterparty.as_ref().and_then(external_id) {
            self.externals.insert(ext.clone(), name);
            let (from, to, state) = if e.kind == EntryKind::Sale {
                (e.firm_id.to_string(), ext, "external_sale")
            } else {
                (ext, e.firm_id.to_string(), "external_purchase")
            };
            self.edges.push(TraceEdge {
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

    /// A shipment between registered firms, matched or not.
    fn add_shipment(&mut self, s: &Shipment, settings: &CustodyRules) {
        let Some((from, to, state)) = shipment_ends(s, settings) else {
            return;
        };
        for firm in [&from, &to] {
            self.totals.entry(firm.clone()).or_default();
        }
        let quantity = s
            .dispatch
            .as_ref()
            .or(s.receipt.as_ref())
            .map(|e| e.quantity)
            .unwrap_or(0);
        self.edges.push(TraceEdge {
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
}

/// Seller, buyer and state of a shipment; a missing end is the firm its other end names.
fn shipment_ends(s: &Shipment, settings: &CustodyRules) -> Option<(String, String, &'static str)> {
    let named = |e: &Entry| match &e.counterparty {
        Some(Party::Registered(b)) => b.to_string(),
        _ => String::new(),
    };
    match (&s.dispatch, &s.receipt) {
        (Some(d), Some(r)) => Some((d.firm_id.to_string(), r.firm_id.to_string(), "matched")),
        (Some(d), None) => {
            let state = if settings.as_of > d.occurred_at + settings.transit_window {
                "unmatched_dispatch"
            } else {
                "in_transit"
            };
            Some((d.firm_id.to_string(), named(d), state))
        }
        (None, Some(r)) => Some((named(r), r.firm_id.to_string(), "unmatched_receipt")),
        (None, None) => None,
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
    let mut graph = Graph::default();
    let mut ordered: Vec<&Entry> = counted_entries(input, settings)
        .into_iter()
        .filter(|e| in_lot(e))
        .collect();
    ordered.sort_by_key(|e| (e.firm_id.to_string(), e.occurred_at, e.seq));
    for e in ordered {
        graph.add_entry(e);
    }
    for s in shipments(input, settings) {
        if s.dispatch.as_ref().is_some_and(in_lot) || s.receipt.as_ref().is_some_and(in_lot) {
            graph.add_shipment(&s, settings);
        }
        // Refused goods that came back travelled a second time, from the buyer to the seller.
        if let Some(back) = s.returned_by.filter(in_lot) {
            let returned = Shipment {
                dispatch: None,
                receipt: Some(back),
                refused_at: None,
                returned_by: None,
            };
            graph.add_shipment(&returned, settings);
        }
    }
    let Graph {
        totals,
        externals,
        mut edges,
        entries,
    } = graph;

    // Findings about this lot's entries (or, for a broken chain, about a firm in the graph).
    let relevant: Vec<&Finding> = findings
        .iter()
        .filter(|f| {
            let about_lot =
                f.chemical_id.as_deref() == Some(chemical_id) && f.lot.as_deref() == lot;
            about_lot || ids_of(f).any(|id| entries.contains_key(id.as_str()))
        })
        .collect();
    tag_edges(&mut edges, &relevant);
    edges.sort_by(|a, b| {
        (a.dispatched_at.or(a.received_at), &a.from, &a.to).cmp(&(
            b.dispatched_at.or(b.received_at),
            &b.from,
            &b.to,
        ))
    });
    Trace {
        chemical_id: chemical_id.to_string(),
        lot: lot.map(str::to_string),
        nodes: nodes(input, totals, externals, &relevant),
        edges,
        findings: relevant.into_iter().map(trace_finding).collect(),
    }
}

/// The entries a finding is about, on both sides.
fn ids_of(f: &Finding) -> impl Iterator<Item = &String> {
    f.entry_ids.iter().chain(&f.counterparty_entry_ids)
}

/// Each edge carries the codes of the findings about its dispatch or receipt.
fn tag_edges(edges: &mut [TraceEdge], relevant: &[&Finding]) {
    for edge in edges {
        for f in relevant {
            if ids_of(f).any(|id| {
                Some(id.as_str()) == edge.dispatch_entry_id.as_deref()
                    || Some(id.as_str()) == edge.receipt_entry_id.as_deref()
            }) {
                edge.finding_codes.push(f.code.as_str().to_string());
            }
        }
    }
}

/// The firms with their totals and findings, then the outside parties.
fn nodes(
    input: &Input,
    totals: BTreeMap<String, Totals>,
    externals: BTreeMap<String, String>,
    relevant: &[&Finding],
) -> Vec<TraceNode> {
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
    nodes
}

fn trace_finding(f: &Finding) -> TraceFinding {
    TraceFinding {
        code: f.code.as_str().to_string(),
        severity: f.severity.as_str().to_string(),
        firm_id: f.firm_id.to_string(),
        entry_ids: ids_of(f).cloned().collect(),
        message: f.message_zh.clone(),
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
