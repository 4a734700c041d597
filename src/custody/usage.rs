//! How much of each permit's quantity limit a firm's purchases have drawn, by the validator's
//! own rule (`validator::drawn_on_limits`): what the clerk's permits page shows as remaining.

use std::collections::HashMap;

use crate::auth::{policy, Principal};
use crate::custody::validator::drawn_on_limits;
use crate::db::DbConnection;
use crate::domain::CustodyRules;
use crate::error::AppError;

/// Permit id → what is left of its limit now (`None`: no limit), for every permit of the firm.
pub fn left_on_permits(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: uuid::Uuid,
    rules: &CustodyRules,
) -> Result<HashMap<String, Option<i64>>, AppError> {
    policy::read_firm_records(who, firm_id)?;
    let id = firm_id.to_string();
    let input = super::store::load_firm_input(conn, &id)?;
    let settings = CustodyRules {
        as_of: chrono::Utc::now(),
        ..*rules
    };
    let drawn = drawn_on_limits(&input, &settings);
    Ok(input
        .permits
        .iter()
        .filter(|p| p.firm_id == id)
        .map(|p| {
            (
                p.id.clone(),
                p.left(drawn.get(&*p.id).copied().unwrap_or(0)),
            )
        })
        .collect())
}
