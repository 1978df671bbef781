//! Privileged tests of `podnet ns list` and `podnet ns pids` on real kernel
//! objects: each test builds a node from namespaces (iproute2 pods, pods
//! plumbed by the reference bridge CNI plugin, bind-mount-only namespaces,
//! runtime files, kubepods cgroups, a fake API server) and compares podnet
//! with independent oracles (`lsns -J`, `ip -j`, `ip netns pids`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::fake_api::{self, write_kubeconfig};
use common::node::*;
use common::sh;
use serde_json::{Value, json};

// ---------------------------------------------------------------- oracles

/// One namespace as `lsns -J -l -t net` shows it.
#[derive(Debug)]
struct LsnsNs {
    inode: u64,
    nprocs: u64,
    pid: i32,
    nsfs: Option<String>,
}

/// A number that util-linux may print as a JSON number or a string.
fn num(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.trim().parse().ok())
}

fn lsns() -> Vec<LsnsNs> {
    let v: Value = serde_json::from_str(&sh("lsns -J -l -t net -o NS,NPROCS,PID,NSFS")).unwrap();
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = v["namespaces"].as_array().unwrap().iter().collect();
    while let Some(n) = stack.pop() {
        if let Some(children) = n["children"].as_array() {
            stack.extend(children);
        }
        out.push(LsnsNs {
            inode: num(&n["ns"]).expect("lsns ns"),
            nprocs: num(&n["nprocs"]).unwrap_or(0),
            pid: num(&n["pid"]).unwrap_or(0) as i32,
            nsfs: n["nsfs"].as_str().map(str::to_string),
        });
    }
    out
}

/// `ip -j netns list` names with the inode of each bind mount.
fn ip_netns() -> BTreeMap<String, u64> {
    let text = sh("ip -j netns list");
    if text.trim().is_empty() {
        return BTreeMap::new();
    }
    let v: Value = serde_json::from_str(&text).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let name = n["name"].as_str().unwrap().to_string();
            let inode = inode_of(&format!("/run/netns/{name}"));
            (name, inode)
        })
        .collect()
}

/// `ip netns pids <name>`, sorted.
fn ip_netns_pids(name: &str) -> Vec<i32> {
    let mut v: Vec<i32> = sh(&format!("ip netns pids {}", quote(name)))
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    v.sort_unstable();
    v
}

/// What both `ip -j -d addr` and podnet say about one interface.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct IfaceFacts {
    ifindex: u64,
    name: String,
    kind: String,
    mac: Option<String>,
    mtu: Option<u64>,
    oper_state: String,
    admin_up: bool,
    addresses: BTreeSet<String>,
}

/// `ip -j -d [-n <netns>] addr`, by ifindex.
fn ip_addr(netns: Option<&str>) -> BTreeMap<u64, IfaceFacts> {
    match netns {
        Some(n) => ip_addr_with(&format!("ip -j -d -n {} addr", quote(n))),
        None => ip_addr_with("ip -j -d addr"),
    }
}

/// An `ip -j -d addr` command's answer, by ifindex.
fn ip_addr_with(cmd: &str) -> BTreeMap<u64, IfaceFacts> {
    let v: Value = serde_json::from_str(&sh(cmd)).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let kind = match l["linkinfo"]["info_kind"].as_str() {
                Some(k) => k.to_string(),
                None if l["link_type"] == "loopback" => "loopback".into(),
                None => "device".into(),
            };
            let flags: Vec<&str> = l["flags"]
                .as_array()
                .map(|f| f.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let f = IfaceFacts {
                ifindex: l["ifindex"].as_u64().unwrap(),
                name: l["ifname"].as_str().unwrap().to_string(),
                kind,
                mac: l["address"].as_str().map(str::to_string),
                mtu: l["mtu"].as_u64(),
                oper_state: l["operstate"].as_str().unwrap_or("").to_ascii_lowercase(),
                admin_up: flags.contains(&"UP"),
                addresses: l["addr_info"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| format!("{}/{}", a["local"].as_str().unwrap(), a["prefixlen"]))
                    .collect(),
            };
            (f.ifindex, f)
        })
        .collect()
}

/// The same facts from a podnet `ns list` entry.
fn podnet_ifaces(entry: &Value) -> BTreeMap<u64, IfaceFacts> {
    entry["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let f = IfaceFacts {
                ifindex: i["ifindex"].as_u64().unwrap(),
                name: i["name"].as_str().unwrap().to_string(),
                kind: i["kind"].as_str().unwrap().to_string(),
                mac: i["mac"].as_str().map(str::to_string),
                mtu: i["mtu"].as_u64(),
                oper_state: i["oper_state"].as_str().unwrap().to_string(),
                admin_up: i["admin_up"].as_bool().unwrap(),
                addresses: i["addresses"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string())
                    .collect(),
            };
            (f.ifindex, f)
        })
        .collect()
}

/// Interfaces of the node and of every named netns, once they stop changing
/// (operstate settles asynchronously after links come up).
fn settled_ip_addrs(names: &[String]) -> BTreeMap<Option<String>, BTreeMap<u64, IfaceFacts>> {
    let snapshot = || {
        let mut m = BTreeMap::new();
        m.insert(None, ip_addr(None));
        for n in names {
            m.insert(Some(n.clone()), ip_addr(Some(n)));
        }
        m
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = snapshot();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = snapshot();
        if now == last || Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}

/// `podnet ns pids <query> -o json`.
fn ns_pids(query: &str) -> Value {
    podnet_on_node_json(&["ns", "pids", query, "-o", "json"])
}

fn pid_vec(v: &Value) -> Vec<i32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_i64().unwrap() as i32)
        .collect()
}

