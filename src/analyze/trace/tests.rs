//! Unit tests of the trace hops on crafted node facts.

use super::*;
use crate::model::Route;
use crate::model::doctor::{FdbEntry, FibAnswer, Neighbour, VxlanInfo};

fn link(name: &str, mtu: u32, admin_up: bool) -> Interface {
    Interface {
        name: name.into(),
        ifindex: 2,
        kind: "veth".into(),
        mtu: Some(mtu),
        oper_state: if admin_up { "up" } else { "down" }.into(),
        admin_up,
        ..Default::default()
    }
}

#[test]
fn a_pod_mtu_above_its_host_veth_blocks_full_size_packets() {
    let (eth0, host) = (link("eth0", 1500, true), link("pnet1", 1450, true));
    let h = veth_hop("pod a", 1, &eth0, Some((&host, "node")), Some(1500));
    assert_eq!(
        (h.status, h.cause),
        (HopStatus::Blocked, Some(Cause::Mtu)),
        "{h:?}"
    );
    let reason = h.reason.unwrap();
    assert!(
        reason.contains("1500-byte packet") && reason.contains("pnet1's MTU 1450"),
        "{reason}"
    );
    // the same link carries what fits
    let h = veth_hop("pod a", 1, &eth0, Some((&host, "node")), Some(1450));
    assert_eq!(h.status, HopStatus::Ok, "{h:?}");
    // no size known: only the link states count
    let h = veth_hop("pod a", 1, &eth0, Some((&host, "node")), None);
    assert_eq!(h.status, HopStatus::Ok, "{h:?}");
}

#[test]
fn a_down_link_blocks_before_anything_else_and_underlay_mtu_counts_the_overhead() {
    let (up, down) = (link("pnet1", 1500, true), link("flannel.1", 1450, false));
    let h = links_hop("node", 1, &[&up, &down]).unwrap();
    assert_eq!(
        (h.status, h.cause),
        (HopStatus::Blocked, Some(Cause::LinkDown))
    );
    assert!(links_hop("node", 1, &[&up]).is_none());
    let eth0 = link("eth0", 1450, true);
    let h = underlay_mtu_hop("node", 1, &eth0, Some(1450), 50).unwrap();
    assert_eq!(h.cause, Some(Cause::Mtu));
    assert!(h.reason.unwrap().contains("1500 bytes once encapsulated"));
    assert!(underlay_mtu_hop("node", 1, &eth0, Some(1400), 50).is_none());
}

#[test]
fn into_a_pod_the_narrower_end_counts_and_down_wins() {
    // node → pod: a bridge port (host veth) narrower than the packet drops it too
    let (host, eth0) = (link("pnet1", 1400, true), link("eth0", 1450, true));
    let h = veth_hop("node", 1, &host, Some((&eth0, "pod b")), Some(1450));
    assert!(
        h.reason
            .as_deref()
            .is_some_and(|r| r.contains("pnet1's MTU 1400")),
        "{h:?}"
    );
    let down = link("pnet1", 1450, false);
    let h = veth_hop("node", 1, &down, Some((&eth0, "pod b")), Some(1450));
    assert_eq!(h.status, HopStatus::Blocked);
    assert!(
        h.reason
            .as_deref()
            .is_some_and(|r| r.contains("pnet1 (down, admin down)")),
        "{h:?}"
    );
}
#[test]
fn who_answers_arp_for_the_pods_gateway() {
    let gw: IpAddr = "10.244.1.1".parse().unwrap();
    let mut cni0 = link("cni0", 1450, true);
    cni0.ifindex = 3;
    cni0.kind = "bridge".into();
    cni0.addresses = vec!["10.244.1.1/24".parse().unwrap()];
    let mut port = link("veth1", 1450, true);
    port.ifindex = 4;
    port.master_ifindex = Some(3);
    let f = NodeFacts {
        interfaces: vec![cni0.clone(), port.clone()],
        ..Default::default()
    };
    // a port of the bridge holding the gateway: fine
    assert!(gateway_hop("node", 1, &f, &port, gw).is_none());
    // detached from it: veth-detached, naming both
    let mut loose = port.clone();
    loose.master_ifindex = None;
    let h = gateway_hop("node", 1, &f, &loose, gw).unwrap();
    assert_eq!(h.cause, Some(Cause::VethDetached), "{h:?}");
    assert!(h.reason.unwrap().contains("cni0"));
    // Calico-style: no bridge, 169.254.1.1 answered only by proxy ARP
    let calico_gw: IpAddr = "169.254.1.1".parse().unwrap();
    let mut cali = link("cali0123456789a", 1500, true);
    cali.ifindex = 5;
    let mut f = NodeFacts {
        interfaces: vec![cali.clone()],
        ..Default::default()
    };
    f.sysctls
        .insert("net/ipv4/conf/cali0123456789a/proxy_arp".into(), "1".into());
    assert!(gateway_hop("node", 1, &f, &cali, calico_gw).is_none());
    f.sysctls
        .insert("net/ipv4/conf/cali0123456789a/proxy_arp".into(), "0".into());
    let h = gateway_hop("node", 1, &f, &cali, calico_gw).unwrap();
    assert_eq!(h.cause, Some(Cause::ProxyArpOff), "{h:?}");
    // a route to a pod out of a bridge its veth is not a port of
    let dst: IpAddr = "10.244.1.5".parse().unwrap();
    assert!(bridge_port_hop("node", 1, &cni0, &port, dst).is_none());
    let h = bridge_port_hop("node", 1, &cni0, &loose, dst).unwrap();
    assert_eq!(h.cause, Some(Cause::VethDetached));
}

