//! Privileged tests of podnet as a CNI plugin, on real kernel objects in a
//! private node. Oracles: the reference `bridge`, `ptp` and `host-local`
//! plugins (same inputs → same result shape, same `ip -j` state, the same
//! IPAM files), `ip -j`, the files under the IPAM dataDir, and
//! `nft`/`iptables-save`. Nodes are network namespaces the test creates
//! (or the private node's own), so nothing outside the test is touched.

mod cni_support;
mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use cni_support::*;
use common::sh;
use serde_json::{Value, json};

fn bridge_conf(ty: &str, version: &str, data_dir: &str) -> Value {
    let mut c = json!({
        "cniVersion": version,
        "name": "net1",
        "type": ty,
        "bridge": "cni0",
        "isGateway": true,
        "isDefaultGateway": true,
        "hairpinMode": true,
        "mtu": 1400,
        "dns": {"nameservers": ["10.96.0.10"], "search": ["svc.cluster.local"]},
        "ipam": {
            "type": "host-local",
            "ranges": [[{"subnet": "10.88.0.0/16"}], [{"subnet": "fd00:88::/64"}]],
            "routes": [{"dst": "192.168.0.0/16", "gw": "10.88.0.254"}],
            "dataDir": data_dir
        }
    });
    if ty == "podnet" {
        c["mode"] = json!("bridge");
    }
    c
}

fn ptp_conf(ty: &str, version: &str, data_dir: &str) -> Value {
    let mut c = json!({
        "cniVersion": version,
        "name": "net2",
        "type": ty,
        "mtu": 1450,
        "ipam": {
            "type": "host-local",
            "ranges": [[{"subnet": "10.89.0.0/24"}], [{"subnet": "fd00:89::/64"}]],
            "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}],
            "dataDir": data_dir
        }
    });
    if ty == "podnet" {
        c["mode"] = json!("ptp");
    }
    c
}

/// Host veths have different names (random `veth…` vs `pnet…`): call them HOSTVETH.
fn roles(name: &str) -> String {
    if name.starts_with("veth") || name.starts_with("pnet") {
        "HOSTVETH".into()
    } else {
        name.into()
    }
}

/// A result with what differs by chance (MACs, host veth names) masked.
fn result_shape(r: &Value) -> Value {
    let mut r = r.clone();
    if let Some(ifaces) = r["interfaces"].as_array_mut() {
        for i in ifaces {
            let name = i["name"].as_str().unwrap_or_default().to_string();
            i["name"] = json!(roles(&name));
            if i.get("sandbox")
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with("/run/netns/"))
            {
                i["sandbox"] = json!("SANDBOX");
            }
            if let Some(m) = i.get("mac").and_then(Value::as_str) {
                assert_eq!(m.len(), 17, "a MAC: {m}");
                i["mac"] = json!("MAC");
            }
        }
    }
    r
}

/// Two "nodes" (netns), a pod netns on each; runs `a` on node A and `b` on node B.
struct TwoNodes {
    node_a: String,
    node_b: String,
    pod_a: String,
    pod_b: String,
}

impl TwoNodes {
    fn new(tag: &str) -> TwoNodes {
        TwoNodes {
            node_a: netns(&format!("{tag}-node-a")),
            node_b: netns(&format!("{tag}-node-b")),
            pod_a: netns(&format!("{tag}-pod-a")),
            pod_b: netns(&format!("{tag}-pod-b")),
        }
    }
}

