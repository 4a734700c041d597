//! First-start seeding of the catalog from the official list shipped in `seed/precursors.csv`.

use serde::Deserialize;
use uuid::Uuid;

use super::store::{self, ChemicalRow};
use crate::db::{write_tx, DbConnection};
use crate::domain::{CasNumber, Category, Unit};
use crate::error::AppError;

const PRECURSORS_CSV: &str = include_str!("../../seed/precursors.csv");
/// The year each later addition to the list took effect (where known): the registry takes
/// 1 January of that year, China time, until the day is confirmed against the notice.
const ADDITIONS_CSV: &str = include_str!("../../seed/additions.csv");

#[derive(Debug, Deserialize)]
struct Addition {
    name_zh: String,
    year: i32,
    #[allow(dead_code)] // documentation for the reader of the file
    source: String,
}

/// Chinese name → controlled from, for the chemicals added after the list of 2005.
fn additions() -> Result<std::collections::HashMap<String, chrono::NaiveDateTime>, String> {
    let mut reader = csv::Reader::from_reader(ADDITIONS_CSV.as_bytes());
    let mut from = std::collections::HashMap::new();
    for (i, record) in reader.deserialize::<Addition>().enumerate() {
        let line = i + 2;
        let a = record.map_err(|e| format!("additions line {line}: {e}"))?;
        let start = chrono::NaiveDate::from_ymd_opt(a.year, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|t| t.and_local_timezone(crate::domain::time::CHINA).single())
            .ok_or_else(|| format!("additions line {line}: year {}", a.year))?;
        from.insert(
            a.name_zh.trim().to_string(),
            crate::domain::time::to_db(start.to_utc()),
        );
    }
    Ok(from)
}

#[derive(Debug, Deserialize)]
struct SeedRecord {
    cas: String,
    name_en: String,
    name_zh: String,
    category: i64,
    pharmaceutical: String,
    unit: String,
    note: String,
}

/// Parses the shipped list, checking every CAS number, category and unit; a bad row is a
/// build-time data error and stops the seed with the row's line number.
pub fn catalog_rows() -> Result<Vec<ChemicalRow>, String> {
    let mut reader = csv::Reader::from_reader(PRECURSORS_CSV.as_bytes());
    let mut added = additions()?;
    let mut rows = Vec::new();
    for (i, record) in reader.deserialize::<SeedRecord>().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| format!("seed line {line}: {e}"))?;
        let cas = match record.cas.trim() {
            "" => None,
            text => Some(
                CasNumber::parse(text)
                    .map_err(|e| format!("seed line {line}: CAS {text}: {e}"))?
                    .to_string(),
            ),
        };
        let category = Category::new(record.category)
            .ok_or_else(|| format!("seed line {line}: category {}", record.category))?;
        let unit = Unit::parse(record.unit.trim())
            .ok_or_else(|| format!("seed line {line}: unit {}", record.unit))?;
        rows.push(ChemicalRow {
            id: Uuid::now_v7().to_string(),
            cas,
            name_en: record.name_en.trim().to_string(),
            name_zh: record.name_zh.trim().to_string(),
            category: i32::from(category.get()),
            pharmaceutical: record.pharmaceutical.trim() == "yes",
            unit: unit.as_str().to_string(),
            note: Some(record.note.trim().to_string()).filter(|n| !n.is_empty()),
            controlled_from: added.remove(record.name_zh.trim()),
        });
    }
    if let Some(name) = added.keys().next() {
        return Err(format!("additions: {name} is not on the list"));
    }
    Ok(rows)
}

/// Seeds an empty catalog; returns how many entries were added (0 when already seeded).
pub fn seed_if_empty(conn: &mut DbConnection) -> Result<usize, AppError> {
    write_tx(conn, |conn| {
        if store::count(conn)? > 0 {
            return Ok(0);
        }
        let rows = catalog_rows().map_err(AppError::internal)?;
        store::insert_all(conn, &rows)?;
        Ok(rows.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_parses_with_valid_cas_numbers() {
        let rows = catalog_rows().unwrap();
        assert!(rows.len() >= 40, "{} rows", rows.len());
        assert!(rows
            .iter()
            .any(|r| r.cas.as_deref() == Some("108-24-7") && r.category == 2));
        for category in 1..=3 {
            assert!(rows.iter().any(|r| r.category == category));
        }
        let bromine = rows.iter().find(|r| r.name_zh == "溴素").unwrap();
        assert_eq!(
            bromine.controlled_from.map(|t| t.to_string()).as_deref(),
            Some("2016-12-31 16:00:00"),
            "1 January 2017, China time"
        );
        let acetone = rows
            .iter()
            .find(|r| r.cas.as_deref() == Some("67-64-1"))
            .unwrap();
        assert_eq!(acetone.controlled_from, None, "on the list of 2005");
        let mut names: Vec<_> = rows.iter().map(|r| r.name_zh.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), rows.len(), "Chinese names are unique");
    }
}
