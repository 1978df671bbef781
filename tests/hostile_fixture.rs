//! The diagnostics on a hostile or broken fixture host root (`--host-root`,
//! `PODNET_HOST_ROOT`): symlinks that try to lead out of the root, an
//! absolute link that must resolve inside it, fifos, device links and huge
//! files in place of node files, control characters and non-UTF-8 bytes in
//! everything podnet prints, and malformed or oversized versions of every
//! file `ns list`, `ns pids` and `veth list` read. Every run is bounded in
//! time and address space (`common::hostile::run_bounded`) and must answer
//! with exit 0 or 2, never a panic or a hang. Needs no privileges.

mod common;

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use common::fixture::FixtureRoot;
use common::hostile::{assert_no_raw_controls, run_bounded};
use serde_json::Value;

const UID_A: &str = "6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b";
const UID_B: &str = "11111111-2222-3333-4444-555555555555";
const SID_A: &str = "aaaa1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888";
const SID_C: &str = "cccc1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888";

// ---------------------------------------------------------------- helpers

/// A node: the host, pod A named by its CNI cache entry (pause 100, netns
/// 2001 at /run/netns/cni-aaaa), pod B named by its pause's cgroup and
/// /var/log/pods (pause 200, netns 2002), pod C named by a containerd
/// bundle (pause 300, netns 2003 at /run/netns/cni-cccc).
fn node() -> FixtureRoot {
    let mut f = FixtureRoot::new();
    f.process(1, 0, "systemd", 1, 1000, None);
    f.process(50, 1, "containerd-shim", 5, 1000, None);
    f.process(100, 50, "pause", 100, 2001, None);
    f.bind_mount(2001, "/run/netns/cni-aaaa");
    f.cni_cache(
        "cbr0",
        SID_A,
        "/run/netns/cni-aaaa",
        ("default", "web-a", UID_A),
        "10.244.0.5/24",
    );
    let cg = format!(
        "12:pids:/kubepods/besteffort/pod{UID_B}/{}\n0::/\n",
        "b".repeat(64)
    );
    f.process(200, 50, "pause", 200, 2002, Some(&cg));
    f.pod_log_dir("kube-system", "coredns-b", UID_B);
    f.process(300, 50, "pause", 300, 2003, None);
    f.bind_mount(2003, "/run/netns/cni-cccc");
    f.containerd_sandbox(
        SID_C,
        "/run/netns/cni-cccc",
        ("prod", "api-c", "22222222-3333-4444-5555-666666666666"),
        300,
    );
    f
}

/// `<root><host_path>`, its directory made.
fn at(f: &FixtureRoot, host_path: &str) -> PathBuf {
    let p = f.path().join(host_path.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    p
}

/// Replaces the file at `host_path` (whatever it was) with `bytes`.
fn put(f: &FixtureRoot, host_path: &str, bytes: &[u8]) {
    let p = at(f, host_path);
    remove(&p);
    std::fs::write(&p, bytes).expect("write");
}

/// Replaces the file at `host_path` with a symlink to `target`.
fn link(f: &FixtureRoot, host_path: &str, target: impl AsRef<Path>) {
    let p = at(f, host_path);
    remove(&p);
    symlink(target, &p).expect("symlink");
}

/// Replaces the file at `host_path` with a fifo nobody writes to.
fn fifo(f: &FixtureRoot, host_path: &str) {
    let p = at(f, host_path);
    remove(&p);
    nix::unistd::mkfifo(&p, nix::sys::stat::Mode::from_bits_truncate(0o644)).expect("mkfifo");
}

/// Replaces the file at `host_path` with a sparse file of `len` bytes
/// (no disk space used) that starts like JSON.
fn sparse(f: &FixtureRoot, host_path: &str, len: u64) {
    put(f, host_path, b"{\"kind\":\"");
    std::fs::OpenOptions::new()
        .write(true)
        .open(at(f, host_path))
        .and_then(|file| file.set_len(len))
        .expect("set_len");
}

fn remove(p: &Path) {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p).expect("rm -r"),
        Ok(_) => std::fs::remove_file(p).expect("rm"),
        Err(_) => {}
    }
}