fn lookup(dst: &str, result: Result<FibAnswer, i32>) -> FibLookup {
    FibLookup {
        dst: dst.parse().unwrap(),
        src: Some("10.244.1.5".parse().unwrap()),
        iif: Some("cni0".into()),
        errno: result.as_ref().err().copied(),
        result: result.map_err(|e| std::io::Error::from_raw_os_error(e).to_string()),
    }
}

fn route(dst: Option<&str>, oif: u32) -> Route {
    Route {
        dst: dst.map(|d| d.parse().unwrap()),
        gateway: None,
        oif: Some(oif),
        table: crate::model::route::RT_TABLE_MAIN,
        kind: "unicast".into(),
        scope: "universe".into(),
        prefsrc: None,
        metric: None,
        onlink: false,
        ipv6: false,
    }
}

/// A flannel-style node whose flannel.1 (ifindex 4) is down: its route
/// to 10.244.2.0/24 went with it; the permanent FDB entry stays.
fn tunnel_down_node() -> NodeFacts {
    let mut eth0 = link("eth0", 1500, true);
    let mut cni0 = link("cni0", 1450, true);
    let mut fl = link("flannel.1", 1450, false);
    (eth0.ifindex, cni0.ifindex, fl.ifindex) = (2, 3, 4);
    (cni0.kind, fl.kind) = ("bridge".into(), "vxlan".into());
    NodeFacts {
        interfaces: vec![eth0, cni0, fl],
        routes: vec![
            route(Some("10.244.1.0/24"), 3),
            route(Some("192.168.0.0/24"), 2),
        ],
        fdb: vec![FdbEntry {
            ifindex: 4,
            mac: "0e:00:00:00:00:02".into(),
            dst: Some("192.168.0.2".parse().unwrap()),
        }],
        vxlans: vec![VxlanInfo {
            ifindex: 4,
            vni: Some(1),
            local: None,
            link: Some(2),
            port: Some(8472),
            learning: Some(false),
        }],
        ..Default::default()
    }
}

