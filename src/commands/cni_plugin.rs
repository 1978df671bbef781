//! podnet as a CNI plugin (plugin mode, entered when CNI_COMMAND is set):
//! ADD, DEL, CHECK, VERSION, STATUS and GC for the configuration on stdin,
//! the result or error JSON on stdout, exit 0 or 1. Wiring only: `cni`
//! decides (config, IPAM allocation, the plan, CHECK), `sys` does (netlink
//! on helper threads in each namespace, the IPAM store, the firewall,
//! delegated plugins).
//!
//! `PODNET_CNI_EXPLAIN=1` prints each step as the equivalent command on
//! stderr. Failure injection exists only in builds with the `test-hooks`
//! feature (what `cargo test` builds; never a release):
//! `PODNET_CNI_FAIL_AT_STEP=N` makes ADD fail before step N (the rollback
//! runs); `PODNET_CNI_STOP_AT_STEP=N` makes ADD stop after step N (to be
//! killed, as in a crash) for at most `PODNET_CNI_STOP_SECONDS` (default
//! 300), then go on.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cni::attach::{self, AttachInput};
use crate::cni::check::{self, CheckInput};
use crate::cni::config::{self, Ipam, MasqBackend, Mode, PluginConf, PtpGateway};
use crate::cni::env::{self, Command, Invocation};
use crate::cni::error::{CniError, codes};
use crate::cni::ipam::{self, HostLocalConf};
use crate::cni::names;
use crate::cni::observe::{self, NsView};
use crate::cni::plan::{Action, Executor, ExplainCtx, Journal, Observer, Owner, Scope, Side, Step};
use crate::cni::types::{CniResult, Dns, IpConfig};
use crate::cni::version::{self, Version};
use crate::sys::cni_exec::{self, PluginRun};
use crate::sys::files::FileKind;
use crate::sys::ipam_store::Store;
use crate::sys::netns::NsPath;
use crate::sys::rtnl::{NetnsWorker, RouteReq};
use crate::sys::{caps, files, firewall, lockfile, netns};

/// Runs one plugin invocation from the process environment and stdin;
/// returns the exit status.
pub fn main() -> u8 {
    let stdin = match files::read_stream_capped(io::stdin().lock(), config::MAX_STDIN_BYTES) {
        Ok(b) => b,
        Err(e) => {
            return emit_error(
                &CniError::new(
                    codes::IO_FAILURE,
                    "cannot read the network configuration from stdin",
                )
                .with_details(e.to_string()),
                &version::CURRENT.to_string(),
            );
        }
    };
    let decoded = config::decode(&stdin);
    let err_version = config::error_version_of(decoded.as_ref().ok());
    let inv = match env::from_env(|k| std::env::var(k).ok()) {
        Ok(i) => i,
        Err(e) => return emit_error(&e, &err_version),
    };
    match run(&inv, &stdin, decoded) {
        Ok(Some(out)) => {
            let mut o = io::stdout().lock();
            let _ = serde_json::to_writer_pretty(&mut o, &out);
            let _ = writeln!(o);
            0
        }
        Ok(None) => 0,
        Err(e) => emit_error(&e, &err_version),
    }
}

fn emit_error(e: &CniError, version: &str) -> u8 {
    let mut o = io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut o, &e.to_json(version));
    let _ = writeln!(o);
    eprintln!(
        "podnet: CNI error {}: {}{}",
        e.code,
        e.msg,
        if e.details.is_empty() {
            String::new()
        } else {
            format!(" ({})", e.details)
        }
    );
    1
}

/// Dispatches one command on stdin (its bytes, and their one decoding);
/// `Ok(None)` means success with no output.
pub fn run(
    inv: &Invocation,
    stdin: &[u8],
    decoded: Result<Value, CniError>,
) -> Result<Option<Value>, CniError> {
    if inv.command == Command::Version {
        let asked = decoded
            .ok()
            .and_then(|v| v.get("cniVersion")?.as_str().map(str::to_string))
            .filter(|s| Version::parse(s).is_some())
            .unwrap_or_else(|| version::CURRENT.to_string());
        return Ok(Some(
            json!({"cniVersion": asked, "supportedVersions": version::SUPPORTED}),
        ));
    }
    let conf = config::parse_value(decoded?, inv.arg("IP"))?;
    let p = Plugin {
        inv,
        conf: &conf,
        stdin,
        explain: flag("PODNET_CNI_EXPLAIN"),
    };
    match inv.command {
        Command::Add => p.add().map(|r| Some(r.to_json(conf.version))),
        Command::Del => p.del().map(|()| None),
        Command::Check => p.check().map(|()| None),
        Command::Status => p.status().map(|()| None),
        Command::Gc => p.gc().map(|()| None),
        Command::Version => Ok(None),
    }
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1" || v == "true")
}

/// How long the stop hook waits at most unless told otherwise.
const STOP_HOOK_LIMIT: Duration = Duration::from_secs(300);

/// The failure-injection hooks: read from the environment only in builds
/// with the `test-hooks` feature; every other build ignores the variables.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Faults {
    fail_at: Option<usize>,
    stop_at: Option<usize>,
    /// How long a stop lasts before ADD goes on (never forever).
    stop_for: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            fail_at: None,
            stop_at: None,
            stop_for: STOP_HOOK_LIMIT,
        }
    }
}

impl Faults {
    /// The hooks as the variables `get` looks up ask for.
    #[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
    fn from_vars(get: impl Fn(&str) -> Option<String>) -> Faults {
        let num = |k: &str| get(k)?.trim().parse::<usize>().ok();
        Faults {
            fail_at: num("PODNET_CNI_FAIL_AT_STEP"),
            stop_at: num("PODNET_CNI_STOP_AT_STEP"),
            stop_for: num("PODNET_CNI_STOP_SECONDS")
                .map(|s| Duration::from_secs(s as u64).min(STOP_HOOK_LIMIT))
                .unwrap_or(STOP_HOOK_LIMIT),
        }
    }

    /// This build's hooks: none unless built with `test-hooks`.
    fn of_this_build() -> Faults {
        #[cfg(feature = "test-hooks")]
        {
            Faults::from_vars(|k| std::env::var(k).ok())
        }
        #[cfg(not(feature = "test-hooks"))]
        {
            Faults::default()
        }
    }
}

fn kernel(what: impl std::fmt::Display, e: impl std::fmt::Display) -> CniError {
    CniError::kernel(format!("{what}: {e}"))
}

fn ipam_err(what: impl std::fmt::Display, e: impl std::fmt::Display) -> CniError {
    CniError::new(codes::IPAM_STORE, format!("{what}: {e}"))
}

