//! The layers docs/architecture.md promises, read from the source: `sys`
//! imports nothing from the crate but the error type and itself; `discover`,
//! `analyze`, `model` and `render` import no `sys` (they do no I/O); no file
//! imports another that imports it back; no non-test function is over 100
//! lines and no file over 800.

use std::collections::{BTreeMap, BTreeSet};
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

/// The shipped part of a file: without its `#[cfg(test)] mod x;`
/// declarations, and up to its first inline `#[cfg(test)]` item.
fn shipped(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "#[cfg(test)]" {
            match lines.get(i + 1) {
                Some(next) if next.trim_end().ends_with(';') => {
                    i += 2;
                    continue;
                }
                _ => break,
            }
        }
        out.push(lines[i]);
        i += 1;
    }
    out.join("\n")
}

/// The first segment of every `crate::…` path a file's shipped part names,
/// in `use` lines (brace groups `crate::{a::x, b}` included) and inline.
fn crate_paths(text: &str) -> Vec<String> {
    let code = shipped(text);
    let code = code.as_str();
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
    let code = shipped(text);
    let lines: Vec<&str> = code.lines().collect();
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

/// Files that are test modules: declared `#[cfg(test)] mod name;` by their parent.
fn test_module_files(all: &[(String, String)]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (file, text) in all {
        let dir = match file
            .strip_suffix("/mod.rs")
            .or(file.strip_suffix("/lib.rs"))
        {
            Some(d) => d.to_string(),
            None => file.trim_end_matches(".rs").to_string(),
        };
        let lines: Vec<&str> = text.lines().collect();
        for w in lines.windows(2) {
            let decl = w[1].trim();
            if w[0].trim() == "#[cfg(test)]" && decl.ends_with(';') && decl.contains("mod ") {
                let name = decl
                    .trim_end_matches(';')
                    .rsplit(' ')
                    .next()
                    .unwrap_or_default();
                out.insert(format!("{dir}/{name}.rs"));
            }
        }
    }
    out
}

/// Every shipped file of the crate (test-module files left out).
fn shipped_files() -> Vec<(String, String)> {
    let all = src("");
    let tests = test_module_files(&all);
    all.into_iter()
        .filter(|(f, _)| !tests.contains(f))
        .collect()
}

#[test]
fn no_function_is_over_100_lines() {
    let mut bad = Vec::new();
    for (file, text) in shipped_files() {
        for (name, n) in long_functions(&text, 100) {
            bad.push(format!("{file}: {name} ({n} lines)"));
        }
    }
    assert!(
        bad.is_empty(),
        "split these by what they do:\n{}",
        bad.join("\n")
    );
}

#[test]
fn no_file_is_over_800_lines() {
    let bad: Vec<String> = src("")
        .iter()
        .filter(|(_, text)| text.lines().count() > 800)
        .map(|(file, text)| format!("{file}: {} lines", text.lines().count()))
        .collect();
    assert!(bad.is_empty(), "split these files:\n{}", bad.join("\n"));
}

/// The module path of a source file: `src/cni/plan.rs` → `cni::plan`.
fn module_of(file: &str) -> Option<String> {
    let rel = file.strip_prefix("src/")?.strip_suffix(".rs")?;
    if rel == "main" {
        return None;
    }
    let rel = rel.strip_suffix("/mod").unwrap_or(rel);
    Some(if rel == "lib" {
        String::new()
    } else {
        rel.replace('/', "::")
    })
}

/// Every path a `crate::`/`super::` path names, its brace groups expanded:
/// `super::{a::x, b}` → `super::a::x`, `super::b`.
fn expand(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else {
        return vec![path.to_string()];
    };
    let (head, rest) = (&path[..open], &path[open + 1..]);
    let mut depth = 0;
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                parts.push(&rest[start..i]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&rest[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(&format!("{head}{p}")))
        .collect()
}

/// The text of a path starting at `i`: segments, `::` and brace groups.
fn path_at(code: &str, i: usize) -> &str {
    let mut depth = 0;
    let mut end = i;
    for (j, c) in code[i..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            c if depth > 0 || c.is_alphanumeric() || c == '_' || c == ':' => {}
            c if c.is_whitespace() || c == ',' => {
                if depth == 0 {
                    break;
                }
            }
            _ => break,
        }
        end = i + j + c.len_utf8();
    }
    &code[i..end]
}

/// The crate modules (as files) a file's shipped code names: by
/// `crate::…`, `super::…`, `self::…`, or a child module's own name.
fn imported_modules(module: &str, code: &str, files: &BTreeSet<String>) -> BTreeSet<String> {
    let here: Vec<String> = module
        .split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("::") {
        // the identifier that starts a path: no `::` or identifier before it
        let start = code[..i]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .last()
            .map_or(i, |(j, _)| j);
        if start == i || code[..start].ends_with("::") {
            continue;
        }
        let first = &code[start..i];
        let child = [module, first]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("::");
        if !matches!(first, "crate" | "super" | "self") && !files.contains(&child) {
            continue;
        }
        for p in expand(path_at(code, start)) {
            let mut rest = p.as_str();
            let mut segs = here.clone();
            if let Some(r) = rest.strip_prefix("crate::") {
                segs.clear();
                rest = r;
            } else if let Some(r) = rest.strip_prefix("self::") {
                rest = r;
            } else {
                while let Some(r) = rest.strip_prefix("super::") {
                    segs.pop();
                    rest = r;
                }
            }
            segs.extend(
                rest.split("::")
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            );
            // the longest prefix that is a file of the crate
            let hit = (0..=segs.len())
                .rev()
                .map(|n| segs[..n].join("::"))
                .find(|m| files.contains(m));
            if let Some(m) = hit.filter(|m| m != module) {
                out.insert(m);
            }
        }
    }
    out
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let files = shipped_files();
    let modules: BTreeMap<String, String> = files
        .iter()
        .filter_map(|(f, text)| Some((module_of(f)?, shipped(text))))
        .collect();
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let edges: BTreeMap<&String, BTreeSet<String>> = modules
        .iter()
        .map(|(m, code)| (m, imported_modules(m, code, &names)))
        .collect();
    // a cycle is an edge a → b with a path b → … → a
    let reaches = |from: &String, to: &String| -> Option<Vec<String>> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![vec![from.clone()]];
        while let Some(path) = stack.pop() {
            let last = path.last().cloned().unwrap_or_default();
            if &last == to {
                return Some(path);
            }
            if !seen.insert(last.clone()) {
                continue;
            }
            for next in edges.get(&last).into_iter().flatten() {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push(p);
            }
        }
        None
    };
    let mut bad = BTreeSet::new();
    for (a, outs) in &edges {
        for b in outs {
            if let Some(back) = reaches(b, a) {
                let mut ring = vec![(*a).clone()];
                ring.extend(back);
                let mut key: Vec<String> = ring[..ring.len() - 1].to_vec();
                key.sort();
                if bad.iter().all(|(k, _): &(Vec<String>, String)| *k != key) {
                    bad.insert((key, ring.join(" → ")));
                }
            }
        }
    }
    let rings: Vec<String> = bad.into_iter().map(|(_, r)| r).collect();
    assert!(rings.is_empty(), "import circles:\n{}", rings.join("\n"));
}
