//! Rules about the source itself, checked on every `make test` (and `make lint`).
//!
//! - A broken internal invariant is loud: every `.expect(` in production code names the
//!   invariant (`expect("invariant: …")`), so none stands on input data, where a panic would
//!   lose the alert (Cargo.toml's lints deny `unwrap`).

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
