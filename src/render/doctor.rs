//! Renders `podnet doctor`: one line per check with its verdict, then its
//! evidence and fix, and a one-line tally.

use std::io::Write;

use colored::Colorize;

use crate::error::Written;
use crate::model::doctor::{DoctorReport, Status};

use super::{Esc, Style};

fn badge(s: Status, style: &Style) -> String {
    let text = format!("{:<4}", s.as_str().to_uppercase());
    if !style.color {
        return text;
    }
    match s {
        Status::Pass => text.green().to_string(),
        Status::Warn => text.yellow().bold().to_string(),
        Status::Fail => text.red().bold().to_string(),
        Status::Skip => text.dimmed().to_string(),
    }
}

pub fn text(out: &mut dyn Write, report: &DoctorReport, style: &Style) -> Written {
    writeln!(out, "podnet doctor: {}", Esc(&report.node.label))?;
    for c in &report.checks {
        writeln!(
            out,
            "{}  {:<15} {}",
            badge(c.status, style),
            Esc(c.id),
            Esc(&c.summary)
        )?;
        // evidence for what needs attention, or always with -v / wide
        let detailed =
            style.verbose > 0 || style.wide || matches!(c.status, Status::Fail | Status::Warn);
        if detailed {
            for e in &c.evidence {
                let from = if style.color {
                    format!("[{}]", Esc(&e.from)).dimmed().to_string()
                } else {
                    format!("[{}]", Esc(&e.from))
                };
                writeln!(out, "                      {}  {from}", Esc(&e.fact))?;
            }
        }
        if let Some(h) = &c.hint
            && matches!(c.status, Status::Fail | Status::Warn)
        {
            let label = if style.color {
                "fix:".cyan().to_string()
            } else {
                "fix:".into()
            };
            writeln!(out, "                      {label} {}", Esc(h))?;
        }
    }
    let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
    writeln!(
        out,
        "{} passed, {} warnings, {} failed, {} skipped{}",
        count(Status::Pass),
        count(Status::Warn),
        count(Status::Fail),
        count(Status::Skip),
        if style.verbose == 0 && !style.wide {
            " (-v shows every check's evidence)"
        } else {
            ""
        }
    )?;
    Ok(())
}
