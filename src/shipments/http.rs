//! Routes of the live shipment views; each handler hands one call to the service.

use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::board::{BoardCache, BoardPage, BoardQuery, BoardSummary};
use super::receipt::{ReceiptConfirmation, ReceiptRequest};
use super::refusal::RefusalRequest;
use super::store::Side;
use super::{ShipmentView, StatusQuery};
use crate::activity::{ActivityRow, Logged};
use crate::auth::AuthUser;
use crate::db::Db;
use crate::domain::CustodyRules;
use crate::error::{AppError, Problem};
use crate::paging::{PageOf, PageQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/firms/{firm_id}/incoming").route(web::get().to(incoming)))
        .service(
            web::resource("/firms/{firm_id}/incoming/{dispatch_id}/receipt")
                .route(web::post().to(receipt)),
        )
        .service(
            web::resource("/firms/{firm_id}/incoming/{dispatch_id}/refusal")
                .route(web::post().to(refusal)),
        )
        .service(web::resource("/firms/{firm_id}/outgoing").route(web::get().to(outgoing)))
        .service(web::resource("/shipments").route(web::get().to(board)))
        .service(web::resource("/shipments/summary").route(web::get().to(summary)));
}

/// Goods dispatched to the firm by registered firms that it has not received yet (own
/// enterprise, regulator). Matched as the custody validator matches.
#[utoipa::path(get, path = "/api/v1/firms/{firm_id}/incoming", tag = "shipments",
    params(("firm_id" = Uuid, Path), super::IncomingQuery, PageQuery),
    responses((status = 200, body = PageOf<ShipmentView>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn incoming(
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    query: web::Query<StatusQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    list(
        db,
        rules,
        who,
        firm_id.into_inner(),
        Side::Buyer,
        query,
        page,
    )
    .await
}

/// What the firm dispatched to registered firms, and whether each arrived (own enterprise,
/// regulator).
#[utoipa::path(get, path = "/api/v1/firms/{firm_id}/outgoing", tag = "shipments",
    params(("firm_id" = Uuid, Path), super::OutgoingQuery, PageQuery),
    responses((status = 200, body = PageOf<ShipmentView>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn outgoing(
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    who: AuthUser,
    firm_id: web::Path<Uuid>,
    query: web::Query<StatusQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    list(
        db,
        rules,
        who,
        firm_id.into_inner(),
        Side::Seller,
        query,
        page,
    )
    .await
}

async fn list(
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    who: AuthUser,
    firm_id: Uuid,
    side: Side,
    query: web::Query<StatusQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = page.parse()?;
    let rules = **rules;
    let shipments = db
        .run(move |conn| super::list(conn, &who, firm_id, side, &query, page, &rules))
        .await?;
    Ok(HttpResponse::Ok().json(shipments))
}

/// Confirm in one step that a dispatch arrived (own enterprise): files the purchase with the
/// dispatch's chemical, lot, quantity, seller and shipment ref unless the body says otherwise.
/// Safe to retry: a second confirmation files nothing and answers `409` naming the receipt.
#[utoipa::path(post, path = "/api/v1/firms/{firm_id}/incoming/{dispatch_id}/receipt", tag = "shipments",
    params(("firm_id" = Uuid, Path), ("dispatch_id" = Uuid, Path)),
    request_body = ReceiptRequest,
    responses((status = 201, body = ReceiptConfirmation), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "already received, or the firm is not active", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn receipt(
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    who: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
    req: HttpRequest,
    floor: web::Data<crate::domain::time::OccurredAtFloor>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (firm_id, dispatch_id) = path.into_inner();
    let floor = **floor;
    let request: ReceiptRequest = crate::error::optional_body(&body)?;
    let log = ActivityRow::created(&req, &who);
    let rules = **rules;
    let confirmation = db
        .run(move |conn| {
            super::confirm_receipt(
                conn,
                &who,
                firm_id,
                dispatch_id,
                request,
                &rules,
                floor,
                log,
            )
        })
        .await?;
    let mut response = HttpResponse::Created().json(confirmation);
    response.extensions_mut().insert(Logged);
    Ok(response)
}

/// Refuse a dispatch (own enterprise): the seller and regulators see it at once, and the
/// validator reports SHIPMENT_REFUSED until the seller files the goods' return (its purchase
/// back from this firm, or a reversal of the dispatch).
#[utoipa::path(post, path = "/api/v1/firms/{firm_id}/incoming/{dispatch_id}/refusal", tag = "shipments",
    params(("firm_id" = Uuid, Path), ("dispatch_id" = Uuid, Path)),
    request_body = RefusalRequest,
    responses((status = 201, body = ShipmentView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "already received or refused", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn refusal(
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    who: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
    req: HttpRequest,
    body: web::Json<RefusalRequest>,
) -> Result<HttpResponse, AppError> {
    let (firm_id, dispatch_id) = path.into_inner();
    let log = ActivityRow::created(&req, &who);
    let rules = **rules;
    let refused = db
        .run(move |conn| {
            super::refuse(
                conn,
                &who,
                firm_id,
                dispatch_id,
                body.into_inner(),
                &rules,
                log,
            )
        })
        .await?;
    let mut response = HttpResponse::Created().json(refused);
    response.extensions_mut().insert(Logged);
    Ok(response)
}

/// The in-transit board (regulators): every dispatch between registered firms with its live
/// state, newest first. Shared between requests for a moment: `as_of` says when it was computed.
#[utoipa::path(get, path = "/api/v1/shipments", tag = "shipments", params(BoardQuery, PageQuery),
    responses((status = 200, body = BoardPage), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn board(
    db: web::Data<Db>,
    cache: web::Data<BoardCache>,
    rules: web::Data<CustodyRules>,
    who: AuthUser,
    query: web::Query<BoardQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = page.parse()?;
    let rules = **rules;
    let board = db
        .run(move |conn| super::board::board(conn, &who, &query, page, &cache, &rules))
        .await?;
    Ok(HttpResponse::Ok().json(board))
}

/// Counts of the board by state and by the seller's region, under the same filters (regulators).
#[utoipa::path(get, path = "/api/v1/shipments/summary", tag = "shipments", params(BoardQuery),
    responses((status = 200, body = BoardSummary), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn summary(
    db: web::Data<Db>,
    cache: web::Data<BoardCache>,
    rules: web::Data<CustodyRules>,
    who: AuthUser,
    query: web::Query<BoardQuery>,
) -> Result<HttpResponse, AppError> {
    let rules = **rules;
    let summary = db
        .run(move |conn| super::board::summary(conn, &who, &query, &cache, &rules))
        .await?;
    Ok(HttpResponse::Ok().json(summary))
}
