//! Root tests of `podnet trace` on faults injected with plain commands
//! (`ip`, `bridge`, `sysctl`, `iptables`) into a two-node VXLAN lab, each
//! checked against ping first: the reply direction dying while the request
//! gets through, blackhole vs unreachable rule vs reverse-path filter,
//! firewall rules per protocol, and the underlay MTU; and, on a Calico
//! VXLAN node made by plain commands, a down tunnel and proxy_arp off named
//! before the neighbour they leave unanswered.

mod common;

use common::lab::{Lab, nsenter, ping, podnet_json_code};
use common::layouts::{Kind, Layout, ns_sh};
use serde_json::Value;

fn trace(args: &[&str]) -> (i32, Value) {
    let mut a = vec!["trace"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["-o", "json"]);
    podnet_json_code(&a)
}

/// The blocked hop of a trace report: (direction, cause, reason, the hop).
fn blocked(t: &Value) -> (String, String, String, Value) {
    let b = &t["blocked"];
    assert!(b.is_object(), "nothing blocked: {t:#}");
    let n = b["hop"].as_u64().unwrap() as usize;
    let hop = t["hops"][n - 1].clone();
    assert_eq!(hop["index"], b["hop"], "{t:#}");
    assert_eq!(hop["cause"], b["cause"], "{t:#}");
    assert_eq!(t["delivered"], false, "{t:#}");
    (
        b["direction"].as_str().unwrap().to_string(),
        b["cause"].as_str().unwrap_or_default().to_string(),
        b["reason"].as_str().unwrap_or_default().to_string(),
        hop,
    )
}

fn delivered_both_ways(t: &Value) {
    assert_eq!(t["delivered"], true, "{t:#}");
    assert_eq!(t["verdict"], "delivered both ways", "{t:#}");
    assert!(
        t["hops"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["direction"] == "reply"),
        "{t:#}"
    );
}

node_test! {
    /// An FDB entry deleted only on node2 kills the reply: node1 → node2 is
    /// fine, node2's way back to node1's VTEP is gone.
    fn an_fdb_fault_on_the_far_node_blocks_only_the_reply() {
        let lab = Lab::up("tr", &["--nodes", "2", "--pods", "1"]);
        let (n1, n2) = (lab.node("node1"), lab.node("node2"));
        let (a, b) = (lab.pod("web-1-1"), lab.pod("web-2-1"));
        let mac1 = n1.vtep_mac.clone().unwrap();
        let (t, _) = (trace(&[&a.short, &b.ip]), ());
        delivered_both_ways(&t.1);
        nsenter(&n2.netns, "bridge", &["fdb", "del", &mac1, "dev", "flannel.1", "dst", &n1.underlay_ip]);
        let (ok, out) = ping(&a.netns, &b.ip, &[]);
        assert!(!ok, "ping still works with the FDB entry gone: {out}");
        let (code, t) = trace(&[&a.short, &b.ip]);
        assert_eq!(code, 1, "{t:#}");
        let (dir, cause, reason, hop) = blocked(&t);
        assert_eq!((dir.as_str(), cause.as_str()), ("reply", "fdb-missing"), "{t:#}");
        assert_eq!(hop["netns_inode"], n2.inode, "{t:#}");
        assert!(reason.contains(&mac1), "{reason}");
        assert!(t["hops"].as_array().unwrap().iter().filter(|h| h["direction"] == "request").all(|h| h["status"] == "ok"), "{t:#}");
        assert!(t["verdict"].as_str().unwrap().starts_with("blocked in the reply at hop "), "{t:#}");
        lab.fix_all();
        let (ok, out) = ping(&a.netns, &b.ip, &[]);
        assert!(ok, "{out}");
        delivered_both_ways(&trace(&[&a.short, &b.ip]).1);
        lab.down();
    }
}

