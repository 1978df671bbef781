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
        sh("ip -n check-pod addr del 10.91.0.2/24 dev eth0");
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

/// Starts ADD with a stop hook at step `n`; returns the child once it has
/// stopped there, or `None` if the plan finished first (it has fewer steps).
fn add_stopped_at(conf: &Value, pod: &str, cid: &str, n: usize) -> Option<std::process::Child> {
    use std::io::{BufRead, BufReader, Write};
    let call = Call::podnet("ADD", cid, pod).env("PODNET_CNI_STOP_AT_STEP", &n.to_string());
    let mut child = call.process(true).spawn().expect("spawn podnet");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(conf.to_string().as_bytes())
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("stopped after step") {
                let _ = tx.send(true);
                return;
            }
        }
        let _ = tx.send(false);
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(true) => Some(child),
        Ok(false) => {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "ADD failed: {}",
                String::from_utf8_lossy(&out.stdout)
            );
            None
        }
        Err(_) => {
            let _ = child.kill();
            panic!("ADD neither stopped at step {n} nor finished");
        }
    }
}

node_test! {
    /// kill -9 of ADD after each of its steps (bridge, dual stack, nft
    /// masquerade): a DEL with the same arguments (and no prevResult, as a
    /// runtime that never got one) leaves the node as before; so does the
    /// runtime's cleanup of the netns followed by a CNI GC with no valid
    /// attachments.
    fn kill_9_during_add_then_del_or_gc_leaves_a_clean_node() {
        let dir = "/var/lib/cni/kill";
        let conf = masq_bridge(dir);
        // the node already has the bridge (a DEL keeps it, like the reference plugin)
        let warm = netns("k-warm");
        let w = Call::podnet("ADD", "warm", &warm).run(&conf).ok("warm-up ADD").clone();
        Call::podnet("DEL", "warm", &warm).run(&with_prev(&conf, &w)).ok("warm-up DEL");
        sh("ip netns del k-warm");
        let pod = netns("k-pod");
        let before = snapshot(&[pod.as_str()], dir);
        let mut killed = 0;
        for n in 1..200 {
            let Some(mut child) = add_stopped_at(&conf, &pod, "victim", n) else {
                let mut del = Call::podnet("DEL", "victim", &pod).run(&conf);
                del.ok("DEL after a finished ADD");
                del = Call::podnet("DEL", "victim", &pod).run(&conf);
                del.ok("second DEL");
                break;
            };
            child.kill().expect("kill -9 the plugin"); // SIGKILL, by PID
            let _ = child.wait();
            killed += 1;
            if n % 2 == 1 {
                Call::podnet("DEL", "victim", &pod).run(&conf).ok(&format!("DEL after kill -9 at step {n}"));
            } else {
                // the runtime removes the sandbox, then garbage-collects the network
                sh("ip netns del k-pod");
                netns("k-pod");
                let mut gc = conf.clone();
                gc["cni.dev/valid-attachments"] = json!([]);
                Call::podnet("GC", "", "").run(&gc).ok(&format!("GC after kill -9 at step {n}"));
            }
            assert_same(&before, &snapshot(&[pod.as_str()], dir), &format!("kill -9 after step {n}"));
        }
        assert!(killed >= 25, "only {killed} steps");
    }
}

node_test! {
    /// 50 ADDs at once (different containers, one bridge, one dataDir) get
    /// 50 distinct addresses, each reserved once on disk for its own
    /// container, 50 ports on the bridge; 50 parallel DELs then leave
    /// nothing. Prints the time both took.
    fn fifty_parallel_adds_get_fifty_distinct_addresses() {
        let dir = "/var/lib/cni/fifty";
        let conf = json!({
            "cniVersion": "1.0.0", "name": "fifty", "type": "podnet", "bridge": "br50", "isGateway": true,
            "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.50.0.0/24"}]], "dataDir": dir}
        });
        let pods: Vec<String> = (0..50).map(|i| netns(&format!("p50-{i}"))).collect();
        let start = Instant::now();
        let results: Vec<Value> = std::thread::scope(|s| {
            let handles: Vec<_> = pods
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let conf = &conf;
                    s.spawn(move || Call::podnet("ADD", &format!("par{i}"), p).run(conf))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap().ok("parallel ADD").clone()).collect()
        });
        let add_time = start.elapsed();
        let addrs: BTreeSet<String> = results.iter().map(|r| r["ips"][0]["address"].as_str().unwrap().to_string()).collect();
        assert_eq!(addrs.len(), 50, "distinct addresses: {addrs:?}");
        let files = reservations(dir);
        assert_eq!(files.len(), 50);
        for (i, r) in results.iter().enumerate() {
            let ip = r["ips"][0]["address"].as_str().unwrap().split('/').next().unwrap();
            assert_eq!(files[&format!("fifty/{ip}")], format!("par{i}\r\neth0"));
            // and the pod really has it
            let have = ip_json(Some(&pods[i]), "-4 addr show dev eth0");
            assert_eq!(have[0]["addr_info"][0]["local"], ip);
        }
        let ports = ip_json(None, "link show master br50");
        assert_eq!(ports.as_array().unwrap().len(), 50);

        let start = Instant::now();
        std::thread::scope(|s| {
            for (i, p) in pods.iter().enumerate() {
                let (conf, prev) = (&conf, &results[i]);
                s.spawn(move || Call::podnet("DEL", &format!("par{i}"), p).run(&with_prev(conf, prev)).ok("parallel DEL").clone());
            }
        });
        let del_time = start.elapsed();
        assert!(reservations(dir).is_empty());
        assert_eq!(ip_json(None, "link show master br50").as_array().map(Vec::len).unwrap_or(0), 0);
        println!("MEASURED: 50 parallel ADDs took {add_time:?}, 50 parallel DELs took {del_time:?}");
    }
}

