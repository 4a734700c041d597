//! The clerk's permits with what each purchase right has left: the permits slice's list and
//! the custody rule of how purchases draw on a limit (`custody::usage`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;

use crate::console::page::{html, local_time};
use crate::console::{Chrome, ConsoleUser, PageError, Texts};
use crate::db::Db;
use crate::domain::quantity::format_thousandths;
use crate::domain::{CustodyRules, PermitKind};
use crate::paging::Page;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/permits").route(web::get().to(page)));
}

struct Row {
    kind: &'static str,
    number: String,
    chemicals: String,
    valid_from: String,
    valid_until: String,
    limit: String,
    remaining: String,
    expired: bool,
}

#[derive(Template)]
#[template(path = "permits.html")]
struct PermitsPage {
    chrome: Chrome,
    rows: Vec<Row>,
}

pub fn kind_label(texts: Texts, kind: PermitKind) -> &'static str {
    texts.t(match kind {
        PermitKind::ProductionLicence => "permits.kind_production_licence",
        PermitKind::OperationLicence => "permits.kind_operation_licence",
        PermitKind::PurchasePermit => "permits.kind_purchase_permit",
        PermitKind::PurchaseFiling => "permits.kind_purchase_filing",
        PermitKind::TransportPermit => "permits.kind_transport_permit",
        PermitKind::TransportFiling => "permits.kind_transport_filing",
        PermitKind::ImportExportPermit => "permits.kind_import_export_permit",
    })
}

async fn page(
    user: ConsoleUser,
    db: web::Data<Db>,
    rules: web::Data<CustodyRules>,
) -> Result<HttpResponse, PageError> {
    let firm = user.own_firm()?;
    let (texts, principal, rules) = (user.texts(), user.principal.clone(), **rules);
    let (permits, left, labels) = db
        .run(move |conn| {
            let page = Page {
                limit: 1000,
                after: None,
            };
            let permits = crate::permits::list(conn, &principal, firm, page)?.items;
            let left = crate::custody::usage::left_on_permits(conn, &principal, firm, &rules)?;
            let ids: Vec<String> = permits
                .iter()
                .flat_map(|p| p.chemical_ids.iter().map(|c| c.to_string()))
                .collect();
            Ok((permits, left, crate::chemicals::store::labels(conn, &ids)?))
        })
        .await
        .map_err(|e| user.failed(e))?;
    let now = Utc::now();
    let unit_of = |id: &uuid::Uuid| labels.get(&id.to_string()).map(|l| l.2.clone());
    let rows = permits
        .into_iter()
        .map(|p| {
            let unit = p.chemical_ids.first().and_then(unit_of).unwrap_or_default();
            let chemicals = p
                .chemical_ids
                .iter()
                .filter_map(|c| labels.get(&c.to_string()))
                .map(|(zh, en, _)| texts.pick(zh, en).to_string())
                .collect::<Vec<_>>()
                .join("、");
            let remaining = match left.get(&p.id.to_string()) {
                Some(Some(t)) => format!("{} {unit}", format_thousandths(*t)),
                _ => String::new(),
            };
            Row {
                kind: kind_label(texts, p.kind),
                number: p.number,
                chemicals,
                valid_from: local_time(p.valid_from),
                valid_until: local_time(p.valid_until),
                limit: p
                    .quantity_limit
                    .map(|q| format!("{q} {unit}"))
                    .unwrap_or_else(|| texts.t("permits.no_limit").to_string()),
                remaining,
                expired: p.valid_until < now,
            }
        })
        .collect();
    let page = PermitsPage {
        chrome: user.chrome("/permits"),
        rows,
    };
    Ok(html(StatusCode::OK, &page))
}
