//! The clerk's inbox in the console: goods dispatched to the firm, confirmed in one click (the
//! received quantity editable) or refused with a reason. The same services as the API.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::live::ShipmentState;
use super::receipt::ReceiptRequest;
use super::refusal::RefusalRequest;
use super::store::Side;
use super::{ShipmentView, StatusQuery};
use crate::activity::ActivityRow;
use crate::auth::Principal;
use crate::console::page::{html, local_time};
use crate::console::{Chrome, ConsoleUser, PageError};
use crate::db::{Db, DbConnection};
use crate::domain::CustodyRules;
use crate::error::AppError;
use crate::paging::PageQuery;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/incoming").route(web::get().to(inbox)))
        .service(web::resource("/incoming/{dispatch_id}/receipt").route(web::post().to(confirm)))
        .service(web::resource("/incoming/{dispatch_id}/refusal").route(web::post().to(refuse)))
        .service(web::resource("/shipments").route(web::get().to(board)));
}

/// One shipment as the inbox and the board show it.
struct Item {
    dispatch_id: String,
    seller: String,
    buyer: String,
    chemical: String,
    unit: String,
    lot: String,
    quantity: String,
    shipment_ref: String,
    dispatched_at: String,
    due_by: String,
    status: &'static str,
    status_class: &'static str,
    /// Neither received nor refused: the inbox offers confirm and refuse.
    open: bool,
}

/// Chemical names (zh, en) and units by id, as `chemicals::store::labels` gives them.
type Labels = std::collections::HashMap<String, (String, String, String)>;

impl Item {
    fn of(s: ShipmentView, labels: &Labels, texts: crate::console::Texts) -> Item {
        let (chemical, unit) = crate::chemicals::label(texts, labels, &s.chemical_id);
        let (status, status_class) = state_label(texts, s.status);
        Item {
            open: s.status.is_open(),
            seller: s.seller.name,
            buyer: s.buyer.name,
            chemical,
            unit,
            lot: s.lot.unwrap_or_default(),
            quantity: s.quantity,
            shipment_ref: s.shipment_ref.unwrap_or_default(),
            dispatched_at: local_time(s.dispatched_at),
            due_by: local_time(s.due_by),
            dispatch_id: s.dispatch_id,
            status,
            status_class,
        }
    }
}

