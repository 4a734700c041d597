//! The catalog of controlled precursor chemicals (易制毒化学品目录).
//!
//! The catalog is data, not code: it is seeded once from `seed/precursors.csv` (the official
//! lists) and can then be amended in the database as the law changes.

pub mod amend;
pub mod http;
pub mod seed;
pub mod store;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::catalog::Control;
use crate::domain::time;
use crate::domain::{Category, Unit};
use crate::error::{AppError, FieldError};
use crate::paging::{Page, PageOf};
pub use store::ChemicalSearch;
use store::{ChangeRow, ChemicalRow};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Chemical {
    pub id: Uuid,
    /// CAS registry number; absent for class entries such as ephedra extract.
    pub cas: Option<String>,
    pub name_en: String,
    pub name_zh: String,
    /// 1, 2 or 3 on the national list, as of now (changes take effect from their dates).
    pub category: u8,
    pub unit: Unit,
    /// A 药品类 item of category 1, licensed by the medical products authority.
    pub pharmaceutical: bool,
    /// What about this entry is not yet confirmed against the official text.
    pub note: Option<String>,
    /// Controlled from this moment; absent: since before the registry's records (Decree 445
    /// of 2005). Entries before it are not judged by the rules for controlled chemicals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controlled_from: Option<DateTime<Utc>>,
    /// Delisted from this moment, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controlled_until: Option<DateTime<Utc>>,
    /// The changes of its listing, oldest first (absent when there were none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ChangeView>,
}

/// A change of a chemical's listing, effective from its date.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChangeView {
    pub id: Uuid,
    pub effective_from: DateTime<Utc>,
    /// The new category, if it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<u8>,
    /// Whether the chemical leaves the list from `effective_from`.
    pub delisted: bool,
    pub note: String,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChemicalFilter {
    /// 1, 2 or 3.
    #[param(schema_with = category_schema)]
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
    /// The chemical with its `changes` (its own, oldest first), its category as of `now`.
    pub fn to_chemical(
        &self,
        changes: &[&ChangeRow],
        now: DateTime<Utc>,
    ) -> Result<Chemical, AppError> {
        let corrupt =
            |what: &str| AppError::internal(format!("chemical {} has a bad {what}", self.id));
        let listed = Category::new(i64::from(self.category)).ok_or_else(|| corrupt("category"))?;
        let views = changes
            .iter()
            .map(|c| {
                Ok(ChangeView {
                    id: Uuid::parse_str(&c.id).map_err(|_| corrupt("change id"))?,
                    effective_from: time::from_db(c.effective_from),
                    category: c.category.map(|k| k as u8),
                    delisted: c.delisted,
                    note: c.note.clone(),
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let control = Control {
            from: self.controlled_from.map(time::from_db),
            until: views
                .iter()
                .filter(|c| c.delisted)
                .map(|c| c.effective_from)
                .min(),
            initial: listed.get(),
            changes: views
                .iter()
                .filter_map(|c| Some((c.effective_from, c.category?)))
                .collect(),
            medicine: self.pharmaceutical,
        };
        Ok(Chemical {
            id: Uuid::parse_str(&self.id).map_err(|_| corrupt("id"))?,
            cas: self.cas.clone(),
            name_en: self.name_en.clone(),
            name_zh: self.name_zh.clone(),
            category: control.category_at(now),
            unit: Unit::parse(&self.unit).ok_or_else(|| corrupt("unit"))?,
            pharmaceutical: self.pharmaceutical,
            note: self.note.clone(),
            controlled_from: control.from,
            controlled_until: control.until,
            changes: views,
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
    // The list is a few dozen chemicals: read it whole, so that a category filter sees each
    // chemical's category as of now, then page.
    let rows = store::search(conn, &search.text)?;
    let changes = store::all_changes(conn)?;
    let (now, after) = (Utc::now(), page.after_key());
    let mut items = Vec::new();
    for row in rows.iter().filter(|r| r.id > after) {
        let own: Vec<&ChangeRow> = changes.iter().filter(|c| c.chemical_id == row.id).collect();
        let chemical = row.to_chemical(&own, now)?;
        if search.category.is_none_or(|c| c.get() == chemical.category) {
            items.push((row.id.clone(), chemical));
        }
        if items.len() as i64 >= page.fetch_limit() {
            break;
        }
    }
    Ok(PageOf::from_rows(
        items,
        page,
        |(id, _)| id.as_str(),
        |(_, c)| c,
    ))
}

pub fn get(conn: &mut DbConnection, _who: &Principal, id: Uuid) -> Result<Chemical, AppError> {
    let row = store::find(conn, id)?.ok_or(AppError::NotFound)?;
    let changes = store::changes_of(conn, &row.id)?;
    row.to_chemical(&changes.iter().collect::<Vec<_>>(), Utc::now())
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

fn category_schema() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::named(&["1", "2", "3"])
}
