//! What the ledger's pages (and the counterparty check) show of kinds and chemicals.

use crate::console::Texts;
use crate::domain::{EntryKind, Payment};

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

/// What a way of payment is called on a page (`unknown`: filed before payments were recorded).
pub fn payment_label(texts: Texts, payment: &str) -> &'static str {
    texts.t(match Payment::parse(payment) {
        Some(Payment::BankTransfer) => "ledger.payment_bank_transfer",
        Some(Payment::Card) => "ledger.payment_card",
        Some(Payment::Cheque) => "ledger.payment_cheque",
        Some(Payment::Cash) => "ledger.payment_cash",
        Some(Payment::Barter) => "ledger.payment_barter",
        Some(Payment::Other) => "ledger.payment_other",
        None => "ledger.payment_unknown",
    })
}

/// Every way of payment as (value, label, selected) for a `<select>`.
pub fn payment_options(texts: Texts, selected: &str) -> Vec<(&'static str, &'static str, bool)> {
    Payment::ALL
        .iter()
        .map(|&p| {
            (
                p.as_str(),
                payment_label(texts, p.as_str()),
                p.as_str() == selected,
            )
        })
        .collect()
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
    let rows = crate::chemicals::store::search(conn, &None)?;
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
