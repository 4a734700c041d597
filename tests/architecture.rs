//! The architecture test: `src/` is a building of floors, and imports only point down.
//!
//! `FLOORS` below is the picture. Each module file of `src/` sits on the floor of its longest
//! matching prefix. A file may use modules on lower floors, and modules on its own floor only
//! within its own top-level module (`custody::store` → `custody::trace`), unless the floor is
//! marked shared (the pure core, plumbing). The pure core (floor 0) uses no actix or diesel, the
//! file graph has no cycle, every module has a floor, `lib.rs` only declares modules and
//! re-exports `ROOT_REEXPORTS`, and the binary (`main.rs`) uses only `cli`.
//! To move a module, change its row; to add one, give it a row: an unplaced module fails.
//!
//! References are `use` trees and paths in code, attributes and macro calls. `#[cfg(test)]` items
//! and `tests.rs` files may import anything. Run it alone: `cargo test --test architecture`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::Path;

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::visit::{self, Visit};

/// (floor, name, its modules may use each other, module prefixes); the longest prefix wins.
#[rustfmt::skip]
const FLOORS: &[(u8, &str, bool, &[&str])] = &[
    (0, "pure core", true, &["domain", "ledger::epcis::mapping", "custody::drawing", "custody::model", "custody::validator", "grading::rules", "ledger::chain", "shipments::live", "alerts::rules", "transparency::merkle", "transparency::checkpoint", "transparency::receipt", "transparency::monitor"]),
    (1, "plumbing", true, &["error", "db", "config", "metrics", "paging", "ratelimit", "workbook"]),
    (2, "auth", false, &["auth"]),
    (3, "console plumbing", false, &["console"]),
    (4, "base slices", false, &["activity", "chemicals", "firms"]),
    (5, "", false, &["users", "permits", "declarations", "transparency", "identifiers"]),
    (6, "", false, &["sessions", "ledger"]),
    (7, "", false, &["custody"]),
    (8, "", false, &["audits", "counterparties", "shipments"]),
    (9, "", false, &["grading", "alerts"]),
    (10, "", false, &["demo", "directory"]),
    (11, "front doors", false, &["web"]),
    (12, "composition root", false, &["startup"]),
    (13, "cli", false, &["cli"]),
];
/// Besides declaring modules, the crate root (`lib.rs`, above every floor) re-exports only these.
const ROOT_REEXPORTS: &[&str] = &["config::Settings", "startup::Application"];
/// The one module the binary may use.
const BINARY_USES: &str = "cli";

#[test]
fn src_follows_the_floors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                collect(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("in the crate");
                let text = std::fs::read_to_string(&path).expect("a readable source file");
                out.push((rel.to_string_lossy().replace('\\', "/"), text));
            }
        }
    }
    let mut files = Vec::new();
    collect(root, &root.join("src"), &mut files);
    files.sort();
    let violations = check(&files);
    let (n, list) = (violations.len(), violations.join("\n"));
    assert!(n == 0, "{n} architecture violations:\n{list}");
}

/// `src/lib.rs` → `""` (the root), `src/x.rs` and `src/x/mod.rs` → `x`, `src/x/y.rs` → `x::y`;
/// `None` for the binary and for test files.
fn module_of(rel: &str) -> Option<String> {
    let path = rel.strip_prefix("src/")?.strip_suffix(".rs")?;
    let path = path.strip_suffix("/mod").unwrap_or(path);
    let test = path.split('/').any(|part| part == "tests");
    (path != "main" && !test).then(|| if path == "lib" { "" } else { path }.replace('/', "::"))
}

/// Is `module` the module `prefix` or inside it?
fn under(module: &str, prefix: &str) -> bool {
    module == prefix || module.starts_with(&format!("{prefix}::"))
}

/// The row of `module` in `FLOORS`: floor, name, shared.
fn floor_of(module: &str) -> Option<(u8, &'static str, bool)> {
    let rows = FLOORS.iter().flat_map(|&(f, name, shared, prefixes)| {
        prefixes
            .iter()
            .map(move |p| (p.len(), (f, name, shared), *p))
    });
    let row = rows
        .filter(|(_, _, p)| under(module, p))
        .max_by_key(|(len, ..)| *len);
    row.map(|(_, floor, _)| floor)
}

