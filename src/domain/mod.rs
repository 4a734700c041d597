//! Pure domain values of the registry. Each type's constructor rejects bad values, so code
//! that holds one never re-checks it. No I/O here.

pub mod cas;
pub mod catalog;
pub mod credit_code;
pub mod custody_rules;
pub mod finding;
pub mod gs1;
pub mod quantity;
pub mod region;
pub mod resident_id;
pub mod rule_pack;
pub mod time;

pub use cas::CasNumber;
pub use credit_code::CreditCode;
pub use custody_rules::{CustodyRules, Duties, SuspiciousOrders, ThresholdScope};
pub use finding::{Code, FindingStatus, Severity};
pub use quantity::Quantity;
pub use region::RegionCode;
pub use resident_id::ResidentId;

/// A closed set of names that travel as snake_case strings on the wire and in storage.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:tt),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        $(#[$meta])*
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The accepted names, for error messages.
            pub fn names() -> String {
                [$($text),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use named_enum;

named_enum!(
    /// What a user may do is decided by exactly one role.
    Role {
        Admin => "admin",
        Regulator => "regulator",
        Enterprise => "enterprise",
        Association => "association",
    }
);

named_enum!(
    /// What a registered firm does with precursor chemicals (`FirmActivity` in the OpenAPI
    /// document, apart from the activity log's `Activity`).
    #[schema(as = FirmActivity)]
    Activity {
        Produce => "produce",
        Trade => "trade",
        Use => "use",
        Store => "store",
        Transport => "transport",
        Import => "import",
        Export => "export",
    }
);

named_enum!(
    FirmStatus {
        Active => "active",
        Suspended => "suspended",
        Revoked => "revoked",
    }
);

named_enum!(
    /// Licences (许可证) and filings (备案证明) a firm can hold (a transport filing lets
    /// category 3 cross a city border).
    PermitKind {
        ProductionLicence => "production_licence",
        OperationLicence => "operation_licence",
        PurchasePermit => "purchase_permit",
        PurchaseFiling => "purchase_filing",
        TransportPermit => "transport_permit",
        TransportFiling => "transport_filing",
        ImportExportPermit => "import_export_permit",
    }
);

named_enum!(
    /// How a sale or purchase was paid (Decree 445 bans cash and barter deals).
    Payment {
        BankTransfer => "bank_transfer",
        Card => "card",
        Cheque => "cheque",
        Cash => "cash",
        Barter => "barter",
        Other => "other",
    }
);

impl Payment {
    /// What a sale or purchase filed before payments were recorded reads as.
    pub const UNKNOWN: &'static str = "unknown";

    /// Paid in cash or in kind: traceable by no bank.
    pub fn is_cash_or_barter(self) -> bool {
        matches!(self, Payment::Cash | Payment::Barter)
    }
}

named_enum!(
    /// The catalog unit a chemical's quantities are kept in.
    Unit {
        Kilogram => "kg",
        Litre => "L",
    }
);

named_enum!(
    /// What a ledger entry records.
    EntryKind {
        Purchase => "purchase",
        Production => "production",
        Sale => "sale",
        Consumption => "consumption",
        Loss => "loss",
        Disposal => "disposal",
        Stocktake => "stocktake",
        Reversal => "reversal",
    }
);

impl EntryKind {
    /// Kinds a suspended or revoked firm may no longer file: they bring stock in or send it out.
    pub fn needs_active_firm(self) -> bool {
        matches!(
            self,
            EntryKind::Purchase | EntryKind::Production | EntryKind::Sale
        )
    }

    /// Kinds that must name who the stock came from or went to.
    pub fn needs_counterparty(self) -> bool {
        matches!(self, EntryKind::Purchase | EntryKind::Sale)
    }
}

/// Control characters other than line breaks and tabs have no place in registry text (and
/// PostgreSQL refuses a NUL byte outright).
pub fn has_control_characters(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// A chemical's category on the national list (1 is the most tightly controlled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Category(u8);

impl Category {
    pub fn new(value: i64) -> Option<Category> {
        (1..=3).contains(&value).then_some(Category(value as u8))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        for kind in PermitKind::ALL {
            assert_eq!(PermitKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(Activity::parse("smuggle"), None);
        assert_eq!(Unit::parse("L"), Some(Unit::Litre));
        assert_eq!(Category::new(0), None);
        assert_eq!(Category::new(3).map(Category::get), Some(3));
    }
}
