//! The plumbing plan: steps (kernel actions), each with the action that
//! undoes it; a journal that runs steps in order and, on failure, undoes
//! the applied ones in reverse; and the `ip`/`sysctl`/`nft` command each
//! action is equivalent to (for `--explain`). Pure: an [`Executor`] does
//! the actions.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use super::config::MasqBackend;
use super::error::codes;

/// Which network namespace an action runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The node's namespace (where the plugin runs).
    Host,
    /// The pod's namespace (CNI_NETNS).
    Container,
}

/// A route's scope (rtnetlink `rtm_scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Universe,
    Link,
    Host,
}

/// A route to add or delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub dst: IpNet,
    pub gw: Option<IpAddr>,
    pub dev: String,
    pub scope: Scope,
    pub src: Option<IpAddr>,
    pub metric: Option<u32>,
    pub table: Option<u32>,
}

impl RouteSpec {
    pub fn new(dst: IpNet, gw: Option<IpAddr>, dev: &str) -> RouteSpec {
        RouteSpec {
            dst,
            gw,
            dev: dev.to_string(),
            scope: Scope::Universe,
            src: None,
            metric: None,
            table: None,
        }
    }
}

/// One masqueraded pod address: traffic from `src` to anywhere but its
/// own `subnet` (and multicast) leaves with the node's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasqRule {
    pub src: IpAddr,
    pub subnet: IpNet,
}

/// The attachment a resource belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub network: String,
    pub container_id: String,
    pub ifname: String,
}

/// One kernel (or store) action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create the bridge unless it exists (a non-bridge of that name is an error).
    EnsureBridge {
        name: String,
        mtu: Option<u32>,
        promisc: bool,
    },
    /// Delete the bridge if no port is attached to it any more.
    DeleteBridgeIfUnused {
        name: String,
    },
    /// Create a veth pair inside the container with its peer in the host
    /// namespace (one netlink request: both ends exist or neither).
    CreateVeth {
        ifname: String,
        host_ifname: String,
        mtu: Option<u32>,
        host_mac: Option<[u8; 6]>,
    },
    DeleteLink {
        side: Side,
        name: String,
    },
    /// Delete a host link only if its alias marks it as this attachment's.
    DeleteOwnedLink {
        name: String,
        owner: Owner,
    },
    SetLinkUp {
        side: Side,
        name: String,
    },
    SetAlias {
        side: Side,
        name: String,
        alias: String,
    },
    SetMaster {
        name: String,
        master: String,
    },
    SetHairpin {
        name: String,
        on: bool,
    },
    /// Pin the bridge's MAC address (else it follows its lowest port's).
    PinBridgeMac {
        name: String,
    },
    AddAddress {
        side: Side,
        dev: String,
        addr: IpNet,
    },
    /// Put a gateway address on the bridge (the same address is fine; a
    /// different IPv4 address is an error unless `force`).
    EnsureBridgeAddress {
        bridge: String,
        addr: IpNet,
        force: bool,
    },
    /// Remove a gateway address if the bridge has no port left.
    DelBridgeAddressIfUnused {
        bridge: String,
        addr: IpNet,
    },
    AddRoute {
        side: Side,
        route: RouteSpec,
    },
    DelRoute {
        side: Side,
        route: RouteSpec,
    },
    /// A permanent neighbour (ARP/NDP) entry.
    AddNeighbour {
        side: Side,
        dev: String,
        ip: IpAddr,
        mac: [u8; 6],
    },
    /// Write a sysctl under /proc/sys (key with `/` separators).
    Sysctl {
        side: Side,
        key: String,
        value: String,
    },
    /// Wait until no address on `dev` is tentative (IPv6 DAD done).
    SettleAddresses {
        side: Side,
        dev: String,
    },
    /// Wait until `dev` is operationally up.
    WaitOperUp {
        side: Side,
        dev: String,
    },
    AddMasquerade {
        backend: MasqBackend,
        owner: Owner,
        rules: Vec<MasqRule>,
    },
    /// Remove an attachment's masquerade rules (both backends).
    DelMasquerade {
        owner: Owner,
    },
    /// The IPAM reservation made before the plan (its undo releases it);
    /// `source` says where from (`host-local /var/lib/cni/networks/net1`).
    ReserveAddresses {
        source: String,
    },
    ReleaseAddresses {
        owner: Owner,
    },
}

/// A step: an action and what undoes it (`None`: nothing to undo, or it
/// goes away with an earlier step's undo, e.g. an address on a link that
/// the rollback deletes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub action: Action,
    pub undo: Option<Action>,
}

impl Step {
    pub fn new(action: Action, undo: Option<Action>) -> Step {
        Step { action, undo }
    }

