//! Permits (许可证) and filings (备案证明) held by firms: kind, number, chemicals in scope,
//! validity and an optional quantity limit.

pub mod http;
pub mod store;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{policy, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::{time, FirmStatus, PermitKind, Quantity};
use crate::error::{required_text, AppError, FieldError};
use crate::firms;
use crate::paging::{Page, PageOf};
use store::PermitRow;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RegisterPermitRequest {
    /// production_licence, operation_licence, purchase_permit, purchase_filing, transport_permit, transport_filing or import_export_permit.
    #[schema(required = true, schema_with = kind_schema)]
    pub kind: String,
    /// The number printed on the document; unique per kind.
    #[schema(required = true, schema_with = crate::error::schema::text_64)]
    pub number: String,
    /// Catalog ids of the chemicals the permit covers.
    #[schema(required = true, schema_with = chemical_ids_schema)]
    pub chemical_ids: Vec<String>,
    /// Optional total quantity the permit allows, a decimal string in the chemical's unit.
    pub quantity_limit: Option<String>,
    #[schema(required = true, value_type = DateTime<Utc>)]
    pub valid_from: Option<DateTime<Utc>>,
    #[schema(required = true, value_type = DateTime<Utc>)]
    pub valid_until: Option<DateTime<Utc>>,
}

/// A permit registration that passed every field check (chemical existence is checked against
/// the catalog when it is stored).
#[derive(Debug, Clone)]
pub struct NewPermit {
    pub kind: PermitKind,
    pub number: String,
    pub chemical_ids: BTreeSet<Uuid>,
    pub quantity_limit: Option<Quantity>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

impl RegisterPermitRequest {
    pub fn parse(self) -> Result<NewPermit, AppError> {
        let mut errors = Vec::new();
        let kind = PermitKind::parse(self.kind.trim());
        if kind.is_none() {
            errors.push(FieldError::new(
                "kind",
                "unknown_permit_kind",
                format!("must be one of {}", PermitKind::names()),
            ));
        }
        let number = required_text("number", &self.number, 64, &mut errors);
        let chemical_ids = chemical_ids(&self.chemical_ids, &mut errors);
        let quantity_limit = quantity_limit(self.quantity_limit.as_deref(), &mut errors);
        if self.valid_from.is_none() {
            errors.push(FieldError::new(
                "valid_from",
                "required",
                "is required (RFC 3339)",
            ));
        }
        if self.valid_until.is_none() {
            errors.push(FieldError::new(
                "valid_until",
                "required",
                "is required (RFC 3339)",
            ));
        }
        if let (Some(from), Some(until)) = (self.valid_from, self.valid_until) {
            if until <= from {
                errors.push(FieldError::new(
                    "valid_until",
                    "invalid_validity",
                    "must be later than valid_from",
                ));
            }
        }
        match (kind, self.valid_from, self.valid_until) {
            (Some(kind), Some(valid_from), Some(valid_until)) if errors.is_empty() => {
                Ok(NewPermit {
                    kind,
                    number,
                    chemical_ids,
                    quantity_limit,
                    valid_from: time::from_db(time::to_db(valid_from)),
                    valid_until: time::from_db(time::to_db(valid_until)),
                })
            }
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// The catalog ids of a permit's chemicals: at least one, each a valid id.
fn chemical_ids(texts: &[String], errors: &mut Vec<FieldError>) -> BTreeSet<Uuid> {
    if texts.is_empty() {
        errors.push(FieldError::new(
            "chemical_ids",
            "required",
            "name at least one chemical",
        ));
    }
    let mut chemical_ids = BTreeSet::new();
    for (i, text) in texts.iter().enumerate() {
        match Uuid::parse_str(text) {
            Ok(id) => {
                chemical_ids.insert(id);
            }
            Err(_) => errors.push(FieldError::new(
                format!("chemical_ids[{i}]"),
                "invalid_id",
                "is not a catalog id",
            )),
        }
    }
    chemical_ids
}

/// An optional limit on the quantity a permit allows: a positive quantity when given.
fn quantity_limit(text: Option<&str>, errors: &mut Vec<FieldError>) -> Option<Quantity> {
    match text {
        None => None,
        Some(text) => match Quantity::parse(text) {
            Ok(q) if q.is_zero() => {
                errors.push(FieldError::new(
                    "quantity_limit",
                    "zero_quantity",
                    "must be greater than 0",
                ));
                None
            }
            Ok(q) => Some(q),
            Err(e) => {
                errors.push(FieldError::new("quantity_limit", e.code(), e.to_string()));
                None
            }
        },
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Permit {
    pub id: Uuid,
    pub firm_id: Uuid,
    pub kind: PermitKind,
    pub number: String,
    pub chemical_ids: Vec<Uuid>,
    #[schema(value_type = Option<String>, example = "5000.000")]
    pub quantity_limit: Option<Quantity>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl Permit {
    fn from_row(row: &PermitRow, chemical_ids: Vec<Uuid>) -> Result<Permit, AppError> {
        let corrupt =
            |what: &str| AppError::internal(format!("permit {} has a bad {what}", row.id));
        Ok(Permit {
            id: Uuid::parse_str(&row.id).map_err(|_| corrupt("id"))?,
            firm_id: Uuid::parse_str(&row.firm_id).map_err(|_| corrupt("firm id"))?,
            kind: PermitKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?,
            number: row.number.clone(),
            chemical_ids,
            quantity_limit: row
                .quantity_limit
                .map(Quantity::from_thousandths)
                .transpose()
                .map_err(|_| corrupt("quantity limit"))?,
            valid_from: time::from_db(row.valid_from),
            valid_until: time::from_db(row.valid_until),
            created_at: time::from_db(row.created_at),
        })
    }
}

pub fn register(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    request: RegisterPermitRequest,
) -> Result<Permit, AppError> {
    policy::supervise_firms(who)?;
    let new = request.parse()?;
    write_tx(conn, |conn| {
        let firm = firms::require(conn, firm_id)?;
        if firm.status == FirmStatus::Revoked {
            return Err(AppError::conflict(
                "firm_revoked",
                "a revoked firm cannot be issued permits",
            ));
        }
        let ids: Vec<String> = new.chemical_ids.iter().map(Uuid::to_string).collect();
        if crate::chemicals::store::count_existing(conn, &ids)? != ids.len() as i64 {
            return Err(AppError::field(
                "chemical_ids",
                "unknown_chemical",
                "names a chemical that is not in the catalog",
            ));
        }
        if store::number_taken(conn, new.kind, &new.number)? {
            return Err(AppError::conflict(
                "duplicate_permit_number",
                format!(
                    "a {} numbered {} is already registered",
                    new.kind, new.number
                ),
            ));
        }
        let row = PermitRow {
            id: Uuid::now_v7().to_string(),
            firm_id: firm_id.to_string(),
            kind: new.kind.as_str().to_string(),
            number: new.number.clone(),
            quantity_limit: new.quantity_limit.map(Quantity::thousandths),
            valid_from: time::to_db(new.valid_from),
            valid_until: time::to_db(new.valid_until),
            created_by: who.user_id.to_string(),
            created_at: time::now(),
        };
        store::insert(conn, &row, &ids)?;
        Permit::from_row(&row, new.chemical_ids.iter().copied().collect())
    })
}

pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    page: Page,
) -> Result<PageOf<Permit>, AppError> {
    policy::read_firm_records(who, firm_id)?;
    firms::require(conn, firm_id)?;
    let rows = store::list_for_firm(conn, firm_id, page)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut scopes = store::scopes(conn, &ids)?;
    let items = rows
        .iter()
        .map(|row| {
            let chemicals = scopes
                .remove(&row.id)
                .unwrap_or_default()
                .iter()
                .map(|c| Uuid::parse_str(c).map_err(AppError::internal))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((row.id.clone(), Permit::from_row(row, chemicals)?))
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(PageOf::from_rows(
        items,
        page,
        |(id, _)| id.as_str(),
        |(_, p)| p,
    ))
}

fn kind_schema() -> utoipa::openapi::schema::Schema {
    let kinds: Vec<&str> = crate::domain::PermitKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    crate::error::schema::one_of(&kinds)
}

fn chemical_ids_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        )
        .min_items(Some(1))
        .build()
        .into()
}
