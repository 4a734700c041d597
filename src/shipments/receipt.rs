//! Confirming a receipt in one step: the buyer files the purchase of a dispatch addressed to
//! it, through the one filing path, with the dispatch's fields unless it says otherwise.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::live::LiveShipment;
use crate::activity::ActivityRow;
use crate::auth::{policy, Principal};
use crate::db::DbConnection;
use crate::domain::quantity::format_thousandths;
use crate::domain::time::OccurredAtFloor;
use crate::domain::{time, CustodyRules};
use crate::error::AppError;
use crate::ledger::entry::{CounterpartyRequest, EntryRequest};
use crate::ledger::filing::{self, Filed, Submission};

/// What arrived, where it differs from the dispatch; every field is optional.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReceiptRequest {
    /// The quantity received (default: as dispatched). A different quantity is filed as given.
    #[schema(example = "250.000")]
    pub quantity: Option<String>,
    /// RFC 3339 (default: now).
    pub received_at: Option<String>,
    /// The lot as received (default: the dispatch's lot).
    pub lot: Option<String>,
    pub warehouse: Option<String>,
    pub note: Option<String>,
    /// The buyer's purchase permit or filing drawn on (default: the earliest that covers it).
    pub permit_no: Option<String>,
    /// How it was paid (default: as the seller filed the sale; required when the sale says
    /// nothing, as one filed before payments were recorded).
    pub payment: Option<String>,
}

/// `201` of a confirmation: the ledger entry filed, and how it compares with the dispatch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReceiptConfirmation {
    /// The purchase entry as stored (the same receipt `POST /firms/{id}/ledger` answers).
    #[schema(value_type = crate::ledger::LedgerEntry)]
    pub entry: serde_json::Value,
    pub dispatch_id: String,
    #[schema(example = "250.000")]
    pub dispatched_quantity: String,
    /// The quantity filed differs from the dispatch's beyond the tolerance; the validator
    /// will report the mismatch.
    pub quantity_differs: bool,
}

/// `POST /firms/{id}/incoming/{dispatch_id}/receipt` (own enterprise). A dispatch not addressed
/// to the firm is `404`; one already received answers `409` naming the receipt.
#[allow(clippy::too_many_arguments)]
pub fn confirm_receipt(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    dispatch_id: Uuid,
    request: ReceiptRequest,
    rules: &CustodyRules,
    floor: OccurredAtFloor,
    log: ActivityRow,
) -> Result<ReceiptConfirmation, AppError> {
    policy::file_for_firm(who, firm_id)?;
    let (dispatch, _) = super::lookup::open_dispatch(conn, firm_id, dispatch_id, rules)?;
    let entry = purchase_of(&dispatch, &request)?;
    let filed = filing::file_if(
        conn,
        who,
        firm_id,
        Submission::Entry(&entry),
        floor,
        None,
        Some(log),
        |conn| super::lookup::open_dispatch(conn, firm_id, dispatch_id, rules).map(|_| ()),
    )
    .map_err(received_at_named)?;
    let Filed::New { rows, body } = filed else {
        return Err(AppError::internal(
            "a confirmation without a key was replayed",
        ));
    };
    let filed_quantity = rows.first().map_or(0, |r| r.quantity);
    Ok(ReceiptConfirmation {
        entry: serde_json::from_str(&body).map_err(AppError::internal)?,
        dispatch_id: dispatch_id.to_string(),
        dispatched_quantity: format_thousandths(dispatch.dispatch.quantity),
        quantity_differs: !rules.agree(dispatch.dispatch.quantity, filed_quantity),
    })
}

/// The purchase entry that receives `shipment`, as the filing path reads it.
fn purchase_of(
    shipment: &LiveShipment,
    request: &ReceiptRequest,
) -> Result<serde_json::Value, AppError> {
    let d = &shipment.dispatch;
    let entry = EntryRequest {
        kind: "purchase".into(),
        chemical_id: Some(d.chemical_id.to_string()),
        lot: request
            .lot
            .clone()
            .or_else(|| d.lot.as_deref().map(str::to_string)),
        quantity: Some(
            request
                .quantity
                .clone()
                .unwrap_or_else(|| format_thousandths(d.quantity)),
        ),
        occurred_at: Some(
            request
                .received_at
                .clone()
                .unwrap_or_else(|| time::from_db(time::now()).to_rfc3339()),
        ),
        counterparty: Some(CounterpartyRequest {
            firm_id: Some(d.firm_id.to_string()),
            ..CounterpartyRequest::default()
        }),
        payment: request
            .payment
            .clone()
            .or_else(|| d.payment.map(|p| p.as_str().to_string())),
        shipment_ref: d.shipment_ref.as_deref().map(str::to_string),
        permit_no: request.permit_no.clone(),
        warehouse: request.warehouse.clone(),
        note: request.note.clone(),
        ..EntryRequest::default()
    };
    serde_json::to_value(entry).map_err(AppError::internal)
}

/// The filing names the time `occurred_at`; this request calls it `received_at`.
fn received_at_named(err: AppError) -> AppError {
    match err {
        AppError::Validation(mut errors) => {
            for e in &mut errors {
                if e.field == "occurred_at" {
                    e.field = "received_at".into();
                }
            }
            AppError::Validation(errors)
        }
        other => other,
    }
}
