//! The current grades as an Excel workbook (.xlsx): a sheet of one row per firm (the
//! confirmation time an Excel date), and a sheet of the grade distribution (firms per grade, and
//! the total). Headers in the reader's language; written in memory, the caller sends the bytes.

use chrono::FixedOffset;

use super::{summarize, PublicGrade};
use crate::error::AppError;
use crate::workbook::{workbook, Cell, Column, Sheet};

pub use crate::workbook::CONTENT_TYPE;

/// The header rows and the sheets' names, in the reader's language.
#[derive(Debug, Clone)]
pub struct Headers {
    pub sheet: String,
    /// Firm, region code, period, score, grade, confirmed at.
    pub columns: [String; 6],
    pub distribution_sheet: String,
    /// Grade, firms.
    pub distribution_columns: [String; 2],
    /// The label of the total row.
    pub total: String,
}

impl Headers {
    /// The headers in `texts`' language; times are on `clock`.
    pub fn new(texts: crate::console::Texts, clock: FixedOffset) -> Headers {
        Headers {
            sheet: texts.t("grades_page.sheet").to_string(),
            columns: [
                texts.t("grades_page.firm").to_string(),
                texts.t("grades_page.region").to_string(),
                texts.t("grades_page.period").to_string(),
                texts.t("grades_page.score").to_string(),
                texts.t("grades_page.grade").to_string(),
                format!("{} (UTC{clock})", texts.t("grades_page.confirmed_at")),
            ],
            distribution_sheet: texts.t("workbook.distribution_sheet").to_string(),
            distribution_columns: [
                texts.t("grades_page.grade").to_string(),
                texts.t("workbook.firms").to_string(),
            ],
            total: texts.t("grades_page.total").to_string(),
        }
    }
}

/// The workbook's bytes; confirmation times are shown on `clock`.
pub fn grades_xlsx(
    grades: &[PublicGrade],
    headers: &Headers,
    clock: FixedOffset,
) -> Result<Vec<u8>, AppError> {
    let columns: Vec<Column> = headers
        .columns
        .iter()
        .zip([36.0, 14.0, 10.0, 8.0, 8.0, 20.0])
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
                Cell::Date(g.confirmed_at.with_timezone(&clock).naive_local()),
            ]
        })
        .collect();
    let summary = summarize(grades, None);
    let mut counts: Vec<Vec<Cell>> = summary
        .by_grade
        .iter()
        .map(|(grade, n)| vec![Cell::Text(grade.clone()), Cell::Number(*n as f64)])
        .collect();
    counts.push(vec![
        Cell::Text(headers.total.clone()),
        Cell::Number(summary.graded_firms as f64),
    ]);
    let distribution_columns = headers
        .distribution_columns
        .iter()
        .map(|title| Column {
            title: title.clone(),
            width: 12.0,
        })
        .collect();
    workbook(&[
        Sheet::new(headers.sheet.clone(), columns, rows),
        Sheet::new(
            headers.distribution_sheet.clone(),
            distribution_columns,
            counts,
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::{Lang, Texts};
    use crate::grading::Grade;
    use calamine::{Data, Reader, Xlsx};

    #[test]
    fn a_workbook_holds_the_grades_and_their_distribution() {
        let grade = |name: &str, grade: Grade| PublicGrade {
            firm_id: uuid::Uuid::nil(),
            firm_name: name.into(),
            region_code: "350902".into(),
            period: "2026".into(),
            score: 92,
            grade,
            confirmed_at: chrono::Utc::now(),
        };
        let grades = [
            grade("宁德市蕉城区化工原料有限公司", Grade::A),
            grade("福安市制药有限公司", Grade::A),
            grade("=HYPERLINK(\"x\")", Grade::C),
        ];
        let headers = Headers::new(Texts(Lang::ZhCn), crate::domain::time::CHINA);
        let bytes = grades_xlsx(&grades, &headers, crate::domain::time::CHINA).unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes.as_slice())).unwrap();
        assert_eq!(
            book.sheet_names(),
            [headers.sheet.clone(), headers.distribution_sheet.clone()]
        );
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(
            sheet.get((1, 0)),
            Some(&Data::String(grades[0].firm_name.clone()))
        );
        assert_eq!(
            sheet.get((3, 0)),
            Some(&Data::String(grades[2].firm_name.clone()))
        );
        assert!(matches!(sheet.get((1, 5)), Some(Data::DateTime(_))));
        let counts = book.worksheet_range_at(1).unwrap().unwrap();
        let pairs: Vec<(String, f64)> = (1..counts.height())
            .map(|r| {
                (
                    counts.get((r, 0)).unwrap().to_string(),
                    match counts.get((r, 1)) {
                        Some(Data::Float(n)) => *n,
                        other => panic!("{other:?}"),
                    },
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [
                ("A".to_string(), 2.0),
                ("B".to_string(), 0.0),
                ("C".to_string(), 1.0),
                ("D".to_string(), 0.0),
                (headers.total.clone(), 3.0),
            ]
        );
    }
}
