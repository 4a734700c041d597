//! Excel workbooks (.xlsx), written and read in memory.
//!
//! Writing: one or more sheets, each a bold header row in the reader's language (frozen), column
//! widths, then one row per record. Text is always a string cell — never a formula — and text
//! that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, CR first) carries
//! Excel's quote prefix as well, so that editing the cell keeps it text. Dates are Excel dates
//! (a number with a date format), quantities numbers with three decimals.
//!
//! Reading: the first sheet of a workbook as rows of text, each cell converted to the text a CSV
//! would have held (numbers in their shortest decimal form, dates as RFC 3339 on the given
//! clock); the caller maps the header and the rows.
//!
//! CSV has no cell types, so there a risky text is written with a leading `'` ([`neutralize`])
//! and the import removes it again ([`restore`]): `restore(neutralize(t)) == t` for every text.

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone, Timelike};
use rust_xlsxwriter::{DataValidation, ExcelDateTime, Format, Workbook, XlsxError};

use crate::error::{AppError, FieldError};

/// The content type of an .xlsx file.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The answer that downloads a workbook as `filename` (ASCII), never cached.
pub fn download(filename: &str, bytes: Vec<u8>) -> actix_web::HttpResponse {
    use actix_web::http::header;
    actix_web::HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(bytes)
}

/// The query of a list that can also be downloaded as a workbook.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// `json` (default) or `xlsx`: every match (no paging) as an Excel workbook.
    #[param(schema_with = download_format)]
    pub format: Option<String>,
    /// The workbook's language, `zh-CN` or `en` (default: `Accept-Language`, else English).
    #[param(schema_with = crate::paging::schema::lang)]
    pub lang: Option<String>,
}

impl DownloadQuery {
    /// True when the workbook is asked for, by `?format=xlsx` or by `Accept` (`accept`).
    pub fn wants_xlsx(&self, accept: Option<&str>) -> Result<bool, AppError> {
        match self
            .format
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
        {
            Some("xlsx") => Ok(true),
            Some("json") => Ok(false),
            Some(_) => Err(AppError::field(
                "format",
                "invalid_format",
                "must be json or xlsx",
            )),
            None => Ok(accept.is_some_and(|a| a.contains(CONTENT_TYPE))),
        }
    }
}

/// The characters a spreadsheet reads as the start of a formula (or of a DDE payload).
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One cell of a data row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, written as a string cell (quote-prefixed when it looks like a formula).
    Text(String),
    Number(f64),
    /// A quantity in thousandths, written as a number shown with three decimals.
    Quantity(i64),
    /// A date and time on the reader's clock, written as an Excel date.
    Date(NaiveDateTime),
    Empty,
}

/// A column: its header and its width in characters.
#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    pub width: f64,
}

/// A drop-down list on one column of the data rows (the rows below the header, up to `rows`).
#[derive(Debug, Clone)]
pub struct ListValidation {
    pub column: u16,
    pub rows: u32,
    pub values: Vec<String>,
}

/// One sheet of a workbook.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub lists: Vec<ListValidation>,
}

impl Sheet {
    pub fn new(name: impl Into<String>, columns: Vec<Column>, rows: Vec<Vec<Cell>>) -> Sheet {
        Sheet {
            name: name.into(),
            columns,
            rows,
            lists: Vec::new(),
        }
    }
}

/// The workbook's bytes: sheet `name`, the header row frozen, then `rows`.
pub fn one_sheet(name: &str, columns: &[Column], rows: &[Vec<Cell>]) -> Result<Vec<u8>, AppError> {
    workbook(&[Sheet::new(name, columns.to_vec(), rows.to_vec())])
}

/// The workbook's bytes, its sheets in order. Sheet names must be valid and unique
/// ([`sheet_names`] makes them so).
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, AppError> {
    write(sheets).map_err(AppError::internal)
}

