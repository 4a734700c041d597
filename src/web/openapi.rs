//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{
    activity, alerts, audits, chemicals, counterparties, custody, directory, firms, grading,
    ledger, permits, sessions, shipments, users, web,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "precursor-registry",
        description = "Registry of precursor chemicals (易制毒化学品): firms, permits, ledger, custody and grading."
    ),
    paths(
        sessions::http::login,
        sessions::http::refresh,
        sessions::http::logout,
        users::http::me,
        users::http::create,
        users::http::list,
        users::http::update,
        chemicals::http::list,
        chemicals::http::get,
        chemicals::http::add,
        chemicals::http::change,
        firms::http::register,
        firms::http::list,
        firms::http::get,
        firms::http::change_status,
        permits::http::register,
        permits::http::list,
        crate::declarations::http::declare,
        crate::declarations::http::list,
        crate::identifiers::http::register,
        crate::identifiers::http::list,
        crate::ledger::http::proof,
        crate::ledger::http::export,
        crate::transparency::http::key,
        crate::transparency::http::latest,
        crate::transparency::http::list,
        crate::transparency::http::sign,
        crate::transparency::http::consistency,
        ledger::http::file_one,
        ledger::http::file_batch,
        ledger::http::import,
        ledger::http::import_epcis,
        ledger::http::list,
        ledger::http::get,
        ledger::http::verify,
        ledger::http::inventory,
        ledger::http::template,
        custody::http::run,
        custody::http::list,
        custody::http::get,
        custody::http::explain,
        custody::http::decide,
        custody::http::trace,
        custody::http::rules,
        shipments::http::incoming,
        shipments::http::receipt,
        shipments::http::refusal,
        shipments::http::outgoing,
        shipments::http::board,
        shipments::http::summary,
        counterparties::http::check,
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
        directory::http::publish,
        directory::http::publications,
        directory::http::public_grades,
        activity::http::list,
        alerts::http::create,
        alerts::http::list,
        alerts::http::end,
        alerts::http::deliveries,
        alerts::http::stream,
        web::ops::healthz,
        web::ops::readyz,
        web::ops::metrics,
    ),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&BearerAuth, &ProblemResponses, &UntaggedAnyOf),
    tags(
        (name = "auth", description = "Sign-in and tokens"),
        (name = "users", description = "Accounts (admin)"),
        (name = "chemicals", description = "The precursor catalog"),
        (name = "firms", description = "Registered enterprises"),
        (name = "permits", description = "Licences and filings"),
        (name = "declarations", description = "Customer declarations of use (eu rule pack)"),
        (name = "gs1", description = "A firm's GS1 identifiers: company prefixes, party and site GLNs, products (EPCIS)"),
        (name = "transparency", description = "The Merkle tree over every entry: key, signed checkpoints, consistency proofs"),
        (name = "ledger", description = "The append-only, hash-chained ledger"),
        (name = "custody", description = "Chain-of-custody validation, findings and lot trace"),
        (name = "shipments", description = "Shipments while they move: the buyer's inbox, receipts, the seller's list"),
        (name = "counterparties", description = "Checking a buyer's purchase right before a sale"),
        (name = "audits", description = "Inspections of firms"),
        (name = "grading", description = "Grades, their history and the supervision worklist"),
        (name = "directory", description = "The association's publications and the public grade directory (off unless the deployment enables it)"),
        (name = "activity", description = "The log of state-changing requests"),
        (name = "alerts", description = "Webhook subscriptions, their delivery logs, and the event stream"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

/// An untagged enum (`FirmForCaller`: a full firm, or its directory entry) is written as one of
/// its variants, and a full firm also has every field of a directory entry: the answer matches
/// any of the variants' schemas, not exactly one (`oneOf` would make every full firm invalid).
struct UntaggedAnyOf;

impl Modify for UntaggedAnyOf {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        fn rewrite(value: &mut serde_json::Value) {
            match value {
                serde_json::Value::Object(map) => {
                    let all_refs =
                        map.get("oneOf")
                            .and_then(|v| v.as_array())
                            .is_some_and(|items| {
                                !items.is_empty() && items.iter().all(|i| i.get("$ref").is_some())
                            });
                    if all_refs {
                        if let Some(items) = map.remove("oneOf") {
                            map.insert("anyOf".to_string(), items);
                        }
                    }
                    map.values_mut().for_each(rewrite);
                }
                serde_json::Value::Array(items) => items.iter_mut().for_each(rewrite),
                _ => {}
            }
        }
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let Ok(mut schemas) = serde_json::to_value(&components.schemas) else {
            return;
        };
        rewrite(&mut schemas);
        if let Ok(schemas) = serde_json::from_value(schemas) {
            components.schemas = schemas;
        }
    }
}

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

/// Every error is `application/problem+json` with the `Problem` schema: this says so once for all
/// operations, and adds the answers any operation can give (400 malformed request, 401 without a
/// valid token, 403 for a role that may never, 404 for another firm's object on a secured route,
/// 422 invalid fields, 500) where a handler did not list them.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem_ref = "#/components/schemas/Problem";
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(Ref::new(problem_ref)))
                            .build(),
                    )
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in operations.into_iter().flatten() {
                for response in op.responses.responses.values_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    let is_problem = response.content.get("application/json").is_some_and(|c| {
                        matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location == problem_ref)
                    });
                    if is_problem {
                        if let Some(content) = response.content.shift_remove("application/json") {
                            response
                                .content
                                .insert("application/problem+json".to_string(), content);
                        }
                    }
                }
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let mut generic = vec![
                    ("400", "malformed request"),
                    ("422", "invalid fields or parameters"),
                    ("500", "internal error (details in the log)"),
                ];
                if secured {
                    generic.push(("401", "missing, invalid or expired access token"));
                    generic.push(("403", "the caller's role may not do this"));
                    generic.push(("404", "no such object, or another firm's"));
                }
                for (code, description) in generic {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| problem(description));
                }
            }
        }
    }
}
