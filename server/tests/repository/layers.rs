//! The direction of the house, checked: which workspace crate may depend on which, that the
//! pure crate stays free of I/O crates, and which top-level modules of each crate import
//! each other in a loop (read from the `crate::…` paths of non-test code). A new cycle, or a
//! dependency the wrong way, fails here with the edges that make it.
//!
//! The cycles that remain are listed in `KNOWN_CYCLES`; the list may only shrink (a cycle
//! that has gone and is still listed fails too, so the list stays true).

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// Each workspace crate and the workspace crates it may depend on (normal dependencies;
/// dev-dependencies are tests'). Pages → services → pure domain; the server wires it all.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("migrations", &[]),
    ("services", &["domain", "migrations"]),
    ("app", &["domain", "services"]),
    ("frontend", &["app"]),
    ("server", &["app", "services", "domain", "migrations"]),
];

/// Crates that do I/O or render: never in the pure crate.
const NOT_IN_DOMAIN: &[&str] =
    &["leptos", "leptos_axum", "leptos_meta", "leptos_router", "axum", "sea-orm", "tokio", "tower", "hyper", "reqwest", "sqlx"];

/// Crates that render pages or read a request's context: never in the services, which take
/// what they need as arguments (so a page, an API handler, the CLI and a test call them alike).
const NOT_IN_SERVICES: &[&str] = &["leptos", "leptos_axum", "leptos_meta", "leptos_router", "axum"];

/// Module cycles still to be broken, as sorted names. None is left; a new one fails.
const KNOWN_CYCLES: &[(&str, &[&str])] = &[];

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn manifest(krate: &str) -> toml::Table {
    let path = root().join(krate).join("Cargo.toml");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn dependencies(krate: &str) -> BTreeSet<String> {
    let manifest = manifest(krate);
    let mut names = BTreeSet::new();
    if let Some(deps) = manifest.get("dependencies").and_then(|d| d.as_table()) {
        for (name, spec) in deps {
            // `foo = { package = "bar" }` depends on bar.
            let package = spec.get("package").and_then(|p| p.as_str()).unwrap_or(name);
            names.insert(package.to_string());
        }
    }
    names
}

#[test]
fn workspace_crates_depend_on_each_other_one_way() {
    let members: BTreeSet<&str> = ALLOWED.iter().map(|(name, _)| *name).collect();
    let workspace = manifest(".");
    let listed: BTreeSet<String> = workspace["workspace"]["members"]
        .as_array()
        .expect("workspace members")
        .iter()
        .filter_map(|m| m.as_str().map(str::to_string))
        .collect();
    assert_eq!(listed, members.iter().map(|m| m.to_string()).collect(), "every workspace crate has its place in ALLOWED");

    let mut wrong = Vec::new();
    for (krate, allowed) in ALLOWED {
        for dep in dependencies(krate) {
            if members.contains(dep.as_str()) && !allowed.contains(&dep.as_str()) {
                wrong.push(format!("{krate} -> {dep}"));
            }
        }
    }
    assert!(wrong.is_empty(), "dependencies the wrong way: {wrong:?}");
}

#[test]
fn the_domain_crate_does_no_io() {
    let io: Vec<String> = dependencies("domain").into_iter().filter(|d| NOT_IN_DOMAIN.contains(&d.as_str())).collect();
    assert!(io.is_empty(), "the pure crate depends on {io:?}");
}

#[test]
fn the_services_render_nothing() {
    let rendering: Vec<String> = dependencies("services").into_iter().filter(|d| NOT_IN_SERVICES.contains(&d.as_str())).collect();
    assert!(rendering.is_empty(), "the services crate depends on {rendering:?}");
}

/// Non-test code: `#[cfg(test)]` items and `*_tests.rs` / `tests.rs` files are left out;
/// line comments too.
pub(crate) fn without_tests(source: &str) -> String {
    let mut kept = Vec::new();
    let mut lines = source.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") || trimmed.starts_with("#[cfg(all(test") {
            // Skip the attributed item: up to its closing brace, or its `;`.
            let mut depth = 0i32;
            let mut opened = false;
            for item_line in lines.by_ref() {
                depth += item_line.matches('{').count() as i32 - item_line.matches('}').count() as i32;
                opened |= item_line.contains('{');
                if (opened && depth <= 0) || (!opened && item_line.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        kept.push(code.to_string());
    }
    kept.join("\n")
}

/// The top-level modules `source` names through `crate::x` or `crate::{x, y::…}`.
fn crate_paths(source: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = source;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            // The names at the group's first level.
            let mut depth = 1;
            let mut current = String::new();
            let mut first_level = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                if depth == 1 && c != '}' {
                    current.push(c);
                } else if depth == 1 {
                    current.push(' ');
                }
                if depth == 1 && c == ',' {
                    first_level.push(std::mem::take(&mut current));
                }
            }
            first_level.push(current);
            for part in first_level {
                let name: String =
                    part.trim_start_matches([',', ' ', '\n', '\t']).chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    names.insert(name);
                }
            }
        } else {
            let name: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
        rest = after;
    }
    names
}

