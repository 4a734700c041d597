//! The console's custody pages: the findings workflow (`findings`) and validation runs
//! (`validations`) and the rule pack in force (`rules`), calling the same services as `custody/http.rs`; and the names of codes,
//! severities and statuses in the user's language (`names`), for every page that shows a finding.

mod findings;
pub mod names;
pub mod pending;
mod rules;
mod validations;

use actix_web::web;

pub use names::{code_name, entry_kind_name, severity_name, status_name, SEVERITIES, STATUSES};

pub fn routes(cfg: &mut web::ServiceConfig) {
    findings::routes(cfg);
    validations::routes(cfg);
    rules::routes(cfg);
}