/// `podnet --host-root <f> --no-kube <args>`, bounded.
fn podnet(f: &FixtureRoot, args: &[&str]) -> std::process::Output {
    let root = f.arg();
    let mut all = vec!["--host-root", root.as_str(), "--no-kube"];
    all.extend_from_slice(args);
    run_bounded(&all, &[])
}

/// `ns list -o json`, which must succeed.
fn list(f: &FixtureRoot) -> Value {
    json_of(&podnet(f, &["ns", "list", "-o", "json"]))
}

fn json_of(out: &std::process::Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn namespaces(v: &Value) -> &Vec<Value> {
    v["namespaces"].as_array().expect("namespaces")
}

fn by_inode(v: &Value, inode: u64) -> Option<&Value> {
    namespaces(v).iter().find(|n| n["inode"] == inode)
}

/// `namespace/name` of the pod in netns `inode`.
fn pod_of(v: &Value, inode: u64) -> Option<String> {
    let p = &by_inode(v, inode)?["pod"];
    Some(format!(
        "{}/{}",
        p["namespace"].as_str()?,
        p["name"].as_str()?
    ))
}

fn warnings(v: &Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().unwrap_or_default().to_string())
        .collect()
}

fn has_warning(v: &Value, parts: &[&str]) -> bool {
    warnings(v)
        .iter()
        .any(|w| parts.iter().all(|p| w.contains(p)))
}

/// The three pods of [`node`] are still named.
fn assert_pods_named(v: &Value) {
    assert_eq!(pod_of(v, 2001).as_deref(), Some("default/web-a"), "{v:#}");
    assert_eq!(
        pod_of(v, 2002).as_deref(),
        Some("kube-system/coredns-b"),
        "{v:#}"
    );
    assert_eq!(pod_of(v, 2003).as_deref(), Some("prod/api-c"), "{v:#}");
}

// ---------------------------------------------------------------- confinement

/// A directory beside the fixture root (outside it) holding decoys that
/// would name pods if podnet followed a link out of the root.
fn outside(f: &FixtureRoot) -> PathBuf {
    let p = f.path().parent().expect("parent").join(format!(
        "{}-outside",
        f.path().file_name().expect("name").to_string_lossy()
    ));
    std::fs::create_dir_all(&p).expect("mkdir outside");
    p
}

fn decoy_cache(netns: &str, pod: &str) -> String {
    serde_json::json!({
        "kind": "cniCacheV1", "containerId": SID_A, "config": "e30=", "ifName": "eth0",
        "networkName": "cbr0", "netns": netns,
        "cniArgs": [["K8S_POD_NAMESPACE", "evil"], ["K8S_POD_NAME", pod],
                    ["K8S_POD_UID", "99999999-9999-9999-9999-999999999999"]],
        "result": {"interfaces": [{"name": "eth0", "sandbox": netns}], "ips": []}
    })
    .to_string()
}