node_test! {
    /// DEL is idempotent and best effort: twice, without prevResult, with
    /// the netns already deleted, without CNI_NETNS — each succeeds and
    /// releases what it can find.
    fn del_succeeds_when_things_are_already_gone() {
        let dir = "/var/lib/cni/del";
        let conf = simple_bridge(dir, "10.94.0.0/24");
        let pod = netns("d-pod");
        let r = Call::podnet("ADD", "d1", &pod).run(&conf).ok("ADD").clone();
        let hv = r["interfaces"][1]["name"].as_str().unwrap().to_string();
        for _ in 0..2 {
            Call::podnet("DEL", "d1", &pod).run(&with_prev(&conf, &r)).ok("DEL");
        }
        assert!(!link_names(None).contains(&hv));
        assert!(reservations(dir).is_empty());

        // the netns was deleted before DEL: the reservation is still released
        let r = Call::podnet("ADD", "d2", &pod).run(&conf).ok("ADD").clone();
        sh("ip netns del d-pod");
        Call::podnet("DEL", "d2", &pod).run(&with_prev(&conf, &r)).ok("DEL with the netns gone");
        Call::podnet("DEL", "d2", "").run(&conf).ok("DEL without CNI_NETNS");
        assert!(reservations(dir).is_empty());
        assert!(!link_names(None).iter().any(|l| l.starts_with("pnet")));

        // DEL never deletes a host link that is not this attachment's
        let pod = netns("d-pod2");
        let mine = podnet::cni::names::host_veth_name("pnet", None, "d3", "eth0");
        sh(&format!("ip link add {mine} type veth peer name not-ours"));
        Call::podnet("DEL", "d3", &pod).run(&conf).ok("DEL of an attachment never added");
        assert!(link_names(None).contains(&mine), "a foreign link of the same name survives");
        // and ADD refuses to take it over
        Call::podnet("ADD", "d3", &pod).run(&conf).err(108, "ADD onto a foreign link's name");
        sh(&format!("ip link del {mine}"));
    }
}

node_test! {
    /// VERSION lists 0.3.0–1.1.0; STATUS is fine for a usable config; GC
    /// (1.1.0) removes the reservations, host veths and masquerade rules of
    /// attachments not in cni.dev/valid-attachments and keeps the others.
    fn version_status_and_gc() {
        let v = Call::podnet("VERSION", "", "").run(&json!({"cniVersion": "1.0.0"}));
        let v = v.ok("VERSION");
        assert_eq!(v["cniVersion"], "1.0.0");
        assert_eq!(v["supportedVersions"], json!(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]));
        // VERSION with an empty stdin answers with the newest version
        assert_eq!(Call::podnet("VERSION", "", "").run_raw(b"").ok("VERSION")["cniVersion"], "1.1.0");

        let dir = "/var/lib/cni/gc";
        let mut conf = masq_bridge(dir);
        conf["name"] = json!("gcnet");
        Call::podnet("STATUS", "", "").run(&conf).ok("STATUS");
        let pods: Vec<String> = (0..3).map(|i| netns(&format!("gc-{i}"))).collect();
        let results: Vec<Value> = pods
            .iter()
            .enumerate()
            .map(|(i, p)| Call::podnet("ADD", &format!("g{i}"), p).run(&conf).ok("ADD").clone())
            .collect();
        assert_eq!(reservations(dir).len(), 6);
        assert_eq!(nft_rules().iter().filter(|r| r.contains("podnet")).count(), 6 + 1);
        // g1 is the only valid attachment; the netns of the others are gone (the runtime removed them)
        sh("ip netns del gc-0; ip netns del gc-2");
        let mut gc = conf.clone();
        gc["cni.dev/valid-attachments"] = json!([{"containerID": "g1", "ifname": "eth0"}]);
        Call::podnet("GC", "", "").run(&gc).ok("GC");
        let left = reservations(dir);
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left.values().all(|o| o == "g1\r\neth0"));
        let rules = nft_rules();
        assert_eq!(rules.iter().filter(|r| r.starts_with("rule")).count(), 2, "{rules:?}");
        assert!(rules.iter().all(|r| !r.starts_with("rule") || r.contains(&podnet::cni::names::attachment_key("gcnet", "g1", "eth0"))));
        // g1 is intact
        Call::podnet("CHECK", "g1", &pods[1]).run(&with_prev(&conf, &results[1])).ok("CHECK of the kept attachment");
        // GC without the list of valid attachments refuses (it would remove everything)
        Call::podnet("GC", "", "").run(&conf).err(7, "GC without valid attachments");
        // GC and STATUS need no container environment at all
        let mut again = gc.clone();
        again["cni.dev/valid-attachments"] = json!([]);
        Call::podnet("GC", "", "").run(&again).ok("GC of everything");
        assert!(reservations(dir).is_empty());
        assert!(!nft_rules().iter().any(|r| r.contains("podnet")), "the podnet table went with its last rule");
        assert!(!link_names(None).iter().any(|l| l.starts_with("pnet")));
    }
}

