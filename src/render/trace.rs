//! Renders `podnet trace`: numbered hops with their state, then the verdict.

use std::io::Write;

use colored::Colorize;

use crate::model::trace::{HopStatus, TraceReport};

use super::{Esc, Style};

pub fn text(out: &mut dyn Write, r: &TraceReport, style: &Style) -> std::io::Result<()> {
    writeln!(out, "trace {} → {} ({})", Esc(&r.from), Esc(&r.to), r.proto)?;
    let mut direction = None;
    for h in &r.hops {
        if direction != Some(h.direction) {
            direction = Some(h.direction);
            writeln!(out, "{}:", h.direction.as_str())?;
        }
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
            h.index,
            mark,
            Esc(&h.at),
            Esc(&h.step)
        )?;
        writeln!(out, "             {}", Esc(&h.detail))?;
        if let Some(reason) = &h.reason {
            let code = h
                .cause
                .map(|c| format!(" [{}]", c.code()))
                .unwrap_or_default();
            writeln!(out, "             reason: {}{code}", Esc(reason))?;
        }
    }
    let verdict = super::esc(&r.verdict);
    let v = if style.color && !r.delivered {
        verdict.red().bold().to_string()
    } else {
        verdict
    };
    writeln!(out, "verdict: {v}")
}
