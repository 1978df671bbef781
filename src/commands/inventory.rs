//! Builds the node inventory every pod-aware command starts from: every
//! network namespace with its processes, pause PID, interfaces and pod.
//! Wiring only: sys reads, discover parses, analyze joins.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::analyze::veth::NetnsExtra;
use crate::analyze::{identity, netns_merge, resolve};
use crate::cli::KubeArgs;
use crate::discover::{cgroup, cni_cache, kube_pods, mountinfo, oci, pod_logs, proc_stat};
use crate::error::{Error, Result};
use crate::model::{Claim, ClaimKey, LinkKind, Netns, NetnsReport, Process, SourceKind};
use crate::sys::netlink::RT_TABLE_MAIN;
use crate::sys::netns::{EnterError, NetnsTarget};
use crate::sys::runtime_files::{self, BundleStore, RuntimePaths};
use crate::sys::{HostRoot, caps, files, kube, netns, proc_scan};

use super::ctx::Ctx;

/// What the scan found.
pub struct Inventory {
    pub report: NetnsReport,
    pub processes: Vec<Process>,
    /// Per namespace (by inode): nsids, routes and ethtool counters, when asked for.
    pub extra: HashMap<u64, NetnsExtra>,
    /// Every identity claim the sources made, joined to a namespace or not.
    pub claims: Vec<Claim>,
}

/// Options of one scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Also read every process's open descriptors (`--deep`).
    pub deep: bool,
    /// What to read inside each namespace besides links and addresses.
    pub visit: VisitWants,
}

/// What a namespace visit reads besides links and addresses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VisitWants {
    /// The nsids each namespace gave the namespaces holding its veth peers,
    /// and every interface's ethtool counters: what veth pairing needs.
    pub pairing: bool,
    /// Link counters (IFLA_STATS64).
    pub stats: bool,
    /// Main-table routes.
    pub routes: bool,
}

impl VisitWants {
    pub const PAIRING: VisitWants = VisitWants {
        pairing: true,
        stats: false,
        routes: false,
    };
}

/// The most podnet reads of mountinfo (about 150 bytes a mount: some
/// 400,000 mounts).
pub const MOUNTINFO_BYTES: u64 = 64 << 20;

/// The capabilities a scan of a live /proc needs.
pub const SCAN_CAPS: &[caps::Cap] = &[caps::CAP_SYS_ADMIN, caps::CAP_SYS_PTRACE];

/// Scans the node. Fails only when the job cannot be done at all (no /proc,
/// missing privileges); everything else is a warning.
pub fn scan(ctx: &Ctx, what: &str, opts: &ScanOptions) -> Result<Inventory> {
    let root = &ctx.root;
    let live = root.is_live_procfs();
    if live {
        caps::require(what, SCAN_CAPS)?;
    }
    let kube_job = start_kube(&ctx.kube)?;
    let mut clock = PhaseClock::new(ctx.style.verbose >= 2);
    let mut warnings = Vec::new();

    let processes = processes(root, &mut warnings)?;
    let host_inode = host_netns(&processes);

    clock.lap("proc scan");
    let mounts = netns_mounts(root, &mut warnings);
    let fds = if opts.deep {
        netns_fds(root, &processes)
    } else {
        Vec::new()
    };

    clock.lap("mountinfo and fds");
    // Runtime files → claims (the OCI pid files also name infra processes).
    let runtime = runtime_files::read_all(root, &runtime_paths());
    warnings.extend(runtime.errors.iter().cloned());
    let mut claims = runtime_claims(&runtime, &mut warnings);
    let infra = crate::analyze::pause::trusted_infra_pids(&claims, &mounts, &processes);

    let mut namespaces = netns_merge::merge(&processes, &mounts, &fds, host_inode, &infra);

    clock.lap("runtime files and merge");
    claims.extend(cgroup_claims(root, &namespaces));

    clock.lap("cgroups");
    // Interfaces and addresses, one visit per namespace.
    let mut extra = HashMap::new();
    if live {
        extra = read_interfaces(root, &mut namespaces, opts.visit, &mut warnings);
    } else {
        warnings.push(format!(
            "{} is not a live procfs (a fixture tree?): interfaces not read",
            root.proc().display()
        ));
    }

    clock.lap("namespace visits");
    if let Some(job) = kube_job {
        claims.extend(join_kube(ctx, job, &mut warnings)?);
    }

    clock.lap("kubernetes API");
    identity::attach(&mut namespaces, &claims, &mut warnings);
    clock.lap("identity join");
    sort_namespaces(&mut namespaces);
    Ok(Inventory {
        report: NetnsReport {
            namespaces,
            warnings,
        },
        processes,
        extra,
        claims,
    })
}

