//! A firm's entries as one EPCIS 2.0 document: the firm's GS1 names where registered, the
//! registry's own URNs where not (docs/epcis.md).

use std::collections::HashMap;

use serde_json::{json, Value};
use uuid::Uuid;

use super::mapping::{self, EntryFacts, FIRM_URN};
use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::{time, EntryKind, Unit};
use crate::error::AppError;
use crate::identifiers::{self, Registry};
use crate::ledger::{store, LedgerListing, LedgerRow};

/// What naming entries of some firms needs: the catalog, each firm's GS1 registrations and the
/// party names of their counterparties.
pub struct Naming {
    catalog: HashMap<String, (Option<String>, Unit)>,
    registries: HashMap<String, Registry>,
    parties: HashMap<String, String>,
}

impl Naming {
    /// Reads the names of `rows` (entries of one firm or of several, with their counterparties).
    pub fn load(conn: &mut DbConnection, rows: &[LedgerRow]) -> Result<Naming, AppError> {
        let mut catalog = HashMap::new();
        for (id, cas, unit) in crate::chemicals::store::classes(conn)? {
            let unit = Unit::parse(&unit)
                .ok_or_else(|| AppError::internal(format!("chemical {id} has unit {unit}")))?;
            catalog.insert(id, (cas, unit));
        }
        let mut firms: Vec<String> = rows.iter().map(|r| r.firm_id.clone()).collect();
        firms.sort();
        firms.dedup();
        let mut registries = HashMap::new();
        for firm in &firms {
            let id = Uuid::parse_str(firm).map_err(AppError::internal)?;
            let rows = identifiers::store::for_firm(conn, id)?;
            registries.insert(firm.clone(), Registry::from_rows(&rows));
        }
        let mut others: Vec<String> = rows
            .iter()
            .filter_map(|r| r.counterparty_firm_id.clone())
            .chain(firms)
            .collect();
        others.sort();
        others.dedup();
        let mut parties = HashMap::new();
        for row in identifiers::store::parties_of(conn, &others)? {
            let named = crate::domain::gs1::Gs1Key::parse(&row.gs1_key).ok();
            if let (Some(key), false) = (named, parties.contains_key(&row.firm_id)) {
                let registry = registries.get(&row.firm_id);
                let name = registry.map_or_else(|| key.to_link(), |r| r.name(&key));
                parties.insert(row.firm_id.clone(), name);
            }
        }
        Ok(Naming {
            catalog,
            registries,
            parties,
        })
    }

    /// A firm as an EPCIS party: its party GLN, else its registry URN.
    fn party(&self, firm_id: &str) -> String {
        self.parties
            .get(firm_id)
            .cloned()
            .unwrap_or_else(|| format!("{FIRM_URN}{firm_id}"))
    }

    /// Everything the event of `row` states.
    pub fn facts(&self, row: &LedgerRow) -> Result<EntryFacts, AppError> {
        let (cas, unit) = self
            .catalog
            .get(&row.chemical_id)
            .cloned()
            .ok_or_else(|| AppError::internal(format!("entry {} names no chemical", row.id)))?;
        let registry = self.registries.get(&row.firm_id);
        let class = registry
            .and_then(|r| r.class(&row.chemical_id, row.lot.as_deref()))
            .unwrap_or_else(|| {
                mapping::registry_class(cas.as_deref(), &row.chemical_id, row.lot.as_deref())
            });
        let location = registry.and_then(|r| {
            let site = r.site_of_warehouse.get(row.warehouse.as_deref()?)?;
            Some(r.name(site))
        });
        Ok(EntryFacts {
            id: row.id.clone(),
            firm_id: row.firm_id.clone(),
            seq: row.seq,
            hash: row.hash.clone(),
            kind: row.kind()?,
            class,
            unit,
            quantity: row.quantity,
            occurred_at: time::from_db(row.occurred_at),
            recorded_at: time::from_db(row.recorded_at),
            location,
            own_party: self.party(&row.firm_id),
            counterparty_party: counterparty_party(row, |f| self.party(f)),
            counterparty: counterparty(row),
            payment: row.payment.clone(),
            shipment_ref: row.shipment_ref.clone(),
            permit_no: row.permit_no.clone(),
            transport_permit_no: row.transport_permit_no.clone(),
            warehouse: row.warehouse.clone(),
            note: row.note.clone(),
        })
    }

