//! Errors actix meets before a page's handler runs (a query or form that cannot be read),
//! answered as their asker reads them: the error page for a browser on a console page,
//! problem+json for the API.

use actix_web::http::header;

use crate::error::AppError;

/// A console form that could not be read (an unknown field, too large): the error page.
pub fn form_error(
    err: actix_web::error::UrlencodedError,
    req: &actix_web::HttpRequest,
) -> actix_web::Error {
    let error = match err {
        actix_web::error::UrlencodedError::Overflow { .. }
        | actix_web::error::UrlencodedError::UnknownLength => AppError::bad_request(
            "body_too_large",
            "the form is larger than the registry accepts",
        ),
        other => AppError::field("form", "invalid_form", other.to_string()),
    };
    for_the_asker(req, error)
}

/// An error as its asker reads it: a page in the user's language for a browser on a console
/// page, problem+json for the API and every other client.
pub fn for_the_asker(req: &actix_web::HttpRequest, error: AppError) -> actix_web::Error {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html && !req.path().starts_with("/api/") {
        let lang = super::session::lang_of(req);
        return super::page::PageError::new(lang, error).into();
    }
    error.into()
}
