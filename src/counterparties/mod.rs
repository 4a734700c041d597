//! The counterparty check before a sale (Decree 445: the seller checks the buyer's permit): is
//! the firm with this credit code registered and active, and does it hold, on that date, a
//! purchase right for the chemical? Answered by the custody validator's own rules
//! (`Permit::grants_purchase_right`, `validator::drawn_on_limits`), and nothing else about the
//! firm is told.

pub mod http;
pub mod pages;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{policy, Principal};
use crate::custody::model::{Input, Permit};
use crate::custody::validator::drawn_on_limits;
use crate::db::DbConnection;
use crate::domain::{time, Category, CreditCode, CustodyRules, FirmStatus, PermitKind, Quantity};
use crate::error::{AppError, FieldError};
use crate::{chemicals, custody, firms};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// The buyer's unified social credit code (统一社会信用代码, 18 characters).
    #[param(
        example = "91350100M000100Y43",
        required = true,
        pattern = r"^\s*[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}\s*$"
    )]
    pub credit_code: Option<String>,
    /// The catalog id of the chemical to be sold.
    #[param(required = true, value_type = uuid::Uuid)]
    pub chemical_id: Option<String>,
    /// When: an RFC 3339 time, or a date `YYYY-MM-DD` meaning its start (00:00 UTC); default now.
    #[param(schema_with = crate::paging::schema::moment)]
    pub on: Option<String>,
}

/// A check that passed every field check.
#[derive(Debug, Clone)]
pub struct Asked {
    pub credit_code: CreditCode,
    pub chemical_id: Uuid,
    pub on: DateTime<Utc>,
}

