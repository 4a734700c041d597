//! The ledger table (filters, 50 a page, the balance of each entry's lot after it) and the
//! inventory.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDate, TimeZone};
use serde::Deserialize;

use super::labels::{chemical_options, kind_label, kind_options, ChemicalOption};
use crate::console::form::{given, Problems};
use crate::console::page::{html, local_time};
use crate::console::{Chrome, ConsoleUser, PageError, Texts};
use crate::db::{Db, DbConnection};
use crate::domain::quantity::format_thousandths;
use crate::domain::{time, EntryKind};
use crate::error::AppError;
use crate::ledger::{self, inventory, store, LedgerEntry, LedgerQuery};

const PAGE_SIZE: &str = "50";

/// The filters as the form sends them: dates (`YYYY-MM-DD` on the console's clock), both ends
/// included.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    chemical_id: String,
    #[serde(default)]
    lot: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    cursor: Option<String>,
    filed: Option<usize>,
}

/// Midnight of a day on the console's clock, as RFC 3339.
fn day_start(field: &'static str, text: &str, days_later: i64) -> Result<String, AppError> {
    let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::field(field, "invalid_time", "is not a date (YYYY-MM-DD)"))?;
    let start = crate::console::page::clock()
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .ok_or_else(|| AppError::field(field, "invalid_time", "is not a date"))?;
    Ok((start + Duration::days(days_later)).to_rfc3339())
}

impl Filters {
    /// The API's query for these filters: the same parse, the same errors.
    pub(super) fn query(&self, limit: Option<&str>) -> Result<LedgerQuery, AppError> {
        let mut errors = Vec::new();
        let mut day = |field, text: &str, later| match given(text) {
            None => None,
            Some(t) => day_start(field, &t, later)
                .map_err(|e| {
                    if let AppError::Validation(mut more) = e {
                        errors.append(&mut more);
                    }
                })
                .ok(),
        };
        let (from, to) = (day("from", &self.from, 0), day("to", &self.to, 1));
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(LedgerQuery {
            kind: given(&self.kind),
            chemical_id: given(&self.chemical_id),
            lot: given(&self.lot),
            from,
            to,
            limit: limit.map(str::to_string),
            cursor: self.cursor.clone(),
            ..LedgerQuery::default()
        })
    }

    /// The query string of these filters (for the next page and the export).
    fn encoded(&self) -> String {
        let pairs = [
            ("kind", &self.kind),
            ("chemical_id", &self.chemical_id),
            ("lot", &self.lot),
            ("from", &self.from),
            ("to", &self.to),
        ];
        serde_urlencoded::to_string(
            pairs
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default()
    }
}

/// One row of the table.
struct Row {
    id: String,
    seq: i64,
    occurred_at: String,
    kind: &'static str,
    chemical: String,
    lot: String,
    /// Signed: what the entry did to the lot (`+`, `−`, `=` for a count).
    quantity: String,
    counterparty: String,
    shipment_ref: String,
    /// The lot's balance after this entry; empty for a reversal or a reversed entry.
    balance: String,
    reversed: bool,
}

#[derive(Template)]
#[template(path = "ledger.html")]
struct TablePage {
    chrome: Chrome,
    kinds: Vec<(&'static str, &'static str, bool)>,
    chemicals: Vec<ChemicalOption>,
    filters: Filters,
    problems: Problems,
    rows: Vec<Row>,
    next_page: Option<String>,
    export: String,
    notice: Option<String>,
}

type Labels = HashMap<String, (String, String, String)>;

fn sign(kind: EntryKind) -> &'static str {
    match inventory::effect(kind, 0) {
        inventory::Effect::Add(_) => "+",
        inventory::Effect::Remove(_) => "−",
        inventory::Effect::SetTo(_) => "=",
        inventory::Effect::None => "",
    }
}

/// What the table needs besides the entries: chemical labels, counterparty names, balances.
struct Context {
    labels: Labels,
    firms: HashMap<String, String>,
    after: HashMap<String, i64>,
}

fn row(e: LedgerEntry, cx: &Context, texts: Texts) -> Row {
    let after = &cx.after;
    let (chemical, unit) = crate::chemicals::label(texts, &cx.labels, &e.chemical_id.to_string());
    let id = e.id.to_string();
    let counterparty = e.counterparty.as_ref().map_or(String::new(), |c| {
        c.name
            .clone()
            .or_else(|| c.credit_code.clone())
            .or_else(|| {
                c.firm_id
                    .and_then(|f| cx.firms.get(&f.to_string()).cloned())
            })
            .unwrap_or_default()
    });
    Row {
        seq: e.seq,
        occurred_at: local_time(e.occurred_at),
        kind: kind_label(texts, e.kind),
        chemical,
        lot: e.lot.unwrap_or_default(),
        quantity: format!("{}{} {unit}", sign(e.kind), e.quantity),
        counterparty,
        shipment_ref: e.shipment_ref.unwrap_or_default(),
        balance: after
            .get(&id)
            .map(|b| format!("{} {unit}", format_thousandths(*b)))
            .unwrap_or_default(),
        reversed: e.kind != EntryKind::Reversal && !after.contains_key(&id),
        id,
    }
}

