//! `podnet ns list` / `ns pids` on a fixture host root: identity from each
//! source, conflicts, stale and malformed runtime files, the JSON contract.
//! Needs no privileges (a fixture tree is not a live procfs).

mod common;

use common::fixture::FixtureRoot;
use common::podnet;
use serde_json::Value;

const UID_A: &str = "6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b";
const UID_B: &str = "11111111-2222-3333-4444-555555555555";
const UID_C: &str = "22222222-3333-4444-5555-666666666666";
const SID_A: &str = "aaaa1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888";
const SID_C: &str = "cccc1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888";
const SID_D: &str = "dddd1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888";

/// A node with: the host; pod A named by the CNI cache; pod B named by a
/// cgroup + /var/log/pods; pod C named by a containerd config.json; pod D
/// whose CNI cache and config.json disagree; a leaked bind-mounted netns.
fn node() -> FixtureRoot {
    let mut f = FixtureRoot::new();
    f.process(1, 0, "systemd", 1, 1000, None);
    f.process(50, 1, "containerd-shim", 5, 1000, None);
    // pod A: plain pause, CNI cache only
    f.process(100, 50, "pause", 100, 2001, None);
    f.process(101, 50, "nginx", 110, 2001, None);
    f.bind_mount(2001, "/run/netns/cni-aaaa");
    f.cni_cache(
        "cbr0",
        SID_A,
        "/var/run/netns/cni-aaaa",
        ("default", "web-a", UID_A),
        "10.244.0.5/24",
    );
    // pod B: cgroupfs-driver cgroup + kubelet log dir
    let cg = format!("12:pids:/kubepods/besteffort/pod{UID_B}/{SID_A}0\n0::/\n")
        .replace(&format!("{SID_A}0"), &"b".repeat(64));
    f.process(200, 50, "pause", 200, 2002, Some(&cg));
    f.pod_log_dir("kube-system", "coredns-b", UID_B);
    f.pod_log_dir(
        "kube-system",
        "gone-pod",
        "33333333-4444-5555-6666-777777777777",
    ); // a pod that no longer runs here: silent
    // pod C: containerd bundle only (init.pid names the infra process, not called pause)
    f.process(300, 50, "sleep", 300, 2003, None);
    f.process(299, 1, "pause", 299, 2003, None);
    f.bind_mount(2003, "/run/netns/cni-cccc");
    f.containerd_sandbox(
        SID_C,
        "/var/run/netns/cni-cccc",
        ("prod", "api-c", UID_C),
        300,
    );
    // pod D: sources disagree on the name
    f.process(400, 50, "pause", 400, 2004, None);
    f.bind_mount(2004, "/run/netns/cni-dddd");
    f.cni_cache(
        "cbr0",
        SID_D,
        "/run/netns/cni-dddd",
        ("prod", "db-cache-name", UID_C.replace('2', "9").as_str()),
        "10.244.0.9/24",
    );
    f.containerd_sandbox(
        SID_D,
        "/run/netns/cni-dddd",
        ("prod", "db-oci-name", UID_C.replace('2', "9").as_str()),
        400,
    );
    // a leaked namespace: bind mount, no process
    f.bind_mount(2005, "/run/netns/leaked");
    f
}

fn list(f: &FixtureRoot) -> Value {
    common::podnet_json(&[
        "--host-root",
        &f.arg(),
        "--no-kube",
        "ns",
        "list",
        "-o",
        "json",
    ])
}

