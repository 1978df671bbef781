//! The lab's desired state per namespace (switch, node, pod): the links,
//! routes, neighbours, FDB entries, sysctls and firewall state each one
//! should have, derived from the state file. `lab::diff` compares it with
//! what is observed. No I/O.

use ipnet::Ipv4Net;

use super::action::{Aspect, LinkKind, LinkWant, VxlanParams};
use super::entries::{FdbEntry, NeighEntry, RouteEntry};
use super::plan::{
    CNI_BRIDGE, NODE_UPLINK, Overlay, POD_IFNAME, PodMode, UNDERLAY_MTU, VXLAN_DEV, VXLAN_OVERHEAD,
    VXLAN_PORT, VXLAN_VNI,
};
use super::state::{LabState, NodeState, PodState};

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
