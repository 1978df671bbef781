//! Renders `podnet probe`: one line per attempt (or per source with
//! --from-all), a ping-like summary, and path-MTU sweeps.

use std::io::Write;

use colored::Colorize;

use crate::error::Written;
use crate::model::drops::ProbeDrop;
use crate::model::probe::{ProbeReport, ProbeRun};

use super::{Esc, Style, esc, table, write_table};

fn mark(ok: bool, style: &Style) -> String {
    match (ok, style.color) {
        (true, true) => "ok".green().to_string(),
        (false, true) => "FAIL".red().bold().to_string(),
        (true, false) => "ok".into(),
        (false, false) => "FAIL".into(),
    }
}

/// `--why`: the kernel's drops of the probe's packets, alike ones counted once.
fn why(out: &mut dyn Write, p: &ProbeRun) -> Written {
    let drops = p.why.as_deref().unwrap_or_default();
    if drops.is_empty() {
        let what = if p.received < p.sent {
            "the kernel dropped none of its packets on this machine (lost elsewhere, or answered with an error)"
        } else {
            "the kernel dropped none of its packets"
        };
        return Ok(writeln!(out, "why ({}): {what}", Esc(&p.from))?);
    }
    let lines = alike(drops, |d| {
        format!(
            "the {} was dropped by the kernel: {}",
            d.direction,
            d.drop.said()
        )
    });
    for (line, n) in lines {
        writeln!(out, "why ({}): {}{}", Esc(&p.from), Esc(&line), times(n))?;
    }
    Ok(())
}

/// The drops as lines, alike ones once with their count, in first-seen order.
pub(super) fn alike(
    drops: &[ProbeDrop],
    line_of: impl Fn(&ProbeDrop) -> String,
) -> Vec<(String, usize)> {
    let mut seen: Vec<(String, usize)> = Vec::new();
    for d in drops {
        let line = line_of(d);
        match seen.iter_mut().find(|(l, _)| *l == line) {
            Some((_, n)) => *n += 1,
            None => seen.push((line, 1)),
        }
    }
    seen
}

/// ` (×3)` after a line that stands for more than one.
pub(super) fn times(n: usize) -> String {
    if n > 1 {
        format!(" (×{n})")
    } else {
        String::new()
    }
}

/// One probe, ping-like: a line per attempt, then the summary.
fn attempts(out: &mut dyn Write, p: &ProbeRun, style: &Style) -> Written {
    writeln!(
        out,
        "{} from {} ({})",
        Esc(&p.target),
        Esc(&p.from),
        Esc(&p.mode)
    )?;
    // an ICMP result already says its RTT (`reply 0.12 ms`)
    let says_rtt = p.mode == "icmp";
    for a in &p.attempts {
        let lat = a
            .latency_ms
            .filter(|_| !says_rtt)
            .map(|l| format!("  {l:.2} ms"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {:>3}  {:<4}  {}{lat}",
            a.seq,
            mark(a.ok, style),
            Esc(&a.result)
        )?;
    }
    let rtt = p
        .rtt
        .as_ref()
        .map(|x| {
            format!(
                ", rtt min/avg/max {:.2}/{:.2}/{:.2} ms",
                x.min_ms, x.avg_ms, x.max_ms
            )
        })
        .unwrap_or_default();
    writeln!(
        out,
        "{} sent, {} ok, {:.0}% loss{rtt}",
        p.sent, p.received, p.loss_pct
    )?;
    Ok(())
}

pub fn text(out: &mut dyn Write, r: &ProbeReport, style: &Style) -> Written {
    if r.probes.len() > 1 {
        let mut t = table(
            &[
                "FROM",
                "TARGET",
                "MODE",
                "SENT",
                "OK",
                "LOSS",
                "RTT MIN/AVG/MAX MS",
                "LAST RESULT",
            ],
            style,
        );
        for p in &r.probes {
            t.add_row(vec![
                esc(&p.from),
                esc(&p.target),
                esc(&p.mode),
                p.sent.to_string(),
                mark(p.received > 0, style) + &format!(" {}", p.received),
                format!("{:.0}%", p.loss_pct),
                p.rtt
                    .as_ref()
                    .map(|x| format!("{:.2}/{:.2}/{:.2}", x.min_ms, x.avg_ms, x.max_ms))
                    .unwrap_or_else(|| "-".into()),
                p.attempts
                    .last()
                    .map(|a| esc(&a.result))
                    .unwrap_or_default(),
            ]);
        }
        write_table(out, &t)?;
    } else {
        for p in &r.probes {
            attempts(out, p, style)?;
        }
    }
    for p in r.probes.iter().filter(|p| p.why.is_some()) {
        why(out, p)?;
    }
    for m in &r.pmtu {
        writeln!(
            out,
            "path MTU from {} to {}: {}",
            Esc(&m.from),
            Esc(&m.target),
            match m.pmtu {
                Some(v) => format!("{v} bytes (interface MTU {})", m.interface_mtu),
                None => format!("no size passed (interface MTU {})", m.interface_mtu),
            }
        )?;
        for s in &m.steps {
            writeln!(
                out,
                "  {:>5}  {:<4}  {}",
                s.size,
                mark(s.ok, style),
                Esc(&s.result)
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::probe::ProbeAttempt;

    fn run(mode: &str, result: &str) -> ProbeReport {
        ProbeReport {
            probes: vec![ProbeRun {
                from: "default/web-0".into(),
                from_netns: 1,
                target: "10.244.2.7".into(),
                mode: mode.into(),
                attempts: vec![ProbeAttempt {
                    seq: 1,
                    ok: true,
                    result: result.into(),
                    latency_ms: Some(0.42),
                }],
                sent: 1,
                received: 1,
                loss_pct: 0.0,
                rtt: None,
                icmp_id: None,
                why: None,
            }],
            ..ProbeReport::default()
        }
    }

    fn attempt_line(r: &ProbeReport) -> String {
        let mut out = Vec::new();
        let style = Style {
            color: false,
            wide: false,
            verbose: 0,
        };
        text(&mut out, r, &style).unwrap();
        let text = String::from_utf8(out).unwrap();
        text.lines().nth(1).unwrap_or_default().to_string()
    }

    #[test]
    fn each_attempt_line_says_its_rtt_once() {
        let icmp = attempt_line(&run("icmp", "reply 0.42 ms"));
        assert_eq!(icmp, "    1  ok    reply 0.42 ms");
        let tcp = attempt_line(&run("tcp", "connected"));
        assert_eq!(tcp, "    1  ok    connected  0.42 ms");
    }
}
