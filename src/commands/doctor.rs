//! `podnet doctor`: reads the node's kernel state twice a moment apart
//! (inside the node's network namespace), joins it with the pods attached to
//! the node, and prints each check's verdict, evidence and fix; when eBPF
//! allows, it watches the kernel's drops during the sample. Read-only.

use std::collections::HashMap;
use std::io::Write;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::analyze::doctor::{self, Context, NodePod, RemoteCidr, cidrs, env};
use crate::analyze::veth::NetnsExtra;
use crate::analyze::{resolve, veth};
use crate::cli::DoctorArgs;
use crate::discover;
use crate::discover::kube_nodes::NodeCidrs;
use crate::error::{Error, Outcome, Result};
use crate::lab::state::LabState;
use crate::model::doctor::{Check, DoctorReport, NodeFacts, NodeRef, Status};
use crate::model::{Netns, PairStatus, VethPair};
use crate::render;
use crate::sys::{HostRoot, kernel_info};

use super::Ctx;
use super::inventory::{self, ScanOptions, VisitWants};
use super::node_facts::{read_facts, visit};

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
    let api = start_node_cidrs(ctx);
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
        Some(name) => Some(lab_named(name.as_deref())?),
        None => None,
    };
    let judged = judged_nodes(nss, args, lab.as_ref())?;
    let pairs = veth::pair_all(nss, &mut inv.extra, true);
    let api = join_node_cidrs(api, &mut inv.report.warnings);

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
        warnings.extend(lab_hint(reports.first()));
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
    nss: &[Netns],
    args: &DoctorArgs,
    lab: Option<&(String, LabState)>,
) -> Result<Vec<usize>> {
    Ok(match (lab, &args.node_netns) {
        (Some((name, state)), _) => lab_node_indices(nss, name, state)?,
        (None, Some(r)) => vec![resolve::resolve(nss, r)?],
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
            node_name_for_api(ctx, node, seen.lab).as_deref(),
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
                    writeln!(out)?;
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

/// `doctor --lab`'s report: one section per node of the lab.
#[derive(Debug, serde::Serialize)]
struct LabDoctorReport {
    lab: String,
    nodes: Vec<DoctorReport>,
    warnings: Vec<String>,
}

/// How a judged namespace is named in evidence.
fn node_label(node: &Netns) -> String {
    match (node.host, node.paths.first()) {
        (true, _) => format!("the host netns {}", node.inode),
        (false, Some(p)) => format!("netns {} ({p})", node.inode),
        (false, None) => format!("netns {}", node.inode),
    }
}

/// Every lab on this machine with its state (unreadable ones left out).
fn labs() -> Vec<(String, crate::lab::state::LabState)> {
    use crate::lab::store as lab_store;
    lab_store::list()
        .into_iter()
        .filter_map(|name| {
            let bytes = lab_store::read_state(&lab_store::lab_dir(&name)).ok()??;
            let state = serde_json::from_slice(&bytes).ok()?;
            Some((name, state))
        })
        .collect()
}

/// The lab `--lab [NAME]` names: the only one when no name is given.
fn lab_named(name: Option<&str>) -> Result<(String, crate::lab::state::LabState)> {
    let mut all = labs();
    let names: Vec<String> = all.iter().map(|(n, _)| n.clone()).collect();
    match name {
        Some(n) => match all.iter().position(|(x, _)| x == n) {
            Some(i) => Ok(all.swap_remove(i)),
            None if names.is_empty() => Err(Error::Usage(format!(
                "no lab {n:?}: no lab is up on this machine (`podnet lab up`)"
            ))),
            None => Err(Error::Usage(format!(
                "no lab {n:?}; the labs are {}",
                names.join(", ")
            ))),
        },
        None => match all.len() {
            1 => Ok(all.remove(0)),
            0 => Err(Error::Usage(
                "no lab is up on this machine (`podnet lab up`)".into(),
            )),
            _ => Err(Error::Usage(format!(
                "{} labs are up ({}): name one, `--lab NAME`",
                names.len(),
                names.join(", ")
            ))),
        },
    }
}

/// The namespaces of a lab's nodes, in the lab's order.
fn lab_node_indices(
    nss: &[Netns],
    name: &str,
    state: &crate::lab::state::LabState,
) -> Result<Vec<usize>> {
    state
        .nodes
        .iter()
        .map(|n| {
            nss.iter().position(|x| x.inode == n.inode).ok_or_else(|| {
                Error::other(format!(
                    "lab {name}: node {}'s network namespace ({}) is gone; `podnet lab status {name}`",
                    n.name, n.netns
                ))
            })
        })
        .collect()
}

/// On a machine with a lab, plain `doctor` judges the host, which plays no
/// node when it holds no pod: say so, and how to judge the lab.
fn lab_hint(host: Option<&DoctorReport>) -> Option<String> {
    let names: Vec<String> = labs().into_iter().map(|(n, _)| n).collect();
    if names.is_empty() {
        return None;
    }
    let no_pods = host.is_none_or(|r| {
        r.checks
            .iter()
            .any(|c| c.id == "pods" && c.status == Status::Skip)
    });
    let what = if no_pods {
        "this judged the host, which holds no pod"
    } else {
        "this judged the host"
    };
    Some(format!(
        "lab {} is up on this machine; {what}: `podnet doctor --lab {}` judges every lab node, `--node-netns <node netns>` one of them",
        names.join(", "),
        names[0]
    ))
}

type NodeCidrsJob =
    std::thread::JoinHandle<std::result::Result<Vec<discover::kube_nodes::NodeCidrs>, String>>;

/// Starts the optional query of the nodes' pod CIDRs, under the same rules
/// as the pods' (asked when a kubeconfig is found or `--kube` is given).
fn start_node_cidrs(ctx: &Ctx) -> Option<NodeCidrsJob> {
    let args = &ctx.kube;
    if args.no_kube
        || !(args.kube || args.kubeconfig.is_some() || crate::sys::kube::config_present())
    {
        return None;
    }
    let req = crate::sys::kube::KubeRequest {
        kubeconfig: args.kubeconfig.clone(),
        node_name: String::new(),
        timeout: Duration::from_secs(5),
    };
    Some(std::thread::spawn(move || {
        let (_, nodes) = crate::sys::kube::list_nodes(&req)?;
        Ok(discover::kube_nodes::pod_cidrs(&nodes))
    }))
}

/// The nodes' pod CIDRs from the API, or a warning why not.
fn join_node_cidrs(
    job: Option<NodeCidrsJob>,
    warnings: &mut Vec<String>,
) -> Option<Vec<discover::kube_nodes::NodeCidrs>> {
    match job?.join() {
        Ok(Ok(v)) => Some(v),
        Ok(Err(e)) => {
            warnings.push(format!(
                "the nodes' pod CIDRs could not be read from the API: {e}"
            ));
            None
        }
        Err(_) => {
            warnings.push("the query of the nodes' pod CIDRs failed".into());
            None
        }
    }
}

/// The name the API knows the judged node by: a lab node's own name, else
/// --node-name / $NODE_NAME, else the hostname.
fn node_name_for_api(
    ctx: &Ctx,
    node: &Netns,
    lab: Option<&(String, crate::lab::state::LabState)>,
) -> Option<String> {
    if let Some((_, state)) = lab
        && let Some(n) = state.nodes.iter().find(|n| n.inode == node.inode)
    {
        return Some(n.name.clone());
    }
    ctx.kube
        .node_name
        .clone()
        .or_else(crate::sys::node::hostname)
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
    let mine = pairs_of_node(pairs, node);
    let pods: Vec<NodePod> = mine.iter().filter_map(|p| node_pod(p)).collect();
    let prefixes: Vec<(IpAddr, u8)> = mine
        .iter()
        .filter_map(|p| p.pod_if.as_ref())
        .flat_map(|i| i.addresses.iter())
        .filter_map(|a| {
            let (ip, len) = a.split_once('/')?;
            let ip: IpAddr = ip.parse().ok()?;
            (!is_link_local(&ip)).then_some((ip, len.parse().ok()?))
        })
        .collect();
    let mut local = cidrs::local(f, &pods, &prefixes);
    // the machine's files describe the host's node, not a namespace judged as one
    let cni = cni_facts(&ctx.root);
    let mut cluster = Vec::new();
    if node.host {
        let flannel = flannel_env(&ctx.root);
        local.extend(flannel.subnet);
        local.extend(cni.configs.iter().flat_map(|c| c.subnets.iter().copied()));
        cluster.extend(
            flannel
                .network
                .map(|n| (n, format!("{FLANNEL_ENV} FLANNEL_NETWORK"))),
        );
        local.sort();
        local.dedup();
    }
    let mut remote = cidrs::within_cluster(cidrs::remote_from_node(f, &local), &cluster);
    let lab = lab_of(node.inode);
    if let Some((name, state)) = &lab {
        cidrs::merge(&mut remote, lab_cidrs(name, state, node.inode), &local);
    }
    let pod_views = pod_views(node, nss, pairs, extra, lab.as_ref().map(|(_, s)| s));
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
        env: env_facts(&ctx.root, f),
        cni,
        cluster_cidrs: cluster,
        orphan_veths,
        orphan_netns: orphan_netns(nss, pairs),
        kernel_release: kernel_info::release(),
        pod_views,
        ..Default::default()
    }
}

/// The node's pods: a pause process or a name on the far side of the veth
/// (a lab's switch link to the node has neither), and orphans.
fn pairs_of_node<'a>(pairs: &'a [VethPair], node: &Netns) -> Vec<&'a VethPair> {
    pairs
        .iter()
        .filter(|p| {
            p.host_if
                .as_ref()
                .is_some_and(|h| h.netns_inode == node.inode)
        })
        .filter(|p| p.pod.is_some() || p.pause_pid.is_some() || p.status == PairStatus::Orphan)
        .collect()
}

