//! The lab's desired state per namespace (switch, node, pod), what is
//! observed there, and the diff between them: the actions `lab fix`
//! applies (and `lab break` reuses to inject faults). Each action knows
//! its aspect (so `fix <fault>` can apply only that aspect) and the
//! command it is equivalent to. No I/O.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use super::plan::{
    CNI_BRIDGE, NODE_UPLINK, Overlay, POD_IFNAME, PodMode, UNDERLAY_MTU, VXLAN_DEV, VXLAN_OVERHEAD,
    VXLAN_PORT, VXLAN_VNI,
};
use super::state::{LabState, NodeState, PodState};

/// A namespace of the lab.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NsRef {
    Switch,
    /// A node, by name.
    Node(String),
    /// A pod, by `namespace/name`.
    Pod(String),
}

impl fmt::Display for NsRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NsRef::Switch => write!(f, "switch"),
            NsRef::Node(n) | NsRef::Pod(n) => write!(f, "{n}"),
        }
    }
}

/// What part of the lab an action touches (`fix <fault>` picks by aspect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aspect {
    /// Links that must exist (created, recreated, enslaved), their MAC and addresses.
    Structure,
    /// Administrative up/down.
    LinkState,
    Mtu,
    Route,
    Neighbour,
    Fdb,
    /// `ip_forward` and per-interface `forwarding`.
    Forwarding,
    RpFilter,
    /// Other sysctls (proxy_arp, bridge-nf-call-iptables).
    Sysctl,
    /// nftables and legacy iptables rules.
    Firewall,
    /// A pod's pause process (started again when it is gone).
    Pause,
}

/// An IPv4 route of the main table, as wanted or as seen.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RouteEntry {
    pub dst: Ipv4Net,
    pub gw: Option<Ipv4Addr>,
    /// Output interface ("" for blackhole and similar routes).
    pub dev: String,
    /// `rtm_scope`: 0 universe, 253 link, 254 host.
    pub scope: u8,
    pub onlink: bool,
    pub src: Option<Ipv4Addr>,
    pub metric: u32,
}

impl RouteEntry {
    /// `ip route` words: `10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink`.
    pub fn words(&self) -> String {
        let mut s = if self.dst.prefix_len() == 0 {
            "default".to_string()
        } else if self.dst.prefix_len() == 32 {
            self.dst.addr().to_string()
        } else {
            self.dst.to_string()
        };
        if let Some(g) = self.gw {
            s.push_str(&format!(" via {g}"));
        }
        if !self.dev.is_empty() {
            s.push_str(&format!(" dev {}", self.dev));
        }
        match self.scope {
            253 => s.push_str(" scope link"),
            254 => s.push_str(" scope host"),
            _ => {}
        }
        if let Some(src) = self.src {
            s.push_str(&format!(" src {src}"));
        }
        if self.metric != 0 {
            s.push_str(&format!(" metric {}", self.metric));
        }
        if self.onlink {
            s.push_str(" onlink");
        }
        s
    }

    /// The kernel's key of a route in a table: replacing one replaces the other.
    fn key(&self) -> (Ipv4Net, u32) {
        (self.dst, self.metric)
    }
}

/// A permanent IPv4 neighbour entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NeighEntry {
    pub dev: String,
    pub ip: Ipv4Addr,
    pub mac: String,
}

/// A bridge FDB entry of a VXLAN device (`<mac> dst <ip>`), with the UDP
/// port and VNI it sends with when they are not the device's own (the
/// kernel reports them only then).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FdbEntry {
    pub dev: String,
    pub mac: String,
    pub dst: Option<Ipv4Addr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vni: Option<u32>,
}

impl FdbEntry {
    /// `<mac> dst <dst>` on `dev`, with the device's port and VNI.
    pub fn new(dev: &str, mac: &str, dst: Ipv4Addr) -> FdbEntry {
        FdbEntry {
            dev: dev.into(),
            mac: mac.into(),
            dst: Some(dst),
            port: None,
            vni: None,
        }
    }

    /// `bridge fdb` words: `0e:6c:61:62:00:02 dev flannel.1 dst 172.30.0.12`.
    pub fn words(&self) -> String {
        let mut s = format!("{} dev {}", self.mac, self.dev);
        if let Some(d) = self.dst {
            s.push_str(&format!(" dst {d}"));
        }
        if let Some(p) = self.port {
            s.push_str(&format!(" port {p}"));
        }
        if let Some(v) = self.vni {
            s.push_str(&format!(" vni {v}"));
        }
        s
    }

    /// The same kernel entry (device and MAC): a unicast MAC has one
    /// destination, which `bridge fdb replace` changes.
    fn same_mac(&self, other: &FdbEntry) -> bool {
        self.dev == other.dev && self.mac.eq_ignore_ascii_case(&other.mac)
    }

    fn same(&self, other: &FdbEntry) -> bool {
        self.same_mac(other)
            && self.dst == other.dst
            && self.port == other.port
            && self.vni == other.vni
    }
}

/// The kernel's routing tables that have names.
pub const RT_TABLE_DEFAULT: u32 = 253;
pub const RT_TABLE_MAIN: u32 = 254;
pub const RT_TABLE_LOCAL: u32 = 255;

/// A table as `ip` names it (`local`, `main`, `default`, else its number).
pub fn table_name(table: u32) -> String {
    match table {
        RT_TABLE_DEFAULT => "default".into(),
        RT_TABLE_MAIN => "main".into(),
        RT_TABLE_LOCAL => "local".into(),
        t => t.to_string(),
    }
}

/// What a policy rule does (`FR_ACT_*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RuleAction {
    /// Look the route up in this table.
    Lookup(u32),
    /// Continue at the rule with this priority.
    Goto(u32),
    Nop,
    Blackhole,
    Unreachable,
    Prohibit,
    Other(u8),
}