#[test]
fn symlinks_never_lead_out_of_the_host_root() {
    let mut f = FixtureRoot::new();
    f.process(1, 0, "systemd", 1, 1000, None);
    f.process(100, 1, "pause", 100, 2001, None);
    f.bind_mount(2001, "/run/netns/cni-aaaa");
    let out = outside(&f);
    // an absolute link out of the root: /var/lib/cni -> <outside>/cni
    std::fs::create_dir_all(out.join("cni/results")).unwrap();
    std::fs::write(
        out.join("cni/results/cbr0-x-eth0"),
        decoy_cache("/run/netns/cni-aaaa", "abs-decoy"),
    )
    .unwrap();
    link(&f, "/var/lib/cni", out.join("cni"));
    // a relative link climbing out: k8s.io -> ../../../../<outside>/k8s.io
    let bundle = out.join("k8s.io").join(SID_C);
    std::fs::create_dir_all(&bundle).unwrap();
    std::fs::write(
        bundle.join("config.json"),
        serde_json::json!({"annotations": {
            "io.kubernetes.cri.container-type": "sandbox",
            "io.kubernetes.cri.sandbox-id": SID_C,
            "io.kubernetes.cri.sandbox-name": "rel-decoy",
            "io.kubernetes.cri.sandbox-namespace": "evil"},
            "linux": {"namespaces": [{"type": "network", "path": "/run/netns/cni-aaaa"}]}})
        .to_string(),
    )
    .unwrap();
    std::fs::write(bundle.join("init.pid"), "100").unwrap();
    let up = "../../../../".to_string() + &out.file_name().unwrap().to_string_lossy();
    link(
        &f,
        "/run/containerd/io.containerd.runtime.v2.task/k8s.io",
        format!("{up}/k8s.io"),
    );
    // the pause's cgroup and /var/log/pods, both out of the root
    std::fs::write(
        out.join("cgroup"),
        format!("0::/kubepods/besteffort/pod{UID_B}/{}\n", "d".repeat(64)),
    )
    .unwrap();
    link(&f, "/proc/100/cgroup", out.join("cgroup"));
    std::fs::create_dir_all(out.join(format!("pods/evil_log-decoy_{UID_B}"))).unwrap();
    link(&f, "/var/log/pods", out.join("pods"));
    // mountinfo out of the root, naming a namespace that does not exist
    std::fs::write(
        out.join("mountinfo"),
        "22 1 253:1 / / rw - ext4 /dev/vda rw\n\
         100 22 0:4 net:[2009] /run/netns/mount-decoy rw shared:5 - nsfs nsfs rw\n",
    )
    .unwrap();
    link(&f, "/proc/1/mountinfo", format!("../../{up}/mountinfo"));

    let v = list(&f);
    let text = v.to_string();
    assert!(
        !text.contains("decoy"),
        "a decoy outside the root was read: {v:#}"
    );
    assert!(by_inode(&v, 2009).is_none(), "{v:#}");
    assert_eq!(by_inode(&v, 2001).unwrap()["pod"], Value::Null, "{v:#}");
}

#[test]
fn an_absolute_link_inside_the_root_resolves_against_the_root() {
    for via_env in [false, true] {
        let mut f = FixtureRoot::new();
        f.process(1, 0, "systemd", 1, 1000, None);
        f.process(100, 1, "pause", 100, 2001, None);
        f.bind_mount(2001, "/run/netns/cni-aaaa");
        f.cni_cache(
            "cbr0",
            SID_A,
            "/run/netns/cni-aaaa",
            ("default", "web-a", UID_A),
            "10.244.0.5/24",
        );
        // as on many nodes: the real directory is elsewhere on the node
        std::fs::create_dir_all(f.path().join("data")).unwrap();
        std::fs::rename(f.path().join("var/lib/cni"), f.path().join("data/cni")).unwrap();
        link(&f, "/var/lib/cni", "/data/cni");
        let out = if via_env {
            run_bounded(
                &["--no-kube", "ns", "list", "-o", "json"],
                &[("PODNET_HOST_ROOT", &f.arg())],
            )
        } else {
            podnet(&f, &["ns", "list", "-o", "json"])
        };
        let v = json_of(&out);
        assert_eq!(
            pod_of(&v, 2001).as_deref(),
            Some("default/web-a"),
            "via_env={via_env}: {v:#}"
        );
        let from = &by_inode(&v, 2001).unwrap()["pod"]["sources"][0]["from"];
        assert!(
            from.as_str().unwrap().starts_with("/var/lib/cni/results/"),
            "{from}"
        );
    }
}

// ---------------------------------------------------------------- fifos, devices, huge files

