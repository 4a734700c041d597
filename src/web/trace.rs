//! A lot's custody trace for regulators, drawn as a graph on the server (`custody::drawing`)
//! from the same trace as `GET /custody/trace`: firms with what came in, went out and is left,
//! shipments coloured by how they matched, the findings marked; and the same facts as tables.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::console::form::{given, Problems};
use crate::console::page::{html, local_time};
use crate::console::{Chrome, ConsoleUser, PageError, Texts};
use crate::custody::drawing::{self, Tone};
use crate::custody::pages::names;
use crate::custody::trace::{Trace, TraceEdge, TraceNode, TraceQuery};
use crate::db::Db;
use crate::domain::{CustodyRules, Role};
use crate::ledger::pages::labels::{chemical_options, ChemicalOption};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/trace").route(web::get().to(page)));
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Asked {
    chemical_id: String,
    lot: String,
}

struct EdgeRow {
    from: String,
    to: String,
    quantity: String,
    state: String,
    bad: bool,
    shipment_ref: String,
    dispatched_at: String,
    received_at: String,
}

struct FindingRow {
    code: String,
    severity: String,
    message: String,
}

#[derive(Template)]
#[template(path = "trace.html")]
struct TracePage {
    chrome: Chrome,
    asked: Asked,
    chemicals: Vec<ChemicalOption>,
    problems: Problems,
    /// The drawing, escaped by `custody::drawing`.
    svg: Option<String>,
    edges: Vec<EdgeRow>,
    findings: Vec<FindingRow>,
}

/// A code's name in the user's language (the findings pages' names).
fn code_name(texts: Texts, code: &str) -> String {
    crate::domain::Code::parse(code)
        .map_or(code, |c| names::code_name(texts, c))
        .to_string()
}

fn state_name(texts: Texts, state: &str) -> String {
    texts
        .get(&format!("trace.state_{state}"))
        .map_or_else(|| state.to_string(), str::to_string)
}

fn node(texts: Texts, n: &TraceNode) -> drawing::Node {
    let t = |k| texts.t(k);
    let mut lines = vec![n.name.clone()];
    if n.kind == "firm" {
        lines.push(format!(
            "{} {} · {} {} · {} {}",
            t("trace.in"),
            n.received,
            t("trace.made"),
            n.produced,
            t("trace.out"),
            n.sent
        ));
        lines.push(format!(
            "{} {} · {} {} · {} {}",
            t("trace.used"),
            n.consumed,
            t("trace.lost"),
            n.lost,
            t("trace.disposed"),
            n.disposed
        ));
        lines.push(format!("{} {}", t("trace.balance"), n.balance));
    }
    lines.extend(
        n.finding_codes
            .iter()
            .map(|c| format!("⚠ {}", code_name(texts, c))),
    );
    drawing::Node {
        id: n.id.clone(),
        lines,
        flagged: !n.finding_codes.is_empty(),
        external: n.kind != "firm",
    }
}

fn tone(e: &TraceEdge) -> Tone {
    match e.state {
        _ if !e.finding_codes.is_empty() => Tone::Bad,
        "matched" | "external_sale" | "external_purchase" => Tone::Good,
        "in_transit" => Tone::Pending,
        _ => Tone::Bad,
    }
}

fn drawn(texts: Texts, trace: &Trace, chemical: &str) -> String {
    let nodes: Vec<drawing::Node> = trace.nodes.iter().map(|n| node(texts, n)).collect();
    let edges: Vec<drawing::Edge> = trace
        .edges
        .iter()
        .map(|e| drawing::Edge {
            from: e.from.clone(),
            to: e.to.clone(),
            label: format!("{} · {}", e.quantity, state_name(texts, e.state)),
            tone: tone(e),
        })
        .collect();
    let title = format!(
        "{} {} {}",
        texts.t("trace.title"),
        chemical,
        trace.lot.as_deref().unwrap_or("")
    );
    drawing::render(&title, &nodes, &edges)
}

fn tables(texts: Texts, trace: &Trace) -> (Vec<EdgeRow>, Vec<FindingRow>) {
    let name = |id: &str| {
        trace
            .nodes
            .iter()
            .find(|n| n.id == id)
            .map_or_else(|| id.to_string(), |n| n.name.clone())
    };
    let edges = trace
        .edges
        .iter()
        .map(|e| EdgeRow {
            from: name(&e.from),
            to: name(&e.to),
            quantity: e.quantity.clone(),
            state: state_name(texts, e.state),
            bad: tone(e) == Tone::Bad,
            shipment_ref: e.shipment_ref.clone().unwrap_or_default(),
            dispatched_at: e.dispatched_at.map(local_time).unwrap_or_default(),
            received_at: e.received_at.map(local_time).unwrap_or_default(),
        })
        .collect();
    let findings = trace
        .findings
        .iter()
        .map(|f| FindingRow {
            code: code_name(texts, &f.code),
            severity: crate::domain::Severity::parse(&f.severity)
                .map_or(f.severity.as_str(), |s| names::severity_name(texts, s))
                .to_string(),
            message: f.message.clone(),
        })
        .collect();
    (edges, findings)
}

async fn page(
    user: ConsoleUser,
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    asked: web::Query<Asked>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Regulator])?;
    let (texts, principal, rules) = (user.texts(), user.principal.clone(), **rules);
    let asked = asked.into_inner();
    let query = given(&asked.chemical_id).map(|chemical_id| TraceQuery {
        chemical_id: Some(chemical_id),
        lot: given(&asked.lot),
        format: None,
    });
    let selected = asked.chemical_id.clone();
    let (chemicals, traced) = db
        .run(move |conn| {
            let chemicals = chemical_options(conn, texts, &selected)?;
            let traced = query.map(|q| crate::custody::trace::trace(conn, &principal, &q, &rules));
            Ok((chemicals, traced))
        })
        .await
        .map_err(|e| user.failed(e))?;
    let chemical = chemicals
        .iter()
        .find(|c| c.selected)
        .map(|c| c.label.clone())
        .unwrap_or_default();
    let mut view = TracePage {
        chrome: user.chrome("/trace"),
        asked,
        chemicals,
        problems: Problems::default(),
        svg: None,
        edges: Vec::new(),
        findings: Vec::new(),
    };
    let status = match traced {
        None => StatusCode::OK,
        Some(Ok(trace)) => {
            view.svg = (!trace.nodes.is_empty()).then(|| drawn(texts, &trace, &chemical));
            (view.edges, view.findings) = tables(texts, &trace);
            StatusCode::OK
        }
        Some(Err(e)) => {
            view.problems = Problems::of(texts, &e).ok_or_else(|| user.failed(e))?;
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    Ok(html(status, &view))
}