/// An IPv4 policy routing rule (`ip rule`), as wanted or as seen.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuleEntry {
    pub priority: u32,
    /// `not`: the selector is inverted.
    pub not: bool,
    pub src: Option<Ipv4Net>,
    pub dst: Option<Ipv4Net>,
    pub tos: u8,
    /// `fwmark <mark>/<mask>`.
    pub fwmark: Option<(u32, u32)>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    /// Any other selector, as words (`ipproto`, ports, `uidrange`…).
    pub other: Vec<String>,
    pub action: RuleAction,
}

impl RuleEntry {
    /// `pref <priority> from all lookup <table>`.
    pub fn lookup(priority: u32, table: u32) -> RuleEntry {
        RuleEntry {
            priority,
            not: false,
            src: None,
            dst: None,
            tos: 0,
            fwmark: None,
            iif: None,
            oif: None,
            other: Vec::new(),
            action: RuleAction::Lookup(table),
        }
    }

    /// `ip rule` words: `pref 100 from 10.244.1.0/24 lookup 100`.
    pub fn words(&self) -> String {
        let mut s = format!("pref {}", self.priority);
        if self.not {
            s.push_str(" not");
        }
        match self.src {
            Some(n) => s.push_str(&format!(" from {n}")),
            None => s.push_str(" from all"),
        }
        if let Some(n) = self.dst {
            s.push_str(&format!(" to {n}"));
        }
        if self.tos != 0 {
            s.push_str(&format!(" tos {:#x}", self.tos));
        }
        if let Some((mark, mask)) = self.fwmark {
            s.push_str(&format!(" fwmark {mark:#x}/{mask:#x}"));
        }
        if let Some(i) = &self.iif {
            s.push_str(&format!(" iif {i}"));
        }
        if let Some(o) = &self.oif {
            s.push_str(&format!(" oif {o}"));
        }
        for w in &self.other {
            s.push_str(&format!(" {w}"));
        }
        match &self.action {
            RuleAction::Lookup(t) => s.push_str(&format!(" lookup {}", table_name(*t))),
            RuleAction::Goto(p) => s.push_str(&format!(" goto {p}")),
            RuleAction::Nop => s.push_str(" nop"),
            RuleAction::Blackhole => s.push_str(" blackhole"),
            RuleAction::Unreachable => s.push_str(" unreachable"),
            RuleAction::Prohibit => s.push_str(" prohibit"),
            RuleAction::Other(a) => s.push_str(&format!(" action {a}")),
        }
        s
    }
}

/// The IPv4 rules of a new network namespace, which the lab keeps: the
/// local, main and default tables, in that order.
pub fn default_rules() -> Vec<RuleEntry> {
    vec![
        RuleEntry::lookup(0, RT_TABLE_LOCAL),
        RuleEntry::lookup(32766, RT_TABLE_MAIN),
        RuleEntry::lookup(32767, RT_TABLE_DEFAULT),
    ]
}

/// An IPv4 route outside the main table that the kernel did not make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRoute {
    pub table: u32,
    /// Its `ip route` type word (`unreachable`, `local`…), "" for unicast.
    pub kind: String,
    /// `rtm_protocol`: a delete names it, so it never takes a kernel route
    /// with the same key instead.
    pub protocol: u8,
    pub route: RouteEntry,
}

impl TableRoute {
    /// `ip route` words: `unreachable default table 100`.
    pub fn words(&self) -> String {
        let kind = if self.kind.is_empty() {
            String::new()
        } else {
            format!("{} ", self.kind)
        };
        format!(
            "{kind}{} table {}",
            self.route.words(),
            table_name(self.table)
        )
    }
}

/// VXLAN parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VxlanParams {
    pub vni: u32,
    pub local: Ipv4Addr,
    pub port: u16,
    /// The underlay device.
    pub dev: String,
}

/// What kind of link must be there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkKind {
    Loopback,
    /// A veth the diff cannot create by itself (the switch recreates node uplinks).
    Veth,
    Bridge,
    Vxlan(VxlanParams),
}

impl LinkKind {
    fn kind_name(&self) -> &'static str {
        match self {
            LinkKind::Loopback => "",
            LinkKind::Veth => "veth",
            LinkKind::Bridge => "bridge",
            LinkKind::Vxlan(_) => "vxlan",
        }
    }
}

/// A link as it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkWant {
    pub name: String,
    pub kind: LinkKind,
    pub mtu: Option<u32>,
    pub master: Option<String>,
    pub mac: Option<String>,
    pub addrs: Vec<Ipv4Net>,
    /// For a missing switch port: the node whose uplink pair to recreate.
    pub uplink_of: Option<String>,
}

impl LinkWant {
    fn new(name: &str, kind: LinkKind) -> LinkWant {
        LinkWant {
            name: name.into(),
            kind,
            mtu: None,
            master: None,
            mac: None,
            addrs: Vec::new(),
            uplink_of: None,
        }
    }
}

/// A sysctl as it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysctlWant {
    /// `/`-separated key (`net/ipv4/ip_forward`).
    pub key: String,
    pub value: String,
    pub aspect: Aspect,
}

/// The desired state of one namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NsDesired {
    pub links: Vec<LinkWant>,
    /// Main-table routes besides the kernel's own; others are removed.
    pub routes: Vec<RouteEntry>,
    pub neighbours: Vec<NeighEntry>,
    /// Devices whose neighbours other than `neighbours` are removed.
    pub own_neighbours_on: Vec<String>,
    pub fdb: Vec<FdbEntry>,
    /// Devices whose FDB entries other than `fdb` are removed.
    pub own_fdb_on: Vec<String>,
    pub sysctls: Vec<SysctlWant>,
    /// `net/ipv4/conf/<dev>/<suffix>` wanted for every link.
    pub per_link_sysctls: Vec<(String, String, Aspect)>,
    /// No nftables ruleset and no legacy iptables rule or non-ACCEPT policy.
    pub no_firewall: bool,
    /// No IPv4 route exceptions (learnt path MTUs, redirects): a PMTU
    /// learnt while an MTU was wrong outlives the fix for ten minutes.
    pub no_route_exceptions: bool,
    /// Exactly the kernel's default IPv4 rules ([`default_rules`]), and no
    /// route outside the main table but the kernel's own: a rule or a
    /// route in another table overrides the main table.
    pub default_policy_routing: bool,
}

