//! A firm's GS1 identifiers (issue 14): its company prefixes, its party GLN, the GLNs of its
//! sites (each naming one of its warehouses) and which GTIN — or one lot of it — is which
//! chemical. They are how EPCIS events name the firm's places and products; the registry's own
//! ledger keeps its own names, and the EPCIS mapping (`ledger::epcis`) translates between the two.
//! Kept, never edited; registering a key again is a no-op.

pub mod http;
pub mod store;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{policy, Principal};
use crate::db::{write_tx, DbConnection};
use crate::domain::gs1::{CompanyPrefix, Gln, Gs1Error, Gs1Key, Gtin};
use crate::domain::time;
use crate::error::{required_text, AppError, FieldError};
use crate::firms;
use store::IdentifierRow;

/// A site: its GLN (SGLN URN, Digital Link or 13 digits) and the warehouse it is in the ledger.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SiteRequest {
    #[schema(example = "urn:epc:id:sgln:0614141.00777.0")]
    pub gln: String,
    /// The ledger's `warehouse` of entries at this site.
    pub warehouse: String,
}

/// A product: a GTIN (LGTIN class, Digital Link, `urn:epc:idpat:sgtin:…​.*` or 8–14 digits), or
/// one lot of it, and the catalog chemical it is.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProductRequest {
    #[schema(example = "urn:epc:class:lgtin:4012345.012345.998877")]
    pub gtin: String,
    pub chemical_id: String,
}

/// `POST /firms/{id}/gs1`: identifiers to add to the firm's (every list may be empty).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RegisterRequest {
    /// GS1 company prefixes, 6–12 digits.
    pub company_prefixes: Vec<String>,
    /// The firm's party GLNs (PGLN URN, Digital Link or 13 digits).
    pub parties: Vec<String>,
    pub sites: Vec<SiteRequest>,
    pub products: Vec<ProductRequest>,
}

/// One identifier as registered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Identifier {
    pub id: Uuid,
    /// `company_prefix`, `party`, `site` or `product`.
    pub kind: String,
    /// The GS1 Digital Link (the digits for a company prefix).
    pub key: String,
    /// The EPC URN, where one of the firm's company prefixes splits the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub urn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warehouse: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chemical_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Identifiers {
    pub firm_id: Uuid,
    pub items: Vec<Identifier>,
}

/// One identifier to register, parsed.
#[derive(Debug, Clone, PartialEq)]
struct NewIdentifier {
    field: String,
    kind: &'static str,
    key: String,
    warehouse: Option<String>,
    chemical_id: Option<Uuid>,
}

/// A party or site given as 13 digits or as a key of the right kind.
fn place_key(text: &str, want_site: bool) -> Result<Gs1Key, Gs1Error> {
    let text = text.trim();
    if text.bytes().all(|b| b.is_ascii_digit()) {
        let gln = Gln::parse(text)?;
        return Ok(if want_site {
            Gs1Key::Location {
                gln,
                extension: "0".into(),
            }
        } else {
            Gs1Key::Party { gln }
        });
    }
    match Gs1Key::parse(text)? {
        key @ Gs1Key::Location { .. } if want_site => Ok(key),
        key @ Gs1Key::Party { .. } if !want_site => Ok(key),
        _ => Err(Gs1Error::Form),
    }
}

/// A product given as 8–14 digits or as a product or lot key.
fn product_key(text: &str) -> Result<Gs1Key, Gs1Error> {
    let text = text.trim();
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Gs1Key::Product {
            gtin: Gtin::parse(text)?,
        });
    }
    match Gs1Key::parse(text)? {
        key @ (Gs1Key::Product { .. } | Gs1Key::Lot { .. }) => Ok(key),
        _ => Err(Gs1Error::Form),
    }
}