fn by_inode(v: &Value, inode: u64) -> &Value {
    v["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["inode"] == inode)
        .unwrap_or_else(|| panic!("netns {inode} missing from {v:#}"))
}

fn source_kinds(ns: &Value) -> Vec<String> {
    ns["pod"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_namespace_is_listed_with_pause_and_paths() {
    let v = list(&node());
    let inodes: Vec<u64> = v["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["inode"].as_u64().unwrap())
        .collect();
    assert_eq!(inodes.len(), 6, "{v:#}");
    let host = by_inode(&v, 1000);
    assert_eq!(host["host"], true);
    assert_eq!(host["pause_pid"], Value::Null);
    assert_eq!(inodes[0], 1000, "the host comes first");
    let a = by_inode(&v, 2001);
    assert_eq!(a["pause_pid"], 100);
    assert_eq!(a["pids"], 2);
    assert_eq!(a["paths"], serde_json::json!(["/run/netns/cni-aaaa"]));
    let leaked = by_inode(&v, 2005);
    assert_eq!(leaked["pids"], 0);
    assert_eq!(leaked["pod"], Value::Null);
    assert_eq!(
        by_inode(&v, 2003)["pause_pid"],
        300,
        "the runtime's init.pid beats a process named pause"
    );
}

#[test]
fn each_identity_source_names_a_pod_on_its_own() {
    let v = list(&node());
    let a = by_inode(&v, 2001);
    assert_eq!(
        (a["pod"]["namespace"].as_str(), a["pod"]["name"].as_str()),
        (Some("default"), Some("web-a"))
    );
    assert_eq!(a["pod"]["uid"], UID_A);
    assert_eq!(a["pod"]["sandbox_id"], SID_A);
    assert_eq!(source_kinds(a), vec!["cni-cache"]);

    let b = by_inode(&v, 2002);
    assert_eq!(
        (b["pod"]["namespace"].as_str(), b["pod"]["name"].as_str()),
        (Some("kube-system"), Some("coredns-b"))
    );
    assert_eq!(b["pod"]["sandbox_id"], "b".repeat(64));
    assert_eq!(source_kinds(b), vec!["cgroup", "pod-logs"]);

    let c = by_inode(&v, 2003);
    assert_eq!(
        (c["pod"]["namespace"].as_str(), c["pod"]["name"].as_str()),
        (Some("prod"), Some("api-c"))
    );
    assert_eq!(c["pod"]["runtime"], "containerd");
    assert_eq!(source_kinds(c), vec!["oci-config"]);
    assert!(
        c["pod"]["sources"][0]["from"]
            .as_str()
            .unwrap()
            .ends_with(&format!("k8s.io/{SID_C}/config.json"))
    );
}

#[test]
fn a_conflict_between_sources_is_reported() {
    let v = list(&node());
    let d = by_inode(&v, 2004);
    assert_eq!(
        d["pod"]["name"], "db-oci-name",
        "the runtime's own config is trusted first"
    );
    let conflicts = d["pod"]["conflicts"].as_array().expect("conflicts listed");
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0]["field"], "name");
    let values: Vec<&str> = conflicts[0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, vec!["db-oci-name", "db-cache-name"]);
    let warnings = v["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("disagree on name")),
        "{warnings:?}"
    );
}

#[test]
fn malformed_and_stale_runtime_files_are_warnings() {
    let f = node();
    f.write("/var/lib/cni/results/cbr0-bad-eth0", "{ not json");
    f.write(
        "/run/containerd/io.containerd.runtime.v2.task/k8s.io/badbundle/config.json",
        "[1,2",
    );
    f.cni_cache(
        "cbr0",
        "eeee0000eeee0000",
        "/run/netns/cni-gone",
        ("default", "old", UID_A),
        "10.244.0.77/24",
    );
    std::fs::create_dir_all(f.path().join("var/lib/cni/results/a-directory-eth0")).unwrap();
    f.write("/proc/500/stat", "500 (half) S 1"); // a process that vanished mid-scan: no ns/net
    let v = list(&f);
    let w: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        w.iter()
            .any(|x| x.contains("cbr0-bad-eth0") && x.contains("not a CNI cache file")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|x| x.contains("badbundle/config.json") && x.contains("not an OCI config.json")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|x| x.starts_with("stale cni-cache") && x.contains("default/old")),
        "{w:?}"
    );
    assert!(w.iter().any(|x| x.contains("a-directory-eth0")), "{w:?}");
    // everything else is still right
    assert_eq!(by_inode(&v, 2001)["pod"]["name"], "web-a");
    assert_eq!(by_inode(&v, 2003)["pod"]["name"], "api-c");
}

#[test]
fn json_contract_keys() {
    let v = list(&node());
    let top: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(top, vec!["namespaces", "warnings"]);
    let a = by_inode(&v, 2001);
    for key in [
        "inode",
        "host",
        "paths",
        "pids",
        "pause_pid",
        "interfaces",
        "pod",
    ] {
        assert!(a.get(key).is_some(), "missing {key}");
    }
    for key in [
        "namespace",
        "name",
        "uid",
        "sandbox_id",
        "runtime",
        "sources",
    ] {
        assert!(a["pod"].get(key).is_some(), "missing pod.{key}");
    }
}

#[test]
fn ns_pids_resolves_references_and_puts_pause_first() {
    let f = node();
    let root = f.arg();
    for q in [
        "web-a",
        "default/web-a",
        UID_A,
        &SID_A[..8],
        "100",
        "101",
        "/run/netns/cni-aaaa",
        "cni-aaaa",
        "2001",
    ] {
        let v = common::podnet_json(&[
            "--host-root",
            &root,
            "--no-kube",
            "ns",
            "pids",
            q,
            "-o",
            "json",
        ]);
        assert_eq!(v["inode"], 2001, "{q}");
        assert_eq!(v["pids"], serde_json::json!([100, 101]), "{q}");
    }
    let out = podnet(&["--host-root", &root, "--no-kube", "ns", "pids", "web-a"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().nth(1).unwrap();
    assert!(
        first.starts_with("100") && first.ends_with("pause"),
        "{text}"
    );
}

#[test]
fn a_path_that_is_no_network_namespace_says_what_it_is() {
    let f = node();
    f.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
    let run = |r: &str| {
        let out = podnet(&["--host-root", &f.arg(), "--no-kube", "ns", "pids", r]);
        assert_eq!(out.status.code(), Some(2), "{r}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert_eq!(
        run("/etc/passwd"),
        "podnet: error: /etc/passwd is not a network namespace: it is a regular file\n"
    );
    assert_eq!(
        run("/etc"),
        "podnet: error: /etc is not a network namespace: it is a directory\n"
    );
    assert_eq!(
        run("/run/netns/gone"),
        "podnet: error: /run/netns/gone does not exist\n"
    );
}

#[test]
fn unknown_and_ambiguous_pods_are_one_line_errors() {
    let f = node();
    f.cni_cache(
        "cbr0",
        SID_A,
        "/run/netns/cni-aaaa",
        ("default", "web-a", UID_A),
        "10.244.0.5/24",
    );
    let out = podnet(&[
        "--host-root",
        &f.arg(),
        "--no-kube",
        "ns",
        "pids",
        "no-such-pod",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("podnet: error: no pod or network namespace on this node matches \"no-such-pod\"\nhint: "), "{err}");
    assert!(!err.contains("panicked"));

    // "prod" pods api-c and db-oci-name differ; make two pods share a name across namespaces
    let mut f2 = node();
    f2.process(600, 50, "pause", 600, 2006, None);
    f2.bind_mount(2006, "/run/netns/cni-ffff");
    f2.cni_cache(
        "cbr0",
        "ffff0000ffff0000",
        "/run/netns/cni-ffff",
        ("staging", "web-a", UID_C),
        "10.244.0.6/24",
    );
    let out = podnet(&["--host-root", &f2.arg(), "--no-kube", "ns", "pids", "web-a"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let first = err.lines().next().unwrap();
    assert!(
        first.contains("ambiguous")
            && first.contains("default/web-a (netns 2001)")
            && first.contains("staging/web-a (netns 2006)"),
        "{err}"
    );
}

#[test]
fn fixture_roots_need_no_privileges_and_say_interfaces_were_not_read() {
    let v = list(&node());
    let w = v["warnings"].as_array().unwrap();
    assert!(
        w.iter()
            .any(|x| x.as_str().unwrap().contains("not a live procfs")),
        "{w:?}"
    );
}

#[test]
fn table_output_names_pods_and_prints_warnings_on_stderr() {
    let f = node();
    let out = podnet(&["--host-root", &f.arg(), "--no-kube", "ns", "list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let header = text.lines().next().unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        vec!["NETNS", "POD", "PAUSE", "PIDS", "INTERFACES", "PATH"]
    );
    assert!(text.contains("default/web-a"), "{text}");
    assert!(
        text.contains("prod/db-oci-name (!)"),
        "conflicts are flagged: {text}"
    );
    assert!(text.contains("(host)"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .all(|l| l.starts_with("podnet: warning: ") || l.starts_with("podnet: …")),
        "{err}"
    );

    let wide = podnet(&[
        "--host-root",
        &f.arg(),
        "--no-kube",
        "ns",
        "list",
        "-o",
        "wide",
        "-v",
    ]);
    let text = String::from_utf8_lossy(&wide.stdout);
    assert!(
        text.contains("SOURCES") && text.contains("Where each pod name came from:"),
        "{text}"
    );
    assert!(
        text.contains("cni-cache") && text.contains("/var/lib/cni/results/cbr0-"),
        "{text}"
    );
}
