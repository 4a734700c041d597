//! What the custody pages (and the pages of other slices that show a finding) call things: codes,
//! severities, statuses and entry kinds in the user's language; and the firm a form
//! names by credit code.

use crate::console::Texts;
use crate::db::DbConnection;
use crate::domain::{Code, EntryKind, FindingStatus, Severity};
use crate::error::AppError;

/// The firm a regulator named in a form (`firms::identify`: an id or a credit code); an unknown
/// one is the field's problem; `None` for a blank field.
pub(super) fn firm_named(conn: &mut DbConnection, text: &str) -> Result<Option<String>, AppError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match crate::firms::identify(conn, text)? {
        Some(id) => Ok(Some(id.to_string())),
        None => Err(AppError::field(
            "firm",
            "unknown_firm",
            "no firm is registered under this credit code",
        )),
    }
}

/// A code's name in the catalog (`findings_page.code_<code>`), or the code itself.
pub fn code_name(texts: Texts, code: Code) -> &'static str {
    texts
        .get(&format!(
            "findings_page.code_{}",
            code.as_str().to_ascii_lowercase()
        ))
        .unwrap_or(code.as_str())
}

pub fn severity_name(texts: Texts, severity: Severity) -> &'static str {
    texts
        .get(&format!("findings_page.severity_{}", severity.as_str()))
        .unwrap_or(severity.as_str())
}

pub fn status_name(texts: Texts, status: FindingStatus) -> &'static str {
    texts
        .get(&format!("findings_page.status_{}", status.as_str()))
        .unwrap_or(status.as_str())
}

/// A ledger entry kind's name, as the ledger's pages call it.
pub fn entry_kind_name(texts: Texts, kind: EntryKind) -> &'static str {
    crate::ledger::pages::labels::kind_label(texts, kind)
}

pub const SEVERITIES: [Severity; 3] = [Severity::Critical, Severity::Major, Severity::Minor];

pub const STATUSES: [FindingStatus; 4] = [
    FindingStatus::Open,
    FindingStatus::Explained,
    FindingStatus::Resolved,
    FindingStatus::Dismissed,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::Lang;

    #[test]
    fn every_code_severity_and_status_has_a_name_in_both_languages() {
        for lang in Lang::ALL {
            let texts = Texts(lang);
            for code in Code::ALL {
                assert_ne!(
                    code_name(texts, code),
                    code.as_str(),
                    "{code:?} in {lang:?}"
                );
            }
            for s in SEVERITIES {
                assert_ne!(severity_name(texts, s), s.as_str(), "{s:?} in {lang:?}");
            }
            for s in STATUSES {
                assert_ne!(status_name(texts, s), s.as_str(), "{s:?} in {lang:?}");
            }
            for &k in EntryKind::ALL {
                assert_ne!(entry_kind_name(texts, k), k.as_str(), "{k:?} in {lang:?}");
            }
        }
    }
}
