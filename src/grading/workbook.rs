//! The current grades as an Excel workbook (.xlsx): one sheet, a header row in the reader's
//! language, one row per firm. Written in memory; the caller sends the bytes.

use super::PublicGrade;
use crate::error::AppError;
use crate::workbook::{one_sheet, Cell, Column};

pub use crate::workbook::CONTENT_TYPE;

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
    let columns: Vec<Column> = headers
        .columns
        .iter()
        .zip([36.0, 14.0, 10.0, 8.0, 8.0, 18.0])
        .map(|(title, width)| Column {
            title: title.clone(),
            width,
        })
        .collect();
    let rows: Vec<Vec<Cell>> = grades
        .iter()
        .map(|g| {
            vec![
                Cell::Text(g.firm_name.clone()),
                Cell::Text(g.region_code.clone()),
                Cell::Text(g.period.clone()),
                Cell::Number(f64::from(g.score)),
                Cell::Text(g.grade.as_str().to_string()),
                Cell::Text(time(g.confirmed_at)),
            ]
        })
        .collect();
    one_sheet(&headers.sheet, &columns, &rows)
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
