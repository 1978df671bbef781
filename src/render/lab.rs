//! The lab's tables and lines: a lab's headline, its node table and its
//! pod table; `lab up`'s progress line. Writes to a `&mut dyn Write` (the
//! progress line to stderr); no other I/O.

use std::io::{self, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::Written;
use crate::lab::fault::Fault;
use crate::lab::faults::Target;
use crate::lab::matrix::{self, Matrix, Pair};
use crate::lab::plan;
use crate::lab::state::LabState;
use crate::model::lab::{DownReport, FixReport, PodStatus};

use super::Style;

/// A lab document as JSON, through a `serde_json::Value`: the keys of
/// every object sorted, as the lab's documents have always had them.
pub fn write_json<T: Serialize>(out: &mut dyn Write, doc: &T) -> Written {
    let v = serde_json::to_value(doc).map_err(io::Error::other)?;
    super::write_json(out, &v)
}

/// A summary line of a lab.
pub fn headline(state: &LabState) -> String {
    format!(
        "lab {}: {} node{}, {} pod{}, {} overlay, {} pods (MTU {}), cluster CIDR {}",
        state.name,
        state.nodes.len(),
        if state.nodes.len() == 1 { "" } else { "s" },
        state.pods.len(),
        if state.pods.len() == 1 { "" } else { "s" },
        state.overlay.as_str(),
        state.mode.as_str(),
        state.pod_mtu,
        state.cidr
    )
}

/// The node table.
pub fn nodes_table(out: &mut dyn Write, state: &LabState, style: &Style) -> Written {
    let vxlan = state.overlay == plan::Overlay::Vxlan;
    let mut headers = vec!["NODE", "UNDERLAY", "POD CIDR", "PODS"];
    if vxlan {
        headers.extend(["VTEP", "VTEP MAC"]);
    }
    if style.wide {
        headers.push("NETNS");
    }
    let mut t = super::table(&headers, style);
    for n in &state.nodes {
        let mut row = vec![
            n.name.clone(),
            format!("{}/{}", n.underlay_ip, n.underlay_prefix),
            n.pod_cidr.to_string(),
            state.pods_of(&n.name).count().to_string(),
        ];
        if vxlan {
            row.push(format!("{} {}", plan::VXLAN_DEV, n.vtep_ip));
            row.push(n.vtep_mac.clone());
        }
        if style.wide {
            row.push(n.netns.clone());
        }
        t.add_row(row);
    }
    super::write_table(out, &t)
}

/// The pod table; `extra` adds a column per pod (status's liveness).
pub fn pods_table(
    out: &mut dyn Write,
    state: &LabState,
    style: &Style,
    extra: Option<(&str, &dyn Fn(usize) -> String)>,
) -> Written {
    let mut headers = vec!["POD", "NODE", "IP", "PAUSE", "HOST VETH"];
    if let Some((h, _)) = extra {
        headers.push(h);
    }
    if style.wide {
        headers.extend(["SANDBOX", "NETNS"]);
    }
    let mut t = super::table(&headers, style);
    for (i, p) in state.pods.iter().enumerate() {
        let mut row = vec![
            p.full(),
            p.node.clone(),
            p.ip.to_string(),
            p.pause_pid.to_string(),
            p.host_veth.clone(),
        ];
        if let Some((_, f)) = extra {
            row.push(f(i));
        }
        if style.wide {
            row.push(p.container_id.chars().take(12).collect());
            row.push(p.netns.clone());
        }
        t.add_row(row);
    }
    super::write_table(out, &t)
}

/// Above this many pods the grid is replaced by the findings alone.
const GRID_MAX: usize = 30;

/// The reachability matrix: its grid (small labs), findings and failures.
pub fn write_matrix(out: &mut dyn Write, m: &Matrix) -> Written {
    let n = m.pods.len();
    writeln!(
        out,
        "REACHABILITY  {} pairs x 2 probes in {:.0} ms: a ping, and a don't-fragment ping as big as the source's MTU",
        m.pairs.len(),
        m.elapsed_ms
    )?;
    if !m.full {
        writeln!(
            out,
            "(a sample: every pod to and from the first pod of each node; a full mesh would fill the machine's neighbour table)"
        )?;
    }
    if n <= GRID_MAX && n > 0 {
        writeln!(
            out,
            "(rows: from, columns: to; . ok, X lost, m only the big DF ping lost)"
        )?;
        let width = m.pods.iter().map(|p| p.pod.len()).max().unwrap_or(0);
        let head: String = (1..=n).map(|k| format!("{:>3}", k)).collect();
        writeln!(out, "{:w$}     {head}", "", w = width)?;
        for (i, a) in m.pods.iter().enumerate() {
            let row: String = m
                .pods
                .iter()
                .enumerate()
                .map(|(j, b)| {
                    let s = if i == j {
                        ' '
                    } else {
                        matrix::symbol(m.pair(&a.pod, &b.pod))
                    };
                    format!("{s:>3}")
                })
                .collect();
            writeln!(out, "{:>3} {:w$} {row}", i + 1, a.pod, w = width)?;
        }
    }
    for f in &m.findings {
        writeln!(out, "- {f}")?;
    }
    if !m.ok {
        let shown: Vec<&Pair> = m
            .pairs
            .iter()
            .filter(|p| !p.small.ok || !p.big.ok)
            .take(10)
            .collect();
        for p in &shown {
            let (which, c) = if !p.small.ok {
                ("ping", &p.small)
            } else {
                ("big DF ping", &p.big)
            };
            writeln!(
                out,
                "  {} -> {}: {which} failed: {}",
                p.from,
                p.to,
                c.error.clone().unwrap_or_default()
            )?;
        }
        let bad = m.pairs.iter().filter(|p| !p.small.ok || !p.big.ok).count();
        if bad > shown.len() {
            writeln!(
                out,
                "  … and {} more (-o json lists them all)",
                bad - shown.len()
            )?;
        }
    }
    Ok(())
}

/// `lab status` as text: the headline, the node table, the pod table with
/// each pod's state, the matrix and the faults `lab break` injected.
pub fn write_status(
    out: &mut dyn Write,
    state: &LabState,
    pods: &[PodStatus],
    matrix: Option<&Matrix>,
    style: &Style,
) -> Written {
    writeln!(out, "{}", headline(state))?;
    writeln!(out)?;
    nodes_table(out, state, style)?;
    writeln!(out)?;
    let col = |i: usize| {
        let p = &pods[i];
        match p.eth0_mtu {
            Some(m) if p.state == "running" && m != state.pod_mtu => {
                format!("running (eth0 MTU {m})")
            }
            _ => p.state.to_string(),
        }
    };
    pods_table(out, state, style, Some(("STATE", &col)))?;
    if let Some(m) = matrix {
        writeln!(out)?;
        write_matrix(out, m)?;
    }
    if !state.faults.is_empty() {
        let hidden = state.faults.iter().filter(|f| f.hidden).count();
        let named: Vec<String> = state
            .faults
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| {
                let on = f.pod.clone().or(f.node.clone()).unwrap_or_default();
                format!("{} on {on}", f.fault.as_str())
            })
            .collect();
        let mut parts = named;
        if hidden > 0 {
            parts.push(format!("{hidden} hidden (--random)"));
        }
        writeln!(out, "\nfaults injected by lab break: {}", parts.join(", "))?;
    }
    Ok(())
}

