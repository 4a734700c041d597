//! Journey (4), the languages: every main page of every role, first in Chinese, then after the
//! toggle in English. No catalog key shows raw, no string of the other language's catalog is
//! left on the page (user data such as firm names may be in either language), and every form
//! field has its label.

use serde_json::json;

use super::helpers::{each_backend, TestApp};
use super::{dispatched, driver, no_raw_keys, sign_in};
use crate::webdriver::Browser;

/// The catalog's strings that mark a page as that language: long enough not to be a code or a
/// number, and in the zh-CN catalog only those with a Chinese character.
fn telltales(source: &str, chinese: bool) -> Vec<String> {
    let catalog: toml::Table = source.parse().unwrap();
    let mut out = Vec::new();
    for keys in catalog.values() {
        for value in keys.as_table().unwrap().values() {
            let text = value
                .as_str()
                .unwrap()
                .split('{')
                .next()
                .unwrap()
                .trim()
                .to_string();
            let cjk = text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            if (chinese && cjk && text.chars().count() >= 4) || (!chinese && text.len() >= 14) {
                out.push(text);
            }
        }
    }
    out
}

fn visit_all(b: &Browser, app: &TestApp, paths: &[String], shown: &str, foreign: &[String]) {
    for path in paths {
        b.go(&format!("{}{path}", app.base));
        assert!(
            b.source().contains(&format!("<html lang=\"{shown}\">")),
            "{path} is not in {shown}: {}",
            b.text()
        );
        no_raw_keys(b);
        let unlabelled = b.execute(
            "return [...document.querySelectorAll('input, select, textarea')]\
               .filter(e => e.type !== 'hidden' && !(e.id && document.querySelector(`label[for=\"${e.id}\"]`)))\
               .map(e => e.name || e.outerHTML)",
        );
        assert_eq!(
            unlabelled,
            json!([]),
            "{path}: every form field has a label"
        );
        let text = b.text();
        for s in foreign {
            assert!(
                !text.contains(s.as_str()),
                "{path} in {shown} still shows {s:?}:\n{text}"
            );
        }
        // Named by the page, not by the ids in its path (one screenshot per page, run after run).
        let page = path.split('?').next().unwrap_or_default();
        let name = page
            .trim_matches('/')
            .split('/')
            .map(|s| if s.len() == 36 { "id" } else { s })
            .collect::<Vec<_>>()
            .join("-");
        b.screenshot(&format!(
            "lang-{shown}-{}",
            if name.is_empty() { "home" } else { &name }
        ));
    }
}

#[test]
fn every_main_page_of_every_role_switches_language_completely() {
    let Some(driver) = driver() else { return };
    let english = telltales(include_str!("../../i18n/en.toml"), false);
    let chinese = telltales(include_str!("../../i18n/zh-CN.toml"), true);
    each_backend(|app| {
        let (buyer, _, clerk) = dispatched(app);
        let (officer, _) = app.create_user("regulator", None);
        let (association, _) = app.create_user("association", None);
        let (admin, _) = app.create_user("admin", None);
        let acetone = app.chemical(&app.regulator(), "67-64-1");
        let r = app.post(
            &format!("/api/v1/firms/{buyer}/ledger"),
            Some(&app.enterprise(&buyer)),
            &json!({"kind": "production", "chemical_id": acetone, "lot": "Z1", "quantity": "5", "occurred_at": "2026-03-01T08:00:00Z"}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let entry = r.body["id"].as_str().unwrap().to_string();
        let roles: [(&str, Vec<String>); 4] = [
            (
                &clerk,
                [
                    "/",
                    "/ledger",
                    "/ledger/new",
                    "/ledger/upload",
                    "/inventory",
                    "/permits",
                    "/incoming",
                    "/findings",
                    "/counterparty-check",
                ]
                .iter()
                .map(|p| p.to_string())
                .chain([format!("/ledger/{entry}")])
                .collect(),
            ),
            (
                &officer,
                [
                    "/",
                    "/firms",
                    "/findings",
                    "/validations",
                    "/audits",
                    "/grades",
                    "/shipments",
                ]
                .iter()
                .map(|p| p.to_string())
                .chain([
                    format!("/firms/{buyer}"),
                    format!("/firms/{buyer}/grade"),
                    format!("/trace?chemical_id={acetone}&lot=Z1"),
                ])
                .collect(),
            ),
            (
                &association,
                ["/", "/grades", "/firms"]
                    .iter()
                    .map(|p| p.to_string())
                    .collect(),
            ),
            (
                &admin,
                ["/", "/users", "/activity"]
                    .iter()
                    .map(|p| p.to_string())
                    .collect(),
            ),
        ];
        for (username, paths) in &roles {
            let b = driver.browser("zh-CN");
            sign_in(&b, app, username);
            visit_all(&b, app, paths, "zh-CN", &english);
            b.find("a.lang").click();
            b.wait_until("English", |b| b.source().contains("<html lang=\"en\">"));
            visit_all(&b, app, paths, "en", &chinese);
        }
    });
}
