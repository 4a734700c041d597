use diesel::prelude::*;
use uuid::Uuid;

use std::collections::HashMap;

use crate::db::schema::{chemical_changes, chemicals};
use crate::db::DbConnection;
use crate::domain::catalog::Control;
use crate::domain::time;
use crate::domain::Category;
use crate::error::AppError;

/// A parsed catalog search.
#[derive(Debug, Clone, Default)]
pub struct ChemicalSearch {
    pub category: Option<Category>,
    pub text: Option<String>,
}

use crate::db::lower;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = chemicals)]
pub struct ChemicalRow {
    pub id: String,
    pub cas: Option<String>,
    pub name_en: String,
    pub name_zh: String,
    pub category: i32,
    pub pharmaceutical: bool,
    pub unit: String,
    pub note: Option<String>,
    /// Controlled from (NULL: since before the registry's records).
    pub controlled_from: Option<chrono::NaiveDateTime>,
}

/// A change of the list, effective from its date: a new category, or delisting.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = chemical_changes)]
pub struct ChangeRow {
    pub id: String,
    pub chemical_id: String,
    pub effective_from: chrono::NaiveDateTime,
    pub category: Option<i32>,
    pub delisted: bool,
    pub note: String,
    pub created_by: String,
    pub created_at: chrono::NaiveDateTime,
}

/// Every chemical's changes, oldest first.
pub fn all_changes(conn: &mut DbConnection) -> Result<Vec<ChangeRow>, AppError> {
    Ok(chemical_changes::table
        .order((
            chemical_changes::effective_from.asc(),
            chemical_changes::id.asc(),
        ))
        .select(ChangeRow::as_select())
        .load(conn)?)
}

/// Whether a chemical with this CAS number or Chinese name is listed already.
pub fn taken(conn: &mut DbConnection, cas: Option<&str>, name_zh: &str) -> Result<bool, AppError> {
    let by_name: i64 = chemicals::table
        .filter(chemicals::name_zh.eq(name_zh))
        .count()
        .get_result(conn)?;
    let by_cas: i64 = match cas {
        Some(cas) => chemicals::table
            .filter(chemicals::cas.eq(cas))
            .count()
            .get_result(conn)?,
        None => 0,
    };
    Ok(by_name + by_cas > 0)
}

/// One chemical's changes, oldest first.
pub fn changes_of(conn: &mut DbConnection, id: &str) -> Result<Vec<ChangeRow>, AppError> {
    Ok(chemical_changes::table
        .filter(chemical_changes::chemical_id.eq(id))
        .order((
            chemical_changes::effective_from.asc(),
            chemical_changes::id.asc(),
        ))
        .select(ChangeRow::as_select())
        .load(conn)?)
}