impl CheckQuery {
    /// Every bad parameter at once; `on` defaults to `now`.
    pub fn parse(&self, now: DateTime<Utc>) -> Result<Asked, AppError> {
        let mut errors = Vec::new();
        let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_owned();
        let credit_code = match text(&self.credit_code) {
            t if t.is_empty() => {
                errors.push(FieldError::new("credit_code", "required", "is required"));
                None
            }
            t => CreditCode::parse(&t)
                .map_err(|e| errors.push(FieldError::new("credit_code", e.code(), e.to_string())))
                .ok(),
        };
        let chemical_id = match text(&self.chemical_id) {
            t if t.is_empty() => {
                errors.push(FieldError::new("chemical_id", "required", "is required"));
                None
            }
            t => Uuid::parse_str(&t)
                .map_err(|_| {
                    errors.push(FieldError::new(
                        "chemical_id",
                        "invalid_id",
                        "is not a catalog id",
                    ))
                })
                .ok(),
        };
        let on = match self.on.as_deref().and_then(time::parse_moment) {
            None => Some(now),
            Some(Ok(on)) => Some(on),
            Some(Err(_)) => {
                errors.push(FieldError::new(
                    "on",
                    "invalid_time",
                    "must be an RFC 3339 time (2026-04-12T08:30:00+08:00) or a date (2026-04-12)",
                ));
                None
            }
        };
        match (credit_code, chemical_id, on) {
            (Some(credit_code), Some(chemical_id), Some(on)) if errors.is_empty() => Ok(Asked {
                credit_code,
                chemical_id,
                on,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// Why the firm may not buy, as a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// No firm is registered under the credit code.
    NotRegistered,
    /// The firm was suspended or revoked on that date.
    NotActive,
    /// No purchase permit (any category) or purchase filing (categories 2, 3) of the firm covers
    /// the chemical on that date (UNLICENSED_COUNTERPARTY for a sale).
    NoPurchaseRight,
    /// Every permit that covers it has a quantity limit, and its purchases have used all of it
    /// (PERMIT_EXCEEDED for the buyer's purchase).
    QuantityExhausted,
}

impl Refusal {
    fn messages(self, category: Category) -> (&'static str, &'static str) {
        let category_one = category.get() == 1;
        match self {
            Refusal::NotRegistered => (
                "没有以该统一社会信用代码登记的企业",
                "no firm is registered under this credit code",
            ),
            Refusal::NotActive => (
                "该企业当时已被停业或吊销",
                "the firm was suspended or revoked on that date",
            ),
            Refusal::NoPurchaseRight if category_one => (
                "该企业当时无覆盖该品种的有效购买许可证",
                "the firm held no valid purchase permit for this chemical on that date",
            ),
            Refusal::NoPurchaseRight => (
                "该企业当时无覆盖该品种的有效购买许可证或备案证明",
                "the firm held no valid purchase permit or filing for this chemical on that date",
            ),
            Refusal::QuantityExhausted => (
                "该企业覆盖该品种的许可/备案限额已用完",
                "the quantity limits of the firm's permits for this chemical are used up",
            ),
        }
    }
}

/// A permit or filing that gives the firm the right to buy the chemical on that date.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PurchaseRight {
    /// The number printed on the document, to record as the buyer's permit.
    pub number: String,
    /// purchase_permit or purchase_filing.
    pub kind: PermitKind,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// The total quantity it allows, if limited (the chemical's unit); null without a limit.
    #[schema(value_type = Option<String>, example = "5000.000")]
    pub quantity_limit: Option<Quantity>,
    /// What is left of the limit after the purchases drawn on it up to `on` (never below 0);
    /// null without a limit.
    #[schema(value_type = Option<String>, example = "1200.000")]
    pub remaining: Option<Quantity>,
}

/// The answer: whether the firm may buy the chemical on that date, and the documents that say so.
/// Nothing else about the firm.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CounterpartyCheck {
    /// Whether a firm is registered under the credit code.
    pub registered: bool,
    /// The registered firm's id, to name it in a sale (`counterparty: {firm_id}`); absent when
    /// not registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firm_id: Option<Uuid>,
    /// The registered firm's name; absent when not registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether the firm was active (neither suspended nor revoked) on `on`; absent when not
    /// registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// The chemical asked about.
    pub chemical_id: Uuid,
    /// The moment checked (a plain date is its start, 00:00 UTC).
    pub on: DateTime<Utc>,
    /// Registered, active, and a purchase right with quantity left: a sale to it then is not
    /// UNLICENSED_COUNTERPARTY, and its purchase not PERMIT_MISSING.
    pub may_buy: bool,
    /// The firm's permits and filings that give it the purchase right on `on`, oldest first.
    pub permits: Vec<PurchaseRight>,
    /// Why it may not buy; absent when it may.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Refusal>,
    /// The reason in Chinese; absent when it may buy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The reason in English; absent when it may buy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_en: Option<String>,
}

/// `GET /counterparties/check`: may the firm with this credit code buy the chemical on `on`?
pub fn check(
    conn: &mut DbConnection,
    who: &Principal,
    query: &CheckQuery,
    rules: &CustodyRules,
) -> Result<CounterpartyCheck, AppError> {
    policy::check_counterparties(who)?;
    let asked = query.parse(time::from_db(time::now()))?;
    let chemical = chemicals::store::find(conn, asked.chemical_id)?.ok_or_else(|| {
        AppError::field("chemical_id", "unknown_chemical", "is not in the catalog")
    })?;
    let category = Category::new(i64::from(chemical.category)).ok_or_else(|| {
        AppError::internal(format!("chemical {} has a bad category", chemical.id))
    })?;
    let Some(firm) = firms::store::find_by_credit_code(conn, asked.credit_code.as_str())? else {
        return Ok(unregistered(&asked, category));
    };
    let input = custody::store::load_firm_input(conn, &firm.id)?;
    let settings = CustodyRules {
        as_of: asked.on,
        ..*rules
    };
    let firm_id = Uuid::parse_str(&firm.id).map_err(AppError::internal)?;
    judge(&input, (firm_id, firm.name), &asked, category, &settings)
}

fn unregistered(asked: &Asked, category: Category) -> CounterpartyCheck {
    let (zh, en) = Refusal::NotRegistered.messages(category);
    CounterpartyCheck {
        registered: false,
        firm_id: None,
        name: None,
        active: None,
        chemical_id: asked.chemical_id,
        on: asked.on,
        may_buy: false,
        permits: vec![],
        reason: Some(Refusal::NotRegistered),
        message: Some(zh.to_string()),
        message_en: Some(en.to_string()),
    }
}

/// The answer about a registered firm from its own input (`custody::store::load_firm_input`),
/// by the validator's rules: active on `on`, the permits that grant the purchase right then, and
/// what their limits have left after the purchases counted as of `settings.as_of` (= `on`).
fn judge(
    input: &Input,
    (firm_id, name): (Uuid, String),
    asked: &Asked,
    category: Category,
    settings: &CustodyRules,
) -> Result<CounterpartyCheck, AppError> {
    let id = firm_id.to_string();
    let chemical = asked.chemical_id.to_string();
    let active = input
        .firms
        .get(&id)
        .is_some_and(|f| f.status_at(asked.on) == FirmStatus::Active);
    let grants = |p: &&Permit| p.grants_purchase_right(&chemical, category.get(), asked.on);
    let mut rights: Vec<&Permit> = input
        .permits
        .iter()
        .filter(|p| p.firm_id == id)
        .filter(grants)
        .collect();
    rights.sort_by(|a, b| (a.valid_from, &a.id).cmp(&(b.valid_from, &b.id)));
    let drawn = drawn_on_limits(input, settings);
    let quantity = |t: i64| Quantity::from_thousandths(t).map_err(AppError::internal);
    let permits = rights
        .iter()
        .map(|p| {
            let left = p.left(drawn.get(&*p.id).copied().unwrap_or(0));
            Ok(PurchaseRight {
                number: p.number.clone(),
                kind: p.kind,
                valid_from: p.valid_from,
                valid_until: p.valid_until,
                quantity_limit: p.quantity_limit.map(quantity).transpose()?,
                remaining: left.map(quantity).transpose()?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let room = permits
        .iter()
        .any(|p| p.remaining.is_none_or(|r| !r.is_zero()));
    let reason = if !active {
        Some(Refusal::NotActive)
    } else if permits.is_empty() {
        Some(Refusal::NoPurchaseRight)
    } else if !room {
        Some(Refusal::QuantityExhausted)
    } else {
        None
    };
    let messages = reason.map(|r| r.messages(category));
    Ok(CounterpartyCheck {
        registered: true,
        firm_id: Some(firm_id),
        name: Some(name),
        active: Some(active),
        chemical_id: asked.chemical_id,
        on: asked.on,
        may_buy: reason.is_none(),
        permits,
        reason,
        message: messages.map(|(zh, _)| zh.to_string()),
        message_en: messages.map(|(_, en)| en.to_string()),
    })
}

#[cfg(test)]
mod tests;
