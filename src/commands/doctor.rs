//! `podnet doctor`: reads the node's kernel state twice a moment apart
//! (inside the node's network namespace), joins it with the pods attached to
//! the node, and prints each check's verdict, evidence and fix; when eBPF
//! allows, it watches the kernel's drops during the sample. Read-only.

use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

use crate::analyze::doctor::{self, Context, NodePod, RemoteCidr, cidrs, node_pods};
use crate::analyze::veth;
use crate::analyze::veth::NetnsExtra;
use crate::cli::DoctorArgs;
use crate::discover::kube_nodes::NodeCidrs;
use crate::error::{Error, Outcome, Result};
use crate::lab::state::LabState;
use crate::model::doctor::{Check, DoctorReport, LabDoctorReport, NodeFacts, NodeRef, Status};
use crate::model::{Netns, PairStatus, VethPair};
use crate::render;
use crate::sys::kernel_info;

use super::ctx::Ctx;
use super::inventory::{self, ScanOptions, VisitWants};
use super::node_facts::{read_facts, visit};
use super::{doctor_env, doctor_lab};

/// Check ids, in the order they are shown.
pub const CHECK_IDS: &[&str] = &[
    "ip-forward",
    "rp-filter",
    "mtu",
    "tunnel",
    "routes",
    "firewall",
    "veth",
    "pods",
    "bridge-nf",
    "conntrack",
    "cni",
    "node-env",
    "kernel-stats",
];

/// Old names of checks, still accepted by `--check`.
pub const CHECK_ALIASES: &[(&str, &str)] = &[("forward-policy", "firewall")];

/// The check id a `--check` value names.
fn check_id(given: &str) -> Result<&'static str> {
    if let Some(id) = CHECK_IDS.iter().find(|id| **id == given) {
        return Ok(id);
    }
    if let Some((_, id)) = CHECK_ALIASES.iter().find(|(alias, _)| *alias == given) {
        return Ok(id);
    }
    Err(Error::Usage(format!(
        "no check {given:?}; the checks are {}",
        CHECK_IDS.join(", ")
    )))
}

pub fn run(ctx: &Ctx, args: &DoctorArgs, out: &mut dyn Write) -> Result<Outcome> {
    let wanted: Vec<&'static str> = args
        .check
        .iter()
        .map(|c| check_id(c))
        .collect::<Result<_>>()?;
    let started = Instant::now();
    // the kernel's drop reasons during the sample, for kernel-stats, when
    // eBPF allows (before any thread: watching may mount tracefs in a mount
    // namespace of ours; BTF, kallsyms and the program load cost start-up)
    let drops_wanted = wanted.is_empty() || wanted.contains(&"kernel-stats");
    let mut watch = drops_wanted
        .then(|| super::drops::Watch::start(ctx).ok())
        .flatten();
    let api = doctor_env::start_node_cidrs(ctx);
    let mut inv = inventory::scan(
        ctx,
        "doctor",
        &ScanOptions {
            deep: false,
            visit: VisitWants {
                stats: true,
                routes: true,
                ..VisitWants::PAIRING
            },
        },
    )?;
    let nss = &inv.report.namespaces;
    let lab = match &args.lab {
        Some(name) => Some(doctor_lab::lab_named(name.as_deref())?),
        None => None,
    };
    let judged = judged_nodes(ctx, nss, args, lab.as_ref())?;
    let pairs = veth::pair_all(nss, &mut inv.extra, true);
    let api = doctor_env::join_node_cidrs(api, &mut inv.report.warnings);

    // the first read of every judged node, then one pause, then the second
    let seen = Seen {
        nss,
        pairs: &pairs,
        extra: &inv.extra,
        api: api.as_deref(),
        lab: lab.as_ref(),
    };
    let nodes = judged
        .iter()
        .map(|&i| first_read(ctx, &seen, &nss[i]))
        .collect::<Result<Vec<_>>>()?;
    let sample = args.sample;
    std::thread::sleep(sample.saturating_sub(started.elapsed().min(sample / 2)));
    let drops = watch
        .as_mut()
        .map(|w| w.drain(&crate::analyze::drops::Places::from_namespaces(nss)));
    let mut reports = Vec::new();
    for first in nodes {
        reports.push(judge(first, drops.as_deref(), started, &wanted)?);
    }
    let mut warnings = std::mem::take(&mut inv.report.warnings);
    if lab.is_none() && args.node_netns.is_none() {
        warnings.extend(doctor_lab::lab_hint(reports.first()));
    }
    let failed = reports
        .iter()
        .flat_map(|r| &r.checks)
        .any(|c| c.status == Status::Fail);
    write_reports(ctx, out, lab.map(|(name, _)| name), reports, warnings)?;
    Ok(if failed {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
}

/// The namespaces doctor judges: a lab's nodes, the one `--node-netns`
/// names, or the host.
fn judged_nodes(
    ctx: &Ctx,
    nss: &[Netns],
    args: &DoctorArgs,
    lab: Option<&(String, LabState)>,
) -> Result<Vec<usize>> {
    Ok(match (lab, &args.node_netns) {
        (Some((name, state)), _) => doctor_lab::lab_node_indices(nss, name, state)?,
        (None, Some(r)) => vec![inventory::resolve_ref(&ctx.root, nss, r)?],
        (None, None) => vec![nss.iter().position(|n| n.host).ok_or_else(|| {
            Error::other("the host network namespace was not found (is PID 1 readable?)")
        })?],
    })
}

/// What the scan saw, shared by every judged node.
struct Seen<'a> {
    nss: &'a [Netns],
    pairs: &'a [VethPair],
    extra: &'a HashMap<u64, NetnsExtra>,
    api: Option<&'a [NodeCidrs]>,
    lab: Option<&'a (String, LabState)>,
}

/// A judged node after its first read: its facts, context and the FIB
/// lookups the second read answers.
struct FirstRead<'a> {
    node: &'a Netns,
    label: String,
    target: crate::sys::netns::NetnsTarget,
    facts: NodeFacts,
    cx: Context,
    queries: Vec<doctor::FibQuery>,
}

