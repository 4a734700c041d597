use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::chemicals;
use crate::db::DbConnection;
use crate::domain::Category;
use crate::error::AppError;
use crate::paging::Page;

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

pub fn search(
    conn: &mut DbConnection,
    search: &ChemicalSearch,
    page: Page,
) -> Result<Vec<ChemicalRow>, AppError> {
    let mut query = chemicals::table
        .filter(chemicals::id.gt(page.after_key()))
        .select(ChemicalRow::as_select())
        .order(chemicals::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(category) = search.category {
        query = query.filter(chemicals::category.eq(i32::from(category.get())));
    }
    if let Some(text) = &search.text {
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
pub fn labels(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, (String, String, String)>, AppError> {
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
