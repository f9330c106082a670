//! Rules about the source itself, checked on every `make test` (and `make lint`).
//!
//! - A broken internal invariant is loud: every `.expect(` in production code names the
//!   invariant (`expect("invariant: …")`), so none stands on input data, where a panic would
//!   lose the alert (Cargo.toml's lints deny `unwrap`).
//! - The module graph has no cycle, and every import goes to the module's own layer or one
//!   above it, as docs/ARCHITECTURE.md's layer table says; that page lists every module.
//! - No production file of `src/` over 600 lines, no function over 80.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each production source file of `src/` with its text, test modules left out (a
/// `#[cfg(test)]` module runs to the end of its file, as this crate writes them; a file
/// named `tests.rs` is a test module).
fn production_sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "tests.rs"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let production = match text.find("#[cfg(test)]") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            (p.strip_prefix(root).unwrap().to_path_buf(), production)
        })
        .collect()
}

#[test]
fn every_expect_names_the_invariant_it_relies_on() {
    let mut bad = Vec::new();
    let mut count = 0;
    for (path, text) in production_sources() {
        for (at, _) in text.match_indices(".expect(") {
            count += 1;
            let message = text[at + ".expect(".len()..].trim_start();
            if !message.starts_with("\"invariant: ") {
                let line = text[..at].lines().count();
                bad.push(format!("{}:{line}", path.display()));
            }
        }
    }
    assert!(count > 0, "no expect found: the scan is wrong");
    assert!(
        bad.is_empty(),
        "an expect without \"invariant: …\" (input data must never panic): {bad:?}"
    );
}

/// The crate's top-level module a source file belongs to (`src/render/body.rs` → `render`);
/// none for the crate roots (`lib.rs`, `main.rs`, `bin/`), which wire everything.
fn module_of(path: &Path) -> Option<String> {
    let mut parts = path.strip_prefix("src").ok()?.components();
    let first = parts.next()?.as_os_str().to_str()?.to_string();
    let top = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (!matches!(top.as_str(), "lib" | "main" | "bin")).then_some(top)
}

