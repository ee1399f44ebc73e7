//! The layers drawn in `lib.rs` and the README hold in the code: `parse`
//! and `engine` are pure (they name no source, pipeline, screen or wiring),
//! and the screen (`ui`) and the runbook speak the shared vocabulary
//! (`vocab`), not the parser's or the sources' modules.
//!
//! Read from the source text: every `crate::…` path (also inside
//! `use crate::{…}` groups) outside comments names the top-level module it
//! depends on.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each layer (a directory or file under `src/`) and the top-level modules
/// it must not name.
const RULES: &[(&str, &[&str])] = &[
    ("parse", &["source", "pipeline", "engine", "ui", "app"]),
    ("engine", &["source", "pipeline", "ui", "app"]),
    ("ui", &["source", "parse", "app"]),
    (
        "runbook.rs",
        &["source", "parse", "pipeline", "engine", "ui", "app"],
    ),
    (
        "vocab.rs",
        &["source", "parse", "pipeline", "engine", "ui", "app"],
    ),
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let entries = std::fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for entry in entries {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The text with `//` comments (doc comments included) removed, so a doc
/// link is not taken for a dependency. String literals are left alone: a
/// `//` inside one only shortens what is scanned on that line.
fn code_only(text: &str) -> String {
    text.lines()
        .map(|l| l.split_once("//").map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules a file names through `crate::`.
fn crate_modules(text: &str) -> BTreeSet<String> {
    let code = code_only(text);
    let mut found = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        // `$crate::` or `mycrate::` are other paths.
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let tail = rest.trim_start();
        if let Some(group) = tail.strip_prefix('{') {
            // Names at the group's top level: `{a, b::{c, d}, e}`.
            let mut depth = 1;
            let mut expect_name = true;
            let mut i = 0;
            let bytes = group.as_bytes();
            while i < bytes.len() && depth > 0 {
                match bytes[i] {
                    b'{' => depth += 1,
                    b'}' => depth -= 1,
                    b',' if depth == 1 => expect_name = true,
                    c if depth == 1 && expect_name && (c.is_ascii_alphabetic() || c == b'_') => {
                        found.insert(ident(&group[i..]).to_string());
                        expect_name = false;
                    }
                    _ => {}
                }
                i += 1;
            }
        } else {
            let name = ident(tail);
            if !name.is_empty() {
                found.insert(name.to_string());
            }
        }
    }
    found
}

#[test]
fn scanner_sees_plain_and_grouped_paths_but_not_comments() {
    let text = "use crate::source::Notice;\n\
                use crate::{ui, app::{x, y}, engine::Model};\n\
                // crate::pipeline in a comment\n\
                /// [`crate::journal`] in a doc link\n\
                let x = $crate::parse::f();\n\
                let y = crate::sanitize::clean(z);\n";
    let got: Vec<String> = crate_modules(text).into_iter().collect();
    assert_eq!(got, ["app", "engine", "sanitize", "source", "ui"]);
}

#[test]
fn layers_import_only_what_is_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    let mut checked = 0;
    for (layer, forbidden) in RULES {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "no files under src/{layer}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            checked += 1;
            for module in crate_modules(&text) {
                if forbidden.contains(&module.as_str()) {
                    let rel = file.strip_prefix(&src).unwrap_or(&file);
                    broken.push(format!("src/{} names crate::{module}", rel.display()));
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} files checked");
    assert!(
        broken.is_empty(),
        "layer rules broken:\n  {}",
        broken.join("\n  ")
    );
}