fn label((floor, name, _): (u8, &str, bool)) -> String {
    match name {
        "" => format!("floor {floor}"),
        name => format!("floor {floor}, {name}"),
    }
}

fn is_framework(krate: &str) -> bool {
    let named = |name: &str| krate == name || krate.starts_with(&format!("{name}_"));
    named("actix") || named("diesel")
}

/// One reference from a file: its line, the path as written, and the module file it reaches
/// with the resolved path (`None` for actix or diesel).
#[derive(Clone, Debug)]
struct Ref {
    line: usize,
    text: String,
    to: Option<(String, String)>,
}

/// Walks one file, resolving what its paths name.
struct Resolver<'a> {
    module: Vec<String>,
    binary: bool,
    modules: &'a BTreeSet<String>,
    /// Modules brought in by name (`use crate::auth::policy;`): target, the `use`, used since.
    aliases: HashMap<String, (Vec<String>, Ref, bool)>,
    refs: Vec<Ref>,
}

impl Resolver<'_> {
    /// The absolute path of `segs` if it names something of the crate.
    fn absolute(&mut self, segs: &[String]) -> Option<Vec<String>> {
        let (first, rest) = segs.split_first()?;
        let child = [&self.module[..], std::slice::from_ref(first)].concat();
        let mut path = match first.as_str() {
            "crate" if !self.binary => vec![],
            "precursor_registry" if self.binary => vec![],
            "self" if !self.binary => self.module.clone(),
            "super" if !self.binary => self.module[..self.module.len().saturating_sub(1)].to_vec(),
            _ if self.aliases.contains_key(first) => {
                let (target, _, used) = self.aliases.get_mut(first)?;
                *used = true;
                target.clone()
            }
            _ if !self.binary && self.modules.contains(&child.join("::")) => child,
            _ => return None,
        };
        for seg in rest {
            match seg.as_str() {
                "super" => drop(path.pop()),
                "self" => {}
                _ => path.push(seg.clone()),
            }
        }
        Some(path)
    }

    /// Records `segs`, or remembers it as `alias` when it names a whole module.
    fn reference(&mut self, segs: &[String], span: Span, text: String, alias: Option<String>) {
        let line = span.start().line;
        if segs.first().is_some_and(|krate| is_framework(krate)) {
            let framework = Ref {
                line,
                text,
                to: None,
            };
            return self.refs.push(framework);
        }
        let Some(path) = self.absolute(segs) else {
            return;
        };
        let longest = (0..=path.len()).rev().map(|n| path[..n].join("::"));
        let Some(module) = longest.into_iter().find(|m| self.modules.contains(m)) else {
            return;
        };
        let to = Some((module.clone(), path.join("::")));
        let r = Ref { line, text, to };
        match alias {
            Some(name) if module == path.join("::") => {
                drop(self.aliases.insert(name, (path, r, false)))
            }
            _ if !self.binary && module == self.module.join("::") => {}
            _ => self.refs.push(r),
        }
    }

    fn use_tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<String>) {
        let mut leaf = |ident: Option<&syn::Ident>, alias: Option<&syn::Ident>, span| {
            let mut segs = prefix.clone();
            segs.extend(ident.filter(|i| *i != "self").map(|i| i.to_string()));
            let alias = alias.map(|a| a.to_string()).filter(|a| a != "self");
            let alias = alias.or_else(|| ident.and(segs.last().cloned()));
            let glob = if ident.is_none() { "::*" } else { "" };
            self.reference(&segs, span, format!("use {}{glob}", segs.join("::")), alias);
        };
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(&p.tree, prefix);
                prefix.pop();
            }
            syn::UseTree::Name(n) => leaf(Some(&n.ident), Some(&n.ident), n.ident.span()),
            syn::UseTree::Rename(r) => leaf(Some(&r.ident), Some(&r.rename), r.ident.span()),
            syn::UseTree::Glob(g) => leaf(None, None, g.star_token.span),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| self.use_tree(t, prefix)),
        }
    }

    /// Paths inside attribute arguments and macro calls: runs of `a::b::c`.
    fn tokens(&mut self, tokens: TokenStream) {
        let (mut run, mut colons) = (Vec::<syn::Ident>::new(), 0);
        let flush = |this: &mut Self, run: &mut Vec<syn::Ident>| {
            if run.len() >= 2 {
                let segs: Vec<String> = run.iter().map(|i| i.to_string()).collect();
                this.reference(&segs, run[0].span(), segs.join("::"), None);
            }
            run.clear();
        };
        for tree in tokens {
            let colon = matches!(&tree, TokenTree::Punct(p) if p.as_char() == ':');
            match tree {
                _ if colon => {}
                TokenTree::Ident(ident) if colons == 2 => run.push(ident),
                TokenTree::Ident(ident) => {
                    flush(self, &mut run);
                    run.push(ident);
                }
                TokenTree::Group(g) => {
                    flush(self, &mut run);
                    self.tokens(g.stream());
                }
                _ => flush(self, &mut run),
            }
            colons = if colon { colons + 1 } else { 0 };
        }
        flush(self, &mut run);
    }
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    let cfg_test = |a: &syn::Attribute| a.meta.require_list().map(|l| l.tokens.to_string());
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") && cfg_test(a).is_ok_and(|t| t == "test"))
}

