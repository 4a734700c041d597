//! Refusing a shipment: the buyer declares it will not accept goods dispatched to it. The
//! refusal is kept (append-only, with its line in the activity log); the seller and regulators
//! see it at once, and the validator reports SHIPMENT_REFUSED until the goods' return is filed.

use serde::Deserialize;
use uuid::Uuid;

use super::store::{self, RefusalRow, Side};
use super::views::{self, ShipmentView};
use crate::activity::ActivityRow;
use crate::auth::{policy, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::{time, CustodyRules};
use crate::error::{required_text, AppError};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RefusalRequest {
    /// Why the goods are not accepted (up to 500 characters).
    pub reason: String,
}

/// `POST /firms/{id}/incoming/{dispatch_id}/refusal` (own enterprise): the refused shipment.
pub fn refuse(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    dispatch_id: Uuid,
    request: RefusalRequest,
    rules: &CustodyRules,
    log: ActivityRow,
) -> Result<ShipmentView, AppError> {
    policy::file_for_firm(who, firm_id)?;
    let mut errors = Vec::new();
    let reason = required_text("reason", &request.reason, 500, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    write_tx(conn, |conn| {
        // Serialized with the firm's filings, so a receipt and a refusal cannot both win.
        crate::ledger::store::lock_firm(conn, firm_id)?;
        crate::firms::require(conn, firm_id)?;
        let (shipment, _) = super::lookup::open_dispatch(conn, firm_id, dispatch_id, rules)?;
        let now = time::now();
        store::insert_refusal(
            conn,
            &RefusalRow {
                id: Uuid::now_v7().to_string(),
                dispatch_entry_id: dispatch_id.to_string(),
                seller_firm_id: shipment.dispatch.firm_id.to_string(),
                buyer_firm_id: firm_id.to_string(),
                reason,
                refused_by: who.user_id.to_string(),
                refused_at: now,
            },
        )?;
        crate::activity::record(conn, &log)?;
        let (refused, loaded) = super::lookup::open_or_closed(conn, firm_id, dispatch_id, rules)?;
        let mut shown = views::render(
            conn,
            vec![refused],
            &loaded,
            Side::Buyer,
            time::from_db(now),
        )?;
        shown
            .pop()
            .ok_or_else(|| AppError::internal("the refused shipment vanished"))
    })
}