#[test]
fn fifos_device_links_and_huge_files_in_place_of_node_files_are_warnings() {
    let f = node();
    // a fourth pod whose stat is a fifo, a fifth whose cgroup is one
    f.process(400, 50, "pause", 400, 2004, None);
    fifo(&f, "/proc/400/stat");
    f.process(500, 50, "pause", 500, 2005, None);
    fifo(&f, "/proc/500/cgroup");
    // CNI cache entries: a fifo, a /dev/zero link, a 1 GB sparse file
    fifo(&f, "/var/lib/cni/results/cbr0-fifo-eth0");
    link(&f, "/var/lib/cni/results/cbr0-zero-eth0", "/dev/zero");
    sparse(&f, "/var/lib/cni/results/cbr0-huge-eth0", 1 << 30);
    // containerd bundles: the same in place of config.json, and a fifo pidfile
    let task = "/run/containerd/io.containerd.runtime.v2.task/k8s.io";
    fifo(&f, &format!("{task}/fifo/config.json"));
    link(&f, &format!("{task}/zero/config.json"), "/dev/zero");
    sparse(&f, &format!("{task}/huge/config.json"), 1 << 30);
    fifo(&f, &format!("{task}/{SID_C}/init.pid"));
    // CRI-O / podman storage: a fifo config.json and pidfile
    fifo(
        &f,
        "/var/lib/containers/storage/overlay-containers/fifo/userdata/config.json",
    );
    fifo(
        &f,
        "/run/containers/storage/overlay-containers/fifo/userdata/pidfile",
    );
    // a fifo and a /dev/zero link named like kubelet's pod log directories
    fifo(&f, &format!("/var/log/pods/evil_fifo_{UID_A}"));
    link(&f, &format!("/var/log/pods/evil_zero_{UID_A}"), "/dev/zero");

    let v = list(&f);
    assert_eq!(pod_of(&v, 2001).as_deref(), Some("default/web-a"), "{v:#}");
    assert_eq!(pod_of(&v, 2002).as_deref(), Some("kube-system/coredns-b"));
    assert!(
        by_inode(&v, 2005).is_some(),
        "the fifo cgroup's process counts"
    );
    assert!(has_warning(&v, &["pid 400", "fifo"]), "{:#?}", warnings(&v));
    assert!(
        has_warning(&v, &["cbr0-fifo-eth0", "fifo"]),
        "{:#?}",
        warnings(&v)
    );
    assert!(has_warning(&v, &["cbr0-huge-eth0", "larger than"]));
    assert!(has_warning(&v, &["fifo/config.json", "fifo"]));
    assert!(has_warning(&v, &["huge/config.json", "larger than"]));
    assert!(!v.to_string().contains("evil"), "{v:#}");
    for args in [
        &["ns", "list"][..],
        &["ns", "pids", "default/web-a"],
        &["veth", "list"],
    ] {
        let out = podnet(&f, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn a_fifo_device_link_or_huge_mountinfo_loses_only_the_bind_mounts() {
    for bad in ["fifo", "zero", "huge"] {
        let f = node();
        match bad {
            "fifo" => fifo(&f, "/proc/1/mountinfo"),
            "zero" => link(&f, "/proc/1/mountinfo", "/dev/zero"),
            _ => sparse(&f, "/proc/1/mountinfo", 1 << 30),
        }
        let v = list(&f);
        assert!(has_warning(&v, &["/proc/1/mountinfo"]), "{bad}: {v:#}");
        assert_eq!(pod_of(&v, 2002).as_deref(), Some("kube-system/coredns-b"));
    }
}

// ---------------------------------------------------------------- control characters

const TITLE: &str = "\u{1b}]0;pwned\u{7}";
const CLEAR: &str = "\u{1b}[2J\u{1b}[H";

#[test]
fn control_characters_from_the_node_never_reach_the_terminal() {
    let mut f = node();
    let name = format!("web{TITLE}x");
    let namespace = format!("ns{CLEAR}\u{9b}31m");
    let uid = "33333333-4444-5555-6666-777777777777";
    f.process(600, 50, "pause", 600, 2006, None);
    f.bind_mount(2006, &format!("/run/netns/cni-{CLEAR}"));
    f.containerd_sandbox(
        &"e".repeat(64),
        &format!("/run/netns/cni-{CLEAR}"),
        (&namespace, &name, uid),
        600,
    );
    // a conflicting name from the CNI cache: shown in the provenance too
    f.cni_cache(
        &format!("net{TITLE}"),
        &"e".repeat(64),
        &format!("/run/netns/cni-{CLEAR}"),
        (&namespace, "other\u{202e}gpj.exe", uid),
        "10.244.0.6/24",
    );
    // a process named with escapes in the pod's netns
    f.process(601, 600, &format!("sh{CLEAR}"), 601, 2006, None);
    // a broken cache file whose name carries escapes: a warning on stderr
    f.write(&format!("/var/lib/cni/results/bad{TITLE}-eth0"), "{");
    f.pod_log_dir(&format!("kube{TITLE}"), &format!("log{CLEAR}"), UID_B);
    for args in [
        &["ns", "list"][..],
        &["ns", "list", "-o", "wide", "-v"],
        &["ns", "pids", &format!("{namespace}/{name}")],
        &["ns", "pids", "600"],
        &["veth", "list", "-o", "wide"],
        &["ns", "pids", &format!("no{TITLE}such")],
        &["veth", "pair", &format!("no{CLEAR}such")],
        &["ethtool", &format!("no{CLEAR}such")],
        &["exec", &format!("no{TITLE}such"), "--", "true"],
    ] {
        let out = podnet(&f, args);
        assert_no_raw_controls(&format!("{args:?}"), &out);
        if args[0] == "ns" && args[1] == "list" {
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("web\\x1b]0;pwned\\x07x"),
                "the name is shown, escaped: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
    // JSON keeps every name exactly
    let v = list(&f);
    let pod = &by_inode(&v, 2006).expect("netns 2006")["pod"];
    assert_eq!(pod["name"], name.as_str());
    assert_eq!(pod["namespace"], namespace.as_str());
    assert_eq!(
        by_inode(&v, 2006).unwrap()["paths"][0],
        format!("/run/netns/cni-{CLEAR}").as_str()
    );
    let pids = json_of(&podnet(&f, &["ns", "pids", "600", "-o", "json"]));
    let comms: Vec<&str> = pids["processes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["comm"].as_str())
        .collect();
    assert!(comms.contains(&format!("sh{CLEAR}").as_str()), "{pids:#}");
}

#[test]
fn a_process_named_with_bytes_that_are_not_utf8_still_holds_its_namespace() {
    let f = node();
    f.process(700, 50, "pause", 700, 2007, None);
    // "\xff\xfe" and ESC as the comm: what prctl(PR_SET_NAME) allows
    let mut raw =
        b"700 (\xff\xfe\x1b) S 50 700 700 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 ".to_vec();
    raw.extend_from_slice(b"700 1052672 1 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
    put(&f, "/proc/700/stat", &raw);
    let v = list(&f);
    let ns = by_inode(&v, 2007).unwrap_or_else(|| panic!("netns 2007 lost: {v:#}"));
    assert_eq!(ns["pids"], 1, "{v:#}");
    let out = podnet(&f, &["ns", "pids", "700"]);
    assert_eq!(out.status.code(), Some(0));
    assert_no_raw_controls("ns pids 700", &out);
}

// ---------------------------------------------------------------- malformed and oversized inputs

/// One way to break one node file.
struct Mutation {
    what: &'static str,
    apply: fn(&FixtureRoot),
}

fn garbage(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 131 % 256) as u8).collect()
}

/// `[[[[…]]]]`, deeper than any JSON parser should recurse.
fn deep_json(depth: usize) -> Vec<u8> {
    let mut v = vec![b'['; depth];
    v.extend(std::iter::repeat_n(b']', depth));
    v
}

const CACHE_A: &str = "/var/lib/cni/results/cbr0-aaaa1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888-eth0";
const BUNDLE_C: &str = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/cccc1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888";

fn mutations() -> Vec<Mutation> {
    macro_rules! m {
        ($what:expr, |$f:ident| $body:expr) => {
            Mutation {
                what: $what,
                apply: |$f: &FixtureRoot| {
                    $body;
                },
            }
        };
    }
    vec![
        // mountinfo
        m!("mountinfo garbage", |f| put(
            f,
            "/proc/1/mountinfo",
            &garbage(100_000)
        )),
        m!("mountinfo one 10 MB line", |f| put(
            f,
            "/proc/1/mountinfo",
            &vec![b'x'; 10 << 20]
        )),
        m!("mountinfo 200k short lines", |f| put(
            f,
            "/proc/1/mountinfo",
            &b"1 2 0:4 net:[9] /a rw - nsfs nsfs rw\n".repeat(200_000)
        )),
        m!("mountinfo bad fields", |f| {
            put(f, "/proc/1/mountinfo", b"x\n1 2\n1 2 3 4 5 6 7 - nsfs\n1 1 0:4 net:[abc] /x rw - nsfs nsfs rw\n1 1 0:4 net:[99999999999999999999999] /\\777\\ rw - nsfs nsfs rw\n")
        }),
        m!("mountinfo not utf-8", |f| put(
            f,
            "/proc/1/mountinfo",
            b"100 22 0:4 net:[2009] /run/netns/\xff\xfe rw shared:5 - nsfs nsfs rw\n"
        )),
        m!("mountinfo a directory", |f| {
            remove(&at(f, "/proc/1/mountinfo"));
            std::fs::create_dir_all(at(f, "/proc/1/mountinfo")).unwrap()
        }),
        m!("mountinfo a symlink loop", |f| link(
            f,
            "/proc/1/mountinfo",
            "mountinfo"
        )),
        // /proc/<pid>/stat
        m!("stat empty", |f| put(f, "/proc/200/stat", b"")),
        m!("stat garbage", |f| put(f, "/proc/200/stat", &garbage(5000))),
        m!("stat unbalanced", |f| put(
            f,
            "/proc/200/stat",
            b"200 (pause S 1 2 3"
        )),
        m!("stat paren first", |f| put(
            f,
            "/proc/200/stat",
            b"(pause) S 50 200 200 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 200 0 1 0\n"
        )),
        m!("stat close before open", |f| put(
            f,
            "/proc/200/stat",
            b"200 ) S (pause\n"
        )),
        m!("stat multibyte before paren", |f| put(
            f,
            "/proc/200/stat",
            "200\u{e9}(pause) S 50 200 200 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 200 0 1 0\n".as_bytes()
        )),
        m!("stat nothing after comm", |f| put(
            f,
            "/proc/200/stat",
            "200 (pause)\u{e9}".as_bytes()
        )),
        m!("stat odd comm", |f| put(
            f,
            "/proc/200/stat",
            b"200 (a) b\n) (c) S 50 200 200 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 200 0 1 0\n"
        )),
        m!("stat huge numbers", |f| {
            put(f, "/proc/200/stat", b"200 (pause) S 99999999999999999999999 200 200 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99999999999999999999999 0 1 0\n")
        }),
        m!("stat 1 MB", |f| put(
            f,
            "/proc/200/stat",
            &vec![b'1'; 1 << 20]
        )),
        m!("stat a directory", |f| {
            remove(&at(f, "/proc/200/stat"));
            std::fs::create_dir_all(at(f, "/proc/200/stat")).unwrap()
        }),
        // status, comm, cmdline (podnet does not need them; they must not matter)
        m!("status garbage", |f| put(
            f,
            "/proc/200/status",
            &garbage(100_000)
        )),
        m!("comm fifo", |f| fifo(f, "/proc/200/comm")),
        m!("cmdline huge", |f| sparse(f, "/proc/200/cmdline", 1 << 30)),
        // /proc/<pid>/cgroup
        m!("cgroup garbage", |f| put(
            f,
            "/proc/200/cgroup",
            &garbage(10_000)
        )),
        m!("cgroup long path", |f| put(
            f,
            "/proc/200/cgroup",
            format!("0::/{}\n", "kubepods/".repeat(5000)).as_bytes()
        )),
        m!("cgroup not utf-8", |f| put(
            f,
            "/proc/200/cgroup",
            b"0::/kubepods/pod\xff\xfe/\xff\n"
        )),
        m!("cgroup 1 MB", |f| put(
            f,
            "/proc/200/cgroup",
            &vec![b':'; 1 << 20]
        )),
        // /proc/<pid>/ns/net
        m!("ns link empty", |f| link(f, "/proc/200/ns/net", "net:[]")),
        m!("ns link negative", |f| link(
            f,
            "/proc/200/ns/net",
            "net:[-1]"
        )),
        m!("ns link huge", |f| link(
            f,
            "/proc/200/ns/net",
            "net:[99999999999999999999999]"
        )),
        m!("ns link other type", |f| link(
            f,
            "/proc/200/ns/net",
            "mnt:[4026531840]"
        )),
        m!("ns link absolute", |f| link(f, "/proc/200/ns/net", "/")),
        m!("ns link long", |f| link(
            f,
            "/proc/200/ns/net",
            "n".repeat(4000)
        )),
        m!("ns net a regular file", |f| put(
            f,
            "/proc/200/ns/net",
            b"net:[2002]"
        )),
        m!("ns net a fifo", |f| fifo(f, "/proc/200/ns/net")),
        // the CNI result cache
        m!("cache empty", |f| put(f, CACHE_A, b"")),
        m!("cache garbage", |f| put(f, CACHE_A, &garbage(50_000))),
        m!("cache deep json", |f| put(f, CACHE_A, &deep_json(100_000))),
        m!("cache wrong types", |f| {
            put(f, CACHE_A, br#"{"kind":1,"containerId":[],"cniArgs":{"a":1},"result":"x","netns":5,"config":"!!!"}"#)
        }),
        m!("cache odd args", |f| {
            put(f, CACHE_A, br#"{"kind":"cniCacheV1","containerId":"x","cniArgs":[[],["K8S_POD_NAME"],["K8S_POD_NAME","a","b"],[1,2]],"result":{"interfaces":[{"sandbox":7}]}}"#)
        }),
        m!("cache huge numbers", |f| {
            put(f, CACHE_A, br#"{"kind":"cniCacheV1","containerId":"x","result":{"ips":[{"interface":1e400,"address":"10.0.0.1/99"}],"interfaces":[]}}"#)
        }),
        m!("cache 15 MB of spaces", |f| put(
            f,
            CACHE_A,
            &vec![b' '; 15 << 20]
        )),
        m!("cache not utf-8", |f| put(
            f,
            CACHE_A,
            b"{\"kind\":\"cniCacheV1\",\"containerId\":\"\xff\"}"
        )),
        m!("cache name not utf-8", |f| {
            let dir = at(f, "/var/lib/cni/results/x");
            std::fs::write(
                dir.with_file_name(std::ffi::OsStr::from_bytes(b"cbr0-\xff-eth0")),
                "{}",
            )
            .unwrap()
        }),
        // OCI config.json and pid files
        m!("config.json garbage", |f| put(
            f,
            &format!("{BUNDLE_C}/config.json"),
            &garbage(50_000)
        )),
        m!("config.json deep json", |f| put(
            f,
            &format!("{BUNDLE_C}/config.json"),
            &deep_json(100_000)
        )),
        m!("config.json wrong types", |f| put(
            f,
            &format!("{BUNDLE_C}/config.json"),
            br#"{"annotations":[1,2],"linux":{"namespaces":"x"},"hostname":7}"#
        )),
        m!("config.json huge annotation", |f| {
            put(f, &format!("{BUNDLE_C}/config.json"), format!(r#"{{"annotations":{{"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-name":"{}"}}}}"#, "n".repeat(3 << 20)).as_bytes())
        }),
        m!("config.json a directory", |f| {
            remove(&at(f, &format!("{BUNDLE_C}/config.json")));
            std::fs::create_dir_all(at(f, &format!("{BUNDLE_C}/config.json"))).unwrap()
        }),
        m!("pidfile empty", |f| put(
            f,
            &format!("{BUNDLE_C}/init.pid"),
            b""
        )),
        m!("pidfile negative", |f| put(
            f,
            &format!("{BUNDLE_C}/init.pid"),
            b"-1"
        )),
        m!("pidfile zero", |f| put(
            f,
            &format!("{BUNDLE_C}/init.pid"),
            b"0"
        )),
        m!("pidfile huge", |f| put(
            f,
            &format!("{BUNDLE_C}/init.pid"),
            b"99999999999999999999999"
        )),
        m!("pidfile two pids", |f| put(
            f,
            &format!("{BUNDLE_C}/init.pid"),
            b"300\n200\n"
        )),
        m!("pidfile not utf-8", |f| put(
            f,
            &format!("{BUNDLE_C}/init.pid"),
            b"3\xff0"
        )),
        m!("pidfile 1 MB", |f| put(
            f,
            &format!("{BUNDLE_C}/init.pid"),
            &vec![b'3'; 1 << 20]
        )),
        m!("storage config.json garbage", |f| put(
            f,
            "/var/lib/containers/storage/overlay-containers/abc/userdata/config.json",
            &garbage(1000)
        )),
        // /var/log/pods names
        m!("pod log names odd", |f| for n in [
            "a_b",
            "___",
            "_x_y",
            "ns_name_",
            "ns__uid",
            &"x".repeat(255),
            &format!("a_b_{}", "c".repeat(200))
        ] {
            std::fs::create_dir_all(at(f, &format!("/var/log/pods/{n}/x"))).unwrap()
        }),
        m!("pod log name not utf-8", |f| std::fs::create_dir_all(
            at(f, "/var/log/pods/x").with_file_name(std::ffi::OsStr::from_bytes(
                b"ns_\xff_11111111-2222-3333-4444-555555555555"
            ))
        )
        .unwrap()),
        m!("pod log dir a file", |f| {
            remove(&at(f, "/var/log/pods"));
            put(f, "/var/log/pods", b"x")
        }),
        // whole directories gone wrong
        m!("results a file", |f| {
            remove(&at(f, "/var/lib/cni/results"));
            put(f, "/var/lib/cni/results", b"x")
        }),
        m!("results a fifo", |f| {
            remove(&at(f, "/var/lib/cni/results"));
            fifo(f, "/var/lib/cni/results")
        }),
        m!("proc entry a file", |f| put(f, "/proc/12345", b"x")),
        m!("proc entry a fifo", |f| fifo(f, "/proc/12346")),
    ]
}

#[test]
fn malformed_and_oversized_node_files_never_crash_or_hang_the_diagnostics() {
    let all = mutations();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while let Some(m) = all.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                {
                    let found = check_mutation(m);
                    failures.lock().unwrap().extend(found);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Runs the diagnostics on the node with one mutation; what went wrong.
fn check_mutation(m: &Mutation) -> Vec<String> {
    let mut failures = Vec::new();
    let f = node();
    (m.apply)(&f);
    for args in [
        &["ns", "list", "-o", "json"][..],
        &["ns", "list", "-o", "wide", "-v"],
        &["ns", "list", "--deep"],
        &["ns", "pids", "default/web-a"],
        &["ns", "pids", "300"],
        &["veth", "list"],
    ] {
        let out = podnet(&f, args);
        if !matches!(out.status.code(), Some(0 | 2)) {
            failures.push(format!("{}: {args:?} exit {}", m.what, out.status));
        }
        if raw_controls_in(&out) {
            failures.push(format!(
                "{}: {args:?} printed a raw control character",
                m.what
            ));
        }
    }
    // pod A is named from its cache entry matched to its bind mount: any
    // other mutation leaves it named
    if !["cache", "mountinfo", "results"]
        .iter()
        .any(|p| m.what.starts_with(p))
    {
        let v = list(&f);
        if pod_of(&v, 2001).as_deref() != Some("default/web-a") {
            failures.push(format!("{}: pod A lost its name: {v:#}", m.what));
        }
    }
    failures
}

fn raw_controls_in(out: &std::process::Output) -> bool {
    !common::hostile::raw_controls(&out.stdout).is_empty()
        || !common::hostile::raw_controls(&out.stderr).is_empty()
}

#[test]
fn the_baseline_node_is_named_whole() {
    assert_pods_named(&list(&node()));
}