impl RegisterRequest {
    fn parse(self) -> Result<Vec<NewIdentifier>, AppError> {
        let mut errors = Vec::new();
        let mut out = Vec::new();
        let mut bad = |field: String, e: Gs1Error| {
            errors.push(FieldError::new(field, e.code(), e.to_string()));
        };
        for (i, text) in self.company_prefixes.iter().enumerate() {
            let field = format!("company_prefixes[{i}]");
            match CompanyPrefix::parse(text) {
                Ok(p) => out.push(NewIdentifier::plain(field, "company_prefix", p.as_str())),
                Err(e) => bad(field, e),
            }
        }
        for (i, text) in self.parties.iter().enumerate() {
            let field = format!("parties[{i}]");
            match place_key(text, false) {
                Ok(k) => out.push(NewIdentifier::plain(field, "party", &k.to_link())),
                Err(e) => bad(field, e),
            }
        }
        let mut sites = Vec::new();
        for (i, site) in self.sites.iter().enumerate() {
            let field = format!("sites[{i}].gln");
            match place_key(&site.gln, true) {
                Ok(k) => sites.push((i, field, k.to_link())),
                Err(e) => bad(field, e),
            }
        }
        let mut products = Vec::new();
        for (i, product) in self.products.iter().enumerate() {
            let field = format!("products[{i}].gtin");
            match product_key(&product.gtin) {
                Ok(k) => products.push((i, field, k.to_link())),
                Err(e) => bad(field, e),
            }
        }
        for (i, field, key) in sites {
            let name = format!("sites[{i}].warehouse");
            let warehouse = required_text(&name, &self.sites[i].warehouse, 64, &mut errors);
            out.push(NewIdentifier {
                warehouse: Some(warehouse),
                ..NewIdentifier::plain(field, "site", &key)
            });
        }
        for (i, field, key) in products {
            match Uuid::parse_str(self.products[i].chemical_id.trim()) {
                Ok(id) => out.push(NewIdentifier {
                    chemical_id: Some(id),
                    ..NewIdentifier::plain(field, "product", &key)
                }),
                Err(_) => errors.push(FieldError::new(
                    format!("products[{i}].chemical_id"),
                    "invalid_id",
                    "is not a catalog id",
                )),
            }
        }
        if out.is_empty() && errors.is_empty() {
            let message = "give at least one company prefix, party, site or product";
            errors.push(FieldError::new("body", "required", message));
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

impl NewIdentifier {
    fn plain(field: String, kind: &'static str, key: &str) -> NewIdentifier {
        NewIdentifier {
            field,
            kind,
            key: key.to_string(),
            warehouse: None,
            chemical_id: None,
        }
    }
}

/// Adds identifiers to a firm's (its own enterprise users, or a regulator), all or none: a
/// site or party another firm holds, or a product already registered as another chemical, is
/// refused; a key registered again as it is changes nothing.
pub fn register(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    request: RegisterRequest,
) -> Result<Identifiers, AppError> {
    policy::register_identifiers(who, firm_id)?;
    let new = request.parse()?;
    write_tx(conn, |conn| {
        firms::require(conn, firm_id)?;
        let mut held = store::for_firm(conn, firm_id)?;
        let places: Vec<String> = new.iter().map(|n| n.key.clone()).collect();
        let taken = store::places(conn, &places)?;
        for item in &new {
            if taken
                .iter()
                .any(|t| t.gs1_key == item.key && t.firm_id != firm_id.to_string())
            {
                let message = "is registered to another firm";
                return Err(AppError::field(&item.field, "gs1_key_taken", message));
            }
            if let Some(same) = held
                .iter()
                .find(|h| h.kind == item.kind && h.gs1_key == item.key)
            {
                check_same(item, same)?;
                continue;
            }
            if let Some(chemical) = item.chemical_id {
                let id = chemical.to_string();
                if crate::chemicals::store::count_existing(conn, std::slice::from_ref(&id))? != 1 {
                    let field = item.field.replace(".gtin", ".chemical_id");
                    return Err(AppError::field(
                        field,
                        "unknown_chemical",
                        "is not in the catalog",
                    ));
                }
            }
            let row = IdentifierRow {
                id: Uuid::now_v7().to_string(),
                firm_id: firm_id.to_string(),
                kind: item.kind.to_string(),
                gs1_key: item.key.clone(),
                chemical_id: item.chemical_id.map(|c| c.to_string()),
                warehouse: item.warehouse.clone(),
                created_by: who.user_id.to_string(),
                created_at: time::now(),
            };
            store::insert(conn, &row)?;
            held.push(row);
        }
        render(firm_id, &held)
    })
}

/// A key registered again must say the same of itself.
fn check_same(item: &NewIdentifier, held: &IdentifierRow) -> Result<(), AppError> {
    let chemical = item.chemical_id.map(|c| c.to_string());
    if held.chemical_id != chemical || held.warehouse != item.warehouse {
        let message = "is registered already with another chemical or warehouse (identifiers are kept, never changed)";
        return Err(AppError::Conflict {
            code: "gs1_key_registered",
            detail: format!("{}: {message}", item.field),
        });
    }
    Ok(())
}

/// The firm's identifiers (its own enterprise users and regulators).
pub fn list(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
) -> Result<Identifiers, AppError> {
    policy::read_firm_records(who, firm_id)?;
    firms::require(conn, firm_id)?;
    let rows = store::for_firm(conn, firm_id)?;
    render(firm_id, &rows)
}

fn render(firm_id: Uuid, rows: &[IdentifierRow]) -> Result<Identifiers, AppError> {
    let registry = Registry::from_rows(rows);
    let items = rows
        .iter()
        .map(|row| {
            let id = |text: &str| {
                Uuid::parse_str(text)
                    .map_err(|_| AppError::internal(format!("identifier {} has a bad id", row.id)))
            };
            Ok(Identifier {
                id: id(&row.id)?,
                kind: row.kind.clone(),
                key: row.gs1_key.clone(),
                urn: Gs1Key::parse(&row.gs1_key)
                    .ok()
                    .and_then(|k| registry.urn(&k)),
                warehouse: row.warehouse.clone(),
                chemical_id: row.chemical_id.as_deref().map(id).transpose()?,
                created_at: time::from_db(row.created_at),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(Identifiers { firm_id, items })
}

/// One firm's identifiers as lookups: what EPCIS export and import translate with.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub prefixes: Vec<CompanyPrefix>,
    /// The first party GLN registered.
    pub party: Option<Gs1Key>,
    /// Site key (Digital Link) → warehouse, and the first site of each warehouse.
    pub sites: HashMap<String, String>,
    pub site_of_warehouse: HashMap<String, Gs1Key>,
    /// Product key (Digital Link, GTIN or GTIN + lot) → chemical id, and every product with
    /// its chemical in the order registered.
    pub products: HashMap<String, String>,
    pub product_list: Vec<(Gs1Key, String)>,
}

impl Registry {
    pub fn from_rows(rows: &[IdentifierRow]) -> Registry {
        let mut r = Registry::default();
        for row in rows {
            let key = Gs1Key::parse(&row.gs1_key).ok();
            match (row.kind.as_str(), key) {
                ("company_prefix", _) => r.prefixes.extend(CompanyPrefix::parse(&row.gs1_key).ok()),
                ("party", Some(key)) => {
                    r.party.get_or_insert(key);
                }
                ("site", Some(key)) => {
                    let warehouse = row.warehouse.clone().unwrap_or_default();
                    r.sites.insert(row.gs1_key.clone(), warehouse.clone());
                    r.site_of_warehouse.entry(warehouse).or_insert(key);
                }
                ("product", Some(key)) => {
                    let chemical = row.chemical_id.clone().unwrap_or_default();
                    r.products.insert(row.gs1_key.clone(), chemical.clone());
                    r.product_list.push((key, chemical));
                }
                _ => {}
            }
        }
        r
    }

    /// The key's EPC URN, where one of the firm's prefixes splits it.
    pub fn urn(&self, key: &Gs1Key) -> Option<String> {
        self.prefixes.iter().find_map(|p| key.to_urn(p))
    }

    /// The EPCIS class of a chemical's lot: the lot of a GTIN registered as the chemical (or
    /// that very lot, registered), or the GTIN itself for an entry without a lot.
    pub fn class(&self, chemical_id: &str, lot: Option<&str>) -> Option<String> {
        self.product_list
            .iter()
            .filter(|(_, chemical)| chemical == chemical_id)
            .find_map(|(key, _)| match (key, lot) {
                (Gs1Key::Product { gtin }, Some(lot)) => {
                    Gs1Key::lot_of(gtin, lot).ok().map(|k| self.name(&k))
                }
                (Gs1Key::Product { .. }, None) => Some(key.to_link()),
                (Gs1Key::Lot { lot: held, .. }, Some(lot)) if held == lot => Some(self.name(key)),
                _ => None,
            })
    }

    /// The key as an EPCIS document names it: the URN where the firm's prefix splits it, else
    /// the Digital Link (EPCIS 2.0 accepts both).
    pub fn name(&self, key: &Gs1Key) -> String {
        self.urn(key).unwrap_or_else(|| key.to_link())
    }
}