    pub fn plain(action: Action) -> Step {
        Step { action, undo: None }
    }
}

/// Why an action failed: what went wrong and, when it is not a kernel
/// error, the CNI code the plugin reports for it (a busy bridge is
/// [`codes::TRY_AGAIN_LATER`], a taken host name [`codes::HOST_NAME_TAKEN`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub msg: String,
    /// `None`: a kernel error ([`codes::KERNEL`]).
    pub code: Option<u32>,
}

impl StepError {
    /// A kernel error.
    pub fn new(msg: impl Into<String>) -> StepError {
        StepError {
            msg: msg.into(),
            code: None,
        }
    }

    /// An error with its own CNI code.
    pub fn coded(code: u32, msg: impl Into<String>) -> StepError {
        StepError {
            msg: msg.into(),
            code: Some(code),
        }
    }

    /// The CNI code to report.
    pub fn cni_code(&self) -> u32 {
        self.code.unwrap_or(codes::KERNEL)
    }
}

impl From<String> for StepError {
    fn from(msg: String) -> StepError {
        StepError::new(msg)
    }
}

impl From<&str> for StepError {
    fn from(msg: &str) -> StepError {
        StepError::new(msg)
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

/// Does actions. `apply` says whether it changed anything: a step that
/// found its work already done (a bridge that existed) is not undone.
pub trait Executor {
    fn apply(&mut self, action: &Action) -> Result<bool, StepError>;
}

/// Hooks around each step: explaining, fault injection in tests.
pub trait Observer {
    /// Before step `n` (1-based); an error stops the plan before it runs.
    fn before(&mut self, _n: usize, _step: &Step) -> Result<(), StepError> {
        Ok(())
    }
    /// After step `n` ran; `changed` is what the executor said.
    fn after(&mut self, _n: usize, _step: &Step, _changed: bool) {}
}

/// An observer that does nothing.
pub struct Quiet;
impl Observer for Quiet {}

/// A failed step and what the rollback could not undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// 1-based step number.
    pub step: usize,
    pub action: Box<Action>,
    pub error: StepError,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {} ({}): {}",
            self.step,
            self.action.summary(),
            self.error
        )
    }
}

/// Runs steps and remembers how to undo them.
#[derive(Debug, Default)]
pub struct Journal {
    applied: usize,
    undo: Vec<Action>,
}

impl Journal {
    pub fn new() -> Journal {
        Journal::default()
    }

    /// How many steps ran.
    pub fn steps_run(&self) -> usize {
        self.applied
    }

    /// Runs one step through `run` (normally the executor); records its undo
    /// when it changed something.
    pub fn run_with(
        &mut self,
        step: &Step,
        obs: &mut dyn Observer,
        run: impl FnOnce(&Action) -> Result<bool, StepError>,
    ) -> Result<bool, Failure> {
        let n = self.applied + 1;
        let fail = |error: StepError| Failure {
            step: n,
            action: Box::new(step.action.clone()),
            error,
        };
        obs.before(n, step).map_err(fail)?;
        let changed = run(&step.action).map_err(fail)?;
        self.applied = n;
        if changed && let Some(u) = &step.undo {
            self.undo.push(u.clone());
        }
        obs.after(n, step, changed);
        Ok(changed)
    }

    /// Runs one step with the executor.
    pub fn run(
        &mut self,
        step: &Step,
        exec: &mut dyn Executor,
        obs: &mut dyn Observer,
    ) -> Result<bool, Failure> {
        self.run_with(step, obs, |a| exec.apply(a))
    }

    /// Runs every step in order; stops at the first failure.
    pub fn run_all(
        &mut self,
        steps: &[Step],
        exec: &mut dyn Executor,
        obs: &mut dyn Observer,
    ) -> Result<(), Failure> {
        for s in steps {
            self.run(s, exec, obs)?;
        }
        Ok(())
    }

    /// The undo actions still pending, last first.
    pub fn pending_undo(&self) -> impl Iterator<Item = &Action> {
        self.undo.iter().rev()
    }

    /// Undoes every applied step in reverse order, continuing past
    /// failures; returns what could not be undone.
    pub fn rollback(&mut self, exec: &mut dyn Executor) -> Vec<String> {
        let mut errors = Vec::new();
        while let Some(a) = self.undo.pop() {
            if let Err(e) = exec.apply(&a) {
                errors.push(format!("undo {}: {e}", a.summary()));
            }
        }
        errors
    }

    /// Forgets the undo actions (the plan succeeded).
    pub fn commit(&mut self) {
        self.undo.clear();
    }
}

/// How the namespaces are named in explanations.
#[derive(Debug, Clone)]
pub struct ExplainCtx {
    /// The pod's netns path (CNI_NETNS).
    pub container_netns: String,
}

