//! Suspicious orders (21 CFR 1300.01: unusual size, unusual frequency, a pattern deviating from
//! the normal; and structuring): a seller's know-your-customer duty, judged for each (seller,
//! buyer, chemical) against the buyer's own trailing 12 months. An order is the group's sales
//! (that count) of one calendar day in China time; structuring looks at the sales themselves.
//!
//! Cost: one pass to group, then per group a sliding 365-day window kept as a sorted `Vec` for
//! the median (an insert and a removal per order, each a binary search and a shift of at most
//! the window's length: O(n · w) for a group of n orders with w in a year, near-linear for the
//! groups a province has), and per month at most the 12 months before it.

use std::ops::Range;

use chrono::{Datelike, Days, NaiveDate};

use super::walk::{registered, Map, Validator};
use crate::custody::model::{Entry, Finding, Party};
use crate::domain::quantity::format_thousandths as qty;
use crate::domain::time::CHINA;
use crate::domain::{Code, EntryKind, Severity, SuspiciousOrders, ThresholdScope};

/// Who bought: a registered firm, else an outside party by its credit code, else by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Buyer<'a> {
    Firm(&'a str),
    CreditCode(&'a str),
    Name(&'a str),
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn buyer(e: &Entry) -> Option<Buyer<'_>> {
    match e.counterparty.as_ref()? {
        Party::Registered(firm) => Some(Buyer::Firm(firm)),
        Party::External(p) => present(&p.credit_code)
            .map(Buyer::CreditCode)
            .or_else(|| present(&p.name).map(Buyer::Name)),
    }
}

/// A calendar month, counted from year 0 (so that months subtract).
fn month(day: NaiveDate) -> i64 {
    i64::from(day.year()) * 12 + i64::from(day.month0())
}

fn month_text(month: i64) -> String {
    format!("{}-{:02}", month.div_euclid(12), month.rem_euclid(12) + 1)
}

/// A factor in tenths as text: 50 → "5", 25 → "2.5".
fn tenths(t: i64) -> String {
    if t % 10 == 0 {
        (t / 10).to_string()
    } else {
        format!("{}.{}", t / 10, (t % 10).abs())
    }
}

/// The trailing window of the size and frequency rules, in days and in calendar months.
const YEAR: u64 = 365;
const MONTHS: i64 = 12;

/// The sales of one seller to one buyer of one chemical, in business order, as orders and
/// months.
struct Group<'a> {
    sales: Vec<&'a Entry>,
    orders: Vec<Order>,
    months: Vec<Month>,
}

/// An order: the group's sales of one calendar day (China time). An order shipped from several
/// lots is filed as several sales, one per lot; counting those as orders would make the usual
/// order look small and the month look busy.
struct Order {
    day: NaiveDate,
    quantity: i64,
    /// Its sales, as indexes into `Group::sales`.
    sales: Range<usize>,
}

/// A calendar month (China time) of a group.
struct Month {
    month: i64,
    /// Its orders, as indexes into `Group::orders`.
    orders: Range<usize>,
}

impl<'a> Group<'a> {
    fn new(sales: Vec<&'a Entry>) -> Group<'a> {
        let mut orders: Vec<Order> = Vec::new();
        for (i, e) in sales.iter().enumerate() {
            let day = e.occurred_at.with_timezone(&CHINA).date_naive();
            match orders.last_mut() {
                Some(o) if o.day == day => {
                    o.quantity = o.quantity.saturating_add(e.quantity);
                    o.sales.end = i + 1;
                }
                _ => orders.push(Order {
                    day,
                    quantity: e.quantity,
                    sales: i..i + 1,
                }),
            }
        }
        let mut months: Vec<Month> = Vec::new();
        for (i, o) in orders.iter().enumerate() {
            let m = month(o.day);
            match months.last_mut() {
                Some(last) if last.month == m => last.orders.end = i + 1,
                _ => months.push(Month {
                    month: m,
                    orders: i..i + 1,
                }),
            }
        }
        Group {
            sales,
            orders,
            months,
        }
    }

    fn sales_of(&self, o: &Order) -> &[&'a Entry] {
        &self.sales[o.sales.clone()]
    }

    fn month_sales(&self, m: &Month) -> &[&'a Entry] {
        let orders = &self.orders[m.orders.clone()];
        match (orders.first(), orders.last()) {
            (Some(first), Some(last)) => &self.sales[first.sales.start..last.sales.end],
            _ => &[],
        }
    }

    fn count(&self, m: &Month) -> i128 {
        m.orders.len() as i128
    }
}

impl Validator<'_> {
    /// SUSPICIOUS_SIZE, SUSPICIOUS_FREQUENCY and SUSPICIOUS_STRUCTURING.
    pub(super) fn suspicious(&self, out: &mut Vec<Finding>) {
        let mut groups: Map<(&str, Buyer, &str), Vec<&Entry>> = Map::default();
        for e in self.entries.iter().copied() {
            if e.kind != EntryKind::Sale || e.quantity <= 0 {
                continue;
            }
            if let Some(b) = buyer(e) {
                // `entries` is in business order per firm, so each group is too.
                groups
                    .entry((&*e.firm_id, b, &*e.chemical_id))
                    .or_default()
                    .push(e);
            }
        }
        let rules = &self.s.suspicious;
        for sales in groups.into_values() {
            let g = Group::new(sales);
            self.unusual_sizes(&g, rules, out);
            self.unusual_frequency(&g, rules, out);
            let chemical = &*g.sales[0].chemical_id;
            if let Some(&threshold) = self.input.order_thresholds.get(chemical) {
                self.structuring(&g, threshold, rules, out);
            }
        }
    }

    /// An order above k × the median of the group's orders in the 365 days before it.
    fn unusual_sizes(&self, g: &Group, rules: &SuspiciousOrders, out: &mut Vec<Finding>) {
        let k = rules.size_factor_tenths;
        let mut window: Vec<i64> = Vec::new();
        let mut oldest = 0;
        for (i, o) in g.orders.iter().enumerate() {
            let since = o.day - Days::new(YEAR);
            while oldest < i && g.orders[oldest].day < since {
                let q = g.orders[oldest].quantity;
                if let Ok(at) = window.binary_search(&q) {
                    window.remove(at);
                }
                oldest += 1;
            }
            if window.len() >= rules.min_history.max(1) {
                // Twice the median, so that an even count stays in whole thousandths.
                let n = window.len();
                let median2 = window[(n - 1) / 2] + window[n / 2];
                if i128::from(o.quantity) * 20 > i128::from(k) * i128::from(median2) {
                    out.push(self.size_finding(g, o, median2, n, k));
                }
            }
            let at = window.partition_point(|&q| q < o.quantity);
            window.insert(at, o.quantity);
        }
    }

    fn size_finding(&self, g: &Group, o: &Order, median2: i64, n: usize, k: i64) -> Finding {
        let median = qty(median2 / 2);
        let limit = i128::from(median2) * i128::from(k) / 20;
        let limit = qty(i64::try_from(limit).unwrap_or(i64::MAX));
        let (q, k, day) = (qty(o.quantity), tenths(k), o.day.format("%Y-%m-%d"));
        let sales = g.sales_of(o);
        let (of_day_zh, of_day_en) = match sales.len() {
            1 => (String::new(), String::new()),
            m => (
                format!("（当日{m}笔销售合计）"),
                format!(" (its {m} sales of that day)"),
            ),
        };
        let zh = format!(
            "{day}订单数量{q}{of_day_zh}超过该买方此前12个月{n}笔订单中位数{median}的{k}倍（{limit}）"
        );
        let en = format!(
            "an order of {q} on {day}{of_day_en}, above {k} × the median {median} of this buyer's {n} orders in the 12 months before ({limit})"
        );
        let mut f = self.about(Code::SuspiciousSize, sales, zh, en);
        if let [one] = sales {
            f.lot = one.lot.as_deref().map(str::to_string);
        }
        f
    }

    /// A month with more orders than the mean + z σ of the earlier months of the trailing 12
    /// (months without orders count as 0, from the group's first month on). σ is taken as at
    /// least √mean, the spread of orders placed at random at that rate (Poisson): without that
    /// floor a buyer who ordered exactly once a month would be suspicious at its second order.
    fn unusual_frequency(&self, g: &Group, rules: &SuspiciousOrders, out: &mut Vec<Finding>) {
        let Some(first) = g.months.first().map(|m| m.month) else {
            return;
        };
        let z = i128::from(rules.frequency_sigmas_tenths);
        for (i, m) in g.months.iter().enumerate() {
            let start = first.max(m.month - MONTHS);
            let n = i128::from(m.month - start);
            if n == 0 {
                continue;
            }
            let earlier = g.months[..i].iter().rev().take_while(|e| e.month >= start);
            let (sum, squares) = earlier.fold((0_i128, 0_i128), |(s, q), e| {
                let c = g.count(e);
                (s + c, q + c * c)
            });
            if sum == 0 || sum < rules.min_history as i128 {
                continue;
            }
            // c > μ + z σ', σ'² = max(σ², μ), in whole numbers: (n c − S)² · 100 > z² · n² σ'².
            let excess = n * g.count(m) - sum;
            let spread = (n * squares - sum * sum).max(n * sum);
            if excess > 0 && excess * excess * 100 > z * z * spread {
                out.push(self.frequency_finding(g, m, (n, sum, squares), rules));
            }
        }
    }

    fn frequency_finding(
        &self,
        g: &Group,
        m: &Month,
        (n, sum, squares): (i128, i128, i128),
        rules: &SuspiciousOrders,
    ) -> Finding {
        let (nf, sf) = (n as f64, sum as f64);
        let mean = sf / nf;
        let sigma = ((squares as f64 / nf) - mean * mean).max(0.0).sqrt();
        let used = sigma.max(mean.sqrt());
        let line = mean + rules.frequency_sigmas_tenths as f64 / 10.0 * used;
        let (c, z) = (g.count(m), tenths(rules.frequency_sigmas_tenths));
        let month = month_text(m.month);
        let (floor_zh, floor_en) = if used > sigma {
            (
                format!("，σ按不低于√均值取{used:.2}"),
                format!(", σ taken as at least √mean = {used:.2}"),
            )
        } else {
            (String::new(), String::new())
        };
        self.about(
            Code::SuspiciousFrequency,
            g.month_sales(m),
            format!(
                "该买方{month}下单{c}次，超过此前{n}个月（共{sum}次）的月均{mean:.2}次加{z}倍标准差（σ = {sigma:.2}{floor_zh}），即{line:.2}次"
            ),
            format!(
                "{c} orders from this buyer in {month}, more than the mean {mean:.2} of the {n} months before ({sum} orders) + {z} σ (σ = {sigma:.2}{floor_en}) = {line:.2}"
            ),
        )
    }

    /// At least `structuring_min_orders` sales in a month each at least the floor per cent of
    /// the chemical's threshold and below it, together above it (a cumulative monthly threshold:
    /// reaching it). Sales, not a day's orders: splitting one day's order into several sales
    /// below the threshold is structuring too, and so is spreading them over the seller's sites.
    fn structuring(
        &self,
        g: &Group,
        threshold: i64,
        rules: &SuspiciousOrders,
        out: &mut Vec<Finding>,
    ) {
        if threshold <= 0 {
            return;
        }
        let floor = rules.structuring_floor_pct;
        let in_band = |e: &Entry| {
            e.quantity < threshold
                && i128::from(e.quantity) * 100 >= i128::from(threshold) * i128::from(floor)
        };
        for m in &g.months {
            let near: Vec<&Entry> = g
                .month_sales(m)
                .iter()
                .copied()
                .filter(|e| in_band(e))
                .collect();
            let sum = total(&near);
            let scope = rules.structuring_scope;
            if near.len() < rules.structuring_min_orders || !scope.passed(sum, threshold) {
                continue;
            }
            let (c, t, total) = (near.len(), qty(threshold), qty(sum));
            let month = month_text(m.month);
            let (zh, en) = match scope {
                ThresholdScope::Transaction => (
                    format!("该买方{month}有{c}笔订单，每笔在阈值{t}的{floor}%至100%之间，合计{total}超过阈值"),
                    format!("{c} orders from this buyer in {month}, each between {floor} % and 100 % of the threshold {t}, together {total}, above it"),
                ),
                ThresholdScope::CalendarMonth => (
                    format!("该买方{month}有{c}笔订单，每笔低于月累计阈值{t}，合计{total}达到阈值：一笔受管制交易被拆分"),
                    format!("{c} orders from this buyer in {month}, each below the cumulative monthly threshold {t}, together {total}, reaching it: a regulated transaction split"),
                ),
            };
            out.push(self.about(Code::SuspiciousStructuring, &near, zh, en));
        }
    }

    /// A finding about some of a group's sales (the seller's entries).
    fn about(&self, code: Code, sales: &[&Entry], zh: String, en: String) -> Finding {
        let first = sales[0];
        Finding {
            code,
            severity: Severity::Major,
            firm_id: first.firm_id.to_string(),
            counterparty_firm_id: registered(first).map(str::to_string),
            chemical_id: Some(first.chemical_id.to_string()),
            lot: None,
            quantity: Some(total(sales)),
            entry_ids: sales.iter().map(|e| e.id.to_string()).collect(),
            counterparty_entry_ids: vec![],
            message_zh: zh,
            message_en: en,
        }
    }
}

fn total(sales: &[&Entry]) -> i64 {
    sales
        .iter()
        .fold(0, |sum, e| sum.saturating_add(e.quantity))
}
