//! `podnet doctor`'s judgements: each check is a pure function of the
//! node's facts (read once, and again a moment later), the pods attached to
//! the node and the remote pod CIDRs known from routes, tunnels, the API or
//! a lab. No I/O.

pub mod cidrs;
mod context;
pub mod env;
mod facts;
pub mod firewall;
pub mod forwarding;
pub mod mtu;
pub mod node_pods;
pub mod pods;
pub mod routes;
pub mod tunnel;

use crate::model::doctor::{Check, NodeFacts};

pub use context::{Context, FibQuery, NodePod, PeerNode, PodView, RemoteCidr};
pub use facts::{
    ebpf_datapath, fib, fib_command, fib_outcome, grown, growth, iface, iface_named, ingress_of,
    sample_host, sample_pod, skip_on_ebpf, sysctl_evidence, sysctl_name,
};

/// Every check, in the order they are shown.
pub fn run_all(f: &NodeFacts, cx: &Context) -> Vec<Check> {
    vec![
        forwarding::ip_forward(f, cx),
        forwarding::rp_filter(f, cx),
        mtu::check(f, cx),
        tunnel::check(f, cx),
        routes::check(f, cx),
        firewall::check(f, cx),
        pods::veth(f, cx),
        pods::pods(f, cx),
        pods::bridge_nf(f, cx),
        pods::conntrack(f),
        env::cni(cx),
        env::node_env(f, cx),
        env::kernel_stats(f, cx),
    ]
}

/// The lookups `routes` (pod → remote, entering where the pod's packets
/// enter) and `rp-filter` (remote → pod, entering where the remote's
/// packets arrive) need, for every pod × remote pod CIDR; plus an output
/// lookup (no iif, no source) to each remote CIDR, whose errno names the
/// route type.
pub fn fib_queries(f: &NodeFacts, cx: &Context) -> Vec<FibQuery> {
    let mut out: Vec<FibQuery> = Vec::new();
    let mut push = |q: FibQuery| {
        if !out.contains(&q) {
            out.push(q);
        }
    };
    // the node's own way to each pod (`routes`)
    for ip in cx.pods.iter().filter_map(|p| p.pod_ip) {
        push(FibQuery {
            dst: ip,
            src: None,
            iif: None,
        });
    }
    for r in &cx.remote_cidrs {
        let Some(remote) = sample_host(&r.cidr) else {
            continue;
        };
        push(FibQuery {
            dst: remote,
            src: None,
            iif: None,
        });
        for p in &cx.pods {
            let Some(ip) = p.pod_ip.filter(|ip| ip.is_ipv4() == remote.is_ipv4()) else {
                continue;
            };
            push(FibQuery {
                dst: remote,
                src: Some(ip),
                iif: Some(ingress_of(f, p)),
            });
            for arrival in forwarding::arrivals(f, cx, r, ip) {
                push(FibQuery {
                    dst: ip,
                    src: Some(remote),
                    iif: Some(arrival.dev),
                });
            }
        }
        // strict underlays, where unencapsulated packets would be refused
        if let Some(ip) = sample_pod(f, cx).and_then(|p| p.pod_ip)
            && ip.is_ipv4() == remote.is_ipv4()
            && let Some(arrival) = forwarding::arrival_interface(f, &r.cidr)
        {
            for u in forwarding::strict_underlays(f, &arrival) {
                push(FibQuery {
                    dst: ip,
                    src: Some(remote),
                    iif: Some(u),
                });
            }
        }
    }
    out
}

/// The output lookups a peer node answers for doctor: to each of this node's pods.
pub fn peer_queries(cx: &Context) -> Vec<FibQuery> {
    let mut out: Vec<FibQuery> = Vec::new();
    for p in &cx.pods {
        if let Some(ip) = p.pod_ip {
            let q = FibQuery {
                dst: ip,
                src: None,
                iif: None,
            };
            if !out.contains(&q) {
                out.push(q);
            }
        }
    }
    out
}

/// Builders shared by the checks' unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::model::{Interface, Route};

    /// An interface that is up, with no address.
    pub fn link(ifindex: u32, name: &str, kind: &str) -> Interface {
        Interface {
            name: name.into(),
            ifindex,
            kind: kind.into(),
            addresses: vec![],
            mac: None,
            mtu: Some(1450),
            oper_state: "up".into(),
            admin_up: true,
            link_ifindex: None,
            link_netnsid: None,
            master_ifindex: None,
            stats: None,
        }
    }

    /// A pod attached by the host veth `host_ifindex`, with an MTU and an address.
    pub fn pod(
        label: &str,
        ip: Option<&str>,
        host_ifindex: u32,
    ) -> crate::analyze::doctor::NodePod {
        crate::analyze::doctor::NodePod {
            label: label.into(),
            pod_if: "eth0".into(),
            pod_ip: ip.map(|i| i.parse().unwrap()),
            pod_mtu: Some(1450),
            pod_tx_dropped: 0,
            host_ifindex,
            inode: None,
        }
    }

    /// A VXLAN device with VNI `vni` on port 8472, no learning.
    pub fn vxlan(ifindex: u32, vni: u32) -> crate::model::doctor::VxlanInfo {
        crate::model::doctor::VxlanInfo {
            ifindex,
            vni: Some(vni),
            local: None,
            link: None,
            port: Some(8472),
            learning: Some(false),
        }
    }

    /// A main-table unicast IPv4 route, on-link when it has a gateway.
    pub fn route(dst: &str, gw: Option<&str>, oif: u32) -> Route {
        Route {
            dst: Some(dst.parse().unwrap()),
            gateway: gw.map(|g| g.parse().unwrap()),
            oif: Some(oif),
            table: crate::model::route::RT_TABLE_MAIN,
            kind: "unicast".into(),
            scope: "universe".into(),
            prefsrc: None,
            metric: None,
            onlink: gw.is_some(),
            ipv6: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_spelling_of_dotted_interfaces() {
        assert_eq!(
            sysctl_name("net/ipv4/conf/flannel.1/rp_filter"),
            "net.ipv4.conf.flannel/1.rp_filter"
        );
        assert_eq!(sysctl_name("net/ipv4/ip_forward"), "net.ipv4.ip_forward");
    }

    #[test]
    fn an_external_vxlan_or_cilium_host_is_an_ebpf_datapath() {
        let mut f = NodeFacts {
            interfaces: vec![fixtures::link(3, "flannel.1", "vxlan")],
            vxlans: vec![fixtures::vxlan(3, 1)],
            ..Default::default()
        };
        assert_eq!(ebpf_datapath(&f), None);
        f.vxlans[0].vni = None;
        f.interfaces[0].name = "cilium_vxlan".into();
        let why = ebpf_datapath(&f).unwrap();
        assert!(
            why.contains("cilium_vxlan is a collect-metadata (external) VXLAN device"),
            "{why}"
        );
        let skip = skip_on_ebpf("routes", &f).unwrap();
        assert_eq!(skip.status, crate::model::doctor::Status::Skip);
        f.vxlans.clear();
        f.interfaces[0] = fixtures::link(4, "cilium_host", "veth");
        assert!(
            ebpf_datapath(&f)
                .unwrap()
                .contains("cilium_host is present")
        );
    }

    #[test]
    fn sample_hosts() {
        assert_eq!(
            sample_host(&"10.244.2.0/24".parse().unwrap()),
            Some("10.244.2.2".parse().unwrap())
        );
        assert_eq!(
            sample_host(&"10.244.2.7/32".parse().unwrap()),
            Some("10.244.2.7".parse().unwrap())
        );
    }
}