/// Every process and its namespace links; what could not be read is a warning.
fn processes(root: &HostRoot, warnings: &mut Vec<String>) -> Result<Vec<Process>> {
    let scan = proc_scan::scan(root)
        .map_err(|e| Error::io(format!("list {}", root.proc().display()), e))?;
    let mut processes = Vec::with_capacity(scan.processes.len());
    for raw in &scan.processes {
        match proc_stat::parse_process(raw.pid, &raw.netns_link, &raw.stat) {
            Ok(p) => processes.push(p),
            Err(e) => warnings.push(e),
        }
    }
    match scan.denied.as_slice() {
        [] => {}
        [pid] => warnings.push(format!(
            "process {pid} could not be read (permission denied): its namespace is not counted"
        )),
        [pid, ..] => warnings.push(format!(
            "{} processes could not be read (permission denied), e.g. {pid}",
            scan.denied.len()
        )),
    }
    warnings.extend(scan.errors);
    Ok(processes)
}

/// nsfs bind mounts, as the host's mount namespace sees them (a mount point
/// that is not UTF-8 spoils its own line only).
fn netns_mounts(root: &HostRoot, warnings: &mut Vec<String>) -> Vec<mountinfo::NsfsMount> {
    let mountinfo_path = if root.is_slash() {
        "/proc/self/mountinfo"
    } else {
        "/proc/1/mountinfo"
    };
    match files::read(root, mountinfo_path, MOUNTINFO_BYTES) {
        Ok(bytes) => {
            let (m, bad) = mountinfo::parse_netns_mounts(&String::from_utf8_lossy(&bytes));
            if bad > 0 {
                warnings.push(format!("{mountinfo_path}: {bad} malformed lines skipped"));
            }
            m
        }
        Err(e) => {
            warnings.push(format!(
                "cannot read {mountinfo_path}: {e}; namespaces without processes are not listed"
            ));
            Vec::new()
        }
    }
}

/// `--deep`: the file descriptors that hold a network namespace open.
fn netns_fds(root: &HostRoot, processes: &[Process]) -> Vec<netns_merge::FdHolder> {
    let pids: Vec<i32> = processes.iter().map(|p| p.pid).collect();
    proc_scan::scan_netns_fds(root, &pids)
        .into_iter()
        .filter_map(|f| {
            Some(netns_merge::FdHolder {
                inode: proc_stat::parse_ns_link(&f.link)?,
                pid: f.pid,
                fd: f.fd,
            })
        })
        .collect()
}