/// A paired pod as the checks see it.
fn node_pod(p: &VethPair) -> Option<NodePod> {
    if p.status != PairStatus::Paired {
        return None;
    }
    let pod_if = p.pod_if.as_ref()?;
    let host = p.host_if.as_ref()?;
    let ip = pod_if
        .addresses
        .iter()
        .filter_map(|a| a.split('/').next()?.parse::<IpAddr>().ok())
        .find(|i| !is_link_local(i));
    Some(NodePod {
        label: p
            .pod
            .as_ref()
            .map(|x| x.display_name())
            .unwrap_or_else(|| format!("netns {}", p.netns_inode.unwrap_or(0))),
        pod_if: pod_if.name.clone(),
        pod_ip: ip,
        pod_mtu: pod_if.mtu,
        pod_tx_dropped: p
            .stats
            .as_ref()
            .and_then(|s| s.pod_if.as_ref())
            .map(|s| s.link.tx_dropped)
            .unwrap_or(0),
        host_ifindex: host.ifindex,
        inode: p.netns_inode,
    })
}

/// Bind-mounted namespaces nobody is in, holding a pod or nothing but
/// loopback, that are no node's.
fn orphan_netns(nss: &[Netns], pairs: &[VethPair]) -> Vec<String> {
    let hubs: Vec<u64> = pairs
        .iter()
        .filter_map(|p| p.host_if.as_ref().map(|h| h.netns_inode))
        .collect();
    nss.iter()
        .filter(|n| !n.host && n.pids == 0 && !n.paths.is_empty() && !hubs.contains(&n.inode))
        .filter(|n| n.pod.is_some() || n.interfaces.iter().all(|i| i.kind == "loopback"))
        .map(|n| format!("{} ({})", n.paths[0], n.inode))
        .collect()
}