impl<'ast> Visit<'ast> for Resolver<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        use syn::Item as I;
        let attrs = match item {
            I::Mod(syn::ItemMod { attrs, .. })
            | I::Fn(syn::ItemFn { attrs, .. })
            | I::Use(syn::ItemUse { attrs, .. })
            | I::Impl(syn::ItemImpl { attrs, .. })
            | I::Const(syn::ItemConst { attrs, .. })
            | I::Struct(syn::ItemStruct { attrs, .. })
            | I::Enum(syn::ItemEnum { attrs, .. }) => &attrs[..],
            _ => &[],
        };
        if !is_test(attrs) {
            visit::visit_item(self, item);
        }
    }
    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !is_test(&f.attrs) {
            visit::visit_impl_item_fn(self, f);
        }
    }
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if u.leading_colon.is_none() {
            self.use_tree(&u.tree, &mut vec![]);
        }
    }
    /// `pub(in crate::x)` says who may see an item; it uses nothing.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_path(&mut self, p: &'ast syn::Path) {
        if p.segments.len() >= 2 && p.leading_colon.is_none() {
            let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
            self.reference(&segs, p.segments[0].ident.span(), segs.join("::"), None);
        }
        visit::visit_path(self, p);
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.tokens(m.tokens.clone());
        visit::visit_macro(self, m);
    }
    fn visit_meta_list(&mut self, m: &'ast syn::MetaList) {
        self.tokens(m.tokens.clone());
        visit::visit_meta_list(self, m);
    }
}

/// What the file `text` of `module` (`None`: the binary) refers to. Files are read top down, so a
/// `use` is seen before the paths that go through it.
fn references(
    module: Option<&str>,
    text: &str,
    modules: &BTreeSet<String>,
) -> Result<Vec<Ref>, String> {
    let ast = syn::parse_file(text).map_err(|e| e.to_string())?;
    let segs = module.unwrap_or_default().split("::");
    let mut r = Resolver {
        module: segs.filter(|s| !s.is_empty()).map(String::from).collect(),
        binary: module.is_none(),
        modules,
        aliases: HashMap::new(),
        refs: vec![],
    };
    r.visit_file(&ast);
    // A module imported by name but never gone through (only in a macro we cannot read, say).
    let unused = r.aliases.into_values().filter(|(_, _, used)| !used);
    r.refs.extend(unused.map(|(_, r, _)| r));
    Ok(r.refs)
}

fn name(module: &str) -> &str {
    Some(module)
        .filter(|m| !m.is_empty())
        .unwrap_or("the crate root")
}