/// The pause process's cgroup names the pod UID and sandbox id (another
/// member's only the UID).
fn cgroup_claims(root: &HostRoot, namespaces: &[Netns]) -> Vec<Claim> {
    let cgroup_of: Vec<(i32, bool)> = namespaces
        .iter()
        .filter(|n| !n.host)
        .filter_map(|ns| match (ns.pause_pid, ns.pid_list.first()) {
            (Some(p), _) => Some((p, true)),
            (None, Some(p)) => Some((*p, false)),
            (None, None) => None,
        })
        .collect();
    let texts = crate::sys::parallel::map(&cgroup_of, netns::default_workers(), |(pid, _)| {
        proc_scan::read_proc_file(root, *pid, "cgroup").ok()
    });
    let mut claims = Vec::new();
    for ((pid, is_pause), text) in cgroup_of.into_iter().zip(texts) {
        let Some(cg) = text.as_deref().and_then(cgroup::parse) else {
            continue;
        };
        let mut c = Claim::new(
            SourceKind::Cgroup,
            format!("/proc/{pid}/cgroup {}", cg.path),
        );
        c.keys.push(ClaimKey::Pid(pid));
        c.uid = cg.pod_uid;
        if is_pause {
            c.sandbox_id = cg.container_id;
            c.runtime = cg.runtime;
        }
        if c.uid.is_some() || c.sandbox_id.is_some() {
            claims.push(c);
        }
    }
    claims
}

/// The API's pods: an error stops the scan only when `--kube` asked for it.
fn join_kube(ctx: &Ctx, job: KubeJob, warnings: &mut Vec<String>) -> Result<Vec<Claim>> {
    match job.join() {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) if ctx.kube.kube => Err(Error::with_hint(
            format!("kubernetes API: {e}"),
            "check --kubeconfig and --node-name, or drop --kube to name pods from the node alone",
        )),
        Ok(Err(e)) => {
            warnings.push(format!("kubernetes API not used: {e}"));
            Ok(Vec::new())
        }
        Err(_) => {
            warnings.push("kubernetes API query crashed".into());
            Ok(Vec::new())
        }
    }
}

/// The runtimes' files on this node, podnet's labs included.
fn runtime_paths() -> RuntimePaths {
    RuntimePaths::on_node(vec![crate::lab::LAB_ROOT.into()])
}

/// `-vv`: how long each phase of the scan took, on stderr.
struct PhaseClock {
    on: bool,
    at: std::time::Instant,
}

impl PhaseClock {
    fn new(on: bool) -> Self {
        PhaseClock {
            on,
            at: std::time::Instant::now(),
        }
    }

    fn lap(&mut self, phase: &str) {
        if self.on {
            eprintln!(
                "podnet: timing: {phase}: {:.2} ms",
                self.at.elapsed().as_secs_f64() * 1000.0
            );
            self.at = std::time::Instant::now();
        }
    }
}

/// The node's own namespace: PID 1's, or, where PID 1 cannot be read,
/// kthreadd's (kernel threads live in the initial namespace).
fn host_netns(processes: &[Process]) -> Option<u64> {
    processes
        .iter()
        .find(|p| p.pid == 1)
        .or_else(|| {
            processes
                .iter()
                .find(|p| p.pid == 2 && p.ppid == 0 && p.comm == "kthreadd")
        })
        .map(|p| p.netns_inode)
}

type KubeJob = std::thread::JoinHandle<std::result::Result<Vec<Claim>, String>>;

/// Starts the optional API query in the background so it overlaps the node scan.
fn start_kube(args: &KubeArgs) -> Result<Option<KubeJob>> {
    if args.no_kube || !(args.kube || args.kubeconfig.is_some() || kube::config_present()) {
        return Ok(None);
    }
    let node_name = match args.node_name.clone().or_else(crate::sys::node::hostname) {
        Some(n) if !n.is_empty() => n,
        _ => {
            return Err(Error::Usage(
                "cannot tell this node's name for the API source: pass --node-name".into(),
            ));
        }
    };
    let req = kube::KubeRequest {
        kubeconfig: args.kubeconfig.clone(),
        node_name,
        timeout: Duration::from_secs(5),
    };
    Ok(Some(std::thread::spawn(move || {
        let (url, pods) = kube::list_node_pods(&req)?;
        Ok(kube_pods::claims(&pods, url.trim_end_matches('/')))
    })))
}

