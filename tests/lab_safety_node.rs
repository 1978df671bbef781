//! Privileged tests that the lab keeps its promises, each on its own
//! private node: an `up` killed (SIGKILL) or interrupted (SIGINT) half-way
//! leaves nothing that `lab down` does not remove, and `lab fix` converges
//! in one run on FDB entries with a wrong destination, on policy rules and
//! routes in other tables, and on a pod whose pause process died.
//!
//! Faults are injected with plain `kill`, `ip` and `bridge`; the oracles
//! are the test's own: /proc and mountinfo scans, `lsns -J`, `ip -j`,
//! `bridge -j` and iputils `ping` inside the lab's namespaces.

mod common;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::lab::{
    Lab, lab_netns_mounts, lsns_net, nsenter, nsenter_output, nsfs_mounts, own_netns, ping,
    processes, processes_elsewhere, reap_children, text,
};
use common::node::{podnet_command, podnet_on_node};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

fn lab(args: &[&str]) -> Output {
    let mut a = vec!["lab"];
    a.extend_from_slice(args);
    podnet_on_node(&a)
}

fn lab_ok(args: &[&str]) -> String {
    let o = lab(args);
    assert!(o.status.success(), "lab {args:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn status_json(name: &str) -> (i32, Value) {
    let o = lab(&["status", "--name", name, "-o", "json"]);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("lab status: not JSON ({e}): {}", text(&o)));
    (o.status.code().unwrap_or(-1), v)
}

/// `lab up` in the background (in its own process group when `group`, as
/// a shell runs a foreground job, so a Ctrl-C can go to all of it).
fn spawn_up(name: &str, nodes: &str, pods: &str, group: bool) -> Child {
    let mut cmd = podnet_command(&[
        "lab", "up", "--name", name, "--nodes", nodes, "--pods", pods,
    ]);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    if group {
        cmd.process_group(0);
    }
    cmd.spawn().expect("spawn lab up")
}

/// How many processes run in a pod namespace of the lab (its netns is one
/// of the `cni-*` bind mounts under the lab's directory).
fn in_pod_netns(name: &str) -> usize {
    let pods: Vec<u64> = lab_netns_mounts(name)
        .into_iter()
        .filter(|(p, _)| p.contains("/netns/cni-"))
        .map(|(_, i)| i)
        .collect();
    processes()
        .iter()
        .filter(|p| pods.contains(&p.netns))
        .count()
}