fn compare_with_reference(reference: &str, conf: fn(&str, &str, &str) -> Value) {
    let n = TwoNodes::new(reference);
    let (dir_a, dir_b) = ("/var/lib/cni/ref", "/var/lib/cni/pn");
    let ref_conf = conf(reference, "1.0.0", dir_a);
    let pn_conf = conf("podnet", "1.0.0", dir_b);

    let r_ref = Call::reference(reference, "ADD", "c1", &n.pod_a)
        .on_node(&n.node_a)
        .run(&ref_conf);
    let r_pn = Call::podnet("ADD", "c1", &n.pod_b)
        .on_node(&n.node_b)
        .run(&pn_conf);
    let ref_result = r_ref.ok("reference ADD").clone();
    let pn_result = r_pn.ok("podnet ADD").clone();

    // same result shape: interfaces (roles), ips, routes, dns
    assert_eq!(
        result_shape(&pn_result),
        result_shape(&ref_result),
        "ADD results differ"
    );

    // same kernel state on the node and in the pod (after IPv6 DAD)
    for ns in [&n.node_a, &n.node_b, &n.pod_a, &n.pod_b] {
        settle(Some(ns));
    }
    assert_eq!(
        serde_json::to_string_pretty(&ns_state(Some(&n.node_b), &roles, false)).unwrap(),
        serde_json::to_string_pretty(&ns_state(Some(&n.node_a), &roles, false)).unwrap(),
        "node state differs"
    );
    assert_eq!(
        serde_json::to_string_pretty(&ns_state(Some(&n.pod_b), &roles, false)).unwrap(),
        serde_json::to_string_pretty(&ns_state(Some(&n.pod_a), &roles, false)).unwrap(),
        "pod state differs"
    );

    // the same IPAM files, byte for byte
    let net = ref_conf["name"].as_str().unwrap().to_string();
    let files_a = ipam_dir(&format!("{dir_a}/{net}"));
    let mut files_b = ipam_dir(&format!("{dir_b}/{net}"));
    assert!(files_a.len() >= 4, "{files_a:?}");
    files_b.retain(|k, _| k != "lock");
    let mut fa = files_a.clone();
    fa.retain(|k, _| k != "lock");
    assert_eq!(files_b, fa, "IPAM files differ");
    assert!(fa.values().any(|v| v == "c1\r\neth0"));

    // CHECK passes on both
    Call::reference(reference, "CHECK", "c1", &n.pod_a)
        .on_node(&n.node_a)
        .run(&with_prev(&ref_conf, &ref_result))
        .ok("reference CHECK");
    Call::podnet("CHECK", "c1", &n.pod_b)
        .on_node(&n.node_b)
        .run(&with_prev(&pn_conf, &pn_result))
        .ok("podnet CHECK");

    // DEL (twice) leaves the two nodes in the same state again
    for _ in 0..2 {
        Call::reference(reference, "DEL", "c1", &n.pod_a)
            .on_node(&n.node_a)
            .run(&with_prev(&ref_conf, &ref_result))
            .ok("reference DEL");
        Call::podnet("DEL", "c1", &n.pod_b)
            .on_node(&n.node_b)
            .run(&with_prev(&pn_conf, &pn_result))
            .ok("podnet DEL");
    }
    assert_eq!(
        ns_state(Some(&n.node_b), &roles, false),
        ns_state(Some(&n.node_a), &roles, false),
        "node state after DEL differs"
    );
    assert_eq!(
        ns_state(Some(&n.pod_b), &roles, false),
        ns_state(Some(&n.pod_a), &roles, false)
    );
    assert!(reservations(dir_b).is_empty());
    assert!(reservations(dir_a).is_empty());

    // older result versions have the same shape too
    for v in ["0.3.1", "0.4.0"] {
        let tag = format!("{reference}{}", v.replace('.', ""));
        let m = TwoNodes::new(&tag);
        let cid = format!("c-{tag}");
        let a = Call::reference(reference, "ADD", &cid, &m.pod_a)
            .on_node(&m.node_a)
            .run(&conf(reference, v, dir_a));
        let b = Call::podnet("ADD", &cid, &m.pod_b)
            .on_node(&m.node_b)
            .run(&conf("podnet", v, dir_b));
        let (a, b) = (a.ok("reference ADD").clone(), b.ok("podnet ADD").clone());
        assert_eq!(b["cniVersion"], v);
        assert_eq!(b["ips"][0]["version"], "4", "{v}: ips carry a version");
        assert_eq!(result_shape(&b), result_shape(&a), "{v} results differ");
    }
}

node_test! {
    /// bridge mode against the reference bridge plugin (dual stack,
    /// isDefaultGateway, hairpin, mtu, routes, dns): same result shape at
    /// 1.0.0, 0.4.0 and 0.3.1, same node and pod state (`ip -j`), same IPAM
    /// files; CHECK passes on both; DEL twice leaves both nodes alike.
    fn bridge_mode_matches_the_reference_bridge_plugin() {
        compare_with_reference("bridge", bridge_conf);
    }
}

node_test! {
    /// ptp mode against the reference ptp plugin (dual stack, mtu, routes).
    fn ptp_mode_matches_the_reference_ptp_plugin() {
        compare_with_reference("ptp", ptp_conf);
    }
}

fn simple_bridge(data_dir: &str, subnet: &str) -> Value {
    json!({
        "cniVersion": "1.0.0",
        "name": "net3",
        "type": "podnet",
        "bridge": "br3",
        "isGateway": true,
        "ipam": {"type": "host-local", "ranges": [[{"subnet": subnet}]], "dataDir": data_dir}
    })
}