#[derive(Template)]
#[template(path = "incoming.html")]
struct InboxPage {
    chrome: Chrome,
    items: Vec<Item>,
    notice: Option<String>,
    problem: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Done {
    done: Option<String>,
    seq: Option<i64>,
}

async fn inbox(
    user: ConsoleUser,
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let texts = crate::console::Texts(user.lang);
    let seq = done.seq.unwrap_or_default().to_string();
    let notice = match done.done.as_deref() {
        Some("confirmed") => Some(texts.t("incoming.confirmed").replace("{seq}", &seq)),
        Some("differs") => Some(texts.t("incoming.confirmed_differs").replace("{seq}", &seq)),
        Some("refused") => Some(texts.t("incoming.refused").to_string()),
        _ => None,
    };
    render(user, db, rules, StatusCode::OK, notice, None).await
}

/// The inbox page (at most 200 items; more is a sign something is badly wrong).
async fn render(
    user: ConsoleUser,
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    status: StatusCode,
    notice: Option<String>,
    problem: Option<String>,
) -> Result<HttpResponse, PageError> {
    let firm = user.own_firm()?;
    let (lang, principal, rules) = (user.lang, user.principal.clone(), **rules);
    let page = PageQuery {
        limit: Some("200".into()),
        cursor: None,
    }
    .parse()
    .map_err(|e| PageError::new(lang, e.into()))?;
    let (shipments, labels) = db
        .run(move |conn| {
            let list = super::list(
                conn,
                &principal,
                firm,
                Side::Buyer,
                &StatusQuery::default(),
                page,
                &rules,
            )?;
            let ids: Vec<String> = list.items.iter().map(|s| s.chemical_id.clone()).collect();
            Ok((list.items, crate::chemicals::store::labels(conn, &ids)?))
        })
        .await
        .map_err(|e| PageError::new(lang, e))?;
    let texts = crate::console::Texts(lang);
    let items = shipments
        .into_iter()
        .map(|s| Item::of(s, &labels, texts))
        .collect();
    let chrome = user.chrome("/incoming");
    Ok(html(
        status,
        &InboxPage {
            chrome,
            items,
            notice,
            problem,
        },
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    quantity: String,
}

async fn confirm(
    user: ConsoleUser,
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    dispatch_id: web::Path<Uuid>,
    req: HttpRequest,
    floor: web::Data<crate::domain::time::OccurredAtFloor>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    let ConfirmForm { csrf, quantity } = form.into_inner();
    let floor = **floor;
    let request = ReceiptRequest {
        quantity: Some(quantity.trim().to_string()).filter(|q| !q.is_empty()),
        ..ReceiptRequest::default()
    };
    let action =
        move |conn: &mut DbConnection, who: &Principal, firm, id, rules: &CustodyRules, log| {
            let done = super::confirm_receipt(conn, who, firm, id, request, rules, floor, log)?;
            let seq = done.entry["seq"].as_i64().unwrap_or_default();
            let kind = if done.quantity_differs {
                "differs"
            } else {
                "confirmed"
            };
            Ok(format!("/incoming?done={kind}&seq={seq}"))
        };
    act(
        user,
        db,
        rules,
        dispatch_id.into_inner(),
        &req,
        &csrf,
        action,
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefuseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn refuse(
    user: ConsoleUser,
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    dispatch_id: web::Path<Uuid>,
    req: HttpRequest,
    form: web::Form<RefuseForm>,
) -> Result<HttpResponse, PageError> {
    let RefuseForm { csrf, reason } = form.into_inner();
    let action =
        move |conn: &mut DbConnection, who: &Principal, firm, id, rules: &CustodyRules, log| {
            super::refuse(conn, who, firm, id, RefusalRequest { reason }, rules, log)?;
            Ok("/incoming?done=refused".to_string())
        };
    act(
        user,
        db,
        rules,
        dispatch_id.into_inner(),
        &req,
        &csrf,
        action,
    )
    .await
}

/// What both inbox forms share: the session's CSRF token, the clerk's own firm, one service call
/// that writes its own activity line, then back to the inbox (or the inbox with the problem).
async fn act<F>(
    user: ConsoleUser,
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    dispatch_id: Uuid,
    req: &HttpRequest,
    csrf: &str,
    action: F,
) -> Result<HttpResponse, PageError>
where
    F: FnOnce(
            &mut DbConnection,
            &Principal,
            Uuid,
            Uuid,
            &CustodyRules,
            ActivityRow,
        ) -> Result<String, AppError>
        + Send
        + 'static,
{
    user.check_csrf(csrf)?;
    let firm = user.own_firm()?;
    let (principal, plain_rules) = (user.principal.clone(), **rules);
    let log = ActivityRow::created(req, &principal);
    let outcome = db
        .run(move |conn| action(conn, &principal, firm, dispatch_id, &plain_rules, log))
        .await;
    match outcome {
        Ok(location) => Ok(crate::activity::after_change(&location)),
        Err(e) => failed(user, db, rules, e).await,
    }
}

/// A form the service refused: the inbox again with the reason on top (a field error in the
/// user's words where there is one), or the error page for what is not the user's to fix.
async fn failed(
    user: ConsoleUser,
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    error: AppError,
) -> Result<HttpResponse, PageError> {
    let texts = crate::console::Texts(user.lang);
    let problem = match &error {
        AppError::Validation(errors) => errors
            .iter()
            .map(|e| match (e.field.as_str(), e.code) {
                ("reason", "required") => texts.t("incoming.reason_required").to_string(),
                (field, _) => format!("{field}: {}", e.message),
            })
            .collect::<Vec<_>>()
            .join("; "),
        AppError::Conflict { .. } => texts.t("error.conflict_detail").to_string(),
        // Nothing was stored: the inbox again, to send the same answer once more.
        AppError::Unavailable(_) => texts.t("problem.service_unavailable").to_string(),
        _ => return Err(PageError::new(user.lang, error)),
    };
    let status = error.status_code();
    render(user, db, rules, status, None, Some(problem)).await
}

/// What a state is called on a page, and its CSS class.
fn state_label(texts: crate::console::Texts, state: ShipmentState) -> (&'static str, &'static str) {
    let key = match state {
        ShipmentState::Awaiting => "board.status_awaiting",
        ShipmentState::Overdue => "board.status_overdue",
        ShipmentState::Received => "board.status_received",
        ShipmentState::QuantityDiffers => "board.status_quantity_differs",
        ShipmentState::Refused => "board.status_refused",
        ShipmentState::Returned => "board.status_returned",
    };
    (texts.t(key), state.as_str())
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPageView {
    chrome: Chrome,
    /// (value, label, selected)
    statuses: Vec<(&'static str, &'static str, bool)>,
    /// The filters as asked, for the form and the next page's link.
    status: String,
    region_code: String,
    region_problem: Option<String>,
    as_of: String,
    items: Vec<Item>,
    next_page: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardForm {
    status: Option<String>,
    region_code: Option<String>,
    cursor: Option<String>,
}

/// The regulators' in-transit board: the same board as `GET /api/v1/shipments`, 50 a page.
async fn board(
    user: ConsoleUser,
    db: web::Data<Db>,
    cache: web::Data<super::board::BoardCache>,
    rules: web::Data<CustodyRules>,
    form: web::Query<BoardForm>,
) -> Result<HttpResponse, PageError> {
    let (lang, principal, rules) = (user.lang, user.principal.clone(), **rules);
    let texts = crate::console::Texts(lang);
    let form = form.into_inner();
    let query = super::board::BoardQuery {
        status: form.status.clone(),
        region_code: form.region_code.clone(),
        ..Default::default()
    };
    let page = PageQuery {
        limit: Some("50".into()),
        cursor: form.cursor.clone(),
    }
    .parse()
    .map_err(|e| PageError::new(lang, e.into()))?;
    let outcome = db
        .run(move |conn| {
            let board = super::board::board(conn, &principal, &query, page, &cache, &rules)?;
            let ids: Vec<String> = board.items.iter().map(|s| s.chemical_id.clone()).collect();
            Ok((board, crate::chemicals::store::labels(conn, &ids)?))
        })
        .await;
    let (status, region_problem, board) = match outcome {
        Ok((board, labels)) => (StatusCode::OK, None, Some((board, labels))),
        Err(AppError::Validation(errors)) => {
            let problem = errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            (StatusCode::UNPROCESSABLE_ENTITY, Some(problem), None)
        }
        Err(e) => return Err(PageError::new(lang, e)),
    };
    let (as_of, items, next_page) = match board {
        Some((board, labels)) => {
            let next = board.next_cursor.clone();
            let items = board
                .items
                .into_iter()
                .map(|s| Item::of(s, &labels, texts))
                .collect();
            (local_time(board.as_of), items, next)
        }
        None => (String::new(), Vec::new(), None),
    };
    let selected = form.status.as_deref().unwrap_or("");
    let statuses = ShipmentState::ALL
        .into_iter()
        .map(|s| (s.as_str(), state_label(texts, s).0, s.as_str() == selected))
        .collect();
    let page = BoardPageView {
        chrome: user.chrome("/shipments"),
        statuses,
        status: selected.to_string(),
        region_code: form.region_code.clone().unwrap_or_default(),
        region_problem,
        as_of,
        items,
        next_page,
    };
    Ok(html(status, &page))
}
