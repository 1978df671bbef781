//! Privileged tests of `podnet doctor` and `podnet trace` on a `podnet
//! lab`, each on its own private node. Faults are injected by the test
//! with plain `ip`, `sysctl`, `iptables`, `iptables-legacy` and `bridge`
//! run inside the lab's namespaces (`nsenter --net`); the oracles are those
//! tools' own views (`ip -j`, `bridge -j fdb`, `sysctl`, `nft`) and
//! iputils `ping` between the pods. The last test snapshots every lab
//! namespace before and after doctor, trace and probe and finds nothing
//! changed.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::lab::{
    Bg, Lab, UdpMode, UdpServer, assert_doctor_shape, check, check_text, doctor, doctor_all,
    files_snapshot, first_bad_hop, nsenter, ping, podnet_json_code, snapshot, snapshot_diff, trace,
    wait_listening, wait_settled, with_status,
};
use serde_json::{Value, json};

/// Healthy lab: every node passes every check or skips it with a reason
/// (exit 0), the facts doctor shows agree with `ip`, `bridge`, `sysctl`
/// and `nft` run in the node, and a trace from the first pod reaches
/// every other pod (which ping confirms).
fn healthy(name: &str, args: &[&str]) {
    let lab = Lab::up(name, args);
    let vxlan = lab.overlay == "vxlan";
    let ptp = args.contains(&"ptp");
    for (node, code, v) in doctor_all(&lab) {
        let n = lab.node(&node);
        assert_doctor_shape(&v);
        assert_eq!(code, 0, "{node}: doctor exit status: {v:#}");
        assert_eq!(v["node"]["netns_inode"], n.inode, "{v:#}");
        assert!(
            with_status(&v, "fail").is_empty() && with_status(&v, "warn").is_empty(),
            "{node}: {v:#}"
        );
        // the network checks pass; only those with nothing to judge here skip
        let mut must_pass = vec![
            "ip-forward",
            "rp-filter",
            "mtu",
            "routes",
            "firewall",
            "veth",
            "pods",
            "kernel-stats",
        ];
        if vxlan {
            must_pass.push("tunnel");
        } else {
            let t = check(&v, "tunnel");
            assert_eq!(t["status"], "skip", "{t:#}");
            assert!(
                t["summary"].as_str().unwrap().contains("no overlay tunnel"),
                "{t:#}"
            );
        }
        for id in must_pass {
            assert_eq!(check(&v, id)["status"], "pass", "{node} {id}: {v:#}");
        }
        println!(
            "{name} {node}: pass {:?}, skip {:?}",
            with_status(&v, "pass"),
            with_status(&v, "skip")
                .iter()
                .map(|id| format!("{id} ({})", check(&v, id)["summary"].as_str().unwrap()))
                .collect::<Vec<_>>()
        );

        // oracles, read in the node's namespace
        let fwd = nsenter(&n.netns, "sysctl", &["-n", "net.ipv4.ip_forward"]);
        assert!(
            check_text(check(&v, "ip-forward"))
                .contains(&format!("net.ipv4.ip_forward = {}", fwd.trim())),
            "{v:#}"
        );
        let routes: Value =
            serde_json::from_str(&nsenter(&n.netns, "ip", &["-j", "route", "show"])).unwrap();
        let routes_text = check_text(check(&v, "routes"));
        for other in lab.nodes.iter().filter(|o| o.name != node) {
            assert!(
                routes
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["dst"] == other.pod_cidr.as_str()),
                "ip route has no {}",
                other.pod_cidr
            );
            assert!(
                routes_text.contains(&other.pod_cidr),
                "routes does not name {}: {routes_text}",
                other.pod_cidr
            );
        }
        assert!(
            check(&v, "routes")["summary"]
                .as_str()
                .unwrap()
                .contains(&format!("each of {} remote pod CIDRs", lab.nodes.len() - 1)),
            "{v:#}"
        );
        let pods_here = lab.pods.iter().filter(|p| p.node == node).count();
        let veths: Value = serde_json::from_str(&nsenter(
            &n.netns,
            "ip",
            &["-j", "link", "show", "type", "veth"],
        ))
        .unwrap();
        let host_veths = veths
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| lab.pods.iter().any(|p| l["ifname"] == p.host_veth.as_str()))
            .count();
        assert_eq!(host_veths, pods_here);
        assert!(
            check(&v, "veth")["summary"]
                .as_str()
                .unwrap()
                .contains(&format!("({pods_here} pods)")),
            "{v:#}"
        );
        let nft = nsenter(&n.netns, "nft", &["list", "ruleset"]);
        assert!(nft.trim().is_empty(), "{nft}");
        if vxlan {
            let link: Value = serde_json::from_str(&nsenter(
                &n.netns,
                "ip",
                &["-j", "link", "show", "dev", "flannel.1"],
            ))
            .unwrap();
            let mtu = link[0]["mtu"].as_u64().unwrap();
            assert!(
                check(&v, "mtu")["summary"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("path MTU {mtu}")),
                "{v:#}"
            );
            let fdb: Value = serde_json::from_str(&nsenter(
                &n.netns,
                "bridge",
                &["-j", "fdb", "show", "dev", "flannel.1"],
            ))
            .unwrap();
            let tunnel = check_text(check(&v, "tunnel"));
            let mut seen = 0;
            for e in fdb
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["dst"].is_string())
            {
                let fact = format!(
                    "fdb {} dst {}",
                    e["mac"].as_str().unwrap(),
                    e["dst"].as_str().unwrap()
                );
                assert!(tunnel.contains(&fact), "tunnel lacks {fact:?}: {tunnel}");
                seen += 1;
            }
            assert_eq!(seen, lab.nodes.len() - 1);
        }
        if ptp {
            assert!(
                check(&v, "mtu")["summary"]
                    .as_str()
                    .unwrap()
                    .contains("path MTU 1500"),
                "{v:#}"
            );
        }
    }

    // --lab judges every node at once, one section each, with the same verdicts
    let (code, all) = podnet_json_code(&[
        "doctor", "--lab", &lab.name, "--sample", "0.3", "-o", "json",
    ]);
    assert_eq!(code, 0, "{all:#}");
    assert_eq!(all["lab"], lab.name.as_str(), "{all:#}");
    let sections = all["nodes"].as_array().unwrap();
    assert_eq!(sections.len(), lab.nodes.len(), "{all:#}");
    for (s, n) in sections.iter().zip(&lab.nodes) {
        assert_doctor_shape(s);
        assert_eq!(s["node"]["netns_inode"], n.inode, "{s:#}");
        assert!(with_status(s, "fail").is_empty(), "{}: {s:#}", n.name);
    }
    // plain doctor judges the host, which holds no pod: it says the lab is
    // up and how to judge it, and fails nothing for the lab's sake
    let (code, host) = podnet_json_code(&["doctor", "--sample", "0", "-o", "json"]);
    let hint = format!("podnet doctor --lab {}", lab.name);
    assert!(
        host["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains(&hint)),
        "{host:#}"
    );
    assert_ne!(check(&host, "ip-forward")["status"], "fail", "{host:#}");
    assert_eq!(check(&host, "pods")["status"], "skip", "{host:#}");
    assert_eq!(
        code,
        i32::from(!with_status(&host, "fail").is_empty()),
        "{host:#}"
    );

    // --check picks checks, in the usual order
    let (code, v) = podnet_json_code(&[
        "doctor",
        "--node-netns",
        &lab.nodes[0].netns,
        "--sample",
        "0",
        "--check",
        "veth",
        "--check",
        "mtu",
        "-o",
        "json",
    ]);
    assert_eq!(code, 0);
    let ids: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["mtu", "veth"]);

    // the first pod reaches every other pod, hop by hop, and so does ping
    let from = &lab.pods[0];
    for to in &lab.pods[1..] {
        let (code, t) = trace(&from.short, &to.ip);
        assert_eq!(code, 0, "{t:#}");
        assert_eq!(t["verdict"], "delivered both ways", "{t:#}");
        assert_eq!(
            (&t["delivered"], &t["blocked"]),
            (&json!(true), &json!(null)),
            "{t:#}"
        );
        assert!(first_bad_hop(&t).is_none(), "{t:#}");
        let hops = t["hops"].as_array().unwrap();
        let last = hops
            .iter()
            .rev()
            .find(|h| h["direction"] == "request")
            .unwrap();
        // the reply ends back in the first pod
        let back = hops.last().unwrap();
        assert_eq!(
            (&back["direction"], &back["netns_inode"]),
            (&json!("reply"), &json!(from.inode)),
            "{t:#}"
        );
        assert_eq!(last["netns_inode"], to.inode, "{t:#}");
        assert_eq!(last["at"], format!("pod {}", to.name), "{t:#}");
        // the destination's host veth is crossed on the way in
        assert!(
            t["hops"].as_array().unwrap().iter().any(|h| h["step"]
                .as_str()
                .unwrap()
                .starts_with(&format!("veth {} → eth0", to.host_veth))),
            "{t:#}"
        );
        let (ok, out) = ping(&from.netns, &to.ip, &[]);
        assert!(ok, "ping {} → {}: {out}", from.name, to.name);
    }
    lab.down();
}

