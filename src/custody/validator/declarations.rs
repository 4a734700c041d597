//! Customer declarations (Reg. 273/2004 Art. 4, the `eu` pack): a supply of a substance whose
//! category needs one is judged against the declarations its seller keeps for that customer
//! and substance, valid on the day.

use super::walk::{Map, Validator};
use crate::custody::model::{Declaration, Entry, Finding, Party};
use crate::domain::quantity::format_thousandths as qty;
use crate::domain::{Code, EntryKind, Severity};

impl Validator<'_> {
    pub(super) fn declarations(&self, out: &mut Vec<Finding>) {
        if !self.s.duties.declarations.contains(&true) {
            return;
        }
        let mut on_file: Map<(&str, &str), Vec<&Declaration>> = Map::default();
        for d in &self.input.declarations {
            on_file
                .entry((&*d.firm_id, &*d.chemical_id))
                .or_default()
                .push(d);
        }
        for e in self.entries.iter().filter(|e| e.kind == EntryKind::Sale) {
            let Some(party) = &e.counterparty else {
                continue;
            };
            let category = self.category(&e.chemical_id, e.occurred_at);
            if !self.s.duties.needs_declaration(category) {
                continue;
            }
            let declared = on_file
                .get(&(&*e.firm_id, &*e.chemical_id))
                .is_some_and(|ds| ds.iter().any(|d| d.covers(party, e.occurred_at)));
            if !declared {
                out.push(self.undeclared(e, party, category));
            }
        }
    }

    fn undeclared(&self, e: &Entry, party: &Party, category: u8) -> Finding {
        let customer = match party {
            Party::Registered(firm) => self.name(firm),
            Party::External(p) => p.name.clone().unwrap_or_else(|| "—".into()),
        };
        self.single(
            Code::MissingCustomerDeclaration,
            Severity::Major,
            e,
            Some(e.quantity),
            format!(
                "向{customer}供应第{category}类物质{}，未存有该客户对该物质的用途声明",
                qty(e.quantity)
            ),
            format!(
                "{} of a category {category} substance supplied to {customer} without the customer's declaration of use on file",
                qty(e.quantity)
            ),
        )
    }
}
