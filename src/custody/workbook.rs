//! Findings as an Excel workbook: one sheet, a row per finding, headed in the reader's language;
//! the first-seen time an Excel date, the quantity a number.

use chrono::FixedOffset;

use super::findings::FindingView;
use super::pages::names::{code_name, severity_name, status_name};
use crate::console::Texts;
use crate::error::AppError;
use crate::workbook::{self, Cell, Column, Sheet};

/// The workbook of `findings`; `chemicals` gives a chemical's (Chinese, English) name by id.
pub fn findings_xlsx(
    findings: &[FindingView],
    chemicals: &crate::chemicals::store::Labels,
    texts: Texts,
    clock: FixedOffset,
) -> Result<Vec<u8>, AppError> {
    let columns = [
        (
            format!("{} (UTC{clock})", texts.t("findings_page.first_seen_at")),
            20.0,
        ),
        (texts.t("workbook.finding_code").to_string(), 28.0),
        (texts.t("findings_page.code").to_string(), 28.0),
        (texts.t("findings_page.severity").to_string(), 10.0),
        (texts.t("findings_page.status").to_string(), 10.0),
        (texts.t("findings_page.firm").to_string(), 30.0),
        (texts.t("findings_page.counterparty").to_string(), 30.0),
        (texts.t("workbook.chemical").to_string(), 16.0),
        (texts.t("ledger.lot").to_string(), 14.0),
        (texts.t("ledger.quantity").to_string(), 12.0),
        (texts.t("findings_page.message").to_string(), 60.0),
        (texts.t("findings_page.entries").to_string(), 40.0),
        (texts.t("workbook.finding_id").to_string(), 38.0),
    ]
    .into_iter()
    .map(|(title, width)| Column { title, width })
    .collect();
    let rows = findings
        .iter()
        .map(|f| {
            let text = |v: &Option<String>| v.clone().map_or(Cell::Empty, Cell::Text);
            let chemical = f.chemical_id.map(|id| {
                chemicals
                    .get(&id.to_string())
                    .map_or_else(|| id.to_string(), |(zh, en, _)| texts.pick(zh, en).into())
            });
            // A decimal string of at most three places (negative for a negative balance).
            let quantity = f
                .quantity
                .as_deref()
                .and_then(|q| q.parse::<f64>().ok())
                .map_or(Cell::Empty, |q| Cell::Quantity((q * 1000.0).round() as i64));
            let firm = f.firm_name.clone().unwrap_or_else(|| f.firm_id.to_string());
            let counterparty = f
                .counterparty_name
                .clone()
                .or_else(|| f.counterparty_firm_id.map(|c| c.to_string()));
            let entries: Vec<String> = f.entry_ids.iter().map(|e| e.to_string()).collect();
            vec![
                Cell::Date(f.first_seen_at.with_timezone(&clock).naive_local()),
                Cell::Text(f.code.as_str().to_string()),
                Cell::Text(code_name(texts, f.code).to_string()),
                Cell::Text(severity_name(texts, f.severity).to_string()),
                Cell::Text(status_name(texts, f.status).to_string()),
                Cell::Text(firm),
                text(&counterparty),
                text(&chemical),
                text(&f.lot),
                quantity,
                Cell::Text(texts.pick(&f.message, &f.message_en).to_string()),
                Cell::Text(entries.join(" ")),
                Cell::Text(f.id.to_string()),
            ]
        })
        .collect();
    workbook::workbook(&[Sheet::new(
        texts.t("workbook.findings_sheet"),
        columns,
        rows,
    )])
}
