//! The pre-sale check in the console: may the buyer with this credit code buy the chemical?
//! The same service as `GET /counterparties/check`, its answer in the user's language.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::CheckQuery;
use crate::console::form::{given, Problems};
use crate::console::page::{html, local_time};
use crate::console::{Chrome, ConsoleUser, PageError};
use crate::db::Db;
use crate::domain::{CustodyRules, Role};
use crate::ledger::pages::labels::{chemical_options, ChemicalOption};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/counterparty-check").route(web::get().to(page)));
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Asked {
    credit_code: String,
    chemical_id: String,
    /// A date, `YYYY-MM-DD`; empty means now.
    on: String,
}

struct Right {
    number: String,
    valid_until: String,
    remaining: String,
}

struct Answer {
    may_buy: bool,
    name: String,
    message: String,
    rights: Vec<Right>,
}

#[derive(Template)]
#[template(path = "counterparty_check.html")]
struct CheckPage {
    chrome: Chrome,
    asked: Asked,
    chemicals: Vec<ChemicalOption>,
    problems: Problems,
    answer: Option<Answer>,
}

async fn page(
    user: ConsoleUser,
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
    asked: web::Query<Asked>,
) -> Result<HttpResponse, PageError> {
    user.require(&[Role::Enterprise, Role::Regulator])?;
    let (texts, principal, rules) = (user.texts(), user.principal.clone(), **rules);
    let asked = asked.into_inner();
    let query =
        (!asked.credit_code.trim().is_empty() || !asked.chemical_id.is_empty()).then(|| {
            CheckQuery {
                credit_code: given(&asked.credit_code),
                chemical_id: given(&asked.chemical_id),
                on: given(&asked.on),
            }
        });
    let selected = asked.chemical_id.clone();
    let (chemicals, checked) = db
        .run(move |conn| {
            let chemicals = chemical_options(conn, texts, &selected)?;
            let checked = query.map(|q| super::check(conn, &principal, &q, &rules));
            Ok((chemicals, checked))
        })
        .await
        .map_err(|e| user.failed(e))?;
    let (status, problems, answer) = match checked {
        None => (StatusCode::OK, Problems::default(), None),
        Some(Ok(c)) => {
            let unit_less = |q: Option<crate::domain::Quantity>| {
                q.map_or_else(
                    || texts.t("permits.no_limit").to_string(),
                    |q| q.to_string(),
                )
            };
            let answer = Answer {
                may_buy: c.may_buy,
                name: c.name.unwrap_or_default(),
                message: texts
                    .pick(
                        c.message.as_deref().unwrap_or(""),
                        c.message_en.as_deref().unwrap_or(""),
                    )
                    .to_string(),
                rights: c
                    .permits
                    .into_iter()
                    .map(|p| Right {
                        number: p.number,
                        valid_until: local_time(p.valid_until),
                        remaining: unit_less(p.remaining),
                    })
                    .collect(),
            };
            (StatusCode::OK, Problems::default(), Some(answer))
        }
        Some(Err(e)) => match Problems::of(texts, &e) {
            Some(p) => (StatusCode::UNPROCESSABLE_ENTITY, p, None),
            None => return Err(user.failed(e)),
        },
    };
    let page = CheckPage {
        chrome: user.chrome("/counterparty-check"),
        asked,
        chemicals,
        problems,
        answer,
    };
    Ok(html(status, &page))
}
