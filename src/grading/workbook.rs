//! The current grades as an Excel workbook (.xlsx): one sheet, a header row in the reader's
//! language, one row per firm. Written in memory; the caller sends the bytes.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::PublicGrade;
use crate::error::AppError;

/// The content type of an .xlsx file.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The header row and the sheet's name, in the reader's language.
#[derive(Debug, Clone)]
pub struct Headers {
    pub sheet: String,
    /// Firm, region code, period, score, grade, confirmed at.
    pub columns: [String; 6],
}

/// The workbook's bytes; `time` shows a confirmation time as the page does.
pub fn grades_xlsx(
    grades: &[PublicGrade],
    headers: &Headers,
    time: impl Fn(chrono::DateTime<chrono::Utc>) -> String,
) -> Result<Vec<u8>, AppError> {
    write(grades, headers, time).map_err(AppError::internal)
}

fn write(
    grades: &[PublicGrade],
    headers: &Headers,
    time: impl Fn(chrono::DateTime<chrono::Utc>) -> String,
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(headers.sheet.as_str())?;
    for (col, (title, width)) in headers
        .columns
        .iter()
        .zip([36.0, 14.0, 10.0, 8.0, 8.0, 18.0])
        .enumerate()
    {
        let col = col as u16;
        sheet.write_string_with_format(0, col, title.as_str(), &bold)?;
        sheet.set_column_width(col, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (i, g) in grades.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, g.firm_name.as_str())?;
        sheet.write_string(row, 1, g.region_code.as_str())?;
        sheet.write_string(row, 2, g.period.as_str())?;
        sheet.write_number(row, 3, f64::from(g.score))?;
        sheet.write_string(row, 4, g.grade.as_str())?;
        sheet.write_string(row, 5, time(g.confirmed_at))?;
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grading::Grade;

    #[test]
    fn a_workbook_is_a_zip_holding_the_rows_and_the_headers() {
        let grade = PublicGrade {
            firm_id: uuid::Uuid::nil(),
            firm_name: "宁德市蕉城区化工原料有限公司".into(),
            region_code: "350902".into(),
            period: "2026".into(),
            score: 92,
            grade: Grade::A,
            confirmed_at: chrono::Utc::now(),
        };
        let headers = Headers {
            sheet: "企业分级".into(),
            columns: [
                "企业名称",
                "行政区划",
                "评级年度",
                "得分",
                "等级",
                "确认时间",
            ]
            .map(String::from),
        };
        let bytes = grades_xlsx(&[grade], &headers, |t| t.to_rfc3339()).unwrap();
        assert_eq!(&bytes[..2], b"PK");
        assert!(bytes.len() > 1000);
    }
}
