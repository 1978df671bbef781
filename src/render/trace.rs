//! Renders `podnet trace`: numbered hops with their state, then the verdict.

use std::io::Write;

use colored::Colorize;

use crate::model::trace::{HopStatus, TraceReport};

use super::Style;

pub fn text(out: &mut dyn Write, r: &TraceReport, style: &Style) -> std::io::Result<()> {
    writeln!(out, "trace {} → {}", r.from, r.to)?;
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
        writeln!(out, "{:>2}. {:<7} {}  {}", i + 1, mark, h.at, h.step)?;
        writeln!(out, "             {}", h.detail)?;
        if let Some(reason) = &h.reason {
            writeln!(out, "             reason: {reason}")?;
        }
    }
    let v = if style.color && r.verdict != "delivered" {
        r.verdict.red().bold().to_string()
    } else {
        r.verdict.clone()
    };
    writeln!(out, "verdict: {v}")
}
