//! The console's languages: zh-CN by default, English by choice (a cookie) or by the browser's
//! `Accept-Language`. Every visible string comes from one catalog per language (`i18n/*.toml`,
//! compiled in); a test fails when a key is in one catalog and not the other, or when a template
//! uses a key neither has.

use std::collections::BTreeMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    ZhCn,
    En,
}

/// The cookie that remembers the choice.
pub const LANG_COOKIE: &str = "precursor_lang";

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// The BCP 47 tag, for `<html lang>` and the cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(tag: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(tag.trim()))
    }

    /// The other language, for the toggle.
    pub fn other(self) -> Lang {
        match self {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }

    /// The remembered choice wins; else the browser's most preferred language we have; else zh-CN.
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = cookie.and_then(Lang::parse) {
            return lang;
        }
        Lang::preferred(accept_language).unwrap_or(Lang::ZhCn)
    }

    /// The language of a file the API writes (a workbook's headers): `?lang=` if given (`zh…`
    /// or `en…`, else `422 invalid_lang`), else the most preferred of `Accept-Language` that we
    /// have, else English (an API client that asks for nothing gets the API's language).
    pub fn requested(
        param: Option<&str>,
        accept_language: Option<&str>,
    ) -> Result<Lang, crate::error::AppError> {
        match param.map(str::trim).filter(|p| !p.is_empty()) {
            Some(tag) => Lang::preferred(Some(tag)).ok_or_else(|| {
                crate::error::AppError::field("lang", "invalid_lang", "must be zh-CN or en")
            }),
            None => Ok(Lang::preferred(accept_language).unwrap_or(Lang::En)),
        }
    }

    /// The most preferred language of an `Accept-Language` value that we have, if any.
    fn preferred(accept_language: Option<&str>) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in accept_language.unwrap_or("").split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Lang::ZhCn
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    fn source(self) -> &'static str {
        match self {
            Lang::ZhCn => include_str!("../../i18n/zh-CN.toml"),
            Lang::En => include_str!("../../i18n/en.toml"),
        }
    }
}

type Catalog = BTreeMap<String, String>;

/// Flattens `[section] key = "…"` into `section.key`.
fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalog) -> Result<(), String> {
    for (key, value) in table {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::String(text) => {
                out.insert(name, text.clone());
            }
            toml::Value::Table(inner) => flatten(&name, inner, out)?,
            _ => {
                return Err(format!(
                    "{name}: only strings and sections belong in a catalog"
                ))
            }
        }
    }
    Ok(())
}

pub fn parse_catalog(source: &str) -> Result<Catalog, String> {
    let table: toml::Table = source.parse().map_err(|e| format!("{e}"))?;
    let mut out = Catalog::new();
    flatten("", &table, &mut out)?;
    Ok(out)
}

static CATALOGS: LazyLock<[Catalog; 2]> =
    LazyLock::new(|| Lang::ALL.map(|lang| parse_catalog(lang.source()).unwrap_or_default()));

fn catalog(lang: Lang) -> &'static Catalog {
    &CATALOGS[lang as usize]
}

/// At start: both catalogs parse and have the same keys (the server refuses to start otherwise).
pub fn check() -> Result<(), String> {
    let parsed: Vec<Catalog> = Lang::ALL
        .iter()
        .map(|l| parse_catalog(l.source()).map_err(|e| format!("i18n/{}.toml: {e}", l.tag())))
        .collect::<Result<_, _>>()?;
    let keys = |c: &Catalog| c.keys().cloned().collect::<Vec<_>>();
    if keys(&parsed[0]) != keys(&parsed[1]) {
        return Err("the zh-CN and en catalogs do not have the same keys".into());
    }
    Ok(())
}

/// The strings of one language, as templates read them.
#[derive(Debug, Clone, Copy)]
pub struct Texts(pub Lang);

impl Texts {
    /// The text of `key`; the key itself if missing (a test keeps that from happening).
    pub fn t<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        catalog(self.0).get(key).map_or(key, String::as_str)
    }

    /// The text of `key`, if the catalog has it (for keys made at run time, such as a code).
    pub fn get(&self, key: &str) -> Option<&'static str> {
        catalog(self.0).get(key).map(String::as_str)
    }

    /// The one of two names that fits the language (a chemical's Chinese or English name).
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.0 {
            Lang::ZhCn => zh,
            Lang::En => en,
        }
    }

    pub fn lang(&self) -> Lang {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn both_catalogs_parse_and_have_the_same_keys() {
        check().unwrap();
        let zh = parse_catalog(Lang::ZhCn.source()).unwrap();
        let en = parse_catalog(Lang::En.source()).unwrap();
        let only_zh: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        let only_en: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "zh only: {only_zh:?}, en only: {only_en:?}"
        );
        assert!(zh.values().chain(en.values()).all(|v| !v.trim().is_empty()));
    }

    #[test]
    fn every_key_a_template_or_page_uses_is_in_the_catalogs() {
        let zh = parse_catalog(Lang::ZhCn.source()).unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut missing = Vec::new();
        let mut files = Vec::new();
        for dir in ["templates", "src"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                    } else {
                        files.push(p);
                    }
                }
            }
        }
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for (i, _) in text.match_indices(".t(\"") {
                let rest = &text[i + 4..];
                let key = &rest[..rest.find('"').unwrap_or(0)];
                if !key.is_empty() && !key.contains('{') && !zh.contains_key(key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalogs: {missing:#?}"
        );
    }

    #[test]
    fn the_language_is_the_choice_then_the_browser_then_chinese() {
        assert_eq!(Lang::negotiate(None, None), Lang::ZhCn);
        assert_eq!(Lang::negotiate(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::negotiate(None, Some("fr-FR, en;q=0.5, zh-CN;q=0.8")),
            Lang::ZhCn
        );
        assert_eq!(Lang::negotiate(None, Some("de, fr")), Lang::ZhCn);
        assert_eq!(Lang::negotiate(Some("en"), Some("zh-CN")), Lang::En);
        assert_eq!(Lang::negotiate(Some("xx"), Some("en")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("en;q=0")), Lang::ZhCn);
    }

    #[test]
    fn a_file_of_the_api_is_in_the_language_asked_for_else_english() {
        assert_eq!(Lang::requested(None, None).unwrap(), Lang::En);
        assert_eq!(
            Lang::requested(Some("zh-CN"), Some("en")).unwrap(),
            Lang::ZhCn
        );
        assert_eq!(Lang::requested(Some("en"), None).unwrap(), Lang::En);
        assert_eq!(
            Lang::requested(None, Some("zh-CN,zh;q=0.9")).unwrap(),
            Lang::ZhCn
        );
        assert_eq!(Lang::requested(None, Some("de")).unwrap(), Lang::En);
        assert!(Lang::requested(Some("fr"), None).is_err());
    }

    proptest! {
        #[test]
        fn negotiation_never_panics_and_a_valid_cookie_always_wins(header in ".{0,60}", en in any::<bool>()) {
            let _ = Lang::negotiate(None, Some(&header));
            let lang = if en { Lang::En } else { Lang::ZhCn };
            prop_assert_eq!(Lang::negotiate(Some(lang.tag()), Some(&header)), lang);
        }
    }
}
