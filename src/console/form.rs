//! What a form shows when the service refused it: each field's problem next to that field, in
//! the user's language where the catalog has the problem's code (`problem.<code>`), else the
//! service's own message. The rule that found the problem stays in the service.

use std::collections::BTreeMap;

use super::i18n::Texts;
use crate::error::{AppError, FieldError};

/// Field name → what is wrong with it, as shown on the page.
#[derive(Debug, Clone, Default)]
pub struct Problems {
    by_field: BTreeMap<String, String>,
}

impl Problems {
    /// The problems of a refused form; `None` when the error is not about the form's fields
    /// (the page then shows the error page instead).
    pub fn of(texts: Texts, error: &AppError) -> Option<Problems> {
        match error {
            AppError::Validation(errors) => Some(Problems::from_fields(texts, errors)),
            _ => None,
        }
    }

    /// As [`Problems::of`], and a refusal that says "retry" (the registry busy, nothing stored)
    /// is a problem of the whole form: the page keeps what was typed and offers to send again.
    pub fn of_or_retry(texts: Texts, error: &AppError) -> Option<Problems> {
        match error {
            AppError::Unavailable(_) => Some(Problems::from_fields(
                texts,
                &[FieldError::new(
                    "",
                    "service_unavailable",
                    "the registry is busy and nothing was stored; send it again",
                )],
            )),
            _ => Problems::of(texts, error),
        }
    }

    pub fn from_fields(texts: Texts, errors: &[FieldError]) -> Problems {
        let mut by_field: BTreeMap<String, String> = BTreeMap::new();
        for e in errors {
            let text = texts
                .get(&format!("problem.{}", e.code))
                .map_or_else(|| e.message.clone(), str::to_string);
            by_field
                .entry(e.field.clone())
                .and_modify(|t| {
                    t.push_str("; ");
                    t.push_str(&text);
                })
                .or_insert(text);
        }
        Problems { by_field }
    }

    /// Shows `from`'s problems at the field `to` (a form field that stands for it).
    pub fn moved(mut self, from: &str, to: &str) -> Problems {
        if let Some(text) = self.by_field.remove(from) {
            self.by_field
                .entry(to.to_string())
                .and_modify(|t| {
                    t.push_str("; ");
                    t.push_str(&text);
                })
                .or_insert(text);
        }
        self
    }

    /// The problem of `field`, for the template to put next to it.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.by_field.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.by_field.is_empty()
    }

    /// Problems of fields the form does not show (named with the field, at the top) and of the
    /// whole form (unnamed).
    pub fn other_than(&self, shown: &[&str]) -> Vec<String> {
        self.by_field
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()))
            .map(|(f, m)| match f.as_str() {
                "" => m.clone(),
                f => format!("{f}: {m}"),
            })
            .collect()
    }
}

/// The query of a page a form led back to: what was done (`?done=…`), for its notice.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Done {
    pub done: Option<String>,
}

/// A form's text value: trimmed, empty meaning absent.
pub fn given(value: &str) -> Option<String> {
    Some(value.trim().to_string()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::Lang;

    #[test]
    fn a_known_code_is_said_in_the_users_language_and_an_unknown_one_in_the_services_words() {
        let errors = vec![
            FieldError::new("quantity", "invalid_quantity", "is not a quantity"),
            FieldError::new("lot", "some_new_rule", "lot is odd"),
            FieldError::new("lot", "too_long", "must be at most 64 characters"),
        ];
        let zh = Problems::from_fields(Texts(Lang::ZhCn), &errors);
        assert_eq!(
            zh.get("quantity"),
            Some(Texts(Lang::ZhCn).t("problem.invalid_quantity"))
        );
        assert!(zh.get("lot").unwrap().starts_with("lot is odd; "));
        assert_eq!(zh.get("warehouse"), None);
        assert_eq!(zh.other_than(&["quantity"]).len(), 1);
        assert!(Problems::of(Texts(Lang::En), &AppError::NotFound).is_none());
    }

    #[test]
    fn a_busy_registry_is_a_problem_of_the_whole_form_and_other_refusals_are_not() {
        let busy = AppError::Unavailable("database is locked".into());
        assert!(Problems::of(Texts(Lang::En), &busy).is_none());
        let zh = Problems::of_or_retry(Texts(Lang::ZhCn), &busy).unwrap();
        assert_eq!(
            zh.other_than(&["quantity"]),
            vec![Texts(Lang::ZhCn)
                .t("problem.service_unavailable")
                .to_string()]
        );
        assert!(Problems::of_or_retry(Texts(Lang::En), &AppError::NotFound).is_none());
    }
}