/// The top-level modules a file's code (comments aside) names: `crate::x…` paths and the
/// names of `use crate::{x, y::…}` groups.
fn modules_named(text: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let ident = |s: &str| {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<String>()
    };
    // The code without its comments, lines kept (a `use` group may span several).
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a, b::c, d::{e, f}}`: the names at depth 0.
            for item in split_top_level(group) {
                let name = ident(item.trim());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// The items of a `{…}` group up to its closing brace, split at depth-0 commas.
fn split_top_level(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut from) = (0, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[from..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    items.push(&group[from..]);
    items
}

/// The graph of top-level modules: module → the modules its production code names.
fn module_graph() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    let known: std::collections::BTreeSet<String> = production_sources()
        .iter()
        .filter_map(|(p, _)| module_of(p))
        .collect();
    for (path, text) in production_sources() {
        let Some(from) = module_of(&path) else {
            continue;
        };
        let entry = graph.entry(from.clone()).or_default();
        for to in modules_named(&text) {
            if to != from && known.contains(&to) {
                entry.insert(to);
            }
        }
    }
    graph
}

/// A cycle of the graph, as the modules along it, if there is one.
fn a_cycle(
    graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = Default::default();
    graph
        .keys()
        .find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = module_graph();
    assert!(
        graph.get("handler").is_some_and(|to| to.contains("render")),
        "the scan finds no imports: it is wrong"
    );
    if let Some(cycle) = a_cycle(&graph) {
        panic!(
            "an import cycle between modules: {}\n(every edge: {graph:#?})",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn the_cycle_check_finds_a_cycle_and_reads_groups() {
    let named = modules_named(
        "use crate::{\n    a::b,\n    c, d::{e, f}};\n// crate::comment\nlet x = crate::g::h();",
    );
    assert_eq!(named.into_iter().collect::<Vec<_>>(), ["a", "c", "d", "g"]);
    let graph = [("a", "b"), ("b", "c"), ("c", "a")]
        .into_iter()
        .map(|(x, y)| (x.to_string(), [y.to_string()].into_iter().collect()))
        .collect();
    assert_eq!(a_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
}

/// The layers of docs/ARCHITECTURE.md's first table, in order: each a list of module names
/// (a folder's without its `/`; `main.rs` aside).
fn documented_layers() -> Vec<(String, Vec<String>)> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ARCHITECTURE.md"))
            .unwrap();
    let table = doc.split("| Layer |").nth(1).expect("the layer table");
    table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let names = cells[2]
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|n| *n != "main.rs")
                .map(|n| n.trim_end_matches('/').to_string())
                .collect();
            (cells[1].to_string(), names)
        })
        .collect()
}

/// The modules docs/ARCHITECTURE.md's module map lists (a folder with its `/`).
fn documented_modules() -> std::collections::BTreeSet<String> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ARCHITECTURE.md"))
            .unwrap();
    let map = doc
        .split("## Module map")
        .nth(1)
        .and_then(|m| m.split("\n## ").next())
        .expect("the module map");
    map.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(String::from)
        .collect()
}

#[test]
fn the_architecture_page_lists_every_module_once_in_its_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut actual = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name == "bin" {
            for bin in std::fs::read_dir(&path).unwrap() {
                let bin = bin.unwrap().file_name().into_string().unwrap();
                actual.insert(format!("bin/{bin}"));
            }
        } else if path.is_dir() {
            actual.insert(format!("{name}/"));
        } else if let Some(stem) = name.strip_suffix(".rs")
            && stem != "lib"
            && stem != "main"
        {
            actual.insert(stem.to_string());
        }
    }
    assert_eq!(
        documented_modules(),
        actual,
        "docs/ARCHITECTURE.md's module map and src/"
    );
    let layered: Vec<String> = documented_layers()
        .into_iter()
        .flat_map(|(_, names)| names)
        .collect();
    let mut sorted = layered.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        layered.len(),
        "a module in two layers: {layered:?}"
    );
    let modules: std::collections::BTreeSet<String> = actual
        .iter()
        .filter(|m| !m.starts_with("bin/"))
        .map(|m| m.trim_end_matches('/').to_string())
        .collect();
    assert_eq!(
        sorted
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>(),
        modules,
        "the layer table and src/"
    );
}

#[test]
fn each_module_uses_only_its_own_layer_and_those_above() {
    let layers = documented_layers();
    assert_eq!(
        layers.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(),
        ["input", "meaning", "words", "shell"]
    );
    let layer_of = |module: &str| {
        layers
            .iter()
            .position(|(_, names)| names.iter().any(|n| n == module))
            .unwrap_or_else(|| panic!("{module} is in no layer of docs/ARCHITECTURE.md"))
    };
    let mut against = Vec::new();
    for (from, tos) in module_graph() {
        for to in tos {
            if layer_of(&to) > layer_of(&from) {
                against.push(format!(
                    "{from} ({}) uses {to} ({})",
                    layers[layer_of(&from)].0,
                    layers[layer_of(&to)].0
                ));
            }
        }
    }
    assert!(
        against.is_empty(),
        "imports against the layers: {against:#?}"
    );
}

/// The longest a production file and function of `src/` may be (tests aside).
const MAX_FILE_LINES: usize = 600;
const MAX_FN_LINES: usize = 80;

#[test]
fn files_and_functions_stay_short_enough_to_read() {
    let mut long = Vec::new();
    for (path, text) in production_sources() {
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() > MAX_FILE_LINES {
            long.push(format!("{}: {} lines", path.display(), lines.len()));
        }
        for (i, line) in lines.iter().enumerate() {
            let code = line.trim_start();
            let indent = &line[..line.len() - code.len()];
            let signature = ["fn ", "pub fn ", "async fn ", "pub async fn ", "const fn "]
                .iter()
                .any(|p| code.starts_with(p))
                || (code.starts_with("pub(")
                    && (code.contains(") fn ") || code.contains(") async fn ")));
            if !signature {
                continue;
            }
            // The function ends at the first `}` at its own indentation.
            let closing = format!("{indent}}}");
            if let Some(end) = lines[i + 1..].iter().position(|l| *l == closing)
                && end + 2 > MAX_FN_LINES
            {
                long.push(format!(
                    "{}:{}: a function of {} lines",
                    path.display(),
                    i + 1,
                    end + 2
                ));
            }
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} or functions over {MAX_FN_LINES} lines: {long:#?}"
    );
}
