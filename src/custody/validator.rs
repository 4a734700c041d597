//! The chain-of-custody validator: a pure function from ledger, firms, permits and catalog to
//! findings. Near-linear: entries are grouped with hash maps and sorted; nothing compares every
//! entry with every other.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::model::{Entry, ExternalParty, Finding, Input, Party, Permit};
use crate::domain::quantity::format_thousandths as qty;
use crate::domain::{Code, CustodyRules, Severity};
use crate::domain::{EntryKind, FirmStatus, PermitKind};

/// Runs every rule of custody.md and returns the findings in a stable order.
pub fn validate(input: &Input, settings: &CustodyRules) -> Vec<Finding> {
    let v = Validator::new(input, settings);
    let mut findings = Vec::new();
    v.shipments(&mut findings);
    v.balances(&mut findings);
    v.permits(&mut findings);
    v.documents(&mut findings);
    v.chains(&mut findings);
    findings.sort_by_cached_key(|f| (f.code, f.identity()));
    findings
}

/// Indexes of the dispatches and of the receipts that share a matching key.
type Sides = (Vec<usize>, Vec<usize>);

/// The outcome of matching: which dispatch went with which receipt (indexes), and what is left.
struct Matching<'a> {
    dispatches: Vec<&'a Entry>,
    receipts: Vec<&'a Entry>,
    d_used: Vec<bool>,
    r_used: Vec<bool>,
    pairs: Vec<(usize, usize)>,
}

/// One shipment between registered firms as matching sees it: both ends, or one end alone.
#[derive(Debug, Clone)]
pub struct Shipment {
    pub dispatch: Option<Entry>,
    pub receipt: Option<Entry>,
}

/// Every dispatch and receipt among counted entries, paired where they match (for the lot trace).
pub fn shipments(input: &Input, settings: &CustodyRules) -> Vec<Shipment> {
    let v = Validator::new(input, settings);
    let m = v.matching();
    let mut out: Vec<Shipment> = m
        .pairs
        .iter()
        .map(|&(i, j)| Shipment {
            dispatch: Some(m.dispatches[i].clone()),
            receipt: Some(m.receipts[j].clone()),
        })
        .collect();
    out.extend(
        m.dispatches
            .iter()
            .zip(&m.d_used)
            .filter(|(_, u)| !**u)
            .map(|(d, _)| Shipment {
                dispatch: Some((*d).clone()),
                receipt: None,
            }),
    );
    out.extend(
        m.receipts
            .iter()
            .zip(&m.r_used)
            .filter(|(_, u)| !**u)
            .map(|(r, _)| Shipment {
                dispatch: None,
                receipt: Some((*r).clone()),
            }),
    );
    out
}

/// Entries that count (not reversals, not reversed, occurred by `as_of`).
pub fn counted_entries<'a>(input: &'a Input, settings: &'a CustodyRules) -> Vec<&'a Entry> {
    Validator::new(input, settings).entries
}

struct Validator<'a> {
    input: &'a Input,
    s: &'a CustodyRules,
    /// Entries that count: not reversals, not reversed, occurred by `as_of`; in business order.
    entries: Vec<&'a Entry>,
    permits_by_firm: HashMap<&'a str, Vec<&'a Permit>>,
}

/// Business order inside a firm (`occurred_at`, then `seq`); the id settles anything else so
/// that the input order never matters.
fn order_key(e: &Entry) -> (DateTime<Utc>, i64, &str) {
    (e.occurred_at, e.seq, &*e.id)
}

fn lot_text(lot: Option<&str>) -> String {
    lot.unwrap_or("—").to_string()
}