/// The text a spreadsheet will not evaluate: a text that starts like a formula, or that is such
/// a text behind leading `'`s, gets one more `'` in front. No output starts with a formula
/// character.
pub fn neutralize(text: &str) -> Cow<'_, str> {
    if looks_like_formula(text.trim_start_matches('\'')) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The inverse of [`neutralize`]: one leading `'` goes when the `'`s are followed by a formula
/// character; anything else is left as it is.
pub fn restore(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if looks_like_formula(rest.trim_start_matches('\'')) => rest,
        _ => text,
    }
}

fn looks_like_formula(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS)
}

/// Excel's rules for sheet names, applied to each proposal in turn: the characters `[]:*?/\`
/// become `_`, no `'` at either end, at most 31 characters, never blank, and no two alike
/// (ignoring case; a later one gets ` (2)`, ` (3)`, …).
pub fn sheet_names(proposed: &[String]) -> Vec<String> {
    const MAX: usize = 31;
    let mut taken: Vec<String> = Vec::with_capacity(proposed.len());
    for name in proposed {
        let cleaned: String = name
            .chars()
            .map(|c| match c {
                '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '_',
                c if c.is_control() => ' ',
                c => c,
            })
            .collect();
        let cleaned = cleaned.trim().trim_matches('\'').trim();
        let base: String = if cleaned.is_empty() {
            "Sheet".to_string()
        } else {
            cleaned.chars().take(MAX).collect()
        };
        let mut candidate = base.clone();
        let mut n = 2;
        while taken
            .iter()
            .any(|t| t.to_lowercase() == candidate.to_lowercase())
        {
            let suffix = format!(" ({n})");
            let room = MAX - suffix.chars().count();
            candidate = format!("{}{suffix}", base.chars().take(room).collect::<String>());
            n += 1;
        }
        taken.push(candidate);
    }
    taken
}

fn write(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let quoted = Format::new().set_quote_prefix();
    let quantity = Format::new().set_num_format("0.000");
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for s in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(s.name.as_str())?;
        for (col, c) in s.columns.iter().enumerate() {
            let col = col as u16;
            sheet.write_string_with_format(0, col, c.title.as_str(), &bold)?;
            sheet.set_column_width(col, c.width)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (i, cells) in s.rows.iter().enumerate() {
            let row = i as u32 + 1;
            for (col, cell) in cells.iter().enumerate() {
                let col = col as u16;
                match cell {
                    Cell::Text(text) if looks_like_formula(text) => {
                        sheet.write_string_with_format(row, col, text.as_str(), &quoted)?
                    }
                    Cell::Text(text) => sheet.write_string(row, col, text.as_str())?,
                    Cell::Number(n) => sheet.write_number(row, col, *n)?,
                    Cell::Quantity(q) => {
                        sheet.write_number_with_format(row, col, *q as f64 / 1000.0, &quantity)?
                    }
                    Cell::Date(t) => {
                        sheet.write_datetime_with_format(row, col, excel_date(t)?, &date)?
                    }
                    Cell::Empty => sheet,
                };
            }
        }
        for list in &s.lists {
            let values: Vec<&str> = list.values.iter().map(String::as_str).collect();
            let validation = DataValidation::new().allow_list_strings(&values)?;
            sheet.add_data_validation(
                1,
                list.column,
                list.rows.max(1),
                list.column,
                &validation,
            )?;
        }
    }
    book.save_to_buffer()
}

fn excel_date(t: &NaiveDateTime) -> Result<ExcelDateTime, XlsxError> {
    use chrono::Datelike;
    let year = u16::try_from(t.year()).map_err(|_| XlsxError::DateTimeRangeError(t.to_string()))?;
    ExcelDateTime::from_ymd(year, t.month() as u8, t.day() as u8)?.and_hms_milli(
        t.hour() as u16,
        t.minute() as u8,
        t.second() as u8,
        (t.nanosecond() / 1_000_000).min(999) as u16,
    )
}