fn runtime_claims(rt: &runtime_files::RuntimeFiles, warnings: &mut Vec<String>) -> Vec<Claim> {
    let mut claims = Vec::new();
    for f in &rt.cni_cache {
        match &f.data {
            Ok(bytes) => match cni_cache::parse(bytes) {
                Ok(entry) => claims.push(entry.to_claim(&f.path)),
                Err(e) => warnings.push(format!("{}: {e}", f.path)),
            },
            Err(e) if crate::sys::is_vanished(e) => {}
            Err(e) => warnings.push(format!("cannot read {}: {e}", f.path)),
        }
    }
    for b in &rt.bundles {
        match &b.config.data {
            Ok(bytes) => match oci::parse(
                &b.id,
                b.store == BundleStore::ContainersStorage,
                bytes,
                b.pid_file.as_deref(),
            ) {
                Ok(Some(sandbox)) => claims.push(sandbox.to_claim(&b.config.path)),
                Ok(None) => {}
                Err(e) => warnings.push(format!("{}: {e}", b.config.path)),
            },
            Err(e) => warnings.push(format!("cannot read {}: {e}", b.config.path)),
        }
    }
    let logs_root = runtime_paths().pod_logs;
    claims.extend(
        rt.pod_log_dirs
            .iter()
            .filter_map(|d| pod_logs::parse(d))
            .map(|d| d.to_claim(&logs_root)),
    );
    claims
}

/// What one visit read.
struct Visit {
    interfaces: Vec<crate::model::Interface>,
    extra: NetnsExtra,
    warnings: Vec<String>,
}

/// Visits every namespace once (in parallel) for its links and addresses,
/// and what `wants` asks for. A namespace that vanished meanwhile is
/// dropped with a warning.
fn read_interfaces(
    root: &HostRoot,
    namespaces: &mut Vec<crate::model::Netns>,
    wants: VisitWants,
    warnings: &mut Vec<String>,
) -> HashMap<u64, NetnsExtra> {
    let targets: Vec<NetnsTarget> = namespaces.iter().map(|ns| target(root, ns)).collect();
    // The host's namespace file, so each pod can ask which nsid it gave the host.
    let host = namespaces.iter().position(|n| n.host).and_then(|i| {
        netns::open(&targets[i])
            .ok()
            .map(|f| (namespaces[i].inode, f))
    });
    let results = netns::visit_all(&targets, netns::default_workers(), |t, inside| {
        let links = read_links(inside.sock, wants.stats)?;
        let addrs = inside.sock.dump_addresses()?;
        let interfaces = crate::discover::links::interfaces(links, &addrs);
        let mut visit = Visit {
            interfaces,
            extra: NetnsExtra::default(),
            warnings: Vec::new(),
        };
        if wants.pairing {
            read_pairing_facts(t, inside, host.as_ref(), &mut visit)?;
        }
        if wants.routes {
            let global_v6 = visit.interfaces.iter().flat_map(|i| &i.addresses).any(
                |a| matches!(a.addr(), std::net::IpAddr::V6(v6) if v6.segments()[0] != 0xfe80),
            );
            let mut msgs = inside.sock.dump_routes(RT_TABLE_MAIN, false)?;
            if global_v6 {
                msgs.extend(inside.sock.dump_routes(RT_TABLE_MAIN, true)?);
            }
            visit.extra.routes = Some(crate::discover::routes::routes(&msgs));
        }
        Ok(visit)
    });
    let mut gone = HashSet::new();
    let mut extra = HashMap::new();
    for (ns, result) in namespaces.iter_mut().zip(results) {
        match result {
            Ok(v) => {
                ns.interfaces = v.interfaces;
                warnings.extend(v.warnings);
                extra.insert(ns.inode, v.extra);
            }
            Err(EnterError::Vanished) => {
                warnings.push(format!("netns {} vanished during the scan", ns.inode));
                gone.insert(ns.inode);
            }
            Err(e) => warnings.push(format!("netns {}: interfaces not read: {e}", ns.inode)),
        }
    }
    namespaces.retain(|ns| !gone.contains(&ns.inode));
    if wants.pairing {
        resolve_other_peers(root, namespaces, &mut extra);
    }
    extra
}