/// What is wrong with file `rel` of module `from` making reference `r`, if anything.
fn judge(rel: &str, from: &str, r: &Ref) -> Option<String> {
    let floor = floor_of(from);
    let Some((to, path)) = &r.to else {
        let pure = floor.is_some_and(|(f, ..)| f == 0);
        return pure.then(|| "framework: the pure core uses no actix or diesel".to_string());
    };
    if rel == "src/main.rs" {
        let ok = under(to, BINARY_USES);
        return (!ok).then(|| format!("binary: main.rs uses only {BINARY_USES}, not {}", name(to)));
    }
    if from.is_empty() {
        let ok = ROOT_REEXPORTS.contains(&path.as_str());
        return (!ok).then(|| format!("root: lib.rs may re-export only {ROOT_REEXPORTS:?}"));
    }
    let (floor, to_floor) = (floor?, floor_of(to));
    let (top, here) = (
        |m: &str| m.split("::").next().map(String::from),
        label(floor),
    );
    match to_floor {
        _ if to.is_empty() => Some(format!("up: {from} ({here}) uses the crate root")),
        Some(t) if t.0 > floor.0 => Some(format!("up: {from} ({here}) uses {to} ({})", label(t))),
        Some(t) if t.0 == floor.0 && !floor.2 && top(to) != top(from) => {
            Some(format!("sideways: {from} uses {to}, both on {here}"))
        }
        _ => None,
    }
}

/// All violations by `files` (path from the crate, text) of the rules in the module comment.
fn check(files: &[(String, String)]) -> Vec<String> {
    let modules: BTreeSet<String> = files.iter().filter_map(|(rel, _)| module_of(rel)).collect();
    let mut out = vec![];
    // from → to → the first `file:line: path` making the edge
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (rel, text) in files {
        let module = module_of(rel);
        if module.is_none() && rel != "src/main.rs" {
            continue;
        }
        let from = module.clone().unwrap_or_default();
        if module.is_some() && !from.is_empty() && floor_of(&from).is_none() {
            out.push(format!(
                "{rel}: unmapped: {from} has no floor in FLOORS; give it one"
            ));
        }
        let refs = references(module.as_deref(), text, &modules);
        let refs = refs.unwrap_or_else(|e| panic!("{rel} does not parse: {e}"));
        // one line per problem: its first place, and how many more
        let mut problems: BTreeMap<String, (usize, String, usize)> = BTreeMap::new();
        for r in refs {
            let at = format!("{rel}:{}: `{}`", r.line, r.text);
            if let (Some((to, _)), Some(_)) = (&r.to, &module) {
                let edges = graph.entry(from.clone()).or_default();
                edges.entry(to.clone()).or_insert_with(|| at.clone());
            }
            if let Some(problem) = judge(rel, &from, &r) {
                problems.entry(problem).or_insert((r.line, at, 0)).2 += 1;
            }
        }
        let mut problems: Vec<_> = problems.into_iter().collect();
        problems.sort_by_key(|(_, (line, ..))| *line);
        for (problem, (_, at, n)) in problems {
            let more = (n > 1).then(|| format!(" (and {} more)", n - 1));
            out.push(format!("{at}: {problem}{}", more.unwrap_or_default()));
        }
    }
    for (tangle, cycle) in cycles(&graph) {
        let edge = |w: &[String]| format!("\n    {} -> {}: {}", w[0], w[1], graph[&w[0]][&w[1]]);
        let edges: String = cycle.windows(2).map(edge).collect();
        let tangle: Vec<&str> = tangle.iter().map(|m| name(m)).collect();
        let (n, tangle) = (tangle.len(), tangle.join(", "));
        let cycle = cycle.join(" -> ");
        out.push(format!(
            "cycle: {cycle}{edges}\n  ({n} modules reach each other: {tangle})"
        ));
    }
    out
}

