//! The grade distribution by region as an SVG bar chart: a pure function from the summary's
//! counts to an SVG document (plain values, no I/O). One horizontal bar per region, stacked
//! A to D; one rectangle per non-zero count. Every label is escaped.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::Grade;

/// The words of the chart, in the reader's language.
#[derive(Debug, Clone)]
pub struct ChartText {
    pub title: String,
    /// What the counts are ("firms").
    pub unit: String,
    /// Shown instead of bars when nothing is graded.
    pub empty: String,
    /// The legend's name of each grade, A to D.
    pub grades: [String; 4],
}

const WIDTH: u32 = 760;
const LEFT: u32 = 90;
const BAR_AREA: u32 = 560;
const TOP: u32 = 64;
const ROW: u32 = 30;
const BAR: u32 = 20;
const FONT: &str = "Noto Sans CJK SC, WenQuanYi Micro Hei, Microsoft YaHei, sans-serif";

/// A colour per grade, told apart without colour too: each bar carries its count as text.
fn colour(grade: Grade) -> &'static str {
    match grade {
        Grade::A => "#1b6e3a",
        Grade::B => "#0b5cad",
        Grade::C => "#c27c0e",
        Grade::D => "#b3261e",
    }
}

/// Text as SVG may hold it: the one escaper of every SVG drawn on the server.
pub use crate::custody::drawing::escape;

/// The chart of `by_region` (region code → grade letter → firms).
pub fn distribution_svg(
    by_region: &BTreeMap<String, BTreeMap<String, usize>>,
    text: &ChartText,
) -> String {
    let rows = by_region.len().max(1) as u32;
    let height = TOP + rows * ROW + 30;
    let most = by_region
        .values()
        .map(|counts| counts.values().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" font-family="{FONT}" font-size="13"><title>{}</title><rect width="{WIDTH}" height="{height}" fill="#ffffff"/><text x="10" y="22" font-size="16" font-weight="bold" fill="#1d2733">{}</text>"##,
        escape(&text.title),
        escape(&text.title),
    );
    legend(&mut svg, text);
    if by_region.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="{LEFT}" y="{}" fill="#5b6875">{}</text>"##,
            TOP + 18,
            escape(&text.empty)
        );
    }
    for (i, (region, counts)) in by_region.iter().enumerate() {
        let y = TOP + i as u32 * ROW;
        region_row(&mut svg, region, counts, y, most, text);
    }
    svg.push_str("</svg>");
    svg
}

fn legend(svg: &mut String, text: &ChartText) {
    for (i, grade) in Grade::ALL.iter().enumerate() {
        let x = LEFT + i as u32 * 110;
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="34" width="14" height="14" fill="{}"/><text x="{}" y="46" fill="#1d2733">{}</text>"##,
            colour(*grade),
            x + 20,
            escape(&text.grades[i]),
        );
    }
}