fn source_kinds(pod: &Value) -> Vec<String> {
    pod["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap().to_string())
        .collect()
}

fn pod_of(list: &Value, inode: u64) -> &Value {
    &entry(list, inode).unwrap_or_else(|| panic!("netns {inode} not listed: {list:#}"))["pod"]
}

/// Asserts that `list` names the namespace `pod` as `id`, with these source kinds.
fn assert_named(list: &Value, pod: &Pod, id: &PodIdentity, kinds: &[&str]) {
    let p = pod_of(list, pod.inode);
    assert!(
        p.is_object(),
        "{} ({}) has no pod: {list:#}",
        pod.netns,
        id.full()
    );
    assert_eq!(p["namespace"], id.namespace, "{p:#}");
    assert_eq!(p["name"], id.name, "{p:#}");
    assert_eq!(p["uid"], id.uid, "{p:#}");
    assert_eq!(source_kinds(p), kinds, "{p:#}");
    assert!(p.get("conflicts").is_none(), "unexpected conflicts: {p:#}");
}

fn assert_no_warnings(list: &Value) {
    let w = warnings(list);
    assert!(w.is_empty(), "unexpected warnings: {w:#?}");
}

// ------------------------------------------------------------------ tests

node_test! {
    /// 21 pods made three ways are listed completely, and every fact agrees
    /// with lsns, `ip netns`, `ip netns pids` and `ip -j addr`.
    fn a_node_of_many_pods_agrees_with_lsns_and_iproute2() {
        let p = unique_prefix();
        let mut plain = Vec::new();
        for i in 0..8 {
            let veth = match i % 4 {
                0 => format!("cali{}", random_hex(11)),
                1 => format!("veth{}", random_hex(8)),
                2 => format!("lxc{}", random_hex(12)),
                _ => format!("{p}h{i}"),
            };
            // one netns name with a space (escaped as \040 in mountinfo)
            let name = if i == 7 {
                format!("{p}odd name")
            } else {
                format!("{p}plain{i}")
            };
            let mut pod = plain_pod(&name, &veth, &format!("10.77.{i}.2/24"));
            if i % 3 == 0 {
                pod.add_process("sleep", &["600"]); // an app container next to pause
            }
            plain.push(pod);
        }
        let mut bridged = Vec::new();
        for i in 0..8 {
            let id = PodIdentity::new(
                if i % 2 == 0 { "default" } else { "kube-system" },
                &format!("web-{i}"),
            );
            let mut pod = cni_bridge_pod(&format!("cni-{}", random_uid()), &id);
            if i % 2 == 1 {
                cni_loopback(&mut pod, &id); // containerd's loopback attachment: a second cache entry
            }
            bridged.push((pod, id));
        }
        let mut bare = Vec::new();
        for i in 0..5 {
            let mut pod = bindmount_only_netns(&format!("{p}leak{i}"));
            if i % 2 == 0 {
                plumb_veth(&mut pod, &format!("{p}l{i}"), &format!("10.78.{i}.2/24"));
            }
            bare.push(pod);
        }
        // docker-style bind mounts: a second path for one namespace, and one
        // namespace held only at /run/docker/netns (ip netns cannot see it)
        let docker_twin = format!("/run/docker/netns/{}", random_hex(12));
        bind_mount_netns(&bare[0].path, &docker_twin);
        let docker_path = format!("/run/docker/netns/{}", random_hex(12));
        let mut docker_only = bindmount_only_netns(&format!("{p}dock"));
        plumb_veth(&mut docker_only, &format!("{p}dock"), "10.78.9.2/24");
        bind_mount_netns(&docker_only.path, &docker_path);
        let docker_inode = docker_only.inode;
        docker_only.host_veth = None;
        docker_only.delete(); // only its /run/netns name goes
        assert_eq!(inode_of(&docker_path), docker_inode);

        let all: Vec<&Pod> = plain
            .iter()
            .chain(bridged.iter().map(|(p, _)| p))
            .chain(bare.iter())
            .collect();
        assert!(all.len() >= 20);
        let names: Vec<String> = all.iter().map(|p| p.netns.clone()).collect();
        let oracle_ifaces = settled_ip_addrs(&names);
        let docker_ifaces = ip_addr_with(&format!("nsenter --net={docker_path} ip -j -d addr"));

        let started = Instant::now();
        let list = ns_list(&[]);
        eprintln!(
            "podnet ns list: {:?} for {} namespaces",
            started.elapsed(),
            all.len() + 1
        );
        assert_no_warnings(&list);
        let entries = list["namespaces"].as_array().unwrap();
        let inodes: Vec<u64> = entries
            .iter()
            .map(|e| e["inode"].as_u64().unwrap())
            .collect();
        assert_eq!(
            inodes.iter().collect::<BTreeSet<_>>().len(),
            inodes.len(),
            "duplicate inodes"
        );
        assert_eq!(
            entries.len(),
            all.len() + 2,
            "the node's netns, one per pod, the docker one: {list:#}"
        );
        let host = &entries[0];
        assert_eq!(host["host"], true);
        assert_eq!(host["inode"].as_u64(), Some(inode_of("/proc/1/ns/net")));

        // lsns sees every namespace with a process; podnet agrees on each.
        let ls = lsns();
        let mut lsns_inodes = BTreeSet::new();
        for n in &ls {
            lsns_inodes.insert(n.inode);
            let e =
                entry(&list, n.inode).unwrap_or_else(|| panic!("lsns sees {n:?}, podnet does not"));
            let pids = pid_vec(&ns_pids(&n.inode.to_string())["pids"]);
            assert!(
                pids.contains(&n.pid),
                "lsns's pid {} not in podnet's {pids:?}",
                n.pid
            );
            if e["host"] == true {
                continue; // its process count includes each tool's own process
            }
            assert_eq!(e["pids"].as_u64(), Some(n.nprocs), "process count of {n:?}");
            assert_eq!(pids.len() as u64, n.nprocs);
            for path in n.nsfs.iter().flat_map(|p| p.lines()) {
                assert!(
                    e["paths"].as_array().unwrap().contains(&json!(path)),
                    "{n:?} vs {e:#}"
                );
            }
        }
        // ip netns sees every bind mount; podnet agrees, including the ones lsns misses.
        let named = ip_netns();
        assert_eq!(named.len(), all.len());
        let mut missed_by_lsns = 0;
        for (name, inode) in &named {
            let e = entry(&list, *inode)
                .unwrap_or_else(|| panic!("ip netns sees {name}, podnet does not"));
            assert!(
                e["paths"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(format!("/run/netns/{name}"))),
                "{e:#}"
            );
            let want = ip_netns_pids(name);
            let got = ns_pids(name);
            let mut pids = pid_vec(&got["pids"]);
            assert_eq!(got["inode"].as_u64(), Some(*inode));
            assert_eq!(
                pids.first().copied(),
                got["pause_pid"].as_i64().map(|p| p as i32),
                "pause first"
            );
            pids.sort_unstable();
            assert_eq!(pids, want, "PIDs of {name}");
            assert_eq!(e["pids"].as_u64(), Some(want.len() as u64));
            if !lsns_inodes.contains(inode) {
                missed_by_lsns += 1;
                assert_eq!(
                    want,
                    Vec::<i32>::new(),
                    "lsns misses only process-less namespaces"
                );
            }
        }
        eprintln!("lsns missed {missed_by_lsns} bind-mount-only namespaces that podnet lists");
        // the docker-only namespace: found from mountinfo alone
        let d = entry(&list, docker_inode).expect("the namespace held only at /run/docker/netns");
        assert_eq!(
            (d["paths"].clone(), d["pids"].as_u64(), d["pod"].is_null()),
            (json!([docker_path]), Some(0), true),
            "{d:#}"
        );
        assert_eq!(podnet_ifaces(d), docker_ifaces);
        assert_eq!(ns_pids(&docker_path)["inode"].as_u64(), Some(docker_inode));
        // every path of every namespace, exactly
        for pod in &all {
            let mut want = vec![pod.path.clone()];
            if pod.inode == bare[0].inode {
                want.push(docker_twin.clone());
            }
            let got: BTreeSet<&str> = entry(&list, pod.inode).unwrap()["paths"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            assert_eq!(
                got,
                want.iter().map(String::as_str).collect(),
                "paths of {}",
                pod.netns
            );
        }
        let known: BTreeSet<u64> = lsns_inodes
            .iter()
            .chain(named.values())
            .chain([&docker_inode])
            .copied()
            .collect();
        assert_eq!(
            inodes.iter().copied().collect::<BTreeSet<_>>(),
            known,
            "podnet lists a namespace no oracle knows"
        );

        // Interfaces and addresses agree with ip -j addr, namespace by namespace.
        assert_eq!(
            podnet_ifaces(host),
            oracle_ifaces[&None],
            "the node's interfaces"
        );
        for pod in &all {
            let e = entry(&list, pod.inode).unwrap();
            assert_eq!(
                podnet_ifaces(e),
                oracle_ifaces[&Some(pod.netns.clone())],
                "interfaces of {}",
                pod.netns
            );
            if let Some(ip) = &pod.ip {
                let eth0 = e["interfaces"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|i| i["name"] == "eth0")
                    .unwrap();
                assert!(
                    eth0["addresses"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|a| a.as_str().unwrap().starts_with(&format!("{ip}/")))
                );
                assert_eq!(eth0["kind"], "veth");
            }
        }

        // The pause PID is the process the test started; pods have their names.
        for pod in plain.iter().chain(bare.iter()) {
            let e = entry(&list, pod.inode).unwrap();
            assert_eq!(
                e["pause_pid"].as_i64().map(|p| p as i32),
                pod.pause_pid(),
                "{e:#}"
            );
            assert_eq!(e["pids"].as_u64(), Some(pod.pids().len() as u64));
            assert!(e["pod"].is_null(), "nothing names {}: {e:#}", pod.netns);
        }
        for (i, (pod, id)) in bridged.iter().enumerate() {
            let e = entry(&list, pod.inode).unwrap();
            assert_eq!(e["pause_pid"].as_i64().map(|p| p as i32), pod.pause_pid());
            let kinds: &[&str] = if i % 2 == 1 {
                &["cni-cache", "cni-cache"]
            } else {
                &["cni-cache"]
            };
            assert_named(&list, pod, id, kinds);
            assert_eq!(e["pod"]["sandbox_id"], id.sandbox_id);
        }
        for pod in &bare {
            let e = entry(&list, pod.inode).unwrap();
            assert_eq!(
                (e["pids"].as_u64(), e["pause_pid"].is_null()),
                (Some(0), true)
            );
        }

        // The table lists the same namespaces.
        let table = podnet_on_node(&["ns", "list"]);
        assert!(table.status.success());
        let text = String::from_utf8_lossy(&table.stdout);
        for pod in &all {
            assert!(
                text.contains(&pod.inode.to_string()),
                "{} missing from the table:\n{text}",
                pod.inode
            );
        }
    }
}

node_test! {
    /// Each identity source names a pod on its own, and every combination
    /// adds its provenance; nothing is guessed.
    fn pods_are_named_from_each_source_alone() {
        let p = unique_prefix();
        // 1. the CNI result cache only
        let cache_id = PodIdentity::new("shop", "cart-7d9f-abcde");
        let cache_pod = cni_bridge_pod(&format!("cni-{}", random_uid()), &cache_id);

        // 1b. an older libcni cache (no "netns" key: only result.interfaces[].sandbox)
        let old_id = PodIdentity::new("shop", "legacy-0");
        let mut old_pod = plain_pod(
            &format!("{p}old"),
            &format!("veth{}", random_hex(8)),
            "10.79.0.9/24",
        );
        let result = json!({"cniVersion": "0.4.0",
            "interfaces": [{"name": old_pod.host_veth.clone().unwrap()}, {"name": "eth0", "sandbox": old_pod.path.replace("/run/", "/var/run/")}],
            "ips": [{"version": "4", "interface": 1, "address": "10.79.0.9/24"}]});
        old_pod.files.push(write_cni_cache(
            "cbr0",
            "eth0",
            None,
            &old_id,
            &bridge_conf(),
            &result,
        ));

        // 1c. a cache entry naming the netns as /proc/<pid>/ns/net (cri-dockerd style)
        let proc_id = PodIdentity::new("shop", "dockershim-0");
        let mut proc_pod = plain_pod(
            &format!("{p}proc"),
            &format!("veth{}", random_hex(8)),
            "10.79.8.2/24",
        );
        let proc_path = format!("/proc/{}/ns/net", proc_pod.pause_pid().unwrap());
        proc_pod.files.push(write_cni_cache(
            "cbr0",
            "eth0",
            Some(&proc_path),
            &proc_id,
            &bridge_conf(),
            &json!({"cniVersion": "1.0.0", "interfaces": [{"name": "eth0", "sandbox": proc_path}], "ips": [{"address": "10.79.8.2/24", "interface": 0}]}),
        ));

        // 2. containerd's config.json only (netns path as containerd writes it)
        let oci_id = PodIdentity::new("payments", "api-0");
        let oci_pod = plain_pod(
            &format!("{p}oci"),
            &format!("cali{}", random_hex(11)),
            "10.79.1.2/24",
        );
        write_containerd_bundle(&oci_id, &oci_pod.path.replace("/run/", "/var/run/"), None);

        // 2b. config.json whose only key is init.pid (the netns path names a namespace long gone)
        let pid_id = PodIdentity::new("payments", "worker-1");
        let pid_pod = plain_pod(
            &format!("{p}pid"),
            &format!("lxc{}", random_hex(12)),
            "10.79.2.2/24",
        );
        write_containerd_bundle(&pid_id, "/proc/999999/ns/net", pid_pod.pause_pid());

        // 2c. CRI-O's sandbox config.json only (container storage, pidfile)
        let crio_id = PodIdentity::new("payments", "crio-0");
        let crio_pod = plain_pod(&format!("{p}crio"), &format!("{p}crio"), "10.79.6.2/24");
        write_crio_sandbox(&crio_id, &crio_pod.path, crio_pod.pause_pid());

        // 2d. a podman pod's infra container only: the hostname is the pod name
        let podman_pod = plain_pod(
            &format!("netns-{}", random_uid()),
            &format!("{p}pm"),
            "10.79.7.2/24",
        );
        let podman_id = random_hex(64);
        write_podman_infra("mypod", &podman_id, &podman_pod.path, None);

        // 3. the pause process's cgroup + kubelet's /var/log/pods only
        let cg_id = PodIdentity::new("monitoring", "node-exporter-x2x4z");
        let cg_pod = plain_pod(&format!("{p}cg"), &format!("{p}cg"), "10.79.3.2/24");
        put_in_kubepods_cgroup(
            cg_pod.pause_pid().unwrap(),
            CgroupDriver::Cgroupfs,
            Some("besteffort"),
            &cg_id,
        );
        write_pod_log_dir(&cg_id);

        // 3b. the same with the systemd driver, Guaranteed QoS
        let sd_id = PodIdentity::new("monitoring", "prometheus-0");
        let sd_pod = plain_pod(&format!("{p}sd"), &format!("{p}sd"), "10.79.4.2/24");
        put_in_kubepods_cgroup(
            sd_pod.pause_pid().unwrap(),
            CgroupDriver::Systemd,
            None,
            &sd_id,
        );
        write_pod_log_dir(&sd_id);

        // 4. a cgroup without a log directory: the UID and sandbox id, no name
        let anon_id = PodIdentity::new("x", "y");
        let anon_pod = plain_pod(&format!("{p}anon"), &format!("{p}an"), "10.79.5.2/24");
        put_in_kubepods_cgroup(
            anon_pod.pause_pid().unwrap(),
            CgroupDriver::Cgroupfs,
            Some("burstable"),
            &anon_id,
        );

        // 5. every source at once, all agreeing
        let all_id = PodIdentity::new("default", "everything-0");
        let all_pod = cni_bridge_pod(&format!("cni-{}", random_uid()), &all_id);
        write_containerd_bundle(&all_id, &all_pod.path, all_pod.pause_pid());
        put_in_kubepods_cgroup(
            all_pod.pause_pid().unwrap(),
            CgroupDriver::Systemd,
            Some("burstable"),
            &all_id,
        );
        write_pod_log_dir(&all_id);

        // a pod log directory of a pod that is not here names nothing
        write_pod_log_dir(&PodIdentity::new("gone", "old-pod"));

        let list = ns_list(&[]);
        assert_no_warnings(&list);
        assert_named(&list, &cache_pod, &cache_id, &["cni-cache"]);
        assert_eq!(
            pod_of(&list, cache_pod.inode)["sandbox_id"],
            cache_id.sandbox_id
        );
        assert_named(&list, &old_pod, &old_id, &["cni-cache"]);
        assert_named(&list, &proc_pod, &proc_id, &["cni-cache"]);
        assert_named(&list, &oci_pod, &oci_id, &["oci-config"]);
        assert_eq!(pod_of(&list, oci_pod.inode)["runtime"], "containerd");
        assert_eq!(
            pod_of(&list, oci_pod.inode)["sandbox_id"],
            oci_id.sandbox_id
        );
        assert_named(&list, &pid_pod, &pid_id, &["oci-config"]);
        assert_named(&list, &crio_pod, &crio_id, &["oci-config"]);
        assert_eq!(pod_of(&list, crio_pod.inode)["runtime"], "cri-o");
        let pm = pod_of(&list, podman_pod.inode);
        assert_eq!(
            (
                pm["name"].as_str(),
                pm["namespace"].as_str(),
                pm["runtime"].as_str()
            ),
            (Some("mypod"), None, Some("podman")),
            "{pm:#}"
        );
        assert_eq!(pm["sandbox_id"], podman_id);
        assert_named(&list, &cg_pod, &cg_id, &["cgroup", "pod-logs"]);
        assert_eq!(pod_of(&list, cg_pod.inode)["sandbox_id"], cg_id.sandbox_id);
        assert_named(&list, &sd_pod, &sd_id, &["cgroup", "pod-logs"]);
        assert_eq!(pod_of(&list, sd_pod.inode)["runtime"], "containerd");
        let anon = pod_of(&list, anon_pod.inode);
        assert_eq!(
            (anon["uid"].as_str(), anon["name"].as_str()),
            (Some(anon_id.uid.as_str()), None),
            "{anon:#}"
        );
        assert_named(
            &list,
            &all_pod,
            &all_id,
            &["oci-config", "cni-cache", "cgroup", "pod-logs"],
        );
        // the pause PIDs stay the ones the test started
        for pod in [
            &cache_pod,
            &old_pod,
            &proc_pod,
            &oci_pod,
            &pid_pod,
            &crio_pod,
            &podman_pod,
            &cg_pod,
            &sd_pod,
            &anon_pod,
            &all_pod,
        ] {
            assert_eq!(
                entry(&list, pod.inode).unwrap()["pause_pid"]
                    .as_i64()
                    .map(|p| p as i32),
                pod.pause_pid()
            );
        }
        // provenance names the files it came from
        let from: Vec<&str> = pod_of(&list, all_pod.inode)["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["from"].as_str().unwrap())
            .collect();
        assert!(
            from[0].ends_with(&format!("{}/config.json", all_id.sandbox_id)),
            "{from:?}"
        );
        assert!(
            from[1].starts_with(&format!(
                "{CNI_RESULTS}/{BRIDGE_NETWORK}-{}",
                all_id.sandbox_id
            )),
            "{from:?}"
        );
        assert!(from[3].contains(&all_id.uid), "{from:?}");
    }
}

node_test! {
    /// Two sources that disagree (the CNI cache says one name, containerd's
    /// config.json another) are both shown, and a warning says so.
    fn a_conflict_between_sources_is_reported_not_hidden() {
        let cache_says = PodIdentity::new("default", "alpha");
        let pod = cni_bridge_pod(&format!("cni-{}", random_uid()), &cache_says);
        let oci_says = PodIdentity {
            name: "beta".into(),
            ..cache_says.clone()
        };
        write_containerd_bundle(&oci_says, &pod.path, pod.pause_pid());

        // and a UID conflict between the cgroup and the log directory it points at is impossible,
        // so also let config.json and the cache disagree on the namespace of a second pod
        let other = PodIdentity::new("team-a", "db-0");
        let pod2 = cni_bridge_pod(&format!("cni-{}", random_uid()), &other);
        write_containerd_bundle(
            &PodIdentity {
                namespace: "team-b".into(),
                ..other.clone()
            },
            &pod2.path,
            None,
        );

        let list = ns_list(&[]);
        let p = pod_of(&list, pod.inode);
        let conflicts = p["conflicts"]
            .as_array()
            .unwrap_or_else(|| panic!("no conflicts: {p:#}"));
        assert_eq!(conflicts.len(), 1, "{p:#}");
        assert_eq!(conflicts[0]["field"], "name");
        let values: Vec<(&str, &str)> = conflicts[0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["value"].as_str().unwrap(), v["kind"].as_str().unwrap()))
            .collect();
        assert_eq!(values, vec![("beta", "oci-config"), ("alpha", "cni-cache")]);
        assert_eq!(
            p["name"], "beta",
            "the runtime's own config is trusted first"
        );
        assert_eq!(source_kinds(p), ["oci-config", "cni-cache"]);

        let p2 = pod_of(&list, pod2.inode);
        assert_eq!(p2["conflicts"][0]["field"], "namespace", "{p2:#}");
        let w = warnings(&list);
        assert_eq!(w.len(), 2, "{w:#?}");
        assert!(
            w.iter().any(|w| w.contains(&pod.inode.to_string())
                && w.contains("disagree on name")
                && w.contains("alpha")
                && w.contains("beta")),
            "{w:#?}"
        );
        assert!(w.iter().any(|w| w.contains(&pod2.inode.to_string()) && w.contains("disagree on namespace")), "{w:#?}");

        // the table marks the pod and prints the warning on stderr
        let out = podnet_on_node(&["ns", "list"]);
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("default/beta (!)"));
        assert!(String::from_utf8_lossy(&out.stderr).contains("disagree on name"));
    }
}

node_test! {
    /// Runtime files left behind by a deleted pod (a leaked CNI cache entry,
    /// a leftover config.json) are reported as stale and name nothing, even
    /// when a new pod has reused the old pod's address.
    fn stale_runtime_files_warn_and_name_no_other_pod() {
        let p = unique_prefix();
        let gone = PodIdentity::new("default", "deleted-0");
        let mut old = cni_bridge_pod(&format!("cni-{}", random_uid()), &gone);
        let old_ip = old.ip.clone().unwrap();
        let old_pid = old.pause_pid();
        write_containerd_bundle(&gone, &old.path, old_pid);
        run_cni_plugin("bridge", "DEL", &bridge_conf(), &gone, &old.path, "eth0");
        let leaked = std::mem::take(&mut old.files); // the cache entry stays behind
        old.delete();
        // a new pod, named by nothing, gets the old pod's address
        let reuse = plain_pod(
            &format!("{p}reuse"),
            &format!("{p}reuse"),
            &format!("{old_ip}/16"),
        );
        // a named pod next to it, to show the rest still works
        let live = PodIdentity::new("default", "live-0");
        let live_pod = cni_bridge_pod(&format!("cni-{}", random_uid()), &live);

        let list = ns_list(&[]);
        assert!(
            pod_of(&list, reuse.inode).is_null(),
            "a stale file named the pod that reused {old_ip}: {list:#}"
        );
        assert_named(&list, &live_pod, &live, &["cni-cache"]);
        let w = warnings(&list);
        assert_eq!(w.len(), 2, "{w:#?}");
        let leaked = leaked[0].display().to_string();
        assert!(
            w.iter().any(|w| w.starts_with("stale cni-cache")
                && w.contains(&leaked)
                && w.contains("default/deleted-0")),
            "{w:#?}"
        );
        assert!(
            w.iter()
                .any(|w| w.starts_with("stale oci-config") && w.contains(&gone.sandbox_id)),
            "{w:#?}"
        );
    }
}

node_test! {
    /// `ns pids` finds a pod by every reference form, and refuses ambiguous
    /// and unknown references with exit 2 and one error line.
    fn ns_pids_resolves_every_reference_form() {
        let p = unique_prefix();
        let id = PodIdentity::new("default", "web-0");
        let mut web = cni_bridge_pod(&format!("cni-{}", random_uid()), &id);
        let app = web.add_process("sleep", &["600"]);
        let pause = web.pause_pid().unwrap();
        // the same pod name in two namespaces
        let dup_a = PodIdentity::new("team-a", "dup");
        let dup_b = PodIdentity::new("team-b", "dup");
        let a = cni_bridge_pod(&format!("cni-{}", random_uid()), &dup_a);
        let b = cni_bridge_pod(&format!("cni-{}", random_uid()), &dup_b);
        // an unnamed plain pod and a leaked namespace
        let plain = plain_pod(&format!("{p}plain"), &format!("{p}v"), "10.77.0.2/24");
        let leak = bindmount_only_netns(&format!("{p}leak"));

        let ip = web.ip.clone().unwrap();
        let refs = [
            id.name.clone(),
            id.full(),
            id.uid.clone(),
            id.uid.to_ascii_uppercase(),
            id.sandbox_id[..12].to_string(),
            id.sandbox_id.clone(),
            pause.to_string(),
            app.to_string(),
            web.path.clone(),
            web.path.replace("/run/", "/var/run/"),
            web.netns.clone(),
            format!("/proc/{app}/ns/net"),
            web.inode.to_string(),
            ip.clone(),
        ];
        for r in &refs {
            let v = ns_pids(r);
            assert_eq!(v["inode"].as_u64(), Some(web.inode), "{r}: {v:#}");
            assert_eq!(pid_vec(&v["pids"]), vec![pause, app], "{r}: pause first");
            assert_eq!(v["pause_pid"].as_i64(), Some(pause as i64));
            assert_eq!(v["pod"]["name"], "web-0");
            let procs: Vec<(i64, &str)> = v["processes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p["pid"].as_i64().unwrap(), p["comm"].as_str().unwrap()))
                .collect();
            assert_eq!(procs, vec![(pause as i64, "pause"), (app as i64, "sleep")]);
        }
        // the table: pause first, marked
        let out = podnet_on_node(&["ns", "pids", &ip]);
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(rows.len(), 2, "{text}");
        assert!(
            rows[0].starts_with(&pause.to_string()) && rows[0].contains("pause"),
            "{text}"
        );
        assert!(
            rows[1].starts_with(&app.to_string()) && rows[1].contains("sleep"),
            "{text}"
        );

        // the other pods by their own references
        assert_eq!(ns_pids("team-a/dup")["inode"].as_u64(), Some(a.inode));
        assert_eq!(ns_pids("team-b/dup")["inode"].as_u64(), Some(b.inode));
        assert_eq!(
            pid_vec(&ns_pids(&plain.netns)["pids"]),
            vec![plain.pause_pid().unwrap()]
        );
        let l = ns_pids(&leak.path);
        assert_eq!(
            (l["inode"].as_u64(), pid_vec(&l["pids"])),
            (Some(leak.inode), vec![])
        );
        assert_eq!(
            ns_pids("host")["inode"].as_u64(),
            Some(inode_of("/proc/1/ns/net"))
        );

        // ambiguous: exit 2, one error line naming both candidates
        let out = podnet_on_node(&["ns", "pids", "dup"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(out.stdout.is_empty());
        let lines: Vec<&str> = err.lines().collect();
        assert!(lines[0].starts_with("podnet: error: "), "{err}");
        assert!(
            lines[0].contains(&format!("team-a/dup (netns {})", a.inode))
                && lines[0].contains(&format!("team-b/dup (netns {})", b.inode)),
            "{err}"
        );
        assert!(
            lines[1..].iter().all(|l| l.starts_with("hint: ")),
            "one error line, then hints: {err}"
        );

        // unknown: exit 2, one error line
        for unknown in [
            "no-such-pod",
            "default/nope",
            "10.99.99.99",
            "/run/netns/nope",
        ] {
            let out = podnet_on_node(&["ns", "pids", unknown]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{unknown}: {err}");
            let lines: Vec<&str> = err.lines().collect();
            assert!(
                lines[0].starts_with("podnet: error: ") && lines[0].contains(unknown),
                "{err}"
            );
            assert!(lines[1..].iter().all(|l| l.starts_with("hint: ")), "{err}");
            assert!(!err.contains("panicked"));
        }
    }
}

/// What a stable pod must look like in every run.
struct Expect {
    inode: u64,
    path: String,
    pause: Option<i32>,
    ip: Option<String>,
    name: Option<String>,
}

fn check_stable(list: &Value, pods: &[Expect], run: usize) {
    for x in pods {
        let e = entry(list, x.inode)
            .unwrap_or_else(|| panic!("run {run}: stable netns {} missing: {list:#}", x.path));
        assert_eq!(e["paths"], json!([x.path]), "run {run}");
        assert_eq!(
            e["pause_pid"].as_i64().map(|p| p as i32),
            x.pause,
            "run {run}: {e:#}"
        );
        assert_eq!(
            e["pod"]["name"].as_str(),
            x.name.as_deref(),
            "run {run}: {e:#}"
        );
        if let Some(ip) = &x.ip {
            let has = e["interfaces"].as_array().unwrap().iter().any(|i| {
                i["name"] == "eth0"
                    && i["addresses"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|a| a.as_str().unwrap().starts_with(&format!("{ip}/")))
            });
            assert!(has, "run {run}: {ip} missing: {e:#}");
        }
    }
    let w = warnings(list);
    for x in pods {
        let bad: Vec<&String> = w
            .iter()
            .filter(|w| {
                w.contains(&x.inode.to_string())
                    || x.name.as_ref().is_some_and(|n| w.contains(n.as_str()))
            })
            .collect();
        assert!(
            bad.is_empty(),
            "run {run}: warnings about a stable pod: {bad:#?}"
        );
    }
}

node_test! {
    /// Pods come and go (netns + veth + pause, bridge ADD/DEL, short-lived
    /// processes, zombies) while `ns list` runs again and again: every run
    /// succeeds with valid JSON and the stable pods are always right.
    fn ns_list_is_correct_while_pods_come_and_go() {
        let p = unique_prefix();
        let mut stable = Vec::new();
        let mut expect = Vec::new();
        for i in 0..3 {
            let pod = plain_pod(
                &format!("{p}s{i}"),
                &format!("{p}s{i}"),
                &format!("10.77.{i}.2/24"),
            );
            expect.push(Expect {
                inode: pod.inode,
                path: pod.path.clone(),
                pause: pod.pause_pid(),
                ip: pod.ip.clone(),
                name: None,
            });
            stable.push(pod);
        }
        for i in 0..3 {
            let id = PodIdentity::new("default", &format!("stable-{i}"));
            let pod = cni_bridge_pod(&format!("cni-{}", random_uid()), &id);
            expect.push(Expect {
                inode: pod.inode,
                path: pod.path.clone(),
                pause: pod.pause_pid(),
                ip: pod.ip.clone(),
                name: Some(id.name.clone()),
            });
            stable.push(pod);
        }
        let cg_id = PodIdentity::new("default", "stable-cgroup");
        let cg = plain_pod(&format!("{p}scg"), &format!("{p}scg"), "10.77.9.2/24");
        put_in_kubepods_cgroup(
            cg.pause_pid().unwrap(),
            CgroupDriver::Systemd,
            Some("burstable"),
            &cg_id,
        );
        write_pod_log_dir(&cg_id);
        expect.push(Expect {
            inode: cg.inode,
            path: cg.path.clone(),
            pause: cg.pause_pid(),
            ip: cg.ip.clone(),
            name: Some(cg_id.name.clone()),
        });
        let leak = bindmount_only_netns(&format!("{p}sleak"));
        expect.push(Expect {
            inode: leak.inode,
            path: leak.path.clone(),
            pause: None,
            ip: None,
            name: None,
        });

        // malformed runtime files stay put during the churn: a warning each, every run
        let bad_json =
            Path::new(CNI_RESULTS).join(format!("{BRIDGE_NETWORK}-{}-eth0", random_hex(64)));
        write_file(&bad_json, b"{\"kind\":\"cniCacheV1\",");
        let fifo = Path::new(CONTAINERD_TASKS)
            .join(random_hex(64))
            .join("config.json");
        std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
        sh(&format!("mkfifo {}", fifo.display()));
        let bad_files = [bad_json.display().to_string(), fifo.display().to_string()];

        let stop = AtomicBool::new(false);
        let churned = AtomicUsize::new(0);
        let processes = AtomicUsize::new(0);
        // runs go on until both counts are reached, however slow the machine
        // (the harness's per-test timeout is the guard against a hang)
        let min_runs = 30;
        let min_churned = 40;
        std::thread::scope(|s| {
            // plain pods: a few alive at any time, created and deleted without pause
            let plain_churn = s.spawn(|| {
                let mut alive: std::collections::VecDeque<Pod> = Default::default();
                let mut n = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let mut pod = plain_pod(
                        &format!("{p}c{n}"),
                        &format!("{p}c{n}"),
                        &format!("10.66.{}.{}/16", n / 200, n % 200 + 2),
                    );
                    if n.is_multiple_of(3) {
                        pod.add_process("sleep", &["600"]);
                    }
                    alive.push_back(pod);
                    if alive.len() > 3 {
                        alive.pop_front().unwrap().delete();
                        churned.fetch_add(1, Ordering::Relaxed);
                    }
                }
                alive.into_iter().for_each(Pod::delete);
            });
            // bridge pods: ADD, cache written, DEL, netns deleted, cache removed last (stale for a moment)
            let bridge_churn = s.spawn(|| {
                let mut n = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let id = PodIdentity::new("churn", &format!("c-{n}"));
                    let mut pod = cni_bridge_pod(&format!("cni-{}", random_uid()), &id);
                    let files = std::mem::take(&mut pod.files);
                    run_cni_plugin("bridge", "DEL", &bridge_conf(), &id, &pod.path, "eth0");
                    pod.delete();
                    files.iter().for_each(|f| std::fs::remove_file(f).unwrap());
                    churned.fetch_add(1, Ordering::Relaxed);
                }
            });
            // short-lived processes, in the node's netns and inside a stable pod; some left as zombies for a while
            let proc_churn = s.spawn(|| {
                let mut zombies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    for mut z in zombies.drain(..) {
                        let _ = std::process::Child::wait(&mut z);
                    }
                    for _ in 0..4 {
                        zombies.push(std::process::Command::new("true").spawn().unwrap());
                    }
                    let _ = std::process::Command::new("nsenter")
                        .arg(format!("--net={}", stable[0].path))
                        .args(["--", "sleep", "0.01"])
                        .status();
                    std::thread::sleep(Duration::from_millis(3));
                    processes.fetch_add(5, Ordering::Relaxed);
                }
                for mut z in zombies {
                    let _ = z.wait();
                }
            });
            let _stop = StopOnDrop(&stop);
            let started = Instant::now();
            let mut warned: BTreeSet<String> = BTreeSet::new();
            let mut run = 0;
            while run < min_runs || churned.load(Ordering::Relaxed) < min_churned {
                let args: &[&str] = if run % 3 == 2 {
                    &["ns", "list", "-o", "json", "--deep"]
                } else {
                    &["ns", "list", "-o", "json"]
                };
                let out = podnet_on_node(args);
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(
                    !stderr.contains("panicked"),
                    "run {run} panicked:\n{stderr}"
                );
                assert_eq!(out.status.code(), Some(0), "run {run}:\n{stderr}");
                let list: Value = serde_json::from_slice(&out.stdout)
                    .unwrap_or_else(|e| panic!("run {run}: not JSON ({e})"));
                let inodes: Vec<u64> = list["namespaces"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["inode"].as_u64().unwrap())
                    .collect();
                assert_eq!(
                    inodes.iter().collect::<BTreeSet<_>>().len(),
                    inodes.len(),
                    "run {run}: duplicate inodes"
                );
                assert_eq!(list["namespaces"][0]["host"], true);
                check_stable(&list, &expect, run);
                for f in &bad_files {
                    assert!(
                        warnings(&list).iter().any(|w| w.contains(f.as_str())),
                        "run {run}: no warning for {f}"
                    );
                }
                for w in warnings(&list) {
                    // the kind of warning, without the changing inode / path
                    assert!(
                        !w.contains("could not be read"),
                        "run {run}: an exiting process was reported as unreadable: {w}"
                    );
                    let kind: Vec<&str> = w
                        .split_whitespace()
                        .map(|word| {
                            if word.bytes().any(|b| b.is_ascii_digit()) {
                                "#"
                            } else {
                                word
                            }
                        })
                        .collect();
                    warned.insert(kind.join(" "));
                }
                // the table and ns pids of a stable pod work under churn too
                if run % 5 == 0 {
                    let out = podnet_on_node(&["ns", "list"]);
                    assert!(
                        out.status.success()
                            && !String::from_utf8_lossy(&out.stderr).contains("panicked")
                    );
                    let v = ns_pids("default/stable-0");
                    assert_eq!(v["inode"].as_u64(), Some(expect[3].inode));
                    assert_eq!(v["pids"][0].as_i64(), expect[3].pause.map(i64::from));
                }
                run += 1;
            }
            eprintln!(
                "{run} runs in {:?}; kinds of churn warnings: {warned:#?}",
                started.elapsed()
            );
            stop.store(true, Ordering::Relaxed);
            for t in [plain_churn, bridge_churn, proc_churn] {
                t.join().expect("a churn thread");
            }
        });
        let churned = churned.into_inner();
        eprintln!(
            "{churned} pods and {} processes created and deleted meanwhile",
            processes.into_inner()
        );
        // once the churn stops, the node is back to the stable pods
        let list = ns_list(&[]);
        assert_eq!(
            list["namespaces"].as_array().unwrap().len(),
            expect.len() + 1,
            "{list:#}"
        );
        check_stable(&list, &expect, usize::MAX);
        assert_eq!(
            warnings(&list).len(),
            bad_files.len(),
            "{:#?}",
            warnings(&list)
        );
    }
}

node_test! {
    /// Processes exiting during the scan are skipped as vanished, never
    /// reported as unreadable: a reaped task's `ns/net` link answers EACCES,
    /// not ENOENT, for a moment.
    fn exiting_processes_are_not_permission_problems() {
        let p = unique_prefix();
        let pod = plain_pod(&format!("{p}p"), &format!("{p}p"), "10.77.0.2/24");
        let stop = AtomicBool::new(false);
        let spawned = AtomicUsize::new(0);
        let runs = 200;
        std::thread::scope(|s| {
            for i in 0..4 {
                let (stop, spawned, path) = (&stop, &spawned, &pod.path);
                s.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        // short-lived processes (some inside the pod), each reaped the
                        // moment it exits: its /proc entry goes away under the scan
                        let status = if i == 0 {
                            std::process::Command::new("nsenter")
                                .arg(format!("--net={path}"))
                                .args(["--", "true"])
                                .status()
                        } else {
                            std::process::Command::new("true").status()
                        };
                        assert!(status.unwrap().success());
                        spawned.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            let _stop = StopOnDrop(&stop);
            for run in 0..runs {
                let list = ns_list(&[]);
                let w = warnings(&list);
                assert!(
                    w.iter()
                        .all(|w| !w.contains("permission denied")
                            && !w.contains("could not be read")),
                    "run {run}: an exiting process was reported as unreadable: {w:#?}"
                );
                assert_eq!(
                    entry(&list, pod.inode).unwrap()["pause_pid"]
                        .as_i64()
                        .map(|p| p as i32),
                    pod.pause_pid()
                );
            }
            stop.store(true, Ordering::Relaxed);
        });
        eprintln!(
            "{} processes came and went during {runs} runs",
            spawned.into_inner()
        );
    }
}

node_test! {
    /// A namespace held only by an open descriptor (no bind mount, no process
    /// inside) is listed with --deep, and only then; lsns misses it.
    fn deep_finds_namespaces_held_only_by_a_descriptor() {
        let p = unique_prefix();
        let mut pod = bindmount_only_netns(&format!("{p}held"));
        plumb_veth(&mut pod, &format!("{p}held"), "10.77.0.2/24");
        let mut holder = std::process::Command::new("sleep")
            .arg("600")
            .stdin(std::fs::File::open(&pod.path).unwrap())
            .spawn()
            .unwrap();
        let fd = format!("/proc/{}/fd/0", holder.id());
        // while mounted, the descriptor (which reads back as the mount's path) is shown too
        let mounted = ns_list(&["--deep"]);
        let e = entry(&mounted, pod.inode).unwrap();
        assert_eq!(
            (e["fds"].clone(), e["paths"].clone()),
            (json!([fd]), json!([pod.path])),
            "{e:#}"
        );
        sh(&format!("ip netns del {}", quote(&pod.netns)));
        assert!(!Path::new(&pod.path).exists());
        assert_eq!(inode_of(&fd), pod.inode);

        let list = ns_list(&[]);
        assert_no_warnings(&list);
        assert!(
            entry(&list, pod.inode).is_none(),
            "only --deep looks at descriptors"
        );
        let deep = ns_list(&["--deep"]);
        assert_no_warnings(&deep);
        let e = entry(&deep, pod.inode).expect("--deep lists it");
        assert_eq!(
            (e["fds"].clone(), e["paths"].clone(), e["pids"].as_u64()),
            (json!([fd]), json!([]), Some(0)),
            "{e:#}"
        );
        // its interfaces were read through the descriptor; nsenter enters it the same way
        let oracle = ip_addr_with(&format!("nsenter --net={fd} ip -j -d addr"));
        assert_eq!(podnet_ifaces(e), oracle);
        assert!(
            lsns().iter().all(|n| n.inode != pod.inode),
            "lsns does not see it"
        );
        // once the holder is gone, so is the namespace
        holder.kill().unwrap();
        holder.wait().unwrap();
        assert!(entry(&ns_list(&["--deep"]), pod.inode).is_none());
    }
}

node_test! {
    /// Unreadable and malformed runtime files (a fifo, a directory, garbage,
    /// invalid UTF-8, bad JSON) each give a warning naming the file, never a
    /// hang, a panic or a failure; everything else is still right.
    fn malformed_runtime_files_warn_and_the_rest_is_correct() {
        let p = unique_prefix();
        let cache_id = PodIdentity::new("default", "good-cache");
        let cache_pod = cni_bridge_pod(&format!("cni-{}", random_uid()), &cache_id);
        let oci_id = PodIdentity::new("default", "good-oci");
        let oci_pod = plain_pod(&format!("{p}oci"), &format!("{p}oci"), "10.77.1.2/24");
        let oci_dir = write_containerd_bundle(&oci_id, &oci_pod.path, None);
        // init.pid that cannot be read as a number: a fifo (must not block)
        sh(&format!("mkfifo {}/init.pid", oci_dir.display()));
        let cg_id = PodIdentity::new("default", "good-cgroup");
        let cg_pod = plain_pod(&format!("{p}cg"), &format!("{p}cg"), "10.77.2.2/24");
        put_in_kubepods_cgroup(
            cg_pod.pause_pid().unwrap(),
            CgroupDriver::Cgroupfs,
            Some("besteffort"),
            &cg_id,
        );
        write_pod_log_dir(&cg_id);
        let garbage_pid_id = PodIdentity::new("default", "garbage-pid");
        let garbage_pid_pod = plain_pod(&format!("{p}gp"), &format!("{p}gp"), "10.77.3.2/24");
        let gp_dir = write_containerd_bundle(&garbage_pid_id, &garbage_pid_pod.path, None);
        write_file(&gp_dir.join("init.pid"), b"\xff\x00not a pid");

        let results = Path::new(CNI_RESULTS);
        let bad_cache = [
            (
                "garbage",
                results.join(format!("{BRIDGE_NETWORK}-{}-eth0", random_hex(64))),
            ),
            (
                "truncated",
                results.join(format!("{BRIDGE_NETWORK}-{}-eth0", random_hex(64))),
            ),
            (
                "wrong-types",
                results.join(format!("{BRIDGE_NETWORK}-{}-eth0", random_hex(64))),
            ),
            (
                "directory",
                results.join(format!("{BRIDGE_NETWORK}-{}-eth0", random_hex(64))),
            ),
            (
                "fifo",
                results.join(format!("{BRIDGE_NETWORK}-{}-eth0", random_hex(64))),
            ),
        ];
        write_file(&bad_cache[0].1, b"\xff\xfe\x00\x80 garbage \xc3\x28");
        write_file(
            &bad_cache[1].1,
            br#"{"kind":"cniCacheV1","containerId":"abc","cniArgs":[["K8S_POD_NAME","#,
        );
        write_file(
            &bad_cache[2].1,
            br#"{"kind":"cniCacheV1","containerId":42,"cniArgs":"nope"}"#,
        );
        std::fs::create_dir(&bad_cache[3].1).unwrap();
        sh(&format!("mkfifo {}", bad_cache[4].1.display()));

        let tasks = Path::new(CONTAINERD_TASKS);
        let bad_bundles = [
            ("bad-json", tasks.join(random_hex(64)).join("config.json")),
            ("not-utf8", tasks.join(random_hex(64)).join("config.json")),
            ("directory", tasks.join(random_hex(64)).join("config.json")),
            ("fifo", tasks.join(random_hex(64)).join("config.json")),
        ];
        write_file(
            &bad_bundles[0].1,
            br#"{"annotations":{"io.kubernetes.cri.container-type":"sandbox","#,
        );
        write_file(&bad_bundles[1].1, b"\xff\xff\xff");
        std::fs::create_dir_all(&bad_bundles[2].1).unwrap();
        std::fs::create_dir_all(bad_bundles[3].1.parent().unwrap()).unwrap();
        sh(&format!("mkfifo {}", bad_bundles[3].1.display()));
        // things that are not pods at all are ignored, not warned about
        write_file(&Path::new(POD_LOGS).join("README"), b"not a pod");
        std::fs::create_dir_all(Path::new(POD_LOGS).join("not_a_pod")).unwrap();
        std::fs::create_dir_all(tasks.join("empty-bundle-dir")).unwrap();

        let started = Instant::now();
        let list = ns_list(&[]);
        eprintln!("ns list with bad files: {:?}", started.elapsed());
        let w = warnings(&list);
        eprintln!("warnings: {w:#?}");
        for (what, path) in bad_cache.iter().chain(bad_bundles.iter()) {
            let path = path.display().to_string();
            assert_eq!(
                w.iter().filter(|w| w.contains(&path)).count(),
                1,
                "one warning for the {what} {path}: {w:#?}"
            );
        }
        assert_eq!(
            w.len(),
            bad_cache.len() + bad_bundles.len(),
            "no other warnings: {w:#?}"
        );

        assert_named(&list, &cache_pod, &cache_id, &["cni-cache"]);
        assert_named(&list, &oci_pod, &oci_id, &["oci-config"]);
        assert_named(&list, &cg_pod, &cg_id, &["cgroup", "pod-logs"]);
        assert_named(&list, &garbage_pid_pod, &garbage_pid_id, &["oci-config"]);
        for pod in [&cache_pod, &oci_pod, &cg_pod, &garbage_pid_pod] {
            assert_eq!(
                entry(&list, pod.inode).unwrap()["pause_pid"]
                    .as_i64()
                    .map(|p| p as i32),
                pod.pause_pid()
            );
        }
        assert_eq!(list["namespaces"].as_array().unwrap().len(), 5);

        // the table run prints the same warnings on stderr and exits 0; ns pids works
        let out = podnet_on_node(&["ns", "list"]);
        assert!(out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"));
        assert!(err.contains(&bad_cache[4].1.display().to_string()), "{err}");
        assert_eq!(ns_pids("good-oci")["inode"].as_u64(), Some(oci_pod.inode));
    }
}

// ------------------------------------------------------- the API source

/// A minimal Kubernetes API: answers `GET /api/v1/pods?fieldSelector=spec.nodeName=<node>`
/// with `pods` on 127.0.0.1 of the private node. Returns the port and the request targets seen.
fn start_api_server(node: &str, pods: Vec<Value>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let node = node.to_string();
    fake_api::start(move |path, query| {
        let selector = fake_api::query_param(query, "fieldSelector");
        (path == "/api/v1/pods" && selector.as_deref() == Some(&format!("spec.nodeName={node}")))
            .then(|| json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "42"}, "items": pods}))
    })
}

fn api_pod(id: &PodIdentity, node: &str, ip: Option<&str>, host_network: bool) -> Value {
    let mut status = json!({"phase": "Running"});
    if let Some(ip) = ip {
        status["podIP"] = json!(ip);
        status["podIPs"] = json!([{"ip": ip}]);
    }
    json!({
        "metadata": {"name": id.name, "namespace": id.namespace, "uid": id.uid},
        "spec": {"nodeName": node, "hostNetwork": host_network, "containers": [{"name": "app", "image": "registry.k8s.io/pause:3.9"}]},
        "status": status
    })
}

/// Removes the `kube` sources (and the pods only they named) from a namespaces array.
fn without_kube(namespaces: &Value) -> Value {
    let mut v = namespaces.clone();
    for ns in v.as_array_mut().unwrap() {
        let Some(pod) = ns.get_mut("pod").filter(|p| p.is_object()) else {
            continue;
        };
        pod["sources"]
            .as_array_mut()
            .unwrap()
            .retain(|s| s["kind"] != "kube");
        if pod["sources"].as_array().unwrap().is_empty() {
            ns["pod"] = Value::Null;
        }
    }
    v
}

node_test! {
    /// The Kubernetes API names pods no node file names (by pod IP, and by a
    /// UID learnt from the pause process's cgroup); an unreachable API is a
    /// warning in auto mode (output otherwise identical to --no-kube) and an
    /// error (exit 2) with --kube.
    fn the_kubernetes_api_names_pods_and_its_absence_changes_nothing_else() {
        let p = unique_prefix();
        let node = "test-node-1";
        // named only by the API, matched by pod IP
        let by_ip = PodIdentity::new("apps", "by-ip-0");
        let ip_pod = plain_pod(&format!("{p}ip"), &format!("{p}ip"), "10.77.10.5/24");
        // named only by the API, matched by the UID from the cgroup (the API's IP is elsewhere)
        let by_uid = PodIdentity::new("apps", "by-uid-0");
        let uid_pod = plain_pod(&format!("{p}uid"), &format!("{p}uid"), "10.77.11.5/24");
        put_in_kubepods_cgroup(
            uid_pod.pause_pid().unwrap(),
            CgroupDriver::Cgroupfs,
            Some("burstable"),
            &by_uid,
        );
        // named by the cache and the API, agreeing
        let both = PodIdentity::new("default", "web-0");
        let both_pod = cni_bridge_pod(&format!("cni-{}", random_uid()), &both);
        // a pod the API does not know
        let unknown_pod = plain_pod(&format!("{p}unk"), &format!("{p}unk"), "10.77.12.5/24");
        // API pods that must not attach: hostNetwork (the node's address), elsewhere, finished
        sh("ip addr add 192.168.77.10/24 dev lo");
        let hostnet = PodIdentity::new("kube-system", "kube-proxy-abcde");
        let elsewhere = PodIdentity::new("apps", "not-here");
        let pods = vec![
            api_pod(&by_ip, node, ip_pod.ip.as_deref(), false),
            api_pod(&by_uid, node, Some("10.99.0.7"), false),
            api_pod(&both, node, both_pod.ip.as_deref(), false),
            api_pod(&hostnet, node, Some("192.168.77.10"), true),
            api_pod(&elsewhere, node, Some("10.99.0.8"), false),
        ];
        let (port, seen) = start_api_server(node, pods);
        let kubeconfig = format!("/run/{p}kubeconfig");
        write_kubeconfig(&kubeconfig, &format!("http://127.0.0.1:{port}"));

        let list = ns_list(&["--kubeconfig", &kubeconfig, "--node-name", node]);
        eprintln!("requests: {:?}", seen.lock().unwrap());
        {
            let reqs = seen.lock().unwrap();
            assert_eq!(reqs.len(), 1, "{reqs:?}");
            // what kube sends: the selector URL-encoded, after an empty first parameter
            assert!(reqs[0].starts_with("GET /api/v1/pods?"), "{reqs:?}");
            let selector = reqs[0]
                .split(['?', '&'])
                .find_map(|kv| kv.strip_prefix("fieldSelector="))
                .map(fake_api::url_decode);
            assert_eq!(
                selector.as_deref(),
                Some("spec.nodeName=test-node-1"),
                "{reqs:?}"
            );
        }
        // ns pids by the address the API matched
        let v = podnet_on_node_json(&[
            "ns",
            "pids",
            "10.77.10.5",
            "-o",
            "json",
            "--kubeconfig",
            &kubeconfig,
            "--node-name",
            node,
        ]);
        assert_eq!(v["pod"]["name"], "by-ip-0");
        assert_no_warnings(&list);
        assert_named(&list, &ip_pod, &by_ip, &["kube"]);
        let from = pod_of(&list, ip_pod.inode)["sources"][0]["from"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            from.starts_with("http://127.0.0.1:") && from.ends_with("/api/v1/namespaces/apps/pods/by-ip-0"),
            "the API object's URL: {from}"
        );
        assert_named(&list, &uid_pod, &by_uid, &["kube", "cgroup"]);
        assert_eq!(
            pod_of(&list, uid_pod.inode)["sandbox_id"],
            by_uid.sandbox_id
        );
        assert_named(&list, &both_pod, &both, &["cni-cache", "kube"]);
        assert!(pod_of(&list, unknown_pod.inode).is_null());
        assert!(
            list["namespaces"][0]["pod"].is_null(),
            "the node's netns is no pod"
        );
        // ns pids by a name only the API knows
        let v = podnet_on_node_json(&[
            "ns",
            "pids",
            "apps/by-uid-0",
            "-o",
            "json",
            "--kubeconfig",
            &kubeconfig,
            "--node-name",
            node,
        ]);
        assert_eq!(pid_vec(&v["pids"]), vec![uid_pod.pause_pid().unwrap()]);
        // --kube with a working API is the same
        let forced = ns_list(&["--kube", "--kubeconfig", &kubeconfig, "--node-name", node]);
        assert_eq!(forced["namespaces"], list["namespaces"]);

        // Closed port: auto mode warns and otherwise changes nothing.
        let closed = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let dead = format!("/run/{p}dead-kubeconfig");
        write_kubeconfig(&dead, &format!("http://127.0.0.1:{closed}"));
        let no_kube = ns_list(&["--no-kube"]);
        assert_no_warnings(&no_kube);
        let started = Instant::now();
        let auto = ns_list(&["--kubeconfig", &dead, "--node-name", node]);
        eprintln!("auto mode with a closed port: {:?}", started.elapsed());
        assert_eq!(
            without_kube(&auto["namespaces"]),
            without_kube(&no_kube["namespaces"])
        );
        assert_eq!(auto["namespaces"], no_kube["namespaces"]);
        let w = warnings(&auto);
        assert_eq!(w.len(), 1, "{w:#?}");
        assert!(
            w[0].contains("kubernetes API") && w[0].contains(&closed.to_string()),
            "{w:#?}"
        );
        // and the working API's answer minus its kube sources is the node-only answer for
        // every pod some node file names
        let stripped = without_kube(&list["namespaces"]);
        for a in stripped.as_array().unwrap() {
            let inode = a["inode"].as_u64().unwrap();
            if inode != ip_pod.inode && inode != uid_pod.inode {
                assert_eq!(Some(a), entry(&no_kube, inode), "netns {inode}");
            }
        }

        // --kube with an unreachable API: exit 2, one error line
        let out = podnet_on_node(&[
            "ns",
            "list",
            "-o",
            "json",
            "--kube",
            "--kubeconfig",
            &dead,
            "--node-name",
            node,
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.lines()
                .next()
                .unwrap()
                .starts_with("podnet: error: kubernetes API"),
            "{err}"
        );
        assert!(!err.contains("panicked"));
        assert!(out.stdout.is_empty());

        // an API that answers garbage: a warning in auto mode, exit 2 with --kube
        let garbage = TcpListener::bind("127.0.0.1:0").unwrap();
        let gport = garbage.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for conn in garbage.incoming() {
                let Ok(mut c) = conn else { continue };
                let mut buf = [0u8; 4096];
                let _ = std::io::Read::read(&mut c, &mut buf);
                let _ = c.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot json!",
                );
            }
        });
        let bad = format!("/run/{p}garbage-kubeconfig");
        write_kubeconfig(&bad, &format!("http://127.0.0.1:{gport}"));
        let auto = ns_list(&["--kubeconfig", &bad, "--node-name", node]);
        assert_eq!(auto["namespaces"], no_kube["namespaces"]);
        assert_eq!(warnings(&auto).len(), 1, "{auto:#}");
        let out = podnet_on_node(&[
            "ns",
            "list",
            "--kube",
            "--kubeconfig",
            &bad,
            "--node-name",
            node,
        ]);
        assert_eq!(out.status.code(), Some(2));

        // an API that accepts connections and never answers: a warning after
        // podnet's timeout, not a hang
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let sport = silent.local_addr().unwrap().port();
        let held = Arc::new(Mutex::new(Vec::new()));
        let held2 = held.clone();
        std::thread::spawn(move || {
            for conn in silent.incoming().flatten() {
                held2.lock().unwrap().push(conn); // keep it open, say nothing
            }
        });
        let mute = format!("/run/{p}silent-kubeconfig");
        write_kubeconfig(&mute, &format!("http://127.0.0.1:{sport}"));
        // (a run that never ends fails: podnet_on_node kills it after PODNET_TIMEOUT)
        let started = Instant::now();
        let auto = ns_list(&["--kubeconfig", &mute, "--node-name", node]);
        eprintln!("auto mode with a silent API: {:?}", started.elapsed());
        assert_eq!(auto["namespaces"], no_kube["namespaces"]);
        let w = warnings(&auto);
        assert!(w.len() == 1 && w[0].contains("kubernetes API"), "{w:#?}");
        assert!(!held.lock().unwrap().is_empty(), "podnet did connect");
    }
}