/// Inside one namespace: the nsid it gave the host, its routes, and the
/// ethtool counters of its interfaces.
fn read_pairing_facts(
    t: &NetnsTarget,
    inside: &mut netns::Inside<'_>,
    host: Option<&(u64, std::fs::File)>,
    visit: &mut Visit,
) -> std::io::Result<()> {
    if let Some((host_inode, host_file)) = host
        && *host_inode != t.inode
        && let Some(id) = inside.sock.nsid_of(netns::raw_fd(host_file))?
    {
        visit.extra.nsids.insert(id, *host_inode);
    }
    let eth = crate::sys::ethtool::Ethtool::on(inside.sock);
    for iface in visit
        .interfaces
        .iter()
        .filter(|i| i.kind != LinkKind::Loopback)
    {
        match eth.stats_of_kind(&iface.name, iface.kind.as_str()) {
            Ok(raw) => {
                visit.extra.ethtool.insert(
                    iface.ifindex,
                    crate::discover::ethtool::stats(&raw.names, &raw.values),
                );
            }
            Err(e) if crate::sys::is_vanished(&e) || e.raw_os_error() == Some(libc::ENODEV) => {}
            Err(e) => visit
                .warnings
                .push(format!("netns {}: ethtool -S {}: {e}", t.inode, iface.name)),
        }
    }
    Ok(())
}

/// Veth peers outside the host (a lab node's namespace, another pod): asks
/// each namespace whose peers are still unnamed for the nsids of the
/// namespaces that hold outside veths, hubs (two or more) first.
fn resolve_other_peers(
    root: &HostRoot,
    namespaces: &[crate::model::Netns],
    extra: &mut HashMap<u64, NetnsExtra>,
) {
    let outside = |n: &crate::model::Netns| {
        n.interfaces
            .iter()
            .filter(|i| i.kind == LinkKind::Veth && i.link_netnsid.is_some())
            .count()
    };
    let unresolved = |n: &crate::model::Netns, extra: &HashMap<u64, NetnsExtra>| -> Vec<i32> {
        let known = extra.get(&n.inode).map(|e| &e.nsids);
        n.interfaces
            .iter()
            .filter(|i| i.kind == LinkKind::Veth)
            .filter_map(|i| i.link_netnsid)
            .filter(|id| !known.is_some_and(|k| k.contains_key(id)))
            .collect()
    };
    for min_outside in [2, 1] {
        let askers: Vec<usize> = (0..namespaces.len())
            .filter(|&i| !namespaces[i].host && !unresolved(&namespaces[i], extra).is_empty())
            .collect();
        if askers.is_empty() {
            return;
        }
        let candidates: Vec<(u64, std::fs::File)> = namespaces
            .iter()
            .filter(|n| !n.host && outside(n) >= min_outside)
            .filter_map(|n| netns::open(&target(root, n)).ok().map(|f| (n.inode, f)))
            .collect();
        let targets: Vec<NetnsTarget> = askers
            .iter()
            .map(|&i| target(root, &namespaces[i]))
            .collect();
        let wanted: Vec<Vec<i32>> = askers
            .iter()
            .map(|&i| unresolved(&namespaces[i], extra))
            .collect();
        let results = netns::visit_all(&targets, netns::default_workers(), |t, inside| {
            let want = targets
                .iter()
                .position(|x| x.inode == t.inode)
                .map(|i| &wanted[i]);
            let mut found = HashMap::new();
            for (inode, file) in candidates.iter().filter(|(inode, _)| *inode != t.inode) {
                if want.is_some_and(|w| w.iter().all(|id| found.contains_key(id))) {
                    break;
                }
                if let Some(id) = inside.sock.nsid_of(netns::raw_fd(file))? {
                    found.insert(id, *inode);
                }
            }
            Ok(found)
        });
        for (t, r) in targets.iter().zip(results) {
            if let Ok(found) = r {
                extra.entry(t.inode).or_default().nsids.extend(found);
            }
        }
    }
}

