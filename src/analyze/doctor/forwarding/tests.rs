//! Unit tests of the forwarding checks on fixture nodes.

use super::*;
use crate::analyze::doctor::fixtures;
use crate::analyze::doctor::{RemoteCidr, fib_queries};
use crate::model::Interface;
use crate::model::doctor::{FibAnswer, FibLookup, Neighbour};

fn ifc(ifindex: u32, name: &str, kind: &str, master: Option<u32>) -> Interface {
    Interface {
        name: name.into(),
        ifindex,
        kind: kind.into(),
        mtu: Some(1450),
        oper_state: "up".into(),
        admin_up: true,
        master_ifindex: master,
        ..Default::default()
    }
}

use crate::analyze::doctor::fixtures::route;

fn lookup(iif: &str, ok: bool) -> FibLookup {
    FibLookup {
        dst: "10.244.1.2".parse().unwrap(),
        src: Some("10.244.3.2".parse().unwrap()),
        iif: Some(iif.into()),
        result: if ok {
            Ok(FibAnswer {
                oif: Some("cni0".into()),
                gateway: None,
                kind: "unicast".into(),
            })
        } else {
            Err("Invalid argument (os error 22)".into())
        },
        errno: (!ok).then_some(libc::EINVAL),
    }
}

/// A flannel-style node1: strict rp_filter on `all` and the uplink eth0,
/// loose on flannel.1, the route back to node3's pods through flannel.1.
fn strict_uplink_node(rp_drops: u64) -> (NodeFacts, Context) {
    let sysctls = [
        ("net/ipv4/conf/all/rp_filter", "1"),
        ("net/ipv4/conf/default/rp_filter", "2"),
        ("net/ipv4/conf/eth0/rp_filter", "1"),
        ("net/ipv4/conf/flannel.1/rp_filter", "2"),
        ("net/ipv4/conf/cni0/rp_filter", "2"),
    ];
    let f = NodeFacts {
        sysctls: sysctls
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        interfaces: vec![
            ifc(2, "eth0", "veth", None),
            ifc(3, "flannel.1", "vxlan", None),
            ifc(4, "cni0", "bridge", None),
            ifc(5, "pnet1", "veth", Some(4)),
        ],
        vxlans: vec![{
            let mut v = fixtures::vxlan(3, 1);
            v.link = Some(2);
            v
        }],
        routes: vec![
            route("10.244.3.0/24", Some("10.244.3.0"), 3),
            route("172.30.0.0/24", None, 2),
            route("10.244.1.0/24", None, 4),
        ],
        neighbours: vec![Neighbour {
            ifindex: 3,
            ip: "10.244.3.0".parse().unwrap(),
            mac: Some("0e:6c:61:62:00:03".into()),
            state: "permanent".into(),
        }],
        counters_before: [("TcpExt:IPReversePathFilter".to_string(), 7)].into(),
        counters_after: [("TcpExt:IPReversePathFilter".to_string(), 7 + rp_drops)].into(),
        sample_secs: 0.3,
        fib: vec![lookup("eth0", false), lookup("flannel.1", true)],
        ..Default::default()
    };
    let cx = Context {
        node_label: "netns 1".into(),
        pods: vec![fixtures::pod("default/web-1-1", Some("10.244.1.2"), 5)],
        remote_cidrs: vec![RemoteCidr::new(
            "10.244.3.0/24".parse().unwrap(),
            "route via 10.244.3.0 dev flannel.1",
        )],
        ..Default::default()
    };
    (f, cx)
}

#[test]
fn a_strict_uplink_is_asked_about_and_fails_only_when_the_filter_drops() {
    let (f, cx) = strict_uplink_node(0);
    assert_eq!(underlay_interfaces(&f), vec!["eth0"]);
    assert_eq!(strict_underlays(&f, "flannel.1"), vec!["eth0"]);
    assert!(strict_underlays(&f, "eth0").is_empty());
    let iifs: Vec<Option<String>> = fib_queries(&f, &cx)
        .into_iter()
        .filter(|q| q.dst == "10.244.1.2".parse::<std::net::IpAddr>().unwrap())
        .map(|q| q.iif)
        .collect();
    // the output lookup to the pod, the symmetric arrival, the strict uplink
    assert_eq!(
        iifs,
        vec![None, Some("flannel.1".into()), Some("eth0".into())]
    );

    // no packet was dropped: a healthy overlay node with a strict uplink
    let c = rp_filter(&f, &cx);
    assert_eq!(c.status, Status::Pass, "{c:#?}");
    assert!(
        c.evidence
            .iter()
            .any(|e| e.fact.starts_with("eth0 is strict")
                && e.fact.contains("10.244.3.0/24 via flannel.1")),
        "{c:#?}"
    );

    // the counter grew: packets from node3's pods may come in on eth0
    // (node3 is not on this machine: the counter is evidence, not a verdict)
    let (f, cx) = strict_uplink_node(5);
    let c = rp_filter(&f, &cx);
    assert_eq!(c.status, Status::Warn, "{c:#?}");
    assert_eq!(
        c.summary,
        "pod CIDRs arriving unencapsulated on eth0 would be dropped, and the filter dropped \
         5 packets in 0.3 s (routes back: 10.244.3.0/24 via flannel.1)"
    );
    assert!(
        c.evidence.iter().any(|e| e.fact
            == "ip route get 10.244.1.2 from 10.244.3.2 iif eth0 → Invalid argument (os error 22)"),
        "{c:#?}"
    );
    assert!(
        c.evidence
            .iter()
            .any(|e| e.fact.contains("dropped 5 packets")
                && e.fact.contains("eth0 is the strict interface")),
        "{c:#?}"
    );
}

