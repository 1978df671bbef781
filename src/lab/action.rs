//! One change to a lab namespace and its vocabulary: which namespace
//! ([`NsRef`]), which aspect of the lab it touches ([`Aspect`], so `fix
//! <fault>` can apply only that aspect), the links it can create, and the
//! command each action is equivalent to. No I/O.

use std::fmt;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::Serialize;

use super::entries::{FdbEntry, NeighEntry, RouteEntry, RuleEntry, TableRoute};
use super::plan::NODE_UPLINK;

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
    pub fn kind_name(&self) -> &'static str {
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
    pub fn new(name: &str, kind: LinkKind) -> LinkWant {
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