/// The pod namespaces of this node, each with its interfaces and routes:
/// the pod side of every veth whose host end is here, and namespaces
/// holding a pod (a sandbox, a pause process) with no veth at all (no
/// eth0): on a lab node those the lab placed there, on the host every one
/// that is no other node's.
fn pod_views(
    node: &Netns,
    nss: &[Netns],
    pairs: &[VethPair],
    extra: &std::collections::HashMap<u64, crate::analyze::veth::NetnsExtra>,
    lab: Option<&crate::lab::state::LabState>,
) -> Vec<doctor::PodView> {
    let attached: Vec<u64> = pairs
        .iter()
        .filter(|p| {
            p.host_if
                .as_ref()
                .is_some_and(|h| h.netns_inode == node.inode)
        })
        .filter(|p| p.pod.is_some() || p.pause_pid.is_some())
        .filter_map(|p| p.netns_inode)
        .collect();
    let paired: Vec<u64> = pairs.iter().filter_map(|p| p.netns_inode).collect();
    let hubs: Vec<u64> = pairs
        .iter()
        .filter_map(|p| p.host_if.as_ref().map(|h| h.netns_inode))
        .collect();
    let lab_pods: Option<Vec<u64>> = lab.map(|s| {
        let me = s
            .nodes
            .iter()
            .find(|n| n.inode == node.inode)
            .map(|n| &n.name);
        s.pods
            .iter()
            .filter(|p| Some(&p.node) == me)
            .map(|p| p.inode)
            .collect()
    });
    let lab_nodes: Vec<u64> = lab
        .map(|s| s.nodes.iter().map(|n| n.inode).collect())
        .unwrap_or_default();
    nss.iter()
        .filter(|n| n.inode != node.inode && !n.host)
        .filter(|n| {
            attached.contains(&n.inode)
                || (!paired.contains(&n.inode)
                    && !hubs.contains(&n.inode)
                    && !lab_nodes.contains(&n.inode)
                    && (n.pod.is_some() || n.pause_pid.is_some())
                    && match &lab_pods {
                        Some(mine) => mine.contains(&n.inode),
                        None => node.host,
                    })
        })
        .map(|n| doctor::PodView {
            label: n.pod.as_ref().map(|x| x.display_name()).unwrap_or_else(|| {
                match n.paths.first() {
                    Some(p) => format!("netns {} ({p})", n.inode),
                    None => format!("netns {}", n.inode),
                }
            }),
            inode: n.inode,
            interfaces: n.interfaces.clone(),
            routes: extra.get(&n.inode).and_then(|e| e.routes.clone()),
        })
        .collect()
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

fn is_link_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 == 0xfe80,
    }
}

