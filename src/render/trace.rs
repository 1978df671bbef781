//! Renders `podnet trace`: numbered hops with their state, then the verdict.

use std::io::Write;

use colored::Colorize;

use crate::error::Written;
use crate::model::trace::{Agreement, HopStatus, TraceReport, Verification};

use super::{Esc, Style};

pub fn text(out: &mut dyn Write, r: &TraceReport, style: &Style) -> Written {
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
    writeln!(out, "verdict: {v}")?;
    if let Some(check) = &r.verify {
        verify(out, check, style)?;
    }
    Ok(())
}

/// `--verify`: the probe's tally, each kernel drop of its packets once, and
/// whether they agree with the trace.
fn verify(out: &mut dyn Write, v: &Verification, style: &Style) -> Written {
    let p = &v.probe;
    writeln!(
        out,
        "verify: {} {} sent, {} answered",
        p.sent, p.mode, p.received
    )?;
    let lines = super::probe::alike(p.why.as_deref().unwrap_or_default(), |d| {
        format!("{}: {}", d.direction, d.drop.said())
    });
    for (line, n) in lines {
        writeln!(
            out,
            "  kernel drop, {}{}",
            Esc(&line),
            super::probe::times(n)
        )?;
    }
    let code = v.agreement.code();
    let code = match (style.color, v.agreement) {
        (false, _) => code.to_string(),
        (true, Agreement::Agrees | Agreement::AgreesInDirection) => code.green().to_string(),
        (true, Agreement::Disagrees) => code.red().bold().to_string(),
        (true, Agreement::Unconfirmed) => code.yellow().to_string(),
    };
    writeln!(out, "kernel: {code}: {}", Esc(&v.verdict))?;
    Ok(())
}