fn region_row(
    svg: &mut String,
    region: &str,
    counts: &BTreeMap<String, usize>,
    y: u32,
    most: usize,
    text: &ChartText,
) {
    let region = escape(region);
    let _ = write!(
        svg,
        r##"<text x="10" y="{}" fill="#1d2733">{region}</text>"##,
        y + BAR - 5
    );
    let mut x = LEFT as f64;
    let mut total = 0;
    for (i, grade) in Grade::ALL.iter().enumerate() {
        let n = counts.get(grade.as_str()).copied().unwrap_or(0);
        if n == 0 {
            continue;
        }
        total += n;
        let w = (n as f64 * BAR_AREA as f64 / most as f64).max(2.0);
        let _ = write!(
            svg,
            r#"<rect class="bar" data-region="{region}" data-grade="{g}" x="{x:.1}" y="{y}" width="{w:.1}" height="{BAR}" fill="{fill}"><title>{region} {label}: {n} {unit}</title></rect>"#,
            g = grade.as_str(),
            fill = colour(*grade),
            label = escape(&text.grades[i]),
            unit = escape(&text.unit),
        );
        if w >= 18.0 {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{}" fill="#ffffff" text-anchor="middle">{n}</text>"##,
                x + w / 2.0,
                y + BAR - 5
            );
        }
        x += w;
    }
    let _ = write!(
        svg,
        r##"<text x="{:.1}" y="{}" fill="#5b6875">{total}</text>"##,
        x + 6.0,
        y + BAR - 5
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text() -> ChartText {
        ChartText {
            title: "各地区企业分级分布".into(),
            unit: "家".into(),
            empty: "暂无评级".into(),
            grades: ["A 级", "B 级", "C 级", "D 级"].map(String::from),
        }
    }

    /// Tags open and close in order, attribute values and text hold no raw `<` and every `&`
    /// starts an entity: enough of XML for a browser to render it as an image.
    fn well_formed(svg: &str) -> Result<(), String> {
        let mut open: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            check_text(&rest[..start])?;
            let end = rest[start..].find('>').ok_or("an unclosed tag")? + start;
            let tag = &rest[start + 1..end];
            if tag.contains('<') {
                return Err(format!("a raw < inside the tag {tag}"));
            }
            if tag.split('"').count() % 2 == 0 {
                return Err(format!("unbalanced quotes in {tag}"));
            }
            check_text(tag)?;
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if let Some(closing) = tag.strip_prefix('/') {
                let top = open.pop().ok_or("closes what was not open")?;
                if top != closing.trim() {
                    return Err(format!("</{closing}> closes <{top}>"));
                }
            } else if !tag.ends_with('/') {
                open.push(name);
            }
            rest = &rest[end + 1..];
        }
        check_text(rest)?;
        if open.is_empty() {
            Ok(())
        } else {
            Err(format!("left open: {open:?}"))
        }
    }

    fn check_text(text: &str) -> Result<(), String> {
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            if !["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                .iter()
                .any(|e| entity.starts_with(e))
            {
                return Err(format!("a bare & in {text}"));
            }
        }
        Ok(())
    }

    fn summary(rows: &[(&str, [usize; 4])]) -> BTreeMap<String, BTreeMap<String, usize>> {
        rows.iter()
            .map(|(region, counts)| {
                let by_grade = Grade::ALL
                    .iter()
                    .zip(counts)
                    .map(|(g, n)| (g.as_str().to_string(), *n))
                    .collect();
                (region.to_string(), by_grade)
            })
            .collect()
    }

    #[test]
    fn each_region_is_a_row_with_one_bar_per_grade_it_has() {
        let svg = distribution_svg(
            &summary(&[("350902", [3, 1, 0, 0]), ("350921", [0, 0, 2, 1])]),
            &text(),
        );
        well_formed(&svg).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_eq!(svg.matches("class=\"bar\"").count(), 4);
        assert!(svg.contains(r#"data-region="350902" data-grade="A""#));
        assert!(!svg.contains(r#"data-region="350902" data-grade="C""#));
        assert!(svg.contains("<title>各地区企业分级分布</title>"));
        assert!(svg.contains("350921 D 级: 1 家"));
        // The longest bar spans the whole area: 4 firms in either region.
        assert!(
            svg.contains(r#"data-region="350921" data-grade="C" x="90.0" y="94" width="280.0""#)
        );
    }

    #[test]
    fn nothing_graded_says_so_and_labels_are_escaped() {
        let svg = distribution_svg(&BTreeMap::new(), &text());
        well_formed(&svg).unwrap();
        assert!(svg.contains("暂无评级") && !svg.contains("class=\"bar\""));
        let svg = distribution_svg(&summary(&[("<script>&\"'", [1, 0, 0, 0])]), &text());
        well_formed(&svg).unwrap();
        assert!(svg.contains("&lt;script&gt;&amp;&quot;&#39;") && !svg.contains("<script"));
    }

    proptest! {
        #[test]
        fn any_summary_makes_a_well_formed_chart_with_a_bar_per_non_zero_count(
            rows in proptest::collection::btree_map(".{0,12}", proptest::array::uniform4(0usize..50), 0..12),
            title in ".{0,20}",
        ) {
            let by_region: BTreeMap<String, BTreeMap<String, usize>> = rows
                .iter()
                .map(|(r, counts)| {
                    (r.clone(), Grade::ALL.iter().zip(counts).map(|(g, n)| (g.as_str().to_string(), *n)).collect())
                })
                .collect();
            let mut words = text();
            words.title = title;
            let svg = distribution_svg(&by_region, &words);
            prop_assert!(well_formed(&svg).is_ok(), "{:?}: {}", well_formed(&svg), svg);
            let non_zero = rows.values().flatten().filter(|n| **n > 0).count();
            prop_assert_eq!(svg.matches("class=\"bar\"").count(), non_zero);
        }
    }
}
