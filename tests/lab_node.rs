//! Privileged tests of `podnet lab` on real kernel objects, each on its own
//! private node. The oracles are independent of podnet: iputils `ping`
//! run inside the pod namespaces with `nsenter --net` (with `-M do` for
//! the big don't-fragment probe), `ip -j`, `lsns -J`, mountinfo and /proc;
//! the expected broken pairs of each fault are written out here, not taken
//! from podnet's own model.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::node::{ns_list, podnet_on_node, podnet_on_node_json};
use common::sh;
use common::tracer::Tracer;
use serde_json::Value;

type Pairs = BTreeSet<(String, String)>;

fn lab(args: &[&str]) -> Output {
    let mut a = vec!["lab"];
    a.extend_from_slice(args);
    podnet_on_node(&a)
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn lab_ok(args: &[&str]) -> String {
    let o = lab(args);
    assert!(o.status.success(), "lab {args:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `lab status -o json` (exit 0 when all is well, 1 when a pair fails).
fn status(name: &str) -> Value {
    let o = lab(&["status", "--name", name, "-o", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("lab status: not JSON ({e}): {}", text(&o)));
    let ok = v["ok"].as_bool().unwrap_or(false);
    assert_eq!(
        o.status.code(),
        Some(if ok { 0 } else { 1 }),
        "{}",
        text(&o)
    );
    v
}

fn state(name: &str) -> Value {
    let p = format!("/run/podnet/lab/{name}/state.json");
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}")))
        .unwrap()
}

struct PodInfo {
    name: String,
    node: String,
    ip: String,
    netns: String,
}

fn pods(st: &Value) -> Vec<PodInfo> {
    st["pods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| PodInfo {
            name: format!(
                "{}/{}",
                p["namespace"].as_str().unwrap(),
                p["name"].as_str().unwrap()
            ),
            node: p["node"].as_str().unwrap().into(),
            ip: p["ip"].as_str().unwrap().into(),
            netns: p["netns"].as_str().unwrap().into(),
        })
        .collect()
}

/// The eth0 MTU of a pod, from `ip -j link` inside it.
fn eth0_mtu(netns: &str) -> u64 {
    let v: Value = serde_json::from_str(&sh(&format!(
        "nsenter --net={netns} ip -j link show dev eth0"
    )))
    .unwrap();
    v[0]["mtu"].as_u64().unwrap()
}

/// iputils ping from every pod to every other pod, inside the pod's
/// namespace: (pairs where the ordinary ping fails, pairs where a DF ping
/// as big as the source's MTU fails).
fn ping_oracle(st: &Value) -> (Pairs, Pairs) {
    let ps = pods(st);
    let mtus: Vec<u64> = ps.iter().map(|p| eth0_mtu(&p.netns)).collect();
    let mut jobs = Vec::new();
    for i in 0..ps.len() {
        for j in 0..ps.len() {
            if i != j {
                jobs.push((i, j, false));
                jobs.push((i, j, true));
            }
        }
    }
    let small = Mutex::new(Pairs::new());
    let big = Mutex::new(Pairs::new());
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..24 {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(i, j, is_big)) = jobs.get(k) else {
                        break;
                    };
                    let (a, b) = (&ps[i], &ps[j]);
                    let mut cmd = Command::new("nsenter");
                    cmd.arg(format!("--net={}", a.netns))
                        .args(["ping", "-n", "-q", "-c", "2", "-i", "0.2", "-W", "1"]);
                    if is_big {
                        cmd.args(["-M", "do", "-s", &(mtus[i] - 28).to_string()]);
                    }
                    let ok = cmd
                        .arg(&b.ip)
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status()
                        .expect("spawn nsenter ping")
                        .success();
                    if !ok {
                        let set = if is_big { &big } else { &small };
                        set.lock().unwrap().insert((a.name.clone(), b.name.clone()));
                    }
                }
            });
        }
    });
    (small.into_inner().unwrap(), big.into_inner().unwrap())
}

/// The failing pairs of a status matrix: (small, big).
fn matrix_failures(v: &Value) -> (Pairs, Pairs) {
    let mut small = Pairs::new();
    let mut big = Pairs::new();
    for p in v["matrix"]["pairs"].as_array().expect("matrix pairs") {
        let key = (
            p["from"].as_str().unwrap().to_string(),
            p["to"].as_str().unwrap().to_string(),
        );
        if !p["small"]["ok"].as_bool().unwrap() {
            small.insert(key.clone());
        }
        if !p["big"]["ok"].as_bool().unwrap() {
            big.insert(key);
        }
    }
    (small, big)
}

/// The root (private-node) namespace's links, addresses and routes.
fn root_net() -> (String, String, String) {
    (
        sh("ip -j link"),
        sh("ip -j addr"),
        sh("ip -j route show table all"),
    )
}