/// VXLAN attributes of a link, as seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VxlanObs {
    pub vni: Option<u32>,
    pub local: Option<Ipv4Addr>,
    pub port: Option<u16>,
    pub learning: Option<bool>,
    /// The underlay device's name.
    pub dev: Option<String>,
}

/// A link as seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkObs {
    pub name: String,
    pub index: u32,
    /// `veth`, `bridge`, `vxlan`, "" for loopback.
    pub kind: String,
    pub up: bool,
    pub mtu: u32,
    pub master: Option<String>,
    pub mac: String,
    pub addrs: Vec<Ipv4Net>,
    pub vxlan: Option<VxlanObs>,
}

/// A neighbour entry as seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeighObs {
    pub dev: String,
    pub ip: Ipv4Addr,
    pub mac: Option<String>,
    pub permanent: bool,
}

/// A namespace as seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NsObs {
    pub links: Vec<LinkObs>,
    /// IPv4 main-table routes that are not the kernel's (protocol kernel).
    pub routes: Vec<RouteEntry>,
    pub neighbours: Vec<NeighObs>,
    pub fdb: Vec<FdbEntry>,
    /// The sysctls asked for (missing keys are absent).
    pub sysctls: BTreeMap<String, String>,
    /// `nft list ruleset` is not empty.
    pub nft_rules: bool,
    /// Legacy iptables tables with a rule, a user chain or a non-ACCEPT policy.
    pub legacy_dirty: Vec<String>,
    /// IPv4 route exceptions (`ip route show cache`).
    pub route_exceptions: usize,
    /// IPv4 policy rules (read when `default_policy_routing` is wanted).
    pub rules: Vec<RuleEntry>,
    /// IPv4 routes outside the main table that the kernel did not make.
    pub other_routes: Vec<TableRoute>,
}

impl NsObs {
    pub fn link(&self, name: &str) -> Option<&LinkObs> {
        self.links.iter().find(|l| l.name == name)
    }
}

/// One change to a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    CreateLink(LinkWant),
    /// In the switch: the veth pair `<port>` ↔ the node's `eth0`.
    CreateUplink {
        node: String,
        port: String,
    },
    DeleteLink {
        dev: String,
    },
    SetUp {
        dev: String,
    },
    SetDown {
        dev: String,
    },
    SetMtu {
        dev: String,
        mtu: u32,
    },
    SetMaster {
        dev: String,
        master: String,
    },
    SetMac {
        dev: String,
        mac: String,
    },
    AddAddress {
        dev: String,
        addr: Ipv4Net,
    },
    ReplaceRoute(RouteEntry),
    DelRoute(RouteEntry),
    ReplaceNeigh(NeighEntry),
    DelNeigh {
        dev: String,
        ip: Ipv4Addr,
    },
    /// Creates an FDB entry (or adds a destination to a multicast one).
    AddFdb(FdbEntry),
    /// Changes the destination of an existing entry.
    ReplaceFdb(FdbEntry),
    /// Deletes one destination of an entry (the entry with its last one).
    DelFdb(FdbEntry),
    AddRule(RuleEntry),
    DelRule(RuleEntry),
    DelTableRoute(TableRoute),
    Sysctl {
        key: String,
        value: String,
        aspect: Aspect,
    },
    FlushNft,
    ResetLegacy {
        tables: Vec<String>,
    },
    /// Forgets learnt path MTUs and redirects (`ip route flush cache`).
    FlushRouteCache,
    /// `iptables -P FORWARD DROP` (a fault only).
    ForwardPolicyDrop,
}

impl Action {
    pub fn aspect(&self) -> Aspect {
        match self {
            Action::CreateLink(_)
            | Action::CreateUplink { .. }
            | Action::DeleteLink { .. }
            | Action::SetMaster { .. }
            | Action::SetMac { .. }
            | Action::AddAddress { .. } => Aspect::Structure,
            Action::SetUp { .. } | Action::SetDown { .. } => Aspect::LinkState,
            Action::SetMtu { .. } | Action::FlushRouteCache => Aspect::Mtu,
            Action::ReplaceRoute(_)
            | Action::DelRoute(_)
            | Action::AddRule(_)
            | Action::DelRule(_)
            | Action::DelTableRoute(_) => Aspect::Route,
            Action::ReplaceNeigh(_) | Action::DelNeigh { .. } => Aspect::Neighbour,
            Action::AddFdb(_) | Action::ReplaceFdb(_) | Action::DelFdb(_) => Aspect::Fdb,
            Action::Sysctl { aspect, .. } => *aspect,
            Action::FlushNft | Action::ResetLegacy { .. } | Action::ForwardPolicyDrop => {
                Aspect::Firewall
            }
        }
    }

