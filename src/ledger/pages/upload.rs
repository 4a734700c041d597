//! The CSV upload: the file is checked by the filing service's own checks without filing
//! (`filing::check`), shown row by row with each row's problems, and filed only when the clerk
//! confirms a preview in which every row is valid — all rows in one batch, or none.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use serde::Deserialize;

use super::labels::kind_label;
use crate::console::form::given;
use crate::console::page::html;
use crate::console::{Chrome, ConsoleUser, PageError, Texts};
use crate::db::{Db, DbConnection};
use crate::domain::time::OccurredAtFloor;
use crate::domain::EntryKind;
use crate::error::{AppError, FieldError};
use crate::ledger::csv;
use crate::ledger::filing::{self, Filed, Submission};
use crate::ratelimit::FilingAdmission;

/// A bigger file is refused before it is read (the API's batch limit is 1000 rows).
const MAX_BYTES: usize = 2 * 1024 * 1024;
/// The confirm form carries the file urlencoded: each byte of Chinese text becomes `%XX`.
pub const CONFIRM_LIMIT: usize = 3 * MAX_BYTES + 64 * 1024;

/// One row of the file as the preview shows it.
struct PreviewRow {
    row: usize,
    kind: String,
    chemical: String,
    lot: String,
    quantity: String,
    occurred_at: String,
    counterparty: String,
    problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "ledger_upload.html")]
struct UploadPage {
    chrome: Chrome,
    /// What is wrong with the file as a whole (not a CSV, no `kind` column, …).
    file_problem: Option<String>,
    rows: Vec<PreviewRow>,
    /// Every row is valid: the confirm form carries the file again.
    ready: bool,
    csv: String,
    key: String,
}

fn empty(user: &ConsoleUser) -> UploadPage {
    UploadPage {
        chrome: user.chrome("/ledger/upload"),
        file_problem: None,
        rows: Vec::new(),
        ready: false,
        csv: String::new(),
        key: String::new(),
    }
}

pub async fn page(user: ConsoleUser) -> Result<HttpResponse, PageError> {
    user.own_firm()?;
    Ok(html(StatusCode::OK, &empty(&user)))
}

/// The `csrf` and `file` parts of the upload form.
async fn read_form(mut parts: Multipart) -> Result<(String, Vec<u8>), AppError> {
    let (mut csrf, mut file) = (String::new(), Vec::new());
    while let Some(part) = parts.next().await {
        let mut part =
            part.map_err(|e| AppError::field("file", "invalid_upload", e.to_string()))?;
        let name = part.name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk =
                chunk.map_err(|e| AppError::field("file", "invalid_upload", e.to_string()))?;
            if bytes.len() + chunk.len() > MAX_BYTES {
                return Err(AppError::field(
                    "file",
                    "too_large",
                    "the file is larger than 2 MB",
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => file = bytes,
            other => {
                return Err(AppError::field(
                    other,
                    "unknown_field",
                    "is not a field of this form",
                ))
            }
        }
    }
    Ok((csrf, file))
}

/// The problems of spreadsheet row `row` among the check's errors (`row 3.quantity`, `row 3`).
fn problems_of(row: usize, errors: &[FieldError], texts: Texts) -> Vec<String> {
    let name = format!("row {row}");
    errors
        .iter()
        .filter(|e| e.field == name || e.field.starts_with(&format!("{name}.")))
        .map(|e| {
            let field = e.field.strip_prefix(&format!("{name}.")).unwrap_or("");
            let text = texts
                .get(&format!("problem.{}", e.code))
                .map_or_else(|| e.message.clone(), str::to_string);
            if field.is_empty() {
                text
            } else {
                format!("{field}: {text}")
            }
        })
        .collect()
}

/// Reads the file's rows for the preview, and the check's errors (none: ready to file).
fn preview_rows(
    conn: &mut DbConnection,
    texts: Texts,
    bytes: &[u8],
    errors: &[FieldError],
) -> Result<Vec<PreviewRow>, AppError> {
    let cas_index = crate::chemicals::store::cas_index(conn)?;
    let imported = csv::import(bytes, &cas_index)?;
    let ids: Vec<String> = imported
        .iter()
        .filter_map(|r| r.request.chemical_id.clone())
        .collect();
    let labels = crate::chemicals::store::labels(conn, &ids)?;
    Ok(imported
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let e = r.request;
            let row = csv::row_number(i);
            let chemical = e.chemical_id.clone().unwrap_or_default();
            let counterparty = e.counterparty.as_ref().map_or(String::new(), |c| {
                c.name
                    .clone()
                    .or_else(|| c.credit_code.clone())
                    .or_else(|| c.firm_id.clone())
                    .unwrap_or_default()
            });
            PreviewRow {
                row,
                kind: EntryKind::parse(e.kind.trim())
                    .map_or_else(|| e.kind.clone(), |k| kind_label(texts, k).to_string()),
                chemical: labels
                    .get(&chemical)
                    .map_or(chemical, |(zh, en, _)| texts.pick(zh, en).to_string()),
                lot: e.lot.unwrap_or_default(),
                quantity: e.quantity.unwrap_or_default(),
                occurred_at: e.occurred_at.unwrap_or_default(),
                counterparty,
                problems: problems_of(row, errors, texts),
            }
        })
        .collect())
}