/// Every link of the socket's namespace, reading only the attributes podnet
/// uses; the kernel leaves the counters out unless `with_stats`.
pub fn read_links(
    sock: &mut crate::sys::netlink::RouteSocket,
    with_stats: bool,
) -> std::io::Result<Vec<crate::model::Interface>> {
    sock.dump_links_with(with_stats, &mut |payload| {
        crate::discover::links::interface_from_payload(payload)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    })
}

/// The namespace the pod reference `r` names ([`resolve::resolve`]); a
/// path that names none of the scanned namespaces says what it is instead
/// (missing, a regular file, a namespace of another type).
pub fn resolve_ref(root: &HostRoot, nss: &[Netns], r: &str) -> Result<usize> {
    let err = match resolve::resolve(nss, r) {
        Ok(i) => return Ok(i),
        Err(e) => e,
    };
    if matches!(err, Error::Ambiguous { .. }) || !r.trim().starts_with('/') {
        return Err(err);
    }
    let path = r.trim();
    Err(
        match netns::open_path_in(root, std::path::Path::new(path)) {
            Ok(netns::NsPath::Missing) => Error::NotFound(format!("{path} does not exist")),
            Ok(netns::NsPath::NotNamespace(kind)) => Error::Usage(format!(
                "{path} is not a network namespace: it is {}",
                kind.with_article()
            )),
            Ok(netns::NsPath::OtherNamespace) => Error::Usage(format!(
                "{path} is a namespace of another type, not a network namespace"
            )),
            Ok(netns::NsPath::Net(_)) | Err(_) => err,
        },
    )
}
/// The files that can reach a namespace: bind mounts, then its processes, then fds.
pub fn target(root: &HostRoot, ns: &crate::model::Netns) -> NetnsTarget {
    let mut handles: Vec<std::path::PathBuf> =
        ns.paths.iter().map(std::path::PathBuf::from).collect();
    handles.extend(
        ns.pid_list
            .iter()
            .take(4)
            .map(|pid| root.proc_file(*pid, "ns/net")),
    );
    handles.extend(ns.fds.iter().map(std::path::PathBuf::from));
    NetnsTarget {
        inode: ns.inode,
        root: root.clone(),
        handles,
    }
}

/// Host first, then pods by namespace/name, then the rest by inode.
fn sort_namespaces(namespaces: &mut [crate::model::Netns]) {
    namespaces.sort_by(|a, b| {
        let key = |n: &crate::model::Netns| {
            (
                !n.host,
                n.pod.is_none(),
                n.pod
                    .as_ref()
                    .map(|p| (p.namespace.clone(), p.name.clone())),
                n.inode,
            )
        };
        key(a).cmp(&key(b))
    });
}

/// Current link counters of the given namespaces, by (netns inode, ifindex):
/// one link dump per namespace, in parallel. Vanished namespaces are skipped.
pub fn link_counters(
    root: &HostRoot,
    namespaces: &[&crate::model::Netns],
) -> HashMap<(u64, u32), crate::model::netns::LinkStats> {
    let targets: Vec<NetnsTarget> = namespaces.iter().map(|ns| target(root, ns)).collect();
    let results = netns::visit_all(&targets, netns::default_workers(), |_, inside| {
        read_links(inside.sock, true)
    });
    let mut out = HashMap::new();
    for (t, r) in targets.iter().zip(results) {
        for iface in r.into_iter().flatten() {
            if let Some(st) = iface.stats {
                out.insert((t.inode, iface.ifindex), st);
            }
        }
    }
    out
}