    /// The equivalent command, to show what was done.
    pub fn command(&self) -> String {
        match self {
            Action::CreateLink(l) => match &l.kind {
                LinkKind::Vxlan(v) => format!(
                    "ip link add {} type vxlan id {} local {} dev {} dstport {} nolearning",
                    l.name, v.vni, v.local, v.dev, v.port
                ),
                k => format!("ip link add {} type {}", l.name, k.kind_name()),
            },
            Action::CreateUplink { node, port } => format!(
                "ip link add {port} type veth peer name {NODE_UPLINK} netns {node}    # in the switch"
            ),
            Action::DeleteLink { dev } => format!("ip link del {dev}"),
            Action::SetUp { dev } => format!("ip link set dev {dev} up"),
            Action::SetDown { dev } => format!("ip link set dev {dev} down"),
            Action::SetMtu { dev, mtu } => format!("ip link set dev {dev} mtu {mtu}"),
            Action::SetMaster { dev, master } => format!("ip link set dev {dev} master {master}"),
            Action::SetMac { dev, mac } => format!("ip link set dev {dev} address {mac}"),
            Action::AddAddress { dev, addr } => format!("ip addr add {addr} dev {dev}"),
            Action::ReplaceRoute(r) => format!("ip route replace {}", r.words()),
            Action::DelRoute(r) => format!("ip route del {}", r.words()),
            Action::ReplaceNeigh(n) => format!(
                "ip neigh replace {} lladdr {} dev {} nud permanent",
                n.ip, n.mac, n.dev
            ),
            Action::DelNeigh { dev, ip } => format!("ip neigh del {ip} dev {dev}"),
            Action::AddFdb(f) => format!("bridge fdb append {}", f.words()),
            Action::ReplaceFdb(f) => format!("bridge fdb replace {}", f.words()),
            Action::DelFdb(f) => format!("bridge fdb del {}", f.words()),
            Action::AddRule(r) => format!("ip rule add {}", r.words()),
            Action::DelRule(r) => format!("ip rule del {}", r.words()),
            Action::DelTableRoute(t) => format!("ip route del {}", t.words()),
            Action::Sysctl { key, value, .. } => {
                format!("sysctl -w {}={value}", crate::cni::plan::sysctl_dotted(key))
            }
            Action::FlushNft => "nft flush ruleset".into(),
            Action::ResetLegacy { tables } => format!(
                "iptables-legacy-restore    # tables {} emptied, policies ACCEPT",
                tables.join(", ")
            ),
            Action::ForwardPolicyDrop => "iptables -P FORWARD DROP".into(),
            Action::FlushRouteCache => {
                "ip route flush cache    # learnt path MTUs and redirects".into()
            }
        }
    }
}

/// The route a node has to a remote node's pod CIDR.
pub fn overlay_route(state: &LabState, remote: &NodeState) -> RouteEntry {
    match state.overlay {
        Overlay::Vxlan => RouteEntry {
            dst: remote.pod_cidr,
            gw: Some(remote.vtep_ip),
            dev: VXLAN_DEV.into(),
            scope: 0,
            onlink: true,
            src: None,
            metric: 0,
        },
        Overlay::Routed => RouteEntry {
            dst: remote.pod_cidr,
            gw: Some(remote.underlay_ip),
            dev: NODE_UPLINK.into(),
            scope: 0,
            onlink: false,
            src: None,
            metric: 0,
        },
    }
}

/// The MAC podnet's plugin gives host veths in proxyArp (ptp) mode.
pub const PROXY_ARP_MAC: &str = "ee:ee:ee:ee:ee:ee";

/// The desired state of the switch namespace.
pub fn switch_desired(state: &LabState) -> NsDesired {
    let mut links = vec![
        LinkWant::new("lo", LinkKind::Loopback),
        LinkWant::new(&state.switch.bridge, LinkKind::Bridge),
    ];
    for n in &state.nodes {
        let mut l = LinkWant::new(&n.switch_port, LinkKind::Veth);
        l.master = Some(state.switch.bridge.clone());
        l.mtu = Some(UNDERLAY_MTU);
        l.uplink_of = Some(n.name.clone());
        links.push(l);
    }
    NsDesired {
        links,
        no_firewall: true,
        no_route_exceptions: true,
        default_policy_routing: true,
        ..Default::default()
    }
}

