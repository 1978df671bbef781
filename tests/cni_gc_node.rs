//! Privileged tests of `podnet cni gc` and the kit runtime's ADD rollback:
//! never delete what is not provably dead. Each test builds pods on its
//! private node — with `podnet cni add`, by hand-running podnet's plugin
//! or the reference bridge plugin (no cache entry), and genuinely dead
//! ones — and checks podnet's verdicts against the kernel (`ip -j`, `nft
//! -j`, `iptables-save`), the files on disk and the reference host-local
//! plugin.

mod cni_support;
mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use cni_support::*;
use common::node::{self, Pod, podnet_on_node, random_hex};
use common::{PODNET, sh};
use serde_json::{Value, json};

/// A CNI bin dir holding podnet (and test plugins), searched before the reference plugins.
const BIN: &str = "/run/gc-bin";
const DATA: &str = "/var/lib/cni/networks";

fn install_podnet() {
    std::fs::create_dir_all(BIN).unwrap();
    let link = Path::new(BIN).join("podnet");
    if !link.exists() {
        std::os::unix::fs::symlink(podnet_bin(), link).unwrap();
    }
}

fn kit_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    install_podnet();
    let mut a: Vec<&str> = vec!["cni"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--bin-dir", BIN, "--bin-dir", REF_BIN]);
    a
}

/// `podnet cni <args>` on the node (killed, and the test failed, if it hangs).
fn kit(args: &[&str]) -> Output {
    podnet_on_node(&kit_args(args))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `cni <args> -o json`; returns the exit code and the document.
fn kit_json(args: &[&str]) -> (Option<i32>, Value) {
    let mut a = args.to_vec();
    a.extend_from_slice(&["-o", "json"]);
    let out = kit(&a);
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "cni {args:?}: not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        )
    });
    (out.status.code(), v)
}

fn add(pod: &str, net: &str) -> Value {
    let (code, v) = kit_json(&["add", pod, "--net", net]);
    assert_eq!(code, Some(0), "add {pod}: {v}");
    v
}

fn write_net(file: &str, conf: &Value) {
    std::fs::write(
        format!("/etc/cni/net.d/{file}"),
        serde_json::to_vec_pretty(conf).unwrap(),
    )
    .unwrap();
}

/// The configuration one plugin of a list gets (cniVersion and name injected).
fn plugin_conf(list: &Value, i: usize) -> Value {
    let mut p = list["plugins"][i].clone();
    p["cniVersion"] = list["cniVersion"].clone();
    p["name"] = list["name"].clone();
    p
}

/// A pod plumbed by hand-running a CNI plugin, as another runtime (or a
/// person) would: a netns with lo up and a pause process, no cache entry.
struct HandPod {
    pod: Pod,
    id: String,
    ip: String,
    host_veth: String,
}