node_test! {
    /// Any other ipam type is delegated to that plugin from CNI_PATH (here
    /// the reference `static`), with the whole config and the same
    /// environment, for ADD, CHECK and DEL; a type that is not there fails
    /// with code 105 and leaves nothing.
    fn other_ipam_types_are_delegated_to_their_plugin() {
        let conf = json!({
            "cniVersion": "1.0.0", "name": "static-net", "type": "podnet", "mode": "ptp",
            "ipam": {"type": "static", "addresses": [{"address": "10.95.0.7/24", "gateway": "10.95.0.1"}],
                     "routes": [{"dst": "0.0.0.0/0"}]}
        });
        let pod = netns("st-pod");
        let r = Call::podnet("ADD", "s1", &pod).run(&conf);
        let r = r.ok("ADD with static IPAM").clone();
        assert_eq!(r["ips"][0]["address"], "10.95.0.7/24");
        let have = ip_json(Some(&pod), "-4 addr show dev eth0");
        assert_eq!(have[0]["addr_info"][0]["local"], "10.95.0.7");
        let routes = ip_json(Some(&pod), "-4 route show default");
        assert_eq!(routes[0]["gateway"], "10.95.0.1");
        Call::podnet("CHECK", "s1", &pod).run(&with_prev(&conf, &r)).ok("CHECK");
        Call::podnet("DEL", "s1", &pod).run(&with_prev(&conf, &r)).ok("DEL");
        assert_eq!(link_names(Some(&pod)), vec!["lo"]);

        let mut missing = conf.clone();
        missing["ipam"]["type"] = json!("no-such-ipam");
        let before = snapshot(&[pod.as_str()], "/var/lib/cni/networks");
        Call::podnet("ADD", "s2", &pod).run(&missing).err(105, "a missing IPAM plugin");
        assert_same(&before, &snapshot(&[pod.as_str()], "/var/lib/cni/networks"), "missing IPAM plugin");
    }
}

node_test! {
    /// ipMasq with both backends: the rules are in the node's nftables
    /// (table inet podnet) or iptables (a PODNET-<key> chain jumped to from
    /// POSTROUTING, like the reference plugins' CNI-<hash> chains), CHECK
    /// notices when they are gone, DEL removes them.
    fn masquerade_rules_with_nftables_and_iptables() {
        for backend in ["nftables", "iptables"] {
            let dir = format!("/var/lib/cni/masq-{backend}");
            let mut conf = simple_bridge(&dir, "10.96.0.0/24");
            conf["name"] = json!(format!("masq-{backend}"));
            conf["ipMasq"] = json!(true);
            conf["ipMasqBackend"] = json!(backend);
            let pod = netns(&format!("m-{backend}"));
            let r = Call::podnet("ADD", "m1", &pod).run(&conf).ok("ADD").clone();
            let key = podnet::cni::names::attachment_key(&format!("masq-{backend}"), "m1", "eth0");
            match backend {
                "nftables" => {
                    let ruleset = sh("nft list table inet podnet");
                    assert!(ruleset.contains("ip saddr 10.96.0.2 ip daddr != 10.96.0.0/24 ip daddr != 224.0.0.0/4"), "{ruleset}");
                    assert!(ruleset.contains("masquerade") && ruleset.contains(&key), "{ruleset}");
                }
                _ => {
                    let save = sh("iptables-save -t nat");
                    assert!(save.contains("-A POSTROUTING -s 10.96.0.2/32 -m comment --comment \"podnet"), "{save}");
                    assert!(save.contains(&format!("-A PODNET-{key} -d 10.96.0.0/24")), "{save}");
                    assert!(save.contains(&format!("-A PODNET-{key} ! -d 224.0.0.0/4")), "{save}");
                }
            }
            Call::podnet("CHECK", "m1", &pod).run(&with_prev(&conf, &r)).ok("CHECK");
            // remove the rules behind podnet's back: CHECK fails
            match backend {
                "nftables" => {
                    sh("nft delete table inet podnet");
                }
                _ => {
                    sh(&format!("iptables -t nat -D POSTROUTING -s 10.96.0.2/32 -m comment --comment \"$(iptables-save -t nat | sed -n 's/.*-s 10.96.0.2\\/32 -m comment --comment \"\\([^\"]*\\)\".*/\\1/p')\" -j PODNET-{key}"));
                }
            }
            Call::podnet("CHECK", "m1", &pod).run(&with_prev(&conf, &r)).err(104, "CHECK without the rules");
            Call::podnet("DEL", "m1", &pod).run(&with_prev(&conf, &r)).ok("DEL");
            assert!(!sh("iptables-save -t nat").contains("PODNET"), "no chain left");
            assert!(!nft_rules().iter().any(|x| x.contains("podnet")));
        }
    }
}