/// A moment to kill `lab up` at: what it is, and the test's own oracle
/// that says the lab (by name) has got there.
type KillPoint = (&'static str, fn(&str) -> bool);

/// Polls the test's own oracle until `reached`; panics if `up` ends first.
fn wait_for(up: &mut Child, what: &str, reached: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !reached() {
        if let Ok(Some(st)) = up.try_wait() {
            panic!("lab up ended ({st}) before {what}");
        }
        assert!(Instant::now() < deadline, "lab up never got to {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(
        up.try_wait().expect("wait for lab up").is_none(),
        "lab up ended before {what}"
    );
}

/// Waits until every process left in a lab namespace is a pause process:
/// the plugins that a killed `up` had started finish their ADD by themselves.
fn wait_for_plugins(name: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let lab_ns: Vec<u64> = lab_netns_mounts(name).into_values().collect();
        let busy: Vec<_> = processes()
            .into_iter()
            .filter(|p| lab_ns.contains(&p.netns))
            .filter(|p| p.argv.get(1).map(String::as_str) != Some("pause"))
            .collect();
        if busy.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "processes stay busy in the lab: {busy:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Nothing of lab `name` is left: no process outside the private node's
/// own netns, no nsfs mount, no directory, and lsns lists only the node's
/// netns.
fn assert_nothing_left(name: &str, when: &str) {
    reap_children();
    let left = processes_elsewhere();
    assert!(
        left.is_empty(),
        "{when}: processes are left in other namespaces: {left:#?}"
    );
    let mounts = nsfs_mounts();
    assert!(
        mounts.is_empty(),
        "{when}: nsfs mounts are left:\n{}",
        mounts.join("\n")
    );
    let dir = format!("/run/podnet/lab/{name}");
    assert!(!Path::new(&dir).exists(), "{when}: {dir} is left");
    assert_eq!(
        lsns_net(),
        vec![own_netns()],
        "{when}: lsns lists more than the node's own netns"
    );
}

node_test! {
    /// `lab up` SIGKILLed at several points (its namespaces made, its first
    /// pod's pause started, ten pods, forty pods): `lab down` then removes
    /// every pause process, namespace, mount and file, and a new `up` works.
    fn a_killed_up_leaves_nothing_after_down() {
        let name = "kl";
        let points: [KillPoint; 4] = [
            ("the node namespaces exist", |n| lab_netns_mounts(n).len() >= 3),
            ("a first pod process runs", |n| in_pod_netns(n) >= 1),
            ("ten pod processes run", |n| in_pod_netns(n) >= 10),
            ("forty pod processes run", |n| in_pod_netns(n) >= 40),
        ];
        for (what, reached) in points {
            let mut up = spawn_up(name, "2", "30", false);
            wait_for(&mut up, what, || reached(name));
            kill(Pid::from_raw(up.id() as i32), Signal::SIGKILL).expect("SIGKILL lab up");
            let st = up.wait().expect("wait for lab up");
            assert_eq!(st.code(), None, "{what}: lab up was not killed: {st}");
            wait_for_plugins(name);
            let held = in_pod_netns(name);
            println!("killed when {what}: {held} pod processes left for down");
            let out = lab_ok(&["down", "--name", name]);
            assert!(out.contains("is down"), "{what}: {out}");
            assert_nothing_left(name, &format!("killed when {what} ({held} pod processes), then down"));
        }
        let l = Lab::up(name, &["--nodes", "2", "--pods", "2"]);
        let (code, v) = status_json(name);
        assert_eq!((code, &v["ok"]), (0, &Value::Bool(true)), "{v:#}");
        l.down();
        assert_nothing_left(name, "after the last down");
    }
}

node_test! {
    /// Ctrl-C (SIGINT to `lab up`'s process group) half-way: `up` tears down
    /// what it built and exits 130; nothing is left and a new `up` works.
    fn an_interrupted_up_tears_down_and_exits_130() {
        let name = "ci";
        let mut up = spawn_up(name, "2", "30", true);
        wait_for(&mut up, "ten pod processes run", || in_pod_netns(name) >= 10);
        kill(Pid::from_raw(-(up.id() as i32)), Signal::SIGINT).expect("SIGINT the group");
        let out = up.wait_with_output().expect("wait for lab up");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{}\n{err}", out.status);
        assert!(err.contains("interrupted"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_nothing_left(name, "after the interrupted up");
        let l = Lab::up(name, &["--nodes", "2", "--pods", "1"]);
        l.down();
        assert_nothing_left(name, "after down");
    }
}

/// The FDB entries of `flannel.1` in a namespace that have a destination,
/// as `bridge -j fdb show` prints them: "MAC dst IP[ port P][ vni V]", sorted.
fn tunnel_fdb(netns: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(&nsenter(
        netns,
        "bridge",
        &["-j", "fdb", "show", "dev", "flannel.1"],
    ))
    .expect("bridge -j fdb");
    let mut out: Vec<String> = v
        .as_array()
        .expect("fdb array")
        .iter()
        .filter_map(|e| {
            let mut s = format!("{} dst {}", e["mac"].as_str()?, e["dst"].as_str()?);
            for k in ["port", "vni"] {
                if let Some(x) = e[k].as_u64() {
                    s.push_str(&format!(" {k} {x}"));
                }
            }
            Some(s)
        })
        .collect();
    out.sort();
    out
}

node_test! {
    /// node1's FDB entry for node2's VTEP pointing at a wrong IP, or at the
    /// right IP on a wrong UDP port, and a stray default (all-zero MAC)
    /// entry with its own port: each is healed by one `lab fix --all`, and
    /// flannel.1's FDB then holds exactly the wanted entry (and the
    /// cross-node ping works).
    fn one_fix_heals_fdb_entries_with_a_wrong_destination() {
        let name = "fd";
        let l = Lab::up(name, &["--nodes", "2", "--pods", "1"]);
        let node1 = l.node("node1").netns.clone();
        let mac2 = l.node("node2").vtep_mac.clone().expect("vtep mac");
        let ip2 = l.node("node2").underlay_ip.clone();
        let want = vec![format!("{mac2} dst {ip2}")];
        assert_eq!(tunnel_fdb(&node1), want, "the lab's FDB before the fault");
        let (from, to) = (l.pod("web-1-1").netns.clone(), l.pod("web-2-1").ip.clone());
        assert!(ping(&from, &to, &[]).0, "cross-node ping fails before the fault");
        let faults: [(&str, Vec<&str>, String, bool); 3] = [
            (
                "a wrong dst",
                vec!["fdb", "replace", &mac2, "dev", "flannel.1", "dst", "172.30.0.99"],
                format!("{mac2} dst 172.30.0.99"),
                true,
            ),
            (
                "a wrong port",
                vec!["fdb", "replace", &mac2, "dev", "flannel.1", "dst", &ip2, "port", "4789"],
                format!("{mac2} dst {ip2} port 4789"),
                true,
            ),
            (
                "a stray default entry",
                vec!["fdb", "append", "00:00:00:00:00:00", "dev", "flannel.1", "dst", "172.30.0.99", "port", "4789"],
                "00:00:00:00:00:00 dst 172.30.0.99 port 4789".to_string(),
                false,
            ),
        ];
        for (what, cmd, shows, breaks_ping) in faults {
            nsenter(&node1, "bridge", &cmd);
            let seen = tunnel_fdb(&node1);
            assert!(seen.contains(&shows), "{what}: {seen:?}");
            if breaks_ping {
                let (ok, out) = ping(&from, &to, &[]);
                assert!(!ok, "{what}: the wrong FDB entry did not break the ping: {out}");
            }
            let out = l.fix_all();
            assert!(!out.contains("nothing to fix"), "{what}: {out}");
            assert_eq!(tunnel_fdb(&node1), want, "{what}: after one fix:\n{out}");
            let (ok, p) = ping(&from, &to, &[]);
            assert!(ok, "{what}: cross-node ping fails after one fix:\n{out}\n{p}");
            let again = l.fix_all();
            assert!(again.contains("nothing to fix"), "{what}: a second fix still changes: {again}");
        }
        l.down();
    }
}

/// `ip -j rule show` in a namespace as (priority, table) pairs.
fn rules(netns: &str) -> Vec<(u64, String)> {
    let v: Value =
        serde_json::from_str(&nsenter(netns, "ip", &["-j", "rule", "show"])).expect("ip -j rule");
    v.as_array()
        .expect("rules")
        .iter()
        .map(|r| {
            (
                r["priority"].as_u64().unwrap_or(u64::MAX),
                r["table"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect()
}

/// `ip -j route show table <t>` in a namespace, as JSON.
fn routes_of_table(netns: &str, table: &str) -> Vec<Value> {
    let o = nsenter_output(netns, "ip", &["-j", "route", "show", "table", table]);
    let s = String::from_utf8_lossy(&o.stdout);
    if s.trim().is_empty() {
        return Vec::new();
    }
    serde_json::from_str::<Value>(&s)
        .expect("ip -j route")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn default_rules() -> Vec<(u64, String)> {
    vec![
        (0, "local".into()),
        (32766, "main".into()),
        (32767, "default".into()),
    ]
}

node_test! {
    /// A policy rule sending node1's pod traffic to a table that holds only
    /// `unreachable default`, a route in the local table shadowing the main
    /// one, and a missing `lookup main` rule each break cross-node traffic;
    /// `lab status` notices, and one `lab fix --all` restores the rules and
    /// tables (and the traffic).
    fn fix_restores_policy_rules_and_other_tables() {
        let name = "ru";
        let l = Lab::up(name, &["--nodes", "2", "--pods", "1"]);
        let node1 = l.node("node1").netns.clone();
        let (from, to) = (l.pod("web-1-1").netns.clone(), l.pod("web-2-1").ip.clone());
        let remote_cidr = l.node("node2").pod_cidr.clone();
        assert_eq!(rules(&node1), default_rules());
        assert!(ping(&from, &to, &[]).0, "cross-node ping fails before the fault");
        let faults: [(&str, &[&[&str]]); 3] = [
            (
                "a rule to a table with only unreachable default",
                &[
                    &["route", "add", "unreachable", "default", "table", "100"],
                    &["rule", "add", "from", "10.244.1.0/24", "lookup", "100", "pref", "100"],
                ],
            ),
            (
                "an unreachable route in the local table",
                &[&["route", "add", "unreachable", &remote_cidr, "table", "local"]],
            ),
            ("no lookup main rule", &[&["rule", "del", "pref", "32766"]]),
        ];
        for (what, cmds) in faults {
            for c in cmds {
                nsenter(&node1, "ip", c);
            }
            let (ok, out) = ping(&from, &to, &[]);
            assert!(!ok, "{what}: the fault did not break the ping: {out}");
            let (code, v) = status_json(name);
            assert_eq!((code, &v["ok"]), (1, &Value::Bool(false)), "{what}: status did not notice");
            let dry = lab(&["fix", "--all", "--dry-run", "--name", name]);
            assert_eq!(dry.status.code(), Some(1), "{what}: {}", text(&dry));
            let out = l.fix_all();
            assert!(!out.contains("nothing to fix"), "{what}: {out}");
            assert_eq!(rules(&node1), default_rules(), "{what}: rules after fix:\n{out}");
            assert!(routes_of_table(&node1, "100").is_empty(), "{what}: table 100 is left:\n{out}");
            let shadow: Vec<Value> = routes_of_table(&node1, "local")
                .into_iter()
                .filter(|r| r["dst"] == remote_cidr.as_str())
                .collect();
            assert!(shadow.is_empty(), "{what}: {shadow:?}\n{out}");
            let (ok, p) = ping(&from, &to, &[]);
            assert!(ok, "{what}: cross-node ping fails after fix:\n{out}\n{p}");
            let (code, v) = status_json(name);
            assert_eq!(code, 0, "{what}: status after fix: {:#}", v["matrix"]["findings"]);
            assert!(l.fix_all().contains("nothing to fix"), "{what}: a second fix still changes");
        }
        l.down();
    }
}

/// The state file's pause PID of a pod.
fn recorded_pause(name: &str, pod: &str) -> i32 {
    let p = format!("/run/podnet/lab/{name}/state.json");
    let st: Value =
        serde_json::from_str(&std::fs::read_to_string(&p).expect("state")).expect("json");
    st["pods"]
        .as_array()
        .expect("pods")
        .iter()
        .find(|x| x["name"] == pod)
        .and_then(|x| x["pause_pid"].as_i64())
        .expect("pause_pid") as i32
}

node_test! {
    /// A pod's pause process killed by PID: `lab status` shows the pod
    /// `pause-gone`, `lab fix --all` starts a new pause holding that pod's
    /// netns and records its PID; `down` then stops it.
    fn fix_restarts_a_dead_pause_process() {
        let name = "pz";
        let l = Lab::up(name, &["--nodes", "1", "--pods", "2"]);
        let pod = l.pod("web-1-1");
        let old = recorded_pause(name, "web-1-1");
        let holders = |ino: u64| -> Vec<common::lab::Proc> {
            processes().into_iter().filter(|p| p.netns == ino).collect()
        };
        assert_eq!(holders(pod.inode).iter().map(|p| p.pid).collect::<Vec<_>>(), vec![old]);
        kill(Pid::from_raw(old), Signal::SIGKILL).expect("kill the pause");
        let deadline = Instant::now() + Duration::from_secs(5);
        while !holders(pod.inode).is_empty() {
            reap_children();
            assert!(Instant::now() < deadline, "the pause process does not die");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!lsns_net().contains(&pod.inode), "lsns still sees a process in the pod");
        let (code, v) = status_json(name);
        assert_eq!(code, 1, "{v:#}");
        let st = v["pods"].as_array().unwrap().iter().find(|p| p["pod"] == "default/web-1-1").unwrap();
        assert_eq!(st["state"], "pause-gone", "{v:#}");
        let dry = lab(&["fix", "--all", "--dry-run", "--name", name]);
        assert_eq!(dry.status.code(), Some(1), "{}", text(&dry));
        let out = l.fix_all();
        assert!(!out.contains("nothing to fix") && out.contains("pause"), "{out}");
        let now = holders(pod.inode);
        assert_eq!(now.len(), 1, "{now:?}");
        let new = &now[0];
        assert_ne!(new.pid, old);
        assert_eq!(new.argv[1..], ["pause", "--netns", pod.netns.as_str()], "{new:?}");
        let comm = std::fs::read_to_string(format!("/proc/{}/comm", new.pid)).unwrap();
        assert_eq!(comm.trim(), "pause");
        assert_eq!(recorded_pause(name, "web-1-1"), new.pid, "the new PID is not recorded");
        assert!(lsns_net().contains(&pod.inode), "lsns does not see the new pause");
        let (code, v) = status_json(name);
        assert_eq!(code, 0, "{v:#}");
        assert!(l.fix_all().contains("nothing to fix"));
        l.down();
        reap_children();
        assert!(processes_elsewhere().is_empty(), "{:?}", processes_elsewhere());
    }
}