#[test]
fn a_down_tunnel_is_the_cause_not_the_route_it_took_with_it() {
    let f = tunnel_down_node();
    let far: Vec<IpAddr> = vec![
        "192.168.0.2".parse().unwrap(),
        "10.244.2.0".parse().unwrap(),
    ];
    // no route left: the lookup fails, and the down tunnel is named
    let l = lookup("10.244.2.2", Err(libc::ENETUNREACH));
    let h = down_tunnel_hop("node1", 1, &f, &l, &far).unwrap();
    assert_eq!(
        (h.status, h.cause),
        (HopStatus::Blocked, Some(Cause::LinkDown)),
        "{h:?}"
    );
    let reason = h.reason.unwrap();
    assert!(
        reason.contains("flannel.1") && reason.contains("192.168.0.2"),
        "{reason}"
    );
    // the destination not on this machine: the node's only tunnel still explains a failed lookup
    assert!(down_tunnel_hop("node1", 1, &f, &l, &[]).is_some());
    // Calico-style: the lookup falls to a default route out of another link
    let mut g = f.clone();
    g.routes.push(route(None, 2));
    let via_default = lookup(
        "10.244.2.2",
        Ok(FibAnswer {
            oif: Some("eth0".into()),
            gateway: Some("192.168.0.254".parse().unwrap()),
            kind: "unicast".into(),
        }),
    );
    let h = down_tunnel_hop("node1", 1, &g, &via_default, &far).unwrap();
    assert_eq!(h.cause, Some(Cause::LinkDown));
    // ... but to something off-machine the default route is the way: no verdict
    assert!(down_tunnel_hop("node1", 1, &g, &via_default, &[]).is_none());
    // a specific route answers (host-gw style): the tunnel is not on the way
    let mut g = f.clone();
    g.routes.push(route(Some("10.244.2.0/24"), 2));
    assert!(down_tunnel_hop("node1", 1, &g, &l, &far).is_none());
    // the tunnel up: nothing to say here (the lookup's own cause stands)
    let mut g = f.clone();
    g.interfaces[2] = Interface {
        admin_up: true,
        oper_state: "unknown".into(),
        ..g.interfaces[2].clone()
    };
    assert!(down_tunnel_hop("node1", 1, &g, &l, &far).is_none());
    // a second, unrelated down tunnel with nothing tying it to the destination
    let mut g = f.clone();
    g.fdb.clear();
    let mut other = link("vxlan.other", 1450, false);
    (other.ifindex, other.kind) = (9, "vxlan".into());
    g.interfaces.push(other);
    assert!(down_tunnel_hop("node1", 1, &g, &l, &far).is_none());
    // a collect-metadata (external) device is not judged
    let mut g = f.clone();
    g.vxlans[0].vni = None;
    assert!(down_tunnel_hop("node1", 1, &g, &l, &far).is_none());
}

#[test]
fn proxy_arp_off_wins_over_the_pods_failed_arp_for_its_gateway() {
    // Calico: the pod's 169.254.1.1 is on no subnet of the node; its ARP for it is incomplete
    let gw: IpAddr = "169.254.1.1".parse().unwrap();
    let mut eth0 = link("eth0", 1500, true);
    eth0.ifindex = 3;
    let pod = NodeFacts {
        interfaces: vec![eth0.clone()],
        neighbours: vec![Neighbour {
            ifindex: 3,
            ip: gw,
            mac: None,
            state: "incomplete".into(),
        }],
        ..Default::default()
    };
    let mut cali = link("cali0123456789a", 1500, true);
    cali.ifindex = 5;
    let mut node = NodeFacts {
        interfaces: vec![cali.clone()],
        ..Default::default()
    };
    node.sysctls
        .insert("net/ipv4/conf/cali0123456789a/proxy_arp".into(), "0".into());
    let exit = PodExit {
        at: "pod a",
        inode: 7,
        facts: &pod,
        dev: &eth0,
        next: gw,
        gateway: Some(gw),
    };
    let h = pod_exit_hop(&exit, &node, Some(&cali)).unwrap();
    assert_eq!(
        (h.cause, h.netns_inode),
        (Some(Cause::ProxyArpOff), Some(7)),
        "{h:?}"
    );
    assert!(h.reason.unwrap().contains("cali0123456789a"));
    // proxy_arp on: the failed entry is what is left to blame
    node.sysctls
        .insert("net/ipv4/conf/cali0123456789a/proxy_arp".into(), "1".into());
    let h = pod_exit_hop(&exit, &node, Some(&cali)).unwrap();
    assert_eq!(h.cause, Some(Cause::NeighbourFailed), "{h:?}");
}
