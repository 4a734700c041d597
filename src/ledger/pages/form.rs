//! The filing form: one entry of any kind, checked by the ledger's own filing service (the same
//! as `POST /firms/{id}/ledger`), each problem shown next to its field, then the receipt.
//!
//! The clerk names a counterparty by its credit code: a registered firm's code files the entry
//! against that firm (`counterparty.firm_id`), any other code names an outside party; a
//! resident ID number names a person (`counterparty.kind = individual`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::labels::{chemical_options, kind_options, payment_options, ChemicalOption};
use crate::console::form::{given, Problems};
use crate::console::page::html;
use crate::console::{Chrome, ConsoleUser, PageError, Texts};
use crate::db::{Db, DbConnection};
use crate::domain::time::OccurredAtFloor;
use crate::error::AppError;
use crate::ledger::filing::{self, Filed, Submission};
use crate::ratelimit::FilingAdmission;

/// The form's fields as typed. `occurred_at` is a `datetime-local` value on the console's clock.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EntryForm {
    csrf: String,
    /// Makes a double click or a resent form file once.
    key: String,
    kind: String,
    chemical_id: String,
    lot: String,
    quantity: String,
    occurred_at: String,
    counterparty_credit_code: String,
    counterparty_name: String,
    counterparty_permit_no: String,
    counterparty_resident_id: String,
    payment: String,
    shipment_ref: String,
    permit_no: String,
    transport_permit_no: String,
    warehouse: String,
    note: String,
    reverses: String,
}

#[derive(Template)]
#[template(path = "ledger_form.html")]
struct FormPage {
    chrome: Chrome,
    form: EntryForm,
    kinds: Vec<(&'static str, &'static str, bool)>,
    payments: Vec<(&'static str, &'static str, bool)>,
    chemicals: Vec<ChemicalOption>,
    problems: Problems,
    /// Problems of fields the form has no place for, shown on top.
    others: Vec<String>,
}

/// The field names of the service's errors that this form shows next to a field.
const SHOWN: [&str; 17] = [
    "kind",
    "chemical_id",
    "lot",
    "quantity",
    "occurred_at",
    "counterparty.credit_code",
    "counterparty.name",
    "counterparty.permit_no",
    "counterparty.resident_id",
    "counterparty.kind",
    "payment",
    "shipment_ref",
    "permit_no",
    "transport_permit_no",
    "warehouse",
    "note",
    "reverses",
];

fn render(
    user: &ConsoleUser,
    status: StatusCode,
    form: EntryForm,
    chemicals: Vec<ChemicalOption>,
    problems: Problems,
) -> HttpResponse {
    let texts = user.texts();
    let page = FormPage {
        chrome: user.chrome("/ledger/new"),
        kinds: kind_options(texts, &form.kind),
        payments: payment_options(texts, &form.payment),
        others: problems.other_than(&SHOWN),
        form,
        chemicals,
        problems,
    };
    html(status, &page)
}

async fn options(
    user: &ConsoleUser,
    db: &Db,
    selected: String,
) -> Result<Vec<ChemicalOption>, PageError> {
    let texts: Texts = user.texts();
    db.run(move |conn| chemical_options(conn, texts, &selected))
        .await
        .map_err(|e| user.failed(e))
}

/// An empty form (or one started from a link, e.g. "reverse this entry").
pub async fn page(
    user: ConsoleUser,
    db: web::Data<Db>,
    start: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    user.own_firm()?;
    let form = EntryForm {
        key: uuid::Uuid::new_v4().to_string(),
        kind: start.get("kind").cloned().unwrap_or_else(|| "sale".into()),
        reverses: start.get("reverses").cloned().unwrap_or_default(),
        occurred_at: now_in_china(),
        ..EntryForm::default()
    };
    let chemicals = options(&user, &db, String::new()).await?;
    Ok(render(
        &user,
        StatusCode::OK,
        form,
        chemicals,
        Problems::default(),
    ))
}

