//! The node-wide doctor checks driven to each status they can reach on a
//! real node (a flannel VXLAN layout podnet did not build): `cni` (a
//! conflist that does not parse, a netns left behind, no config at all),
//! `bridge-nf` (kube-proxy's chain with bridged pods and
//! bridge-nf-call-iptables off), `kernel-stats` (drops while doctor
//! samples, with the kernel's own reason for them), `conntrack` and `node-env`. Each status is checked against the
//! files, sysctls and counters themselves. Statuses a test namespace cannot
//! reach (a full conntrack table: nf_conntrack_max is read-only outside the
//! initial namespace; a kernel without VXLAN) are unit-tested in
//! src/analyze/doctor.

mod common;

use common::corpus::{check_text, doctor, find_check};
use common::layouts::{Kind, Layout, ns_sh, ns_try};
use common::node::write_file;
use serde_json::Value;

fn status_of<'a>(report: &'a Value, id: &str) -> (&'a str, String) {
    let c = find_check(report, id).unwrap_or_else(|| panic!("no {id} check: {report:#}"));
    let mut t = check_text(c);
    for e in c["evidence"].as_array().into_iter().flatten() {
        t.push_str(e["from"].as_str().unwrap_or_default());
        t.push('\n');
    }
    (c["status"].as_str().unwrap_or("?"), t)
}

/// `/proc/net/netstat`'s IpExt:InNoRoutes in a namespace.
fn in_no_routes(netns: &str) -> u64 {
    let text = ns_sh(netns, "cat /proc/net/netstat");
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("IpExt:")).collect();
    let names: Vec<&str> = lines[0].split_whitespace().collect();
    let values: Vec<&str> = lines[1].split_whitespace().collect();
    let i = names
        .iter()
        .position(|n| *n == "InNoRoutes")
        .expect("InNoRoutes");
    values[i].parse().expect("a counter")
}

node_test! {
    fn cni_bridge_nf_kernel_stats_conntrack_and_node_env_reach_their_statuses() {
        let l = Layout::build(Kind::FlannelVxlan);
        let node1 = l.nodes[0].netns.clone();

        // healthy: cni passes (the conflist parses, its plugins are installed)
        let (_, v) = doctor(&l, 0);
        let (cni, t) = status_of(&v, "cni");
        assert_eq!(cni, "pass", "{t}");
        assert!(t.contains("10-flannel.conflist"), "{t}");
        let (ke, t) = status_of(&v, "kernel-stats");
        assert_eq!(ke, "pass", "{t}");
        let (env, t) = status_of(&v, "node-env");
        assert_eq!(env, "pass", "{t}");
        assert!(t.contains("vxlan (needed by device flannel.1)"), "{t}");

        // conntrack: pass with the table's own numbers, or skip when not loaded
        let (ct, t) = status_of(&v, "conntrack");
        match std::fs::read_to_string("/proc/sys/net/netfilter/nf_conntrack_max") {
            Ok(max) => {
                assert_eq!(ct, "pass", "{t}");
                assert!(t.contains(&format!("nf_conntrack_max = {}", max.trim())), "{t}");
            }
            Err(_) => assert_eq!(ct, "skip", "{t}"),
        }

        // bridge-nf: bridged pods, kube-proxy's chain, and the bridge not
        // calling iptables (or br_netfilter absent): a warning
        ns_sh(&node1, "iptables -w -t nat -N KUBE-SERVICES");
        let knob = "/proc/sys/net/bridge/bridge-nf-call-iptables";
        let loaded = std::path::Path::new(knob).exists();
        if loaded {
            ns_sh(&node1, "sysctl -qw net.bridge.bridge-nf-call-iptables=0");
        }
        let (_, v) = doctor(&l, 0);
        let (bnf, t) = status_of(&v, "bridge-nf");
        assert_eq!(bnf, "warn", "{t}");
        assert!(
            t.contains(if loaded { "bridge-nf-call-iptables is 0" } else { "br_netfilter is not loaded" }),
            "{t}"
        );
        if loaded {
            ns_sh(&node1, "sysctl -qw net.bridge.bridge-nf-call-iptables=1");
            let (_, v) = doctor(&l, 0);
            assert_eq!(status_of(&v, "bridge-nf").0, "pass");
        }
        ns_sh(&node1, "iptables -w -t nat -X KUBE-SERVICES");

        // cni: a conflist that does not parse fails, naming the file (python agrees)
        let broken = "/etc/cni/net.d/99-broken.conflist";
        write_file(std::path::Path::new(broken), b"{\"cniVersion\": \"1.0.0\", \"plugins\": [");
        let (parses, _) = ns_try(&node1, &format!("python3 -c 'import json; json.load(open(\"{broken}\"))'"));
        assert!(!parses, "python parses the broken conflist");
        let (code, v) = doctor(&l, 0);
        let (cni, t) = status_of(&v, "cni");
        assert_eq!((code, cni), (1, "fail"), "{t}");
        assert!(t.contains(broken) && t.contains("does not parse"), "{t}");
        std::fs::remove_file(broken).expect("remove the broken conflist");

        // cni: a network namespace nobody holds (only lo, no process) is a leak
        let left = format!("{}left", l.prefix);
        ns_sh(&node1, &format!("ip netns add {left}"));
        let (_, v) = doctor(&l, 0);
        let (cni, t) = status_of(&v, "cni");
        assert_eq!(cni, "warn", "{t}");
        assert!(t.contains(&format!("/run/netns/{left}")), "{t}");
        ns_sh(&node1, &format!("ip netns del {left}"));

        // kernel-stats: a pod pings a remote pod whose route is gone while
        // doctor samples: the kernel counts the packets it cannot route
        let cidr = l.nodes[1].pod_cidr.clone();
        let route = ns_sh(&node1, &format!("ip -o route show {cidr}"));
        ns_sh(&node1, &format!("ip route del {cidr}"));
        let before = in_no_routes(&node1);
        let pinger = std::process::Command::new("nsenter")
            .args(["--net=".to_string() + &l.pods[0].netns, "ping".into(), "-q".into(), "-i".into(), "0.05".into(), "-c".into(), "50".into(), l.pods[2].ip.clone()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn ping");
        let out = common::node::podnet_on_node(&["doctor", "-o", "json", "--sample", "1.5", "--check", "kernel-stats"]);
        let v: Value = serde_json::from_slice(&out.stdout).expect("doctor JSON");
        let pinged = pinger.wait_with_output().expect("ping's output");
        let grew = in_no_routes(&node1) - before;
        assert!(
            grew > 1,
            "IpExt:InNoRoutes grew by {grew}: the ground truth is missing; ping: {}{}",
            String::from_utf8_lossy(&pinged.stdout),
            String::from_utf8_lossy(&pinged.stderr)
        );
        let (ks, t) = status_of(&v, "kernel-stats");
        assert_eq!(ks, "warn", "{t}");
        assert!(t.contains("IpExt:InNoRoutes +"), "{t}");
        // and the kernel's own reason for them, in this node, with the pod
        assert!(
            t.contains("IP_INNOROUTES at ") && t.contains(&format!("(pod {})", l.pods[0].full)),
            "{t}"
        );
        ns_sh(&node1, &format!("ip route add {}", route.trim()));

        // cni: no configuration at all
        for f in std::fs::read_dir("/etc/cni/net.d").expect("the conf dir").flatten() {
            std::fs::remove_file(f.path()).expect("remove a conflist");
        }
        let (_, v) = doctor(&l, 0);
        assert_eq!(status_of(&v, "cni").0, "skip");
    }
}