/// ` --name <lab>` for a lab that is not the default one ("" for it), to
/// complete the commands the text suggests.
pub fn name_flag(state: &LabState) -> String {
    if state.name == plan::DEFAULT_NAME {
        String::new()
    } else {
        format!(" --name {}", state.name)
    }
}

/// `lab break` as text: what was broken and where, or (`--random`) only
/// how to find it.
pub fn write_break(
    out: &mut dyn Write,
    state: &LabState,
    fault: Fault,
    target: &Target,
    done: &[String],
    random: bool,
) -> Written {
    let n = name_flag(state);
    if random {
        writeln!(
            out,
            "broke something in lab {} (a random fault, not named). Find it: podnet lab status{n}, podnet ns list, podnet veth list, podnet lab exec NODE -- ip route … Then podnet lab fix <fault>{n}, or fix --all.",
            state.name
        )?;
        return Ok(());
    }
    let on = match (&target.pod, &target.peer) {
        (Some(p), _) => format!("pod {p} (node {})", target.node),
        (None, Some(peer)) => format!("node {} (peer {peer})", target.node),
        _ => format!("node {}", target.node),
    };
    writeln!(out, "broke {} on {on}:", fault.as_str())?;
    for d in done {
        writeln!(out, "  {d}")?;
    }
    writeln!(
        out,
        "see it with podnet lab status{n}; undo it with podnet lab fix {}{n}",
        fault.as_str()
    )?;
    Ok(())
}