/// The problems of the file as a whole: those not about one data row.
fn file_problem(errors: &[FieldError], texts: Texts) -> Option<String> {
    let whole: Vec<String> = errors
        .iter()
        .filter(|e| !e.field.starts_with("row ") || e.field.starts_with("row 1."))
        .map(|e| {
            texts
                .get(&format!("problem.{}", e.code))
                .map_or_else(|| e.message.clone(), str::to_string)
        })
        .collect();
    (!whole.is_empty()).then(|| whole.join("; "))
}

/// Checks the uploaded file without filing it and shows the preview.
pub async fn preview(
    user: ConsoleUser,
    db: web::Data<Db>,
    floor: web::Data<OccurredAtFloor>,
    parts: Multipart,
) -> Result<HttpResponse, PageError> {
    let firm = user.own_firm()?;
    let floor = **floor;
    let texts = user.texts();
    let (csrf, bytes) = match read_form(parts).await {
        Ok(read) => read,
        Err(e) => return refused(&user, e),
    };
    user.check_csrf(&csrf)?;
    let principal = user.principal.clone();
    let outcome = db
        .run(move |conn| {
            let checked = filing::check(conn, &principal, firm, Submission::Csv(&bytes), floor);
            let errors = match &checked {
                Ok(_) => Vec::new(),
                Err(AppError::Validation(errors)) => errors.clone(),
                Err(_) => return checked.map(|_| (Vec::new(), bytes, None)),
            };
            let rows = match preview_rows(conn, texts, &bytes, &errors) {
                Ok(rows) => rows,
                Err(AppError::Validation(more)) => {
                    return Ok((Vec::new(), bytes, file_problem(&more, texts)))
                }
                Err(e) => return Err(e),
            };
            Ok((rows, bytes, file_problem(&errors, texts)))
        })
        .await
        .map_err(|e| user.failed(e))?;
    let (rows, bytes, whole) = outcome;
    let ready = whole.is_none() && !rows.is_empty() && rows.iter().all(|r| r.problems.is_empty());
    let file_problem = whole.or_else(|| {
        rows.is_empty()
            .then(|| texts.t("upload.no_rows").to_string())
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = UploadPage {
        file_problem,
        ready,
        csv: if ready {
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            String::new()
        },
        key: uuid::Uuid::new_v4().to_string(),
        rows,
        ..empty(&user)
    };
    Ok(html(status, &page))
}

fn refused(user: &ConsoleUser, error: AppError) -> Result<HttpResponse, PageError> {
    let AppError::Validation(errors) = &error else {
        return Err(user.failed(error));
    };
    let page = UploadPage {
        file_problem: file_problem(errors, user.texts())
            .or_else(|| errors.first().map(|e| e.message.clone())),
        ..empty(user)
    };
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmed {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    csv: String,
}

/// Files the previewed file as one batch (the API's `POST /ledger/import`); if the ledger
/// changed since the preview and a row no longer passes, nothing is filed and the preview shows why.
pub async fn file(
    user: ConsoleUser,
    db: web::Data<Db>,
    req: HttpRequest,
    floor: web::Data<OccurredAtFloor>,
    admission: FilingAdmission,
    form: web::Form<Confirmed>,
) -> Result<HttpResponse, PageError> {
    let Confirmed { csrf, key, csv } = form.into_inner();
    let floor = **floor;
    user.check_csrf(&csrf)?;
    // The console's filings count against the same budgets as the API's.
    admission
        .admit(user.principal.user_id)
        .map_err(|e| user.failed(e))?;
    let firm = user.own_firm()?;
    let principal = user.principal.clone();
    let log = crate::activity::ActivityRow::created(&req, &principal);
    let texts = user.texts();
    let outcome = db
        .run(move |conn| {
            let key = given(&key);
            let filed = filing::file(
                conn,
                &principal,
                firm,
                Submission::Csv(csv.as_bytes()),
                floor,
                key.as_deref(),
                Some(log),
            );
            match filed {
                Err(AppError::Validation(errors)) => {
                    let rows = preview_rows(conn, texts, csv.as_bytes(), &errors)?;
                    Ok(Err((rows, file_problem(&errors, texts))))
                }
                other => other.map(Ok),
            }
        })
        .await
        .map_err(|e| user.failed(e))?;
    match outcome {
        Ok(filed) => {
            let n = match &filed {
                Filed::New { rows, .. } => rows.len(),
                Filed::Replayed { body, .. } => serde_json::from_str::<serde_json::Value>(body)
                    .ok()
                    .and_then(|v| v["items"].as_array().map(Vec::len))
                    .unwrap_or_default(),
            };
            Ok(crate::activity::after_change(&format!("/ledger?filed={n}")))
        }
        Err((rows, file_problem)) => {
            let page = UploadPage {
                rows,
                file_problem,
                ..empty(&user)
            };
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}
