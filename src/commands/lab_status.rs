//! `podnet lab status`: a lab's nodes and pods (is each pause process still
//! ours and alive, each pod's eth0 MTU), and the live pod-to-pod
//! reachability matrix: from inside every pod, in parallel, an ordinary
//! ping and a don't-fragment ping as big as the pod's MTU to every other
//! pod (`sys::icmp`), analysed by `lab::matrix`.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use crate::cli::LabStatusArgs;
use crate::error::{Error, Outcome, Result};
use crate::lab::matrix::{self, Cell, Matrix, Pair, PodRef};
use crate::lab::net;
use crate::lab::plan::{self, PodMode};
use crate::lab::state::{LabState, PodHealth};
use crate::sys::caps::{self, CAP_NET_RAW, CAP_SYS_ADMIN};
use crate::sys::icmp::{self, Batch, Probe, ProbeResult};

use super::Ctx;
use crate::lab::namespaces;
use crate::lab::service;
use crate::render::lab as render_lab;

/// Above this many pods the grid is replaced by the findings alone.
const GRID_MAX: usize = 30;
/// Probe threads (one source pod at a time each).
const PROBE_THREADS: usize = 64;

/// One pod as status sees it.
#[derive(Debug, Serialize)]
struct PodStatus {
    pod: String,
    node: String,
    ip: String,
    pause_pid: i32,
    host_veth: String,
    netns: String,
    /// `running`, `pause-gone` or `netns-gone`.
    state: &'static str,
    eth0_mtu: Option<u32>,
}