fn lsns_inodes() -> BTreeSet<u64> {
    let v: Value = serde_json::from_str(&sh("lsns -J -t net -o NS")).unwrap();
    v["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["ns"].as_u64().or_else(|| n["ns"].as_str()?.parse().ok()))
        .collect()
}

/// Reaps `pid` if it is our (re-parented) child, then says whether it is gone.
fn gone(pid: i32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let _ = nix::sys::wait::waitpid(
            nix::unistd::Pid::from_raw(pid),
            Some(nix::sys::wait::WaitPidFlag::WNOHANG),
        );
        if !Path::new(&format!("/proc/{pid}")).exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// `lab down` leaves nothing: no namespace, process, mount or file of the
/// lab, and a second `down` is fine.
fn down_and_check(name: &str, st: &Value) {
    let inodes: Vec<u64> = st["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .chain(st["pods"].as_array().unwrap())
        .map(|n| n["inode"].as_u64().unwrap())
        .chain(std::iter::once(st["switch"]["inode"].as_u64().unwrap()))
        .collect();
    let pids: Vec<i32> = st["pods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pause_pid"].as_i64().unwrap() as i32)
        .collect();
    assert!(
        lsns_inodes().iter().any(|i| inodes.contains(i)),
        "lsns sees the pods before down"
    );
    let out = lab_ok(&["down", "--name", name]);
    assert!(out.contains("is down"), "{out}");
    for pid in &pids {
        assert!(
            gone(*pid),
            "pause process {pid} is still there after lab down"
        );
    }
    let left: Vec<u64> = lsns_inodes()
        .into_iter()
        .filter(|i| inodes.contains(i))
        .collect();
    assert!(left.is_empty(), "lsns still shows lab namespaces {left:?}");
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let dir = format!("/run/podnet/lab/{name}");
    assert!(
        !mountinfo.contains(&dir),
        "mounts of the lab are left:\n{mountinfo}"
    );
    for ino in &inodes {
        assert!(
            !mountinfo.contains(&format!("net:[{ino}]")),
            "a bind mount of lab namespace {ino} is left"
        );
    }
    assert!(!Path::new(&dir).exists(), "{dir} is left");
    let again = lab_ok(&["down", "--name", name]);
    assert!(again.contains("nothing to do"), "{again}");
}

/// Up, full-mesh ping oracle vs the status matrix, discovery names every
/// pod and pairs it with its node, down leaves nothing, the root netns is
/// untouched.
fn full_cycle(name: &str, extra: &[&str]) {
    let before = root_net();
    let mut args = vec!["up", "--name", name, "--nodes", "3", "--pods", "4"];
    args.extend_from_slice(extra);
    lab_ok(&args);
    let again = lab(&["up", "--name", name]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already up"),
        "{}",
        text(&again)
    );
    let st = state(name);
    let ps = pods(&st);
    assert_eq!(ps.len(), 12);

    // every pod pings every pod, both probes, and the matrix agrees
    let (small, big) = ping_oracle(&st);
    assert!(small.is_empty(), "ping fails for {small:?}");
    assert!(big.is_empty(), "big DF ping fails for {big:?}");
    let v = status(name);
    assert_eq!(v["ok"], true, "{v:#}");
    assert_eq!(v["matrix"]["full"], true);
    assert_eq!(v["matrix"]["pairs"].as_array().unwrap().len(), 12 * 11);
    assert_eq!(matrix_failures(&v), (small, big));

    // podnet's own discovery names every lab pod and pairs it with its node
    let ns = ns_list(&[]);
    for p in &ps {
        let found = ns["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| {
                n["paths"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x == p.netns.as_str())
            })
            .unwrap_or_else(|| panic!("ns list has no namespace at {}", p.netns));
        let named = format!(
            "{}/{}",
            found["pod"]["namespace"].as_str().unwrap_or("?"),
            found["pod"]["name"].as_str().unwrap_or("?")
        );
        assert_eq!(named, p.name, "{found:#}");
        assert!(found["pause_pid"].as_i64().is_some(), "{found:#}");
    }
    let veth = podnet_on_node_json(&["veth", "list", "-o", "json"]);
    for p in st["pods"].as_array().unwrap() {
        let full = format!(
            "{}/{}",
            p["namespace"].as_str().unwrap(),
            p["name"].as_str().unwrap()
        );
        let node = st["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == p["node"])
            .unwrap();
        let row = veth["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["pod"]["name"] == p["name"] && r["pod"]["namespace"] == p["namespace"])
            .unwrap_or_else(|| panic!("veth list has no row for {full}"));
        assert_eq!(row["status"], "paired", "{row:#}");
        assert_eq!(row["host_if"]["name"], p["host_veth"], "{row:#}");
        assert_eq!(
            row["host_if"]["netns_inode"], node["inode"],
            "{full}: {row:#}"
        );
        assert_eq!(row["netns_inode"], p["inode"], "{row:#}");
    }

    down_and_check(name, &st);
    assert_eq!(root_net(), before, "the root netns changed");
}

node_test! {
    /// 3 nodes x 4 pods over flannel-style VXLAN with cni0 bridges.
    fn vxlan_bridge_lab_full_mesh_discovery_and_clean_down() {
        full_cycle("vx", &[]);
    }
}

node_test! {
    /// 3 nodes x 4 pods, routed underlay, Calico-style ptp veths.
    fn routed_ptp_lab_full_mesh_discovery_and_clean_down() {
        full_cycle("rt", &["--overlay", "routed", "--mode", "ptp"]);
    }
}

fn pair_set(st: &Value, f: impl Fn(&PodInfo, &PodInfo) -> bool) -> Pairs {
    let ps = pods(st);
    let mut out = Pairs::new();
    for a in &ps {
        for b in &ps {
            if a.name != b.name && f(a, b) {
                out.insert((a.name.clone(), b.name.clone()));
            }
        }
    }
    out
}

/// Breaks `fault` with `args`, checks the matrix and the ping oracle show
/// exactly `expect` (small, big), then `fix <fault>` makes all green.
fn break_check_fix(name: &str, fault: &str, args: &[&str], expect: (Pairs, Pairs)) {
    let mut a = vec!["break", fault, "--name", name];
    a.extend_from_slice(args);
    lab_ok(&a);
    let st = state(name);
    let v = status(name);
    assert_eq!(v["ok"], false, "{fault}: the matrix shows nothing broken");
    let got = matrix_failures(&v);
    assert_eq!(got.0, expect.0, "{fault}: pairs whose ping fails (matrix)");
    assert_eq!(
        got.1, expect.1,
        "{fault}: pairs whose big DF ping fails (matrix)"
    );
    let oracle = ping_oracle(&st);
    assert_eq!(oracle, expect, "{fault}: iputils ping disagrees");
    let out = lab_ok(&["fix", fault, "--name", name]);
    assert!(
        !out.contains("nothing to fix"),
        "{fault}: fix did nothing: {out}"
    );
    let v = status(name);
    assert_eq!(
        v["ok"], true,
        "{fault}: not green after fix: {:#}",
        v["matrix"]["findings"]
    );
    assert!(state(name)["faults"].as_array().unwrap().is_empty());
}

node_test! {
    /// Every fault on a VXLAN / bridge lab of 3 nodes x 2 pods.
    fn each_fault_breaks_exactly_its_pairs_and_fix_restores_vxlan() {
        let name = "fx";
        lab_ok(&["up", "--name", name, "--nodes", "3", "--pods", "2"]);
        let st = state(name);
        let none = Pairs::new();
        let node2 = |p: &PodInfo| p.node == "node2";
        let between = |a: &PodInfo, b: &PodInfo, x: &str, y: &str| {
            (a.node == x && b.node == y) || (a.node == y && b.node == x)
        };
        // mtu: only big DF packets from that pod die (at its host veth)
        let from = pair_set(&st, |a, _| a.name == "default/web-2-1");
        break_check_fix(name, "mtu", &["--pod", "web-2-1"], (none.clone(), from));
        // fdb: node1 loses node3's VTEP: node1 <-> node3 dies both ways
        let b13 = pair_set(&st, |a, b| between(a, b, "node1", "node3"));
        break_check_fix(name, "fdb", &["--node", "1", "--peer", "3"], (b13.clone(), b13.clone()));
        // forwarding off on node2: its cross-node pairs die, bridged ones live
        let fwd = pair_set(&st, |a, b| (node2(a) || node2(b)) && a.node != b.node);
        break_check_fix(name, "forwarding", &["--node", "node2"], (fwd.clone(), fwd));
        // strict rp_filter on node1 while node3 answers it over the underlay
        break_check_fix(name, "rp-filter", &["--node", "1", "--peer", "3"], (b13.clone(), b13.clone()));
        // node2 loses its route to node1's pods
        let b12 = pair_set(&st, |a, b| between(a, b, "node1", "node2"));
        break_check_fix(name, "route", &["--node", "2", "--peer", "1"], (b12.clone(), b12));
        // FORWARD DROP on node2: with br_netfilter even bridged pairs meet it
        let brnf = st["bridge_nf_call_iptables"] == true;
        let fd = pair_set(&st, |a, b| (node2(a) || node2(b)) && (a.node != b.node || brnf));
        break_check_fix(name, "forward-drop", &["--node", "2"], (fd.clone(), fd));
        // a pod's host veth down: the pod is cut off
        let cut = pair_set(&st, |a, b| a.name == "default/web-3-2" || b.name == "default/web-3-2");
        break_check_fix(name, "veth-down", &["--pod", "default/web-3-2"], (cut.clone(), cut));
        down_and_check(name, &st);
    }
}

node_test! {
    /// Faults on a routed / ptp lab: same-node traffic is routed by the node
    /// there, so forwarding and FORWARD DROP break it too; VXLAN-only
    /// faults are refused with one line.
    fn each_fault_breaks_exactly_its_pairs_and_fix_restores_routed_ptp() {
        let name = "fr";
        lab_ok(&["up", "--name", name, "--nodes", "2", "--pods", "2", "--overlay", "routed", "--mode", "ptp"]);
        let st = state(name);
        let none = Pairs::new();
        for f in ["fdb", "rp-filter"] {
            let o = lab(&["break", f, "--name", name]);
            assert_eq!(o.status.code(), Some(2), "{}", text(&o));
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("needs the vxlan overlay") && err.lines().count() == 1, "{err}");
        }
        let from = pair_set(&st, |a, _| a.name == "default/web-1-2");
        break_check_fix(name, "mtu", &["--pod", "web-1-2"], (none, from));
        let n1 = pair_set(&st, |a, b| a.node == "node1" || b.node == "node1");
        break_check_fix(name, "forwarding", &["--node", "1"], (n1.clone(), n1.clone()));
        break_check_fix(name, "forward-drop", &["--node", "1"], (n1.clone(), n1));
        let cross = pair_set(&st, |a, b| a.node != b.node);
        break_check_fix(name, "route", &["--node", "2"], (cross.clone(), cross));
        let cut = pair_set(&st, |a, b| a.name == "default/web-2-1" || b.name == "default/web-2-1");
        break_check_fix(name, "veth-down", &["--pod", "web-2-1"], (cut.clone(), cut));
        down_and_check(name, &st);
    }
}

node_test! {
    /// Faults injected with plain ip, sysctl, iptables (nft), iptables-legacy
    /// and bridge are all healed by `fix --all`.
    fn fix_all_heals_faults_made_with_plain_commands() {
        let name = "pl";
        lab_ok(&["up", "--name", name, "--nodes", "3", "--pods", "2"]);
        let st = state(name);
        let ns = |node: &str| format!("/run/podnet/lab/{name}/netns/{node}");
        let pod_ns = |pod: &str| {
            st["pods"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == pod)
                .unwrap()["netns"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let veth_of = |pod: &str| {
            st["pods"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == pod)
                .unwrap()["host_veth"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let in_ns = |path: &str, cmd: &str| sh(&format!("nsenter --net={path} {cmd}"));
        in_ns(&ns("node1"), "bridge fdb del 0e:6c:61:62:00:02 dev flannel.1 dst 172.30.0.12");
        in_ns(&ns("node1"), "ip neigh del 10.244.3.0 dev flannel.1");
        in_ns(&ns("node2"), "sysctl -qw net.ipv4.ip_forward=0");
        in_ns(&ns("node3"), "iptables-legacy -w -P FORWARD DROP");
        in_ns(&ns("node3"), "iptables -w -A FORWARD -j DROP");
        in_ns(&ns("node2"), "ip route del 10.244.3.0/24");
        in_ns(&ns("node2"), "ip route add 10.244.3.0/25 dev eth0");
        in_ns(&ns("node1"), "sysctl -qw net.ipv4.conf.all.rp_filter=1");
        in_ns(&ns("node1"), &format!("ip link set dev {} down", veth_of("web-1-2")));
        in_ns(&ns("node3"), "ip link set dev flannel.1 mtu 1400");
        in_ns(&pod_ns("web-1-1"), "ip link set dev eth0 mtu 1500");
        in_ns(&pod_ns("web-2-2"), "ip route del default");
        let v = status(name);
        assert_eq!(v["ok"], false);
        let dry = lab(&["fix", "--all", "--dry-run", "--name", name]);
        assert_eq!(dry.status.code(), Some(1), "{}", text(&dry));
        let out = lab_ok(&["fix", "--all", "--name", name]);
        let needles: [&str; 13] = [
            "bridge fdb append 0e:6c:61:62:00:02 dev flannel.1 dst 172.30.0.12",
            "ip neigh replace 10.244.3.0 lladdr 0e:6c:61:62:00:03 dev flannel.1 nud permanent",
            "sysctl -w net.ipv4.ip_forward=1",
            "iptables-legacy-restore",
            "nft flush ruleset",
            "ip route replace 10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink",
            "ip route del 10.244.3.0/25",
            "sysctl -w net.ipv4.conf.all.rp_filter=2",
            &format!("ip link set dev {} up", veth_of("web-1-2")),
            "ip link set dev flannel.1 mtu 1450",
            "ip link set dev eth0 mtu 1450",
            "ip route replace default via 10.244.2.1 dev eth0",
            "ip route flush cache",
        ];
        for needle in needles {
            assert!(out.contains(needle), "fix --all did not {needle:?}:\n{out}");
        }
        let v = status(name);
        assert_eq!(v["ok"], true, "{:#}", v["matrix"]["findings"]);
        let (small, big) = ping_oracle(&st);
        assert!(small.is_empty() && big.is_empty(), "{small:?} {big:?}");
        let again = lab_ok(&["fix", "--all", "--dry-run", "--name", name]);
        assert!(again.contains("nothing to fix"), "{again}");
        // the legacy table really is clean
        let save = in_ns(&ns("node3"), "iptables-legacy-save -t filter");
        assert!(save.contains(":FORWARD ACCEPT") && !save.contains("-A "), "{save}");
        // a device deleted outright comes back, with its entries
        in_ns(&ns("node2"), "ip link del flannel.1");
        assert_eq!(status(name)["ok"], false);
        lab_ok(&["fix", "--all", "--name", name]);
        assert_eq!(status(name)["ok"], true);
        down_and_check(name, &st);
    }
}

node_test! {
    /// `break --random` names nothing, breaks something; `fix --all` restores.
    fn random_break_is_found_by_status_and_fixed_by_fix_all() {
        let name = "rd";
        lab_ok(&["up", "--name", name, "--nodes", "2", "--pods", "2"]);
        let st = state(name);
        let mut said = BTreeSet::new();
        for _ in 0..3 {
            let out = lab_ok(&["break", "--random", "--name", name]);
            assert!(out.contains("not named"), "{out}");
            said.insert(out);
            let v = status(name);
            assert_eq!(v["ok"], false, "the random fault broke nothing");
            assert_eq!(v["faults"][0], serde_json::json!({"hidden": true}));
            lab_ok(&["fix", "--all", "--name", name]);
            assert_eq!(status(name)["ok"], true);
        }
        assert_eq!(said.len(), 1, "the message gives the fault away: {said:?}");
        down_and_check(name, &st);
    }
}

node_test! {
    /// 2 nodes x 50 pods: the lab comes up, its sampled matrix is green and
    /// discovery names every pod (how long `up` takes is measured by
    /// `cargo bench --bench node`, not asserted here).
    fn up_of_2_nodes_by_50_pods_works() {
        let name = "big";
        lab_ok(&["up", "--name", name, "--nodes", "2", "--pods", "50"]);
        let st = state(name);
        assert_eq!(pods(&st).len(), 100);
        let v = status(name);
        assert_eq!(v["ok"], true, "{:#}", v["matrix"]["findings"]);
        assert_eq!(v["matrix"]["full"], false);
        let ns = ns_list(&[]);
        let named = ns["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["pod"]["name"].as_str().is_some_and(|s| s.starts_with("web-")))
            .count();
        assert_eq!(named, 100);
        down_and_check(name, &st);
    }
}

node_test! {
    /// `lab exec` joins only the network namespace and passes the exit status on.
    fn exec_runs_in_the_target_namespace_only() {
        let name = "ex";
        lab_ok(&["up", "--name", name, "--nodes", "2", "--pods", "1"]);
        let st = state(name);
        let addrs = lab_ok(&["exec", "--name", name, "node2", "--", "ip", "-j", "addr"]);
        assert!(addrs.contains("172.30.0.12"), "{addrs}");
        let pod = lab_ok(&["exec", "--name", name, "web-1-1", "--", "ip", "-j", "addr", "show", "eth0"]);
        assert!(pod.contains("10.244.1.2"), "{pod}");
        let sw = lab_ok(&["exec", "--name", name, "switch", "--", "ip", "-br", "link"]);
        assert!(sw.contains("br0"), "{sw}");
        // only the netns: the mount namespace is ours
        let mnt = lab_ok(&["exec", "--name", name, "1", "--", "readlink", "/proc/self/ns/mnt"]);
        let ours = std::fs::read_link("/proc/self/ns/mnt").unwrap();
        assert_eq!(mnt.trim(), ours.to_string_lossy());
        let net = lab_ok(&["exec", "--name", name, "1", "--", "stat", "-L", "-c", "%i", "/proc/self/ns/net"]);
        assert_eq!(net.trim(), st["nodes"][0]["inode"].to_string());
        let o = lab(&["exec", "--name", name, "web-2-1", "--", "sh", "-c", "exit 7"]);
        assert_eq!(o.status.code(), Some(7));
        let o = lab(&["exec", "--name", name, "nowhere", "--", "true"]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        // a missing program is the shell's 127, as for `podnet exec`
        let o = lab(&["exec", "--name", name, "node1", "--", "/no/such/program"]);
        assert_eq!(o.status.code(), Some(127), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("/no/such/program") && err.contains("node1"), "{err}");
        down_and_check(name, &st);
    }
}

node_test! {
    /// Commands on a lab that is not up fail in one line with exit 2 (down is fine).
    fn a_missing_lab_is_a_one_line_error() {
        for args in [
            &["status", "--name", "none"][..],
            &["break", "mtu", "--name", "none"],
            &["fix", "--all", "--name", "none"],
            &["exec", "--name", "none", "node1", "--", "true"],
        ] {
            let o = lab(args);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.starts_with("podnet: error: no lab named \"none\" is up"), "{err}");
        }
        assert!(lab_ok(&["down", "--name", "none"]).contains("nothing to do"));
        let o = lab(&["up", "--name", "Bad/Name"]);
        assert_eq!(o.status.code(), Some(2));
        let o = lab(&["up", "--cidr", "10.0.0.0/24"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("too small"));
        // nothing was left by the refused runs
        assert!(
            !Path::new("/run/podnet/lab").exists()
                || std::fs::read_dir("/run/podnet/lab").unwrap().next().is_none()
        );
    }
}

node_test! {
    /// An `up` whose plugin fails half-way tears down what it built: no
    /// namespace, mount, process or file is left, and the next `up` works.
    fn a_failed_up_leaves_nothing() {
        let before = root_net();
        let out = common::node::podnet_command(&["lab", "up", "--name", "ko", "--nodes", "2", "--pods", "3"])
            .env("PODNET_CNI_FAIL_AT_STEP", "3")
            .output()
            .expect("spawn podnet");
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("podnet: error: add pod default/web-"), "{err}");
        assert!(!Path::new("/run/podnet/lab/ko").exists());
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        assert!(!mountinfo.contains("/run/podnet/lab"), "{mountinfo}");
        assert!(!mountinfo.contains(" nsfs "), "{mountinfo}");
        let ps = sh("ps -eo comm=");
        assert!(!ps.lines().any(|l| l.trim() == "pause"), "{ps}");
        assert_eq!(lsns_inodes().len(), 1, "only the node's own netns is left");
        assert_eq!(root_net(), before);
        lab_ok(&["up", "--name", "ko", "--nodes", "2", "--pods", "1"]);
        let st = state("ko");
        assert_eq!(status("ko")["ok"], true);
        down_and_check("ko", &st);
    }
}

node_test! {
    /// The in-process prober, from inside a lab pod: replies with RTTs per
    /// attempt, a local EMSGSIZE for a DF packet above the pod's MTU,
    /// fragmentation for a big packet without DF, "network unreachable"
    /// from the node, "fragmentation needed" with the tunnel's MTU (then
    /// EMSGSIZE once the path MTU is learnt, which `fix` flushes), IPv6.
    fn the_prober_reports_what_happened_to_each_attempt() {
        use podnet::sys::icmp::{self, Outcome, Probe};
        let name = "pr";
        lab_ok(&["up", "--name", name, "--nodes", "2", "--pods", "1"]);
        let st = state(name);
        let pod = pods(&st)[0].netns.clone();
        let other: std::net::IpAddr = pods(&st)[1].ip.parse().unwrap();
        let gw: std::net::IpAddr = "10.244.1.1".parse().unwrap();
        let r = icmp::probe(
            Some(Path::new(&pod)),
            &[
                Probe::new(other).count(3).stop_on_reply(false),
                Probe::new(other).size(1450).dont_fragment(true),
                Probe::new(other).size(1451).dont_fragment(true),
                Probe::new(other).size(3000),
                Probe::new("10.250.0.1".parse().unwrap()),
                Probe::new("::1".parse().unwrap()),
            ],
        )
        .unwrap();
        assert_eq!(r[0].attempts.len(), 3, "{:?}", r[0]);
        assert!(r[0].attempts.iter().all(|a| a.outcome.is_reply()), "{:?}", r[0]);
        assert!(r[0].best_rtt().is_some());
        assert!(r[1].ok() && r[1].packet_size == 1450, "{:?}", r[1]);
        assert!(
            matches!(r[2].attempts[0].outcome, Outcome::SendError { errno, .. } if errno == libc::EMSGSIZE),
            "{:?}",
            r[2]
        );
        assert!(r[3].ok(), "{:?}", r[3]);
        assert_eq!(
            r[4].failure(),
            Some(&Outcome::Unreachable { from: gw, code: 0 }),
            "{:?}",
            r[4]
        );
        assert!(r[5].ok(), "{:?}", r[5]);
        // a tunnel narrower than the pod: the node answers "fragmentation needed"
        sh(&format!(
            "nsenter --net=/run/podnet/lab/{name}/netns/node1 ip link set dev flannel.1 mtu 1400"
        ));
        let r = icmp::probe(
            Some(Path::new(&pod)),
            &[Probe::new(other)
                .size(1450)
                .dont_fragment(true)
                .count(2)
                .stop_on_reply(false)],
        )
        .unwrap();
        assert_eq!(
            r[0].attempts[0].outcome,
            Outcome::FragmentationNeeded { from: gw, mtu: 1400 },
            "{:?}",
            r[0]
        );
        assert!(
            matches!(r[0].attempts[1].outcome, Outcome::SendError { errno, .. } if errno == libc::EMSGSIZE),
            "{:?}",
            r[0]
        );
        let out = lab_ok(&["fix", "--all", "--name", name]);
        assert!(out.contains("default/web-1-1: ran: ip route flush cache"), "{out}");
        let r = icmp::probe(Some(Path::new(&pod)), &[Probe::new(other).size(1450).dont_fragment(true)]).unwrap();
        assert!(r[0].ok(), "{:?}", r[0]);
        down_and_check(name, &st);
    }
}

/// The netns inode of a bind mount or /proc path (stat, not podnet).
fn inode_of(path: &str) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .ino()
}

/// The device a namespace routes `ip` out of (`ip -j route get`).
fn route_dev(netns: &str, ip: &str) -> String {
    let v: Value =
        serde_json::from_str(&sh(&format!("nsenter --net={netns} ip -j route get {ip}"))).unwrap();
    v[0]["dev"].as_str().unwrap_or_default().to_string()
}

/// What the kernel must say of a lab fault's lost probe: the reason, the
/// direction, the namespace (a node's or a pod's bind mount) and interface.
struct KernelSays {
    fault: &'static str,
    args: Vec<String>,
    from: String,
    to: String,
    size: Option<u32>,
    reason: &'static str,
    functions: &'static [&'static str],
    direction: &'static str,
    netns: String,
    interface: String,
}

/// `lab break`, the ping oracle fails, `probe --why` while the raw
/// tracepoint is read, `lab fix`: the probe's drop must be the one expected,
/// with the pod it is charged to, and the tracepoint must show the reason.
fn kernel_explains(name: &str, st: &Value, k: &KernelSays) {
    let ps = pods(st);
    let pod = |n: &str| {
        ps.iter()
            .find(|p| p.name == n)
            .unwrap_or_else(|| panic!("no pod {n}"))
    };
    let (from, to) = (pod(&k.from), pod(&k.to));
    let size = k.size.map(|s| s.to_string());
    // ping -s is the ICMP payload: the IP packet is 28 bytes more
    let ping = size
        .as_ref()
        .map(|s| format!("-M dont -s {}", s.parse::<u32>().unwrap() - 28));
    let pings = || {
        Command::new("nsenter")
            .args([
                &format!("--net={}", from.netns),
                "ping",
                "-c",
                "1",
                "-W",
                "1",
            ])
            .args(ping.iter().flat_map(|p| p.split_whitespace()))
            .arg(&to.ip)
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    // before: it works (and the neighbours on the way are fresh)
    assert!(
        pings(),
        "{}: ping {} → {} fails before the fault",
        k.fault,
        from.name,
        to.name
    );
    let mut a = vec!["break", k.fault, "--name", name];
    a.extend(k.args.iter().map(String::as_str));
    lab_ok(&a);
    assert!(
        !pings(),
        "{}: ground truth: ping {} → {} still works",
        k.fault,
        from.name,
        to.name
    );
    let mut tracer = Tracer::start(&format!(
        "{}-{name}-{}",
        common::node::unique_prefix(),
        k.fault
    ));
    let mut probe = vec![
        "probe",
        &from.name,
        &to.ip,
        "--why",
        "-c",
        "2",
        "--interval",
        "0.1",
        "-o",
        "json",
    ];
    if let Some(s) = &size {
        probe.extend(["--size", s]);
    }
    let o = podnet_on_node(&probe);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}: the probe must fail: {}",
        k.fault,
        text(&o)
    );
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("probe: not JSON ({e}): {}", text(&o)));
    let raw = tracer.read().to_string();
    drop(tracer);
    lab_ok(&["fix", k.fault, "--name", name]);
    let run = &v["probes"][0];
    // a pod's own namespace is charged to it, a node's to the packet's source
    let want_pod = match ps.iter().find(|p| p.netns == k.netns) {
        Some(p) => &p.name,
        None if k.direction == "request" => &from.name,
        None => &to.name,
    };
    let in_function = |loc: &str| {
        k.functions
            .iter()
            .any(|f| loc.starts_with(&format!("{f}+")))
    };
    let found = run["why"].as_array().into_iter().flatten().any(|d| {
        d["reason"] == k.reason
            && in_function(d["location"].as_str().unwrap_or_default())
            && d["direction"] == k.direction
            && d["netns_inode"] == inode_of(&k.netns)
            && d["interface"] == k.interface.as_str()
            && d["pod"] == want_pod.as_str()
    });
    assert!(
        found,
        "{}: want {} in {:?}, {} in {} on {} charged to {want_pod}; probe --why gave {:#}\nraw tracepoint:\n{raw}",
        k.fault, k.reason, k.functions, k.direction, k.netns, k.interface, run["why"]
    );
    let traced = raw.lines().any(|l| {
        l.ends_with(&format!("reason: {}", k.reason))
            && l.split("location=").nth(1).is_some_and(in_function)
    });
    assert!(
        traced,
        "{}: the raw tracepoint shows no {} in {:?}:\n{raw}",
        k.fault, k.reason, k.functions
    );
}

/// One lab fault's case: `fault args…`, probed `from` → `to`; the kernel
/// must drop it with `reason` in one of `functions`.
#[allow(clippy::too_many_arguments)]
fn says(
    fault: &'static str,
    args: &[&str],
    (from, to): (&str, &str),
    (reason, functions): (&'static str, &'static [&'static str]),
    direction: &'static str,
    netns: String,
    interface: String,
) -> KernelSays {
    KernelSays {
        fault,
        args: args.iter().map(|a| a.to_string()).collect(),
        from: format!("default/{from}"),
        to: format!("default/{to}"),
        size: None,
        reason,
        functions,
        direction,
        netns,
        interface,
    }
}

/// A pod's netns from the lab's state (its bind mount: stat is the oracle).
fn pod_netns(st: &Value, pod: &str) -> String {
    pods(st)
        .into_iter()
        .find(|p| p.name == format!("default/{pod}"))
        .map(|p| p.netns)
        .unwrap_or_else(|| panic!("no pod {pod}"))
}

/// `__dev_forward_skb2` on current kernels, `__dev_forward_skb` before 5.12.
const VETH_FORWARD: &[&str] = &["__dev_forward_skb2", "__dev_forward_skb"];
/// `nft_do_chain` for nft tables, `nf_hook_slow` for a legacy table's verdict.
const NETFILTER: &[&str] = &["nft_do_chain", "nf_hook_slow"];

node_test! {
    /// Every lab fault on a VXLAN bridge lab and on a routed ptp lab, as
    /// the kernel reports it (the expected reasons and functions come from
    /// the kernel's code, not from podnet): `probe --why` names the reason,
    /// direction, namespace, interface and pod, and the raw tracepoint shows
    /// the same reason in the same function.
    fn probe_why_gives_the_kernels_reason_for_every_lab_fault() {
        common::tracer::ensure_tracefs();
        let name = "kw";
        lab_ok(&["up", "--name", name, "--nodes", "3", "--pods", "2"]);
        let st = state(name);
        let node = |n: &str| format!("/run/podnet/lab/{name}/netns/{n}");
        let mut mtu = says("mtu", &["--pod", "web-2-1"], ("web-2-1", "web-1-1"),
            // the pod's 1500-byte packet is over its host veth's 1450: is_skb_forwardable fails
            // in the veth's forward to its peer, freed without a specific reason
            ("NOT_SPECIFIED", VETH_FORWARD), "request", pod_netns(&st, "web-2-1"), "eth0".into());
        mtu.size = Some(1500);
        let cases = [
            mtu,
            // vxlan_xmit: no FDB entry for the destination MAC, nothing to send to
            says("fdb", &["--node", "1", "--peer", "3"], ("web-1-1", "web-3-1"),
                ("NO_TX_TARGET", &["vxlan_xmit"]), "request", node("node1"), "flannel.1".into()),
            // ip_forward=0: the input route is an error route, ip_error counts IPSTATS_MIB_INADDRERRORS
            says("forwarding", &["--node", "node2"], ("web-1-1", "web-2-1"),
                ("IP_INADDRERRORS", &["ip_error"]), "request", node("node2"), "flannel.1".into()),
            // strict rp_filter: the reply comes in on the underlay while the way back is
            // flannel.1; fib_validate_source fails in ip_rcv_finish_core
            says("rp-filter", &["--node", "1", "--peer", "3"], ("web-1-1", "web-3-1"),
                ("IP_RPFILTER", &["ip_rcv_finish_core"]), "reply", node("node1"), "eth0".into()),
            // no route to node1's pods on node2: ip_error counts IPSTATS_MIB_INNOROUTES
            says("route", &["--node", "2", "--peer", "1"], ("web-2-1", "web-1-1"),
                ("IP_INNOROUTES", &["ip_error"]), "request", node("node2"), "cni0".into()),
            // FORWARD policy drop: NF_DROP
            says("forward-drop", &["--node", "2"], ("web-2-1", "web-1-1"),
                ("NETFILTER_DROP", NETFILTER), "request", node("node2"), "cni0".into()),
            // a down bridge port loses its FDB entries (br_fdb_delete_by_port): the frame is
            // flooded, and the sibling pod's ip_rcv_core drops it as PACKET_OTHERHOST
            says("veth-down", &["--pod", "default/web-3-2"], ("web-1-1", "web-3-2"),
                ("OTHERHOST", &["ip_rcv_core"]), "request", pod_netns(&st, "web-3-1"), "eth0".into()),
        ];
        for k in &cases {
            kernel_explains(name, &st, k);
        }
        lab_ok(&["down", "--name", name]);

        let name = "kr";
        lab_ok(&["up", "--name", name, "--nodes", "2", "--pods", "2", "--overlay", "routed", "--mode", "ptp"]);
        let st = state(name);
        let node = |n: &str| format!("/run/podnet/lab/{name}/netns/{n}");
        let ip = |pod: &str| pods(&st).into_iter().find(|p| p.name == format!("default/{pod}")).map(|p| p.ip).unwrap();
        // a pod's host veth: the device its node routes the pod's address out of
        let veth_of = |n: &str, pod: &str| route_dev(&node(n), &ip(pod));
        let mut mtu = says("mtu", &["--pod", "web-1-2"], ("web-1-2", "web-2-1"),
            ("NOT_SPECIFIED", VETH_FORWARD), "request", pod_netns(&st, "web-1-2"), "eth0".into());
        mtu.size = Some(1600);
        let cases = [
            mtu,
            says("forwarding", &["--node", "1"], ("web-1-1", "web-2-1"),
                ("IP_INADDRERRORS", &["ip_error"]), "request", node("node1"), veth_of("node1", "web-1-1")),
            says("forward-drop", &["--node", "1"], ("web-1-1", "web-2-1"),
                ("NETFILTER_DROP", NETFILTER), "request", node("node1"), veth_of("node1", "web-1-1")),
            says("route", &["--node", "2"], ("web-2-1", "web-1-1"),
                ("IP_INNOROUTES", &["ip_error"]), "request", node("node2"), veth_of("node2", "web-2-1")),
            // the pod's /32 route went with its host veth, and nothing else matches
            says("veth-down", &["--pod", "web-2-1"], ("web-1-1", "web-2-1"),
                ("IP_INNOROUTES", &["ip_error"]), "request", node("node2"), "eth0".into()),
        ];
        for k in &cases {
            kernel_explains(name, &st, k);
        }
        lab_ok(&["down", "--name", name]);
    }
}
