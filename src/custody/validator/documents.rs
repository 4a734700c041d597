//! Findings about paperwork and the deal: outside parties without their particulars, sales to
//! individuals, cash or barter, late filings and late
//! reports of sales, losses without a reason, and a ledger whose hash chain does not verify.

use super::walk::Validator;
use crate::custody::model::{Entry, ExternalParty, Finding, Party};
use crate::domain::custody_rules::Lateness;
use crate::domain::quantity::format_thousandths as qty;
use crate::domain::{Code, EntryKind, Payment, Severity};

impl Validator<'_> {
    /// Paperwork: outside parties, the deal, filing delays, loss reasons (transport documents
    /// have their own family, `transport`).
    pub(super) fn documents(&self, out: &mut Vec<Finding>) {
        for e in &self.entries {
            self.outside_party(e, out);
            self.individual_buyer(e, out);
            self.payment(e, out);
            self.lateness(e, out);
            if e.kind == EntryKind::Loss && !e.has_note {
                out.push(self.single(
                    Code::UnexplainedLoss,
                    Severity::Major,
                    e,
                    Some(e.quantity),
                    format!("损失{}未说明原因", qty(e.quantity)),
                    format!("a loss of {} without a reason", qty(e.quantity)),
                ));
            }
        }
    }

    /// A sale reported after its category's deadline, or any other entry filed after the
    /// general one.
    fn lateness(&self, e: &Entry, out: &mut Vec<Finding>) {
        let category = self.category(&e.chemical_id, e.occurred_at);
        let delay = e.recorded_at - e.occurred_at;
        let (days, hours) = (delay.num_days(), delay.num_hours());
        let finding = match self.s.lateness(e.kind == EntryKind::Sale, category, delay) {
            None => return,
            Some(Lateness::Report { deadline }) => {
                let limit = deadline.num_days();
                let severity = if category == 1 {
                    Severity::Major
                } else {
                    Severity::Minor
                };
                self.single(
                    Code::LateReport,
                    severity,
                    e,
                    Some(e.quantity),
                    format!("第{category}类易制毒化学品销售后{days}天才报告（{hours}小时），超过{limit}天时限"),
                    format!("a category {category} sale reported {days} days ({hours} h) after it happened, past the {limit}-day deadline"),
                )
            }
            Some(Lateness::Filing { deadline }) => {
                let limit = deadline.num_hours();
                self.single(
                    Code::LateFiling,
                    Severity::Minor,
                    e,
                    None,
                    format!("业务发生{hours}小时后才登记，超过{limit}小时时限"),
                    format!("filed {hours} hours after it happened, past the {limit}-hour filing deadline"),
                )
            }
        };
        out.push(finding);
    }

    /// A sale to or purchase from an unregistered party that lacks its name, credit code or
    /// permit number (a person: name and resident ID number).
    fn outside_party(&self, e: &Entry, out: &mut Vec<Finding>) {
        if !matches!(e.kind, EntryKind::Sale | EntryKind::Purchase) {
            return;
        }
        if let Some(Party::External(outside)) = &e.counterparty {
            let ExternalParty {
                name,
                credit_code,
                permit_no,
                resident_id,
            } = &**outside;
            let mut missing_zh = Vec::new();
            let mut missing_en = Vec::new();
            let particulars = if outside.is_individual() {
                [
                    (name, "姓名", "name"),
                    (resident_id, "身份证号码", "resident ID number"),
                ]
                .to_vec()
            } else {
                [
                    (name, "名称", "name"),
                    (credit_code, "统一社会信用代码", "credit code"),
                    (permit_no, "许可证号", "permit number"),
                ]
                .to_vec()
            };
            for (value, zh, en) in particulars {
                if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                    missing_zh.push(zh);
                    missing_en.push(en);
                }
            }
            if !missing_zh.is_empty() {
                out.push(self.single(
                    Code::UndocumentedCounterparty,
                    Severity::Major,
                    e,
                    Some(e.quantity),
                    format!("外部交易方缺少{}", missing_zh.join("、")),
                    format!(
                        "the outside counterparty lacks its {}",
                        missing_en.join(", ")
                    ),
                ));
            }
        }
    }

    /// A category-1 or -2 chemical sold to a person, which the law forbids (Decree 445: an
    /// individual may not buy category 1 or 2).
    fn individual_buyer(&self, e: &Entry, out: &mut Vec<Finding>) {
        let category = self.category(&e.chemical_id, e.occurred_at);
        if e.kind != EntryKind::Sale || !self.s.duties.bars_individuals(category) || !to_a_person(e)
        {
            return;
        }
        out.push(self.single(
            Code::SaleToIndividual,
            Severity::Critical,
            e,
            Some(e.quantity),
            format!("向个人销售第{category}类易制毒化学品{}", qty(e.quantity)),
            format!(
                "{} of a category {category} chemical sold to an individual",
                qty(e.quantity)
            ),
        ));
    }

    /// A sale or purchase paid in cash or in kind (Decree 445 bans both), except a person's
    /// lawful purchase of a category-3 chemical or a category-1 medicine (药品类).
    fn payment(&self, e: &Entry, out: &mut Vec<Finding>) {
        let Some(paid) = e.payment.filter(|p| p.is_cash_or_barter()) else {
            return;
        };
        if !self.s.duties.no_cash_or_barter {
            return;
        }
        let category = self.category(&e.chemical_id, e.occurred_at);
        let exempt = category == 3 || (category == 1 && self.is_medicine(&e.chemical_id));
        if exempt && e.kind == EntryKind::Sale && to_a_person(e) {
            return;
        }
        let (zh, en) = match paid {
            Payment::Cash => ("现金", "cash"),
            _ => ("实物", "barter"),
        };
        let deal = if e.kind == EntryKind::Sale {
            ("销售", "sale")
        } else {
            ("购买", "purchase")
        };
        out.push(self.single(
            Code::CashOrBarter,
            Severity::Major,
            e,
            Some(e.quantity),
            format!("以{zh}方式{}{}", deal.0, qty(e.quantity)),
            format!("a {} of {} paid in {en}", deal.1, qty(e.quantity)),
        ));
    }

    pub(super) fn chains(&self, out: &mut Vec<Finding>) {
        // Broken chains are rare: look their entries up one by one rather than index all entries.
        for (firm_id, seq, entry_id) in &self.input.broken_chains {
            let entry = entry_id
                .as_deref()
                .and_then(|id| self.input.entries.iter().find(|e| &*e.id == id));
            out.push(Finding {
                code: Code::ChainBroken,
                severity: Severity::Critical,
                firm_id: firm_id.clone(),
                counterparty_firm_id: None,
                chemical_id: entry.map(|e| e.chemical_id.to_string()),
                lot: entry.and_then(|e| e.lot.as_deref().map(str::to_string)),
                quantity: None,
                entry_ids: entry_id.iter().cloned().collect(),
                counterparty_entry_ids: vec![],
                message_zh: format!("台账哈希链在第{seq}条处校验失败：记录被改动、删除或插入"),
                message_en: format!("the ledger's hash chain breaks at seq {seq}: an entry was altered, removed or inserted"),
            });
        }
    }
}

/// Whether the entry's counterparty is a person.
fn to_a_person(e: &Entry) -> bool {
    matches!(&e.counterparty, Some(Party::External(p)) if p.is_individual())
}