/// The pod's namespace at CNI_NETNS: `Ok(None)` when it is gone (the path
/// is missing; for DEL also a regular file, what an unmounted netns
/// leaves). A fifo, a directory, a device or any other file that is not a
/// network namespace is refused without blocking (code 4), and so is the
/// plugin's own namespace — the node's — by whatever path it is reached
/// (`/proc/1/ns/net`, a bind mount): a DEL there would delete the node's
/// own interface.
fn open_netns(path: &str, command: Command) -> Result<Option<File>, CniError> {
    let invalid = |msg: String| CniError::new(codes::INVALID_ENVIRONMENT, msg);
    let found = netns::open_path(Path::new(path))
        .map_err(|e| invalid(format!("cannot open CNI_NETNS {path:?}: {e}")))?;
    let f = match found {
        NsPath::Missing => return Ok(None),
        NsPath::NotNamespace(FileKind::Regular) if command == Command::Del => return Ok(None),
        NsPath::NotNamespace(kind) => {
            return Err(invalid(format!(
                "CNI_NETNS {path:?} is {}, not a network namespace",
                kind.with_article()
            )));
        }
        NsPath::OtherNamespace => {
            return Err(invalid(format!(
                "CNI_NETNS {path:?} is a namespace but not a network namespace"
            )));
        }
        NsPath::Net(f) => f,
    };
    let mine = netns::own_identity().map_err(|e| kernel("stat /proc/thread-self/ns/net", e))?;
    let theirs = netns::identity(&f).map_err(|e| kernel(format!("stat {path}"), e))?;
    if mine == theirs {
        return Err(invalid(format!(
            "CNI_NETNS {path:?} is the plugin's own network namespace (the node's), not a pod's"
        ))
        .with_details("refusing to touch the node's own interfaces"));
    }
    Ok(Some(f))
}

/// Counts podnet processes that delegated IPAM to one another (set for
/// each delegate podnet runs).
const DELEGATION_DEPTH_VAR: &str = "PODNET_CNI_DELEGATION_DEPTH";
/// The most delegations in a row podnet allows (a real chain has one).
const MAX_DELEGATION_DEPTH: u32 = 4;

fn delegation_depth() -> u32 {
    std::env::var(DELEGATION_DEPTH_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// What an ADD plumbs into, found before its plan runs.
struct AddTarget {
    host_veth: String,
    /// The inode of the pod's netns (recorded in the host veth's alias).
    netns_inode: u64,
    /// host-local's `resolvConf`, read before anything was reserved.
    dns: Dns,
}

/// What ADD needs: netlink changes (CAP_NET_ADMIN) and setns into the
/// pod's namespace (CAP_SYS_ADMIN).
const PLUMBING_CAPS: &[caps::Cap] = &[caps::CAP_NET_ADMIN, caps::CAP_SYS_ADMIN];

/// The largest `resolvConf` podnet reads.
const MAX_RESOLV_CONF_BYTES: u64 = 64 << 10;

/// Who holds the network namespace with inode `ino`: processes in it,
/// descriptors on it, bind mounts of it (as this process sees them).
fn netns_holders(ino: u64) -> Vec<String> {
    let mut out = Vec::new();
    let procs = crate::sys::sandbox::processes();
    for (pid, (pino, comm)) in &procs {
        if *pino == ino {
            out.push(format!("process {pid} ({comm}) is in it"));
        }
    }
    let pids: Vec<i32> = procs.keys().copied().collect();
    let want = format!("net:[{ino}]");
    for fd in crate::sys::proc_scan::scan_netns_fds(&crate::sys::HostRoot::new("/"), &pids) {
        if fd.link == want {
            out.push(format!("process {} holds it open (fd {})", fd.pid, fd.fd));
        }
    }
    match files::read_capped_to_string(Path::new("/proc/self/mountinfo"), files::MAX_FILE_BYTES) {
        Ok(text) => {
            let (mounts, _) = crate::discover::mountinfo::parse_netns_mounts(&text);
            for m in mounts.iter().filter(|m| m.inode == ino) {
                out.push(format!("it is mounted at {}", m.mount_point));
            }
        }
        Err(e) => out.push(format!(
            "/proc/self/mountinfo cannot be read ({e}), so it may be mounted"
        )),
    }
    out.sort();
    out
}

struct Plugin<'a> {
    inv: &'a Invocation,
    conf: &'a PluginConf,
    stdin: &'a [u8],
    explain: bool,
}

/// How long an ADD waits for another ADD on the same bridge.
const BRIDGE_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Prints steps and injects faults (see the module docs).
struct Hooks {
    explain: Option<ExplainCtx>,
    faults: Faults,
}

impl Observer for Hooks {
    fn before(&mut self, n: usize, step: &Step) -> Result<(), String> {
        if let Some(ctx) = &self.explain {
            for line in step.action.explain(ctx) {
                eprintln!("+ {line}");
            }
        }
        self.faults.before(n)
    }

    fn after(&mut self, n: usize, _step: &Step, _changed: bool) {
        self.faults.after(n);
    }
}

#[cfg(feature = "test-hooks")]
impl Faults {
    /// PODNET_CNI_FAIL_AT_STEP: fail before step `n`.
    fn before(&self, n: usize) -> Result<(), String> {
        if self.fail_at == Some(n) {
            return Err(format!(
                "injected failure before step {n} (PODNET_CNI_FAIL_AT_STEP)"
            ));
        }
        Ok(())
    }

    /// PODNET_CNI_STOP_AT_STEP: stop after step `n`, for `stop_for` at most.
    fn after(&self, n: usize) {
        if self.stop_at == Some(n) {
            let limit = self.stop_for;
            eprintln!(
                "podnet: stopped after step {n} (PODNET_CNI_STOP_AT_STEP); waiting to be killed (at most {}s)",
                limit.as_secs()
            );
            let _ = io::stderr().flush();
            std::thread::sleep(limit);
            eprintln!(
                "podnet: nobody killed the stopped ADD in {}s: going on",
                limit.as_secs()
            );
        }
    }
}

/// Without `test-hooks` the faults are never injected (nor compiled in).
#[cfg(not(feature = "test-hooks"))]
impl Faults {
    fn before(&self, _n: usize) -> Result<(), String> {
        Ok(())
    }

    fn after(&self, _n: usize) {}
}

/// Does the plan's actions in the node's and the pod's namespaces.
struct Kernel<'a> {
    host: NetnsWorker,
    container: Option<NetnsWorker>,
    host_ns: File,
    plugin: &'a Plugin<'a>,
    /// The CNI code of the last failure, when it is not a kernel error.
    last_code: Option<u32>,
    bridge_lock: Option<lockfile::Locked>,
}