/// The desired state of a node's namespace.
pub fn node_desired(state: &LabState, node: &NodeState) -> NsDesired {
    let mut d = NsDesired {
        no_firewall: true,
        no_route_exceptions: true,
        default_policy_routing: true,
        ..Default::default()
    };
    d.links.push(LinkWant::new("lo", LinkKind::Loopback));
    let mut up = LinkWant::new(NODE_UPLINK, LinkKind::Veth);
    up.mtu = Some(UNDERLAY_MTU);
    up.addrs = vec![Ipv4Net::new(node.underlay_ip, node.underlay_prefix).unwrap_or_default()];
    d.links.push(up);
    let pods: Vec<&PodState> = state.pods_of(&node.name).collect();
    if state.mode == PodMode::Bridge && !pods.is_empty() {
        let mut b = LinkWant::new(CNI_BRIDGE, LinkKind::Bridge);
        b.addrs = vec![Ipv4Net::new(node.gateway, node.pod_cidr.prefix_len()).unwrap_or_default()];
        d.links.push(b);
    }
    if state.overlay == Overlay::Vxlan {
        let mut v = LinkWant::new(
            VXLAN_DEV,
            LinkKind::Vxlan(VxlanParams {
                vni: VXLAN_VNI,
                local: node.underlay_ip,
                port: VXLAN_PORT,
                dev: NODE_UPLINK.into(),
            }),
        );
        v.mtu = Some(UNDERLAY_MTU - VXLAN_OVERHEAD);
        v.mac = Some(node.vtep_mac.clone());
        v.addrs = vec![Ipv4Net::new(node.vtep_ip, 32).unwrap_or_default()];
        d.links.push(v);
        d.own_neighbours_on.push(VXLAN_DEV.into());
        d.own_fdb_on.push(VXLAN_DEV.into());
    }
    for p in &pods {
        let mut l = LinkWant::new(&p.host_veth, LinkKind::Veth);
        l.mtu = Some(state.pod_mtu);
        match state.mode {
            PodMode::Bridge => l.master = Some(CNI_BRIDGE.into()),
            PodMode::Ptp => {
                l.mac = Some(PROXY_ARP_MAC.into());
                d.sysctls.push(SysctlWant {
                    key: format!("net/ipv4/conf/{}/proxy_arp", p.host_veth),
                    value: "1".into(),
                    aspect: Aspect::Sysctl,
                });
            }
        }
        d.links.push(l);
    }
    for remote in state.nodes.iter().filter(|n| n.name != node.name) {
        d.routes.push(overlay_route(state, remote));
        if state.overlay == Overlay::Vxlan {
            d.neighbours.push(NeighEntry {
                dev: VXLAN_DEV.into(),
                ip: remote.vtep_ip,
                mac: remote.vtep_mac.clone(),
            });
            d.fdb.push(FdbEntry::new(
                VXLAN_DEV,
                &remote.vtep_mac,
                remote.underlay_ip,
            ));
        }
    }
    d.routes.extend(node.plugin_routes.iter().cloned());
    for (key, value, aspect) in [
        ("net/ipv4/ip_forward", "1", Aspect::Forwarding),
        ("net/ipv4/conf/default/forwarding", "1", Aspect::Forwarding),
        ("net/ipv4/conf/all/rp_filter", "2", Aspect::RpFilter),
        ("net/ipv4/conf/default/rp_filter", "2", Aspect::RpFilter),
    ] {
        d.sysctls.push(SysctlWant {
            key: key.into(),
            value: value.into(),
            aspect,
        });
    }
    if let Some(on) = state.bridge_nf_call_iptables {
        d.sysctls.push(SysctlWant {
            key: "net/bridge/bridge-nf-call-iptables".into(),
            value: if on { "1" } else { "0" }.into(),
            aspect: Aspect::Sysctl,
        });
    }
    d.per_link_sysctls = vec![
        ("forwarding".into(), "1".into(), Aspect::Forwarding),
        ("rp_filter".into(), "2".into(), Aspect::RpFilter),
    ];
    d
}

/// The desired state of a pod's namespace.
pub fn pod_desired(state: &LabState, pod: &PodState) -> NsDesired {
    let mut eth = LinkWant::new(POD_IFNAME, LinkKind::Veth);
    eth.mtu = Some(state.pod_mtu);
    eth.addrs = vec![Ipv4Net::new(pod.ip, pod.prefix).unwrap_or_default()];
    NsDesired {
        links: vec![LinkWant::new("lo", LinkKind::Loopback), eth],
        routes: pod.routes.clone(),
        neighbours: pod.neighbours.clone(),
        no_route_exceptions: true,
        default_policy_routing: true,
        ..Default::default()
    }
}

/// The sysctl keys an observation must read for `want` given the links seen.
pub fn sysctl_keys(want: &NsDesired, links: &[LinkObs]) -> Vec<String> {
    let mut keys: Vec<String> = want.sysctls.iter().map(|s| s.key.clone()).collect();
    for l in links {
        for (suffix, _, _) in &want.per_link_sysctls {
            keys.push(format!("net/ipv4/conf/{}/{suffix}", l.name));
        }
    }
    keys
}

fn vxlan_matches(want: &VxlanParams, seen: Option<&VxlanObs>) -> bool {
    let Some(s) = seen else { return false };
    s.vni == Some(want.vni)
        && s.local == Some(want.local)
        && s.port == Some(want.port)
        && s.learning != Some(true)
        && s.dev.as_deref() == Some(want.dev.as_str())
}

