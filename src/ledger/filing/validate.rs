//! The checks of items against what the database holds: the firm may file, the chemical is in
//! the catalog (and filed by lot where it must be), the counterparty is another firm, a reversal
//! cancels an entry of this firm once. The checks of each field alone are `entry`'s.

use std::collections::{HashMap, HashSet};

use super::submission::Item;
use super::tx::FilingTx;
use crate::domain::{EntryKind, FirmStatus};
use crate::error::{AppError, FieldError};
use crate::firms::Firm;
use crate::ledger::entry::Counterparty;
use crate::ledger::{store, LedgerRow};

/// A firm that is not active may still file what empties its stock, not what fills or moves it.
pub fn firm_may_file(firm: &Firm, items: &[Item]) -> Result<(), AppError> {
    if firm.status != FirmStatus::Active && items.iter().any(|i| i.entry.kind.needs_active_firm()) {
        return Err(AppError::conflict(
            "firm_not_active",
            format!(
                "the firm is {}: it may not file purchases, production or sales",
                firm.status
            ),
        ));
    }
    Ok(())
}

/// What an item files once checked: a reversal copies its target's chemical, lot and quantity.
pub struct Checked {
    pub chemical_id: String,
    pub lot: Option<String>,
    pub quantity: i64,
    pub counterparty: CounterpartyColumns,
}

/// A counterparty as stored: a registered firm's id, or an outside party's particulars.
#[derive(Default)]
pub struct CounterpartyColumns {
    pub firm_id: Option<String>,
    pub name: Option<String>,
    pub credit_code: Option<String>,
    pub permit_no: Option<String>,
    pub resident_id: Option<String>,
}

/// What is known of an entry that a reversal may name.
struct Target {
    kind: EntryKind,
    chemical_id: String,
    lot: Option<String>,
    quantity: i64,
}

/// The ledger as the checks see it: read once for all items of a filing, and kept up to date as
/// items pass, so that later items of the same batch see earlier ones (CSV import reverses rows
/// of its own file).
pub struct LedgerState<'a> {
    firm: &'a Firm,
    firm_id: String,
    catalog: HashMap<String, crate::domain::catalog::Control>,
    registered: HashSet<String>,
    targets: HashMap<String, Target>,
    reversed: HashSet<String>,
}

