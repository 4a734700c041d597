//! What every list reads from its query string: cursor paging — `?limit=` (default 50, max 1000)
//! and `?cursor=` — and its filters (`Filters`).
//! Lists are ordered by id (UUID v7, so by creation time); the cursor is the last id served. A
//! list that shows no ids is ordered by another unique key, its cursor ([`PageQuery::parse_keyed`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{time_field, AppError, FieldError};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 1000;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1–1000 (default 50).
    #[param(schema_with = schema::limit)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(schema_with = schema::id)]
    pub cursor: Option<String>,
}

/// A parsed page request.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: i64,
    pub after: Option<Uuid>,
}

impl PageQuery {
    pub fn parse(&self) -> Result<Page, Vec<FieldError>> {
        let keyed = self.parse_keyed(|text| Uuid::parse_str(text).is_ok())?;
        let after = keyed.after.as_deref().map(Uuid::parse_str).transpose();
        Ok(Page {
            limit: keyed.limit,
            after: after.map_err(|_| vec![invalid_cursor()])?,
        })
    }

    /// For a list ordered by some other unique key than the id: the cursor is that key of the
    /// last item served, and `is_key` says whether a text could be one.
    pub fn parse_keyed(&self, is_key: impl Fn(&str) -> bool) -> Result<KeyedPage, Vec<FieldError>> {
        let mut errors = Vec::new();
        let limit = match self.limit.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_LIMIT,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    errors.push(FieldError::new(
                        "limit",
                        "invalid_limit",
                        "must be a whole number from 1 to 1000",
                    ));
                    DEFAULT_LIMIT
                }
            },
        };
        let after = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(text) if is_key(text) => Some(text.to_string()),
            Some(_) => {
                errors.push(invalid_cursor());
                None
            }
        };
        if errors.is_empty() {
            Ok(KeyedPage { limit, after })
        } else {
            Err(errors)
        }
    }
}

fn invalid_cursor() -> FieldError {
    FieldError::new(
        "cursor",
        "invalid_cursor",
        "is not a cursor this API returned",
    )
}

/// A parsed page request of a list ordered by a key other than the id.
#[derive(Debug, Clone)]
pub struct KeyedPage {
    pub limit: i64,
    /// The key of the last item served.
    pub after: Option<String>,
}

impl Page {
    /// What a store fetches: one row beyond the page tells whether another page exists.
    pub fn fetch_limit(&self) -> i64 {
        self.limit + 1
    }

    pub fn after_key(&self) -> String {
        self.after.map(|id| id.to_string()).unwrap_or_default()
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> PageOf<T> {
    /// Builds a page from up to `fetch_limit` rows ordered by id.
    pub fn from_rows<R>(
        rows: Vec<R>,
        page: Page,
        id_of: impl Fn(&R) -> &str,
        map: impl Fn(R) -> T,
    ) -> PageOf<T> {
        Self::from_keyed_rows(rows, page.limit, id_of, map)
    }

    /// Builds a page of `limit` items from rows ordered by a unique key, one more row than the
    /// page if another page follows; the cursor is the last item's key.
    pub fn from_keyed_rows<R>(
        mut rows: Vec<R>,
        limit: i64,
        id_of: impl Fn(&R) -> &str,
        map: impl Fn(R) -> T,
    ) -> PageOf<T> {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit.max(0) as usize);
        let next_cursor = if more {
            rows.last().map(|r| id_of(r).to_string())
        } else {
            None
        };
        PageOf {
            items: rows.into_iter().map(map).collect(),
            next_cursor,
        }
    }
}

/// A list's filters (`?firm_id=…&status=…`), parsed once: an absent or blank value is no filter,
/// and a bad one is collected so that one answer names every bad field.
#[derive(Debug, Default)]
pub struct Filters {
    errors: Vec<FieldError>,
}

impl Filters {
    /// A filter's text, trimmed; absent or blank is no filter.
    pub fn text(value: &Option<String>) -> Option<String> {
        value
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    }

    /// An id filter; `problem` says what it should have been ("is not a firm id").
    pub fn id(&mut self, field: &str, value: &Option<String>, problem: &str) -> Option<String> {
        let id = Self::text(value);
        if id.as_deref().is_some_and(|i| Uuid::parse_str(i).is_err()) {
            self.errors
                .push(FieldError::new(field, "invalid_id", problem));
        }
        id
    }

    /// A filter that must be a name `known` accepts (a code, a severity, a status).
    pub fn named(
        &mut self,
        field: &str,
        value: &Option<String>,
        known: impl Fn(&str) -> bool,
        code: &'static str,
        problem: &str,
    ) -> Option<String> {
        let name = Self::text(value);
        if name.as_deref().is_some_and(|n| !known(n)) {
            self.errors.push(FieldError::new(field, code, problem));
        }
        name
    }

    /// A time filter (RFC 3339).
    pub fn time(&mut self, field: &str, value: &Option<String>) -> Option<DateTime<Utc>> {
        time_field(field, value.as_deref(), &mut self.errors)
    }

    /// Refuses the request if any filter read so far is bad, naming each.
    pub fn check(&mut self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(std::mem::take(&mut self.errors)))
        }
    }
}

/// What the OpenAPI document says a query parameter accepts, exactly as the parsers above read
/// it: an absent or blank value is no value, so every schema here also admits `""`.
pub mod schema {
    use utoipa::openapi::schema::{
        KnownFormat, Object, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
    };

    fn blank() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some([""]))
            .build()
    }

    /// `schema`, or blank.
    pub fn or_blank(schema: impl Into<Schema>) -> Schema {
        Schema::OneOf(
            OneOfBuilder::new()
                .item(schema.into())
                .item(blank())
                .build(),
        )
    }

    fn formatted(format: KnownFormat) -> Schema {
        or_blank(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(format))),
        )
    }

    /// `?limit=`: a whole number from 1 to 1000.
    pub fn limit() -> Schema {
        or_blank(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(crate::paging::MAX_LIMIT)),
        )
    }

    /// An id (`?firm_id=`, `?chemical_id=`, the `?cursor=` of a list ordered by id).
    pub fn id() -> Schema {
        formatted(KnownFormat::Uuid)
    }

    /// A time, RFC 3339.
    pub fn time() -> Schema {
        formatted(KnownFormat::DateTime)
    }

    /// A moment: an RFC 3339 time, or a date meaning its start (`domain::time::parse_moment`).
    pub fn moment() -> Schema {
        or_blank(crate::error::schema::moment())
    }

    /// One of `names` (a status, a severity, a format).
    pub fn named(names: &[&str]) -> Schema {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names.iter().copied().chain([""])))
            .build()
            .into()
    }

    /// A region code (GB/T 2260).
    pub fn region_code() -> Schema {
        matching(&crate::domain::region::pattern())
    }

    /// A year of grading, 2000–2100.
    pub fn period() -> Schema {
        matching("^(20[0-9]{2}|2100)$")
    }

    /// A workbook's language: a `zh` or `en` tag (`zh-CN`, `en`, `en-GB`), any case.
    pub fn lang() -> Schema {
        matching(r"^\s*([zZ][hH]|[eE][nN])(-[A-Za-z0-9-]*)?\s*$")
    }

    /// Text matching `pattern` (a year, a credit code).
    pub fn matching(pattern: &str) -> Schema {
        or_blank(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern)),
        )
    }
}