/// flannel's record of the cluster network and this node's subnet.
const FLANNEL_ENV: &str = "/run/flannel/subnet.env";

/// `/run/flannel/subnet.env`, when flannel runs here (empty otherwise).
fn flannel_env(root: &HostRoot) -> discover::flannel_env::FlannelEnv {
    crate::sys::files::read(root, FLANNEL_ENV, CNI_CONF_BYTES)
        .map(|b| discover::flannel_env::parse(&String::from_utf8_lossy(&b)))
        .unwrap_or_default()
}

/// The `podnet lab` this namespace is a node of, with its state.
fn lab_of(inode: u64) -> Option<(String, crate::lab::state::LabState)> {
    labs()
        .into_iter()
        .find(|(_, state)| state.nodes.iter().any(|n| n.inode == inode))
}

/// Pod CIDRs of the other nodes of a lab.
fn lab_cidrs(name: &str, state: &crate::lab::state::LabState, inode: u64) -> Vec<RemoteCidr> {
    state
        .nodes
        .iter()
        .filter(|n| n.inode != inode)
        .map(|n| RemoteCidr {
            cidr: n.pod_cidr.into(),
            source: format!("lab {name}: node {}", n.name),
            node_inode: Some(n.inode),
        })
        .collect()
}

/// The machine: PID 1, container markers, and the tunnels the node needs.
fn env_facts(root: &HostRoot, f: &NodeFacts) -> env::EnvFacts {
    let mut e = env::EnvFacts {
        pid1_comm: kernel_info::read_trimmed(root, "/proc/1/comm"),
        pid1_container_cgroup: kernel_info::read_trimmed(root, "/proc/1/cgroup").and_then(|cg| {
            cg.lines()
                .filter_map(|l| l.splitn(3, ':').nth(2))
                .find(|p| {
                    ["docker", "containerd", "kubepods", "lxc", "libpod", "crio"]
                        .iter()
                        .any(|k| p.contains(k))
                })
                .map(String::from)
        }),
        markers: ["/.dockerenv", "/run/.containerenv"]
            .iter()
            .filter(|m| kernel_info::exists(root, m))
            .map(|m| m.to_string())
            .collect(),
        ..Default::default()
    };
    for i in &f.interfaces {
        if matches!(
            i.kind.as_str(),
            "vxlan" | "ipip" | "geneve" | "wireguard" | "gre"
        ) {
            e.needed_tunnels
                .entry(i.kind.clone())
                .or_insert_with(|| format!("device {}", i.name));
        }
    }
    let modules = kernel_info::loaded_modules(root);
    let config = kernel_info::kernel_config(root);
    for kind in e.needed_tunnels.keys().cloned().collect::<Vec<_>>() {
        let (module, option) = match kind.as_str() {
            "vxlan" => ("vxlan", "CONFIG_VXLAN"),
            "ipip" => ("ipip", "CONFIG_NET_IPIP"),
            "geneve" => ("geneve", "CONFIG_GENEVE"),
            "wireguard" => ("wireguard", "CONFIG_WIREGUARD"),
            _ => ("ip_gre", "CONFIG_NET_IPGRE"),
        };
        let how = if modules.iter().any(|m| m == module) {
            Some(format!("module {module} loaded"))
        } else if let Some(v) = config
            .as_deref()
            .and_then(|c| discover::kconfig::value(c, option))
        {
            Some(format!("{option}={v} in /proc/config.gz"))
        } else if kernel_info::sys_module(root, module) {
            Some(format!("/sys/module/{module} exists"))
        } else if f.interfaces.iter().any(|i| i.kind == kind) {
            Some("a device of that kind exists".into())
        } else {
            None
        };
        e.tunnel_support.insert(kind, how);
    }
    e
}