impl ExplainCtx {
    fn ip(&self, side: Side) -> String {
        match side {
            Side::Host => "ip".into(),
            Side::Container => match self.netns_name() {
                Some(n) => format!("ip -n {n}"),
                None => format!("nsenter --net={} ip", self.container_netns),
            },
        }
    }

    fn exec(&self, side: Side) -> String {
        match side {
            Side::Host => String::new(),
            Side::Container => match self.netns_name() {
                Some(n) => format!("ip netns exec {n} "),
                None => format!("nsenter --net={} ", self.container_netns),
            },
        }
    }

    /// The name `ip netns` knows the pod netns by, if it is in /run/netns.
    fn netns_name(&self) -> Option<&str> {
        let p = std::path::Path::new(&self.container_netns);
        let parent = p.parent()?.to_str()?;
        if parent == "/run/netns" || parent == "/var/run/netns" {
            p.file_name()?.to_str()
        } else {
            None
        }
    }
}

/// `net/ipv4/conf/eth0.5/rp_filter` → `net.ipv4.conf.eth0/5.rp_filter`.
pub fn sysctl_dotted(key: &str) -> String {
    key.split('/')
        .filter(|p| !p.is_empty())
        .map(|p| p.replace('.', "/"))
        .collect::<Vec<_>>()
        .join(".")
}

fn route_words(r: &RouteSpec) -> String {
    let dst = if r.dst.prefix_len() == 0 {
        "default".to_string()
    } else if r.dst.prefix_len() == r.dst.max_prefix_len() {
        r.dst.addr().to_string()
    } else {
        r.dst.to_string()
    };
    let mut s = dst;
    if let Some(gw) = r.gw {
        s.push_str(&format!(" via {gw}"));
    }
    s.push_str(&format!(" dev {}", r.dev));
    match r.scope {
        Scope::Universe => {}
        Scope::Link => s.push_str(" scope link"),
        Scope::Host => s.push_str(" scope host"),
    }
    if let Some(src) = r.src {
        s.push_str(&format!(" src {src}"));
    }
    if let Some(m) = r.metric {
        s.push_str(&format!(" metric {m}"));
    }
    if let Some(t) = r.table {
        s.push_str(&format!(" table {t}"));
    }
    s
}

