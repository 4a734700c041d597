//! The ledger as Excel workbooks: the export (one sheet per chemical, with the chemical's balance
//! as filed), the template a clerk fills in, and the import of its first sheet.
//!
//! The import reads the same columns as the CSV (`csv::COLUMNS`, by name; the template's headers
//! in either language are understood too) and hands them to the CSV's reading, so the two
//! cannot differ in what a row means. Cells are typed, so nothing is unescaped: a text cell
//! `'=x` is filed as `'=x` (CSV's `'` escape is CSV's alone). Fully empty rows are skipped; an
//! error names the row by its number in the sheet.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};

use super::csv::{self, ImportedRow};
use super::inventory::{self, Movement};
use super::store::LedgerRow;
use crate::console::{Lang, Texts};
use crate::domain::{time, EntryKind, Payment};
use crate::error::{AppError, FieldError};
use crate::workbook::{self, Cell, Column, ListValidation, Sheet};

/// The template's columns, in order: what the import reads, less the old ledger's own columns.
pub const TEMPLATE_COLUMNS: [&str; 18] = [
    "kind",
    "cas",
    "chemical_id",
    "lot",
    "quantity",
    "occurred_at",
    "counterparty_credit_code",
    "counterparty_name",
    "counterparty_permit_no",
    "counterparty_firm_id",
    "counterparty_resident_id",
    "payment",
    "shipment_ref",
    "permit_no",
    "transport_permit_no",
    "warehouse",
    "note",
    "reverses",
];

/// How many rows of the template carry the drop-down lists (a batch's most, `filing::MAX_BATCH`,
/// which this module does not import: filing reads workbooks through it).
const LIST_ROWS: u32 = 1000;

/// A wall-clock time on `clock`.
fn on(clock: FixedOffset, t: NaiveDateTime) -> NaiveDateTime {
    time::from_db(t).with_timezone(&clock).naive_local()
}

/// The header of a time column: its name and the clock (`Occurred (UTC+08:00)`).
fn time_title(texts: Texts, key: &'static str, clock: FixedOffset) -> String {
    format!("{} (UTC{clock})", texts.t(key))
}

/// A catalog entry as the workbook shows it: Chinese name, English name, unit.
pub use crate::chemicals::store::Labels as ChemicalLabels;

/// What the export of a firm's ledger needs besides its rows.
pub struct LedgerBook<'a> {
    /// The firm's whole ledger, for the balances (the shown rows may be filtered).
    pub all: &'a [LedgerRow],
    pub chemicals: &'a ChemicalLabels,
    /// Registered counterparties' names by firm id.
    pub firms: &'a HashMap<String, String>,
    pub texts: Texts,
    pub clock: FixedOffset,
}

