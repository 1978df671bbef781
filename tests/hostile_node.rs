//! The diagnostics on a hostile live node (root tests, each on its own
//! private node): interface names with terminal escapes set by a pod with
//! CAP_NET_ADMIN and annotations holding escapes; fifos, /dev/zero links
//! and 1 GB files in place of runtime files; a DaemonSet-like host root
//! (`--host-root`) that bind-mounts the node's /proc and whose absolute
//! links must resolve inside it. Every podnet run is bounded in time and
//! address space; the oracles are `ip -j` and the files on disk, and a
//! snapshot of links, addresses, routes and runtime files before and after
//! shows the node unchanged.

mod common;

use std::path::Path;
use std::process::Command;

use common::hostile::{assert_no_raw_controls, run_bounded};
use common::node::*;
use common::sh;
use serde_json::{Value, json};

/// An interface name that sets the terminal title (ESC ] … BEL): 8 bytes,
/// which the kernel allows (it refuses only '/', ':', whitespace).
const POD_IF: &str = "e\u{1b}]0;pw\u{7}";
/// An interface name that clears the screen.
const HOST_IF: &str = "h\u{1b}[2J\u{7}";

/// `ip <args…>` without a shell, so the names go to the kernel as they are.
fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("spawn ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ip -j <args…>` parsed. iproute2 prints control characters in names
/// raw, which JSON does not allow: they are escaped first (its output is one
/// line, so no control character there is JSON's own).
fn ip_json(args: &[&str]) -> Value {
    let mut all = vec!["-j"];
    all.extend_from_slice(args);
    let out = Command::new("ip").args(&all).output().expect("spawn ip");
    assert!(out.status.success(), "ip {all:?}");
    let mut text = Vec::with_capacity(out.stdout.len());
    for &b in out.stdout.trim_ascii_end() {
        if b < 0x20 {
            text.extend_from_slice(format!("\\u{b:04x}").as_bytes());
        } else {
            text.push(b);
        }
    }
    serde_json::from_slice(&text).unwrap_or_else(|e| {
        panic!(
            "ip {all:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&text)
        )
    })
}

/// The names `ip -j link` shows in a namespace (`None`: the node's own).
fn link_names(netns: Option<&str>) -> Vec<String> {
    let v = match netns {
        Some(ns) => ip_json(&["-n", ns, "link"]),
        None => ip_json(&["link"]),
    };
    v.as_array()
        .expect("links")
        .iter()
        .filter_map(|l| l["ifname"].as_str().map(str::to_string))
        .collect()
}

/// The row of `veth list -o json` for `pod`'s netns.
fn veth_pair_of(pod: &Pod) -> Value {
    let veths = json(&podnet(&["veth", "list", "-o", "json"], &[0]));
    veths["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .find(|p| p["netns_inode"] == pod.inode)
        .expect("the pod's pair")
        .clone()
}

/// podnet with `--no-kube`, bounded; `ok` lists the exit codes that are answers here.
fn podnet(args: &[&str], ok: &[i32]) -> std::process::Output {
    let mut all = vec!["--no-kube"];
    all.extend_from_slice(args);
    let out = run_bounded(&all, &[]);
    assert!(
        out.status.code().is_some_and(|c| ok.contains(&c)),
        "podnet {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// Links, addresses and routes of the node and of `pods`, and every runtime
/// file with its kind, size and mtime: what "nothing changed" compares.
/// Only what a command could change is kept, not what the kernel settles
/// on its own meanwhile (carrier, operstate, IPv6 link-local addresses
/// and their routes, DAD flags).
fn snapshot(pods: &[&Pod]) -> String {
    let mut s = String::new();
    let mut netns: Vec<Option<&str>> = vec![None];
    netns.extend(pods.iter().map(|p| Some(p.netns.as_str())));
    for ns in netns {
        let ip_in = |what: &[&str]| -> Value {
            let mut a: Vec<&str> = ns.map(|n| vec!["-n", n]).unwrap_or_default();
            a.extend_from_slice(what);
            ip_json(&a)
        };
        let keep = |v: &Value, fields: &[&str]| -> String {
            let rows: Vec<Value> = v
                .as_array()
                .expect("ip -j array")
                .iter()
                .map(|o| {
                    Value::Object(
                        fields
                            .iter()
                            .map(|f| (f.to_string(), o[*f].clone()))
                            .collect(),
                    )
                })
                .collect();
            Value::Array(rows).to_string()
        };
        s += &keep(
            &ip_in(&["link"]),
            &[
                "ifname",
                "ifindex",
                "mtu",
                "address",
                "link_index",
                "link_netnsid",
                "master",
            ],
        );
        for l in ip_in(&["addr"]).as_array().expect("addrs") {
            for a in l["addr_info"].as_array().into_iter().flatten() {
                if a["scope"] != "link" {
                    s += &format!(
                        "{} {} {}/{}\n",
                        l["ifname"], a["family"], a["local"], a["prefixlen"]
                    );
                }
            }
        }
        s += &keep(
            &ip_in(&["route"]),
            &["dst", "gateway", "dev", "prefsrc", "scope"],
        );
    }
    s += &sh(
        "find /run /var/lib/cni /var/log/pods /var/lib/containers /etc/cni/net.d \
              -xdev -printf '%p %y %s %T@\\n' | sort",
    );
    s
}

/// A pod whose interface names (both veth ends) carry terminal escapes, set
/// from inside its own netns and from the node, and whose containerd
/// bundle names it with escapes too.
fn escaped_pod(pfx: &str) -> (Pod, PodIdentity) {
    let mut pod = plain_pod(&format!("{pfx}esc"), &format!("{pfx}h"), "10.77.0.2/24");
    let host = pod.host_veth.clone().expect("host veth");
    ip(&["link", "set", "dev", &host, "down"]);
    ip(&["link", "set", "dev", &host, "name", HOST_IF]);
    ip(&["link", "set", "dev", HOST_IF, "up"]);
    ip(&["-n", &pod.netns, "link", "set", "dev", "eth0", "down"]);
    ip(&[
        "-n", &pod.netns, "link", "set", "dev", "eth0", "name", POD_IF,
    ]);
    ip(&["-n", &pod.netns, "link", "set", "dev", POD_IF, "up"]);
    pod.host_veth = Some(HOST_IF.into());
    let id = PodIdentity::new("ns\u{1b}[2J\u{9b}31m", "web\u{1b}]0;pwned\u{7}\u{202e}x");
    let dir = write_containerd_bundle(&id, &pod.path, pod.pause_pid());
    pod.files.push(dir);
    (pod, id)
}

node_test! {
    fn escape_sequences_in_interface_names_and_annotations_never_reach_the_terminal() {
        let pfx = unique_prefix();
        let (mut pod, id) = escaped_pod(&pfx);
        // the ground truth: the kernel holds the names as they were given
        assert!(link_names(Some(&pod.netns)).contains(&POD_IF.to_string()));
        assert!(link_names(None).contains(&HOST_IF.to_string()));
        // and a libcni cache entry naming the pod and its interface, for `cni …`
        let cache = write_cni_cache(
            "pods",
            POD_IF,
            Some(&pod.path),
            &id,
            &json!({"cniVersion": "1.0.0", "name": "pods", "type": "bridge"}),
            &json!({
                "cniVersion": "1.0.0",
                "interfaces": [{"name": POD_IF, "sandbox": pod.path}],
                "ips": [{"address": "10.77.0.2/24", "interface": 0}]
            }),
        );
        pod.files.push(cache);
        let before = snapshot(&[&pod]);
        let full = id.full();
        let pod_ref = pod.path.as_str();
        for (args, ok) in [
            (&["ns", "list"][..], &[0][..]),
            (&["ns", "list", "-o", "wide", "-v"], &[0]),
            (&["ns", "pids", &full], &[0]),
            (&["veth", "list"], &[0]),
            (&["veth", "list", "--stats", "-o", "wide"], &[0]),
            (&["veth", "pair", &full, "--stats"], &[0]),
            (&["veth", "pair", HOST_IF], &[0]),
            (&["ethtool", HOST_IF], &[0]),
            (&["ethtool", POD_IF, "-n", pod_ref], &[0]),
            (&["ethtool", &full], &[0]),
            (&["doctor", "--sample", "0.1"], &[0, 1]),
            (&["doctor", "--sample", "0.1", "-v"], &[0, 1]),
            (&["trace", &full, "10.77.0.1"], &[0, 1, 2]),
            (&["probe", &full, "10.77.0.1", "-c", "1", "--timeout", "0.2"], &[0, 1, 2]),
            (&["exec", &full, "--", "true"], &[0]),
            (&["cni", "ls"], &[0]),
            (&["cni", "ls", "-o", "wide"], &[0]),
            (&["cni", "gc", "--dry-run"], &[0, 1]),
            (&["veth", "pair", &format!("no{HOST_IF}such")], &[2]),
            (&["ethtool", &format!("no{POD_IF}such")], &[2]),
        ] {
            let out = podnet(args, ok);
            assert_no_raw_controls(&format!("{args:?}"), &out);
        }
        // shown escaped
        let table = podnet(&["veth", "list"], &[0]);
        let text = String::from_utf8_lossy(&table.stdout);
        assert!(text.contains("h\\x1b[2J\\x07"), "{text}");
        assert!(text.contains("e\\x1b]0;pw\\x07@if"), "{text}");
        // JSON keeps every name exactly, as `ip -j` shows it
        let list = json(&podnet(&["ns", "list", "-o", "json"], &[0]));
        let ns = entry(&list, pod.inode).expect("the pod's netns");
        assert_eq!(ns["pod"]["name"], id.name.as_str(), "{ns:#}");
        assert_eq!(ns["pod"]["namespace"], id.namespace.as_str());
        let names: Vec<&str> = ns["interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["name"].as_str())
            .collect();
        assert!(names.contains(&POD_IF), "{names:?}");
        let pair = veth_pair_of(&pod);
        assert_eq!(pair["pod_if"]["name"], POD_IF, "{pair:#}");
        assert_eq!(pair["host_if"]["name"], HOST_IF, "{pair:#}");
        assert_eq!(pair["status"], "paired");
        assert_eq!(snapshot(&[&pod]), before, "podnet changed the node");
        pod.delete();
    }
}

/// Replaces `path` with a fifo nobody writes to.
fn fifo(path: &str) {
    write_file(Path::new(path), b"");
    std::fs::remove_file(path).expect("rm");
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o644)).expect("mkfifo");
}

/// Replaces `path` with a symlink to `target`.
fn link(path: &str, target: &str) {
    write_file(Path::new(path), b"");
    std::fs::remove_file(path).expect("rm");
    std::os::unix::fs::symlink(target, path).expect("symlink");
}

/// A sparse file of `len` bytes (no disk space used) that starts like JSON.
fn sparse(path: &str, len: u64) {
    write_file(Path::new(path), b"{\"kind\":\"");
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(len))
        .expect("set_len");
}

node_test! {
    fn fifos_dev_zero_links_and_huge_files_on_a_live_node_are_warnings() {
        let pfx = unique_prefix();
        let mut pod = plain_pod(&format!("{pfx}ok"), &format!("{pfx}h"), "10.78.0.2/24");
        let id = PodIdentity::new("default", "web-ok");
        let result = json!({"cniVersion": "1.0.0",
            "interfaces": [{"name": "eth0", "sandbox": pod.path}],
            "ips": [{"interface": 0, "address": "10.78.0.2/24"}]});
        pod.files.push(write_cni_cache("podnet-test", "eth0", Some(&pod.path), &id, &json!({}), &result));
        let results = CNI_RESULTS;
        link(&format!("{results}/net-zero-eth0"), "/dev/zero");
        fifo(&format!("{results}/net-fifo-eth0"));
        sparse(&format!("{results}/net-huge-eth0"), 1 << 30);
        let tasks = CONTAINERD_TASKS;
        link(&format!("{tasks}/zero/config.json"), "/dev/zero");
        fifo(&format!("{tasks}/fifo/config.json"));
        sparse(&format!("{tasks}/huge/config.json"), 1 << 30);
        let other = PodIdentity::new("default", "fifo-pid");
        let bundle = write_containerd_bundle(&other, "/run/netns/none", None);
        fifo(&bundle.join("init.pid").to_string_lossy());
        link(&format!("{CONTAINERS_STORAGE}/zero/userdata/config.json"), "/dev/zero");
        fifo("/run/containers/storage/overlay-containers/zero/userdata/pidfile");
        fifo(&format!("{POD_LOGS}/default_fifo_{}", random_uid()));
        link(&format!("{POD_LOGS}/default_zero_{}", random_uid()), "/dev/zero");
        let before = snapshot(&[&pod]);

        let list = json(&podnet(&["ns", "list", "-o", "json"], &[0]));
        let ns = entry(&list, pod.inode).expect("the pod's netns");
        assert_eq!(ns["pod"]["name"], "web-ok", "{list:#}");
        let w = warnings(&list);
        for (file, why) in [
            ("net-zero-eth0", "device"),
            ("net-fifo-eth0", "fifo"),
            ("net-huge-eth0", "larger than"),
            ("zero/config.json", "device"),
            ("fifo/config.json", "fifo"),
            ("huge/config.json", "larger than"),
        ] {
            assert!(
                w.iter().any(|x| x.contains(file) && x.contains(why)),
                "no warning on {file} ({why}): {w:#?}"
            );
        }
        let pair = veth_pair_of(&pod);
        assert_eq!(pair["host_if"]["name"], pod.host_veth.as_deref().unwrap());
        assert_eq!(pair["pod"]["name"], "web-ok");
        for args in [
            &["ns", "list"][..],
            &["ns", "list", "--deep", "-o", "wide", "-v"],
            &["ns", "pids", "default/web-ok"],
            &["veth", "list", "--stats"],
            &["veth", "pair", "default/web-ok"],
        ] {
            let out = podnet(args, &[0]);
            assert_no_raw_controls(&format!("{args:?}"), &out);
        }
        let out = podnet(&["doctor", "--sample", "0.1"], &[0, 1]);
        assert_no_raw_controls("doctor", &out);
        assert_eq!(snapshot(&[&pod]), before, "podnet changed the node");
        pod.delete();
    }
}

node_test! {
    fn doctor_survives_fifos_device_links_and_huge_files_in_the_cni_conf_dir() {
        link("/etc/cni/net.d/10-zero.conflist", "/dev/zero");
        fifo("/etc/cni/net.d/20-fifo.conflist");
        sparse("/etc/cni/net.d/30-huge.conflist", 1 << 30);
        write_file(
            Path::new("/etc/cni/net.d/40-ok.conflist"),
            br#"{"cniVersion":"1.0.0","name":"ok","plugins":[{"type":"bridge"}]}"#,
        );
        let before = snapshot(&[]);
        let doctor = json(&podnet(&["doctor", "--sample", "0.1", "-o", "json"], &[0, 1]));
        let cni = doctor["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "cni")
            .expect("the cni check");
        let cni_text = cni.to_string();
        for f in ["10-zero.conflist", "20-fifo.conflist", "30-huge.conflist"] {
            assert!(cni_text.contains(f), "the cni check names {f}: {cni:#}");
        }
        assert_eq!(snapshot(&[]), before, "podnet changed the node");
    }
}

node_test! {
    fn a_daemonset_host_root_resolves_links_inside_it_and_still_pairs() {
        let pfx = unique_prefix();
        let pod = plain_pod(&format!("{pfx}ds"), &format!("{pfx}h"), "10.79.0.2/24");
        let host_veth = pod.host_veth.clone().unwrap();
        // the node as a DaemonSet sees it: its /proc and /run/netns mounted
        // under /host, its CNI cache behind an absolute link
        let host = format!("/run/{pfx}host");
        std::fs::create_dir_all(format!("{host}/proc")).unwrap();
        std::fs::create_dir_all(format!("{host}/run/netns")).unwrap();
        std::fs::create_dir_all(format!("{host}/var/lib")).unwrap();
        sh(&format!("mount --bind /proc {host}/proc"));
        sh(&format!("mount --rbind /run/netns {host}/run/netns"));
        let cache = |name: &str| {
            json!({"kind": "cniCacheV1", "containerId": random_hex(64), "config": "e30=",
                "ifName": "eth0", "networkName": "net", "netns": pod.path,
                "cniArgs": [["K8S_POD_NAMESPACE", "default"], ["K8S_POD_NAME", name]],
                "result": {"interfaces": [{"name": "eth0", "sandbox": pod.path}],
                           "ips": [{"interface": 0, "address": "10.79.0.2/24"}]}})
            .to_string()
        };
        let data = format!("/run/{pfx}cni-data");
        write_file(Path::new(&format!("{host}{data}/results/net-a-eth0")), cache("real").as_bytes());
        std::os::unix::fs::symlink(&data, format!("{host}/var/lib/cni")).unwrap();
        // the same absolute path on podnet's own filesystem holds a decoy
        write_file(Path::new(&format!("{data}/results/net-a-eth0")), cache("decoy").as_bytes());
        let before = snapshot(&[&pod]);

        for via in ["flag", "env"] {
            let out = if via == "flag" {
                podnet(&["--host-root", &host, "ns", "list", "-o", "json"], &[0])
            } else {
                let o = run_bounded(
                    &["--no-kube", "ns", "list", "-o", "json"],
                    &[("PODNET_HOST_ROOT", &host)],
                );
                assert_eq!(o.status.code(), Some(0));
                o
            };
            let list = json(&out);
            let ns = entry(&list, pod.inode).unwrap_or_else(|| panic!("{via}: {list:#}"));
            assert_eq!(ns["pod"]["name"], "real", "{via}: {list:#}");
            assert!(!list.to_string().contains("decoy"), "{via}: {list:#}");
            assert_eq!(ns["pause_pid"], pod.pause_pid().unwrap());
        }
        // pairing through the bind-mounted /proc, and on `/`, as `ip -j` shows it
        let host_ifindex = ip_json(&["link", "show", "dev", &host_veth])[0]["ifindex"].clone();
        let pod_eth0 = ip_json(&["-n", &pod.netns, "link", "show", "dev", "eth0"]);
        assert_eq!(pod_eth0[0]["link_index"], host_ifindex);
        for root in [host.as_str(), "/"] {
            for deep in [false, true] {
                let mut args = vec!["--host-root", root, "veth", "list", "-o", "json"];
                if deep {
                    args.push("--deep");
                }
                let veths = json(&podnet(&args, &[0]));
                let pair = veths["pairs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["netns_inode"] == pod.inode)
                    .unwrap_or_else(|| panic!("{root}: {veths:#}"));
                assert_eq!(pair["status"], "paired", "{root}: {pair:#}");
                assert_eq!(pair["host_if"]["name"], host_veth.as_str());
                assert_eq!(pair["host_if"]["ifindex"], host_ifindex);
                assert_eq!(pair["pod_if"]["ifindex"], pod_eth0[0]["ifindex"]);
            }
        }
        // entering the pod through the host root's handles
        let exec = podnet(&["--host-root", &host, "exec", &pod.path, "--", "ip", "-j", "link"], &[0]);
        let inside: Value = serde_json::from_slice(&exec.stdout).expect("ip -j link in the pod");
        assert!(inside.to_string().contains("\"eth0\""), "{inside}");
        assert_eq!(snapshot(&[&pod]), before, "podnet changed the node");
        sh(&format!("umount -l {host}/run/netns && umount {host}/proc"));
        pod.delete();
    }
}