fn first_read<'a>(ctx: &Ctx, seen: &Seen<'_>, node: &'a Netns) -> Result<FirstRead<'a>> {
    let label = node_label(node);
    let target = inventory::target(&ctx.root, node);
    let mut facts = visit(&target, |inside| read_facts(inside, None))?;
    facts.netns_inode = node.inode;
    let mut cx = context(ctx, &facts, node, seen.nss, seen.pairs, &label, seen.extra);
    if let Some(api) = seen.api {
        cidrs::add_api(
            &mut cx,
            api,
            doctor_lab::node_name_for_api(ctx, node, seen.lab).as_deref(),
        );
    }
    add_peers(ctx, &facts, node, seen.nss, seen.pairs, &mut cx);
    let queries = doctor::fib_queries(&facts, &cx);
    Ok(FirstRead {
        node,
        label,
        target,
        facts,
        cx,
        queries,
    })
}

/// The second read after the sample, then every check (those `wanted`).
fn judge(
    first: FirstRead<'_>,
    drops: Option<&[crate::model::drops::Drop]>,
    started: Instant,
    wanted: &[&str],
) -> Result<DoctorReport> {
    let FirstRead {
        node,
        label,
        target,
        mut facts,
        mut cx,
        queries,
    } = first;
    cx.kernel_drops = drops.map(|all| {
        let mine: Vec<u64> = std::iter::once(node.inode)
            .chain(cx.pods.iter().filter_map(|p| p.inode))
            .collect();
        all.iter()
            .filter(|d| d.netns_inode.is_some_and(|i| mine.contains(&i)))
            .cloned()
            .collect()
    });
    let later = visit(&target, |inside| read_facts(inside, Some(&queries)))?;
    facts.sample_secs = started.elapsed().as_secs_f64();
    facts.counters_after = later.counters_before;
    facts.stats_later = later
        .interfaces
        .iter()
        .filter_map(|i| Some((i.ifindex, i.stats?)))
        .collect();
    facts.fib = later.fib;
    let mut checks: Vec<Check> = doctor::run_all(&facts, &cx);
    if !wanted.is_empty() {
        checks.retain(|c| wanted.contains(&c.id));
    }
    Ok(DoctorReport {
        node: NodeRef {
            netns_inode: node.inode,
            label,
        },
        checks,
        warnings: Vec::new(),
    })
}

/// One report per node with `--lab` (`lab` names it), else the one node's.
fn write_reports(
    ctx: &Ctx,
    out: &mut dyn Write,
    lab: Option<String>,
    mut reports: Vec<DoctorReport>,
    warnings: Vec<String>,
) -> Result<()> {
    match lab {
        Some(name) => {
            let report = LabDoctorReport {
                lab: name,
                nodes: reports,
                warnings,
            };
            if ctx.json() {
                render::write_json(out, &report)?;
            } else {
                for r in &report.nodes {
                    render::doctor::text(out, r, &ctx.style)?;
                    writeln!(out).map_err(Error::output)?;
                }
                ctx.warn(&report.warnings);
            }
        }
        None => {
            let mut report = reports.remove(0);
            report.warnings = warnings;
            if ctx.json() {
                render::write_json(out, &report)?;
            } else {
                render::doctor::text(out, &report, &ctx.style)?;
                ctx.warn(&report.warnings);
            }
        }
    }
    Ok(())
}

