//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{
    activity, audits, auth, chemicals, custody, firms, grading, ledger, permits, users, web,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "precursor-registry",
        description = "Registry of precursor chemicals (易制毒化学品): firms, permits, ledger, custody and grading."
    ),
    paths(
        auth::http::login,
        auth::http::refresh,
        auth::http::logout,
        users::http::me,
        users::http::create,
        users::http::list,
        users::http::update,
        chemicals::http::list,
        chemicals::http::get,
        firms::http::register,
        firms::http::list,
        firms::http::get,
        firms::http::change_status,
        permits::http::register,
        permits::http::list,
        ledger::http::file_one,
        ledger::http::file_batch,
        ledger::http::import,
        ledger::http::list,
        ledger::http::get,
        ledger::http::verify,
        ledger::http::inventory,
        custody::http::run,
        custody::http::list,
        custody::http::get,
        custody::http::explain,
        custody::http::decide,
        custody::http::trace,
        audits::http::open,
        audits::http::list,
        audits::http::get,
        audits::http::record_finding,
        audits::http::close,
        grading::http::assess,
        grading::http::confirm,
        grading::http::history,
        grading::http::current,
        grading::http::summary,
        grading::http::due,
        activity::http::list,
        web::ops::healthz,
        web::ops::readyz,
        web::ops::metrics,
    ),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-in and tokens"),
        (name = "users", description = "Accounts (admin)"),
        (name = "chemicals", description = "The precursor catalog"),
        (name = "firms", description = "Registered enterprises"),
        (name = "permits", description = "Licences and filings"),
        (name = "ledger", description = "The append-only, hash-chained ledger"),
        (name = "custody", description = "Chain-of-custody validation, findings and lot trace"),
        (name = "audits", description = "Inspections of firms"),
        (name = "grading", description = "Grades, their history and the supervision worklist"),
        (name = "activity", description = "The log of state-changing requests"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
