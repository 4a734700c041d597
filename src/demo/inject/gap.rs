//! The gaps: when the stories are told, what each one leaves behind, and what `inject`
//! hands on.

/// A gap before its entries have ids: entries are (firm, gen).
pub struct GapPlan {
    pub code: &'static str,
    pub firm: u32,
    pub entries: Vec<(u32, u32)>,
    pub description: String,
}

/// Days the injected story spans, counted back from the last day of traffic.
pub const SPAN_DAYS: u32 = 27;

/// Days before the span a story may begin (a sale reported a month late is made before it).
pub const LEAD_DAYS: u32 = 7;

/// What a story leaves behind: the firm its finding is recorded for, the entries concerned
/// (firm, gen) and what happened.
pub(super) struct Gap {
    pub(super) firm: u32,
    pub(super) entries: Vec<(u32, u32)>,
    pub(super) description: String,
}

impl Gap {
    /// A gap recorded for `firm` about one of its own entries.
    pub(super) fn own(firm: u32, gen: u32, description: String) -> Gap {
        Gap {
            firm,
            entries: vec![(firm, gen)],
            description,
        }
    }

    /// A gap recorded for the seller about its sale and the buyer's receipt, each an entry
    /// (firm, gen).
    pub(super) fn both_sides(sale: (u32, u32), receipt: (u32, u32), description: String) -> Gap {
        Gap {
            firm: sale.0,
            entries: vec![sale, receipt],
            description,
        }
    }
}