/// Each tangle (strongly connected part) of `graph`, and a shortest loop through its first
/// module: `[a, b, .., a]`.
fn cycles(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<(Vec<String>, Vec<String>)> {
    let next = |m: &String| graph.get(m).into_iter().flat_map(|e| e.keys()).cloned();
    let reach = |start: &String| {
        let (mut seen, mut todo) = (BTreeSet::new(), vec![start.clone()]);
        while let Some(m) = todo.pop() {
            todo.extend(next(&m).filter(|n| seen.insert(n.clone())));
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let (mut done, mut out) = (BTreeSet::new(), vec![]);
    for (&start, from_start) in &reachable {
        if done.contains(start) || !from_start.contains(start) {
            continue;
        }
        let back = |m: &&String| reachable.get(m).is_some_and(|r| r.contains(start));
        let tangle: Vec<String> = from_start.iter().filter(back).cloned().collect();
        done.extend(tangle.iter().cloned());
        // Breadth first from `start` until an edge leads back to it.
        let (mut parent, mut queue) = (BTreeMap::new(), VecDeque::from([start.clone()]));
        'search: while let Some(m) = queue.pop_front() {
            for n in next(&m).filter(|n| tangle.contains(n)) {
                if &n == start {
                    let mut cycle = vec![start.clone(), m.clone()];
                    while let Some(p) = parent.get(cycle.last().unwrap_or(start)) {
                        cycle.push(String::clone(p));
                    }
                    cycle.reverse();
                    out.push((tangle, cycle));
                    break 'search;
                }
                if n != *start && !parent.contains_key(&n) {
                    parent.insert(n.clone(), m.clone());
                    queue.push_back(n);
                }
            }
        }
    }
    out
}

/// The checker's own tests, on hand-made crates: files after `== path` lines.
mod checker {
    use super::*;

    fn files(text: &str) -> Vec<(String, String)> {
        let file = |f: &str| {
            f.split_once('\n')
                .map(|(rel, t)| (rel.trim().into(), t.into()))
        };
        text.split("== ").filter_map(file).collect()
    }

    fn lines(text: &str) -> BTreeSet<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    }

    /// What `rel` reaches in a little crate, as `module <- path as written`.
    fn reached(rel: &str, text: &str) -> BTreeSet<String> {
        let modules = [
            "",
            "custody",
            "custody::model",
            "custody::store",
            "db",
            "db::schema",
            "firms",
        ];
        let modules = modules.iter().map(|m| m.to_string()).collect();
        let refs = references(module_of(rel).as_deref(), text, &modules).expect("parses");
        let to = |r: Ref| format!("{} <- {}", r.to.map_or("framework".into(), |t| t.0), r.text);
        refs.into_iter().map(to).collect()
    }

    #[test]
    fn a_file_is_named_by_its_place() {
        let cases = [
            ("src/lib.rs", Some("")),
            ("src/db/mod.rs", Some("db")),
            ("src/x.rs", Some("x")),
        ];
        let more = [
            ("src/db/schema.rs", Some("db::schema")),
            ("src/main.rs", None),
        ];
        for (rel, module) in cases
            .into_iter()
            .chain(more)
            .chain([("src/x/tests.rs", None)])
        {
            assert_eq!(module_of(rel).as_deref(), module, "{rel}");
        }
    }

    #[test]
    fn groups_self_super_renames_and_globs_resolve() {
        let text =
            "use super::{model::{self, Code}, Note as N};\nuse crate::{db::{self}, firms::*};
            fn f() { model::x(); db::schema::t(); super::super::firms::g(); self::h(); }";
        let expected = "custody::model <- use super::model::Code
            custody <- use super::Note
            firms <- use crate::firms::*
            custody::model <- model::x
            db::schema <- db::schema::t
            firms <- super::super::firms::g";
        assert_eq!(reached("src/custody/store.rs", text), lines(expected));
    }

    #[test]
    fn a_mod_rs_file_is_its_folders_module() {
        let text = "pub mod store;\nuse store::Row;\nuse diesel::prelude::*;
            fn f() { self::model::Code::A; super::firms::g(); custody::model::x(); }";
        let expected = "custody::store <- use store::Row
            framework <- use diesel::prelude::*
            custody::model <- self::model::Code::A
            firms <- super::firms::g";
        assert_eq!(reached("src/custody/mod.rs", text), lines(expected));
    }

    #[test]
    fn paths_in_attributes_and_macros_count_and_tests_are_free() {
        let text = "#[derive(diesel::Queryable)]\n#[diesel(table_name = crate::db::schema::t)]
            struct S;\nfn f() { vec![crate::firms::g()]; }
            #[cfg(test)]\nmod tests { use crate::firms::X; }\n#[cfg(test)]\nfn h() { crate::db::f(); }";
        let expected = "framework <- diesel::Queryable
            db::schema <- crate::db::schema::t
            firms <- crate::firms::g";
        assert_eq!(reached("src/custody/store.rs", text), lines(expected));
        assert!(reached("src/custody/tests.rs", "use crate::firms::X;").is_empty());
    }

    #[test]
    fn a_visibility_path_is_no_import() {
        let text = "pub(in crate::cli) fn f() { crate::db::g(); }";
        assert_eq!(
            reached("src/cli/commands/demo.rs", text),
            lines("db <- crate::db::g")
        );
    }

    #[test]
    fn a_slice_importing_startup_is_reported_and_so_is_the_cycle() {
        let found = check(&files(
            "== src/lib.rs\npub mod firms;\npub use startup::Application;
            == src/firms/http.rs\nuse crate::startup::AppState;
            == src/startup.rs\nfn f() { crate::firms::http::routes(); }",
        ));
        let expected = [
            "src/firms/http.rs:1: `use crate::startup::AppState`: up: firms::http \
            (floor 4, base slices) uses startup (floor 12, composition root)",
            "cycle: firms::http -> startup -> firms::http
    firms::http -> startup: src/firms/http.rs:1: `use crate::startup::AppState`
    startup -> firms::http: src/startup.rs:1: `crate::firms::http::routes`
  (2 modules reach each other: firms::http, startup)",
        ];
        assert_eq!(found, expected);
    }

    #[test]
    fn sideways_framework_unmapped_root_and_binary_are_reported() {
        let found = check(&files(
            "== src/lib.rs\npub use config::Settings;\npub use firms::Firm;
            == src/config.rs\n== src/error.rs\n== src/db/mod.rs\n== src/cli/mod.rs\n== src/gadgets.rs
            == src/chemicals/mod.rs\n== src/firms/mod.rs\nuse crate::chemicals::Chemical;
            == src/custody/store.rs\nuse crate::custody::model::Code;
            == src/custody/model.rs\nuse crate::domain::Role;\nuse diesel::Queryable;
            == src/domain/mod.rs\nuse crate::error::AppError;\nfn f() { actix_web::web::get(); }
            == src/main.rs\nuse precursor_registry::cli::run;\nuse precursor_registry::db::Db;",
        ));
        let expected = r#"
            src/custody/model.rs:2: `use diesel::Queryable`: framework: the pure core uses no actix or diesel
            src/domain/mod.rs:1: `use crate::error::AppError`: up: domain (floor 0, pure core) uses error (floor 1, plumbing)
            src/domain/mod.rs:2: `actix_web::web::get`: framework: the pure core uses no actix or diesel
            src/firms/mod.rs:1: `use crate::chemicals::Chemical`: sideways: firms uses chemicals, both on floor 4, base slices
            src/gadgets.rs: unmapped: gadgets has no floor in FLOORS; give it one
            src/lib.rs:2: `use firms::Firm`: root: lib.rs may re-export only ["config::Settings", "startup::Application"]
            src/main.rs:2: `use precursor_registry::db::Db`: binary: main.rs uses only cli, not db"#;
        assert_eq!(found.into_iter().collect::<BTreeSet<_>>(), lines(expected));
    }

    #[test]
    fn a_cycle_is_one_shortest_loop_per_tangle() {
        let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for edge in ["a b", "b c", "c a", "c d", "x y", "y x", "b a", "d e"] {
            let (from, to) = edge.split_once(' ').expect("two modules");
            graph
                .entry(from.into())
                .or_default()
                .insert(to.into(), String::new());
        }
        let strings = |v: &str| v.split(' ').map(String::from).collect::<Vec<_>>();
        let expected = [
            (strings("a b c"), strings("a b a")),
            (strings("x y"), strings("x y x")),
        ];
        assert_eq!(cycles(&graph), expected);
    }
}