node_test! {
    /// 3 nodes x 2 pods, flannel-style VXLAN, cni0 bridges.
    fn a_healthy_vxlan_lab_passes_every_check_and_traces_deliver() {
        healthy("hv", &["--nodes", "3", "--pods", "2"]);
    }
}

node_test! {
    /// The README's lab (`lab up` defaults: 2 nodes x 3 pods, VXLAN): with two
    /// nodes the switch's link to each node looks like a pod's veth to the
    /// pairing; doctor must not judge it as one (it has no pause, no name).
    fn the_default_two_node_lab_passes_every_check() {
        healthy("h2", &[]);
    }
}

node_test! {
    /// 3 nodes x 2 pods, routed underlay (host-gw), cni0 bridges.
    fn a_healthy_routed_lab_passes_every_check_and_traces_deliver() {
        healthy("hr", &["--nodes", "3", "--pods", "2", "--overlay", "routed"]);
    }
}

node_test! {
    /// 3 nodes x 2 pods, routed underlay, Calico-style ptp veths.
    fn a_healthy_routed_ptp_lab_passes_every_check_and_traces_deliver() {
        healthy("hp", &["--nodes", "3", "--pods", "2", "--overlay", "routed", "--mode", "ptp"]);
    }
}

/// A fault injected with plain commands, and what must show it.
struct Fault {
    name: &'static str,
    /// (namespace path, program, args) run to break it.
    inject: Vec<(String, &'static str, Vec<String>)>,
    /// The node whose doctor must fail, and the check that must.
    node: &'static str,
    check: &'static str,
    /// Words the failing check's summary and evidence must contain.
    evidence: Vec<String>,
    /// Checks allowed to warn (on that node) because of the fault.
    may_warn: &'static [&'static str],
    /// Traffic that must flow while doctor samples: (pod, ip).
    traffic: Option<(&'static str, String)>,
    /// The trace that must stop: from pod, to ip.
    trace: (&'static str, String),
    /// Where it must stop: namespace inode, and words of the hop's step and reason.
    hop_inode: u64,
    hop_step: String,
    hop_reason: Vec<String>,
    /// The ping that must fail: from pod, to ip, extra args; and the
    /// extra args of the one that must work after the fix.
    ping: (&'static str, String, Vec<&'static str>),
    ping_after: Vec<&'static str>,
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// Injects each fault, checks doctor (on every node), trace and ping, then
/// `lab fix --all` and checks everything passes again. Returns, per fault,
/// the failing and warning checks per node, and the blocked hop.
fn run_faults(lab: &Lab, faults: Vec<Fault>) -> Vec<String> {
    let mut table = Vec::new();
    for f in faults {
        for (ns, program, a) in &f.inject {
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            nsenter(ns, program, &a);
        }
        let bg = f.traffic.as_ref().map(|(pod, ip)| {
            let mut b = Bg::start(
                &lab.pod(pod).netns,
                "ping",
                &["-n", "-q", "-i", "0.02", "-W", "1", ip],
            );
            std::thread::sleep(Duration::from_millis(100));
            b.assert_running();
            b
        });
        let reports = doctor_all(lab);
        drop(bg);
        let mut fails: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut warns: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (node, code, v) in &reports {
            assert_doctor_shape(v);
            let fl = with_status(v, "fail");
            assert_eq!(*code, if fl.is_empty() { 0 } else { 1 }, "{node}: {v:#}");
            if !fl.is_empty() {
                fails.insert(node.clone(), fl);
            }
            let wr = with_status(v, "warn");
            if !wr.is_empty() {
                warns.insert(node.clone(), wr);
            }
        }
        let (_, _, target) = reports
            .iter()
            .find(|(n, _, _)| n == f.node)
            .expect("the fault's node");
        let c = check(target, f.check);
        assert_eq!(
            c["status"], "fail",
            "{}: {} must fail: {target:#}",
            f.name, f.check
        );
        let t = check_text(c);
        for word in &f.evidence {
            assert!(
                t.contains(word.as_str()),
                "{}: {} does not say {word:?}:\n{t}",
                f.name,
                f.check
            );
        }
        assert!(
            c["hint"].is_string(),
            "{}: a failing check gives a hint: {c:#}",
            f.name
        );
        // no other check fails anywhere; warnings only where the fault explains them
        let expected: BTreeMap<String, Vec<String>> =
            [(f.node.to_string(), vec![f.check.to_string()])].into();
        assert_eq!(fails, expected, "{}: failing checks per node", f.name);
        for (node, w) in &warns {
            assert!(
                node == f.node && w.iter().all(|id| f.may_warn.contains(&id.as_str())),
                "{}: unexpected warnings on {node}: {w:?}",
                f.name
            );
        }

        let (code, tr) = trace(f.trace.0, &f.trace.1);
        assert_eq!(code, 1, "{}: trace exit status: {tr:#}", f.name);
        let (n, hop) =
            first_bad_hop(&tr).unwrap_or_else(|| panic!("{}: nothing blocked: {tr:#}", f.name));
        assert_eq!(hop["status"], "blocked", "{}: {tr:#}", f.name);
        assert_eq!(
            hop["netns_inode"], f.hop_inode,
            "{}: blocked in the wrong namespace: {tr:#}",
            f.name
        );
        assert!(
            hop["step"].as_str().unwrap().contains(&f.hop_step),
            "{}: blocked at the wrong step (want {:?}): {tr:#}",
            f.name,
            f.hop_step
        );
        let reason = hop["reason"].as_str().unwrap_or_default();
        for word in &f.hop_reason {
            assert!(
                reason.contains(word.as_str()),
                "{}: reason lacks {word:?}: {tr:#}",
                f.name
            );
        }
        assert!(
            tr["verdict"]
                .as_str()
                .unwrap()
                .starts_with(&format!("blocked in the request at hop {n}: ")),
            "{tr:#}"
        );

        let (from, to, extra) = &f.ping;
        let (ok, out) = ping(&lab.pod(from).netns, to, extra);
        assert!(
            !ok,
            "{}: ping {from} → {to} {extra:?} still works:\n{out}",
            f.name
        );

        table.push(format!(
            "{:<20} fail {:?}; warn {:?}; trace {} → {}: hop {n} `{}` BLOCKED: {reason}",
            f.name,
            fails,
            warns,
            f.trace.0,
            f.trace.1,
            hop["step"].as_str().unwrap()
        ));

        lab.fix_all();
        for (node, code, v) in doctor_all(lab) {
            assert_eq!(code, 0, "{}: {node} after lab fix --all: {v:#}", f.name);
            assert!(with_status(&v, "fail").is_empty(), "{v:#}");
        }
        let (ok, out) = ping(&lab.pod(from).netns, to, &f.ping_after);
        assert!(
            ok,
            "{}: ping {from} → {to} {:?} after the fix:\n{out}",
            f.name, f.ping_after
        );
    }
    for line in &table {
        println!("{line}");
    }
    table
}

node_test! {
    /// Every lab fault on a 3 x 2 VXLAN lab, injected with plain commands:
    /// doctor fails exactly the matching check on exactly that node (with
    /// evidence naming the interface, pod or CIDR), trace stops at the hop
    /// that breaks, ping agrees, and `lab fix --all` makes all pass again.
    fn each_fault_fails_its_check_and_trace_blocks_its_hop_vxlan() {
        let lab = Lab::up("fv", &["--nodes", "3", "--pods", "2"]);
        let n = |x: &str| lab.node(x).netns.clone();
        let p = |x: &str| lab.pod(x);
        let (n1, n2, n3) = (lab.node("node1"), lab.node("node2"), lab.node("node3"));
        let mac3 = n3.vtep_mac.clone().unwrap();
        let faults = vec![
            Fault {
                name: "mtu",
                inject: vec![(p("web-2-1").netns.clone(), "ip", args(&["link", "set", "dev", "eth0", "mtu", "1500"]))],
                node: "node2",
                check: "mtu",
                evidence: vec!["default/web-2-1".into(), p("web-2-1").host_veth.clone(), "MTU 1500".into(), "1450".into()],
                may_warn: &[],
                traffic: None,
                trace: ("web-2-1", p("web-1-1").ip.clone()),
                hop_inode: p("web-2-1").inode,
                hop_step: format!("veth eth0 → {}", p("web-2-1").host_veth),
                hop_reason: vec!["1500-byte packet".into(), format!("{}'s MTU 1450", p("web-2-1").host_veth)],
                ping: ("web-2-1", p("web-1-1").ip.clone(), vec!["-M", "do", "-s", "1472"]),
                // as big as the pod's MTU once it is fixed
                ping_after: vec!["-M", "do", "-s", "1422"],
            },
            Fault {
                name: "fdb",
                inject: vec![(n("node1"), "bridge", args(&["fdb", "del", &mac3, "dev", "flannel.1", "dst", &n3.underlay_ip]))],
                node: "node1",
                check: "tunnel",
                evidence: vec!["flannel.1".into(), format!("no FDB entry for {mac3}"), n3.pod_cidr.clone()],
                may_warn: &[],
                traffic: None,
                trace: ("web-1-1", p("web-3-1").ip.clone()),
                hop_inode: n1.inode,
                hop_step: "vxlan flannel.1".into(),
                hop_reason: vec![format!("no FDB entry for {mac3} on flannel.1")],
                ping: ("web-1-1", p("web-3-1").ip.clone(), vec![]),
                ping_after: vec![],
            },
            Fault {
                name: "forwarding",
                inject: vec![(n("node2"), "sysctl", args(&["-qw", "net.ipv4.ip_forward=0"]))],
                node: "node2",
                check: "ip-forward",
                evidence: vec!["net.ipv4.ip_forward = 0".into()],
                // routes exist but cannot be used: said as a warning
                may_warn: &["routes"],
                traffic: None,
                trace: ("web-1-1", p("web-2-1").ip.clone()),
                hop_inode: n2.inode,
                hop_step: "iif flannel.1".into(),
                hop_reason: vec!["forwarding is off (net.ipv4.ip_forward = 0)".into()],
                ping: ("web-1-1", p("web-2-1").ip.clone(), vec![]),
                ping_after: vec![],
            },
            Fault {
                name: "rp-filter",
                inject: vec![
                    (n("node1"), "sysctl", args(&["-qw", "net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.eth0.rp_filter=1"])),
                    (n("node3"), "ip", args(&["route", "replace", &n1.pod_cidr, "via", &n1.underlay_ip, "dev", "eth0"])),
                ],
                node: "node1",
                check: "rp-filter",
                // judged by the kernel's input lookup: no traffic during the check
                evidence: vec!["unencapsulated on eth0".into(), "net.ipv4.conf.eth0.rp_filter = 1".into(), n3.pod_cidr.clone(), format!("routes {} via {} dev eth0", p("web-1-1").ip, n1.underlay_ip)],
                may_warn: &[],
                traffic: None,
                trace: ("web-3-1", p("web-1-1").ip.clone()),
                hop_inode: n1.inode,
                hop_step: "iif eth0".into(),
                hop_reason: vec!["reverse-path filter".into(), "on eth0".into(), "refuses".into()],
                ping: ("web-3-1", p("web-1-1").ip.clone(), vec![]),
                ping_after: vec![],
            },
            Fault {
                name: "route",
                inject: vec![(n("node2"), "ip", args(&["route", "del", &n1.pod_cidr]))],
                node: "node2",
                check: "routes",
                evidence: vec![format!("no route to remote pod CIDR {}", n1.pod_cidr), "Network is unreachable".into()],
                may_warn: &[],
                traffic: None,
                trace: ("web-2-1", p("web-1-1").ip.clone()),
                hop_inode: n2.inode,
                hop_step: "iif cni0".into(),
                hop_reason: vec![format!("no route to {}", p("web-1-1").ip)],
                ping: ("web-2-1", p("web-1-1").ip.clone(), vec![]),
                ping_after: vec![],
            },
            Fault {
                name: "forward-drop nft",
                inject: vec![(n("node2"), "iptables", args(&["-w", "-P", "FORWARD", "DROP"]))],
                node: "node2",
                check: "firewall",
                evidence: vec!["nft ip filter FORWARD: policy drop".into(), p("web-2-1").ip.clone()],
                may_warn: &[],
                traffic: None,
                trace: ("web-2-1", p("web-1-1").ip.clone()),
                hop_inode: n2.inode,
                hop_step: "iif cni0".into(),
                hop_reason: vec!["dropped by nft ip filter FORWARD".into(), "policy drop".into()],
                ping: ("web-2-1", p("web-1-1").ip.clone(), vec![]),
                ping_after: vec![],
            },
            Fault {
                name: "forward-drop legacy",
                inject: vec![(n("node2"), "iptables-legacy", args(&["-w", "-P", "FORWARD", "DROP"]))],
                node: "node2",
                check: "firewall",
                evidence: vec!["iptables-legacy filter FORWARD: policy drop".into(), p("web-2-1").ip.clone()],
                may_warn: &[],
                traffic: None,
                trace: ("web-1-1", p("web-2-1").ip.clone()),
                hop_inode: n2.inode,
                hop_step: "iif flannel.1".into(),
                hop_reason: vec!["dropped by iptables-legacy filter FORWARD".into(), "policy drop".into()],
                ping: ("web-1-1", p("web-2-1").ip.clone(), vec![]),
                ping_after: vec![],
            },
            Fault {
                name: "veth-down",
                inject: vec![(n("node3"), "ip", args(&["link", "set", "dev", &p("web-3-2").host_veth, "down"]))],
                node: "node3",
                check: "veth",
                evidence: vec![p("web-3-2").host_veth.clone(), "default/web-3-2".into(), "admin down".into()],
                may_warn: &[],
                traffic: None,
                trace: ("web-1-1", p("web-3-2").ip.clone()),
                hop_inode: n3.inode,
                hop_step: format!("link {}", p("web-3-2").host_veth),
                hop_reason: vec![format!("{} (down, admin down)", p("web-3-2").host_veth)],
                ping: ("web-1-1", p("web-3-2").ip.clone(), vec![]),
                ping_after: vec![],
            },
        ];
        run_faults(&lab, faults);

        // legacy rules are invisible to nft: doctor reads both backends
        nsenter(&n("node2"), "iptables-legacy", &["-w", "-P", "FORWARD", "DROP"]);
        assert!(nsenter(&n("node2"), "nft", &["list", "ruleset"]).trim().is_empty());
        lab.fix_all();

        // the other end of veth-down: out of the pod, the pod's own side is blocked
        nsenter(&n("node3"), "ip", &["link", "set", "dev", &p("web-3-2").host_veth, "down"]);
        let (code, t) = trace("web-3-2", &p("web-1-1").ip);
        assert_eq!(code, 1);
        let (n_hop, hop) = first_bad_hop(&t).unwrap();
        assert_eq!((n_hop, &hop["netns_inode"]), (2, &Value::from(p("web-3-2").inode)), "{t:#}");
        assert!(hop["reason"].as_str().unwrap().contains(&p("web-3-2").host_veth), "{t:#}");
        lab.fix_all();

        // strict rp_filter on the uplink with no pod packet coming in there is a healthy flannel node
        nsenter(&n("node1"), "sysctl", &["-qw", "net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.eth0.rp_filter=1"]);
        let (code, v) = doctor(&n("node1"));
        assert_eq!(code, 0, "{v:#}");
        let rp = check(&v, "rp-filter");
        assert_eq!(rp["status"], "pass", "{rp:#}");
        // the kernel's own lookup, entering where node2's and node3's packets arrive
        assert!(check_text(rp).contains("iif flannel.1"), "{rp:#}");
        lab.fix_all();
        lab.down();
    }
}

node_test! {
    /// The faults that apply to a routed lab, on a Calico-style ptp one
    /// (pods behind /32 host routes and proxy ARP, no bridge).
    fn each_fault_fails_its_check_and_trace_blocks_its_hop_routed_ptp() {
        let lab = Lab::up("fp", &["--nodes", "3", "--pods", "2", "--overlay", "routed", "--mode", "ptp"]);
        let n = |x: &str| lab.node(x).netns.clone();
        let p = |x: &str| lab.pod(x);
        let (n1, n2, n3) = (lab.node("node1"), lab.node("node2"), lab.node("node3"));
        let faults = vec![
            Fault {
                name: "mtu",
                inject: vec![(p("web-2-1").netns.clone(), "ip", args(&["link", "set", "dev", "eth0", "mtu", "9000"]))],
                node: "node2",
                check: "mtu",
                evidence: vec!["default/web-2-1".into(), p("web-2-1").host_veth.clone(), "MTU 9000".into()],
                may_warn: &[],
                traffic: None,
                trace: ("web-2-1", p("web-1-1").ip.clone()),
                hop_inode: p("web-2-1").inode,
                hop_step: format!("veth eth0 → {}", p("web-2-1").host_veth),
                hop_reason: vec!["9000-byte packet".into(), "MTU 1500".into()],
                ping: ("web-2-1", p("web-1-1").ip.clone(), vec!["-M", "do", "-s", "8972"]),
                ping_after: vec!["-M", "do", "-s", "1472"],
            },
            Fault {
                name: "forwarding",
                inject: vec![(n("node2"), "sysctl", args(&["-qw", "net.ipv4.ip_forward=0"]))],
                node: "node2",
                check: "ip-forward",
                evidence: vec!["net.ipv4.ip_forward = 0".into()],
                may_warn: &["routes"],
                traffic: None,
                trace: ("web-1-1", p("web-2-1").ip.clone()),
                hop_inode: n2.inode,
                hop_step: "iif eth0".into(),
                hop_reason: vec!["forwarding is off".into()],
                ping: ("web-1-1", p("web-2-1").ip.clone(), vec![]),
                ping_after: vec![],
            },
            Fault {
                name: "route",
                inject: vec![(n("node2"), "ip", args(&["route", "del", &n1.pod_cidr]))],
                node: "node2",
                check: "routes",
                evidence: vec![format!("no route to remote pod CIDR {}", n1.pod_cidr), "lab fp: node node1".into()],
                may_warn: &[],
                traffic: None,
                trace: ("web-2-1", p("web-1-1").ip.clone()),
                hop_inode: n2.inode,
                hop_step: format!("iif {}", p("web-2-1").host_veth),
                hop_reason: vec![format!("no route to {}", p("web-1-1").ip)],
                ping: ("web-2-1", p("web-1-1").ip.clone(), vec![]),
                ping_after: vec![],
            },
            Fault {
                name: "forward-drop nft",
                inject: vec![(n("node1"), "iptables", args(&["-w", "-P", "FORWARD", "DROP"]))],
                node: "node1",
                check: "firewall",
                evidence: vec!["nft ip filter FORWARD: policy drop".into()],
                may_warn: &[],
                traffic: None,
                // in ptp mode even same-node traffic is forwarded by the node
                trace: ("web-1-1", p("web-1-2").ip.clone()),
                hop_inode: n1.inode,
                hop_step: format!("iif {}", p("web-1-1").host_veth),
                hop_reason: vec!["dropped by nft ip filter FORWARD".into()],
                ping: ("web-1-1", p("web-1-2").ip.clone(), vec![]),
                ping_after: vec![],
            },
            Fault {
                name: "forward-drop legacy",
                inject: vec![(n("node3"), "iptables-legacy", args(&["-w", "-P", "FORWARD", "DROP"]))],
                node: "node3",
                check: "firewall",
                evidence: vec!["iptables-legacy filter FORWARD: policy drop".into()],
                may_warn: &[],
                traffic: None,
                trace: ("web-1-1", p("web-3-1").ip.clone()),
                hop_inode: n3.inode,
                hop_step: "iif eth0".into(),
                hop_reason: vec!["dropped by iptables-legacy filter FORWARD".into()],
                ping: ("web-1-1", p("web-3-1").ip.clone(), vec![]),
                ping_after: vec![],
            },
            Fault {
                name: "veth-down",
                inject: vec![(n("node3"), "ip", args(&["link", "set", "dev", &p("web-3-2").host_veth, "down"]))],
                node: "node3",
                check: "veth",
                evidence: vec![p("web-3-2").host_veth.clone(), "default/web-3-2".into()],
                may_warn: &[],
                traffic: None,
                trace: ("web-1-1", p("web-3-2").ip.clone()),
                hop_inode: n3.inode,
                hop_step: format!("link {}", p("web-3-2").host_veth),
                // the /32 route went with the link: the reason names the veth
                hop_reason: vec![format!("{} (down, admin down) is down", p("web-3-2").host_veth)],
                ping: ("web-1-1", p("web-3-2").ip.clone(), vec![]),
                ping_after: vec![],
            },
        ];
        run_faults(&lab, faults);
        lab.down();
    }
}

node_test! {
    /// doctor, trace and probe only read: every lab namespace's links,
    /// addresses, routes, rules, permanent neighbours, static FDB entries,
    /// the sysctls doctor reads, the nft ruleset, the legacy iptables
    /// tables and the runtime files are the same before and after them
    /// (see `snapshot` for what traffic itself may change and is left out).
    fn doctor_trace_and_probe_change_nothing() {
        let lab = Lab::up("ro", &["--nodes", "3", "--pods", "2"]);
        let n = |x: &str| lab.node(x).netns.clone();
        let p = |x: &str| lab.pod(x);
        // state worth reading: rules in both firewall backends, a strict
        // interface, a missing FDB entry, a pod veth down
        nsenter(&n("node2"), "iptables", &["-w", "-A", "FORWARD", "-s", "10.244.0.0/16", "-j", "ACCEPT"]);
        nsenter(&n("node2"), "iptables", &["-w", "-P", "FORWARD", "DROP"]);
        nsenter(&n("node3"), "iptables-legacy", &["-w", "-A", "FORWARD", "-d", "10.244.0.0/16", "-j", "ACCEPT"]);
        nsenter(&n("node1"), "sysctl", &["-qw", "net.ipv4.conf.all.rp_filter=1"]);
        let mac3 = lab.node("node3").vtep_mac.clone().unwrap();
        nsenter(&n("node1"), "bridge", &["fdb", "del", &mac3, "dev", "flannel.1", "dst", &lab.node("node3").underlay_ip]);
        nsenter(&n("node3"), "ip", &["link", "set", "dev", &p("web-3-2").host_veth, "down"]);
        // servers to probe
        std::fs::create_dir_all("/run/podnet-test-www").unwrap();
        std::fs::write("/run/podnet-test-www/index.html", "ok\n").unwrap();
        let mut httpd = Bg::start(&p("web-2-1").netns, "busybox", &["httpd", "-f", "-p", "8080", "-h", "/run/podnet-test-www"]);
        wait_listening(&p("web-2-1").netns, 't', 8080);
        httpd.assert_running();
        let _echo = UdpServer::start(&p("web-2-1").netns, 9999, UdpMode::Echo, &[]);
        let _dns = UdpServer::start(&p("web-2-2").netns, 53, UdpMode::Dns, &[[10, 244, 2, 2]]);

        // the oracles' own first runs may create things (iptables' lock
        // file), and IPv6 addresses settle: the baseline is taken after both
        wait_settled(&lab);
        let _ = (snapshot(&lab), files_snapshot());
        let before = snapshot(&lab);
        let files_before = files_snapshot();
        let again = snapshot(&lab);
        let unstable = snapshot_diff(&before, &again);
        assert!(unstable.is_empty(), "the snapshot is not stable:\n{}", unstable.join("\n"));

        for node in &lab.nodes {
            let (_, v) = doctor(&node.netns);
            assert_doctor_shape(&v);
        }
        let remote = p("web-2-1").ip.clone();
        for (from, to) in [("web-1-1", &remote), ("web-1-1", &p("web-3-1").ip), ("web-3-1", &p("web-3-2").ip), ("web-2-2", &p("web-1-2").ip)] {
            let (_, t) = trace(from, to);
            assert!(t["hops"].as_array().is_some_and(|h| !h.is_empty()), "{t:#}");
        }
        let probes: Vec<Vec<String>> = vec![
            vec!["web-1-1".into(), remote.clone()],
            vec!["web-1-1".into(), remote.clone(), "--pmtu".into()],
            vec!["web-1-1".into(), format!("{remote}:8080")],
            vec!["web-1-1".into(), format!("http://{remote}:8080/index.html")],
            vec!["web-1-1".into(), format!("udp://{remote}:9999")],
            vec!["web-1-1".into(), format!("dns://{}/web.lab.test", p("web-2-2").ip)],
            vec!["--from-all".into(), remote.clone()],
        ];
        for a in probes {
            let mut args: Vec<&str> = vec!["probe", "-c", "1", "--timeout", "0.3", "-o", "json"];
            args.extend(a.iter().map(String::as_str));
            let (code, v) = podnet_json_code(&args);
            assert!(code == 0 || code == 1, "{a:?}: {v:#}");
        }

        let after = snapshot(&lab);
        let diff = snapshot_diff(&before, &after);
        assert!(diff.is_empty(), "doctor, trace or probe changed the lab:\n{}", diff.join("\n"));
        let files_after = files_snapshot();
        let fdiff = snapshot_diff(&files_before, &files_after);
        assert!(fdiff.is_empty(), "doctor, trace or probe changed files:\n{}", fdiff.join("\n"));
        let aspects: BTreeSet<&str> = before.keys().filter_map(|k| k.rsplit(' ').next()).collect();
        println!("compared {} entries ({} namespaces x {:?}) and {} files", before.len(), lab.namespaces().len(), aspects, files_before.len());
        // the snapshot does see writes: a sysctl, a legacy table coming into being, a neighbour
        nsenter(&n("node2"), "sysctl", &["-qw", "net.ipv4.conf.eth0.rp_filter=0"]);
        nsenter(&n("node1"), "iptables-legacy", &["-w", "-A", "FORWARD", "-j", "ACCEPT"]);
        nsenter(&p("web-1-1").netns, "ip", &["neigh", "add", "10.244.1.77", "lladdr", "02:00:00:00:00:77", "dev", "eth0", "nud", "permanent"]);
        let changed: BTreeSet<String> = snapshot_diff(&after, &snapshot(&lab))
            .iter()
            .filter_map(|d| d.split(':').next().map(String::from))
            .collect();
        let want: BTreeSet<String> = ["node2 sysctls", "node1 legacy-tables", "node1 iptables-legacy-save", "default/web-1-1 neighbours"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(changed, want);
        drop(httpd);
        lab.fix_all();
        lab.down();
    }
}
