//! What `lab status` measures (kernel I/O through `lab::namespaces`,
//! `lab::net` and `sys::icmp`): each pod's health and eth0 MTU, and the
//! live pod-to-pod reachability matrix — from inside every pod, in
//! parallel, an ordinary ping and a don't-fragment ping as big as the
//! pod's MTU to every other pod — analysed by `lab::matrix`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::model::lab::PodStatus;
use crate::sys::icmp::{self, Batch, Probe, ProbeResult};

use super::matrix::{self, Cell, Matrix, Pair, PodRef};
use super::namespaces;
use super::net;
use super::plan::{self, PodMode};
use super::state::{LabState, PodHealth};

/// Probe threads (one source pod at a time each).
const PROBE_THREADS: usize = 64;

/// Each pod's health and eth0 MTU.
pub fn pod_status(state: &LabState) -> Vec<PodStatus> {
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
pub fn probe_matrix(state: &LabState, pods: &[PodStatus], timeout: Duration) -> Matrix {
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