/// A row of the first sheet read as text: its row number in the sheet (the first is 1) and its
/// cells from the first used column, each the text or why the cell cannot be read.
#[derive(Debug, Clone, PartialEq)]
pub struct TextRow {
    pub number: usize,
    pub cells: Vec<Result<String, String>>,
}

impl TextRow {
    /// True when every cell is empty (or only spaces).
    pub fn is_blank(&self) -> bool {
        self.cells
            .iter()
            .all(|c| matches!(c, Ok(text) if text.trim().is_empty()))
    }
}

/// The first sheet of an .xlsx, every used row as text (dates without a zone are on `clock`).
/// A body that is not a workbook is a `422` on `body`.
pub fn read_first_sheet(bytes: &[u8], clock: FixedOffset) -> Result<Vec<TextRow>, AppError> {
    let not_a_workbook = |e: &dyn std::fmt::Display| {
        AppError::Validation(vec![FieldError::new(
            "body",
            "invalid_xlsx",
            format!("the body is not a readable .xlsx workbook ({e})"),
        )])
    };
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| not_a_workbook(&e))?;
    let range = match book.worksheet_range_at(0) {
        None => return Ok(Vec::new()),
        Some(range) => range.map_err(|e| not_a_workbook(&e))?,
    };
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| TextRow {
            number: first_row + i + 1,
            cells: cells.iter().map(|c| cell_text(c, clock)).collect(),
        })
        .collect())
}

/// The text of one cell as a CSV would have held it: numbers in their shortest decimal form
/// (never an exponent, never rounded), dates and times as RFC 3339 on `clock`, booleans as
/// `true`/`false`. An Excel error or a duration cannot be read.
pub fn cell_text(cell: &Data, clock: FixedOffset) -> Result<String, String> {
    match cell {
        Data::Empty => Ok(String::new()),
        Data::String(text) => Ok(text.clone()),
        Data::Int(n) => Ok(n.to_string()),
        Data::Float(f) if f.is_finite() => Ok(f.to_string()),
        Data::Float(_) => Err("the cell holds no finite number".into()),
        Data::Bool(b) => Ok(b.to_string()),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, mo, day, h, mi, s, ms) = d.to_ymd_hms_milli();
            NaiveDate::from_ymd_opt(i32::from(y), u32::from(mo), u32::from(day))
                .and_then(|date| {
                    let time = NaiveTime::from_hms_milli_opt(
                        u32::from(h),
                        u32::from(mi),
                        u32::from(s),
                        u32::from(ms),
                    )?;
                    Some(local(date.and_time(time), clock))
                })
                .ok_or_else(|| format!("the date {y}-{mo:02}-{day:02} does not exist"))
        }
        Data::DateTime(_) | Data::DurationIso(_) => {
            Err("the cell holds a duration, not a date".into())
        }
        Data::DateTimeIso(text) => Ok(iso_text(text, clock)),
        Data::Error(e) => Err(format!("the cell holds the Excel error {e}")),
    }
}

/// An ISO 8601 cell: a date or a date and time without a zone is on `clock`; anything else is
/// passed on as it is.
fn iso_text(text: &str, clock: FixedOffset) -> String {
    if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return local(t, clock);
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return local(d.and_time(NaiveTime::MIN), clock);
    }
    text.to_string()
}

/// A wall-clock time on `clock`, in RFC 3339 (`2026-01-05T09:30:00+08:00`).
fn local(t: NaiveDateTime, clock: FixedOffset) -> String {
    match clock.from_local_datetime(&t).single() {
        Some(at) => at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        None => t.to_string(),
    }
}