/// How a judged namespace is named in evidence.
fn node_label(node: &Netns) -> String {
    match (node.host, node.paths.first()) {
        (true, _) => format!("the host netns {}", node.inode),
        (false, Some(p)) => format!("netns {} ({p})", node.inode),
        (false, None) => format!("netns {}", node.inode),
    }
}

/// The pods attached to the node, the CIDRs, the machine and the CNI setup.
fn context(
    ctx: &Ctx,
    f: &NodeFacts,
    node: &Netns,
    nss: &[Netns],
    pairs: &[VethPair],
    label: &str,
    extra: &HashMap<u64, NetnsExtra>,
) -> Context {
    let mine = node_pods::pairs_of_node(pairs, node);
    let pods: Vec<NodePod> = mine.iter().filter_map(|p| node_pods::node_pod(p)).collect();
    let mut local = cidrs::local(f, &pods, &node_pods::pod_prefixes(&mine));
    // the machine's files describe the host's node, not a namespace judged as one
    let cni = doctor_env::cni_facts(&ctx.root);
    let mut cluster = Vec::new();
    if node.host {
        let flannel = doctor_env::flannel_env(&ctx.root);
        local.extend(flannel.subnet);
        local.extend(cni.configs.iter().flat_map(|c| c.subnets.iter().copied()));
        cluster.extend(
            flannel
                .network
                .map(|n| (n, format!("{} FLANNEL_NETWORK", doctor_env::FLANNEL_ENV))),
        );
        local.sort();
        local.dedup();
    }
    let mut remote = cidrs::within_cluster(cidrs::remote_from_node(f, &local), &cluster);
    let lab = doctor_lab::lab_of(node.inode);
    if let Some((name, state)) = &lab {
        cidrs::merge(
            &mut remote,
            doctor_lab::lab_cidrs(name, state, node.inode),
            &local,
        );
    }
    let layout = lab.as_ref().map(|(_, s)| doctor_lab::layout(s, node.inode));
    let pod_views = node_pods::pod_views(node, nss, pairs, extra, layout.as_ref());
    let orphan_veths = mine
        .iter()
        .filter(|p| p.status == PairStatus::Orphan)
        .filter_map(|p| p.host_if.as_ref().map(|h| h.name.clone()))
        .collect();
    Context {
        node_label: label.to_string(),
        pods,
        remote_cidrs: remote,
        local_cidrs: local,
        env: doctor_env::env_facts(&ctx.root, f),
        cni,
        cluster_cidrs: cluster,
        orphan_veths,
        orphan_netns: node_pods::orphan_netns(nss, pairs),
        kernel_release: kernel_info::release(),
        pod_views,
        ..Default::default()
    }
}

/// Finds the other nodes on this machine and reads what doctor needs of
/// them; with any, also every address the machine's namespaces hold.
fn add_peers(
    ctx: &Ctx,
    f: &NodeFacts,
    node: &Netns,
    nss: &[Netns],
    pairs: &[VethPair],
    cx: &mut Context,
) {
    // a node's underlay can be a veth to the other node: only a namespace
    // with a pod or a pause process is a pod
    let pod_inodes: std::collections::BTreeSet<u64> = pairs
        .iter()
        .filter(|p| p.pod.is_some() || p.pause_pid.is_some())
        .filter_map(|p| p.netns_inode)
        .collect();
    let lab_nodes: Vec<u64> = cx
        .remote_cidrs
        .iter()
        .filter_map(|r| r.node_inode)
        .collect();
    let queries = doctor::peer_queries(cx);
    for i in super::doctor_peers::candidates(f, node, nss, &pod_inodes, &lab_nodes) {
        if let Some(p) = super::doctor_peers::read(&ctx.root, &nss[i], &queries) {
            cx.peers.push(p);
        }
    }
    for p in &cx.peers {
        let more = p
            .pod_cidrs
            .iter()
            .map(|(cidr, what)| RemoteCidr {
                cidr: *cidr,
                source: format!("{} holds {what}", p.label),
                node_inode: Some(p.inode),
            })
            .collect();
        cidrs::merge(&mut cx.remote_cidrs, more, &cx.local_cidrs);
    }
    if !cx.peers.is_empty() {
        cx.machine_addresses = nss
            .iter()
            .flat_map(super::doctor_peers::addresses)
            .collect();
    }
}