/// node3 on this machine routes node1's pods via node1's uplink address:
/// the kernel's input lookup entering at eth0 fails, no traffic needed.
#[test]
fn a_peer_sending_unencapsulated_fails_by_the_kernels_lookup_alone() {
    use crate::analyze::doctor::PeerNode;
    let (mut f, mut cx) = strict_uplink_node(0);
    f.interfaces[0].addresses = vec!["172.30.0.1/24".parse().unwrap()];
    let mut peer_eth0 = ifc(2, "eth0", "veth", None);
    peer_eth0.addresses = vec!["172.30.0.3/24".parse().unwrap()];
    cx.remote_cidrs[0].node_inode = Some(33);
    cx.peers = vec![PeerNode {
        label: "node netns 33".into(),
        inode: 33,
        interfaces: vec![peer_eth0],
        vxlans: vec![],
        fib: vec![FibLookup {
            dst: "10.244.1.2".parse().unwrap(),
            src: None,
            iif: None,
            result: Ok(FibAnswer {
                oif: Some("eth0".into()),
                gateway: Some("172.30.0.1".parse().unwrap()),
                kind: "unicast".into(),
            }),
            errno: None,
        }],
        ..Default::default()
    }];
    let iifs: Vec<Option<String>> = fib_queries(&f, &cx)
        .into_iter()
        .filter(|q| q.dst == "10.244.1.2".parse::<std::net::IpAddr>().unwrap())
        .map(|q| q.iif)
        .collect();
    assert!(iifs.contains(&Some("eth0".into())), "{iifs:?}");
    let c = rp_filter(&f, &cx);
    assert_eq!(c.status, Status::Fail, "{c:#?}");
    assert!(
        c.summary
            .contains("10.244.3.0/24 arriving unencapsulated on eth0"),
        "{c:#?}"
    );
    assert!(
        c.evidence.iter().any(|e| e
            .fact
            .contains("node netns 33 routes 10.244.1.2 via 172.30.0.1 dev eth0")),
        "{c:#?}"
    );

    // the same failed lookup when the route back is a blackhole is the `routes` check's
    let mut bh = route("10.244.3.0/24", None, 3);
    bh.kind = "blackhole".into();
    f.routes[0] = bh;
    assert!(matches!(
        classify_input_failure(
            &f,
            "10.244.1.2".parse().unwrap(),
            "10.244.3.2".parse().unwrap(),
            "eth0"
        ),
        InputFailure::Route(_)
    ));
    assert_eq!(rp_filter(&f, &cx).status, Status::Pass);
}

#[test]
fn loose_mode_everywhere_asks_nothing_more() {
    let (mut f, cx) = strict_uplink_node(5);
    f.sysctls
        .insert("net/ipv4/conf/all/rp_filter".into(), "2".into());
    f.sysctls
        .insert("net/ipv4/conf/eth0/rp_filter".into(), "2".into());
    assert!(strict_underlays(&f, "flannel.1").is_empty());
    assert_eq!(rp_filter(&f, &cx).status, Status::Pass);
}

/// Forwarding off fails a node with pods, warns one without (a lab's
/// host), passes when on, and skips when it cannot be read.
#[test]
fn ip_forward_statuses() {
    let facts = |v: Option<&str>| NodeFacts {
        sysctls: v
            .map(|v| [("net/ipv4/ip_forward".to_string(), v.to_string())].into())
            .unwrap_or_default(),
        ..Default::default()
    };
    let with_pod = Context {
        pods: vec![fixtures::pod("default/a", Some("10.244.1.2"), 7)],
        ..Default::default()
    };
    assert_eq!(
        ip_forward(&facts(Some("1")), &with_pod).status,
        Status::Pass
    );
    assert_eq!(
        ip_forward(&facts(Some("0")), &with_pod).status,
        Status::Fail
    );
    assert_eq!(
        ip_forward(&facts(Some("0")), &Context::default()).status,
        Status::Warn
    );
    assert_eq!(ip_forward(&facts(None), &with_pod).status, Status::Skip);
}