/// The balance of its lot after each entry of these chemicals, by entry id.
fn balances_after(
    conn: &mut DbConnection,
    firm: uuid::Uuid,
    entries: &[LedgerEntry],
) -> Result<HashMap<String, i64>, AppError> {
    let mut chemicals: Vec<String> = entries.iter().map(|e| e.chemical_id.to_string()).collect();
    chemicals.sort();
    chemicals.dedup();
    let rows = store::movements(conn, firm, &chemicals)?;
    let movements = rows
        .iter()
        .map(
            |(id, seq, kind, chemical, lot, quantity, occurred_at, reverses)| {
                Ok(inventory::Movement {
                    id,
                    seq: *seq,
                    kind: EntryKind::parse(kind)
                        .ok_or_else(|| AppError::internal(format!("entry {id} has kind {kind}")))?,
                    chemical_id: chemical,
                    lot: lot.as_deref(),
                    quantity: *quantity,
                    occurred_at: time::from_db(*occurred_at),
                    reverses: reverses.as_deref(),
                })
            },
        )
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(inventory::running(&movements)
        .into_iter()
        .map(|(id, b)| (id.to_string(), b))
        .collect())
}

pub async fn page(
    user: ConsoleUser,
    db: web::Data<Db>,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let firm = user.own_firm()?;
    let (texts, principal) = (user.texts(), user.principal.clone());
    let filters = filters.into_inner();
    let query = filters.query(Some(PAGE_SIZE));
    let selected = filters.chemical_id.clone();
    let outcome = db
        .run(move |conn| {
            let chemicals = chemical_options(conn, texts, &selected)?;
            let listed = query.and_then(|q| q.parse()).and_then(|listing| {
                let page = ledger::list(conn, &principal, firm, listing)?;
                let ids: Vec<String> = page
                    .items
                    .iter()
                    .map(|e| e.chemical_id.to_string())
                    .collect();
                let parties: Vec<String> = page
                    .items
                    .iter()
                    .filter_map(|e| e.counterparty.as_ref()?.firm_id.map(|f| f.to_string()))
                    .collect();
                let cx = Context {
                    labels: crate::chemicals::store::labels(conn, &ids)?,
                    firms: crate::firms::store::names(conn, &parties)?,
                    after: balances_after(conn, firm, &page.items)?,
                };
                Ok((page, cx))
            });
            Ok((chemicals, listed))
        })
        .await
        .map_err(|e| user.failed(e))?;
    let (chemicals, listed) = outcome;
    let (status, problems, rows, next_page) = match listed {
        Ok((page, cx)) => {
            let next = page.next_cursor.clone().map(|c| {
                let more = filters.encoded();
                format!(
                    "/ledger?{more}{}cursor={c}",
                    if more.is_empty() { "" } else { "&" }
                )
            });
            let rows = page.items.into_iter().map(|e| row(e, &cx, texts)).collect();
            (StatusCode::OK, Problems::default(), rows, next)
        }
        Err(e) => match Problems::of(texts, &e) {
            Some(problems) => (StatusCode::UNPROCESSABLE_ENTITY, problems, Vec::new(), None),
            None => return Err(user.failed(e)),
        },
    };
    let notice = filters
        .filed
        .map(|n| texts.t("ledger.filed_n").replace("{n}", &n.to_string()));
    let page = TablePage {
        chrome: user.chrome("/ledger"),
        kinds: kind_options(texts, &filters.kind),
        export: filters.encoded(),
        chemicals,
        filters,
        problems,
        rows,
        next_page,
        notice,
    };
    Ok(html(status, &page))
}

struct Holding {
    chemical: String,
    lot: String,
    quantity: String,
    negative: bool,
}

#[derive(Template)]
#[template(path = "inventory.html")]
struct InventoryPage {
    chrome: Chrome,
    as_of: String,
    holdings: Vec<Holding>,
}

/// The book balance of every lot now (the API's `GET /firms/{id}/inventory`).
pub async fn stock(user: ConsoleUser, db: web::Data<Db>) -> Result<HttpResponse, PageError> {
    let firm = user.own_firm()?;
    let (texts, principal) = (user.texts(), user.principal.clone());
    let (stock, labels) = db
        .run(move |conn| {
            let stock = ledger::inventory(conn, &principal, firm, None)?;
            let ids: Vec<String> = stock
                .items
                .iter()
                .map(|i| i.chemical_id.to_string())
                .collect();
            Ok((stock, crate::chemicals::store::labels(conn, &ids)?))
        })
        .await
        .map_err(|e| user.failed(e))?;
    let mut holdings: Vec<Holding> = stock
        .items
        .into_iter()
        .map(|i| {
            let (chemical, unit) =
                crate::chemicals::label(texts, &labels, &i.chemical_id.to_string());
            Holding {
                chemical,
                lot: i.lot.unwrap_or_default(),
                negative: i.quantity.starts_with('-'),
                quantity: format!("{} {unit}", i.quantity),
            }
        })
        .collect();
    holdings.sort_by(|a, b| (&a.chemical, &a.lot).cmp(&(&b.chemical, &b.lot)));
    let page = InventoryPage {
        chrome: user.chrome("/inventory"),
        as_of: local_time(stock.as_of),
        holdings,
    };
    Ok(html(StatusCode::OK, &page))
}