node_test! {
    /// Three faults that all refuse a forwarded packet with EINVAL or
    /// EHOSTUNREACH are told apart: a blackhole route, an ip rule to a table
    /// holding only `unreachable default`, strict rp_filter with the route
    /// back leaving elsewhere.
    fn blackhole_unreachable_rule_and_rp_filter_are_distinguished() {
        let lab = Lab::up("tb", &["--nodes", "2", "--pods", "1"]);
        let (n1, n2) = (lab.node("node1"), lab.node("node2"));
        let (a, b) = (lab.pod("web-1-1"), lab.pod("web-2-1"));
        // 1. blackhole on node1 for node2's pod CIDR
        nsenter(&n1.netns, "ip", &["route", "replace", "blackhole", &n2.pod_cidr]);
        assert!(!ping(&a.netns, &b.ip, &[]).0);
        let (_, t) = trace(&[&a.short, &b.ip]);
        let (dir, cause, reason, hop) = blocked(&t);
        assert_eq!((dir.as_str(), cause.as_str()), ("request", "route-blackhole"), "{t:#}");
        assert_eq!(hop["netns_inode"], n1.inode);
        assert!(reason.contains(&format!("blackhole {}", n2.pod_cidr)) && reason.contains("table main"), "{reason}");
        lab.fix_all();
        assert!(ping(&a.netns, &b.ip, &[]).0);
        // 2. pod traffic sent by an ip rule to a table with only an unreachable default
        nsenter(&n1.netns, "ip", &["route", "add", "unreachable", "default", "table", "100"]);
        nsenter(&n1.netns, "ip", &["rule", "add", "iif", "cni0", "lookup", "100", "pref", "100"]);
        assert!(!ping(&a.netns, &b.ip, &[]).0);
        let (_, t) = trace(&[&a.short, &b.ip]);
        let (_, cause, reason, _) = blocked(&t);
        assert_eq!(cause, "route-unreachable", "{t:#}");
        assert!(reason.contains("unreachable default table 100") && reason.contains("iif cni0 lookup 100"), "{reason}");
        nsenter(&n1.netns, "ip", &["rule", "del", "pref", "100"]);
        nsenter(&n1.netns, "ip", &["route", "del", "unreachable", "default", "table", "100"]);
        assert!(ping(&a.netns, &b.ip, &[]).0);
        // 3. strict rp_filter on node2's flannel.1 and the route back to node1's pods via eth0
        nsenter(&n2.netns, "sysctl", &["-qw", "net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.flannel/1.rp_filter=1"]);
        nsenter(&n2.netns, "ip", &["route", "replace", &n1.pod_cidr, "via", &n1.underlay_ip, "dev", "eth0"]);
        assert!(!ping(&a.netns, &b.ip, &[]).0);
        let (_, t) = trace(&[&a.short, &b.ip]);
        let (dir, cause, reason, hop) = blocked(&t);
        assert_eq!((dir.as_str(), cause.as_str()), ("request", "rp-filter"), "{t:#}");
        assert_eq!(hop["netns_inode"], n2.inode);
        assert!(reason.contains("strict") && reason.contains("flannel.1"), "{reason}");
        lab.fix_all();
        nsenter(&n2.netns, "sysctl", &["-qw", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.flannel/1.rp_filter=0"]);
        assert!(ping(&a.netns, &b.ip, &[]).0);
        delivered_both_ways(&trace(&[&a.short, &b.ip]).1);
        lab.down();
    }
}

node_test! {
    /// `iptables -A FORWARD -p icmp -j REJECT` (legacy and nft backends)
    /// blocks `--proto icmp`, not `--proto tcp --port 80`.
    fn a_per_protocol_firewall_rule_blocks_only_its_protocol() {
        let lab = Lab::up("tf", &["--nodes", "2", "--pods", "1"]);
        let n1 = lab.node("node1");
        let (a, b) = (lab.pod("web-1-1"), lab.pod("web-2-1"));
        for tool in ["iptables-legacy", "iptables-nft"] {
            nsenter(&n1.netns, tool, &["-w", "-A", "FORWARD", "-p", "icmp", "-j", "REJECT"]);
            let (ok, out) = ping(&a.netns, &b.ip, &[]);
            assert!(!ok, "{tool}: ping works through the REJECT: {out}");
            let (code, t) = trace(&[&a.short, &b.ip, "--proto", "icmp"]);
            assert_eq!(code, 1, "{t:#}");
            let (_, cause, reason, hop) = blocked(&t);
            assert_eq!(cause, "firewall", "{t:#}");
            assert_eq!(hop["netns_inode"], n1.inode);
            let backend = if tool == "iptables-legacy" { "iptables-legacy" } else { "nft" };
            assert!(reason.contains(backend) && reason.contains("FORWARD") && reason.contains("hook forward") && reason.contains("icmp"), "{reason}");
            let (code, t) = trace(&[&a.short, &b.ip, "--proto", "tcp", "--port", "80"]);
            assert_eq!(code, 0, "{tool}: tcp/80 is not what the rule rejects: {t:#}");
            assert_eq!((&t["proto"], &t["port"]), (&Value::from("tcp"), &Value::from(80)));
            delivered_both_ways(&t);
            nsenter(&n1.netns, tool, &["-w", "-D", "FORWARD", "-p", "icmp", "-j", "REJECT"]);
            assert!(ping(&a.netns, &b.ip, &[]).0, "{tool}: ping after the rule is gone");
        }
        lab.down();
    }
}

node_test! {
    /// A stale neighbour entry in the pod with its host veth down: the
    /// down link is the cause, not ARP.
    fn a_down_host_veth_wins_over_a_stale_neighbour() {
        let lab = Lab::up("tl", &["--nodes", "2", "--pods", "1"]);
        let n1 = lab.node("node1");
        let (a, b) = (lab.pod("web-1-1"), lab.pod("web-2-1"));
        let gw = nsenter(&a.netns, "ip", &["-4", "route", "show", "default"]);
        let gw = gw.split_whitespace().nth(2).unwrap().to_string();
        nsenter(&a.netns, "ip", &["neigh", "replace", &gw, "lladdr", "02:00:00:00:00:01", "dev", "eth0", "nud", "stale"]);
        nsenter(&n1.netns, "ip", &["link", "set", "dev", &a.host_veth, "down"]);
        assert!(!ping(&a.netns, &b.ip, &[]).0);
        let (_, t) = trace(&[&a.short, &b.ip]);
        let (dir, cause, reason, _) = blocked(&t);
        assert_eq!((dir.as_str(), cause.as_str()), ("request", "link-down"), "{t:#}");
        assert!(reason.contains(&a.host_veth), "{reason}");
        nsenter(&n1.netns, "ip", &["link", "set", "dev", &a.host_veth, "up"]);
        nsenter(&a.netns, "ip", &["neigh", "del", &gw, "dev", "eth0"]);
        lab.fix_all();
        assert!(ping(&a.netns, &b.ip, &[]).0);
        lab.down();
    }
}

node_test! {
    /// node1's underlay narrower than the tunnel + 50: a full-size pod
    /// packet cannot be encapsulated; small ones still pass.
    fn an_underlay_too_small_for_the_encapsulated_packet_is_mtu() {
        let lab = Lab::up("tm", &["--nodes", "2", "--pods", "1"]);
        let n1 = lab.node("node1");
        let (a, b) = (lab.pod("web-1-1"), lab.pod("web-2-1"));
        nsenter(&n1.netns, "ip", &["link", "set", "dev", "eth0", "mtu", "1400"]);
        let (ok, out) = ping(&a.netns, &b.ip, &["-M", "do", "-s", "1422"]);
        assert!(!ok, "a 1450-byte DF packet crossed a 1400 underlay: {out}");
        let (_, t) = trace(&[&a.short, &b.ip]);
        let (_, cause, reason, hop) = blocked(&t);
        assert_eq!(cause, "mtu", "{t:#}");
        assert_eq!(hop["netns_inode"], n1.inode);
        assert!(reason.contains("eth0") && reason.contains("1400") && reason.contains("encapsulated"), "{reason}");
        nsenter(&n1.netns, "ip", &["link", "set", "dev", "eth0", "mtu", "1500"]);
        assert!(ping(&a.netns, &b.ip, &["-M", "do", "-s", "1422"]).0);
        delivered_both_ways(&trace(&[&a.short, &b.ip]).1);
        lab.down();
    }
}

node_test! {
    /// A trace to the pod itself or to 127.0.0.1 is delivered inside it.
    fn a_trace_to_itself_is_delivered_locally() {
        let lab = Lab::up("ts", &["--nodes", "2", "--pods", "1"]);
        let a = lab.pod("web-1-1");
        for dst in [a.ip.as_str(), "127.0.0.1"] {
            let (code, t) = trace(&[&a.short, dst]);
            assert_eq!(code, 0, "{t:#}");
            assert_eq!(t["delivered"], true, "{t:#}");
            let last = t["hops"].as_array().unwrap().last().unwrap().clone();
            assert_eq!((&last["step"], &last["netns_inode"]), (&Value::from("delivered"), &Value::from(a.inode)), "{t:#}");
        }
        lab.down();
    }
}

node_test! {
    /// On a Calico-VXLAN node (made with plain commands, not by podnet):
    /// `vxlan.calico` down takes its route with it, so the lookup falls to
    /// the default route whose gateway never answers: the down tunnel is
    /// the cause. proxy_arp off on a pod's host veth leaves the pod's ARP
    /// for 169.254.1.1 unanswered: proxy-arp-off, not the failed neighbour.
    fn a_down_tunnel_and_proxy_arp_off_are_named_not_their_symptoms() {
        let l = Layout::build(Kind::CalicoVxlan);
        let (a, b) = (l.pod(l.pods_on(0)[0]), l.pod(l.pods_on(1)[0]));
        let (n1, n2) = (l.node(0), l.node(1));
        assert!(ping(&a.netns, &b.ip, &[]).0, "baseline");
        delivered_both_ways(&trace(&[&a.netns, &b.ip]).1);
        // 1. the tunnel down on node1
        let t2 = n2.tunnel.clone().unwrap();
        let dev = n1.tunnel.clone().unwrap().dev;
        ns_sh(&n1.netns, &format!("ip link set {dev} down"));
        let (ok, out) = ping(&a.netns, &b.ip, &[]);
        assert!(!ok, "ping works with {dev} down: {out}");
        let (code, t) = trace(&[&a.netns, &b.ip]);
        assert_eq!(code, 1, "{t:#}");
        let (dir, cause, reason, hop) = blocked(&t);
        assert_eq!((dir.as_str(), cause.as_str()), ("request", "link-down"), "{t:#}");
        assert_eq!(hop["netns_inode"], n1.inode, "{t:#}");
        assert!(reason.contains(&dev), "{reason}");
        ns_sh(
            &n1.netns,
            &format!(
                "ip link set {dev} up && ip route replace {} && \
                 ip neigh replace {} lladdr {} dev {dev} nud permanent && \
                 bridge fdb replace {} dev {dev} dst {} self permanent",
                n1.remote_route.clone().unwrap(),
                t2.vtep_ip,
                t2.mac,
                t2.mac,
                n2.underlay_ip
            ),
        );
        assert!(ping(&a.netns, &b.ip, &[]).0, "after {dev} is back");
        // 2. proxy_arp off on a's host veth; a forgets its gateway's MAC
        let knob = format!("/proc/sys/net/ipv4/conf/{}/proxy_arp", a.host_veth);
        ns_sh(&n1.netns, &format!("echo 0 > {knob}"));
        ns_sh(&a.netns, "ip neigh flush dev eth0");
        let (ok, out) = ping(&a.netns, &b.ip, &[]);
        assert!(!ok, "ping works with proxy_arp off: {out}");
        let (code, t) = trace(&[&a.netns, &b.ip]);
        assert_eq!(code, 1, "{t:#}");
        let (dir, cause, reason, hop) = blocked(&t);
        assert_eq!((dir.as_str(), cause.as_str()), ("request", "proxy-arp-off"), "{t:#}");
        assert_eq!(hop["netns_inode"], a.inode, "{t:#}");
        assert!(reason.contains(&a.host_veth) && reason.contains(&a.gateway), "{reason}");
        ns_sh(&n1.netns, &format!("echo 1 > {knob}"));
        assert!(ping(&a.netns, &b.ip, &[]).0, "after proxy_arp is back");
        delivered_both_ways(&trace(&[&a.netns, &b.ip]).1);
    }
}