fn mac_str(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

impl Action {
    /// A few words for error messages.
    pub fn summary(&self) -> String {
        let ctx = ExplainCtx {
            container_netns: "<pod>".into(),
        };
        self.explain(&ctx).join("; ")
    }

    /// The shell commands this action is equivalent to.
    pub fn explain(&self, ctx: &ExplainCtx) -> Vec<String> {
        self.explain_link(ctx)
            .or_else(|| self.explain_addressing(ctx))
            .unwrap_or_else(|| self.explain_other())
    }

    /// Links and bridges; `None`: not such an action.
    fn explain_link(&self, ctx: &ExplainCtx) -> Option<Vec<String>> {
        Some(match self {
            Action::EnsureBridge { name, mtu, promisc } => {
                let mut v = vec![format!(
                    "ip link add {name}{} type bridge    # unless it exists",
                    mtu.map(|m| format!(" mtu {m}")).unwrap_or_default()
                )];
                if *promisc {
                    v.push(format!("ip link set {name} promisc on"));
                }
                v
            }
            Action::DeleteBridgeIfUnused { name } => {
                vec![format!("ip link del {name}    # if no port is left on it")]
            }
            Action::CreateVeth {
                ifname,
                host_ifname,
                mtu,
                host_mac,
            } => {
                let netns = ctx
                    .netns_name()
                    .map(str::to_string)
                    .unwrap_or_else(|| ctx.container_netns.clone());
                let m = mtu.map(|m| format!(" mtu {m}")).unwrap_or_default();
                let a = host_mac
                    .map(|a| format!(" address {}", mac_str(&a)))
                    .unwrap_or_default();
                vec![format!(
                    "ip link add {host_ifname}{m}{a} type veth peer name {ifname}{m} netns {netns}"
                )]
            }
            Action::DeleteLink { side, name } => vec![format!("{} link del {name}", ctx.ip(*side))],
            Action::DeleteOwnedLink { name, .. } => {
                vec![format!(
                    "ip link del {name}    # if its alias names this attachment"
                )]
            }
            Action::SetLinkUp { side, name } => {
                vec![format!("{} link set {name} up", ctx.ip(*side))]
            }
            Action::SetAlias { side, name, alias } => {
                vec![format!("{} link set {name} alias '{alias}'", ctx.ip(*side))]
            }
            Action::SetMaster { name, master } => {
                vec![format!("ip link set {name} master {master}")]
            }
            Action::SetHairpin { name, on } => vec![format!(
                "bridge link set dev {name} hairpin {}",
                if *on { "on" } else { "off" }
            )],
            Action::PinBridgeMac { name } => vec![format!(
                "ip link set {name} address $(cat /sys/class/net/{name}/address)    # pin the bridge MAC"
            )],
            _ => return None,
        })
    }

    /// Addresses, routes, neighbours, sysctls; `None`: not such an action.
    fn explain_addressing(&self, ctx: &ExplainCtx) -> Option<Vec<String>> {
        Some(match self {
            Action::AddAddress { side, dev, addr } => {
                vec![format!("{} addr add {addr} dev {dev}", ctx.ip(*side))]
            }
            Action::EnsureBridgeAddress { bridge, addr, .. } => {
                vec![format!(
                    "ip addr add {addr} dev {bridge}    # unless it is there"
                )]
            }
            Action::DelBridgeAddressIfUnused { bridge, addr } => {
                vec![format!(
                    "ip addr del {addr} dev {bridge}    # if no port is left on it"
                )]
            }
            Action::AddRoute { side, route } => {
                vec![format!(
                    "{} route add {}",
                    ctx.ip(*side),
                    route_words(route)
                )]
            }
            Action::DelRoute { side, route } => {
                vec![format!(
                    "{} route del {}",
                    ctx.ip(*side),
                    route_words(route)
                )]
            }
            Action::AddNeighbour { side, dev, ip, mac } => vec![format!(
                "{} neigh replace {ip} lladdr {} dev {dev} nud permanent",
                ctx.ip(*side),
                mac_str(mac)
            )],
            Action::Sysctl { side, key, value } => {
                vec![format!(
                    "{}sysctl -w {}={value}",
                    ctx.exec(*side),
                    sysctl_dotted(key)
                )]
            }
            Action::SettleAddresses { side, dev } => vec![format!(
                "{} -6 addr show dev {dev} tentative    # wait until empty (duplicate address detection)",
                ctx.ip(*side)
            )],
            Action::WaitOperUp { side, dev } => {
                vec![format!(
                    "{} link show {dev}    # wait for state UP",
                    ctx.ip(*side)
                )]
            }
            _ => return None,
        })
    }

    /// The firewall and IPAM.
    fn explain_other(&self) -> Vec<String> {
        match self {
            Action::AddMasquerade {
                backend,
                owner,
                rules,
            } => {
                let marker =
                    super::names::marker(&owner.network, &owner.container_id, &owner.ifname);
                let mut v = Vec::new();
                match backend {
                    MasqBackend::Nftables => {
                        v.push("nft add table inet podnet".into());
                        v.push("nft add chain inet podnet postrouting '{ type nat hook postrouting priority srcnat; }'".into());
                        for r in rules {
                            let (fam, mcast) = if r.src.is_ipv4() {
                                ("ip", "224.0.0.0/4")
                            } else {
                                ("ip6", "ff00::/8")
                            };
                            v.push(format!(
                                "nft add rule inet podnet postrouting {fam} saddr {} {fam} daddr != {} {fam} daddr != {mcast} masquerade comment '\"{marker}\"'",
                                r.src, r.subnet
                            ));
                        }
                    }
                    MasqBackend::Iptables => {
                        let chain = super::names::masq_chain(
                            &owner.network,
                            &owner.container_id,
                            &owner.ifname,
                        );
                        for r in rules {
                            let (tool, mcast) = if r.src.is_ipv4() {
                                ("iptables", "224.0.0.0/4")
                            } else {
                                ("ip6tables", "ff00::/8")
                            };
                            v.push(format!("{tool} -t nat -N {chain}"));
                            v.push(format!("{tool} -t nat -A {chain} -d {} -j ACCEPT -m comment --comment '{marker}'", r.subnet));
                            v.push(format!("{tool} -t nat -A {chain} ! -d {mcast} -j MASQUERADE -m comment --comment '{marker}'"));
                            v.push(format!("{tool} -t nat -A POSTROUTING -s {} -j {chain} -m comment --comment '{marker}'", r.src));
                        }
                    }
                }
                v
            }
            Action::DelMasquerade { owner } => {
                let marker =
                    super::names::marker(&owner.network, &owner.container_id, &owner.ifname);
                vec![format!(
                    "nft delete rule inet podnet postrouting handle <each rule commented '{marker}'>; iptables -t nat -D POSTROUTING … -j {}",
                    super::names::masq_chain(&owner.network, &owner.container_id, &owner.ifname)
                )]
            }
            Action::ReserveAddresses { source } => {
                vec![format!(
                    "# IPAM: reserve an address per range set ({source})"
                )]
            }
            Action::ReleaseAddresses { owner } => vec![format!(
                "# IPAM: release the addresses of {}/{}",
                owner.container_id, owner.ifname
            )],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
