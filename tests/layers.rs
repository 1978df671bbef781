//! The layers docs/architecture.md promises, read from the source: `sys`
//! imports nothing from the crate but the error type and itself; `discover`,
//! `analyze`, `model` and `render` import no `sys` (they do no I/O); no
//! non-test function is over 100 lines in the diagnostics layers.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn src(layer: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(layer);
    rust_files(&root)
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            let shown = p
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap_or(&p)
                .display()
                .to_string();
            (shown, text)
        })
        .collect()
}

/// The shipped part of a file: up to its `#[cfg(test)]` module.
fn shipped(text: &str) -> &str {
    text.split("\n#[cfg(test)]").next().unwrap_or(text)
}

/// The first segment of every `crate::…` path a file's shipped part names,
/// in `use` lines (brace groups `crate::{a::x, b}` included) and inline.
fn crate_paths(text: &str) -> Vec<String> {
    let code = shipped(text);
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let body = group.split('}').next().unwrap_or_default();
                out.extend(body.split(',').map(first_segment));
            }
            None => out.push(first_segment(rest)),
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

/// `cni` of `cni::plan::Action`, `error` of ` error::Error`.
fn first_segment(path: &str) -> String {
    path.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

#[test]
fn sys_imports_nothing_of_the_crate_but_the_error_type() {
    let mut bad = Vec::new();
    for (file, text) in src("sys") {
        for m in crate_paths(&text) {
            if !matches!(m.as_str(), "sys" | "error" | "Error" | "Result") {
                bad.push(format!("{file}: crate::{m}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "sys imports domain modules:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_pure_layers_import_no_sys() {
    let mut bad = Vec::new();
    for layer in ["discover", "analyze", "model", "render"] {
        for (file, text) in src(layer) {
            if crate_paths(&text).iter().any(|m| m == "sys") {
                bad.push(file);
            }
        }
    }
    assert!(
        bad.is_empty(),
        "these do I/O through sys:\n{}",
        bad.join("\n")
    );
}

/// Shipped functions and their lengths: from an `fn` line to the closing
/// brace at its indentation.
fn long_functions(text: &str, limit: usize) -> Vec<(String, usize)> {
    let lines: Vec<&str> = shipped(text).lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        let trimmed = l.trim_start();
        let is_fn = ["fn ", "pub fn ", "pub(crate) fn ", "pub(super) fn "]
            .iter()
            .any(|p| trimmed.starts_with(p));
        if is_fn && !l.trim_end().ends_with(';') {
            let indent = l.len() - trimmed.len();
            let close = format!("{}}}", " ".repeat(indent));
            if let Some(end) = (i..lines.len()).find(|&j| lines[j].trim_end() == close) {
                let n = end - i + 1;
                if n > limit {
                    let name = trimmed.split('(').next().unwrap_or(trimmed).to_string();
                    out.push((name, n));
                }
                i = end;
            }
        }
        i += 1;
    }
    out
}

#[test]
fn no_diagnostics_function_is_over_100_lines() {
    let mut bad = Vec::new();
    for layer in ["discover", "analyze", "model", "render"] {
        for (file, text) in src(layer) {
            for (name, n) in long_functions(&text, 100) {
                bad.push(format!("{file}: {name} ({n} lines)"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "split these by what they do:\n{}",
        bad.join("\n")
    );
}