/// The workbook of `rows` (in seq order): one sheet per chemical, named after it, each row with
/// the chemical's balance once that entry was filed (`inventory::chemical_balance_as_filed` over
/// the whole ledger). No rows: one empty sheet.
pub fn export(rows: &[LedgerRow], book: &LedgerBook<'_>) -> Result<Vec<u8>, AppError> {
    let movements = book
        .all
        .iter()
        .map(|r| {
            Ok(Movement {
                id: &r.id,
                seq: r.seq,
                kind: r.kind()?,
                chemical_id: &r.chemical_id,
                lot: r.lot.as_deref(),
                quantity: r.quantity,
                occurred_at: time::from_db(r.occurred_at),
                reverses: r.reverses.as_deref(),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let balances = inventory::chemical_balance_as_filed(&movements);
    let seqs: HashMap<&str, i64> = book.all.iter().map(|r| (r.id.as_str(), r.seq)).collect();
    let texts = book.texts;
    // Sheets by the chemical's name in the reader's language.
    let mut by_chemical: BTreeMap<(String, &str), Vec<&LedgerRow>> = BTreeMap::new();
    for r in rows {
        let name = book
            .chemicals
            .get(&r.chemical_id)
            .map_or(r.chemical_id.clone(), |(zh, en, _)| {
                texts.pick(zh, en).to_string()
            });
        by_chemical
            .entry((name, r.chemical_id.as_str()))
            .or_default()
            .push(r);
    }
    if by_chemical.is_empty() {
        let sheet = Sheet::new(texts.t("ledger.title"), ledger_columns(book, ""), vec![]);
        return workbook::workbook(&[sheet]);
    }
    let names = workbook::sheet_names(
        &by_chemical
            .keys()
            .map(|(name, _)| name.clone())
            .collect::<Vec<_>>(),
    );
    let sheets = by_chemical
        .iter()
        .zip(names)
        .map(|(((_, chemical_id), entries), name)| {
            let unit = book
                .chemicals
                .get(*chemical_id)
                .map_or("", |(_, _, unit)| unit.as_str());
            let cells = entries
                .iter()
                .map(|r| ledger_row(r, book, balances.get(r.id.as_str()), &seqs))
                .collect();
            Sheet::new(name, ledger_columns(book, unit), cells)
        })
        .collect::<Vec<_>>();
    workbook::workbook(&sheets)
}

fn ledger_columns(book: &LedgerBook<'_>, unit: &str) -> Vec<Column> {
    let texts = book.texts;
    let with_unit = |key: &'static str| texts.t(key).replace("{unit}", unit);
    [
        (texts.t("ledger.seq").to_string(), 6.0),
        (time_title(texts, "workbook.occurred_at", book.clock), 20.0),
        (texts.t("ledger.kind").to_string(), 10.0),
        (texts.t("ledger.lot").to_string(), 14.0),
        (with_unit("workbook.quantity_in"), 14.0),
        (with_unit("workbook.balance_in"), 16.0),
        (texts.t("ledger.counterparty").to_string(), 30.0),
        (texts.t("ledger.shipment_ref").to_string(), 20.0),
        (texts.t("ledger.permit_no").to_string(), 20.0),
        (texts.t("ledger.transport_permit_no").to_string(), 20.0),
        (texts.t("ledger.warehouse").to_string(), 10.0),
        (texts.t("ledger.note").to_string(), 30.0),
        (texts.t("workbook.reverses_seq").to_string(), 8.0),
        (time_title(texts, "workbook.recorded_at", book.clock), 20.0),
        (texts.t("entry.hash").to_string(), 66.0),
    ]
    .into_iter()
    .map(|(title, width)| Column { title, width })
    .collect()
}

fn text(value: &Option<String>) -> Cell {
    value.clone().map_or(Cell::Empty, Cell::Text)
}

fn ledger_row(
    r: &LedgerRow,
    book: &LedgerBook<'_>,
    balance: Option<&i64>,
    seqs: &HashMap<&str, i64>,
) -> Vec<Cell> {
    let kind = EntryKind::parse(&r.kind).map_or_else(
        || r.kind.clone(),
        |k| super::pages::labels::kind_label(book.texts, k).to_string(),
    );
    let party = r
        .counterparty_firm_id
        .as_ref()
        .map(|id| book.firms.get(id).cloned().unwrap_or_else(|| id.clone()))
        .or_else(|| r.counterparty_name.clone())
        .or_else(|| r.counterparty_credit_code.clone());
    let reverses = r
        .reverses
        .as_deref()
        .and_then(|id| seqs.get(id))
        .map_or(Cell::Empty, |seq| Cell::Number(*seq as f64));
    vec![
        Cell::Number(r.seq as f64),
        Cell::Date(on(book.clock, r.occurred_at)),
        Cell::Text(kind),
        text(&r.lot),
        Cell::Quantity(r.quantity),
        balance.map_or(Cell::Empty, |b| Cell::Quantity(*b)),
        text(&party),
        text(&r.shipment_ref),
        text(&r.permit_no),
        text(&r.transport_permit_no),
        text(&r.warehouse),
        text(&r.note),
        reverses,
        Cell::Date(on(book.clock, r.recorded_at)),
        Cell::Text(r.hash.clone()),
    ]
}

/// A column's header in the template, in one language (the column's own name if untitled).
fn title(texts: Texts, column: &str) -> String {
    texts
        .get(&format!("workbook.col_{column}"))
        .map_or_else(|| column.to_string(), str::to_string)
}

/// The column a header names: one of `csv::COLUMNS` by its name, or a template column by its
/// title in either language (case and surrounding spaces do not matter).
pub fn column_of(header: &str) -> Option<&'static str> {
    let header = header.trim();
    csv::COLUMNS
        .iter()
        .find(|c| c.eq_ignore_ascii_case(header))
        .or_else(|| {
            TEMPLATE_COLUMNS.iter().find(|c| {
                Lang::ALL
                    .iter()
                    .any(|l| title(Texts(*l), c).eq_ignore_ascii_case(header))
            })
        })
        .copied()
}

/// A valid unified social credit code for the example row, no firm's (`91350102MAEXAMPL` and
/// its check character).
fn example_credit_code() -> String {
    const FIRST17: &str = "91350102MAEXAMPL1";
    crate::domain::credit_code::check_character(FIRST17.as_bytes())
        .map(|check| format!("{FIRST17}{check}"))
        .unwrap_or_default()
}

/// The template: the import's columns headed in the reader's language, drop-down lists of the
/// entry kinds and the ways of payment, and one example row — a real purchase of acetone
/// (67-64-1) at `example_at` (a wall-clock time), valid in every field but refused by the import
/// (`template_example`) until the clerk replaces it: a template imported as downloaded files
/// nothing.
pub fn template(texts: Texts, example_at: NaiveDateTime) -> Result<Vec<u8>, AppError> {
    let columns = TEMPLATE_COLUMNS
        .iter()
        .map(|c| Column {
            title: title(texts, c),
            width: match *c {
                "kind" | "payment" => 14.0,
                "occurred_at" => 20.0,
                "note" | "counterparty_name" => 36.0,
                "chemical_id" | "counterparty_firm_id" | "reverses" => 38.0,
                _ => 22.0,
            },
        })
        .collect();
    let example: Vec<Cell> = TEMPLATE_COLUMNS
        .iter()
        .map(|c| match *c {
            "kind" => Cell::Text(EntryKind::Purchase.as_str().into()),
            "cas" => Cell::Text("67-64-1".into()),
            "lot" => Cell::Text("L2026-0001".into()),
            "quantity" => Cell::Number(250.5),
            "occurred_at" => Cell::Date(example_at),
            "counterparty_credit_code" => Cell::Text(example_credit_code()),
            "counterparty_name" => Cell::Text(texts.t("workbook.example_counterparty").into()),
            "counterparty_permit_no" => Cell::Text("(2026)0001".into()),
            "payment" => Cell::Text(Payment::BankTransfer.as_str().into()),
            "shipment_ref" => Cell::Text("YD-0001".into()),
            "warehouse" => Cell::Text(texts.t("workbook.example_warehouse").into()),
            "note" => Cell::Text(texts.t("workbook.example_note").into()),
            _ => Cell::Empty,
        })
        .collect();
    let list = |column: &str, values: Vec<String>| ListValidation {
        column: TEMPLATE_COLUMNS
            .iter()
            .position(|c| *c == column)
            .unwrap_or(0) as u16,
        rows: LIST_ROWS,
        values,
    };
    let mut sheet = Sheet::new(texts.t("workbook.template_sheet"), columns, vec![example]);
    sheet.lists = vec![
        list(
            "kind",
            EntryKind::ALL
                .iter()
                .map(|k| k.as_str().to_string())
                .collect(),
        ),
        list(
            "payment",
            Payment::ALL
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
        ),
    ];
    workbook::workbook(&[sheet])
}

/// The example row's time in a template downloaded at `now`: 09:30 the day before, on `clock`.
pub fn example_time(now: DateTime<Utc>, clock: FixedOffset) -> NaiveDateTime {
    let day = now.with_timezone(&clock).date_naive().pred_opt();
    day.and_then(|d| d.and_hms_opt(9, 30, 0))
        .unwrap_or_else(|| now.naive_utc())
}

/// Reads the first sheet of a workbook into entry requests, as the CSV import would read the
/// same cells: the first used row is the header, fully empty rows are skipped, a cell that cannot
/// be read is an error named `row N.column`. Times without a zone are on `clock`.
pub fn import(
    bytes: &[u8],
    cas_to_id: &HashMap<String, String>,
    clock: FixedOffset,
) -> Result<Vec<ImportedRow>, AppError> {
    let imported = read_rows(bytes, cas_to_id, clock)?;
    refuse_the_example(&imported)?;
    Ok(imported)
}

/// The rows of the first sheet as the CSV's requests, the template's example among them.
fn read_rows(
    bytes: &[u8],
    cas_to_id: &HashMap<String, String>,
    clock: FixedOffset,
) -> Result<Vec<ImportedRow>, AppError> {
    let mut rows = workbook::read_first_sheet(bytes, clock)?
        .into_iter()
        .filter(|r| !r.is_blank());
    let Some(header) = rows.next() else {
        return Ok(Vec::new());
    };
    // Unknown columns are kept under a name of their own, so that they are ignored.
    let mut names: Vec<String> = Vec::with_capacity(header.cells.len());
    let mut errors = Vec::new();
    for (i, cell) in header.cells.iter().enumerate() {
        let name = match cell.as_deref().ok().and_then(column_of) {
            Some(column) if names.iter().any(|n| n == column) => {
                errors.push(FieldError::new(
                    format!("row {}.{column}", header.number),
                    "duplicate_column",
                    format!("the header names the {column} column twice"),
                ));
                format!(" ignored {i}")
            }
            Some(column) => column.to_string(),
            None => format!(" ignored {i}"),
        };
        names.push(name);
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let headers = ::csv::StringRecord::from(names.clone());
    let records = rows.map(|row| {
        let mut problems = Vec::new();
        let mut cells: Vec<String> = row
            .cells
            .into_iter()
            .zip(&names)
            .map(|(cell, name)| {
                cell.unwrap_or_else(|message| {
                    problems.push(FieldError::new(
                        format!("row {}.{}", row.number, name.trim()),
                        "invalid_cell",
                        message,
                    ));
                    String::new()
                })
            })
            .collect();
        cells.resize(names.len(), String::new());
        let record = if problems.is_empty() {
            Ok(::csv::StringRecord::from(cells))
        } else {
            Err(problems)
        };
        (row.number, record)
    });
    csv::import_records(&headers, records, cas_to_id)
}

/// The template's example row is there to be replaced: left in, it would file a purchase that
/// never happened, so a row with its counterparty is refused by name.
fn refuse_the_example(rows: &[ImportedRow]) -> Result<(), AppError> {
    let example = example_credit_code();
    let errors: Vec<FieldError> = rows
        .iter()
        .filter(|r| {
            let code = r
                .request
                .counterparty
                .as_ref()
                .and_then(|c| c.credit_code.as_deref());
            code.map(str::trim) == Some(example.as_str())
        })
        .map(|r| {
            FieldError::new(
                format!("row {}.counterparty_credit_code", r.row),
                "template_example",
                "this is the template's example row: replace it with your own entry or delete it",
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use std::io::Cursor;

    const CHINA: FixedOffset = time::CHINA;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn the_lists_reach_as_far_as_a_batch() {
        assert_eq!(LIST_ROWS as usize, crate::ledger::filing::MAX_BATCH);
    }

    #[test]
    fn headers_name_columns_by_name_or_by_the_templates_titles() {
        assert_eq!(column_of("quantity"), Some("quantity"));
        assert_eq!(column_of(" Kind "), Some("kind"));
        assert_eq!(column_of("类型"), Some("kind"));
        assert_eq!(column_of("CAS号"), Some("cas"));
        assert_eq!(column_of("Occurred at"), Some("occurred_at"));
        assert_eq!(column_of("hash"), Some("hash"));
        assert_eq!(column_of("备注说明"), None);
        // No title is another column's.
        for lang in Lang::ALL {
            let mut titles: Vec<String> = TEMPLATE_COLUMNS
                .iter()
                .map(|c| title(Texts(lang), c).to_lowercase())
                .collect();
            titles.sort();
            titles.dedup();
            assert_eq!(titles.len(), TEMPLATE_COLUMNS.len(), "{lang:?}");
        }
    }

    #[test]
    fn the_example_row_has_a_valid_credit_code() {
        assert!(crate::domain::CreditCode::parse(&example_credit_code()).is_ok());
    }

    #[test]
    fn the_template_reads_back_as_its_example_row_which_import_refuses() {
        let bytes = template(Texts(Lang::ZhCn), at("2026-01-05 09:30")).unwrap();
        let acetone = uuid::Uuid::now_v7().to_string();
        let cas = HashMap::from([("67-64-1".to_string(), acetone.clone())]);
        let rows = read_rows(&bytes, &cas, CHINA).unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.row, 2);
        match import(&bytes, &cas, CHINA) {
            Err(AppError::Validation(e)) => assert_eq!(
                (e[0].field.as_str(), e[0].code),
                ("row 2.counterparty_credit_code", "template_example")
            ),
            _ => panic!("the example row is refused"),
        }
        assert_eq!(r.request.kind, "purchase");
        assert_eq!(r.request.chemical_id.as_ref(), Some(&acetone));
        assert_eq!(r.request.quantity.as_deref(), Some("250.5"));
        assert_eq!(
            r.request.occurred_at.as_deref(),
            Some("2026-01-05T09:30:00+08:00")
        );
        let now = "2026-06-01T00:00:00Z".parse().unwrap();
        assert!(
            r.request
                .parse("", now, crate::domain::time::OccurredAtFloor::default())
                .is_ok(),
            "the example is valid"
        );
        let mut book = Xlsx::new(Cursor::new(bytes.as_slice())).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(range.get((0, 0)), Some(&Data::String("类型".into())));
    }

    #[test]
    fn empty_rows_are_skipped_and_errors_name_the_sheets_row() {
        let header: Vec<Column> = ["kind", "cas", "quantity", "occurred_at", "note", "其他"]
            .iter()
            .map(|t| Column {
                title: t.to_string(),
                width: 10.0,
            })
            .collect();
        let row = |kind: &str, q: Cell| {
            vec![
                Cell::Text(kind.into()),
                Cell::Text("67-64-1".into()),
                q,
                Cell::Date(at("2026-01-05 09:30")),
                Cell::Text("=cmd|' /C calc'!A0".into()),
                Cell::Text("whatever".into()),
            ]
        };
        let rows = vec![
            row("stocktake", Cell::Quantity(1500)),
            vec![Cell::Empty; 6],
            vec![Cell::Text("  ".into())],
            row("stocktake", Cell::Text("ten".into())),
        ];
        let bytes = workbook::one_sheet("s", &header, &rows).unwrap();
        let read = import(&bytes, &HashMap::new(), CHINA).unwrap();
        assert_eq!(read.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 5]);
        assert_eq!(read[0].request.quantity.as_deref(), Some("1.5"));
        assert_eq!(
            read[0].request.note.as_deref(),
            Some("=cmd|' /C calc'!A0"),
            "a text cell is filed as it is"
        );
        let missing = workbook::one_sheet("s", &header[..2], &rows[..1]).unwrap();
        let e = import(&missing, &HashMap::new(), CHINA).unwrap_err();
        assert!(matches!(e, AppError::Validation(ref f) if f[0].field == "row 1.quantity"));
        let twice: Vec<Column> = ["kind", "类型"]
            .iter()
            .map(|t| Column {
                title: t.to_string(),
                width: 10.0,
            })
            .collect();
        let e = import(
            &workbook::one_sheet("s", &twice, &[]).unwrap(),
            &HashMap::new(),
            CHINA,
        )
        .unwrap_err();
        assert!(matches!(e, AppError::Validation(ref f) if f[0].code == "duplicate_column"));
    }

    #[test]
    fn the_export_has_a_sheet_per_chemical_with_its_balance_as_filed() {
        let mut rows = vec![
            crate::ledger::sample_row(1, EntryKind::Purchase, 100_000),
            crate::ledger::sample_row(2, EntryKind::Sale, 30_000),
            crate::ledger::sample_row(3, EntryKind::Purchase, 7_000),
            crate::ledger::sample_row(4, EntryKind::Reversal, 30_000),
        ];
        rows[2].chemical_id = "toluene".into();
        rows[3].reverses = Some(rows[1].id.clone());
        rows[1].note = Some("@SUM(A1)".into());
        let chemicals = ChemicalLabels::from([
            (
                "acetone".into(),
                ("丙酮".into(), "Acetone".into(), "kg".into()),
            ),
            (
                "toluene".into(),
                ("甲苯".into(), "Toluene".into(), "L".into()),
            ),
        ]);
        let book = LedgerBook {
            all: &rows,
            chemicals: &chemicals,
            firms: &HashMap::new(),
            texts: Texts(Lang::ZhCn),
            clock: CHINA,
        };
        let bytes = export(&rows, &book).unwrap();
        let mut read = Xlsx::new(Cursor::new(bytes.as_slice())).unwrap();
        assert_eq!(read.sheet_names(), ["丙酮", "甲苯"]);
        let acetone = read.worksheet_range("丙酮").unwrap();
        let column = |range: &calamine::Range<Data>, col: usize| -> Vec<Data> {
            (1..range.height())
                .map(|r| range.get((r, col)).cloned().unwrap_or_default())
                .collect()
        };
        assert_eq!(
            column(&acetone, 5),
            [Data::Float(100.0), Data::Float(70.0), Data::Float(100.0)]
        );
        assert_eq!(column(&acetone, 12)[2], Data::Float(2.0), "reverses seq 2");
        assert_eq!(
            acetone.get((0, 4)),
            Some(&Data::String("数量（kg）".into()))
        );
        assert!(matches!(acetone.get((1, 1)), Some(Data::DateTime(_))));
        assert_eq!(
            column(&read.worksheet_range("甲苯").unwrap(), 5),
            [Data::Float(7.0)]
        );
        let empty = export(&[], &book).unwrap();
        let mut read = Xlsx::new(Cursor::new(empty.as_slice())).unwrap();
        assert_eq!(read.sheet_names(), ["台账"]);
        assert_eq!(read.worksheet_range("台账").unwrap().height(), 1);
    }
}