pub fn run(ctx: &Ctx, a: &LabStatusArgs, out: &mut dyn Write) -> Result<Outcome> {
    let needed: &[caps::Cap] = if a.no_probe {
        &[CAP_SYS_ADMIN]
    } else {
        &[CAP_SYS_ADMIN, CAP_NET_RAW]
    };
    caps::require("lab status", needed)?;
    let state = service::read_state(&a.lab.name)?;
    if !state.complete {
        return Err(Error::with_hint(
            format!("lab {} was not built to the end", state.name),
            format!("podnet lab down --name {}", state.name),
        ));
    }
    let pods = pod_status(&state);
    let matrix = if a.no_probe {
        None
    } else {
        Some(probe_matrix(
            &state,
            &pods,
            Duration::from_millis(a.timeout),
        ))
    };
    let all_running = pods.iter().all(|p| p.state == "running");
    let ok = all_running && matrix.as_ref().is_none_or(|m| m.ok);
    if ctx.json() {
        let faults: Vec<Value> = state
            .faults
            .iter()
            .map(|f| {
                if f.hidden {
                    json!({"hidden": true})
                } else {
                    json!({"fault": f.fault, "node": f.node, "pod": f.pod, "peer": f.peer, "hidden": false})
                }
            })
            .collect();
        crate::render::write_json(
            out,
            &json!({
                "name": state.name,
                "dir": state.dir,
                "overlay": state.overlay,
                "mode": state.mode,
                "cidr": state.cidr,
                "pod_mtu": state.pod_mtu,
                "nodes": state.nodes,
                "pods": pods,
                "faults": faults,
                "matrix": matrix,
                "ok": ok,
            }),
        )?;
    } else {
        writeln!(out, "{}", render_lab::headline(&state))?;
        writeln!(out)?;
        render_lab::nodes_table(out, &state, &ctx.style)?;
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
        render_lab::pods_table(out, &state, &ctx.style, Some(("STATE", &col)))?;
        if let Some(m) = &matrix {
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
    }
    Ok(if ok {
        Outcome::Clean
    } else {
        Outcome::Problems
    })
}

fn pod_status(state: &LabState) -> Vec<PodStatus> {
    let paths: Vec<PathBuf> = state.pods.iter().map(|p| PathBuf::from(&p.netns)).collect();
    let mtus = namespaces::in_each(&paths, 8, |_| net::link_mtu(plan::POD_IFNAME));
    state
        .pods
        .iter()
        .zip(mtus)
        .map(|(p, mtu)| {
            let health = namespaces::pod_health(p);
            let netns_ok = health != PodHealth::NetnsGone;
            let st = health.as_str();
            PodStatus {
                pod: p.full(),
                node: p.node.clone(),
                ip: p.ip.to_string(),
                pause_pid: p.pause_pid,
                host_veth: p.host_veth.clone(),
                netns: p.netns.clone(),
                state: st,
                eth0_mtu: if netns_ok { mtu.ok() } else { None },
            }
        })
        .collect()
}

fn cell(r: Option<&ProbeResult>, size: usize, df: bool, missing: &str) -> Cell {
    match r {
        Some(r) => Cell {
            ok: r.ok(),
            size: r.packet_size,
            df: r.dont_fragment,
            rtt_ms: r.best_rtt().map(|d| d.as_secs_f64() * 1000.0),
            error: r.failure().map(icmp::Outcome::describe),
        },
        None => Cell {
            ok: false,
            size,
            df,
            rtt_ms: None,
            error: Some(missing.to_string()),
        },
    }
}

/// Probes the ordered pairs of pods (two probes each) from inside the
/// source pods, all sources at once: every pair, or a sample when a full
/// mesh would need too many entries of the machine-wide neighbour table.
fn probe_matrix(state: &LabState, pods: &[PodStatus], timeout: Duration) -> Matrix {
    let started = Instant::now();
    let refs: Vec<PodRef> = state
        .pods
        .iter()
        .map(|p| PodRef {
            pod: p.full(),
            node: p.node.clone(),
            ip: p.ip.to_string(),
        })
        .collect();
    let limit = net::neighbour_table_limit().unwrap_or(1024);
    let plan = matrix::plan_pairs(&refs, state.mode == PodMode::Bridge, limit / 4);
    let probe = |ip: std::net::IpAddr| {
        Probe::new(ip)
            .count(2)
            .interval(Duration::from_millis(300))
            .timeout(timeout)
    };
    let mtu_of = |i: usize| pods[i].eth0_mtu.unwrap_or(state.pod_mtu) as usize;
    // one batch per running source pod: its destinations in plan order
    let mut dests: Vec<Vec<usize>> = vec![Vec::new(); state.pods.len()];
    for &(i, j) in &plan.pairs {
        dests[i].push(j);
    }
    let sources: Vec<usize> = (0..state.pods.len())
        .filter(|&i| pods[i].state == "running" && !dests[i].is_empty())
        .collect();
    let batches: Vec<Batch> = sources
        .iter()
        .map(|&i| Batch {
            netns: Some(PathBuf::from(&state.pods[i].netns)),
            probes: dests[i]
                .iter()
                .flat_map(|&j| {
                    let ip = std::net::IpAddr::V4(state.pods[j].ip);
                    [probe(ip), probe(ip).size(mtu_of(i)).dont_fragment(true)]
                })
                .collect(),
        })
        .collect();
    let results = icmp::probe_many(&batches, PROBE_THREADS);
    let mut pairs = Vec::with_capacity(plan.pairs.len());
    for (i, a) in state.pods.iter().enumerate() {
        let got = sources.iter().position(|&s| s == i).map(|k| &results[k]);
        for (n, &j) in dests[i].iter().enumerate() {
            let b = &state.pods[j];
            let (small, big) = match got {
                Some(Ok(rs)) => (rs.get(2 * n), rs.get(2 * n + 1)),
                _ => (None, None),
            };
            let why = match got {
                None => format!("source pod {}", pods[i].state),
                Some(Err(e)) => format!("cannot probe from it: {e}"),
                Some(Ok(_)) => "not probed".to_string(),
            };
            pairs.push(Pair {
                from: a.full(),
                to: b.full(),
                from_node: a.node.clone(),
                to_node: b.node.clone(),
                small: cell(small, 84, false, &why),
                big: cell(big, mtu_of(i), true, &why),
            });
        }
    }
    Matrix::new(
        refs,
        pairs,
        plan.full,
        started.elapsed().as_secs_f64() * 1000.0,
    )
}

fn write_matrix(out: &mut dyn Write, m: &Matrix) -> std::io::Result<()> {
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
