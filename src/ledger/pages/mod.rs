//! The clerk's ledger in the console: the table with its running balance per lot (`table`),
//! one entry as its receipt (`entry`), the filing form (`form`), the CSV upload with its preview
//! (`upload`) and the inventory. Every page calls the ledger's own services, as the API does.

mod entry;
mod export;
mod form;
pub mod labels;
mod table;
mod upload;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/ledger").route(web::get().to(table::page)))
        .service(web::resource("/ledger/export.csv").route(web::get().to(export::csv)))
        .service(web::resource("/ledger/export.xlsx").route(web::get().to(export::xlsx)))
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
        .service(
            web::resource("/ledger/upload/file")
                // The previewed file comes back as a form field: up to its 2 MB, urlencoded.
                .app_data(
                    web::FormConfig::default()
                        .limit(upload::CONFIRM_LIMIT)
                        .error_handler(crate::console::errors::form_error),
                )
                .route(web::post().to(upload::file)),
        )
        .service(web::resource("/ledger/{entry_id}").route(web::get().to(entry::page)))
        .service(web::resource("/inventory").route(web::get().to(table::stock)));
}
