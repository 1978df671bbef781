//! Building a lab (`lab up`; kernel, file and process I/O through
//! `sys::netns_create`, `lab::store`, `lab::namespaces` and the CNI
//! plumbing kit): the switch and node namespaces and their overlay (by
//! reconciling each namespace to its desired state), then the pods through
//! the kit (`cni_runtime::Runtime`, one per node and worker, with the lab's
//! own conf, cache, netns and IPAM directories), then what the plugin made
//! recorded so `lab fix` can restore it. Each namespace and pod is
//! recorded as soon as it exists. A failure, Ctrl-C or SIGTERM tears down
//! what was built.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Map;

use crate::cni::types::CniResult;
use crate::commands::cni_runtime::{AttachmentInfo, PodSpec, Runtime, RuntimeConfig};
use crate::error::{Error, Result};
use crate::sys::{netns_create, netns_run, signals};

use super::desired;
use super::entries::{NeighEntry, RouteEntry};
use super::namespaces;
use super::net::Net;
use super::plan::{self, Params};
use super::reconcile::NsChanges;
use super::service;
use super::state::{LabState, NodeState, PodState, STATE_VERSION, SwitchState};
use super::store as lab_store;
use super::teardown::teardown;

/// Pods plumbed at once (each a pause process and a plugin run).
const ADD_WORKERS: usize = 8;

/// How `lab up` ended when it did not fail.
pub enum Up {
    /// Built, in this long.
    Built(Box<LabState>, Duration),
    /// Ctrl-C or SIGTERM: everything built is removed again.
    Interrupted,
}

/// How far `up` has got, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Node namespaces created.
    Nodes { done: usize, total: usize },
    /// The underlay and the overlay are being reconciled.
    Network,
    /// Pods attached.
    Pods { done: usize, total: usize },
}

/// Where `up` reports its stages (from its pod workers too).
pub type Progress<'a> = &'a (dyn Fn(Stage) + Sync);

/// Builds the lab `params` plans, telling `progress` how far it is; on a
/// failure or an interrupt, removes what was built.
pub fn up(params: &Params, progress: Progress<'_>) -> Result<Up> {
    let p = plan::plan(params).map_err(Error::Usage)?;
    let dir = lab_store::lab_dir(&params.name);
    let exists = || {
        Error::with_hint(
            format!("lab {} is already up ({})", params.name, dir.display()),
            format!(
                "podnet lab status --name {0} shows it; podnet lab down --name {0} removes it",
                params.name
            ),
        )
    };
    if dir.exists() {
        return Err(exists());
    }
    // Ctrl-C (or SIGTERM) tears down what was built, then exits 130
    signals::catch_interrupts().map_err(|e| Error::io("install the Ctrl-C handler", e))?;
    lab_store::create_dir(&dir).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            exists()
        } else {
            Error::io("create the lab directory", e)
        }
    })?;
    let lock = lab_store::lock(&dir).map_err(|e| Error::io("lock the lab", e))?;
    let started = Instant::now();
    let mut state = new_state(params, &p, &dir);
    let built = build(&p, &dir, &mut state, progress);
    if built.is_err() || signals::interrupted() {
        let _ = service::save(&state);
        drop(lock);
        let cleanup = teardown(&dir, Some(&state));
        let interrupted = signals::interrupted();
        let e = match (built, interrupted) {
            (_, true) => Error::other("lab up was interrupted"),
            (Err(e), false) => e,
            (Ok(()), false) => Error::other("lab up did not finish"),
        };
        return match cleanup {
            Ok(_) if interrupted => Ok(Up::Interrupted),
            Ok(_) => Err(e),
            Err(c) => Err(Error::with_hint(
                format!("{e}; and the cleanup failed: {c}"),
                format!("podnet lab down --name {}", params.name),
            )),
        };
    }
    drop(lock);
    Ok(Up::Built(Box::new(state), started.elapsed()))
}