pub(crate) fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else { return files };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The crate's top-level modules and which others each one's non-test code names.
fn module_edges(krate: &str) -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join(krate).join("src");
    let mut modules = BTreeMap::new();
    for entry in fs::read_dir(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display())).flatten() {
        let path = entry.path();
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        if name == "lib" || name == "main" || !(path.is_dir() || path.extension().is_some_and(|e| e == "rs")) {
            continue;
        }
        let files = if path.is_dir() { rust_files(&path) } else { vec![path.clone()] };
        modules.entry(name).or_insert_with(Vec::new).extend(files);
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .into_iter()
        .map(|(module, files)| {
            let mut uses = BTreeSet::new();
            for file in files {
                let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
                if stem == "tests" || stem.ends_with("_tests") {
                    continue;
                }
                let source = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                uses.extend(crate_paths(&without_tests(&source)).into_iter().filter(|n| names.contains(n) && *n != module));
            }
            (module, uses)
        })
        .collect()
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let at = self.index.len();
            self.index.insert(v, at);
            self.low.insert(v, at);
            self.stack.push(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    component.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk { edges, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found.sort();
    walk.found
}

#[test]
fn no_module_cycles_but_the_known_ones() {
    for krate in ["domain", "services", "app", "server", "migrations", "frontend"] {
        let edges = module_edges(krate);
        let found = cycles(&edges);
        let known: Vec<Vec<String>> =
            KNOWN_CYCLES.iter().filter(|(k, _)| *k == krate).map(|(_, modules)| modules.iter().map(|m| m.to_string()).collect()).collect();
        let described: Vec<String> = found
            .iter()
            .map(|cycle| {
                let inside: Vec<String> =
                    cycle.iter().flat_map(|m| edges[m].iter().filter(|n| cycle.contains(n)).map(move |n| format!("{m} -> {n}"))).collect();
                format!("{cycle:?}: {}", inside.join(", "))
            })
            .collect();
        assert_eq!(found, known, "module cycles in `{krate}` (the edges inside each):\n{}", described.join("\n"));
    }
}

#[test]
fn the_reader_sees_grouped_and_plain_paths() {
    let source = "use crate::{a, b::{c, d}, e::F};\nfn f() { crate::g::h(); }\n#[cfg(test)]\nmod tests {\n    use crate::z;\n}\n";
    let names = crate_paths(&without_tests(source));
    assert_eq!(names, ["a", "b", "e", "g"].into_iter().map(String::from).collect());
    let mut edges = BTreeMap::new();
    edges.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    edges.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    edges.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(cycles(&edges), vec![vec!["a".to_string(), "b".to_string()]]);
}