/// The most podnet reads of one CNI network configuration.
const CNI_CONF_BYTES: u64 = 4 << 20;

/// The CNI configuration under the host root, the plugins it names, and leaks.
fn cni_facts(root: &HostRoot) -> env::CniFacts {
    let conf_dir = "/etc/cni/net.d".to_string();
    let mut bin_dirs: Vec<String> = ["/opt/cni/bin", "/usr/lib/cni", "/usr/libexec/cni"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (file, key) in [
        ("/etc/containerd/config.toml", "bin_dir"),
        ("/etc/crio/crio.conf", "plugin_dirs"),
    ] {
        if let Some(text) = kernel_info::read_trimmed(root, file) {
            bin_dirs.extend(discover::kconfig::toml_paths(&text, key));
        }
    }
    bin_dirs.dedup();
    let mut facts = env::CniFacts {
        conf_dir: conf_dir.clone(),
        bin_dirs: bin_dirs.clone(),
        ..Default::default()
    };
    let entries = crate::sys::files::list_dir(root, &conf_dir).unwrap_or_default();
    for name in entries
        .iter()
        .map(|e| &e.name)
        .filter(|n| n.ends_with(".conf") || n.ends_with(".conflist") || n.ends_with(".json"))
    {
        let path = format!("{conf_dir}/{name}");
        let mut conf = env::CniConf {
            path: path.clone(),
            ..Default::default()
        };
        match crate::sys::files::read(root, &path, CNI_CONF_BYTES) {
            Err(e) => conf.error = Some(e.to_string()),
            Ok(bytes) => match crate::cni::conflist::parse(&bytes) {
                Err(e) => conf.error = Some(e.to_string()),
                Ok(list) => {
                    conf.network = Some(list.name.clone());
                    conf.subnets = cidrs::conf_subnets(&list.plugins);
                    conf.plugins = (0..list.plugins.len())
                        .map(|i| {
                            let t = list.plugin_type(i).to_string();
                            let found = bin_dirs
                                .iter()
                                .map(|d| format!("{d}/{t}"))
                                .find(|p| kernel_info::exists(root, p));
                            let found = found
                                .or_else(|| (t == "podnet").then(|| "this binary".to_string()));
                            (t, found)
                        })
                        .collect();
                }
            },
        }
        facts.configs.push(conf);
    }
    if root.is_slash() {
        match super::cni_runtime::Runtime::new(super::cni_runtime::RuntimeConfig::default())
            .and_then(|rt| rt.gc(true, Duration::from_secs(60)))
        {
            Ok(report) => {
                facts.leaks = report
                    .leaks
                    .iter()
                    .map(|l| format!("{} {} ({})", l.kind, l.object, l.reason))
                    .collect()
            }
            Err(e) => facts.errors.push(format!("leak search: {e}")),
        }
    }
    facts
}
