//! Firms (企业): registration, the directory, and status (active, suspended, revoked).

pub mod http;
pub mod pages;
pub mod store;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::policy::{self, FirmView};
use crate::auth::Principal;
use crate::db::{write_tx, DbConnection};
use crate::domain::{time, Activity, CreditCode, FirmStatus, RegionCode};
use crate::error::{required_text, AppError, FieldError};
use crate::paging::Filters;
use crate::paging::{Page, PageOf};
use store::FirmRow;

const MAX_NAME_CHARS: usize = 200;
const MAX_ADDRESS_CHARS: usize = 500;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RegisterFirmRequest {
    #[schema(example = "宁德市蕉城区华信化工有限公司", required = true, schema_with = crate::error::schema::text_200)]
    pub name: String,
    /// 统一社会信用代码, 18 characters with GB 32100-2015 check character.
    #[schema(
        example = "91350100M000100Y43",
        required = true,
        pattern = r"^\s*[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}\s*$"
    )]
    pub credit_code: String,
    /// 行政区划代码, 6 digits.
    #[schema(example = "350902", required = true, schema_with = region_schema)]
    pub region_code: String,
    #[schema(required = true, schema_with = address_schema)]
    pub address: String,
    /// Subset of produce, trade, use, store, transport, import, export.
    #[schema(required = true, schema_with = activities_schema)]
    pub activities: Vec<String>,
}

/// A registration that passed every field check.
#[derive(Debug, Clone)]
pub struct NewFirm {
    pub name: String,
    pub credit_code: CreditCode,
    pub region_code: RegionCode,
    pub address: String,
    pub activities: BTreeSet<Activity>,
}