node_test! {
    /// podnet and the reference host-local share one dataDir: allocations
    /// alternate without collisions (round robin from last_reserved_ip),
    /// each releases the other's reservations, and the files are what
    /// host-local writes (`<id>\r\n<ifname>`).
    fn ipam_files_interoperate_with_host_local() {
        let dir = "/var/lib/cni/shared";
        let pn = simple_bridge(dir, "10.90.0.0/24");
        let mut hl = pn.clone();
        hl["type"] = json!("bridge");
        hl["bridge"] = json!("br3ref");
        let mut got = Vec::new();
        for i in 0..6 {
            let pod = netns(&format!("ipam-{i}"));
            let cid = format!("c{i}");
            let r = if i % 2 == 0 {
                Call::podnet("ADD", &cid, &pod).run(&pn)
            } else {
                Call::reference("bridge", "ADD", &cid, &pod).run(&hl)
            };
            let r = r.ok("ADD").clone();
            got.push(r["ips"][0]["address"].as_str().unwrap().to_string());
        }
        assert_eq!(got, (2..8).map(|i| format!("10.90.0.{i}/24")).collect::<Vec<_>>());
        let files = ipam_dir(&format!("{dir}/net3"));
        for i in 0..6 {
            assert_eq!(files[&format!("10.90.0.{}", i + 2)], format!("c{i}\r\neth0"));
        }
        assert_eq!(files["last_reserved_ip.0"], "10.90.0.7");

        // host-local (as an IPAM plugin on its own) releases podnet's reservation …
        Call::reference("host-local", "DEL", "c0", "").run(&pn).ok("host-local DEL of a podnet reservation");
        // … and podnet's DEL releases host-local's
        Call::podnet("DEL", "c1", "").run(&pn).ok("podnet DEL of a host-local reservation");
        let left: BTreeSet<String> = reservations(dir).into_keys().collect();
        assert!(!left.contains("net3/10.90.0.2") && !left.contains("net3/10.90.0.3"), "{left:?}");
        assert_eq!(left.len(), 4);
        // round robin continues after the last reserved address for both
        let p = netns("ipam-x");
        let r = Call::reference("host-local", "ADD", "cx", &p).run(&pn);
        assert_eq!(r.ok("host-local ADD")["ips"][0]["address"], "10.90.0.8/24");
        let q = netns("ipam-y");
        let r = Call::podnet("ADD", "cy", &q).run(&pn);
        assert_eq!(r.ok("podnet ADD")["ips"][0]["address"], "10.90.0.9/24");
        // podnet's CHECK sees host-local's reservation, and the reverse
        let mut hl_only = pn.clone();
        hl_only["prevResult"] = json!({"cniVersion": "1.0.0", "ips": [{"address": "10.90.0.9/24"}]});
        Call::reference("host-local", "CHECK", "cy", &q).run(&hl_only).ok("host-local CHECK of a podnet reservation");
    }
}

