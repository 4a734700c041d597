//! The clerk's ledger in the console: the table with its running balance per lot (`table`),
//! one entry as its receipt (`entry`), the filing form (`form`), the CSV upload with its preview
//! (`upload`) and the inventory. Every page calls the ledger's own services, as the API does.

mod entry;
mod form;
mod table;
mod upload;

use actix_web::web;

use crate::console::Texts;
use crate::domain::EntryKind;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/ledger").route(web::get().to(table::page)))
        .service(web::resource("/ledger/export.csv").route(web::get().to(table::export)))
        .service(
            web::resource("/ledger/new")
                .route(web::get().to(form::page))
                .route(web::post().to(form::file)),
        )
        .service(
            web::resource("/ledger/upload")
                .route(web::get().to(upload::page))
                .route(web::post().to(upload::preview)),
        )
        .service(web::resource("/ledger/upload/file").route(web::post().to(upload::file)))
        .service(web::resource("/ledger/{entry_id}").route(web::get().to(entry::page)))
        .service(web::resource("/inventory").route(web::get().to(table::stock)));
}

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
