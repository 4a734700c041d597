//! Amending the list as the law is amended (admins): a new chemical, controlled from a date;
//! a change of category or a delisting, effective from a date. Nothing is edited in place: a
//! change is a new row, and the validator judges each entry by the list as it stood then.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::store::{self, ChangeRow, ChemicalRow};
use super::Chemical;
use crate::auth::{policy, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::{time, CasNumber, Category, Unit};
use crate::error::{optional_text, required_text, AppError, FieldError};

/// `POST /chemicals`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewChemicalRequest {
    /// CAS registry number (checked); absent for a class entry.
    pub cas: Option<String>,
    #[schema(required = true, schema_with = crate::error::schema::text_200)]
    pub name_en: String,
    #[schema(required = true, schema_with = crate::error::schema::text_200)]
    pub name_zh: String,
    /// 1, 2 or 3.
    #[schema(required = true, value_type = i64, minimum = 1, maximum = 3)]
    #[serde(deserialize_with = "crate::error::optional_whole_number")]
    pub category: Option<i64>,
    /// kg or L.
    #[schema(required = true, schema_with = unit_schema)]
    pub unit: String,
    pub pharmaceutical: bool,
    /// RFC 3339, or a date (`2024-09-01`, midnight UTC): when the amendment took effect.
    #[schema(required = true, schema_with = crate::error::schema::moment)]
    pub controlled_from: String,
    pub note: Option<String>,
}

/// `POST /chemicals/{id}/changes`: a new category, or delisting, from `effective_from`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChangeRequest {
    /// RFC 3339, or a date.
    #[schema(required = true, schema_with = crate::error::schema::moment)]
    pub effective_from: String,
    /// 1, 2 or 3.
    #[schema(minimum = 1, maximum = 3)]
    #[serde(deserialize_with = "crate::error::optional_whole_number")]
    pub category: Option<i64>,
    pub delisted: bool,
    /// The notice that amended the list (required).
    #[schema(required = true, schema_with = crate::error::schema::text_500)]
    pub note: String,
}

fn moment(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    match time::parse_moment(text) {
        Some(Ok(t)) => Some(t),
        Some(Err(_)) => {
            let message = "must be an RFC 3339 time or a date (YYYY-MM-DD)";
            errors.push(FieldError::new(field, "invalid_time", message));
            None
        }
        None => {
            errors.push(FieldError::new(field, "required", "is required"));
            None
        }
    }
}

fn category(value: Option<i64>, errors: &mut Vec<FieldError>) -> Option<Category> {
    let parsed = value.map(|v| Category::new(v).ok_or(v));
    if let Some(Err(_)) = parsed {
        errors.push(FieldError::new(
            "category",
            "invalid_category",
            "must be 1, 2 or 3",
        ));
    }
    parsed.and_then(Result::ok)
}

impl NewChemicalRequest {
    fn parse(&self) -> Result<(ChemicalRow, Option<CasNumber>), AppError> {
        let mut errors = Vec::new();
        let cas = match self.cas.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(text) => CasNumber::parse(text)
                .map_err(|e| errors.push(FieldError::new("cas", e.code(), e.to_string())))
                .ok(),
            None => None,
        };
        let name_en = required_text("name_en", &self.name_en, 200, &mut errors);
        let name_zh = required_text("name_zh", &self.name_zh, 200, &mut errors);
        let category = category(self.category, &mut errors);
        if self.category.is_none() {
            errors.push(FieldError::new("category", "required", "is required"));
        }
        let unit = Unit::parse(self.unit.trim());
        if unit.is_none() {
            errors.push(FieldError::new("unit", "invalid_unit", "must be kg or L"));
        }
        let from = moment("controlled_from", &self.controlled_from, &mut errors);
        let note = optional_text("note", self.note.as_deref(), 500, &mut errors);
        match (category, unit, from, errors.is_empty()) {
            (Some(category), Some(unit), Some(from), true) => Ok((
                ChemicalRow {
                    id: Uuid::now_v7().to_string(),
                    cas: cas.as_ref().map(ToString::to_string),
                    name_en,
                    name_zh,
                    category: i32::from(category.get()),
                    pharmaceutical: self.pharmaceutical,
                    unit: unit.as_str().to_string(),
                    note,
                    controlled_from: Some(time::to_db(from)),
                },
                cas,
            )),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// Adds a chemical to the list, controlled from its date.
pub fn add(
    conn: &mut DbConnection,
    who: &Principal,
    request: NewChemicalRequest,
) -> Result<Chemical, AppError> {
    policy::amend_catalog(who)?;
    let (row, _) = request.parse()?;
    write_tx(conn, |conn| {
        if store::taken(conn, row.cas.as_deref(), &row.name_zh)? {
            return Err(AppError::conflict(
                "chemical_listed",
                "a chemical with this CAS number or Chinese name is on the list already",
            ));
        }
        store::insert_all(conn, std::slice::from_ref(&row))
    })?;
    row.to_chemical(&[], Utc::now())
}

/// Records a change of the list for one chemical, effective from its date.
pub fn change(
    conn: &mut DbConnection,
    who: &Principal,
    id: Uuid,
    request: ChangeRequest,
) -> Result<Chemical, AppError> {
    policy::amend_catalog(who)?;
    let mut errors = Vec::new();
    let effective = moment("effective_from", &request.effective_from, &mut errors);
    let new_category = category(request.category, &mut errors);
    let note = required_text("note", &request.note, 500, &mut errors);
    if request.category.is_none() && !request.delisted {
        let message = "a change gives a new category, or delists the chemical";
        errors.push(FieldError::new("category", "nothing_changed", message));
    }
    let (Some(effective), true) = (effective, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    write_tx(conn, |conn| {
        let chemical = store::find(conn, id)?.ok_or(AppError::NotFound)?;
        store::insert_change(
            conn,
            &ChangeRow {
                id: Uuid::now_v7().to_string(),
                chemical_id: chemical.id.clone(),
                effective_from: time::to_db(effective),
                category: new_category.map(|c| i32::from(c.get())),
                delisted: request.delisted,
                note,
                created_by: who.user_id.to_string(),
                created_at: time::now(),
            },
        )?;
        let changes = store::changes_of(conn, &chemical.id)?;
        chemical.to_chemical(&changes.iter().collect::<Vec<_>>(), Utc::now())
    })
}

fn unit_schema() -> utoipa::openapi::schema::Schema {
    crate::error::schema::one_of(&["kg", "L"])
}