node_test! {
    /// CHECK verifies the host side too: a host veth that is down or off
    /// its bridge, a missing gateway, a missing pod address or route, a
    /// released reservation — each fails with code 104, where the reference
    /// bridge plugin does not notice a host veth that is down.
    fn check_verifies_the_whole_attachment() {
        let dir = "/var/lib/cni/check";
        let mut conf = simple_bridge(dir, "10.91.0.0/24");
        conf["ipam"]["routes"] = json!([{"dst": "192.168.0.0/16"}]);
        let pod = netns("check-pod");
        let result = Call::podnet("ADD", "chk", &pod).run(&conf).ok("ADD").clone();
        let check = || Call::podnet("CHECK", "chk", &pod).run(&with_prev(&conf, &result));
        check().ok("CHECK of a healthy pod");
        let hv = result["interfaces"][1]["name"].as_str().unwrap().to_string();
        let expect_fail = |fix: &str, want: &str| {
            let r = check();
            let e = r.err(104, want);
            let text = format!("{} {}", e["msg"], e["details"]);
            assert!(text.contains(want), "{want}: {text}");
            sh(fix);
        };

        // the reference plugin in the same situation: host veth down goes unnoticed
        let mut rconf = conf.clone();
        rconf["type"] = json!("bridge");
        rconf["bridge"] = json!("br3ref");
        rconf["ipam"]["dataDir"] = json!("/var/lib/cni/check-ref");
        // (the reference CHECK cannot match a route without "gw": give it one)
        rconf["ipam"]["routes"] = json!([{"dst": "192.168.0.0/16", "gw": "10.91.0.1"}]);
        let rpod = netns("check-ref-pod");
        let rres = Call::reference("bridge", "ADD", "chk", &rpod).run(&rconf).ok("reference ADD").clone();
        let rhv = rres["interfaces"][1]["name"].as_str().unwrap().to_string();
        sh(&format!("ip link set {rhv} down"));
        Call::reference("bridge", "CHECK", "chk", &rpod).run(&with_prev(&rconf, &rres)).ok("reference CHECK ignores a down host veth");

        sh(&format!("ip link set {hv} down"));
        expect_fail(&format!("ip link set {hv} up"), "administratively down");
        sh(&format!("ip link set {hv} nomaster"));
        expect_fail(&format!("ip link set {hv} master br3"), "not a port of bridge br3");
        sh("ip addr del 10.91.0.1/24 dev br3");
        expect_fail("ip addr add 10.91.0.1/24 dev br3", "gateway 10.91.0.1 missing");
        sh("ip -n check-pod route del 192.168.0.0/16");
        expect_fail("ip -n check-pod route add 192.168.0.0/16 via 10.91.0.1", "route 192.168.0.0/16 missing");
        sh(&format!("ip -n check-pod addr del 10.91.0.2/24 dev eth0"));
        // (deleting the address took the route through it away too)
        expect_fail(
            "ip -n check-pod addr add 10.91.0.2/24 dev eth0 && ip -n check-pod route add 192.168.0.0/16 via 10.91.0.1",
            "address 10.91.0.2/24 missing",
        );
        std::fs::remove_file(format!("{dir}/net3/10.91.0.2")).unwrap();
        expect_fail(&format!("printf 'chk\\r\\neth0' > {dir}/net3/10.91.0.2"), "Failed to find address");
        check().ok("CHECK after every repair");
        // CHECK needs prevResult (7) and a version with CHECK (1)
        Call::podnet("CHECK", "chk", &pod).run(&conf).err(7, "CHECK without prevResult");
        let mut old = with_prev(&conf, &result);
        old["cniVersion"] = json!("0.3.1");
        Call::podnet("CHECK", "chk", &pod).run(&old).err(1, "CHECK at 0.3.1");
    }
}

fn masq_bridge(data_dir: &str) -> Value {
    json!({
        "cniVersion": "1.1.0",
        "name": "faults",
        "type": "podnet",
        "bridge": "brf",
        "isDefaultGateway": true,
        "ipMasq": true,
        "ipMasqBackend": "nftables",
        "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.92.0.0/24"}], [{"subnet": "fd00:92::/64"}]], "dataDir": data_dir}
    })
}