fn hand_pod(netns: &str, plugin: &str, conf: &Value) -> HandPod {
    let mut pod = node::bindmount_only_netns(netns);
    sh(&format!("ip -n {netns} link set lo up"));
    pod.pause = Some(node::start_pause(&pod.path));
    let id = random_hex(64);
    let call = if plugin == "podnet" {
        Call::podnet("ADD", &id, &pod.path)
    } else {
        Call::reference(plugin, "ADD", &id, &pod.path)
    };
    let r = call.run(conf).ok("hand-run ADD").clone();
    let ip = r["ips"][0]["address"]
        .as_str()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    // the host end: the veth with no sandbox
    let host_veth = r["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["sandbox"].as_str().unwrap_or("").is_empty() && i["name"] != conf["bridge"])
        .map(|i| i["name"].as_str().unwrap().to_string())
        .expect("a host veth in the result");
    HandPod {
        pod,
        id,
        ip,
        host_veth,
    }
}

fn leaks(report: &Value) -> &Vec<Value> {
    report["leaks"].as_array().unwrap()
}

fn kept(report: &Value) -> &Vec<Value> {
    report["kept"].as_array().unwrap()
}

fn has(list: &[Value], kind: &str, object_part: &str) -> bool {
    list.iter()
        .any(|l| l["kind"] == kind && l["object"].as_str().unwrap().contains(object_part))
}

/// Addresses on `dev` in a netns, as `ip -j` shows them.
fn addrs(netns: &str, dev: &str) -> Vec<String> {
    ip_json(Some(netns), &format!("addr show dev {dev}"))[0]["addr_info"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["local"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Every file and directory under `root`: type, mtime (ns), size and a
/// digest of the contents (regular files), or the link target.
fn tree(root: &str) -> BTreeMap<String, String> {
    walk_tree(&[root], &|p, md| {
        let t = md.file_type();
        let what = if t.is_dir() {
            "dir".to_string()
        } else if t.is_symlink() {
            format!(
                "link {}",
                std::fs::read_link(p)
                    .map(|l| l.display().to_string())
                    .unwrap_or_default()
            )
        } else if t.is_fifo() || t.is_socket() || t.is_char_device() || t.is_block_device() {
            "special".to_string()
        } else if md.len() > 1 << 20 {
            "big".to_string()
        } else {
            match std::fs::read(p) {
                Ok(b) => podnet::cni::names::sha1_hex(&b),
                Err(_) => "unreadable (an nsfs mount?)".to_string(),
            }
        };
        format!(
            "{what} mtime={}.{} size={} ino={}",
            md.mtime(),
            md.mtime_nsec(),
            md.len(),
            md.ino()
        )
    })
}

/// The files and kernel state a dry run must not touch.
fn whole_state(pod_netns: &[&str]) -> Value {
    let mut pods = serde_json::Map::new();
    for p in pod_netns {
        pods.insert((*p).to_string(), ns_state(Some(p), &same, true));
    }
    json!({
        "var_lib_cni": tree("/var/lib/cni"),
        "run": tree("/run"),
        "conf": tree("/etc/cni/net.d"),
        "node": ns_state(None, &same, true),
        "pods": pods,
        "nft": sh("nft -j list ruleset"),
        "iptables": ipt_rules(),
    })
}

fn assert_unchanged(before: &Value, after: &Value, what: &str) {
    for key in [
        "var_lib_cni",
        "run",
        "conf",
        "node",
        "pods",
        "nft",
        "iptables",
    ] {
        assert_eq!(
            serde_json::to_string_pretty(&before[key]).unwrap(),
            serde_json::to_string_pretty(&after[key]).unwrap(),
            "{what}: {key} changed"
        );
    }
}

fn pods_list() -> Value {
    json!({
        "cniVersion": "1.1.0", "name": "pods",
        "plugins": [{"type": "podnet", "bridge": "gcb0", "isGateway": true, "ipMasq": true, "ipMasqBackend": "nftables",
                     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.80.0.0/24"}]]}}]
    })
}

node_test! {
    /// Pods with no cache entry in podnet's cache dir are alive when a
    /// process is in their netns: one plumbed by hand-running podnet's
    /// plugin in a network that has cache entries, one in a network that
    /// has none, one plumbed by the reference bridge + host-local. `cni gc
    /// --dry-run` lists none of them and `cni gc` leaves their veths,
    /// masquerade rules and reservations (the kernel and the files say),
    /// so host-local hands a later ADD another address; genuinely dead
    /// things (a cache entry and a hand-plumbed pod whose pause was
    /// killed, a reservation of a gone container) are still found and
    /// removed. The store of a network with no cache entry is judged only
    /// with --include-uncached-networks.
    fn gc_leaves_pods_without_cache_entries_alone_and_removes_the_dead() {
        let pods = pods_list();
        write_net("10-pods.conflist", &pods);
        let refnet = json!({
            "cniVersion": "1.0.0", "name": "refnet",
            "plugins": [{"type": "bridge", "bridge": "gcr0", "isGateway": true, "ipMasq": true,
                         "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.82.0.0/24", "rangeStart": "10.82.0.10", "rangeEnd": "10.82.0.11"}]]}}]
        });
        write_net("20-refnet.conflist", &refnet);
        let hand = json!({
            "cniVersion": "1.1.0", "name": "hand", "type": "podnet", "bridge": "gch0", "isGateway": true,
            "ipMasq": true, "ipMasqBackend": "nftables",
            "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.81.0.0/24"}]]}
        });

        let alive = add("default/alive", "pods");
        // P1: a kit pod whose pause process was killed
        let p1 = add("default/p1", "pods");
        sh(&format!("kill -9 {}", p1["pause_pid"]));
        // H1: podnet's plugin run by hand in the cached network, H2 in an uncached one
        let h1 = hand_pod("cni-11111111-1111-4111-8111-111111111111", "podnet", &plugin_conf(&pods, 0));
        let h2 = hand_pod("hand-h2", "podnet", &hand);
        // R: the reference bridge + host-local; B took and gave back the
        // range's other address, so host-local's next pick after B is R's
        let r = hand_pod("ref-r", "bridge", &plugin_conf(&refnet, 0));
        assert_eq!(r.ip, "10.82.0.10");
        let b = hand_pod("ref-b", "bridge", &plugin_conf(&refnet, 0));
        assert_eq!(b.ip, "10.82.0.11");
        Call::reference("bridge", "DEL", &b.id, &b.pod.path).run(&plugin_conf(&refnet, 0)).ok("DEL b");
        b.pod.delete();
        // P2: podnet's plugin by hand in the cached network, then its pause killed
        let mut p2 = hand_pod("cni-22222222-2222-4222-8222-222222222222", "podnet", &plugin_conf(&pods, 0));
        let mut pause = p2.pod.pause.take().unwrap();
        pause.kill().unwrap();
        pause.wait().unwrap();
        // P3: a reservation of a container nobody knows, in the cached network's store
        std::fs::write(format!("{DATA}/pods/10.80.0.200"), "ghost\r\neth0").unwrap();
        std::thread::sleep(Duration::from_millis(1100));

        // the ground truth before gc
        let h1_marker = podnet::cni::names::marker("pods", &h1.id, "eth0");
        let h2_marker = podnet::cni::names::marker("hand", &h2.id, "eth0");
        let p2_marker = podnet::cni::names::marker("pods", &p2.id, "eth0");
        let nft = sh("nft -j list ruleset");
        for m in [&h1_marker, &h2_marker, &p2_marker] {
            assert!(nft.contains(m.as_str()), "{m} installed: {nft}");
        }
        let links = link_names(None);
        for v in [&h1.host_veth, &h2.host_veth, &r.host_veth, &p2.host_veth] {
            assert!(links.contains(v), "{v} on the node: {links:?}");
        }
        let ipt_before = ipt_rules();
        let files_before = reservations(DATA);
        let live_files = [
            format!("pods/{}", h1.ip),
            format!("hand/{}", h2.ip),
            format!("refnet/{}", r.ip),
        ];
        for f in &live_files {
            assert!(files_before.contains_key(f), "{f}: {files_before:?}");
        }
        let protected = |l: &Value| {
            let o = l["object"].as_str().unwrap();
            [&h1.host_veth, &h2.host_veth, &r.host_veth].iter().any(|v| o == v.as_str())
                || live_files.iter().any(|f| o.ends_with(f.as_str()))
                || [&h1.id, &h2.id, &r.id].iter().any(|id| o.contains(&id[..12]))
                || [&h1.pod.path, &h2.pod.path, &r.pod.path].iter().any(|p| o == p.as_str())
        };

        let (code, dry) = kit_json(&["gc", "--dry-run", "--min-age", "0"]);
        assert_eq!(code, Some(1), "leaks found: {dry}");
        let found = leaks(&dry);
        assert!(!found.iter().any(protected), "a live pod listed as a leak: {dry}");
        // what was left alone says why
        assert!(has(kept(&dry), "veth", &h1.host_veth) && has(kept(&dry), "veth", &h2.host_veth), "{dry}");
        assert!(has(kept(&dry), "ipam", &format!("pods/{}", h1.ip)), "{dry}");
        assert!(has(kept(&dry), "ipam", "/var/lib/cni/networks/hand"), "{dry}");
        assert!(has(kept(&dry), "ipam", "/var/lib/cni/networks/refnet"), "{dry}");
        assert!(has(kept(&dry), "netns", &h1.pod.path), "{dry}");
        assert!(has(kept(&dry), "firewall", &h1_marker), "{dry}");
        // the positive controls
        assert!(has(found, "cache", p1["sandbox_id"].as_str().unwrap()), "P1: {dry}");
        assert!(has(found, "veth", &p2.host_veth), "P2's veth: {dry}");
        assert!(has(found, "netns", &p2.pod.path), "P2's netns: {dry}");
        assert!(has(found, "ipam", &format!("pods/{}", p2.ip)), "P2's address: {dry}");
        assert!(has(found, "firewall", &p2_marker), "P2's rule: {dry}");
        assert!(has(found, "ipam", "pods/10.80.0.200"), "P3: {dry}");
        let call = &dry["gc_calls"][0];
        assert_eq!(call["network"], "pods");
        assert_eq!(call["skipped"], Value::Null, "{dry}");
        assert_eq!(call["valid_attachments"], 2, "the kit pod and H1: {dry}");

        let (code, done) = kit_json(&["gc", "--min-age", "0"]);
        assert_eq!(code, Some(0), "{done}");
        assert!(leaks(&done).iter().all(|l| l["removed"] == true), "{done}");
        assert!(!leaks(&done).iter().any(protected), "{done}");

        // the live pods are intact: veths, addresses, rules, reservations
        let links = link_names(None);
        for v in [&h1.host_veth, &h2.host_veth, &r.host_veth] {
            assert!(links.contains(v), "{v} deleted: {links:?}");
        }
        assert!(!links.contains(&p2.host_veth), "P2's veth removed: {links:?}");
        for (p, ip) in [(&h1.pod, &h1.ip), (&h2.pod, &h2.ip), (&r.pod, &r.ip)] {
            assert!(addrs(&p.path, "eth0").contains(ip), "{} lost eth0 {ip}", p.path);
        }
        let nft = sh("nft -j list ruleset");
        assert!(nft.contains(h1_marker.as_str()) && nft.contains(h2_marker.as_str()), "live rules kept: {nft}");
        assert!(!nft.contains(p2_marker.as_str()), "P2's rule removed: {nft}");
        assert_eq!(ipt_rules(), ipt_before, "the reference plugin's rules");
        let files = reservations(DATA);
        for f in &live_files {
            assert_eq!(files.get(f), files_before.get(f), "{f}");
        }
        assert!(!files.contains_key(&format!("pods/{}", p2.ip)) && !files.contains_key("pods/10.80.0.200"), "{files:?}");
        assert!(!files.contains_key(&format!("pods/{}", p1["ips"][0].as_str().unwrap().split('/').next().unwrap())), "{files:?}");
        assert!(!Path::new(&p2.pod.path).exists(), "P2's netns removed");
        assert!(Path::new(&h1.pod.path).exists(), "H1's netns kept");
        assert_eq!(
            files.get(&format!("pods/{}", alive["ips"][0].as_str().unwrap().split('/').next().unwrap())),
            Some(&format!("{}\r\neth0", alive["sandbox_id"].as_str().unwrap()))
        );
        // host-local hands the next container the other address, not R's
        let c = Call::reference("host-local", "ADD", &random_hex(64), "/proc/self/ns/net").run(&plugin_conf(&refnet, 0));
        assert_eq!(c.ok("host-local ADD")["ips"][0]["address"], "10.82.0.11/24", "R's address is still taken");

        // a store of a network with no cache entry: judged only when asked
        std::fs::write(format!("{DATA}/hand/10.81.0.200"), "ghost\r\neth0").unwrap();
        let (_, plain) = kit_json(&["gc", "--min-age", "0"]);
        assert!(!has(leaks(&plain), "ipam", "hand/10.81.0.200"), "{plain}");
        assert!(Path::new(&format!("{DATA}/hand/10.81.0.200")).exists());
        let (code, wide) = kit_json(&["gc", "--min-age", "0", "--include-uncached-networks"]);
        assert_eq!(code, Some(0), "{wide}");
        assert!(has(leaks(&wide), "ipam", "hand/10.81.0.200"), "{wide}");
        assert!(!Path::new(&format!("{DATA}/hand/10.81.0.200")).exists());
        assert!(!leaks(&wide).iter().any(protected), "{wide}");
        assert!(has(kept(&wide), "ipam", &format!("hand/{}", h2.ip)), "H2's address is on its eth0: {wide}");
        let files = reservations(DATA);
        for f in &live_files {
            assert_eq!(files.get(f), files_before.get(f), "{f}");
        }
    }
}