impl<'a> Validator<'a> {
    fn new(input: &'a Input, s: &'a CustodyRules) -> Validator<'a> {
        // A reversal counts from when it happened: as of an earlier time its target still stood.
        let reversed: HashSet<&str> = input
            .entries
            .iter()
            .filter(|e| e.occurred_at <= s.as_of)
            .filter_map(|e| e.reverses.as_deref())
            .collect();
        let mut entries: Vec<&Entry> = input
            .entries
            .iter()
            .filter(|e| {
                e.kind != EntryKind::Reversal
                    && !reversed.contains(&*e.id)
                    && e.occurred_at <= s.as_of
            })
            .collect();
        entries.sort_by(|a, b| (&*a.firm_id, order_key(a)).cmp(&(&*b.firm_id, order_key(b))));
        let mut permits_by_firm: HashMap<&str, Vec<&Permit>> = HashMap::new();
        for p in &input.permits {
            permits_by_firm.entry(&*p.firm_id).or_default().push(p);
        }
        for list in permits_by_firm.values_mut() {
            list.sort_by(|a, b| (a.valid_from, &a.id).cmp(&(b.valid_from, &b.id)));
        }
        Validator {
            input,
            s,
            entries,
            permits_by_firm,
        }
    }

    fn name(&self, firm_id: &str) -> String {
        self.input
            .firms
            .get(firm_id)
            .map(|f| f.name.clone())
            .unwrap_or_else(|| firm_id.to_string())
    }

    fn category(&self, chemical_id: &str) -> u8 {
        self.input.categories.get(chemical_id).copied().unwrap_or(3)
    }

    fn single(
        &self,
        code: Code,
        severity: Severity,
        e: &Entry,
        quantity: Option<i64>,
        zh: String,
        en: String,
    ) -> Finding {
        Finding {
            code,
            severity,
            firm_id: e.firm_id.to_string(),
            counterparty_firm_id: match &e.counterparty {
                Some(Party::Registered(id)) => Some(id.to_string()),
                _ => None,
            },
            chemical_id: Some(e.chemical_id.to_string()),
            lot: e.lot.as_deref().map(str::to_string),
            quantity,
            entry_ids: vec![e.id.to_string()],
            counterparty_entry_ids: vec![],
            message_zh: zh,
            message_en: en,
        }
    }

    fn pair(
        &self,
        code: Code,
        severity: Severity,
        (d, r): (&Entry, &Entry),
        quantity: Option<i64>,
        zh: String,
        en: String,
    ) -> Finding {
        Finding {
            code,
            severity,
            firm_id: d.firm_id.to_string(),
            counterparty_firm_id: Some(r.firm_id.to_string()),
            chemical_id: Some(d.chemical_id.to_string()),
            lot: d.lot.as_deref().map(str::to_string),
            quantity,
            entry_ids: vec![d.id.to_string()],
            counterparty_entry_ids: vec![r.id.to_string()],
            message_zh: zh,
            message_en: en,
        }
    }

    /// Dispatches (sales to registered firms) matched to receipts (purchases from registered firms).
    fn matching(&self) -> Matching<'a> {
        let registered = |e: &&'a Entry| match &e.counterparty {
            Some(Party::Registered(other)) => Some(&**other),
            _ => None,
        };
        let dispatches: Vec<&Entry> = self
            .entries
            .iter()
            .copied()
            .filter(|e| e.kind == EntryKind::Sale && registered(e).is_some())
            .collect();
        let receipts: Vec<&Entry> = self
            .entries
            .iter()
            .copied()
            .filter(|e| e.kind == EntryKind::Purchase && registered(e).is_some())
            .collect();
        // Borrowed keys: matching a province must not copy its strings.
        let party = |e: &'a Entry| match &e.counterparty {
            Some(Party::Registered(other)) => &**other,
            _ => "",
        };
        let mut d_used = vec![false; dispatches.len()];
        let mut r_used = vec![false; receipts.len()];
        let mut pairs: Vec<(usize, usize)> = Vec::new();

        // 1. Same seller, buyer, chemical and shipment ref: pair them in time order.
        type RefKey<'k> = (&'k str, &'k str, &'k str, &'k str);
        let mut by_ref: HashMap<RefKey, Sides> = HashMap::new();
        for (i, d) in dispatches.iter().enumerate() {
            if let Some(r) = &d.shipment_ref {
                by_ref
                    .entry((&*d.firm_id, party(d), &*d.chemical_id, &**r))
                    .or_default()
                    .0
                    .push(i);
            }
        }
        for (j, r) in receipts.iter().enumerate() {
            if let Some(sr) = &r.shipment_ref {
                by_ref
                    .entry((party(r), &*r.firm_id, &*r.chemical_id, &**sr))
                    .or_default()
                    .1
                    .push(j);
            }
        }
        let mut groups: Vec<(RefKey, Sides)> = by_ref.into_iter().collect();
        groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (_, (mut ds, mut rs)) in groups {
            ds.sort_by_key(|&i| order_key(dispatches[i]));
            rs.sort_by_key(|&j| order_key(receipts[j]));
            for (&i, &j) in ds.iter().zip(&rs) {
                d_used[i] = true;
                r_used[j] = true;
                pairs.push((i, j));
            }
        }

        // 2. The rest by seller, buyer, chemical and lot, quantity within tolerance, received within
        //    the transit window, nearest in time first. Two different shipment refs never match.
        type LotKey<'k> = (&'k str, &'k str, &'k str, Option<&'k str>);
        let mut by_lot: HashMap<LotKey, Sides> = HashMap::new();
        for (i, d) in dispatches.iter().enumerate().filter(|(i, _)| !d_used[*i]) {
            by_lot
                .entry((&*d.firm_id, party(d), &*d.chemical_id, d.lot.as_deref()))
                .or_default()
                .0
                .push(i);
        }
        for (j, r) in receipts.iter().enumerate().filter(|(j, _)| !r_used[*j]) {
            by_lot
                .entry((party(r), &*r.firm_id, &*r.chemical_id, r.lot.as_deref()))
                .or_default()
                .1
                .push(j);
        }
        let mut groups: Vec<(LotKey, Sides)> = by_lot.into_iter().collect();
        groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (_, (mut ds, mut rs)) in groups {
            if ds.is_empty() || rs.is_empty() {
                continue;
            }
            ds.sort_by_key(|&i| order_key(dispatches[i]));
            rs.sort_by_key(|&j| order_key(receipts[j]));
            for &i in &ds {
                let d = dispatches[i];
                let start = rs.partition_point(|&j| receipts[j].occurred_at < d.occurred_at);
                let found = rs[start..]
                    .iter()
                    .copied()
                    .take_while(|&j| {
                        receipts[j].occurred_at <= d.occurred_at + self.s.transit_window
                    })
                    .find(|&j| {
                        let r = receipts[j];
                        !r_used[j]
                            && (d.shipment_ref.is_none() || r.shipment_ref.is_none())
                            && self.s.agree(d.quantity, r.quantity)
                    });
                if let Some(j) = found {
                    d_used[i] = true;
                    r_used[j] = true;
                    pairs.push((i, j));
                }
            }
        }

        pairs.sort_by_key(|&(i, j)| (order_key(dispatches[i]), order_key(receipts[j])));
        Matching {
            dispatches,
            receipts,
            d_used,
            r_used,
            pairs,
        }
    }

    fn shipments(&self, out: &mut Vec<Finding>) {
        let Matching {
            dispatches,
            receipts,
            d_used,
            r_used,
            pairs,
        } = self.matching();
        let party = |e: &Entry| match &e.counterparty {
            Some(Party::Registered(other)) => other.to_string(),
            _ => String::new(),
        };
        for (d, _) in dispatches.iter().zip(&d_used).filter(|(_, used)| !**used) {
            if self.s.as_of > d.occurred_at + self.s.transit_window {
                let buyer = self.name(&party(d));
                out.push(self.single(
                    Code::UnmatchedDispatch,
                    Severity::Critical,
                    d,
                    Some(d.quantity),
                    format!("发往{buyer}的{}（批号{}）超过在途期限仍无对应入库记录", qty(d.quantity), lot_text(d.lot.as_deref())),
                    format!("{} dispatched to {buyer} (lot {}) has no matching receipt after the transit window", qty(d.quantity), lot_text(d.lot.as_deref())),
                ));
            }
        }
        for (r, _) in receipts.iter().zip(&r_used).filter(|(_, used)| !**used) {
            let seller = self.name(&party(r));
            out.push(self.single(
                Code::UnmatchedReceipt,
                Severity::Major,
                r,
                Some(r.quantity),
                format!("自{seller}购入的{}（批号{}）在对方台账中无对应出库记录", qty(r.quantity), lot_text(r.lot.as_deref())),
                format!("{} received from {seller} (lot {}) has no matching dispatch in the seller's ledger", qty(r.quantity), lot_text(r.lot.as_deref())),
            ));
        }

        for (i, j) in pairs {
            let (d, r) = (dispatches[i], receipts[j]);
            let buyer = self.name(&r.firm_id);
            if !self.s.agree(d.quantity, r.quantity) {
                let short_by_more_than_5pc =
                    r.quantity < d.quantity && (d.quantity - r.quantity) * 100 > d.quantity * 5;
                let severity = if short_by_more_than_5pc {
                    Severity::Critical
                } else {
                    Severity::Major
                };
                out.push(self.pair(
                    Code::QuantityMismatch,
                    severity,
                    (d, r),
                    Some((d.quantity - r.quantity).abs()),
                    format!(
                        "出库{}，{buyer}入库{}，差额超出允许误差",
                        qty(d.quantity),
                        qty(r.quantity)
                    ),
                    format!(
                        "dispatched {}, {buyer} received {}: the difference exceeds the tolerance",
                        qty(d.quantity),
                        qty(r.quantity)
                    ),
                ));
            }
            if d.lot != r.lot {
                out.push(self.pair(
                    Code::LotMismatch,
                    Severity::Minor,
                    (d, r),
                    None,
                    format!(
                        "出库批号{}与{buyer}入库批号{}不一致",
                        lot_text(d.lot.as_deref()),
                        lot_text(r.lot.as_deref())
                    ),
                    format!(
                        "dispatched lot {} but {buyer} received lot {}",
                        lot_text(d.lot.as_deref()),
                        lot_text(r.lot.as_deref())
                    ),
                ));
            }
            if r.occurred_at < d.occurred_at {
                out.push(self.pair(
                    Code::TimeInversion,
                    Severity::Minor,
                    (d, r),
                    None,
                    format!("{buyer}的入库时间早于出库时间"),
                    format!("{buyer} recorded the receipt before the dispatch happened"),
                ));
            } else if r.occurred_at > d.occurred_at + self.s.transit_window {
                let days = (r.occurred_at - d.occurred_at).num_days();
                out.push(self.pair(
                    Code::LateReceipt,
                    Severity::Minor,
                    (d, r),
                    None,
                    format!("{buyer}在出库{days}天后才入库，超过在途期限"),
                    format!("{buyer} received the shipment {days} days after dispatch, past the transit window"),
                ));
            }
        }
    }

    /// Running balance per (firm, chemical, lot) in business order.
    fn balances(&self, out: &mut Vec<Finding>) {
        #[derive(Default)]
        struct Lot {
            balance: i64,
            came_in: bool,
            negative: bool,
        }
        let mut lots: HashMap<(&str, &str, Option<&str>), Lot> = HashMap::new();
        for e in &self.entries {
            let state = lots
                .entry((&*e.firm_id, &*e.chemical_id, e.lot.as_deref()))
                .or_default();
            match e.kind {
                EntryKind::Purchase | EntryKind::Production => {
                    state.balance = state.balance.saturating_add(e.quantity);
                    state.came_in = true;
                    state.negative = state.balance < 0;
                }
                EntryKind::Sale
                | EntryKind::Consumption
                | EntryKind::Loss
                | EntryKind::Disposal => {
                    state.balance = state.balance.saturating_sub(e.quantity);
                    if e.lot.is_some() && !state.came_in {
                        out.push(self.single(
                            Code::OrphanLot,
                            Severity::Critical,
                            e,
                            Some(e.quantity),
                            format!(
                                "批号{}从未购入或生产，却有{}出库/使用",
                                lot_text(e.lot.as_deref()),
                                qty(e.quantity)
                            ),
                            format!(
                                "lot {} never came into the firm, yet {} went out",
                                lot_text(e.lot.as_deref()),
                                qty(e.quantity)
                            ),
                        ));
                    } else if state.balance < 0 && !state.negative {
                        out.push(self.single(
                            Code::NegativeBalance,
                            Severity::Critical,
                            e,
                            Some(-state.balance),
                            format!(
                                "批号{}账面结存为负：出多于进{}",
                                lot_text(e.lot.as_deref()),
                                qty(-state.balance)
                            ),
                            format!(
                                "lot {} went negative: {} more went out than ever came in",
                                lot_text(e.lot.as_deref()),
                                qty(-state.balance)
                            ),
                        ));
                    }
                    state.negative = state.balance < 0;
                }
                EntryKind::Stocktake => {
                    let book = state.balance;
                    if !self.s.agree(book, e.quantity) {
                        let shortfall = book - e.quantity;
                        let severity = if shortfall > 0 && shortfall * 100 > book * 5 {
                            Severity::Critical
                        } else {
                            Severity::Major
                        };
                        out.push(self.single(
                            Code::StocktakeDiscrepancy,
                            severity,
                            e,
                            Some((book - e.quantity).abs()),
                            format!(
                                "盘点数{}与账面数{}不符（批号{}）",
                                qty(e.quantity),
                                qty(book),
                                lot_text(e.lot.as_deref())
                            ),
                            format!(
                                "counted {} but the book says {} (lot {})",
                                qty(e.quantity),
                                qty(book),
                                lot_text(e.lot.as_deref())
                            ),
                        ));
                    }
                    state.balance = e.quantity;
                    state.came_in |= e.quantity > 0;
                    state.negative = false;
                }
                EntryKind::Reversal => {}
            }
        }
    }

    fn holds_purchase_right(&self, firm_id: &str, chemical_id: &str, at: DateTime<Utc>) -> bool {
        let category = self.category(chemical_id);
        self.permits_by_firm.get(firm_id).is_some_and(|permits| {
            permits.iter().any(|p| {
                p.covers(chemical_id, at)
                    && (p.kind == PermitKind::PurchasePermit
                        || (p.kind == PermitKind::PurchaseFiling && category >= 2))
            })
        })
    }

    fn permits(&self, out: &mut Vec<Finding>) {
        let mut used: HashMap<&str, i64> = HashMap::new();
        let mut purchases: Vec<&Entry> = self
            .entries
            .iter()
            .copied()
            .filter(|e| e.kind == EntryKind::Purchase)
            .collect();
        purchases.sort_by_key(|e| order_key(e));
        for e in &self.entries {
            if e.kind != EntryKind::Sale {
                continue;
            }
            let Some(Party::Registered(buyer)) = &e.counterparty else {
                continue;
            };
            let active = self
                .input
                .firms
                .get(&**buyer)
                .is_some_and(|f| f.status_at(e.occurred_at) == FirmStatus::Active);
            if !active || !self.holds_purchase_right(buyer, &e.chemical_id, e.occurred_at) {
                let name = self.name(buyer);
                let why_zh = if active {
                    "无有效的购买许可证或备案证明"
                } else {
                    "已被停业或吊销"
                };
                let why_en = if active {
                    "held no valid purchase permit or filing for it"
                } else {
                    "was suspended or revoked"
                };
                out.push(self.single(
                    Code::UnlicensedCounterparty,
                    Severity::Critical,
                    e,
                    Some(e.quantity),
                    format!("向{name}销售{}，但对方当时{why_zh}", qty(e.quantity)),
                    format!(
                        "sold {} to {name}, which at the time {why_en}",
                        qty(e.quantity)
                    ),
                ));
            }
        }
        for e in purchases {
            if !self.holds_purchase_right(&e.firm_id, &e.chemical_id, e.occurred_at) {
                let (zh, en) = if self.category(&e.chemical_id) == 1 {
                    ("购买许可证", "purchase permit")
                } else {
                    ("购买备案证明", "purchase filing")
                };
                out.push(self.single(
                    Code::PermitMissing,
                    Severity::Critical,
                    e,
                    Some(e.quantity),
                    format!("购入{}时无有效的{zh}", qty(e.quantity)),
                    format!("bought {} without a valid {en}", qty(e.quantity)),
                ));
                continue;
            }
            // The permit a purchase draws on: the one it names, else the earliest that covers it.
            let Some(permits) = self.permits_by_firm.get(&*e.firm_id) else {
                continue;
            };
            let covering = |p: &&&Permit| {
                p.covers(&e.chemical_id, e.occurred_at)
                    && matches!(
                        p.kind,
                        PermitKind::PurchasePermit | PermitKind::PurchaseFiling
                    )
            };
            let permit = permits
                .iter()
                .filter(covering)
                .find(|p| e.permit_no.as_deref() == Some(p.number.as_str()))
                .or_else(|| permits.iter().find(covering));
            let Some(permit) = permit else { continue };
            let Some(limit) = permit.quantity_limit else {
                continue;
            };
            let total = used.entry(&*permit.id).or_insert(0);
            *total = total.saturating_add(e.quantity);
            if *total > limit {
                let over = (*total - limit).min(e.quantity);
                out.push(self.single(
                    Code::PermitExceeded,
                    Severity::Critical,
                    e,
                    Some(over),
                    format!(
                        "许可/备案{}的累计购买量超出限额{}（超出{}）",
                        permit.number,
                        qty(limit),
                        qty(over)
                    ),
                    format!(
                        "purchases under {} exceed its limit of {} (by {})",
                        permit.number,
                        qty(limit),
                        qty(over)
                    ),
                ));
            }
        }
    }

    /// Paperwork: outside parties, transport documents, filing delays, loss reasons.
    fn documents(&self, out: &mut Vec<Finding>) {
        for e in &self.entries {
            if matches!(e.kind, EntryKind::Sale | EntryKind::Purchase) {
                if let Some(Party::External(outside)) = &e.counterparty {
                    let ExternalParty {
                        name,
                        credit_code,
                        permit_no,
                    } = &**outside;
                    let mut missing_zh = Vec::new();
                    let mut missing_en = Vec::new();
                    for (value, zh, en) in [
                        (name, "名称", "name"),
                        (credit_code, "统一社会信用代码", "credit code"),
                        (permit_no, "许可证号", "permit number"),
                    ] {
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
            if e.kind == EntryKind::Sale && self.category(&e.chemical_id) <= 2 && !e.transport_doc {
                out.push(self.single(
                    Code::MissingTransportDoc,
                    Severity::Minor,
                    e,
                    Some(e.quantity),
                    "第一、二类易制毒化学品销售未记录运输许可证号".to_string(),
                    "a category 1 or 2 sale without a transport permit number".to_string(),
                ));
            }
            if e.recorded_at - e.occurred_at > self.s.filing_deadline {
                let hours = (e.recorded_at - e.occurred_at).num_hours();
                out.push(self.single(
                    Code::LateFiling,
                    Severity::Minor,
                    e,
                    None,
                    format!("业务发生{hours}小时后才登记，超过72小时时限"),
                    format!("filed {hours} hours after it happened, past the filing deadline"),
                ));
            }
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

    fn chains(&self, out: &mut Vec<Finding>) {
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