impl Kernel<'_> {
    fn side(&self, side: Side) -> Result<&NetnsWorker, String> {
        match side {
            Side::Host => Ok(&self.host),
            Side::Container => self
                .container
                .as_ref()
                .ok_or_else(|| "the pod netns is gone".to_string()),
        }
    }

    fn lock_bridge(&mut self, name: &str) -> Result<(), String> {
        if self.bridge_lock.is_none() {
            let ino =
                crate::sys::netns::inode_of(Path::new("/proc/thread-self/ns/net")).unwrap_or(0);
            match lockfile::named_within(&format!("bridge-{ino}-{name}"), BRIDGE_LOCK_TIMEOUT) {
                Ok(l) => self.bridge_lock = Some(l),
                Err(e) => {
                    if e.kind() == io::ErrorKind::WouldBlock {
                        self.last_code = Some(codes::TRY_AGAIN_LATER);
                    }
                    return Err(format!("bridge {name} is busy: {e}"));
                }
            }
        }
        Ok(())
    }

    fn bridge_has_ports(&self, name: &str) -> Result<Option<bool>, String> {
        let view = host_view(&self.host).map_err(|e| e.msg)?;
        Ok(view
            .link(name)
            .filter(|b| b.kind == "bridge")
            .map(|b| view.ports_of(b.index).next().is_some()))
    }
}

fn route_req(r: &crate::cni::plan::RouteSpec) -> RouteReq {
    RouteReq {
        dst: r.dst,
        gw: r.gw,
        dev: r.dev.clone(),
        scope: match r.scope {
            Scope::Universe => 0,
            Scope::Link => 253,
            Scope::Host => 254,
        },
        src: r.src,
        metric: r.metric,
        table: r.table,
    }
}

/// Sysctls the reference plugins set but ignore failures of (IPv6 may be off).
fn best_effort_sysctl(key: &str) -> bool {
    ["/accept_ra", "/accept_dad", "/arp_notify", "/proxy_delay"]
        .iter()
        .any(|s| key.ends_with(s))
}

impl Executor for Kernel<'_> {
    fn apply(&mut self, action: &Action) -> Result<bool, String> {
        self.last_code = None;
        let s = |e: io::Error| e.to_string();
        match action {
            Action::EnsureBridge { name, mtu, promisc } => {
                self.lock_bridge(name)?;
                self.host
                    .ensure_bridge(name, *mtu, *promisc)
                    .map_err(|e| format!("create bridge {name}: {e}"))
            }
            Action::DeleteBridgeIfUnused { name } => match self.bridge_has_ports(name)? {
                Some(false) => self.host.delete_link(name).map_err(s),
                _ => Ok(false),
            },
            Action::CreateVeth {
                ifname,
                host_ifname,
                mtu,
                host_mac,
            } => {
                if self.host.link(host_ifname).map_err(s)?.is_some() {
                    self.last_code = Some(codes::HOST_NAME_TAKEN);
                    return Err(format!("host interface {host_ifname} already exists"));
                }
                let c = self.side(Side::Container)?;
                c.create_veth(ifname, host_ifname, *mtu, *host_mac, &self.host_ns)
                    .map_err(|e| {
                        if e.raw_os_error() == Some(libc::EEXIST) {
                            format!("container veth name provided ({ifname}) already exists")
                        } else {
                            format!("create veth {ifname} (host end {host_ifname}): {e}")
                        }
                    })?;
                Ok(true)
            }
            Action::DeleteLink { side, name } => self
                .side(*side)?
                .delete_link(name)
                .map_err(|e| format!("delete {name}: {e}")),
            Action::DeleteOwnedLink { name, owner } => {
                let Some(l) = self.host.link(name).map_err(s)? else {
                    return Ok(false);
                };
                let v = observe::link(&l);
                let want = names::marker(&owner.network, &owner.container_id, &owner.ifname);
                if v.alias.as_deref().and_then(names::parse_marker) == names::parse_marker(&want) {
                    self.host
                        .delete_link(name)
                        .map_err(|e| format!("delete {name}: {e}"))
                } else {
                    Ok(false)
                }
            }
            Action::SetLinkUp { side, name } => {
                self.side(*side)?
                    .set_up(name)
                    .map_err(|e| format!("set {name} up: {e}"))?;
                Ok(true)
            }
            Action::SetAlias { side, name, alias } => {
                self.side(*side)?
                    .set_alias(name, alias)
                    .map_err(|e| format!("set the alias of {name}: {e}"))?;
                Ok(true)
            }
            Action::SetMaster { name, master } => {
                self.host
                    .set_master(name, master)
                    .map_err(|e| format!("failed to connect {name} to bridge {master}: {e}"))?;
                Ok(true)
            }
            Action::SetHairpin { name, on } => {
                self.host
                    .set_hairpin(name, *on)
                    .map_err(|e| format!("failed to setup hairpin mode for {name}: {e}"))?;
                Ok(true)
            }
            Action::PinBridgeMac { name } => {
                let l = self
                    .host
                    .link(name)
                    .map_err(s)?
                    .ok_or_else(|| format!("bridge {name} vanished"))?;
                let mac: Vec<u8> = observe::link(&l)
                    .mac
                    .split(':')
                    .filter_map(|b| u8::from_str_radix(b, 16).ok())
                    .collect();
                if mac.len() == 6 {
                    self.host
                        .set_mac(name, mac)
                        .map_err(|e| format!("could not set bridge's mac: {e}"))?;
                }
                Ok(true)
            }
            Action::AddAddress { side, dev, addr } => self
                .side(*side)?
                .add_address(dev, *addr)
                .map_err(|e| format!("failed to add IP addr {addr} to {dev}: {e}")),
            Action::EnsureBridgeAddress {
                bridge,
                addr,
                force,
            } => {
                let view = host_view(&self.host).map_err(|e| e.msg)?;
                let br = view
                    .link(bridge)
                    .ok_or_else(|| format!("bridge {bridge} vanished"))?;
                for a in view.addrs_of(br.index) {
                    if a.addr == *addr {
                        return Ok(false);
                    }
                    let conflicts = a.addr.addr().is_ipv4() == addr.addr().is_ipv4()
                        && (addr.addr().is_ipv4()
                            || a.addr.contains(&addr.addr())
                            || addr.contains(&a.addr.addr()));
                    if conflicts && !a.addr.addr().is_loopback() && !is_link_local(a.addr.addr()) {
                        if *force {
                            self.host.del_address(bridge, a.addr).map_err(s)?;
                        } else {
                            return Err(format!(
                                "{bridge:?} already has an IP address different from {addr}"
                            ));
                        }
                    }
                }
                self.host
                    .add_address(bridge, *addr)
                    .map_err(|e| format!("could not add IP address to {bridge:?}: {e}"))
            }
            Action::DelBridgeAddressIfUnused { bridge, addr } => {
                match self.bridge_has_ports(bridge)? {
                    Some(false) => self.host.del_address(bridge, *addr).map_err(s),
                    _ => Ok(false),
                }
            }
            Action::AddRoute { side, route } => self
                .side(*side)?
                .add_route(route_req(route))
                .map_err(|e| format!("failed to add route {}: {e}", action_words(action))),
            Action::DelRoute { side, route } => self
                .side(*side)?
                .del_route(route_req(route))
                .map_err(|e| format!("failed to delete route {}: {e}", route.dst)),
            Action::AddNeighbour { side, dev, ip, mac } => {
                self.side(*side)?
                    .add_neighbour(dev, *ip, *mac)
                    .map_err(|e| format!("add neighbour {ip} on {dev}: {e}"))?;
                Ok(true)
            }
            Action::Sysctl { side, key, value } => match self.side(*side)?.sysctl_write(key, value)
            {
                Ok(changed) => Ok(changed),
                Err(_) if best_effort_sysctl(key) => Ok(false),
                Err(e) => Err(e.to_string()),
            },
            Action::SettleAddresses { side, dev } => {
                self.side(*side)?
                    .settle_addresses(dev, Duration::from_secs(10))
                    .map_err(|e| format!("failed to settle addresses for {dev}: {e}"))?;
                Ok(false)
            }
            Action::WaitOperUp { side, dev } => {
                self.side(*side)?.wait_oper_up(dev).map_err(s)?;
                Ok(false)
            }
            Action::AddMasquerade {
                backend,
                owner,
                rules,
            } => {
                let (b, o, r) = (*backend, owner.clone(), rules.clone());
                self.host
                    .run(move || firewall::add(b, &o, &r))
                    .map_err(s)?
                    .map_err(|e| format!("ipMasq: {e}"))?;
                Ok(true)
            }
            Action::DelMasquerade { owner } => {
                let o = owner.clone();
                self.host
                    .run(move || firewall::remove(&o))
                    .map_err(s)?
                    .map_err(|e| format!("ipMasq: {e}"))
            }
            Action::ReserveAddresses { .. } => Ok(true),
            Action::ReleaseAddresses { .. } => match self.plugin.release_addresses() {
                Ok(()) => Ok(true),
                Err(e) => {
                    self.last_code = Some(e.code);
                    Err(e.to_string())
                }
            },
        }
    }
}

fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_link_local(),
        IpAddr::V6(a) => (a.segments()[0] & 0xffc0) == 0xfe80,
    }
}

fn action_words(a: &Action) -> String {
    a.explain(&ExplainCtx {
        container_netns: "<pod>".into(),
    })
    .join("; ")
}

fn host_view(w: &NetnsWorker) -> Result<NsView, CniError> {
    let (l, a, r) = w.dump().map_err(|e| kernel("dump the node's links", e))?;
    Ok(observe::ns_view(&l, &a, &r))
}

impl Plugin<'_> {
    fn owner(&self) -> Owner {
        Owner {
            network: self.conf.name.clone(),
            container_id: self.inv.container_id.clone(),
            ifname: self.inv.ifname.clone(),
        }
    }

    fn host_veth_name(&self) -> String {
        names::host_veth_name(
            &self.conf.veth_prefix,
            self.inv.pod(),
            &self.inv.container_id,
            &self.inv.ifname,
        )
    }

    fn backend(&self) -> MasqBackend {
        self.conf
            .masq_backend
            .unwrap_or_else(firewall::default_backend)
    }

    fn kernel<'p>(&'p self, container: Option<&File>) -> Result<Kernel<'p>, CniError> {
        let host_ns =
            File::open("/proc/self/ns/net").map_err(|e| kernel("open /proc/self/ns/net", e))?;
        Ok(Kernel {
            host: NetnsWorker::spawn(None).map_err(|e| kernel("netlink in the node's netns", e))?,
            container: container
                .map(|f| NetnsWorker::spawn(Some(f)))
                .transpose()
                .map_err(|e| kernel(format!("enter {}", self.inv.netns), e))?,
            host_ns,
            plugin: self,
            last_code: None,
            bridge_lock: None,
        })
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            explain: self.explain.then(|| ExplainCtx {
                container_netns: self.inv.netns.clone(),
            }),
            faults: Faults::of_this_build(),
        }
    }

    /// The delegated IPAM plugin's binary, unless it is podnet itself: a
    /// type that links to podnet (or a copy of it, found by the depth of
    /// delegations so far) would run podnet again on the same configuration,
    /// which delegates again, until fork fails.
    fn delegate_binary(&self, plugin: &str) -> Result<std::path::PathBuf, CniError> {
        let bin = cni_exec::find(plugin, &self.inv.path).ok_or_else(|| {
            CniError::new(
                codes::DELEGATE_FAILED,
                format!(
                    "failed to find plugin {plugin:?} in path {:?}",
                    self.inv.path_raw
                ),
            )
        })?;
        let self_delegation = || {
            CniError::invalid_config(format!(
                "ipam type {plugin:?} ({}) is podnet itself: it would delegate to itself without end",
                bin.display()
            ))
            .with_details("use \"type\": \"host-local\" for podnet's built-in IPAM")
        };
        if cni_exec::is_this_program(&bin) {
            return Err(self_delegation());
        }
        if delegation_depth() >= MAX_DELEGATION_DEPTH {
            return Err(self_delegation().with_details(format!(
                "{MAX_DELEGATION_DEPTH} podnet processes already delegate to each other ({DELEGATION_DEPTH_VAR})"
            )));
        }
        Ok(bin)
    }

    /// Runs the delegated IPAM plugin with `command` and this invocation's environment.
    fn delegate(&self, plugin: &str, command: &str) -> Result<Option<Value>, CniError> {
        let bin = self.delegate_binary(plugin)?;
        let out = cni_exec::run(&PluginRun {
            binary: bin,
            command: command.into(),
            container_id: self.inv.container_id.clone(),
            netns: self.inv.netns.clone(),
            ifname: self.inv.ifname.clone(),
            args: self
                .inv
                .args
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(";"),
            path: self.inv.path_raw.clone(),
            stdin: self.stdin.to_vec(),
            extra_env: vec![(
                DELEGATION_DEPTH_VAR.into(),
                (delegation_depth() + 1).to_string(),
            )],
            inherit_stderr: true,
        })
        .map_err(|e| {
            CniError::new(
                codes::DELEGATE_FAILED,
                format!("run IPAM plugin {plugin}: {e}"),
            )
        })?;
        let text = String::from_utf8_lossy(&out.stdout);
        let parsed: Option<Value> = if text.trim().is_empty() {
            None
        } else {
            serde_json::from_str(&text).ok()
        };
        if !out.status.success() {
            return Err(parsed
                .as_ref()
                .and_then(CniError::from_json)
                .unwrap_or_else(|| {
                    CniError::new(
                        codes::DELEGATE_FAILED,
                        format!("IPAM plugin {plugin} {command} failed: {}", text.trim()),
                    )
                }));
        }
        if parsed.is_none() && !text.trim().is_empty() {
            return Err(CniError::new(
                codes::DECODE_FAILURE,
                format!("IPAM plugin {plugin} printed no JSON: {}", text.trim()),
            ));
        }
        Ok(parsed)
    }

    /// Whether a delegated plugin speaks 1.1.0 (has STATUS and GC).
    fn delegate_has_gc(&self, plugin: &str) -> bool {
        let Ok(bin) = self.delegate_binary(plugin) else {
            return false;
        };
        let out = cni_exec::run(&PluginRun {
            binary: bin,
            command: "VERSION".into(),
            container_id: String::new(),
            netns: String::new(),
            ifname: String::new(),
            args: String::new(),
            path: self.inv.path_raw.clone(),
            stdin: json!({"cniVersion": self.conf.version.to_string()})
                .to_string()
                .into_bytes(),
            extra_env: Vec::new(),
            inherit_stderr: false,
        });
        out.ok()
            .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok())
            .and_then(|v| v.get("supportedVersions")?.as_array().cloned())
            .is_some_and(|vs| vs.iter().any(|v| v.as_str() == Some("1.1.0")))
    }

    fn store(&self, hl: &HostLocalConf) -> Result<Store, CniError> {
        Store::open(&hl.store_dir()).map_err(|e| ipam_err("IPAM store", e))
    }

    /// The IPAM ADD: host-local's decision from the store (with `dns`, its
    /// `resolvConf` already read), or the delegate's result.
    fn allocate(&self, dns: &Dns) -> Result<CniResult, CniError> {
        match &self.conf.ipam {
            Ipam::None => Ok(CniResult::default()),
            Ipam::HostLocal(hl) => {
                let store = self.store(hl)?;
                let g = store.lock().map_err(|e| ipam_err("IPAM lock", e))?;
                let mut taken_meanwhile: Vec<IpAddr> = Vec::new();
                'retry: for _ in 0..5 {
                    let mut st = store
                        .read_state(&g)
                        .map_err(|e| ipam_err("IPAM store", e))?;
                    for ip in &taken_meanwhile {
                        st.reservations.push(ipam::Reservation {
                            ip: *ip,
                            owner: ipam::Owner::parse(""),
                        });
                    }
                    let allocs = ipam::plan_add(hl, &self.inv.container_id, &self.inv.ifname, &st)?;
                    let mut done = Vec::new();
                    for a in &allocs {
                        match store.reserve(
                            &g,
                            a.address.addr(),
                            &self.inv.container_id,
                            &self.inv.ifname,
                            a.range_set,
                        ) {
                            Ok(true) => done.push(a.address.addr()),
                            Ok(false) => {
                                for ip in done {
                                    let _ = store.release(&g, ip);
                                }
                                taken_meanwhile.push(a.address.addr());
                                continue 'retry;
                            }
                            Err(e) => {
                                for ip in done {
                                    let _ = store.release(&g, ip);
                                }
                                return Err(ipam_err("IPAM reserve", e));
                            }
                        }
                    }
                    return Ok(CniResult {
                        interfaces: Vec::new(),
                        ips: allocs
                            .into_iter()
                            .map(|a| IpConfig {
                                interface: None,
                                address: a.address,
                                gateway: Some(a.gateway),
                            })
                            .collect(),
                        routes: hl.routes.clone(),
                        dns: dns.clone(),
                    });
                }
                Err(CniError::new(
                    codes::TRY_AGAIN_LATER,
                    "the IPAM store keeps changing under its lock",
                ))
            }
            Ipam::Delegated(plugin) => {
                let out = self.delegate(plugin, "ADD")?;
                let v = out.ok_or_else(|| {
                    CniError::new(
                        codes::DECODE_FAILURE,
                        format!("IPAM plugin {plugin} printed no result"),
                    )
                })?;
                match CniResult::from_json(&v) {
                    Ok(r) if !r.ips.is_empty() || self.conf.mode == Mode::Bridge => Ok(r),
                    Ok(_) => {
                        let _ = self.delegate(plugin, "DEL");
                        Err(CniError::kernel("IPAM plugin returned missing IP config"))
                    }
                    Err(e) => {
                        let _ = self.delegate(plugin, "DEL");
                        Err(e)
                    }
                }
            }
        }
    }

    /// The IPAM DEL.
    fn release_addresses(&self) -> Result<(), CniError> {
        match &self.conf.ipam {
            Ipam::None => Ok(()),
            Ipam::HostLocal(hl) => {
                let dir = hl.store_dir();
                let Some(store) =
                    Store::open_existing(&dir).map_err(|e| ipam_err("IPAM store", e))?
                else {
                    return Ok(());
                };
                let g = store.lock().map_err(|e| ipam_err("IPAM lock", e))?;
                store
                    .release_owner(&g, &self.inv.container_id, &self.inv.ifname)
                    .map_err(|e| ipam_err("IPAM release", e))?;
                Ok(())
            }
            Ipam::Delegated(plugin) => self.delegate(plugin, "DEL").map(|_| ()),
        }
    }

    fn add(&self) -> Result<CniResult, CniError> {
        // what the configuration names is read before anything is reserved
        let dns = self.resolv_conf()?;
        let Some(cfile) = open_netns(&self.inv.netns, Command::Add)? else {
            return Err(CniError::new(
                codes::UNKNOWN_CONTAINER,
                format!(
                    "failed to open netns {:?}: it does not exist",
                    self.inv.netns
                ),
            ));
        };
        let mut k = self.kernel(Some(&cfile))?;
        let container = k
            .container
            .as_ref()
            .ok_or_else(|| CniError::kernel("no pod netns worker"))?;
        if container
            .link(&self.inv.ifname)
            .map_err(|e| kernel("look up the pod interface", e))?
            .is_some()
        {
            return Err(CniError::new(
                codes::INTERFACE_EXISTS,
                format!(
                    "container veth name provided ({}) already exists",
                    self.inv.ifname
                ),
            ));
        }
        let host_veth = self.host_veth_name();
        self.clear_stale_host_veth(&k.host, &host_veth)?;
        let target = AddTarget {
            host_veth,
            netns_inode: netns::identity(&cfile)
                .map_err(|e| kernel(format!("stat {}", self.inv.netns), e))?
                .1,
            dns,
        };

        let mut journal = Journal::new();
        let mut hooks = self.hooks();
        let result = self.add_steps(&mut k, &mut journal, &mut hooks, &target);
        match result {
            Ok(r) => {
                journal.commit();
                Ok(r)
            }
            Err(mut e) => {
                let undone = journal.pending_undo().count();
                let errors = journal.rollback(&mut k);
                let mut details = e.details.clone();
                if !details.is_empty() {
                    details.push_str("; ");
                }
                details.push_str(&format!("rolled back {undone} step(s)"));
                if !errors.is_empty() {
                    details.push_str(&format!("; rollback errors: {}", errors.join("; ")));
                }
                e.details = details;
                Err(e)
            }
        }
    }

    /// The DNS settings of host-local's `resolvConf`, read before anything
    /// is reserved or locked: a regular file of at most
    /// [`MAX_RESOLV_CONF_BYTES`] (a fifo, `/dev/zero` or a directory is an
    /// invalid configuration, code 7, and ADD leaves no trace).
    fn resolv_conf(&self) -> Result<Dns, CniError> {
        let Ipam::HostLocal(hl) = &self.conf.ipam else {
            return Ok(Dns::default());
        };
        let Some(p) = &hl.resolv_conf else {
            return Ok(Dns::default());
        };
        let text = files::read_capped_to_string(p, MAX_RESOLV_CONF_BYTES).map_err(|e| {
            CniError::invalid_config(format!("cannot read resolvConf {}: {e}", p.display()))
        })?;
        Ok(ipam::parse_resolv_conf(&text))
    }

    /// A host link with the name this ADD wants is deleted only when it is
    /// provably a dead leftover of an earlier sandbox of the same pod: a
    /// podnet veth of this network whose alias names the same pod and
    /// interface (another container) and a netns that nothing holds any
    /// more — no process in it, no descriptor on it, no bind mount of it.
    /// Anything else fails the ADD with code 108 and is left alone.
    fn clear_stale_host_veth(&self, host: &NetnsWorker, name: &str) -> Result<(), CniError> {
        let Some(l) = host
            .link(name)
            .map_err(|e| kernel("look up the host veth", e))?
        else {
            return Ok(());
        };
        let v = observe::link(&l);
        let ours = names::Attaching {
            network: &self.conf.name,
            container_id: &self.inv.container_id,
            ifname: &self.inv.ifname,
            pod: self.inv.pod(),
        };
        let verdict = names::stale_veth_netns(&v.kind, v.alias.as_deref(), &ours).and_then(|ino| {
            match netns_holders(ino) {
                holders if holders.is_empty() => Ok(ino),
                holders => Err(format!(
                    "its pod's earlier netns (inode {ino}) is still alive: {}",
                    holders.join(", ")
                )),
            }
        });
        match verdict {
            Ok(ino) => {
                eprintln!(
                    "podnet: deleting stale host veth {name} of an earlier sandbox of the same pod (its netns {ino} is gone; alias {:?})",
                    v.alias.unwrap_or_default()
                );
                host.delete_link(name)
                    .map_err(|e| kernel(format!("delete stale {name}"), e))?;
                Ok(())
            }
            Err(why) => Err(CniError::new(
                codes::HOST_NAME_TAKEN,
                format!("host interface {name} already exists and is not provably a dead leftover of this pod: {why}"),
            )
            .with_details(format!(
                "alias {:?}; nothing was changed; DEL the attachment that owns it, or set vethPrefix",
                v.alias.unwrap_or_default()
            ))),
        }
    }

    fn add_steps(
        &self,
        k: &mut Kernel<'_>,
        journal: &mut Journal,
        hooks: &mut Hooks,
        at: &AddTarget,
    ) -> Result<CniResult, CniError> {
        let host_veth = at.host_veth.as_str();
        let fail = |f: crate::cni::plan::Failure, code: Option<u32>| {
            CniError::new(code.unwrap_or(codes::KERNEL), f.error.clone()).with_details(format!(
                "step {}: {}",
                f.step,
                action_words(&f.action)
            ))
        };
        // IPAM first: a range that is full fails before anything is plumbed.
        let mut ipam_result = CniResult::default();
        let mut ipam_error = None;
        if self.conf.ipam != Ipam::None {
            let step = Step::new(
                Action::ReserveAddresses {
                    source: match &self.conf.ipam {
                        Ipam::HostLocal(hl) => {
                            format!("host-local, under flock in {}", hl.store_dir().display())
                        }
                        Ipam::Delegated(p) => format!("the {p} IPAM plugin"),
                        Ipam::None => String::new(),
                    },
                },
                Some(Action::ReleaseAddresses {
                    owner: self.owner(),
                }),
            );
            journal
                .run_with(&step, hooks, |_| match self.allocate(&at.dns) {
                    Ok(r) => {
                        ipam_result = r;
                        Ok(true)
                    }
                    Err(e) => {
                        let msg = e.msg.clone();
                        ipam_error = Some(e);
                        Err(msg)
                    }
                })
                .map_err(|f| ipam_error.take().unwrap_or_else(|| fail(f, None)))?;
            if self.explain {
                for ip in &ipam_result.ips {
                    let gw = ip
                        .gateway
                        .map(|g| format!(", gateway {g}"))
                        .unwrap_or_default();
                    eprintln!("+ #   got {}{gw}", ip.address);
                }
            }
        }
        let input = AttachInput {
            conf: self.conf,
            container_id: &self.inv.container_id,
            ifname: &self.inv.ifname,
            netns: &self.inv.netns,
            host_veth,
            pod: self.inv.pod(),
            netns_inode: at.netns_inode,
            ipam: &ipam_result,
            masq_backend: self.backend(),
        };
        let plan = attach::plan(&input)?;
        for step in &plan.steps {
            journal.run(step, k, hooks).map_err(|f| {
                let code = k.last_code;
                fail(f, code)
            })?;
        }
        let mut result = plan.result;
        // MACs and MTUs as the kernel has them now
        let hv = host_view(&k.host)?;
        let cv = match &k.container {
            Some(c) => {
                let (l, a, r) = c.dump().map_err(|e| kernel("dump the pod's links", e))?;
                observe::ns_view(&l, &a, &r)
            }
            None => NsView::default(),
        };
        for iface in &mut result.interfaces {
            let view = if iface.sandbox.is_empty() { &hv } else { &cv };
            if let Some(l) = view.link(&iface.name) {
                iface.mac = l.mac.clone();
                iface.mtu = l.mtu;
            }
        }
        if let Some(prev) = &self.conf.prev_result {
            result = merge_prev(prev, result);
        }
        Ok(result)
    }

    fn del(&self) -> Result<(), CniError> {
        let mut errors: Vec<CniError> = Vec::new();
        // a CNI_NETNS that is not a pod's netns (the node's own, a fifo…)
        // or IPAM delegated to podnet itself stops DEL before it touches anything
        if let Ipam::Delegated(plugin) = &self.conf.ipam {
            self.delegate_binary(plugin)?;
        }
        let cfile = if self.inv.netns.is_empty() {
            None
        } else {
            open_netns(&self.inv.netns, Command::Del)?
        };
        let mut k = self.kernel(cfile.as_ref())?;
        let mut hooks = self.hooks();
        hooks.faults = Faults::default();
        let host_veth = self
            .conf
            .prev_result
            .as_ref()
            .and_then(|p| {
                p.interfaces
                    .get(attach::host_interface_index(self.conf.mode))
            })
            .filter(|i| i.sandbox.is_empty())
            .map(|i| i.name.clone())
            .unwrap_or_else(|| self.host_veth_name());
        let mut steps = Vec::new();
        if k.container.is_some() {
            steps.push(Step::plain(Action::DeleteLink {
                side: Side::Container,
                name: self.inv.ifname.clone(),
            }));
        }
        steps.push(Step::plain(Action::DeleteOwnedLink {
            name: host_veth.clone(),
            owner: self.owner(),
        }));
        if host_veth != self.host_veth_name() {
            steps.push(Step::plain(Action::DeleteOwnedLink {
                name: self.host_veth_name(),
                owner: self.owner(),
            }));
        }
        if self.conf.ip_masq {
            steps.push(Step::plain(Action::DelMasquerade {
                owner: self.owner(),
            }));
        }
        if self.conf.ipam != Ipam::None {
            steps.push(Step::plain(Action::ReleaseAddresses {
                owner: self.owner(),
            }));
        }
        let mut journal = Journal::new();
        for s in &steps {
            if let Err(f) = journal.run(s, &mut k, &mut hooks) {
                let code = k.last_code.unwrap_or(codes::KERNEL);
                errors.push(
                    CniError::new(code, f.error).with_details(format!("DEL step {}", f.step)),
                );
            }
        }
        journal.commit();
        match errors.into_iter().next() {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }

    fn check(&self) -> Result<(), CniError> {
        if !self.conf.version.has_check() {
            return Err(CniError::new(
                codes::INCOMPATIBLE_VERSION,
                "config version does not allow CHECK",
            )
            .with_details(format!(
                "cniVersion {} has no CHECK; use 0.4.0 or later",
                self.conf.version
            )));
        }
        let prev = self
            .conf
            .prev_result
            .as_ref()
            .ok_or_else(|| CniError::invalid_config("Required prevResult missing"))?;
        let Some(cfile) = open_netns(&self.inv.netns, Command::Check)? else {
            return Err(CniError::new(
                codes::UNKNOWN_CONTAINER,
                format!("netns {:?} does not exist", self.inv.netns),
            ));
        };
        // IPAM first, like the reference plugins
        let reserved = match &self.conf.ipam {
            Ipam::HostLocal(hl) => {
                let store = self.store(hl)?;
                let g = store.lock().map_err(|e| ipam_err("IPAM lock", e))?;
                let st = store
                    .read_state(&g)
                    .map_err(|e| ipam_err("IPAM store", e))?;
                let mine = st.owned_by(&self.inv.container_id, &self.inv.ifname);
                if mine.is_empty() {
                    return Err(CniError::new(
                        codes::CHECK_FAILED,
                        format!(
                            "host-local: Failed to find address added by container {}",
                            self.inv.container_id
                        ),
                    ));
                }
                Some(mine)
            }
            Ipam::Delegated(plugin) => {
                self.delegate(plugin, "CHECK")?;
                None
            }
            Ipam::None => None,
        };
        let k = self.kernel(Some(&cfile))?;
        let host = host_view(&k.host)?;
        let container = match &k.container {
            Some(c) => {
                let (l, a, r) = c.dump().map_err(|e| kernel("dump the pod's links", e))?;
                observe::ns_view(&l, &a, &r)
            }
            None => NsView::default(),
        };
        let container_nsid = k.host.nsid_of(&cfile).ok().flatten();
        let hidx = attach::host_interface_index(self.conf.mode);
        let host_if = prev
            .interfaces
            .get(hidx)
            .map(|i| i.name.clone())
            .unwrap_or_default();
        let proxy_arp = (self.conf.mode == Mode::Ptp
            && self.conf.ptp_gateway == PtpGateway::ProxyArp)
            .then(|| {
                k.host
                    .sysctl_read(&format!("net/ipv4/conf/{host_if}/proxy_arp"))
                    .ok()
            })
            .flatten();
        let masq_present = if self.conf.ip_masq && !prev.ips.is_empty() {
            let (b, o) = (self.backend(), self.owner());
            Some(
                k.host
                    .run(move || firewall::present(b, &o))
                    .map_err(|e| kernel("ipMasq", e))?
                    .map_err(|e| kernel("ipMasq", e))?,
            )
        } else {
            None
        };
        let problems = check::check(&CheckInput {
            conf: self.conf,
            container_id: &self.inv.container_id,
            ifname: &self.inv.ifname,
            netns: &self.inv.netns,
            prev,
            container: &container,
            host: &host,
            container_nsid,
            proxy_arp,
            masq_present,
            reserved,
        });
        match problems.first() {
            None => Ok(()),
            Some(first) => {
                Err(CniError::new(codes::CHECK_FAILED, first.clone())
                    .with_details(problems.join("; ")))
            }
        }
    }

    fn status(&self) -> Result<(), CniError> {
        let unavailable = |msg: String| CniError::new(codes::NOT_AVAILABLE, msg);
        let mask = caps::effective()
            .map_err(|e| unavailable(format!("cannot read this process's capabilities: {e}")))?;
        let missing: Vec<&str> = PLUMBING_CAPS
            .iter()
            .filter(|c| mask & (1u64 << c.0) == 0)
            .map(|c| c.1)
            .collect();
        if !missing.is_empty() {
            return Err(unavailable(format!(
                "podnet cannot plumb pods: it lacks {}",
                missing.join(", ")
            ))
            .with_details(
                "ADD creates links and enters pod namespaces: run the plugin as root with CAP_NET_ADMIN and CAP_SYS_ADMIN",
            ));
        }
        match &self.conf.ipam {
            Ipam::HostLocal(hl) => {
                let store = Store::open(&hl.store_dir())
                    .map_err(|e| unavailable(format!("IPAM store: {e}")))?;
                let g = store
                    .lock()
                    .map_err(|e| unavailable(format!("IPAM lock: {e}")))?;
                let st = store
                    .read_state(&g)
                    .map_err(|e| unavailable(format!("IPAM store: {e}")))?;
                let full = ipam::exhausted_sets(hl, &st);
                if let Some(i) = full.first() {
                    return Err(unavailable(format!(
                        "no IP addresses available in range set {i}: {}",
                        hl.ranges[*i]
                    )));
                }
            }
            Ipam::Delegated(plugin) => {
                if let Err(e) = self.delegate_binary(plugin) {
                    return Err(unavailable(e.msg).with_details(e.details));
                }
                if self.delegate_has_gc(plugin) {
                    self.delegate(plugin, "STATUS")?;
                }
            }
            Ipam::None => {}
        }
        if self.conf.ip_masq {
            let tool = match self.backend() {
                MasqBackend::Nftables => "nft",
                MasqBackend::Iptables => "iptables",
            };
            if firewall::tool(tool).is_none() {
                return Err(unavailable(format!(
                    "ipMasq needs {tool}, which is not installed"
                )));
            }
        }
        Ok(())
    }

    fn gc(&self) -> Result<(), CniError> {
        let valid = self.conf.valid_attachments.clone().ok_or_else(|| {
            CniError::invalid_config("GC needs cni.dev/valid-attachments (the attachments to keep)")
        })?;
        let mut errors: Vec<String> = Vec::new();
        match &self.conf.ipam {
            Ipam::HostLocal(hl) => {
                if let Some(store) =
                    Store::open_existing(&hl.store_dir()).map_err(|e| ipam_err("IPAM store", e))?
                {
                    let g = store.lock().map_err(|e| ipam_err("IPAM lock", e))?;
                    let st = store
                        .read_state(&g)
                        .map_err(|e| ipam_err("IPAM store", e))?;
                    for r in ipam::stale(&st, &valid) {
                        if let Err(e) = store.release(&g, r.ip) {
                            errors.push(format!("release {}: {e}", r.ip));
                        }
                    }
                }
            }
            Ipam::Delegated(plugin) => {
                if self.delegate_has_gc(plugin)
                    && let Err(e) = self.delegate(plugin, "GC")
                {
                    errors.push(format!("IPAM plugin {plugin} GC: {}", e.msg));
                }
            }
            Ipam::None => {}
        }
        let keep: HashSet<String> = valid
            .iter()
            .map(|a| names::attachment_key(&self.conf.name, &a.container_id, &a.ifname))
            .collect();
        let net = names::network_key(&self.conf.name);
        let k = self.kernel(None)?;
        let host = host_view(&k.host)?;
        for l in &host.links {
            let Some((n, a)) = l.alias.as_deref().and_then(names::parse_marker) else {
                continue;
            };
            if n == net
                && !keep.contains(a)
                && l.kind == "veth"
                && let Err(e) = k.host.delete_link(&l.name)
            {
                errors.push(format!("delete {}: {e}", l.name));
            }
        }
        let name = self.conf.name.clone();
        match k.host.run(move || firewall::attachments_of_network(&name)) {
            Ok(Ok(keys)) => {
                let stale: Vec<String> = keys.into_iter().filter(|k| !keep.contains(k)).collect();
                if !stale.is_empty() {
                    match k.host.run(move || firewall::remove_keys(&stale)) {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) | Err(e) => errors.push(format!("ipMasq: {e}")),
                    }
                }
            }
            Ok(Err(e)) | Err(e) => errors.push(format!("ipMasq: {e}")),
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(
                CniError::kernel(format!("GC could not remove everything: {}", errors[0]))
                    .with_details(errors.join("; ")),
            )
        }
    }
}