/// `ping -c1 -W2 <dst>` from inside a pod netns.
fn ping(from: &str, dst: &str) -> bool {
    std::process::Command::new("nsenter")
        .args([&format!("--net={from}"), "ping", "-c1", "-W2", dst])
        .output()
        .is_ok_and(|o| o.status.success())
}

node_test! {
    /// Traffic flows the way each mode plumbs it (all inside the private
    /// node): bridge pods reach each other and their gateway; ptp onLink
    /// and proxyArp pods reach each other through the node's routes, over
    /// IPv4 and IPv6.
    fn pods_reach_each_other_in_every_mode() {
        let mut br = bridge_conf("podnet", "1.0.0", "/var/lib/cni/ping-br");
        br["ipam"]["routes"] = json!([]);
        let mut onlink = ptp_conf("podnet", "1.0.0", "/var/lib/cni/ping-ptp");
        let mut proxy = ptp_conf("podnet", "1.0.0", "/var/lib/cni/ping-proxy");
        proxy["name"] = json!("proxynet");
        proxy["ptpGateway"] = json!("proxyArp");
        proxy["ipam"]["ranges"] = json!([[{"subnet": "10.97.0.0/24"}], [{"subnet": "fd00:97::/64"}]]);
        onlink["name"] = json!("onlinknet");
        for (tag, conf) in [("br", &br), ("onlink", &onlink), ("proxy", &proxy)] {
            let a = netns(&format!("ping-{tag}-a"));
            let b = netns(&format!("ping-{tag}-b"));
            let ra = Call::podnet("ADD", &format!("{tag}a"), &a).run(conf).ok("ADD a").clone();
            let rb = Call::podnet("ADD", &format!("{tag}b"), &b).run(conf).ok("ADD b").clone();
            settle(None);
            settle(Some(&a));
            settle(Some(&b));
            for fam in 0..2 {
                let dst = rb["ips"][fam]["address"].as_str().unwrap().split('/').next().unwrap().to_string();
                assert!(ping(&a, &dst), "{tag}: a cannot reach b at {dst}");
                let gw = ra["ips"][fam]["gateway"].as_str().unwrap().to_string();
                if tag != "proxy" {
                    assert!(ping(&a, &gw), "{tag}: a cannot reach its gateway {gw}");
                }
            }
            Call::podnet("CHECK", &format!("{tag}a"), &a).run(&with_prev(conf, &ra)).ok("CHECK");
            if tag == "proxy" {
                let routes = ip_json(Some(&a), "-4 route show");
                assert!(routes.as_array().unwrap().iter().any(|r| r["dst"] == "default" && r["gateway"] == "169.254.1.1"), "{routes}");
                assert_eq!(ra["ips"][0]["address"].as_str().unwrap().split('/').nth(1), Some("32"));
            }
        }
    }
}

node_test! {
    /// A runtime finds podnet in its CNI bin dir under any `type` name (a
    /// symlink): plugin mode comes from the CNI environment, not argv.
    fn podnet_runs_under_any_type_name() {
        let bin = "/run/podnet-test-bin";
        std::fs::create_dir_all(bin).unwrap();
        std::os::unix::fs::symlink(podnet_bin(), format!("{bin}/mynet")).unwrap();
        let mut conf = simple_bridge("/var/lib/cni/alias", "10.98.0.0/24");
        conf["type"] = json!("mynet");
        let pod = netns("alias-pod");
        let r = Call::plugin(std::path::Path::new(&format!("{bin}/mynet")), "ADD", "al", &pod).run(&conf);
        assert_eq!(r.ok("ADD through a symlink")["ips"][0]["address"], "10.98.0.2/24");
    }
}
