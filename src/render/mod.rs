//! Renderers: tables (comfy-table), JSON (the documented contract) and
//! error lines. Every renderer writes to a `&mut dyn Write`; no other I/O.

pub mod cni;
pub mod doctor;
pub mod drops;
pub mod error;
pub mod ethtool;
pub mod lab;
pub mod ns;
pub mod probe;
pub mod trace;
pub mod veth;

use std::borrow::Cow;
use std::fmt;
use std::io::Write;

use colored::Colorize;
use comfy_table::{Cell, ContentArrangement, Table, presets};
use serde::Serialize;

use crate::error::Written;

/// How output is drawn.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub wide: bool,
    pub verbose: u8,
}

/// Whether a character must not reach a terminal as it is: C0 controls
/// (tab and newline too: they break a table's lines), DEL, C1 controls
/// (some terminals obey U+009B as CSI), and the bidirectional overrides,
/// embeddings, isolates and marks that reorder the text after them.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// The most characters one value shows in a table or text line (a
/// Kubernetes name has at most 253, a path 4096 bytes): a longer one is cut
/// with a note, so a hostile multi-megabyte annotation cannot flood the
/// terminal or stall the table layout. JSON keeps it whole.
pub const MAX_SHOWN_CHARS: usize = 4096;

/// Text from the node (interface names, pod names, annotations, paths,
/// comm, error messages) made safe to print: every character
/// [`unsafe_char`] names is shown as an escape (`\x1b`, `\u{202e}`), so no
/// name can set the terminal title, clear the screen, move the cursor or
/// reorder what follows it; and a value longer than [`MAX_SHOWN_CHARS`] is
/// cut. The one escaping function of every table, text line, warning and
/// error; JSON output does not use it (serde escapes exactly, so JSON keeps
/// the names as they are).
pub fn escape(s: &str) -> Cow<'_, str> {
    let long = s.len() > MAX_SHOWN_CHARS && s.chars().nth(MAX_SHOWN_CHARS).is_some();
    if !long && !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(MAX_SHOWN_CHARS) + 8);
    for (shown, c) in s.chars().enumerate() {
        if shown >= MAX_SHOWN_CHARS {
            let rest = s.chars().count() - shown;
            out.push_str(&format!("… ({rest} more characters)"));
            break;
        }
        if !unsafe_char(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

/// [`escape`] for `format!` and `writeln!`: `{}` of `Esc(name)` prints the escaped text.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&escape(self.0))
    }
}

/// [`escape`] into an owned string (a table cell).
pub fn esc(s: &str) -> String {
    escape(s).into_owned()
}

/// A borderless, kubectl-like table with the given column headers.
pub fn table(headers: &[&str], style: &Style) -> Table {
    let mut t = Table::new();
    t.load_style(presets::NOTHING);
    t.set_content_arrangement(ContentArrangement::Disabled);
    if style.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t.set_header(headers.iter().map(|h| {
        if style.color {
            Cell::new(h.bold().to_string())
        } else {
            Cell::new(*h)
        }
    }));
    for col in t.column_iter_mut() {
        col.set_padding((0, 2));
    }
    t
}

/// Writes a table, trailing spaces trimmed from every line.
pub fn write_table(out: &mut dyn Write, t: &Table) -> Written {
    for line in t.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Pretty JSON plus a newline.
/// Serialised into memory first: one write instead of thousands of small ones.
pub fn write_json<T: Serialize>(out: &mut dyn Write, value: &T) -> Written {
    let mut buf = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    buf.push(b'\n');
    out.write_all(&buf)?;
    Ok(())
}

/// Warnings for a human reader (stderr); JSON output carries them instead.
pub fn write_warnings(out: &mut dyn Write, warnings: &[String], style: &Style) -> Written {
    const SHOWN: usize = 10;
    let limit = if style.verbose > 0 { usize::MAX } else { SHOWN };
    let label = if style.color {
        "warning".yellow().bold().to_string()
    } else {
        "warning".into()
    };
    for w in warnings.iter().take(limit) {
        writeln!(out, "podnet: {label}: {}", Esc(w))?;
    }
    if warnings.len() > limit {
        writeln!(
            out,
            "podnet: … and {} more warnings (-v shows all, -o json lists them)",
            warnings.len() - limit
        )?;
    }
    Ok(())
}

/// A dimmed placeholder for a missing value.
pub fn none(style: &Style) -> String {
    if style.color {
        "-".dimmed().to_string()
    } else {
        "-".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped_and_the_rest_kept() {
        assert!(matches!(escape("eth0 café"), Cow::Borrowed(_)));
        assert_eq!(escape("a\x1b]0;pwn\x07b"), "a\\x1b]0;pwn\\x07b");
        assert_eq!(escape("\x1b[2J\t\n\x7f"), "\\x1b[2J\\x09\\x0a\\x7f");
        assert_eq!(escape("x\u{9b}31m"), "x\\u{9b}31m");
        assert_eq!(escape("evil\u{202e}gpj.exe"), "evil\\u{202e}gpj.exe");
        assert_eq!(format!("[{:<6}]", Esc("\x07")), "[\\x07  ]");
        let huge = "é".repeat(MAX_SHOWN_CHARS + 10);
        let cut = escape(&huge);
        assert!(cut.starts_with(&"é".repeat(MAX_SHOWN_CHARS)));
        assert!(
            cut.ends_with("… (10 more characters)"),
            "{}",
            &cut[cut.len() - 40..]
        );
        assert!(matches!(
            escape(&"é".repeat(MAX_SHOWN_CHARS)),
            Cow::Borrowed(_)
        ));
    }
}