/// A chain whose second plugin is not installed.
fn broken_chain(name: &str, first: Value) -> Value {
    json!({"cniVersion": "1.0.0", "name": name, "plugins": [first, {"type": "nosuch-plugin"}]})
}

fn veths_on_node() -> Vec<String> {
    ifnames(None, "link show type veth")
}

fn dir_names(dir: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

node_test! {
    /// `cni add` with a chain whose second plugin is missing, retried:
    /// the rollback DELs the first plugin (podnet's, or the reference
    /// bridge) although the second cannot run, so no reservation, veth,
    /// netns or cache entry is left and the (two-address) range is not
    /// drained: the fixed chain still gets both its addresses.
    fn failed_adds_roll_back_every_plugin_that_ran() {
        let ipam = json!({"type": "host-local", "ranges": [[{"subnet": "10.83.0.0/24", "rangeStart": "10.83.0.2", "rangeEnd": "10.83.0.3"}]]});
        for (name, first) in [
            ("rb-podnet", json!({"type": "podnet", "bridge": "rbp0", "isGateway": true, "ipam": ipam})),
            ("rb-bridge", json!({"type": "bridge", "bridge": "rbb0", "isGateway": true, "ipam": ipam})),
        ] {
            write_net("30-rb.conflist", &broken_chain(name, first.clone()));
            for k in 0..3 {
                let out = kit(&["add", &format!("default/try{k}"), "--net", name]);
                assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
                let left: Vec<String> = reservations(DATA).into_keys().filter(|k| k.starts_with(name)).collect();
                assert!(left.is_empty(), "{name} try {k}: reservations left: {left:?}\n{}", stderr(&out));
                assert_eq!(veths_on_node(), Vec::<String>::new(), "{name} try {k}: veths left");
                assert_eq!(dir_names("/run/netns"), Vec::<String>::new(), "{name} try {k}: netns left");
                assert_eq!(dir_names("/var/lib/cni/results"), Vec::<String>::new(), "{name} try {k}: cache left");
                assert!(stderr(&out).contains("nosuch-plugin"), "{name}: {}", stderr(&out));
                assert!(!stderr(&out).contains("warning"), "{name}: the rollback failed: {}", stderr(&out));
            }
            // the range is whole: the working chain gets both its addresses
            write_net("30-rb.conflist", &json!({"cniVersion": "1.0.0", "name": name, "plugins": [first]}));
            let mut got: Vec<String> = ["default/ok1", "default/ok2"]
                .iter()
                .map(|p| add(p, name)["ips"][0].as_str().unwrap().split('/').next().unwrap().to_string())
                .collect();
            got.sort();
            assert_eq!(got, vec!["10.83.0.2", "10.83.0.3"], "{name}");
            for p in ["default/ok1", "default/ok2"] {
                let out = kit(&["del", p]);
                assert!(out.status.success(), "{}", stderr(&out));
            }
        }
    }
}

node_test! {
    /// `cni del` of a pod whose chain's last plugin has since been
    /// uninstalled still DELs the plugins before it (libcni stops at the
    /// first failure, leaking the reservation and the veth): the error
    /// names the missing plugin, the cache entry stays, and once the plugin
    /// is back a second `cni del` finishes.
    fn del_runs_every_plugin_past_a_missing_one() {
        install_podnet();
        let later = format!("{BIN}/later");
        std::fs::write(&later, "#!/bin/sh\ncat\n").unwrap(); // passes prevResult through
        sh(&format!("chmod 755 {later}"));
        write_net("35-del.conflist", &json!({
            "cniVersion": "1.0.0", "name": "delnet",
            "plugins": [
                {"type": "bridge", "bridge": "gdl0", "isGateway": true,
                 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.86.0.0/24"}]]}},
                {"type": "later"}
            ]
        }));
        add("default/d", "delnet");
        let owned = |prefix: &str| -> Vec<String> {
            reservations(DATA).into_keys().filter(|k| k.starts_with(prefix)).collect()
        };
        assert_eq!(owned("delnet/"), vec!["delnet/10.86.0.2".to_string()]);
        assert_eq!(veths_on_node().len(), 1, "the pod's host veth");

        std::fs::remove_file(&later).unwrap();
        let out = kit(&["del", "default/d"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("later"), "{}", stderr(&out));
        // the bridge plugin's DEL ran: no reservation, no veth (the netns is kept with the entry)
        assert_eq!(owned("delnet/"), Vec::<String>::new(), "{}", stderr(&out));
        assert_eq!(veths_on_node(), Vec::<String>::new());
        assert_eq!(dir_names("/var/lib/cni/results").len(), 1, "the entry is kept for a retry");

        std::fs::write(&later, "#!/bin/sh\ncat\n").unwrap();
        sh(&format!("chmod 755 {later}"));
        let out = kit(&["del", "default/d"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(dir_names("/var/lib/cni/results"), Vec::<String>::new());
        assert_eq!(dir_names("/run/netns"), Vec::<String>::new());
    }
}

node_test! {
    /// When the rollback itself fails (a plugin's DEL errs), the kit says
    /// so and records what is left in the cache; `cni gc` (default
    /// --min-age) then finds it and its DEL releases the reservation.
    fn gc_finds_what_a_failed_rollback_left() {
        install_podnet();
        // a bridge plugin whose DEL fails while /run/gc-fail-del exists
        let flaky = format!("{BIN}/flaky");
        std::fs::write(&flaky, format!(
            "#!/bin/sh\nif [ \"$CNI_COMMAND\" = DEL ] && [ -e /run/gc-fail-del ]; then\n  echo '{{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"injected DEL failure\"}}'\n  exit 1\nfi\nexec {REF_BIN}/bridge\n"
        )).unwrap();
        sh(&format!("chmod 755 {flaky}"));
        write_net("40-flaky.conflist", &broken_chain("flaky", json!({
            "type": "flaky", "bridge": "gcf0", "isGateway": true,
            "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.84.0.0/24"}]]}
        })));
        std::fs::write("/run/gc-fail-del", "").unwrap();
        let out = kit(&["add", "default/f", "--net", "flaky"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        // the fault's ground truth: the reservation is still on disk, the netns gone
        let left: Vec<String> = reservations(DATA).into_keys().filter(|k| k.starts_with("flaky/")).collect();
        assert_eq!(left, vec!["flaky/10.84.0.2".to_string()], "{err}");
        assert_eq!(dir_names("/run/netns"), Vec::<String>::new());

        std::fs::remove_file("/run/gc-fail-del").unwrap();
        let (code, report) = kit_json(&["gc"]);
        assert_eq!(code, Some(0), "{report}");
        let left: Vec<String> = reservations(DATA).into_keys().filter(|k| k.starts_with("flaky/")).collect();
        assert!(left.is_empty(), "released: {left:?}\n{report}");
        assert!(leaks(&report).iter().any(|l| l["kind"] == "cache" && l["pod"] == "default/f" && l["removed"] == true), "{report}");
        assert_eq!(dir_names("/var/lib/cni/results"), Vec::<String>::new());
        assert!(err.contains("injected DEL failure") && err.contains("not fully undone"), "{err}");
    }
}

node_test! {
    /// `cni gc --dry-run` changes nothing — no file under /var/lib/cni,
    /// /run (netns bind mounts included) or the conf dir, by path, mtime
    /// or contents, and no link, address, route or rule — although it
    /// finds leaks; and only directories that look like host-local stores
    /// are stores: `<dataDir>/backup/10.85.0.5` survives a real gc.
    fn gc_dry_run_writes_nothing_and_only_stores_are_stores() {
        let data = "/var/lib/cni/gc-data";
        write_net("50-dd.conflist", &json!({
            "cniVersion": "1.0.0", "name": "dd",
            "plugins": [{"type": "podnet", "bridge": "gcd0", "isGateway": true, "ipMasq": true, "ipMasqBackend": "nftables",
                         "ipam": {"type": "host-local", "dataDir": data, "ranges": [[{"subnet": "10.85.0.0/24"}]]}}]
        }));
        let alive = add("default/alive", "dd");
        let dead = add("default/dead", "dd");
        sh(&format!("kill -9 {}", dead["pause_pid"]));
        let empty = node::bindmount_only_netns("cni-33333333-3333-4333-8333-333333333333");
        std::fs::create_dir_all(format!("{data}/backup")).unwrap();
        std::fs::write(format!("{data}/backup/10.85.0.5"), "abc\r\neth0").unwrap();
        std::fs::create_dir_all(format!("{data}/notes")).unwrap();
        std::fs::write(format!("{data}/notes/10.85.0.6"), "not a reservation").unwrap();
        std::thread::sleep(Duration::from_millis(1100));

        let netns = [alive["netns"].as_str().unwrap(), dead["netns"].as_str().unwrap(), empty.path.as_str()];
        let before = whole_state(&netns);
        let (code, report) = kit_json(&["gc", "--dry-run", "--min-age", "0"]);
        assert_unchanged(&before, &whole_state(&netns), "cni gc --dry-run");
        assert_eq!(code, Some(1), "{report}");
        assert!(has(leaks(&report), "cache", dead["sandbox_id"].as_str().unwrap()), "{report}");
        assert!(has(leaks(&report), "netns", &empty.path), "{report}");
        assert!(!has(leaks(&report), "ipam", "backup") && !has(leaks(&report), "ipam", "notes"), "{report}");

        let (code, report) = kit_json(&["gc", "--min-age", "0"]);
        assert_eq!(code, Some(0), "{report}");
        assert!(!has(leaks(&report), "ipam", "backup"), "{report}");
        assert_eq!(std::fs::read_to_string(format!("{data}/backup/10.85.0.5")).unwrap(), "abc\r\neth0");
        assert_eq!(dir_names(&format!("{data}/backup")), vec!["10.85.0.5".to_string()], "no lock file made there");
        assert_eq!(std::fs::read_to_string(format!("{data}/notes/10.85.0.6")).unwrap(), "not a reservation");
        let ip = alive["ips"][0].as_str().unwrap().split('/').next().unwrap().to_string();
        assert!(Path::new(&format!("{data}/dd/{ip}")).exists(), "the live pod's reservation");
        assert!(!Path::new(&empty.path).exists() && !Path::new(dead["netns"].as_str().unwrap()).exists());
    }
}

/// Runs podnet (`cni <args>`, kit dirs) with its address space capped, so
/// that reading a huge file whole fails instead of filling the machine's
/// memory; a run that takes more than a minute is killed by its PID and
/// fails the test.
fn kit_capped(args: &[&str]) -> Output {
    let a = kit_args(args);
    let child = Command::new("prlimit")
        .arg(format!("--as={}", 1536u64 << 20))
        .arg("--")
        .arg(PODNET)
        .args(&a)
        .env("MALLOC_ARENA_MAX", "2")
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn prlimit podnet");
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let started = Instant::now();
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.expect("wait for podnet"),
        Err(_) => {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            panic!("podnet {a:?} hung ({:?})", started.elapsed());
        }
    }
}

/// A fifo, a link to /dev/zero and a 3 GiB (sparse) file named `<base>N…`.
fn hostile_files(dir: &str, names: [&str; 3]) {
    sh(&format!("mkfifo {dir}/{}", names[0]));
    std::os::unix::fs::symlink("/dev/zero", format!("{dir}/{}", names[1])).unwrap();
    sh(&format!("truncate -s 3G {dir}/{}", names[2]));
}

node_test! {
    /// A fifo, a /dev/zero link and a 3 GiB file in the conf dir, the
    /// cache dir and a data dir store neither hang the kit nor grow its
    /// memory (it runs with a 1.5 GiB address space): each is a warning
    /// about that file, and the rest works (`cni add`, `cni ls`, `cni gc`).
    fn kit_reads_are_bounded() {
        write_net("10-ok.conflist", &json!({
            "cniVersion": "1.0.0", "name": "ok",
            "plugins": [{"type": "podnet", "bridge": "gco0", "isGateway": true,
                         "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.86.0.0/24"}]]}}]
        }));
        hostile_files("/etc/cni/net.d", ["05-fifo.conflist", "06-zero.conf", "07-huge.json"]);
        let out = kit_capped(&["add", "default/ok", "--net", "ok", "-o", "json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let info: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(info["ips"][0], "10.86.0.2/24");
        for f in ["05-fifo.conflist", "06-zero.conf", "07-huge.json"] {
            assert!(stderr(&out).contains(f), "a warning about {f}: {}", stderr(&out));
        }
        let out = kit_capped(&["add", "default/x", "--net", "/etc/cni/net.d/05-fifo.conflist"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("not a regular file"), "{}", stderr(&out));

        hostile_files("/var/lib/cni/results", ["ok-fifo-eth0", "ok-zero-eth0", "ok-huge-eth0"]);
        hostile_files(&format!("{DATA}/ok"), ["10.86.0.50", "10.86.0.51", "10.86.0.52"]);
        std::fs::create_dir_all(format!("{DATA}/evil")).unwrap();
        sh(&format!("mkfifo {DATA}/evil/lock"));

        let out = kit_capped(&["ls", "-o", "json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let ls: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(ls["attachments"].as_array().unwrap().len(), 1, "{ls}");
        let warnings = ls["warnings"].to_string();
        for f in ["ok-fifo-eth0", "ok-zero-eth0", "ok-huge-eth0"] {
            assert!(warnings.contains(f), "a warning about {f}: {warnings}");
        }

        let out = kit_capped(&["gc", "--dry-run", "--min-age", "0", "-o", "json"]);
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        assert_eq!(out.status.code(), Some(0), "nothing leaked: {report}");
        let warnings = report["warnings"].to_string();
        for f in ["05-fifo.conflist", "06-zero.conf", "07-huge.json", "ok-huge-eth0", "10.86.0.52", "10.86.0.50"] {
            assert!(warnings.contains(f), "a warning about {f}: {warnings}");
        }
        // the rest works: another pod, then a real gc
        let out = kit_capped(&["add", "default/ok2", "--net", "ok", "-o", "json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let out = kit_capped(&["gc", "--min-age", "0", "-o", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(Path::new(&format!("{DATA}/ok/10.86.0.52")).exists(), "a file gc cannot read is left alone");
    }
}
