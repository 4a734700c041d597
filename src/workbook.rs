//! Excel workbooks (.xlsx) of one sheet: a bold header row in the reader's language, then one
//! row per record. Written in memory; the caller sends the bytes. Used by every page that
//! exports a table (grades, a firm's ledger).

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::error::AppError;

/// The content type of an .xlsx file.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One cell of a data row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

/// A column: its header and its width in characters.
#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    pub width: f64,
}

/// The workbook's bytes: sheet `name`, the header row frozen, then `rows`.
pub fn one_sheet(name: &str, columns: &[Column], rows: &[Vec<Cell>]) -> Result<Vec<u8>, AppError> {
    write(name, columns, rows).map_err(AppError::internal)
}

fn write(name: &str, columns: &[Column], rows: &[Vec<Cell>]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(name)?;
    for (col, c) in columns.iter().enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(0, col, c.title.as_str(), &bold)?;
        sheet.set_column_width(col, c.width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (i, cells) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (col, cell) in cells.iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Text(text) => sheet.write_string(row, col, text.as_str())?,
                Cell::Number(n) => sheet.write_number(row, col, *n)?,
                Cell::Empty => sheet,
            };
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