pub fn insert_change(conn: &mut DbConnection, row: &ChangeRow) -> Result<(), AppError> {
    diesel::insert_into(chemical_changes::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Every chemical's control over time (or only that of `only`), by id: what the validator
/// and filing judge entries by.
pub fn controls(
    conn: &mut DbConnection,
    only: Option<&[String]>,
) -> Result<HashMap<String, Control>, AppError> {
    let mut listed_query = chemicals::table
        .select((
            chemicals::id,
            chemicals::category,
            chemicals::controlled_from,
            chemicals::pharmaceutical,
        ))
        .into_boxed();
    let mut changes_query = chemical_changes::table
        .select(ChangeRow::as_select())
        .into_boxed();
    if let Some(ids) = only {
        listed_query = listed_query.filter(chemicals::id.eq_any(ids));
        changes_query = changes_query.filter(chemical_changes::chemical_id.eq_any(ids));
    }
    let listed: Vec<(String, i32, Option<chrono::NaiveDateTime>, bool)> =
        listed_query.load(conn)?;
    let mut controls: HashMap<String, Control> = listed
        .into_iter()
        .map(|(id, category, from, medicine)| {
            let control = Control {
                from: from.map(time::from_db),
                medicine,
                ..Control::fixed(category as u8)
            };
            (id, control)
        })
        .collect();
    let changes: Vec<ChangeRow> = changes_query.load(conn)?;
    for change in changes {
        let Some(control) = controls.get_mut(&change.chemical_id) else {
            continue;
        };
        let at = time::from_db(change.effective_from);
        if let Some(category) = change.category {
            control.changes.push((at, category as u8));
        }
        if change.delisted {
            control.until = Some(control.until.map_or(at, |u| u.min(at)));
        }
    }
    Ok(controls)
}

pub fn count(conn: &mut DbConnection) -> Result<i64, AppError> {
    Ok(chemicals::table.count().get_result(conn)?)
}

pub fn insert_all(conn: &mut DbConnection, rows: &[ChemicalRow]) -> Result<(), AppError> {
    for row in rows {
        diesel::insert_into(chemicals::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: Uuid) -> Result<Option<ChemicalRow>, AppError> {
    Ok(chemicals::table
        .filter(chemicals::id.eq(id.to_string()))
        .select(ChemicalRow::as_select())
        .first(conn)
        .optional()?)
}

/// CAS number → catalog id, for reading spreadsheets that name chemicals by CAS.
pub fn cas_index(
    conn: &mut DbConnection,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let pairs: Vec<(Option<String>, String)> = chemicals::table
        .select((chemicals::cas, chemicals::id))
        .load(conn)?;
    Ok(pairs
        .into_iter()
        .filter_map(|(cas, id)| cas.map(|c| (c, id)))
        .collect())
}

/// Chemical id → (CAS number, Chinese name), for spreadsheets.
pub fn names(
    conn: &mut DbConnection,
) -> Result<std::collections::HashMap<String, (Option<String>, String)>, AppError> {
    let rows: Vec<(String, Option<String>, String)> = chemicals::table
        .select((chemicals::id, chemicals::cas, chemicals::name_zh))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, cas, name)| (id, (cas, name)))
        .collect())
}

/// How many of `ids` are in the catalog.
pub fn count_existing(conn: &mut DbConnection, ids: &[String]) -> Result<i64, AppError> {
    Ok(chemicals::table
        .filter(chemicals::id.eq_any(ids))
        .count()
        .get_result(conn)?)
}

/// The chemicals whose name or CAS number contains `text` (all without it), by id.
pub fn search(
    conn: &mut DbConnection,
    text: &Option<String>,
) -> Result<Vec<ChemicalRow>, AppError> {
    let mut query = chemicals::table
        .select(ChemicalRow::as_select())
        .order(chemicals::id.asc())
        .into_boxed();
    if let Some(text) = text {
        let pattern = crate::db::contains_pattern(text);
        query = query.filter(
            lower(chemicals::name_en)
                .like(pattern.clone())
                .escape('\\')
                .or(chemicals::name_zh.like(pattern.clone()).escape('\\'))
                .or(chemicals::cas.like(pattern).escape('\\')),
        );
    }
    Ok(query.load(conn)?)
}

/// Chinese name, English name and unit of each of `ids` found in the catalog.
/// Chemical id → (Chinese name, English name, unit).
pub type Labels = std::collections::HashMap<String, (String, String, String)>;

pub fn labels(conn: &mut DbConnection, ids: &[String]) -> Result<Labels, AppError> {
    let rows: Vec<(String, String, String, String)> = chemicals::table
        .filter(chemicals::id.eq_any(ids))
        .select((
            chemicals::id,
            chemicals::name_zh,
            chemicals::name_en,
            chemicals::unit,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, zh, en, unit)| (id, (zh, en, unit)))
        .collect())
}

/// Every chemical's id, CAS number and unit: how EPCIS names a chemical's class and quantities.
pub fn classes(conn: &mut DbConnection) -> Result<Vec<(String, Option<String>, String)>, AppError> {
    Ok(chemicals::table
        .select((chemicals::id, chemicals::cas, chemicals::unit))
        .load(conn)?)
}