node_test! {
    /// Each fault gives its CNI error code on stdout and leaves the node as
    /// it was: links, addresses and routes of node and pod, reservation
    /// files, nft and iptables rules.
    fn faults_give_their_code_and_leave_nothing_behind() {
        let dir = "/var/lib/cni/faults";
        let conf = masq_bridge(dir);
        let pod = netns("f-pod");
        let pods = ["/run/netns/f-pod"];

        // an interface named eth0 is already in the pod
        sh("ip -n f-pod link add eth0 type veth peer name other0");
        let before = snapshot(&pods, dir);
        Call::podnet("ADD", "f1", &pod).run(&conf).err(101, "ADD where eth0 exists");
        assert_same(&before, &snapshot(&pods, dir), "eth0 exists");
        sh("ip -n f-pod link del eth0");

        let before = snapshot(&pods, dir);
        // the netns is gone (deleted, or never there)
        let gone = netns("f-gone");
        sh("ip netns del f-gone");
        Call::podnet("ADD", "f2", &gone).run(&conf).err(3, "ADD into a deleted netns");
        // malformed JSON
        Call::podnet("ADD", "f3", &pod).run_raw(b"{\"cniVersion\": \"1.0.0\", \"name\": ").err(6, "malformed JSON");
        // a cniVersion podnet does not speak, or none
        let mut v2 = conf.clone();
        v2["cniVersion"] = json!("2.0.0");
        let e = Call::podnet("ADD", "f4", &pod).run(&v2);
        assert!(e.err(1, "cniVersion 2.0.0")["details"].as_str().unwrap().contains("1.1.0"));
        let mut none = conf.clone();
        none.as_object_mut().unwrap().remove("cniVersion");
        Call::podnet("ADD", "f5", &pod).run(&none).err(1, "no cniVersion");
        // missing environment, unsupported field, invalid config
        let mut no_netns = Call::podnet("ADD", "f6", "");
        let e = no_netns.run(&conf);
        assert!(e.err(4, "no CNI_NETNS")["msg"].as_str().unwrap().contains("CNI_NETNS"));
        no_netns.container_id = "-bad".into();
        no_netns.netns = pod.clone();
        no_netns.run(&conf).err(4, "invalid CNI_CONTAINERID");
        let mut vlan = conf.clone();
        vlan["vlan"] = json!(7);
        assert!(Call::podnet("ADD", "f7", &pod).run(&vlan).err(2, "vlan")["msg"].as_str().unwrap().contains("vlan=7"));
        let mut bad = conf.clone();
        bad["ipam"]["ranges"] = json!([[{"subnet": "10.92.0.0/31"}]]);
        Call::podnet("ADD", "f8", &pod).run(&bad).err(7, "a /31 range");
        assert_same(&before, &snapshot(&pods, dir), "config and environment faults");

        // an exhausted range: the second pod gets nothing, and nothing is left of its attempt
        let mut tiny = conf.clone();
        tiny["ipam"]["ranges"] = json!([[{"subnet": "10.93.0.0/30"}]]);
        let first = netns("f-first");
        let r1 = Call::podnet("ADD", "first", &first).run(&tiny).ok("first ADD").clone();
        let pods2 = ["/run/netns/f-pod", "/run/netns/f-first"];
        let before = snapshot(&pods2, dir);
        let e = Call::podnet("ADD", "second", &pod).run(&tiny);
        assert!(e.err(102, "exhausted range")["msg"].as_str().unwrap().contains("no IP addresses available"));
        assert_same(&before, &snapshot(&pods2, dir), "exhausted range");
        // STATUS says so too (50), and is fine again once the address is free
        Call::podnet("STATUS", "", "").run(&tiny).err(50, "STATUS with a full range");
        Call::podnet("DEL", "first", &first).run(&with_prev(&tiny, &r1)).ok("DEL");
        Call::podnet("STATUS", "", "").run(&tiny).ok("STATUS");
    }
}

/// Runs ADD with a fault hook at every step until the plan runs out of
/// steps; after each failed attempt the node must be as before.
fn rollback_at_every_step(conf: &Value, dir: &str, tag: &str) -> usize {
    let pod = netns(&format!("{tag}-pod"));
    let pods = [pod.as_str()];
    let before = snapshot(&pods, dir);
    for n in 1..200 {
        let r = Call::podnet("ADD", "rb", &pod)
            .env("PODNET_CNI_FAIL_AT_STEP", &n.to_string())
            .run(conf);
        if r.code == Some(0) {
            // past the last step: clean up and report how many there were
            Call::podnet("DEL", "rb", &pod)
                .run(&with_prev(conf, &r.json))
                .ok("DEL");
            return n - 1;
        }
        let e = r.err(100, &format!("{tag}: injected failure at step {n}"));
        assert!(
            e["msg"].as_str().unwrap().contains("injected failure"),
            "{e}"
        );
        assert!(
            e["details"].as_str().unwrap().contains("rolled back"),
            "{e}"
        );
        assert_same(
            &before,
            &snapshot(&pods, dir),
            &format!("{tag}: rollback after a failure at step {n}"),
        );
    }
    panic!("{tag}: the plan never ran out of steps");
}

node_test! {
    /// ADD fails before each of its steps in turn (bridge + nft masquerade,
    /// cold node: the bridge itself is created and undone; ptp + iptables
    /// masquerade; ptp proxyArp): every time, everything done so far is
    /// undone — links, addresses, routes, the reservation, the rules.
    fn a_failure_at_any_step_is_rolled_back() {
        let dir = "/var/lib/cni/rollback";
        let steps = rollback_at_every_step(&masq_bridge(dir), dir, "rb-bridge");
        assert!(steps >= 25, "bridge plan has {steps} steps");

        let mut ptp = ptp_conf("podnet", "1.0.0", dir);
        ptp["ipMasq"] = json!(true);
        ptp["ipMasqBackend"] = json!("iptables");
        let steps = rollback_at_every_step(&ptp, dir, "rb-ptp");
        assert!(steps >= 20, "ptp plan has {steps} steps");

        let mut proxy = ptp_conf("podnet", "1.0.0", dir);
        proxy["name"] = json!("proxy");
        proxy["ptpGateway"] = json!("proxyArp");
        let steps = rollback_at_every_step(&proxy, dir, "rb-proxy");
        assert!(steps >= 15, "proxyArp plan has {steps} steps");
    }
}
