//! One error type for the whole registry, rendered as RFC 9457 problem+json.
//!
//! Every `code` here is part of the API contract: clients branch on it, so a code is
//! never renamed. Internal causes go to the log, never to the client.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// One rejected field of a request: which field, a stable code, and a readable message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// A JSON body that may be left out (no body, or only whitespace, is `T::default()`), but that
/// must be valid when it is there: malformed JSON is `400`, a wrong or unknown field `422`.
/// A body's shape error as a field error: an unknown field is named as the field itself
/// (`unknown_field`), anything else under `field` (`invalid_type`).
pub fn shape_error(field: &str, e: &serde_json::Error) -> FieldError {
    let message = e.to_string();
    let unknown = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name.to_string());
    match unknown {
        Some(name) if field == "body" || field.is_empty() => {
            FieldError::new(name, "unknown_field", message)
        }
        Some(name) => FieldError::new(format!("{field}.{name}"), "unknown_field", message),
        None => FieldError::new(field, "invalid_type", message),
    }
}

pub fn optional_body<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, AppError> {
    let text = body.trim_ascii();
    // No body, or JSON `null` (what the OpenAPI document's optional body allows), is none.
    if text.is_empty() || text == b"null" {
        return Ok(T::default());
    }
    // serde reads a struct from an array too (`[null, null]`); a body is an object.
    if !text.starts_with(b"{") {
        return Err(AppError::Validation(vec![FieldError::new(
            "body",
            "invalid_type",
            "must be a JSON object",
        )]));
    }
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            AppError::Validation(vec![shape_error("body", &e)])
        } else {
            AppError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
        }
    })
}

/// A whole number, as JSON writes it: `2` or `2.0` (JSON Schema's `integer` admits both).
pub fn optional_whole_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    use serde::Deserialize;
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    if let Some(n) = number.as_i64() {
        return Ok(Some(n));
    }
    match number.as_f64() {
        Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
            Ok(Some(f as i64))
        }
        _ => Err(serde::de::Error::custom(format!(
            "invalid type: {number}, expected a whole number"
        ))),
    }
}

/// A body that must be a JSON object: serde would read a struct from an array too
/// (`[null, null]`), which no client means.
pub fn object_body<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, AppError> {
    if !value.is_object() {
        return Err(AppError::Validation(vec![FieldError::new(
            "body",
            "invalid_type",
            "must be a JSON object",
        )]));
    }
    serde_json::from_value(value).map_err(|e| AppError::Validation(vec![shape_error("body", &e)]))
}

/// The one rule for a free-text field of any request: trimmed, present, without control
/// characters (line breaks and tabs allowed), at most `max_chars` characters. A refused value is
/// recorded in `errors` (`required`, `control_characters` or `too_long`).
pub fn required_text(
    field: &str,
    value: &str,
    max_chars: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.push(FieldError::new(field, "required", "is required"));
    } else {
        check_text(field, value, max_chars, errors);
    }
    value.to_string()
}

/// [`required_text`] for a field that may be left out: absent or blank is `None`; anything else
/// passes the same checks (control characters, length).
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max_chars: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    check_text(field, value, max_chars, errors);
    Some(value.to_string())
}

fn check_text(field: &str, value: &str, max_chars: usize, errors: &mut Vec<FieldError>) {
    if crate::domain::has_control_characters(value) {
        errors.push(FieldError::new(
            field,
            "control_characters",
            "must not contain control characters",
        ));
    } else if value.chars().count() > max_chars {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max_chars} characters"),
        ));
    }
}