/// What `want` needs done to a namespace seen as `seen`, in order, and
/// what the diff cannot repair by itself.
pub fn diff(want: &NsDesired, seen: &NsObs) -> (Vec<Action>, Vec<String>) {
    let mut acts = Vec::new();
    let mut problems = Vec::new();
    let per_link = |key: &str| {
        key.contains("/conf/") && !key.contains("/conf/all/") && !key.contains("/conf/default/")
    };
    let sysctl_action = |s: &SysctlWant| match seen.sysctls.get(&s.key) {
        Some(v) if *v == s.value => None,
        // an interface's key that is not there: the interface is not (yet)
        None if per_link(&s.key) => None,
        _ => Some(Action::Sysctl {
            key: s.key.clone(),
            value: s.value.clone(),
            aspect: s.aspect,
        }),
    };

    // namespace-wide sysctls first: links created below inherit `default`
    for s in want.sysctls.iter().filter(|s| !per_link(&s.key)) {
        acts.extend(sysctl_action(s));
    }

    // links: create or recreate, then MAC, master, MTU, up, addresses
    for l in &want.links {
        let found = seen.link(&l.name);
        let recreate = match (found, &l.kind) {
            (Some(f), LinkKind::Vxlan(p)) => {
                f.kind != "vxlan" || !vxlan_matches(p, f.vxlan.as_ref())
            }
            (Some(f), LinkKind::Bridge) => f.kind != "bridge",
            _ => false,
        };
        let fresh = match found {
            Some(_) if recreate => {
                acts.push(Action::DeleteLink {
                    dev: l.name.clone(),
                });
                true
            }
            Some(_) => false,
            None => true,
        };
        if fresh {
            match (&l.kind, &l.uplink_of) {
                (LinkKind::Bridge | LinkKind::Vxlan(_), _) => {
                    acts.push(Action::CreateLink(l.clone()))
                }
                (LinkKind::Veth, Some(node)) => acts.push(Action::CreateUplink {
                    node: node.clone(),
                    port: l.name.clone(),
                }),
                (LinkKind::Veth, None) if l.name == NODE_UPLINK => {
                    // recreated from the switch's side; its settings follow next time
                    continue;
                }
                _ => {
                    problems.push(format!(
                        "{} is gone and cannot be recreated here (the pod's veth pair died with it)",
                        l.name
                    ));
                    continue;
                }
            }
        }
        let seen_l = if fresh { None } else { found };
        if let Some(mac) = &l.mac
            && seen_l.is_none_or(|s| !s.mac.eq_ignore_ascii_case(mac))
        {
            acts.push(Action::SetMac {
                dev: l.name.clone(),
                mac: mac.clone(),
            });
        }
        if let Some(m) = &l.master
            && seen_l.is_none_or(|s| s.master.as_deref() != Some(m.as_str()))
        {
            acts.push(Action::SetMaster {
                dev: l.name.clone(),
                master: m.clone(),
            });
        }
        if let Some(mtu) = l.mtu
            && seen_l.is_none_or(|s| s.mtu != mtu)
        {
            acts.push(Action::SetMtu {
                dev: l.name.clone(),
                mtu,
            });
        }
        if seen_l.is_none_or(|s| !s.up) {
            acts.push(Action::SetUp {
                dev: l.name.clone(),
            });
        }
        for a in &l.addrs {
            if seen_l.is_none_or(|s| !s.addrs.contains(a)) {
                acts.push(Action::AddAddress {
                    dev: l.name.clone(),
                    addr: *a,
                });
            }
        }
    }

    // the interfaces' sysctls
    for s in want.sysctls.iter().filter(|s| per_link(&s.key)) {
        acts.extend(sysctl_action(s));
    }
    for l in &seen.links {
        for (suffix, value, aspect) in &want.per_link_sysctls {
            let key = format!("net/ipv4/conf/{}/{suffix}", l.name);
            if let Some(v) = seen.sysctls.get(&key)
                && v != value
            {
                acts.push(Action::Sysctl {
                    key,
                    value: value.clone(),
                    aspect: *aspect,
                });
            }
        }
    }

    // neighbours
    for n in &want.neighbours {
        let ok = seen.neighbours.iter().any(|s| {
            s.dev == n.dev
                && s.ip == n.ip
                && s.permanent
                && s.mac
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case(&n.mac))
        });
        if !ok {
            acts.push(Action::ReplaceNeigh(n.clone()));
        }
    }
    for s in &seen.neighbours {
        if want.own_neighbours_on.contains(&s.dev)
            && !want
                .neighbours
                .iter()
                .any(|n| n.dev == s.dev && n.ip == s.ip)
        {
            acts.push(Action::DelNeigh {
                dev: s.dev.clone(),
                ip: s.ip,
            });
        }
    }

    // FDB: a unicast MAC has a single destination, so a wrong one is
    // replaced in place (appending to it does nothing, and deleting the
    // wrong destination would then delete the whole entry)
    for f in &want.fdb {
        if seen.fdb.iter().any(|s| s.same(f)) {
            continue;
        }
        if seen.fdb.iter().any(|s| s.same_mac(f)) {
            acts.push(Action::ReplaceFdb(f.clone()));
        } else {
            acts.push(Action::AddFdb(f.clone()));
        }
    }
    for s in &seen.fdb {
        if want.own_fdb_on.contains(&s.dev)
            && s.dst.is_some()
            && !want.fdb.iter().any(|f| s.same_mac(f))
        {
            acts.push(Action::DelFdb(s.clone()));
        }
    }

    // routes: replace what differs, delete what is extra
    for r in &want.routes {
        if !seen.routes.contains(r) {
            acts.push(Action::ReplaceRoute(r.clone()));
        }
    }
    for s in &seen.routes {
        let wanted = want.routes.iter().any(|r| r == s || r.key() == s.key());
        if !wanted {
            acts.push(Action::DelRoute(s.clone()));
        }
    }

    // policy routing: the default rules, and nothing outside the main table
    if want.default_policy_routing {
        let defaults = default_rules();
        for r in defaults.iter().filter(|r| !seen.rules.contains(r)) {
            acts.push(Action::AddRule(r.clone()));
        }
        for r in seen.rules.iter().filter(|r| !defaults.contains(r)) {
            acts.push(Action::DelRule(r.clone()));
        }
        for t in &seen.other_routes {
            acts.push(Action::DelTableRoute(t.clone()));
        }
    }

    if want.no_route_exceptions && seen.route_exceptions > 0 {
        acts.push(Action::FlushRouteCache);
    }

    // firewall
    if want.no_firewall {
        if seen.nft_rules {
            acts.push(Action::FlushNft);
        }
        if !seen.legacy_dirty.is_empty() {
            acts.push(Action::ResetLegacy {
                tables: seen.legacy_dirty.clone(),
            });
        }
    }
    (acts, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::state::tests::sample;

    /// What a healthy namespace looks like for `want`.
    pub fn healthy(want: &NsDesired) -> NsObs {
        let mut o = NsObs::default();
        for (i, l) in want.links.iter().enumerate() {
            o.links.push(LinkObs {
                name: l.name.clone(),
                index: i as u32 + 1,
                kind: l.kind.kind_name().into(),
                up: true,
                mtu: l.mtu.unwrap_or(1500),
                master: l.master.clone(),
                mac: l.mac.clone().unwrap_or_else(|| "02:00:00:00:00:01".into()),
                addrs: l.addrs.clone(),
                vxlan: match &l.kind {
                    LinkKind::Vxlan(p) => Some(VxlanObs {
                        vni: Some(p.vni),
                        local: Some(p.local),
                        port: Some(p.port),
                        learning: Some(false),
                        dev: Some(p.dev.clone()),
                    }),
                    _ => None,
                },
            });
        }
        o.routes = want.routes.clone();
        o.neighbours = want
            .neighbours
            .iter()
            .map(|n| NeighObs {
                dev: n.dev.clone(),
                ip: n.ip,
                mac: Some(n.mac.clone()),
                permanent: true,
            })
            .collect();
        o.fdb = want.fdb.clone();
        if want.default_policy_routing {
            o.rules = default_rules();
        }
        for s in &want.sysctls {
            o.sysctls.insert(s.key.clone(), s.value.clone());
        }
        let links = o.links.clone();
        for l in &links {
            for (suffix, v, _) in &want.per_link_sysctls {
                o.sysctls
                    .insert(format!("net/ipv4/conf/{}/{suffix}", l.name), v.clone());
            }
        }
        o
    }

    fn commands(acts: &[Action]) -> Vec<String> {
        acts.iter().map(Action::command).collect()
    }

    #[test]
    fn a_healthy_node_needs_nothing() {
        for (ov, mode) in [
            (Overlay::Vxlan, PodMode::Bridge),
            (Overlay::Routed, PodMode::Ptp),
        ] {
            let s = sample(3, 2, ov, mode);
            for n in &s.nodes {
                let w = node_desired(&s, n);
                let (a, p) = diff(&w, &healthy(&w));
                assert!(a.is_empty() && p.is_empty(), "{a:?} {p:?}");
            }
            let w = switch_desired(&s);
            assert!(diff(&w, &healthy(&w)).0.is_empty());
            let w = pod_desired(&s, &s.pods[0]);
            assert!(diff(&w, &healthy(&w)).0.is_empty());
        }
    }

    #[test]
    fn vxlan_nodes_want_flannel_entries_per_remote_node() {
        let s = sample(3, 1, Overlay::Vxlan, PodMode::Bridge);
        let w = node_desired(&s, &s.nodes[0]);
        let route_words: Vec<String> = w.routes.iter().map(RouteEntry::words).collect();
        assert_eq!(
            route_words,
            vec![
                "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
                "10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink"
            ]
        );
        assert_eq!(w.fdb.len(), 2);
        assert_eq!(
            w.fdb[0].dst.map(|d| d.to_string()).as_deref(),
            Some("172.30.0.12")
        );
        assert_eq!(w.neighbours[1].mac, "0e:6c:61:62:00:03");
        let v = w.links.iter().find(|l| l.name == "flannel.1").unwrap();
        assert_eq!(v.mtu, Some(1450));
        assert_eq!(v.addrs[0].to_string(), "10.244.1.0/32");
        let r = sample(2, 1, Overlay::Routed, PodMode::Bridge);
        let w = node_desired(&r, &r.nodes[1]);
        assert_eq!(
            w.routes[0].words(),
            "10.244.1.0/24 via 172.30.0.11 dev eth0"
        );
        assert!(w.fdb.is_empty() && w.links.iter().all(|l| l.name != "flannel.1"));
    }

    #[test]
    fn drift_becomes_the_commands_that_undo_it() {
        let s = sample(2, 1, Overlay::Vxlan, PodMode::Bridge);
        let w = node_desired(&s, &s.nodes[0]);
        let mut o = healthy(&w);
        let veth = s.pods[0].host_veth.clone();
        // veth down, flannel MTU changed, FDB entry gone plus a stray one,
        // route via the underlay, an extra route, forwarding off, rules
        o.links.iter_mut().find(|l| l.name == veth).unwrap().up = false;
        o.links
            .iter_mut()
            .find(|l| l.name == "flannel.1")
            .unwrap()
            .mtu = 1500;
        o.fdb.clear();
        o.fdb.push(FdbEntry::new(
            "flannel.1",
            "00:00:00:00:00:00",
            "172.30.0.99".parse().unwrap(),
        ));
        o.routes[0].gw = Some("172.30.0.12".parse().unwrap());
        o.routes[0].dev = "eth0".into();
        o.routes[0].onlink = false;
        o.routes.push(RouteEntry {
            dst: "10.244.2.0/25".parse().unwrap(),
            gw: None,
            dev: "eth0".into(),
            scope: 253,
            onlink: false,
            src: None,
            metric: 0,
        });
        o.sysctls.insert("net/ipv4/ip_forward".into(), "0".into());
        o.sysctls
            .insert("net/ipv4/conf/eth0/rp_filter".into(), "1".into());
        o.nft_rules = true;
        o.legacy_dirty = vec!["filter".into()];
        let (a, p) = diff(&w, &o);
        assert!(p.is_empty());
        assert_eq!(
            commands(&a),
            vec![
                "sysctl -w net.ipv4.ip_forward=1".to_string(),
                "ip link set dev flannel.1 mtu 1450".into(),
                format!("ip link set dev {veth} up"),
                "sysctl -w net.ipv4.conf.eth0.rp_filter=2".into(),
                "bridge fdb append 0e:6c:61:62:00:02 dev flannel.1 dst 172.30.0.12".into(),
                "bridge fdb del 00:00:00:00:00:00 dev flannel.1 dst 172.30.0.99".into(),
                "ip route replace 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink".into(),
                "ip route del 10.244.2.0/25 dev eth0 scope link".into(),
                "nft flush ruleset".into(),
                "iptables-legacy-restore    # tables filter emptied, policies ACCEPT".into(),
            ]
        );
        let aspects: Vec<Aspect> = a.iter().map(Action::aspect).collect();
        assert_eq!(aspects[0], Aspect::Forwarding);
        assert_eq!(aspects[1], Aspect::Mtu);
        assert_eq!(aspects[2], Aspect::LinkState);
        assert_eq!(aspects[3], Aspect::RpFilter);
    }

    #[test]
    fn a_wrong_fdb_destination_is_replaced_in_place_not_deleted() {
        let s = sample(2, 1, Overlay::Vxlan, PodMode::Bridge);
        let w = node_desired(&s, &s.nodes[0]);
        let mut o = healthy(&w);
        // the kernel keeps one destination per unicast MAC: a wrong dst, or
        // the right one on another port, is the same entry
        o.fdb[0].dst = Some("172.30.0.99".parse().unwrap());
        assert_eq!(
            commands(&diff(&w, &o).0),
            vec!["bridge fdb replace 0e:6c:61:62:00:02 dev flannel.1 dst 172.30.0.12"]
        );
        let mut o = healthy(&w);
        o.fdb[0].port = Some(4789);
        assert_eq!(
            commands(&diff(&w, &o).0),
            vec!["bridge fdb replace 0e:6c:61:62:00:02 dev flannel.1 dst 172.30.0.12"]
        );
        // a stray entry is deleted with its port, or the kernel finds no such destination
        let mut o = healthy(&w);
        let mut stray = FdbEntry::new(
            "flannel.1",
            "00:00:00:00:00:00",
            "172.30.0.99".parse().unwrap(),
        );
        stray.port = Some(4789);
        o.fdb.push(stray.clone());
        let a = diff(&w, &o).0;
        assert_eq!(a, vec![Action::DelFdb(stray)]);
        assert_eq!(
            a[0].command(),
            "bridge fdb del 00:00:00:00:00:00 dev flannel.1 dst 172.30.0.99 port 4789"
        );
    }

    #[test]
    fn policy_rules_and_other_tables_return_to_the_defaults() {
        let s = sample(2, 1, Overlay::Vxlan, PodMode::Bridge);
        for w in [
            node_desired(&s, &s.nodes[0]),
            switch_desired(&s),
            pod_desired(&s, &s.pods[0]),
        ] {
            let mut o = healthy(&w);
            let mut stray = RuleEntry::lookup(100, 100);
            stray.src = Some("10.244.1.0/24".parse().unwrap());
            o.rules.insert(1, stray);
            o.rules.retain(|r| r.priority != 32766);
            o.other_routes.push(TableRoute {
                table: 100,
                kind: "unreachable".into(),
                protocol: 3,
                route: RouteEntry {
                    dst: "0.0.0.0/0".parse().unwrap(),
                    gw: None,
                    dev: String::new(),
                    scope: 0,
                    onlink: false,
                    src: None,
                    metric: 0,
                },
            });
            let a = diff(&w, &o).0;
            assert_eq!(
                commands(&a),
                vec![
                    "ip rule add pref 32766 from all lookup main",
                    "ip rule del pref 100 from 10.244.1.0/24 lookup 100",
                    "ip route del unreachable default table 100",
                ]
            );
            assert!(a.iter().all(|x| x.aspect() == Aspect::Route));
        }
    }

    #[test]
    fn missing_devices_are_recreated_where_possible() {
        let s = sample(2, 1, Overlay::Vxlan, PodMode::Bridge);
        let w = node_desired(&s, &s.nodes[0]);
        let mut o = healthy(&w);
        o.links
            .retain(|l| l.name != "flannel.1" && l.name != "cni0");
        o.fdb.clear();
        o.neighbours.clear();
        let veth = s.pods[0].host_veth.clone();
        o.links.iter_mut().find(|l| l.name == veth).unwrap().master = None;
        let (a, _) = diff(&w, &o);
        let c = commands(&a);
        assert_eq!(c[0], "ip link add cni0 type bridge");
        assert!(c.contains(&"ip addr add 10.244.1.1/24 dev cni0".to_string()));
        assert!(c.contains(&"ip link add flannel.1 type vxlan id 1 local 172.30.0.11 dev eth0 dstport 8472 nolearning".to_string()));
        assert!(c.contains(&"ip link set dev flannel.1 address 0e:6c:61:62:00:01".to_string()));
        assert!(c.contains(&format!("ip link set dev {veth} master cni0")));
        assert!(
            c.contains(
                &"ip neigh replace 10.244.2.0 lladdr 0e:6c:61:62:00:02 dev flannel.1 nud permanent"
                    .to_string()
            )
        );
        // a vxlan device with the wrong port is replaced
        let mut o = healthy(&w);
        o.links
            .iter_mut()
            .find(|l| l.name == "flannel.1")
            .unwrap()
            .vxlan
            .as_mut()
            .unwrap()
            .port = Some(4789);
        let c = commands(&diff(&w, &o).0);
        assert_eq!(c[0], "ip link del flannel.1");
        // a switch port that is gone is recreated with its node's uplink
        let sw = switch_desired(&s);
        let mut o = healthy(&sw);
        o.links.retain(|l| l.name != "node2");
        let c = commands(&diff(&sw, &o).0);
        assert!(c[0].starts_with("ip link add node2 type veth peer name eth0 netns node2"));
        // a pod veth that is gone is reported, not "fixed"
        let mut o = healthy(&w);
        o.links.retain(|l| l.name != veth);
        let (_, p) = diff(&w, &o);
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn pod_drift_is_repaired_from_the_recorded_routes() {
        let mut s = sample(1, 1, Overlay::Vxlan, PodMode::Bridge);
        let route = RouteEntry {
            dst: "0.0.0.0/0".parse().unwrap(),
            gw: Some("10.244.1.1".parse().unwrap()),
            dev: "eth0".into(),
            scope: 0,
            onlink: false,
            src: None,
            metric: 0,
        };
        s.pods[0].routes = vec![route.clone()];
        let w = pod_desired(&s, &s.pods[0]);
        let mut o = healthy(&w);
        o.routes.clear();
        o.links[1].mtu = 1500;
        o.route_exceptions = 2;
        let a = diff(&w, &o).0;
        assert_eq!(
            commands(&a),
            vec![
                "ip link set dev eth0 mtu 1450",
                "ip route replace default via 10.244.1.1 dev eth0",
                "ip route flush cache    # learnt path MTUs and redirects"
            ]
        );
        assert_eq!(a[2].aspect(), Aspect::Mtu);
    }
}