impl<'a> LedgerState<'a> {
    /// Reads what the checks of `items` need: their chemicals, counterparties and reversal
    /// targets, and the entries filed before them in this transaction but not yet stored.
    pub fn load(
        tx: &mut dyn FilingTx,
        firm: &'a Firm,
        items: &[Item],
    ) -> Result<LedgerState<'a>, AppError> {
        // Each item is judged by the list as it stood when it happened.
        let chemical_ids: Vec<String> = items
            .iter()
            .filter_map(|i| i.entry.chemical_id)
            .map(|c| c.to_string())
            .collect();
        let catalog = tx.controls(&chemical_ids)?;
        let counterparty_ids: Vec<String> = items
            .iter()
            .filter_map(|i| match &i.entry.counterparty {
                Some(Counterparty::Registered(id)) => Some(id.to_string()),
                _ => None,
            })
            .collect();
        let registered = tx.registered(&counterparty_ids)?;
        let target_ids: Vec<String> = items
            .iter()
            .filter_map(|i| i.entry.reverses)
            .map(|r| r.to_string())
            .collect();
        let mut targets = HashMap::new();
        for row in store::find_many(tx.conn(), firm.id, &target_ids)? {
            targets.insert(row.id.clone(), Target::of(&row)?);
        }
        let reversed = store::reversed_among(tx.conn(), firm.id, &target_ids)?
            .into_iter()
            .collect();
        let mut state = LedgerState {
            firm,
            firm_id: firm.id.to_string(),
            catalog,
            registered,
            targets,
            reversed,
        };
        let firm_id = state.firm_id.clone();
        for row in tx.unstored().iter().filter(|r| r.firm_id == firm_id) {
            state.record_row(row)?;
        }
        Ok(state)
    }

    /// Checks one item; every problem of it is reported, named under its prefix.
    pub fn check(&self, item: &Item) -> Result<Checked, Vec<FieldError>> {
        let mut errors = Vec::new();
        let (chemical_id, lot, quantity) = match item.entry.reverses {
            Some(target) => self.reversal(item, &target.to_string(), &mut errors),
            None => self.movement(item, &mut errors),
        };
        let counterparty = self.counterparty(item, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Checked {
            chemical_id,
            lot,
            quantity,
            counterparty,
        })
    }

    /// Takes note of a filed item: it may be reversed by a later item, and what it reverses may
    /// not be reversed again.
    pub fn record(&mut self, item: &Item, row: &LedgerRow) {
        if let Some(target) = item.entry.reverses {
            self.reversed.insert(target.to_string());
        }
        let target = Target {
            kind: item.entry.kind,
            chemical_id: row.chemical_id.clone(),
            lot: row.lot.clone(),
            quantity: row.quantity,
        };
        self.targets.insert(row.id.clone(), target);
    }

    /// The same for a row filed earlier in this transaction.
    fn record_row(&mut self, row: &LedgerRow) -> Result<(), AppError> {
        if let Some(target) = &row.reverses {
            self.reversed.insert(target.clone());
        }
        self.targets.insert(row.id.clone(), Target::of(row)?);
        Ok(())
    }

    /// A reversal copies what it cancels.
    fn reversal(
        &self,
        item: &Item,
        target_id: &str,
        errors: &mut Vec<FieldError>,
    ) -> (String, Option<String>, i64) {
        let refused = match self.targets.get(target_id) {
            None => ("unknown_entry", "no entry of this firm has this id"),
            Some(t) if t.kind == EntryKind::Reversal => (
                "cannot_reverse_reversal",
                "a reversal cannot be reversed; file the entry again",
            ),
            Some(_) if self.reversed.contains(target_id) => {
                ("already_reversed", "this entry has already been reversed")
            }
            Some(t) => return (t.chemical_id.clone(), t.lot.clone(), t.quantity),
        };
        errors.push(error(item, "reverses", refused.0, refused.1));
        (String::new(), None, 0)
    }

    /// Any other entry names its own chemical, which must be in the catalog.
    fn movement(&self, item: &Item, errors: &mut Vec<FieldError>) -> (String, Option<String>, i64) {
        let e = &item.entry;
        let chemical_id = e.chemical_id.map(|c| c.to_string()).unwrap_or_default();
        match self
            .catalog
            .get(&chemical_id)
            .map(|c| c.category_at(e.occurred_at))
        {
            None => errors.push(error(
                item,
                "chemical_id",
                "unknown_chemical",
                "is not in the catalog",
            )),
            Some(category) if category <= 2 && e.lot.is_none() => errors.push(error(
                item,
                "lot",
                "lot_required",
                "category 1 and 2 chemicals are filed by lot",
            )),
            Some(_) => {}
        }
        let quantity = e.quantity.map(|q| q.thousandths()).unwrap_or(0);
        (chemical_id, e.lot.clone(), quantity)
    }

    /// A counterparty is another firm: a registered one, or an outside party with another credit
    /// code.
    fn counterparty(&self, item: &Item, errors: &mut Vec<FieldError>) -> CounterpartyColumns {
        let self_counterparty = |field| {
            error(
                item,
                field,
                "self_counterparty",
                "a firm cannot buy from or sell to itself",
            )
        };
        match &item.entry.counterparty {
            None => CounterpartyColumns::default(),
            Some(Counterparty::Registered(id)) => {
                let id = id.to_string();
                if id == self.firm_id {
                    errors.push(self_counterparty("counterparty.firm_id"));
                } else if !self.registered.contains(&id) {
                    errors.push(error(
                        item,
                        "counterparty.firm_id",
                        "unknown_firm",
                        "no registered firm has this id",
                    ));
                }
                CounterpartyColumns {
                    firm_id: Some(id),
                    ..CounterpartyColumns::default()
                }
            }
            Some(Counterparty::External {
                name,
                credit_code,
                permit_no,
            }) => {
                let code = credit_code.as_ref().map(|c| c.to_string());
                if code.as_deref() == Some(self.firm.credit_code.as_str()) {
                    errors.push(self_counterparty("counterparty.credit_code"));
                }
                CounterpartyColumns {
                    name: name.clone(),
                    credit_code: code,
                    permit_no: permit_no.clone(),
                    ..CounterpartyColumns::default()
                }
            }
            Some(Counterparty::Individual {
                name,
                resident_id,
                permit_no,
            }) => CounterpartyColumns {
                name: Some(name.clone()),
                permit_no: permit_no.clone(),
                resident_id: Some(resident_id.as_str().to_string()),
                ..CounterpartyColumns::default()
            },
        }
    }
}

impl Target {
    fn of(row: &LedgerRow) -> Result<Target, AppError> {
        Ok(Target {
            kind: row.kind()?,
            chemical_id: row.chemical_id.clone(),
            lot: row.lot.clone(),
            quantity: row.quantity,
        })
    }
}

fn error(item: &Item, field: &str, code: &'static str, message: &str) -> FieldError {
    FieldError::new(format!("{}{field}", item.prefix), code, message)
}