/// An optional time field of a request: absent or blank is `None`; a bad one is recorded in
/// `errors` (code `invalid_time`) and is `None` too.
pub fn time_field(
    field: &str,
    text: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    match crate::domain::time::parse_rfc3339(text?)? {
        Ok(time) => Some(time),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                "invalid_time",
                "must be an RFC 3339 time, e.g. 2026-04-12T08:30:00+08:00",
            ));
            None
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("request validation failed")]
    Validation(Vec<FieldError>),
    /// A refused submission of many parts: the field errors, and a line per part (an EPCIS
    /// document's events) under `report`.
    #[error("request validation failed")]
    Refused {
        errors: Vec<FieldError>,
        report: serde_json::Value,
    },
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("authentication required")]
    Unauthenticated { code: &'static str, detail: String },
    #[error("not allowed for this role")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("too many failed sign-ins")]
    TooManyRequests { retry_after_secs: u64 },
    /// One client sent more requests than a public route allows per window.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A body over a route's limit, which the answer states.
    #[error("body too large")]
    TooLarge { limit_bytes: usize },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn field(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    pub fn unauthenticated(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Unauthenticated {
            code,
            detail: detail.into(),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        AppError::Internal(cause.to_string())
    }

    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) | AppError::Refused { .. } => "validation_failed",
            AppError::BadRequest { code, .. } => code,
            AppError::Unauthenticated { code, .. } => code,
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict { code, .. } => code,
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::TooLarge { .. } => "body_too_large",
            AppError::Unavailable(_) => "service_unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            AppError::Validation(_) | AppError::Refused { .. } => "The request has invalid fields",
            AppError::BadRequest { .. } => "The request could not be read",
            AppError::Unauthenticated { .. } => "Authentication required",
            AppError::Forbidden => "Not allowed",
            AppError::NotFound => "Not found",
            AppError::Conflict { .. } => "Conflict with the current state",
            AppError::TooManyRequests { .. } | AppError::RateLimited { .. } => "Too many requests",
            AppError::MethodNotAllowed => "Method not allowed",
            AppError::TooLarge { .. } => "Body too large",
            AppError::Unavailable(_) => "Service unavailable",
            AppError::Internal(_) => "Internal error",
        }
    }

    /// What the client is told. Internal and availability causes stay in the log.
    fn detail(&self) -> String {
        match self {
            AppError::Validation(errors) | AppError::Refused { errors, .. } => match errors.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                many => format!("{} fields are invalid", many.len()),
            },
            AppError::BadRequest { detail, .. }
            | AppError::Unauthenticated { detail, .. }
            | AppError::Conflict { detail, .. } => detail.clone(),
            AppError::Forbidden => "your role may not perform this action".into(),
            AppError::NotFound => "no such resource".into(),
            AppError::TooManyRequests { retry_after_secs } => {
                format!("too many failed attempts; try again in {retry_after_secs} s")
            }
            AppError::RateLimited { retry_after_secs } => {
                format!("too many requests from this client; try again in {retry_after_secs} s")
            }
            AppError::MethodNotAllowed => "this method is not supported on this resource".into(),
            AppError::TooLarge { limit_bytes } => format!(
                "the body is larger than this route accepts: at most {} MiB ({limit_bytes} bytes); split it into several requests",
                limit_bytes / (1024 * 1024)
            ),
            AppError::Unavailable(_) => "the registry is temporarily unavailable; retry".into(),
            AppError::Internal(_) => "an internal error occurred; it has been logged".into(),
        }
    }
}

/// The problem+json body, also used to document errors in OpenAPI.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// A line per part of a refused submission of many parts (an EPCIS import's events).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) | AppError::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } | AppError::RateLimited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(cause) => tracing::error!(cause = %cause, "internal error"),
            AppError::Unavailable(cause) => tracing::warn!(cause = %cause, "unavailable"),
            _ => {}
        }
        let status = self.status_code();
        let code = self.code();
        let body = Problem {
            problem_type: format!("urn:precursor-registry:problem:{code}"),
            title: self.title(),
            status: status.as_u16(),
            detail: self.detail(),
            code,
            errors: match self {
                AppError::Validation(errors) | AppError::Refused { errors, .. } => {
                    Some(errors.clone())
                }
                _ => None,
            },
            report: match self {
                AppError::Refused { report, .. } => Some(report.clone()),
                _ => None,
            },
        };
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        match self {
            AppError::Unauthenticated { .. } => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            AppError::TooManyRequests { retry_after_secs }
            | AppError::RateLimited { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        response.json(body)
    }
}

impl From<Vec<FieldError>> for AppError {
    fn from(errors: Vec<FieldError>) -> Self {
        AppError::Validation(errors)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::conflict("conflict", "a record with the same unique value exists")
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, info) => {
                AppError::Unavailable(info.message().to_string())
            }
            Error::DatabaseError(_, ref info) if is_busy(info.message()) => {
                AppError::Unavailable(info.message().to_string())
            }
            // PostgreSQL refuses NUL bytes in text; fields are checked before, this catches the rest
            // (query parameters) as the client's mistake it is.
            Error::DatabaseError(_, ref info) if info.message().contains("0x00") => {
                AppError::bad_request("invalid_text", "text must not contain NUL characters")
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(err.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        AppError::Internal(err.to_string())
    }
}

/// What the OpenAPI document says a body's field accepts, exactly as the checks above read it.
pub mod schema {
    use utoipa::openapi::schema::{
        KnownFormat, Object, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
    };