/// Appends this plugin's result to a previous plugin's (interfaces indexed after its own).
fn merge_prev(prev: &CniResult, mine: CniResult) -> CniResult {
    let offset = prev.interfaces.len();
    let mut out = prev.clone();
    out.interfaces.extend(mine.interfaces);
    out.ips.extend(mine.ips.into_iter().map(|mut ip| {
        ip.interface = ip.interface.map(|i| i + offset);
        ip
    }));
    out.routes.extend(mine.routes);
    if mine.dns.is_set() {
        out.dns = mine.dns;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(k: &str) -> Option<String> {
        match k {
            "PODNET_CNI_FAIL_AT_STEP" => Some("3".into()),
            "PODNET_CNI_STOP_AT_STEP" => Some(" 5 ".into()),
            "PODNET_CNI_STOP_SECONDS" => Some("99999".into()),
            _ => None,
        }
    }

    #[test]
    fn fault_hooks_exist_only_with_the_test_hooks_feature() {
        let f = Faults::from_vars(vars);
        assert_eq!(f.fail_at, Some(3));
        assert_eq!(f.stop_at, Some(5));
        assert_eq!(f.stop_for, STOP_HOOK_LIMIT, "a stop is bounded");
        // without the feature, the hooks are these whatever the environment says
        let none = Faults::default();
        assert_eq!((none.fail_at, none.stop_at), (None, None));
        // `cargo test` builds podnet with the feature (the self dev-dependency)
        const { assert!(cfg!(feature = "test-hooks")) };
    }

    #[test]
    fn a_stop_hook_ends_by_itself() {
        let mut h = Hooks {
            explain: None,
            faults: Faults {
                stop_at: Some(1),
                stop_for: Duration::from_millis(10),
                ..Faults::default()
            },
        };
        let step = Step::plain(Action::ReserveAddresses {
            source: String::new(),
        });
        h.after(1, &step, true); // returns: the ADD goes on
        assert!(h.before(2, &step).is_ok());
    }
}
