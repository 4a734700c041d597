//! What the ledger's pages (and the counterparty check) show of kinds and chemicals.

use crate::console::Texts;
use crate::domain::EntryKind;

/// What a kind of entry is called on a page.
pub fn kind_label(texts: Texts, kind: EntryKind) -> &'static str {
    texts.t(match kind {
        EntryKind::Purchase => "ledger.kind_purchase",
        EntryKind::Production => "ledger.kind_production",
        EntryKind::Sale => "ledger.kind_sale",
        EntryKind::Consumption => "ledger.kind_consumption",
        EntryKind::Loss => "ledger.kind_loss",
        EntryKind::Disposal => "ledger.kind_disposal",
        EntryKind::Stocktake => "ledger.kind_stocktake",
        EntryKind::Reversal => "ledger.kind_reversal",
    })
}

/// Every kind as (value, label, selected) for a `<select>`.
pub fn kind_options(texts: Texts, selected: &str) -> Vec<(&'static str, &'static str, bool)> {
    EntryKind::ALL
        .iter()
        .map(|&k| (k.as_str(), kind_label(texts, k), k.as_str() == selected))
        .collect()
}

/// A chemical as a `<select>` shows it.
pub struct ChemicalOption {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

/// The whole catalog (a few dozen chemicals), Chinese or English names, for the forms.
pub fn chemical_options(
    conn: &mut crate::db::DbConnection,
    texts: Texts,
    selected: &str,
) -> Result<Vec<ChemicalOption>, crate::error::AppError> {
    let search = crate::chemicals::ChemicalSearch::default();
    let page = crate::paging::Page {
        limit: 1000,
        after: None,
    };
    let rows = crate::chemicals::store::search(conn, &search, page)?;
    let mut options: Vec<ChemicalOption> = rows
        .into_iter()
        .map(|c| ChemicalOption {
            selected: c.id == selected,
            label: format!(
                "{} ({})",
                texts.pick(&c.name_zh, &c.name_en),
                c.cas.as_deref().unwrap_or("—")
            ),
            id: c.id,
        })
        .collect();
    options.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(options)
}
