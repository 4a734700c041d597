//! The documented custody gaps: exactly one of each code, each isolated (own lots, enough
//! stock) so that it makes exactly its own finding. They sit in the last four weeks of traffic
//! (a late report's sale a week before them), at least a week before `end`, around the first
//! producer (P) and user firms that really buy acetone from it (U…). Each gap is recorded against the firm the validator reports it for.
//! Each row below is one story, a function in `STORIES`; the stories are grouped by what
//! goes wrong: `shipments`, `stock`, `documents`, `records`, `deals` and `orders`.
//! SUSPICIOUS_FREQUENCY's history reaches back into the month before its burst, before the four
//! weeks.
//!
//! | code | how | recorded for, entries |
//! | --- | --- | --- |
//! | UNMATCHED_DISPATCH | P sells 320 kg to U 20 days before the end; no receipt | P: sale |
//! | UNMATCHED_RECEIPT | U files 160 kg from P under a waybill P never issued | U: purchase |
//! | QUANTITY_MISMATCH | P sends 500 kg, U receives 495 kg, same waybill | P: sale, purchase |
//! | LOT_MISMATCH | U files the receipt with the lot's last two digits swapped | P: sale, purchase |
//! | TIME_INVERSION | U's receipt is dated the day before P's dispatch | P: sale, purchase |
//! | LATE_RECEIPT | U receives 9 days after dispatch | P: sale, purchase |
//! | NEGATIVE_BALANCE | U receives 100 kg cleanly and uses 130 kg of that lot | U: the use |
//! | ORPHAN_LOT | U uses 20 kg of a lot that never came in | U: the use |
//! | STOCKTAKE_DISCREPANCY | U receives 400 kg cleanly and counts 360 kg | U: the count |
//! | UNLICENSED_COUNTERPARTY | P sells 50 kg to a firm holding a filing only for sulfuric acid | P: sale |
//! | PERMIT_MISSING | … and that firm files the receipt (the one place both fire) | it: purchase |
//! | PERMIT_EXCEEDED | 3 × 400 kg, cleanly matched, under a filing limited to 1000 kg | buyer: 3rd purchase |
//! | UNDOCUMENTED_COUNTERPARTY | P sells 80 kg to an outside buyer without its permit number | P: sale |
//! | MISSING_TRANSPORT_DOC | P ships 200 kg of acetic anhydride to an outside firm in another city, no transport permit | P: sale |
//! | INVALID_TRANSPORT_DOC | P ships 150 kg of acetone to an outside firm in another city under a transport permit number no office issued | P: sale |
//! | UNEXPLAINED_LOSS | P files a 6.5 kg loss without a note | P: loss |
//! | LATE_FILING | one simulated use is recorded 5 days 2 hours after it happened | its firm: the use |
//! | LATE_REPORT | (only when the traffic begins a week before the stories) P sells 120 kg of acetone 33 days before the end, received cleanly, and reports it 31 days 2 hours later | P: sale |
//! | SALE_TO_INDIVIDUAL | P sells 5 kg of acetic anhydride (category 2) to a person | P: sale |
//! | CASH_OR_BARTER | P sells 60 kg of acetone to an outside firm for cash (and 3 kg to a person for cash, lawful for category 3) | P: sale |
//! | SUSPICIOUS_SIZE | P sells an outside trader 6 × 200 kg, then 1250 kg (above 5 × 200 kg) | P: the big sale |
//! | SUSPICIOUS_FREQUENCY | (only with traffic reaching into the month before) another outside trader orders 40 kg on 6 days at the end of one month, then on 14 days running in the next | P: the 14 sales |
//! | SUSPICIOUS_STRUCTURING | P sells a third outside trader 3 × 2300 kg of acetone on one day, each under the `cn` pack's 2500 kg screening threshold | P: the 3 sales |
//! | CHAIN_BROKEN | (only when asked) one entry is stored with the hash of a quantity 1 kg larger | its firm: entry |

mod deals;
mod documents;
mod gap;
mod injector;
mod orders;
mod records;
mod shipments;
mod stock;

use super::sim::Sim;
use gap::Gap;
pub use gap::{GapPlan, SPAN_DAYS};
use injector::Injector;

/// One gap's story: it files the entries that make the gap and says what went wrong.
type Story = fn(&mut Injector<'_, '_>) -> Result<Gap, String>;

/// The stories, in the order they are told: the order decides every random draw, lot name
/// and waybill number, so it is part of what a seed means.
const STORIES: &[(&str, Story)] = &[
    ("UNMATCHED_DISPATCH", shipments::unmatched_dispatch),
    ("UNMATCHED_RECEIPT", shipments::unmatched_receipt),
    ("QUANTITY_MISMATCH", shipments::quantity_mismatch),
    ("LOT_MISMATCH", shipments::lot_mismatch),
    ("TIME_INVERSION", shipments::time_inversion),
    ("LATE_RECEIPT", shipments::late_receipt),
    ("NEGATIVE_BALANCE", stock::negative_balance),
    ("ORPHAN_LOT", stock::orphan_lot),
    ("STOCKTAKE_DISCREPANCY", stock::stocktake_discrepancy),
    (
        "UNLICENSED_COUNTERPARTY",
        documents::unlicensed_counterparty,
    ),
    ("PERMIT_MISSING", documents::permit_missing),
    ("PERMIT_EXCEEDED", documents::permit_exceeded),
    (
        "UNDOCUMENTED_COUNTERPARTY",
        documents::undocumented_counterparty,
    ),
    ("MISSING_TRANSPORT_DOC", documents::missing_transport_doc),
    ("UNEXPLAINED_LOSS", stock::unexplained_loss),
    ("LATE_FILING", records::late_filing),
    ("INVALID_TRANSPORT_DOC", documents::invalid_transport_doc),
    ("SALE_TO_INDIVIDUAL", deals::sale_to_individual),
    ("CASH_OR_BARTER", deals::cash_or_barter),
    ("SUSPICIOUS_SIZE", orders::unusual_size),
    ("SUSPICIOUS_STRUCTURING", orders::structuring),
];

/// A story that is told only when the traffic is long enough for it.
type LongStory = fn(&mut Injector<'_, '_>) -> Result<Option<Gap>, String>;

/// Told after `STORIES`, each when the traffic allows.
const LONG_STORIES: &[(&str, LongStory)] = &[
    ("SUSPICIOUS_FREQUENCY", orders::unusual_frequency),
    ("LATE_REPORT", records::late_report),
];

/// Told last, and only when asked.
const CHAIN_BROKEN: (&str, Story) = ("CHAIN_BROKEN", records::break_one_chain);

/// Adds the documented gaps to the simulated traffic; `break_chain` also marks one entry to be
/// stored with a hash that does not match it.
pub fn inject(sim: &mut Sim<'_>, break_chain: bool) -> Result<Vec<GapPlan>, String> {
    let mut inj = Injector::new(sim)?;
    for &(code, story) in STORIES {
        let gap = story(&mut inj)?;
        inj.record(code, gap);
    }
    for &(code, story) in LONG_STORIES {
        if let Some(gap) = story(&mut inj)? {
            inj.record(code, gap);
        }
    }
    if break_chain {
        let (code, story) = CHAIN_BROKEN;
        let gap = story(&mut inj)?;
        inj.record(code, gap);
    }
    Ok(inj.gaps)
}

impl Injector<'_, '_> {
    fn record(&mut self, code: &'static str, gap: Gap) {
        self.gaps.push(GapPlan {
            code,
            firm: gap.firm,
            entries: gap.entries,
            description: gap.description,
        });
    }
}
