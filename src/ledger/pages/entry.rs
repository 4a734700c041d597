//! One entry of the clerk's own ledger, shown as its receipt: where it sits in the chain (seq)
//! and its hash, and its leaf in the registry's tree, which the firm can keep as proof of the
//! filing.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::labels::kind_label;
use crate::console::page::{html, local_time};
use crate::console::{Chrome, ConsoleUser, PageError};
use crate::db::Db;
use crate::domain::EntryKind;
use crate::ledger;

#[derive(Template)]
#[template(path = "ledger_entry.html")]
struct EntryPage {
    chrome: Chrome,
    filed: bool,
    /// (label, value) in the order shown.
    facts: Vec<(&'static str, String)>,
    id: String,
    seq: i64,
    hash: String,
    prev_hash: String,
    /// Its leaf in the registry's Merkle tree.
    leaf: Option<u64>,
    reversible: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shown {
    filed: Option<String>,
}

pub async fn page(
    user: ConsoleUser,
    db: web::Data<Db>,
    entry_id: web::Path<String>,
    shown: web::Query<Shown>,
) -> Result<HttpResponse, PageError> {
    let firm = user.own_firm()?;
    let id = user.path_id(&entry_id)?;
    let (texts, principal) = (user.texts(), user.principal.clone());
    let (entry, labels) = db
        .run(move |conn| {
            let entry = ledger::get(conn, &principal, firm, id)?;
            let labels = crate::chemicals::store::labels(conn, &[entry.chemical_id.to_string()])?;
            Ok((entry, labels))
        })
        .await
        .map_err(|e| user.failed(e))?;
    let (chemical, unit) = crate::chemicals::label(texts, &labels, &entry.chemical_id.to_string());
    let counterparty = entry.counterparty.as_ref().map(|c| {
        [
            c.name.clone(),
            c.credit_code.clone(),
            c.permit_no.clone(),
            c.resident_id.clone(),
        ]
        .into_iter()
        .flatten()
        .chain(c.firm_id.map(|f| f.to_string()))
        .collect::<Vec<_>>()
        .join(" · ")
    });
    let optional = |key: &'static str, v: &Option<String>| v.clone().map(|v| (key, v));
    let mut facts = vec![
        ("ledger.kind", kind_label(texts, entry.kind).to_string()),
        ("ledger.chemical", chemical),
        ("ledger.quantity", format!("{} {unit}", entry.quantity)),
        ("ledger.occurred_at", local_time(entry.occurred_at)),
        ("ledger.recorded_at", local_time(entry.recorded_at)),
    ];
    facts.extend(
        [
            optional("ledger.lot", &entry.lot),
            optional("ledger.counterparty", &counterparty),
            optional(
                "ledger.payment",
                &entry
                    .payment
                    .as_deref()
                    .map(|p| super::labels::payment_label(texts, p).to_string()),
            ),
            optional("ledger.shipment_ref", &entry.shipment_ref),
            optional("ledger.permit_no", &entry.permit_no),
            optional("ledger.transport_permit_no", &entry.transport_permit_no),
            optional("ledger.warehouse", &entry.warehouse),
            optional("ledger.note", &entry.note),
            optional("ledger.reverses", &entry.reverses.map(|r| r.to_string())),
        ]
        .into_iter()
        .flatten(),
    );
    let page = EntryPage {
        chrome: user.chrome("/ledger"),
        filed: shown.filed.is_some(),
        facts,
        id: entry.id.to_string(),
        seq: entry.seq,
        hash: entry.hash,
        prev_hash: entry.prev_hash,
        leaf: entry.leaf_index,
        reversible: entry.kind != EntryKind::Reversal,
    };
    Ok(html(StatusCode::OK, &page))
}