    /// Control characters `has_control_characters` refuses (line breaks and tabs are allowed).
    const CONTROL: &str = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f";

    fn string() -> ObjectBuilder {
        ObjectBuilder::new().schema_type(Type::String)
    }

    fn null() -> Object {
        ObjectBuilder::new().schema_type(Type::Null).build()
    }

    /// `schema`, or `null` (an optional field).
    pub fn or_null(schema: impl Into<Schema>) -> Schema {
        Schema::OneOf(OneOfBuilder::new().item(schema.into()).item(null()).build())
    }

    /// [`super::required_text`]: something besides white space, no control characters, at most
    /// `max` characters.
    pub fn required_text(max: usize) -> Schema {
        string()
            .pattern(Some(format!(r"^[^{CONTROL}]*[^\s{CONTROL}][^{CONTROL}]*$")))
            .max_length(Some(max))
            .build()
            .into()
    }

    /// [`super::optional_text`]: absent, `null`, blank, or text as [`required_text`] has it.
    pub fn optional_text(max: usize) -> Schema {
        or_null(
            string()
                .pattern(Some(format!(r"^[^{CONTROL}]*$")))
                .max_length(Some(max)),
        )
    }

    /// One of `names`, exactly.
    pub fn one_of(names: &[&str]) -> Schema {
        string()
            .enum_values(Some(names.iter().copied()))
            .build()
            .into()
    }

    /// An optional time (RFC 3339): absent, `null`, blank or a time.
    pub fn optional_time() -> Schema {
        let blank = string().enum_values(Some([""])).build();
        let time = string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)));
        Schema::OneOf(
            OneOfBuilder::new()
                .item(time)
                .item(blank)
                .item(null())
                .build(),
        )
    }

    /// A moment (`domain::time::parse_moment`): an RFC 3339 time, or a date meaning its start.
    pub fn moment() -> Schema {
        let format = |f| string().format(Some(SchemaFormat::KnownFormat(f)));
        Schema::OneOf(
            OneOfBuilder::new()
                .item(format(KnownFormat::DateTime))
                .item(format(KnownFormat::Date))
                .build(),
        )
    }

    /// A year of grading, 2000–2100 (`"2026"`).
    pub fn period() -> Schema {
        string()
            .pattern(Some(r"^\s*(20[0-9]{2}|2100)\s*$"))
            .build()
            .into()
    }

    pub fn text_64() -> Schema {
        required_text(64)
    }
    pub fn text_200() -> Schema {
        required_text(200)
    }
    pub fn text_500() -> Schema {
        required_text(500)
    }
    pub fn text_1000() -> Schema {
        required_text(1000)
    }
    pub fn text_2000() -> Schema {
        required_text(2000)
    }
    pub fn text_4000() -> Schema {
        required_text(4000)
    }
    pub fn optional_text_2000() -> Schema {
        optional_text(2000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(errors: &[FieldError]) -> Vec<&'static str> {
        errors.iter().map(|e| e.code).collect()
    }

    #[test]
    fn every_text_field_has_one_rule() {
        for bad in ["a\u{0}b", "bell\u{7}", "\u{1b}[31mred", "del\u{7f}"] {
            let mut errors = Vec::new();
            required_text("f", bad, 10, &mut errors);
            assert_eq!(
                optional_text("g", Some(bad), 10, &mut errors),
                Some(bad.trim().into())
            );
            assert_eq!(
                codes(&errors),
                ["control_characters", "control_characters"],
                "{bad:?}"
            );
        }
        let mut errors = Vec::new();
        assert_eq!(optional_text("g", Some("  "), 10, &mut errors), None);
        assert_eq!(optional_text("g", None, 10, &mut errors), None);
        assert_eq!(
            required_text("f", " 第一行\n\t第二行 ", 10, &mut errors),
            "第一行\n\t第二行"
        );
        assert!(errors.is_empty(), "{errors:?}");
        required_text("f", " ", 10, &mut errors);
        optional_text("g", Some(&"长".repeat(11)), 10, &mut errors);
        assert_eq!(codes(&errors), ["required", "too_long"]);
    }
}
