//! Transport documents (Decree 445, the chapter on transport): a shipment from one
//! prefecture-level city to another needs a transport permit (categories 1 and 2) or a transport
//! filing (category 3) covering the chemical on the day; within one city it needs none. A
//! category-1 transport permit is good for one shipment.

use super::walk::{order_key, Map, Validator};
use crate::custody::model::{Entry, Finding, Party, Permit};
use crate::domain::quantity::format_thousandths as qty;
use crate::domain::{Code, CreditCode, EntryKind, PermitKind, RegionCode, Severity};

/// Why a named transport document does not hold.
enum Invalid<'a> {
    Unknown,
    NotInForce(&'a Permit),
    NotCovering,
    /// A category-1 permit already used by this earlier sale.
    Used(&'a str),
}

impl Validator<'_> {
    pub(super) fn transport(&self, out: &mut Vec<Finding>) {
        if !self.s.duties.transport_between_cities {
            return;
        }
        let mut single_use: Vec<(&Entry, &Permit, &str)> = Vec::new();
        for e in self
            .entries
            .iter()
            .copied()
            .filter(|e| e.kind == EntryKind::Sale)
        {
            let category = self.category(&e.chemical_id, e.occurred_at);
            match &e.transport_permit_no {
                None if self.crosses_cities(e) == Some(true) => out.push(self.single(
                    Code::MissingTransportDoc,
                    Severity::Minor,
                    e,
                    Some(e.quantity),
                    format!("跨设区的市运输第{category}类易制毒化学品，未记录运输许可证或备案证明编号"),
                    format!("a category {category} shipment to another city without a transport permit or filing number"),
                )),
                None => {}
                Some(number) => match self.check_document(e, number, category) {
                    Err(why) => out.push(self.invalid(e, number, why)),
                    Ok(permit) if category == 1 && permit.kind == PermitKind::TransportPermit => {
                        single_use.push((e, permit, number));
                    }
                    Ok(_) => {}
                },
            }
        }
        // A category-1 permit is good for one shipment: judged in business order across firms,
        // the earliest sale keeps it (only these few sales are sorted).
        single_use.sort_by(|a, b| order_key(a.0).cmp(&order_key(b.0)));
        let mut first_use: Map<&str, &Entry> = Map::default();
        for (e, permit, number) in single_use {
            let first = *first_use.entry(&*permit.id).or_insert(e);
            if first.id != e.id {
                out.push(self.invalid(e, number, Invalid::Used(&first.id)));
            }
        }
    }

    /// Whether the shipment leaves the seller's city; `None` when either end's place is not
    /// known (a person, an outside party without a credit code, a firm without a region).
    fn crosses_cities(&self, e: &Entry) -> Option<bool> {
        let from = self.firm(&e.firm_id)?.region.as_ref()?;
        let to_city = |region: &RegionCode| from.city() != region.city();
        match e.counterparty.as_ref()? {
            Party::Registered(id) => self.firm(id)?.region.as_ref().map(to_city),
            Party::External(outside) if outside.is_individual() => None,
            // A unified social credit code carries its registration authority's region.
            Party::External(outside) => {
                let code = CreditCode::parse(outside.credit_code.as_deref()?).ok()?;
                RegionCode::parse(&code.as_str()[2..8])
                    .ok()
                    .map(|r| to_city(&r))
            }
        }
    }

    /// A named document must be a transport permit (any category) or filing (category 3) of
    /// the seller or the buyer, in force on the day and covering the chemical.
    fn check_document(
        &self,
        e: &Entry,
        number: &str,
        category: u8,
    ) -> Result<&Permit, Invalid<'_>> {
        let holders = [Some(&*e.firm_id), super::walk::registered(e)];
        let permit = holders
            .into_iter()
            .flatten()
            .flat_map(|firm| self.permits_by_firm.get(firm).into_iter().flatten())
            .copied()
            .find(|p| {
                p.number == number
                    && (p.kind == PermitKind::TransportPermit
                        || (p.kind == PermitKind::TransportFiling && category == 3))
            })
            .ok_or(Invalid::Unknown)?;
        if !permit.chemical_ids.iter().any(|c| *c == *e.chemical_id) {
            return Err(Invalid::NotCovering);
        }
        if !permit.covers(&e.chemical_id, e.occurred_at) {
            return Err(Invalid::NotInForce(permit));
        }
        Ok(permit)
    }

    fn invalid(&self, e: &Entry, number: &str, why: Invalid<'_>) -> Finding {
        let day = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d").to_string();
        let (zh, en) = match why {
            Invalid::Unknown => (
                "没有这个编号的运输许可证或备案证明".to_string(),
                "no transport permit or filing has this number".to_string(),
            ),
            Invalid::NotInForce(p) => (
                format!("有效期为{}至{}，运输时不在有效期内", day(p.valid_from), day(p.valid_until)),
                format!("valid {} to {}, not on the day of the shipment", day(p.valid_from), day(p.valid_until)),
            ),
            Invalid::NotCovering => (
                "不包括这种化学品".to_string(),
                "does not cover this chemical".to_string(),
            ),
            Invalid::Used(first) => (
                format!("第一类运输许可证只能使用一次，已用于记录{first}"),
                format!("a category 1 transport permit is good for one shipment and was used by entry {first}"),
            ),
        };
        self.single(
            Code::InvalidTransportDoc,
            Severity::Major,
            e,
            Some(e.quantity),
            format!("运输{}所记录的运输证件{number}无效：{zh}", qty(e.quantity)),
            format!(
                "the transport document {number} of a shipment of {}: {en}",
                qty(e.quantity)
            ),
        )
    }
}