    /// The events of `rows` in order; a reversal is its target's event declared in error
    /// (`targets` holds every target by id).
    pub fn events(
        &self,
        rows: &[LedgerRow],
        targets: &HashMap<String, LedgerRow>,
    ) -> Result<Vec<Value>, AppError> {
        rows.iter()
            .map(|row| {
                let facts = self.facts(row)?;
                let event = match &row.reverses {
                    None => mapping::event(&facts),
                    Some(target) => {
                        let target = targets.get(target).ok_or_else(|| {
                            AppError::internal(format!("reversal {} lost its target", row.id))
                        })?;
                        mapping::declared_in_error(&self.facts(target)?, &facts)
                    }
                };
                event.ok_or_else(|| AppError::internal(format!("entry {} has no event", row.id)))
            })
            .collect()
    }
}

/// The counterparty as a party of the event: a registered firm's party, else an outside
/// party's credit code as a registry URN; a person is named in the extension only.
fn counterparty_party(row: &LedgerRow, party: impl Fn(&str) -> String) -> Option<String> {
    if let Some(firm) = &row.counterparty_firm_id {
        return Some(party(firm));
    }
    let code = row.counterparty_credit_code.as_deref()?;
    Some(format!("{}{code}", mapping::CREDIT_CODE_URN))
}

/// The counterparty in the entry request's own shape (what import reads back).
fn counterparty(row: &LedgerRow) -> Option<Value> {
    if let Some(firm) = &row.counterparty_firm_id {
        return Some(json!({ "firm_id": firm }));
    }
    let mut c = serde_json::Map::new();
    let fields = [
        ("name", &row.counterparty_name),
        ("credit_code", &row.counterparty_credit_code),
        ("permit_no", &row.counterparty_permit_no),
        ("resident_id", &row.counterparty_resident_id),
    ];
    for (name, value) in fields {
        if let Some(v) = value {
            c.insert(name.into(), json!(v));
        }
    }
    if c.is_empty() {
        return None;
    }
    let kind = if row.counterparty_resident_id.is_some() {
        "individual"
    } else {
        "organization"
    };
    c.insert("kind".into(), json!(kind));
    Some(Value::Object(c))
}

/// The reversal targets of `rows` that are not among them, read from the firms' ledgers.
pub fn targets_of(
    conn: &mut DbConnection,
    rows: &[LedgerRow],
) -> Result<HashMap<String, LedgerRow>, AppError> {
    let mut targets: HashMap<String, LedgerRow> = HashMap::new();
    let mut wanted: HashMap<String, Vec<String>> = HashMap::new();
    let by_id: HashMap<&str, &LedgerRow> = rows.iter().map(|r| (r.id.as_str(), r)).collect();
    for row in rows
        .iter()
        .filter(|r| r.kind == EntryKind::Reversal.as_str())
    {
        let Some(target) = &row.reverses else {
            continue;
        };
        match by_id.get(target.as_str()) {
            Some(found) => {
                targets.insert(target.clone(), (*found).clone());
            }
            None => wanted
                .entry(row.firm_id.clone())
                .or_default()
                .push(target.clone()),
        }
    }
    for (firm, ids) in wanted {
        let firm = Uuid::parse_str(&firm).map_err(AppError::internal)?;
        for row in store::find_many(conn, firm, &ids)? {
            targets.insert(row.id.clone(), row);
        }
    }
    Ok(targets)
}

/// `GET /firms/{id}/ledger?format=epcis`: the matching entries of the firm as one document.
pub fn export(
    conn: &mut DbConnection,
    who: &Principal,
    firm_id: Uuid,
    listing: LedgerListing,
) -> Result<Value, AppError> {
    let rows = crate::ledger::export(conn, who, firm_id, listing)?;
    document(conn, &rows)
}

/// The document of some entries (of one firm or several).
pub fn document(conn: &mut DbConnection, rows: &[LedgerRow]) -> Result<Value, AppError> {
    let targets = targets_of(conn, rows)?;
    let mut all: Vec<LedgerRow> = rows.to_vec();
    all.extend(targets.values().cloned());
    let naming = Naming::load(conn, &all)?;
    let events = naming.events(rows, &targets)?;
    Ok(mapping::document(events, time::from_db(time::now())))
}
