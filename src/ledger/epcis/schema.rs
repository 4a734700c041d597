//! GS1's EPCIS 2.0 JSON Schema, compiled once: what every imported document must satisfy.

use std::sync::OnceLock;

use jsonschema::Validator;
use serde_json::Value;

use crate::error::{AppError, FieldError};

const SCHEMA: &str = include_str!("../../../schemas/epcis/EPCIS-JSON-Schema.json");
/// How many schema errors one answer lists (a broken document can have thousands).
const MAX_REPORTED: usize = 50;

fn validator() -> Result<&'static Validator, AppError> {
    static VALIDATOR: OnceLock<Result<Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let schema: Value = serde_json::from_str(SCHEMA).map_err(|e| e.to_string())?;
            jsonschema::draft7::options()
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| AppError::internal(format!("the EPCIS schema does not compile: {e}")))
}

/// The schema's errors of `document`, each named by its JSON pointer.
pub fn errors(document: &Value) -> Result<Vec<FieldError>, AppError> {
    let validator = validator()?;
    Ok(validator
        .iter_errors(document)
        .take(MAX_REPORTED)
        .map(|e| {
            let pointer = e.instance_path().to_string();
            let field = if pointer.is_empty() {
                "/".to_string()
            } else {
                pointer
            };
            FieldError::new(field, "epcis_schema", e.masked().to_string())
        })
        .collect())
}

/// `document` against the schema: a 422 naming every place it fails (up to 50).
pub fn check(document: &Value) -> Result<(), AppError> {
    let errors = errors(document)?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}
