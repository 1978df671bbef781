//! Renderers: tables (comfy-table), JSON (the documented contract) and
//! error lines. Every renderer writes to a `&mut dyn Write`; no other I/O.

pub mod doctor;
pub mod error;
pub mod ethtool;
pub mod ns;
pub mod probe;
pub mod trace;
pub mod veth;

use std::io::Write;

use colored::Colorize;
use comfy_table::{Cell, ContentArrangement, Table, presets};
use serde::Serialize;

/// How output is drawn.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub wide: bool,
    pub verbose: u8,
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
pub fn write_table(out: &mut dyn Write, t: &Table) -> std::io::Result<()> {
    for line in t.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Pretty JSON plus a newline.
/// Serialised into memory first: one write instead of thousands of small ones.
pub fn write_json<T: Serialize>(out: &mut dyn Write, value: &T) -> std::io::Result<()> {
    let mut buf = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    buf.push(b'\n');
    out.write_all(&buf)
}

/// Warnings for a human reader (stderr); JSON output carries them instead.
pub fn write_warnings(
    out: &mut dyn Write,
    warnings: &[String],
    style: &Style,
) -> std::io::Result<()> {
    const SHOWN: usize = 10;
    let limit = if style.verbose > 0 { usize::MAX } else { SHOWN };
    let label = if style.color {
        "warning".yellow().bold().to_string()
    } else {
        "warning".into()
    };
    for w in warnings.iter().take(limit) {
        writeln!(out, "podnet: {label}: {w}")?;
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
