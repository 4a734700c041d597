//! The catalog of controlled precursor chemicals (易制毒化学品目录).
//!
//! The catalog is data, not code: it is seeded once from `seed/precursors.csv` (the official
//! lists) and can then be amended in the database as the law changes.

pub mod http;
pub mod seed;
pub mod store;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::{Category, Unit};
use crate::error::{AppError, FieldError};
use crate::paging::{Page, PageOf};
use store::ChemicalRow;
pub use store::ChemicalSearch;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Chemical {
    pub id: Uuid,
    /// CAS registry number; absent for class entries such as ephedra extract.
    pub cas: Option<String>,
    pub name_en: String,
    pub name_zh: String,
    /// 1, 2 or 3 on the national list.
    pub category: u8,
    pub unit: Unit,
    /// A 药品类 item of category 1, licensed by the medical products authority.
    pub pharmaceutical: bool,
    /// What about this entry is not yet confirmed against the official text.
    pub note: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChemicalFilter {
    /// 1, 2 or 3.
    pub category: Option<String>,
    /// Part of the Chinese or English name, or of the CAS number.
    pub q: Option<String>,
}

impl ChemicalFilter {
    pub fn parse(&self) -> Result<ChemicalSearch, AppError> {
        let category = match self.category.as_deref() {
            None | Some("") => None,
            Some(text) => Some(
                text.parse::<i64>()
                    .ok()
                    .and_then(Category::new)
                    .ok_or_else(|| {
                        AppError::Validation(vec![FieldError::new(
                            "category",
                            "invalid_category",
                            "must be 1, 2 or 3",
                        )])
                    })?,
            ),
        };
        let text = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        if text.is_some_and(|q| q.chars().count() > 100) {
            return Err(AppError::field(
                "q",
                "too_long",
                "must be at most 100 characters",
            ));
        }
        Ok(ChemicalSearch {
            category,
            text: text.map(str::to_string),
        })
    }
}

impl ChemicalRow {
    pub fn to_chemical(&self) -> Result<Chemical, AppError> {
        let corrupt =
            |what: &str| AppError::internal(format!("chemical {} has a bad {what}", self.id));
        Ok(Chemical {
            id: Uuid::parse_str(&self.id).map_err(|_| corrupt("id"))?,
            cas: self.cas.clone(),
            name_en: self.name_en.clone(),
            name_zh: self.name_zh.clone(),
            category: Category::new(i64::from(self.category))
                .ok_or_else(|| corrupt("category"))?
                .get(),
            unit: Unit::parse(&self.unit).ok_or_else(|| corrupt("unit"))?,
            pharmaceutical: self.pharmaceutical,
            note: self.note.clone(),
        })
    }
}

/// Every signed-in role may read the catalog: it is public law.
pub fn list(
    conn: &mut DbConnection,
    _who: &Principal,
    search: ChemicalSearch,
    page: Page,
) -> Result<PageOf<Chemical>, AppError> {
    let rows = store::search(conn, &search, page)?;
    let items = rows
        .iter()
        .map(|row| Ok((row.id.clone(), row.to_chemical()?)))
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(PageOf::from_rows(
        items,
        page,
        |(id, _)| id.as_str(),
        |(_, c)| c,
    ))
}

pub fn get(conn: &mut DbConnection, _who: &Principal, id: Uuid) -> Result<Chemical, AppError> {
    store::find(conn, id)?
        .ok_or(AppError::NotFound)?
        .to_chemical()
}

/// A chemical's name in the user's language and its unit, from `store::labels` (the id itself
/// for a chemical not in the map).
pub fn label(
    texts: crate::console::Texts,
    labels: &std::collections::HashMap<String, (String, String, String)>,
    id: &str,
) -> (String, String) {
    match labels.get(id) {
        Some((zh, en, unit)) => (texts.pick(zh, en).to_string(), unit.clone()),
        None => (id.to_string(), String::new()),
    }
}
