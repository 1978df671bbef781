//! Healthy layouts podnet did not build (flannel VXLAN and host-gw, Calico
//! BIRD and VXLAN, Cilium-like) and podnet's own labs: doctor finds no FAIL
//! on either node (what it cannot judge it skips, with the reason), its
//! evidence agrees with `ip -j route`, `bridge -j fdb` and `ip -j neigh`,
//! and trace delivers both ways between every pod pair across nodes.
//! Every problem is collected; each test asserts once with the list.

mod common;

use common::corpus::{Traffic, check_text, doctor_both, find_check, trace, trace_summary};
use common::layouts::{Kind, Layout, ns_sh};
use serde_json::Value;

/// The checks a Cilium-like node must skip: what eBPF decides.
const EBPF_CHECKS: [&str; 3] = ["routes", "firewall", "rp-filter"];

fn json(netns: &str, cmd: &str) -> Value {
    serde_json::from_str(&ns_sh(netns, cmd)).unwrap_or(Value::Null)
}

/// What the kernel holds that doctor's evidence must agree with, per node:
/// the route to the other node's pod CIDR, and on a tunnel its permanent
/// FDB entries' MACs and its permanent neighbours.
fn oracle_words(l: &Layout, i: usize) -> Vec<(&'static str, String)> {
    let n = l.node(i);
    let other = &l.node(1 - i).pod_cidr;
    let mut words = Vec::new();
    let routes = json(&n.netns, &format!("ip -j route show {other}"));
    if routes.as_array().is_some_and(|r| !r.is_empty()) {
        words.push(("routes", other.clone()));
    }
    if let Some(t) = n.tunnel.as_ref().filter(|_| !l.kind.is_ebpf()) {
        for e in json(&n.netns, &format!("bridge -j fdb show dev {}", t.dev))
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(mac) = e["mac"].as_str().filter(|m| *m != "00:00:00:00:00:00")
                && e["dst"].is_string()
            {
                words.push(("tunnel", mac.to_string()));
            }
        }
        for e in json(
            &n.netns,
            &format!("ip -j neigh show dev {} nud permanent", t.dev),
        )
        .as_array()
        .into_iter()
        .flatten()
        {
            if let Some(ip) = e["dst"].as_str() {
                words.push(("tunnel", ip.to_string()));
            }
        }
    }
    words
}

fn healthy(kind: Kind) {
    let l = Layout::build(kind);
    let mut problems: Vec<String> = Vec::new();
    for (i, (code, report)) in doctor_both(&l).iter().enumerate() {
        let node = &l.node(i).name;
        let Some(checks) = report["checks"].as_array() else {
            problems.push(format!("{node}: doctor gave no report: {report}"));
            continue;
        };
        for c in checks {
            let id = c["id"].as_str().unwrap_or("?");
            let status = c["status"].as_str().unwrap_or("?");
            if status == "fail" {
                problems.push(format!("{node}: {id} FAIL: {}", check_text(c)));
            }
            if status == "skip" && c["summary"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{node}: {id} skips without a reason"));
            }
        }
        if *code != 0 {
            problems.push(format!("{node}: doctor exit {code}"));
        }
        if kind.is_ebpf() {
            for id in EBPF_CHECKS {
                match find_check(report, id) {
                    Some(c)
                        if c["status"] == "skip"
                            && check_text(c).to_lowercase().contains("ebpf") => {}
                    Some(c) => problems.push(format!(
                        "{node}: {id} must skip with an eBPF reason, is {}: {}",
                        c["status"],
                        check_text(c)
                    )),
                    None => problems.push(format!("{node}: no {id} check")),
                }
            }
        } else {
            for (id, word) in oracle_words(&l, i) {
                match find_check(report, id) {
                    Some(c) if check_text(c).contains(&word) => {}
                    Some(c) => problems.push(format!(
                        "{node}: {id}'s evidence does not name {word} (the kernel has it): {}",
                        check_text(c)
                    )),
                    None => problems.push(format!("{node}: no {id} check")),
                }
            }
        }
    }
    let pairs = l.cross_pairs();
    let traces: Vec<(usize, usize, i32, Value)> = std::thread::scope(|s| {
        let h: Vec<_> = pairs
            .iter()
            .map(|&(a, b)| {
                let l = &l;
                s.spawn(move || {
                    let (code, t) = trace(l, a, b, Traffic::Ping);
                    (a, b, code, t)
                })
            })
            .collect();
        h.into_iter()
            .map(|h| h.join().expect("trace thread"))
            .collect()
    });
    for (a, b, code, t) in traces {
        let what = format!("trace {} → {}", l.pod(a).name, l.pod(b).name);
        let hops = t["hops"].as_array().cloned().unwrap_or_default();
        if hops.iter().any(|h| h["status"] == "blocked") || code != 0 {
            problems.push(format!("{what}: {} (exit {code})", trace_summary(&l, &t)));
            continue;
        }
        if kind.is_ebpf() {
            let ebpf = hops
                .iter()
                .any(|h| h["status"] == "unknown" && h["cause"] == "ebpf");
            if !ebpf {
                problems.push(format!("{what}: no hop `unknown` with cause ebpf: {t}"));
            }
        } else if t["delivered"] != true {
            problems.push(format!(
                "{what}: not delivered both ways: {}",
                trace_summary(&l, &t)
            ));
        } else if !hops.iter().any(|h| h["direction"] == "reply") {
            problems.push(format!("{what}: no reply hops"));
        }
    }
    for p in &problems {
        println!("PROBLEM {}: {p}", kind.slug());
    }
    assert!(
        problems.is_empty(),
        "{}: {} problems on a healthy layout:\n{}",
        kind.slug(),
        problems.len(),
        problems.join("\n")
    );
}

node_test! {
    fn healthy_flannel_vxlan() { healthy(Kind::FlannelVxlan) }
}

node_test! {
    fn healthy_host_gw() { healthy(Kind::HostGw) }
}

node_test! {
    fn healthy_calico_bird() { healthy(Kind::CalicoBird) }
}

node_test! {
    fn healthy_calico_vxlan() { healthy(Kind::CalicoVxlan) }
}

node_test! {
    fn healthy_cilium_like() { healthy(Kind::CiliumLike) }
}

node_test! {
    fn healthy_lab_vxlan() { healthy(Kind::LabVxlan) }
}

node_test! {
    fn healthy_lab_ptp() { healthy(Kind::LabPtp) }
}