fn download_format() -> utoipa::openapi::schema::Schema {
    crate::paging::schema::named(&["json", "xlsx"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{ExcelDateTime as ReadDate, ExcelDateTimeType};
    use proptest::prelude::*;

    const CHINA: FixedOffset = crate::domain::time::CHINA;

    #[test]
    fn a_workbook_is_a_zip_holding_its_sheet() {
        let columns = [Column {
            title: "企业名称".into(),
            width: 30.0,
        }];
        let rows = vec![
            vec![Cell::Text("宁德市蕉城区化工原料有限公司".into())],
            vec![Cell::Empty],
        ];
        let bytes = one_sheet("企业分级", &columns, &rows).unwrap();
        assert_eq!(&bytes[..2], b"PK");
        assert!(bytes.len() > 1000);
        assert!(
            one_sheet("bad/name?", &columns, &rows).is_err(),
            "Excel refuses such a sheet name"
        );
    }

    #[test]
    fn what_is_written_reads_back_typed_and_no_text_is_a_formula() {
        let t = NaiveDate::from_ymd_opt(2026, 1, 5)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap();
        let columns = vec![
            Column {
                title: "备注".into(),
                width: 20.0,
            };
            4
        ];
        let rows = vec![
            vec![
                Cell::Text("=cmd|' /C calc'!A0".into()),
                Cell::Quantity(250_500),
                Cell::Date(t),
                Cell::Text("桶破裂".into()),
            ],
            vec![Cell::Text("@SUM(A1)".into())],
        ];
        let mut sheet = Sheet::new("台账", columns, rows);
        sheet.lists.push(ListValidation {
            column: 0,
            rows: 10,
            values: vec!["sale".into(), "purchase".into()],
        });
        let bytes = workbook(&[sheet]).unwrap();
        let mut book = Xlsx::new(Cursor::new(bytes.as_slice())).unwrap();
        let formulas = book.worksheet_formula("台账").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
        // The reader does see a formula where there is one.
        let mut with_formula = Workbook::new();
        with_formula
            .add_worksheet()
            .write_formula(0, 0, "=SUM(1,2)")
            .unwrap();
        let bytes_with_formula = with_formula.save_to_buffer().unwrap();
        let mut read = Xlsx::new(Cursor::new(bytes_with_formula.as_slice())).unwrap();
        let found = read.worksheet_formula("Sheet1").unwrap();
        assert!(found.used_cells().any(|(_, _, f)| f.contains("SUM")));
        let range = book.worksheet_range("台账").unwrap();
        assert_eq!(
            range.get((1, 0)),
            Some(&Data::String("=cmd|' /C calc'!A0".into()))
        );
        assert_eq!(range.get((1, 1)), Some(&Data::Float(250.5)));
        assert!(matches!(range.get((1, 2)), Some(Data::DateTime(d)) if d.is_datetime()));
        assert_eq!(range.get((1, 3)), Some(&Data::String("桶破裂".into())));
        let rows = read_first_sheet(&bytes, CHINA).unwrap();
        assert_eq!(rows[0].number, 1);
        assert_eq!(rows[1].cells[2], Ok("2026-01-05T09:30:00+08:00".into()));
        assert_eq!(rows[1].cells[1], Ok("250.5".into()));
        assert_eq!(rows[2].cells[0], Ok("@SUM(A1)".into()));
    }

    #[test]
    fn a_body_that_is_not_a_workbook_is_the_clients_mistake() {
        for body in [&b""[..], b"kind,quantity\nsale,1\n", b"PK\x03\x04garbage"] {
            let e = read_first_sheet(body, CHINA).unwrap_err();
            assert!(matches!(e, AppError::Validation(ref f) if f[0].code == "invalid_xlsx"));
        }
    }

    #[test]
    fn cells_read_as_the_text_a_csv_would_hold() {
        let text = |d: Data| cell_text(&d, CHINA);
        assert_eq!(text(Data::Float(250.5)), Ok("250.5".into()));
        assert_eq!(text(Data::Float(10.0)), Ok("10".into()));
        assert_eq!(text(Data::Float(0.1)), Ok("0.1".into()));
        assert_eq!(
            text(Data::Float(1.0005)),
            Ok("1.0005".into()),
            "never rounded"
        );
        assert_eq!(text(Data::Float(1e21)), Ok("1000000000000000000000".into()));
        assert_eq!(text(Data::Int(-3)), Ok("-3".into()));
        assert_eq!(text(Data::Bool(true)), Ok("true".into()));
        assert_eq!(text(Data::Empty), Ok(String::new()));
        assert_eq!(text(Data::String(" L1 ".into())), Ok(" L1 ".into()));
        // 45932.395833… is 2025-10-02 09:30 on the sheet's clock.
        let date = |v: f64, is_1904: bool| {
            text(Data::DateTime(ReadDate::new(
                v,
                ExcelDateTimeType::DateTime,
                is_1904,
            )))
        };
        assert_eq!(
            date(45932.0 + 9.5 / 24.0, false),
            Ok("2025-10-02T09:30:00+08:00".into())
        );
        assert_eq!(
            date(45932.0 - 1462.0, true),
            Ok("2025-10-02T00:00:00+08:00".into()),
            "the 1904 date system"
        );
        assert!(date(60.0, false).is_err(), "Excel's 1900-02-29 never was");
        assert!(text(Data::DateTime(ReadDate::new(
            1.5,
            ExcelDateTimeType::TimeDelta,
            false
        )))
        .is_err());
        assert_eq!(
            text(Data::DateTimeIso("2026-01-05T09:30:00".into())),
            Ok("2026-01-05T09:30:00+08:00".into())
        );
        assert_eq!(
            text(Data::DateTimeIso("2026-01-05".into())),
            Ok("2026-01-05T00:00:00+08:00".into())
        );
        assert!(text(Data::Error(calamine::CellErrorType::Div0)).is_err());
        assert!(text(Data::Float(f64::NAN)).is_err());
    }

    #[test]
    fn sheet_names_follow_excels_rules() {
        let names = sheet_names(&[
            "醋酸酐".into(),
            "a/b:c*d?".into(),
            "'quoted'".into(),
            "  ".into(),
            "A very long chemical name that does not fit".into(),
            "A VERY LONG CHEMICAL NAME THAT DOES NOT FIT".into(),
            "醋酸酐".into(),
        ]);
        assert_eq!(names[0], "醋酸酐");
        assert_eq!(names[1], "a_b_c_d_");
        assert_eq!(names[2], "quoted");
        assert_eq!(names[3], "Sheet");
        assert_eq!(names[4], "A very long chemical name that ");
        assert_eq!(names[5], "A VERY LONG CHEMICAL NAME T (2)");
        assert_eq!(names[6], "醋酸酐 (2)");
        assert!(names.iter().all(|n| n.chars().count() <= 31));
        let sheets: Vec<Sheet> = names
            .iter()
            .map(|n| Sheet::new(n.clone(), vec![], vec![]))
            .collect();
        workbook(&sheets).expect("Excel takes every name");
    }

    #[test]
    fn neutralizing_prefixes_what_looks_like_a_formula() {
        assert_eq!(neutralize("=1+1"), "'=1+1");
        assert_eq!(neutralize("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralize("-5"), "'-5");
        assert_eq!(neutralize("\tx"), "'\tx");
        assert_eq!(neutralize("'=x"), "''=x", "an escaped text stays itself");
        assert_eq!(neutralize("桶破裂"), "桶破裂");
        assert_eq!(neutralize("it's"), "it's");
        assert_eq!(neutralize("'quoted'"), "'quoted'");
        assert_eq!(restore("'=cmd"), "=cmd");
        assert_eq!(restore("'quoted'"), "'quoted'");
        assert_eq!(restore("''=x"), "'=x");
        assert_eq!(restore("'"), "'");
    }

    proptest! {
        #[test]
        fn no_neutralized_text_starts_a_formula_and_restore_undoes_it(
            text in "['=+@\\t\\r\\-a-z桶 ]{0,6}.{0,10}"
        ) {
            let safe = neutralize(&text);
            prop_assert!(!safe.starts_with(FORMULA_STARTS));
            if text.starts_with(FORMULA_STARTS) {
                prop_assert!(safe.starts_with('\''));
            }
            prop_assert_eq!(restore(&safe), text.as_str());
        }
    }
}
