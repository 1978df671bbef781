//! Renders `podnet trace`: numbered hops with their state, then the verdict.

use std::io::Write;

use colored::Colorize;

use crate::model::trace::{HopStatus, TraceReport};

use super::{Esc, Style};

pub fn text(out: &mut dyn Write, r: &TraceReport, style: &Style) -> std::io::Result<()> {
    writeln!(out, "trace {} → {}", Esc(&r.from), Esc(&r.to))?;
    for (i, h) in r.hops.iter().enumerate() {
        let mark = match h.status {
            HopStatus::Ok => "ok",
            HopStatus::Blocked => "BLOCKED",
            HopStatus::Unknown => "?",
        };
        let mark = if style.color {
            match h.status {
                HopStatus::Ok => mark.green().to_string(),
                HopStatus::Blocked => mark.red().bold().to_string(),
                HopStatus::Unknown => mark.yellow().to_string(),
            }
        } else {
            mark.to_string()
        };
        writeln!(
            out,
            "{:>2}. {:<7} {}  {}",
            i + 1,
            mark,
            Esc(&h.at),
            Esc(&h.step)
        )?;
        writeln!(out, "             {}", Esc(&h.detail))?;
        if let Some(reason) = &h.reason {
            writeln!(out, "             reason: {}", Esc(reason))?;
        }
    }
    let verdict = super::esc(&r.verdict);
    let v = if style.color && r.verdict != "delivered" {
        verdict.red().bold().to_string()
    } else {
        verdict
    };
    writeln!(out, "verdict: {v}")
}