/// `lab fix` as text: each action run (or that would run), each failure
/// and what could not be fixed.
pub fn write_fix(out: &mut dyn Write, r: &FixReport) -> Written {
    let verb = if r.dry_run { "would run" } else { "ran" };
    if r.changed == 0 && r.problems.is_empty() {
        writeln!(
            out,
            "nothing to fix: lab {} is in its desired state{}",
            r.name,
            r.fault
                .map(|f| format!(" (as far as {} goes)", f.as_str()))
                .unwrap_or_default()
        )?;
    }
    for c in &r.namespaces {
        for x in &c.actions {
            match &x.error {
                None => writeln!(out, "{}: {verb}: {}", c.namespace, x.command)?,
                Some(e) => writeln!(out, "{}: FAILED: {e}", c.namespace)?,
            }
        }
        for p in &c.problems {
            writeln!(out, "{}: cannot fix: {p}", c.namespace)?;
        }
    }
    Ok(())
}

/// `lab up` as text: the headline with the build time, the node and pod
/// tables, and what to try next.
pub fn write_up(
    out: &mut dyn Write,
    state: &LabState,
    elapsed: Duration,
    style: &Style,
) -> Written {
    writeln!(
        out,
        "{} — up in {:.1} s",
        headline(state),
        elapsed.as_secs_f64()
    )?;
    writeln!(out)?;
    nodes_table(out, state, style)?;
    writeln!(out)?;
    pods_table(out, state, style, None)?;
    let n = name_flag(state);
    writeln!(
        out,
        "\nnext: podnet lab status{n} | podnet ns list | podnet veth list | podnet lab break --random{n} | podnet lab down{n}"
    )?;
    Ok(())
}

/// `lab down`'s line: what it stopped and removed, or that there was no lab.
pub fn write_down(out: &mut dyn Write, report: &DownReport, dir: &std::path::Path) -> Written {
    if !report.existed {
        writeln!(out, "lab {} is not up: nothing to do", report.name)?;
        return Ok(());
    }
    writeln!(
        out,
        "lab {} is down: {} pause process{} stopped, {} mount{} removed, {} gone",
        report.name,
        report.pause_stopped,
        if report.pause_stopped == 1 { "" } else { "es" },
        report.unmounted,
        if report.unmounted == 1 { "" } else { "s" },
        dir.display()
    )?;
    Ok(())
}

/// `lab up`'s progress line.
pub fn progress(stage: crate::lab::build::Stage) -> String {
    use crate::lab::build::Stage;
    match stage {
        Stage::Nodes { done, total } => format!("lab up: node namespaces {done}/{total}"),
        Stage::Network => "lab up: underlay and overlay".to_string(),
        Stage::Pods { done, total } => format!("lab up: pods {done}/{total}"),
    }
}

/// `lab up`'s progress on a terminal's stderr: one line, rewritten in
/// place, once the build has taken a second; nothing when piped or JSON.
pub struct ProgressLine {
    on: bool,
    started: Instant,
    shown: Mutex<bool>,
}

impl ProgressLine {
    /// How long a build runs silently before its progress shows.
    const AFTER: Duration = Duration::from_secs(1);

    pub fn new(on: bool) -> Self {
        ProgressLine {
            on,
            started: Instant::now(),
            shown: Mutex::new(false),
        }
    }

    pub fn show(&self, stage: crate::lab::build::Stage) {
        if !self.on || self.started.elapsed() < Self::AFTER {
            return;
        }
        if let Ok(mut shown) = self.shown.lock() {
            eprint!("\r\x1b[K{}", progress(stage));
            *shown = true;
        }
    }

    pub fn clear(&self) {
        if self.shown.lock().is_ok_and(|s| *s) {
            eprint!("\r\x1b[K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_names_the_stage() {
        use crate::lab::build::Stage;
        assert_eq!(
            progress(Stage::Nodes { done: 1, total: 3 }),
            "lab up: node namespaces 1/3"
        );
        assert_eq!(progress(Stage::Network), "lab up: underlay and overlay");
        assert_eq!(
            progress(Stage::Pods {
                done: 37,
                total: 150
            }),
            "lab up: pods 37/150"
        );
    }
}