/// Now on the console's clock as a `datetime-local` value, rounded up to the next second so that
/// what was filed before the form opened comes before it in business order.
fn now_in_china() -> String {
    let next_second = chrono::Utc::now() + chrono::Duration::seconds(1);
    next_second
        .with_timezone(&crate::console::page::clock())
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// The wire entry of a filled form (the API's `EntryRequest`): empty fields are absent.
fn entry_body(conn: &mut DbConnection, form: &EntryForm) -> Result<Value, AppError> {
    let mut body = Map::new();
    let mut put = |name: &str, value: &str| {
        if let Some(v) = given(value) {
            body.insert(name.to_string(), Value::String(v));
        }
    };
    put("kind", &form.kind);
    put("chemical_id", &form.chemical_id);
    put("lot", &form.lot);
    put("quantity", &form.quantity);
    put("payment", &form.payment);
    put("shipment_ref", &form.shipment_ref);
    put("permit_no", &form.permit_no);
    put("transport_permit_no", &form.transport_permit_no);
    put("warehouse", &form.warehouse);
    put("note", &form.note);
    put("reverses", &form.reverses);
    if let Some(local) = given(&form.occurred_at) {
        // `datetime-local` has no zone (the clerk's clock is the console's) and sends
        // seconds only when they are not zero.
        let seconds = if local.len() == 16 { ":00" } else { "" };
        body.insert(
            "occurred_at".into(),
            json!(format!("{local}{seconds}{}", crate::console::page::clock())),
        );
    }
    let code = given(&form.counterparty_credit_code).map(|c| c.to_ascii_uppercase());
    let registered = match &code {
        Some(c) => crate::firms::store::find_by_credit_code(conn, c)?,
        None => None,
    };
    let resident_id = given(&form.counterparty_resident_id);
    let counterparty = match registered {
        Some(firm) if resident_id.is_none() => json!({ "firm_id": firm.id }),
        _ => {
            let mut party = Map::new();
            let kind = resident_id.as_ref().map(|_| "individual".to_string());
            for (name, value) in [
                ("kind", kind),
                ("name", given(&form.counterparty_name)),
                ("credit_code", code),
                ("permit_no", given(&form.counterparty_permit_no)),
                ("resident_id", resident_id),
            ] {
                if let Some(v) = value {
                    party.insert(name.into(), Value::String(v));
                }
            }
            Value::Object(party)
        }
    };
    if counterparty.as_object().is_some_and(|o| !o.is_empty()) {
        body.insert("counterparty".into(), counterparty);
    }
    Ok(Value::Object(body))
}

/// The id of the entry a (first or replayed) filing answered.
fn filed_id(filed: &Filed) -> Option<String> {
    match filed {
        Filed::New { rows, .. } => rows.first().map(|r| r.id.clone()),
        Filed::Replayed { body, .. } => serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_string)),
    }
}

pub async fn file(
    user: ConsoleUser,
    db: web::Data<Db>,
    req: HttpRequest,
    floor: web::Data<OccurredAtFloor>,
    admission: FilingAdmission,
    form: web::Form<EntryForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    user.check_csrf(&form.csrf)?;
    // The console's filings count against the same budgets as the API's.
    admission
        .admit(user.principal.user_id)
        .map_err(|e| user.failed(e))?;
    let firm = user.own_firm()?;
    let principal = user.principal.clone();
    let log = crate::activity::ActivityRow::created(&req, &principal);
    let sent = form.clone();
    let floor = **floor;
    let outcome = db
        .run(move |conn| {
            let body = entry_body(conn, &sent)?;
            let key = given(&sent.key);
            filing::file(
                conn,
                &principal,
                firm,
                Submission::Entry(&body),
                floor,
                key.as_deref(),
                Some(log),
            )
        })
        .await;
    match outcome {
        Ok(filed) => {
            let id =
                filed_id(&filed).ok_or_else(|| user.failed(AppError::internal("no receipt")))?;
            Ok(crate::activity::after_change(&format!(
                "/ledger/{id}?filed=1"
            )))
        }
        Err(error) => {
            let Some(problems) = Problems::of_or_retry(user.texts(), &error) else {
                return Err(user.failed(error));
            };
            // The form names a registered counterparty by its credit code.
            let problems = problems.moved("counterparty.firm_id", "counterparty.credit_code");
            let chemicals = options(&user, &db, form.chemical_id.clone()).await?;
            Ok(render(
                &user,
                error.status_code(),
                form,
                chemicals,
                problems,
            ))
        }
    }
}