impl RegisterFirmRequest {
    pub fn parse(self) -> Result<NewFirm, AppError> {
        let mut errors = Vec::new();
        let name = required_text("name", &self.name, MAX_NAME_CHARS, &mut errors);
        let address = required_text("address", &self.address, MAX_ADDRESS_CHARS, &mut errors);
        let credit_code = CreditCode::parse(self.credit_code.trim())
            .map_err(|e| errors.push(FieldError::new("credit_code", e.code(), e.to_string())))
            .ok();
        let region_code = RegionCode::parse(self.region_code.trim())
            .map_err(|e| errors.push(FieldError::new("region_code", e.code(), e.to_string())))
            .ok();
        let mut activities = BTreeSet::new();
        if self.activities.is_empty() {
            errors.push(FieldError::new(
                "activities",
                "required",
                "name at least one activity",
            ));
        }
        for (i, text) in self.activities.iter().enumerate() {
            match Activity::parse(text) {
                Some(a) => {
                    activities.insert(a);
                }
                None => errors.push(FieldError::new(
                    format!("activities[{i}]"),
                    "unknown_activity",
                    format!("{text:?} is not one of {}", Activity::names()),
                )),
            }
        }
        match (credit_code, region_code) {
            (Some(credit_code), Some(region_code)) if errors.is_empty() => Ok(NewFirm {
                name,
                credit_code,
                region_code,
                address,
                activities,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChangeFirmStatusRequest {
    /// active, suspended or revoked.
    #[schema(required = true, schema_with = new_status)]
    pub status: String,
    /// Why; recorded in the firm's status history.
    #[schema(required = true, schema_with = crate::error::schema::text_1000)]
    pub reason: String,
}

impl ChangeFirmStatusRequest {
    pub fn parse(self) -> Result<(FirmStatus, String), AppError> {
        let mut errors = Vec::new();
        let status = FirmStatus::parse(self.status.trim());
        if status.is_none() {
            errors.push(FieldError::new(
                "status",
                "unknown_status",
                format!("must be one of {}", FirmStatus::names()),
            ));
        }
        let reason = required_text("reason", &self.reason, 1000, &mut errors);
        match status {
            Some(status) if errors.is_empty() => Ok((status, reason)),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// A firm as regulators and the firm itself see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Firm {
    pub id: Uuid,
    pub name: String,
    pub credit_code: String,
    pub region_code: String,
    pub address: String,
    pub activities: Vec<Activity>,
    pub status: FirmStatus,
    pub status_reason: Option<String>,
    /// The current confirmed grade (A–D), if the firm has been graded.
    pub current_grade: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A firm as the association's directory shows it: no address, code or status detail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FirmDirectoryEntry {
    pub id: Uuid,
    pub name: String,
    pub region_code: String,
    /// The current confirmed grade (A–D), once grading exists for the firm.
    pub current_grade: Option<String>,
}

/// One of the two shapes, depending on who asks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum FirmForCaller {
    Full(Firm),
    Directory(FirmDirectoryEntry),
}

impl FirmRow {
    pub fn to_firm(&self) -> Result<Firm, AppError> {
        let corrupt = |what: &str| AppError::internal(format!("firm {} has a bad {what}", self.id));
        let activities = self
            .activities
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| Activity::parse(s).ok_or_else(|| corrupt("activity")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Firm {
            id: Uuid::parse_str(&self.id).map_err(|_| corrupt("id"))?,
            name: self.name.clone(),
            credit_code: self.credit_code.clone(),
            region_code: self.region_code.clone(),
            address: self.address.clone(),
            activities,
            status: FirmStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?,
            status_reason: self.status_reason.clone(),
            current_grade: None,
            created_at: time::from_db(self.created_at),
            updated_at: time::from_db(self.updated_at),
        })
    }

    fn for_view(&self, view: FirmView, grade: Option<String>) -> Result<FirmForCaller, AppError> {
        Ok(match view {
            FirmView::Full => FirmForCaller::Full(Firm {
                current_grade: grade,
                ..self.to_firm()?
            }),
            FirmView::Directory => FirmForCaller::Directory(FirmDirectoryEntry {
                id: Uuid::parse_str(&self.id).map_err(AppError::internal)?,
                name: self.name.clone(),
                region_code: self.region_code.clone(),
                current_grade: grade,
            }),
        })
    }
}

pub fn register(
    conn: &mut DbConnection,
    who: &Principal,
    request: RegisterFirmRequest,
) -> Result<Firm, AppError> {
    policy::supervise_firms(who)?;
    let new = request.parse()?;
    let now = time::now();
    let row = FirmRow::registered(
        Uuid::now_v7(),
        new.name,
        new.credit_code.as_str().to_string(),
        new.region_code.as_str().to_string(),
        new.address,
        &new.activities,
        now,
    );
    write_tx(conn, |conn| {
        if store::credit_code_taken(conn, &row.credit_code)? {
            return Err(AppError::conflict(
                "duplicate_credit_code",
                format!(
                    "a firm with credit code {} is already registered",
                    row.credit_code
                ),
            ));
        }
        store::insert(conn, &row)
    })?;
    row.to_firm()
}

/// The filters of `GET /firms`; every one optional.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FirmQuery {
    /// Part of the name, or of the credit code.
    pub q: Option<String>,
    /// A division (6 digits): a province or city code keeps every firm within it.
    #[param(schema_with = crate::paging::schema::region_code)]
    pub region_code: Option<String>,
    /// active, suspended or revoked (regulators; the association's directory has no status).
    #[param(schema_with = status_schema)]
    pub status: Option<String>,
    /// The current grade, A–D.
    #[param(schema_with = grade_schema)]
    pub grade: Option<String>,
}

impl FirmQuery {
    fn parse(&self, view: FirmView) -> Result<store::FirmFilter, AppError> {
        let mut errors = Vec::new();
        let text = Filters::text(&self.q);
        if text
            .as_deref()
            .is_some_and(|t| t.chars().count() > MAX_NAME_CHARS)
        {
            errors.push(FieldError::new(
                "q",
                "too_long",
                "must be at most 200 characters",
            ));
        }
        let region_prefix = match Filters::text(&self.region_code).map(|r| RegionCode::parse(&r)) {
            Some(Ok(region)) => Some(region.prefix().to_string()),
            Some(Err(e)) => {
                errors.push(FieldError::new("region_code", e.code(), e.to_string()));
                None
            }
            None => None,
        };
        let status = match Filters::text(&self.status) {
            // Status is not part of the directory: the association's filter has none (a known
            // status is ignored; an unknown one is refused as for everyone).
            Some(s) if view == FirmView::Directory && FirmStatus::parse(&s).is_some() => None,
            Some(s) => FirmStatus::parse(&s).or_else(|| {
                errors.push(FieldError::new(
                    "status",
                    "unknown_status",
                    format!("must be one of {}", FirmStatus::names()),
                ));
                None
            }),
            None => None,
        };
        let grade = Filters::text(&self.grade);
        if grade
            .as_deref()
            .is_some_and(|g| crate::grading::rules::Grade::parse(g).is_none())
        {
            errors.push(FieldError::new(
                "grade",
                "invalid_grade",
                "must be A, B, C or D",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(store::FirmFilter {
            only: None,
            text,
            region_prefix,
            status,
            grade,
        })
    }
}

pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    query: &FirmQuery,
    page: Page,
) -> Result<PageOf<FirmForCaller>, AppError> {
    let view = policy::list_firms(who)?;
    let mut filter = query.parse(view)?;
    // An enterprise user's directory is its own firm.
    filter.only = who.firm_id.map(|f| f.to_string());
    let rows = store::list(conn, page, &filter)?;
    // Only this page's firms: the grade history of the whole province is not needed here.
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let grades = store::newest_grades(conn, &ids)?;
    let items = rows
        .iter()
        .map(|row| {
            Ok((
                row.id.clone(),
                row.for_view(view, grades.get(&row.id).cloned())?,
            ))
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(PageOf::from_rows(
        items,
        page,
        |(id, _)| id.as_str(),
        |(_, item)| item,
    ))
}

pub fn get(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
) -> Result<FirmForCaller, AppError> {
    let view = policy::view_firm(who, firm_id)?;
    let row = store::find(conn, firm_id)?.ok_or(AppError::NotFound)?;
    let grade = store::newest_grades(conn, std::slice::from_ref(&row.id))?.remove(&row.id);
    row.for_view(view, grade)
}

/// The firm, or 404. For slices that hang records off a firm (permits, ledger).
pub fn require(conn: &mut DbConnection, firm_id: Uuid) -> Result<Firm, AppError> {
    store::find(conn, firm_id)?
        .ok_or(AppError::NotFound)?
        .to_firm()
}

pub fn change_status(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    request: ChangeFirmStatusRequest,
) -> Result<Firm, AppError> {
    policy::supervise_firms(who)?;
    let (status, reason) = request.parse()?;
    write_tx(conn, |conn| {
        let current = require(conn, firm_id)?;
        // Revocation (吊销) ends a firm's registration; a new registration is the way back.
        if current.status == FirmStatus::Revoked && status != FirmStatus::Revoked {
            return Err(AppError::conflict(
                "firm_revoked",
                "a revoked firm cannot be reinstated; register it again",
            ));
        }
        store::set_status(conn, firm_id, status, &reason, who.user_id, time::now())?;
        require(conn, firm_id)
    })
}

/// The firm a console form names, by its id or by its unified social credit code (as officers
/// have it on paper): `None` when no registered firm has it.
pub fn identify(conn: &mut DbConnection, text: &str) -> Result<Option<Uuid>, AppError> {
    let text = text.trim();
    if let Ok(id) = Uuid::parse_str(text) {
        return Ok(store::exists(conn, id)?.then_some(id));
    }
    let Ok(code) = CreditCode::parse(text) else {
        return Ok(None);
    };
    store::find_by_credit_code(conn, code.as_str())?
        .map(|row| Uuid::parse_str(&row.id).map_err(AppError::internal))
        .transpose()
}

fn status_schema() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::named(&["active", "suspended", "revoked"])
}

fn grade_schema() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::named(&["A", "B", "C", "D"])
}

fn new_status() -> utoipa::openapi::schema::Schema {
    crate::error::schema::one_of(&["active", "suspended", "revoked"])
}

fn address_schema() -> utoipa::openapi::schema::Schema {
    crate::error::schema::required_text(MAX_ADDRESS_CHARS)
}

fn activities_schema() -> utoipa::openapi::schema::Schema {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(utoipa::openapi::RefOr::T(crate::error::schema::one_of(&[
            "produce",
            "trade",
            "use",
            "store",
            "transport",
            "import",
            "export",
        ])))
        .min_items(Some(1))
        .build()
        .into()
}

fn region_schema() -> utoipa::openapi::schema::Schema {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(
            crate::domain::region::pattern()
                .replace('^', r"^\s*")
                .replace('$', r"\s*$"),
        ))
        .build()
        .into()
}
