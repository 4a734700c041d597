//! `/rules`: the rule pack in force, in the reader's language — the same `RulesView` as
//! `GET /api/v1/rules`, with each threshold's chemical named. Any signed-in user: the rules that
//! judge a firm are no secret to it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::console::page::html;
use crate::console::{Chrome, ConsoleUser, PageError};
use crate::custody::rules_view::RulesView;
use crate::db::Db;
use crate::domain::rule_pack::RulePack;
use crate::domain::CustodyRules;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/rules").route(web::get().to(page)));
}

/// A threshold as shown: the chemical (its name, else the CAS number) and the amount.
struct Threshold {
    cas: String,
    chemical: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    chrome: Chrome,
    rules: RulesView,
    thresholds: Vec<Threshold>,
}

impl RulesPage {
    /// Categories as "1、2" (or "—" for none).
    fn categories(&self, list: &[u8]) -> String {
        if list.is_empty() {
            return "—".into();
        }
        let sep = self.chrome.t("rules_page.list_separator");
        list.iter().map(u8::to_string).collect::<Vec<_>>().join(sep)
    }

    fn yes_no(&self, yes: &bool) -> &'static str {
        self.chrome.t(if *yes {
            "rules_page.yes"
        } else {
            "rules_page.no"
        })
    }
}

async fn page(
    user: ConsoleUser,
    db: web::Data<Db>,
    pack: web::Data<RulePack>,
    rules: web::Data<CustodyRules>,
) -> Result<HttpResponse, PageError> {
    let texts = user.texts();
    let view = RulesView::of(&pack, &rules);
    let cas: Vec<String> = view.thresholds.keys().cloned().collect();
    let named = db
        .run(move |conn| {
            let ids = crate::chemicals::store::cas_index(conn)?;
            let chosen: Vec<String> = cas.iter().filter_map(|c| ids.get(c).cloned()).collect();
            let labels = crate::chemicals::store::labels(conn, &chosen)?;
            Ok(cas
                .into_iter()
                .map(|c| {
                    let label = ids
                        .get(&c)
                        .map(|id| crate::chemicals::label(texts, &labels, id));
                    (c, label)
                })
                .collect::<Vec<_>>())
        })
        .await
        .map_err(|e| user.failed(e))?;
    let thresholds = named
        .into_iter()
        .map(|(cas, label)| {
            let amount = view.thresholds.get(&cas).cloned().unwrap_or_default();
            let (chemical, unit) = label.unwrap_or_else(|| (cas.clone(), String::new()));
            Threshold {
                amount: format!("{amount} {unit}").trim_end().to_string(),
                cas,
                chemical,
            }
        })
        .collect();
    let page = RulesPage {
        chrome: user.chrome("/rules"),
        rules: view,
        thresholds,
    };
    Ok(html(StatusCode::OK, &page))
}