/// The state of a lab that is about to be built: nothing recorded yet.
fn new_state(params: &Params, p: &plan::Plan, dir: &Path) -> LabState {
    LabState {
        version: STATE_VERSION,
        name: params.name.clone(),
        dir: dir.display().to_string(),
        created_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        complete: false,
        overlay: params.overlay,
        mode: params.mode,
        cidr: params.cidr,
        pods_per_node: params.pods_per_node,
        pod_mtu: p.pod_mtu,
        bridge_nf_call_iptables: None,
        switch: SwitchState {
            netns: String::new(),
            inode: 0,
            bridge: plan::SWITCH_BRIDGE.into(),
        },
        nodes: Vec::new(),
        pods: Vec::new(),
        faults: Vec::new(),
    }
}

fn io_err(what: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::io(what, e)
}

/// Stops the build at a step boundary once Ctrl-C (or SIGTERM) arrived.
fn stop_if_interrupted() -> Result<()> {
    if signals::interrupted() {
        return Err(Error::other("interrupted"));
    }
    Ok(())
}

/// Builds everything; `state` records what exists so far (for teardown).
fn build(p: &plan::Plan, dir: &Path, state: &mut LabState, progress: Progress<'_>) -> Result<()> {
    let netns_dir = dir.join("netns");
    let cni_dir = dir.join("cni");
    let conf_dir = cni_dir.join("net.d");
    let ipam_dir = dir.join("ipam");
    let pauses_dir = dir.join(lab_store::PAUSES_DIR);
    for d in [&netns_dir, &conf_dir, &ipam_dir, &pauses_dir] {
        lab_store::mkdirs(d).map_err(io_err("create the lab directories"))?;
    }
    // namespaces: the switch and the nodes, each recorded as soon as it
    // exists (and each is a bind mount under the lab directory, which is
    // how `lab down` finds it even without the state file)
    service::save(state)?;
    let sw =
        netns_create::create(&netns_dir, "switch").map_err(io_err("create the switch netns"))?;
    state.switch.inode = lab_store::inode_of(&sw).unwrap_or(0);
    state.switch.netns = sw.display().to_string();
    service::save(state)?;
    for (i, n) in p.nodes.iter().enumerate() {
        progress(Stage::Nodes {
            done: i,
            total: p.nodes.len(),
        });
        stop_if_interrupted()?;
        let path = netns_create::create(&netns_dir, &n.name)
            .map_err(io_err(format!("create the netns of {}", n.name)))?;
        let conflist = conf_dir.join(format!("{}.conflist", n.name));
        let node_ipam = ipam_dir.join(&n.name);
        state.nodes.push(NodeState::planned(
            n,
            path.display().to_string(),
            lab_store::inode_of(&path).unwrap_or(0),
            conflist.display().to_string(),
            node_ipam.display().to_string(),
        ));
        service::save(state)?;
        let text = serde_json::to_vec_pretty(&plan::conflist(
            p.params.mode,
            p.pod_mtu,
            n.pod_cidr,
            n.gateway,
            &node_ipam.display().to_string(),
        ))
        .map_err(|e| Error::other(e.to_string()))?;
        lab_store::write_atomic(&conflist, &text).map_err(io_err("write the CNI configuration"))?;
    }
    stop_if_interrupted()?;
    // br_netfilter decides whether bridged pod traffic meets iptables
    if let Some(n) = state.nodes.first() {
        let v = netns_run::in_netns(Path::new(&n.netns), || {
            Ok(crate::sys::sysctl::read("net/bridge/bridge-nf-call-iptables").ok())
        })
        .map_err(io_err("read bridge-nf-call-iptables"))?;
        state.bridge_nf_call_iptables = v.map(|s| s == "1");
    }
    // the underlay and the overlay, by reconciling to the desired state
    progress(Stage::Network);
    fail_on_changes_errors(namespaces::reconcile(state, None, false))?;
    stop_if_interrupted()?;
    // the pods
    add_pods(p, dir, state, progress)?;
    stop_if_interrupted()?;
    record_plugin_state(state)?;
    state.complete = true;
    service::save(state)?;
    // everything must now be as desired; apply whatever is left (the new
    // host veths' per-interface sysctls) and fail loudly on an error
    fail_on_changes_errors(namespaces::reconcile(state, None, false))?;
    let left = namespaces::reconcile(state, None, true);
    if let Some(c) = left.iter().find(|c| !c.actions.is_empty()) {
        return Err(Error::other(format!(
            "the lab did not settle: {} still differs ({})",
            c.namespace,
            c.actions
                .iter()
                .map(|a| a.command.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    Ok(())
}

fn fail_on_changes_errors(changes: Vec<NsChanges>) -> Result<()> {
    for c in &changes {
        if let Some(p) = c.problems.first() {
            return Err(Error::other(format!("{}: {p}", c.namespace)));
        }
        if let Some(a) = c.actions.iter().find(|a| a.error.is_some()) {
            return Err(Error::other(format!(
                "{}: {}",
                c.namespace,
                a.error.clone().unwrap_or_default()
            )));
        }
    }
    Ok(())
}

/// Adds every pod through the kit, several at a time; each one is
/// recorded (and the state saved) as soon as it exists.
fn add_pods(
    p: &plan::Plan,
    dir: &Path,
    state: &mut LabState,
    progress: Progress<'_>,
) -> Result<()> {
    if p.pods.is_empty() {
        return Ok(());
    }
    // interleave the nodes so that every node's plugin runs overlap
    let mut order: Vec<&plan::PodPlan> = p.pods.iter().collect();
    order.sort_by_key(|pp| {
        (
            pp.name
                .rsplit('-')
                .next()
                .and_then(|s| s.parse::<u32>().ok()),
            pp.node,
        )
    });
    let nodes: Vec<NodeState> = state.nodes.clone();
    let shared = Mutex::new((state.clone(), None::<Error>));
    let next = AtomicUsize::new(0);
    let workers = ADD_WORKERS.min(order.len());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| add_worker(dir, &nodes, &order, &next, &shared, progress));
        }
    });
    let (mut st, err) = shared
        .into_inner()
        .map_err(|_| Error::other("a pod worker panicked"))?;
    // the plan's order, not the order they finished in
    let rank: HashMap<String, usize> = p
        .pods
        .iter()
        .enumerate()
        .map(|(i, pp)| (pp.full(), i))
        .collect();
    st.pods
        .sort_by_key(|pod| rank.get(&pod.full()).copied().unwrap_or(usize::MAX));
    *state = st;
    match err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// One pod worker: adds the next pod of `order` until none is left, the
/// first error is recorded or an interrupt arrives; records each pod (and
/// saves the state) as soon as it exists.
fn add_worker(
    dir: &Path,
    nodes: &[NodeState],
    order: &[&plan::PodPlan],
    next: &AtomicUsize,
    shared: &Mutex<(LabState, Option<Error>)>,
    progress: Progress<'_>,
) {
    let mut runtimes: HashMap<String, Runtime> = HashMap::new();
    loop {
        if shared.lock().map(|g| g.1.is_some()).unwrap_or(true) {
            break;
        }
        if signals::interrupted() {
            if let Ok(mut g) = shared.lock() {
                g.1.get_or_insert_with(|| Error::other("interrupted"));
            }
            break;
        }
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(pp) = order.get(i) else { break };
        let r = add_pod(dir, nodes, pp, &mut runtimes);
        let Ok(mut g) = shared.lock() else { break };
        match r {
            Ok(pod) => {
                g.0.pods.push(pod);
                progress(Stage::Pods {
                    done: g.0.pods.len(),
                    total: order.len(),
                });
                if let Err(e) = service::save(&g.0) {
                    g.1 = Some(e);
                }
            }
            Err(e) => {
                if g.1.is_none() {
                    g.1 = Some(Error::other(format!("add pod {}: {e}", pp.full())));
                }
            }
        }
    }
}

/// Adds one pod through its node's runtime (made on first use).
fn add_pod(
    dir: &Path,
    nodes: &[NodeState],
    pp: &plan::PodPlan,
    runtimes: &mut HashMap<String, Runtime>,
) -> Result<PodState> {
    let node = nodes
        .iter()
        .find(|n| n.index == pp.node)
        .ok_or_else(|| Error::other(format!("no node {}", pp.node)))?;
    if !runtimes.contains_key(&node.name) {
        runtimes.insert(node.name.clone(), Runtime::new(runtime_config(dir, node))?);
    }
    let rt = runtimes
        .get(&node.name)
        .ok_or_else(|| Error::other("runtime vanished"))?;
    let list = rt.load_network(&node.conflist)?;
    let info = rt.add(
        &list,
        &PodSpec {
            namespace: pp.namespace.clone(),
            name: pp.name.clone(),
            ifname: plan::POD_IFNAME.into(),
            extra_args: vec![("IP".into(), pp.ip.to_string())],
            capability_args: Map::new(),
        },
    )?;
    pod_state(pp, node, &info)
}

/// The kit's configuration for a node's pods: the lab's own conf, cache,
/// netns and IPAM directories, plugins run in the node's namespace.
fn runtime_config(dir: &Path, node: &NodeState) -> RuntimeConfig {
    RuntimeConfig {
        conf_dir: dir.join("cni").join("net.d"),
        bin_dirs: Vec::new(),
        cache_dir: dir.join("cni"),
        netns_dir: dir.join("netns"),
        node_netns: Some(PathBuf::from(&node.netns)),
        data_dir: PathBuf::from(&node.ipam_dir),
        ..RuntimeConfig::default()
    }
}

fn pod_state(pp: &plan::PodPlan, node: &NodeState, info: &AttachmentInfo) -> Result<PodState> {
    let bad = |what: &str| Error::other(format!("pod {}: the CNI result has no {what}", pp.full()));
    let result = info
        .result
        .as_ref()
        .and_then(|r| CniResult::from_json(r).ok())
        .ok_or_else(|| bad("result"))?;
    let ip = result
        .ips
        .iter()
        .find_map(|i| match i.address {
            ipnet::IpNet::V4(n) => Some(n),
            _ => None,
        })
        .ok_or_else(|| bad("IPv4 address"))?;
    let host_veth = result
        .interfaces
        .iter()
        .find(|i| i.sandbox.is_empty() && i.name != plan::CNI_BRIDGE)
        .map(|i| i.name.clone())
        .ok_or_else(|| bad("host interface"))?;
    let netns = info.netns.clone().ok_or_else(|| bad("netns"))?;
    let pause = info.pause_pid.ok_or_else(|| bad("pause process"))?;
    Ok(PodState {
        namespace: pp.namespace.clone(),
        name: pp.name.clone(),
        node: node.name.clone(),
        inode: lab_store::inode_of(Path::new(&netns)).unwrap_or(0),
        netns,
        ip: ip.addr(),
        prefix: ip.prefix_len(),
        container_id: info.sandbox_id.clone(),
        pause_pid: pause,
        host_veth,
        routes: Vec::new(),
        neighbours: Vec::new(),
    })
}

/// Records the routes and permanent neighbours the plugin made in each
/// pod, and its routes in each node (ptp host routes): the desired state
/// `lab fix` restores.
fn record_plugin_state(state: &mut LabState) -> Result<()> {
    let paths: Vec<PathBuf> = state.pods.iter().map(|p| PathBuf::from(&p.netns)).collect();
    let seen = namespaces::in_each(&paths, 8, |_| {
        let mut net = Net::new()?;
        net.links()?;
        let routes = net.routes()?;
        let neigh: Vec<NeighEntry> = net
            .neighbours()?
            .into_iter()
            .filter(|n| n.permanent)
            .filter_map(|n| {
                Some(NeighEntry {
                    dev: n.dev,
                    ip: n.ip,
                    mac: n.mac?,
                })
            })
            .collect();
        Ok((routes, neigh))
    });
    for (pod, r) in state.pods.iter_mut().zip(seen) {
        let (routes, neigh) = r.map_err(|e| Error::io(format!("read pod {}", pod.full()), e))?;
        pod.routes = routes;
        pod.neighbours = neigh;
    }
    let node_paths: Vec<PathBuf> = state
        .nodes
        .iter()
        .map(|n| PathBuf::from(&n.netns))
        .collect();
    let seen = namespaces::in_each(&node_paths, 4, |_| {
        let mut net = Net::new()?;
        net.links()?;
        net.routes()
    });
    let overlay: Vec<Vec<RouteEntry>> = state
        .nodes
        .iter()
        .map(|n| {
            state
                .nodes
                .iter()
                .filter(|m| m.name != n.name)
                .map(|m| desired::overlay_route(state, m))
                .collect()
        })
        .collect();
    for ((node, r), ov) in state.nodes.iter_mut().zip(seen).zip(overlay) {
        let routes = r.map_err(|e| Error::io(format!("read node {}", node.name), e))?;
        node.plugin_routes = routes.into_iter().filter(|r| !ov.contains(r)).collect();
    }
    Ok(())
}
