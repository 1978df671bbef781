//! Helpers for privileged tests that drive a `podnet lab` on the private
//! node: bring a lab up and read its state file, run plain commands inside
//! its namespaces with `nsenter --net` (the fault injection and the
//! oracles), run `podnet doctor` / `trace` / `probe` on it, keep background
//! servers by PID, and snapshot the lab's kernel state.
//!
//! Everything stays inside the lab's namespaces: no command here runs in
//! the private node's own network namespace except podnet itself, and no
//! packet is addressed outside the lab.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::UdpSocket;
use std::os::fd::AsFd;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::node::podnet_on_node;

/// The doctor's check ids, in the order it shows them (the list).
pub const CHECK_IDS: [&str; 13] = [
    "ip-forward",
    "rp-filter",
    "mtu",
    "tunnel",
    "routes",
    "firewall",
    "veth",
    "pods",
    "bridge-nf",
    "conntrack",
    "cni",
    "node-env",
    "kernel-stats",
];

/// stdout, stderr and status of a finished command, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `program args…` inside the network namespace at `netns` (only the
/// netns changes: `nsenter --net`), without a shell; returns its output.
pub fn nsenter_output(netns: &str, program: &str, args: &[&str]) -> Output {
    Command::new("nsenter")
        .arg(format!("--net={netns}"))
        .arg("--")
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("spawn nsenter")
}

/// `nsenter_output`, asserting success; returns stdout.
pub fn nsenter(netns: &str, program: &str, args: &[&str]) -> String {
    let o = nsenter_output(netns, program, args);
    assert!(
        o.status.success(),
        "nsenter --net={netns} {program} {args:?} failed: {}",
        text(&o)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs a shell command line inside the namespace (`nsenter --net=… sh -c`).
pub fn nsenter_sh(netns: &str, cmd: &str) -> String {
    nsenter(netns, "sh", &["-c", cmd])
}

pub struct LabNode {
    pub name: String,
    pub netns: String,
    pub inode: u64,
    pub underlay_ip: String,
    pub pod_cidr: String,
    pub vtep_mac: Option<String>,
}

pub struct LabPod {
    /// `default/web-1-1`.
    pub name: String,
    /// `web-1-1`.
    pub short: String,
    pub node: String,
    pub ip: String,
    pub netns: String,
    pub inode: u64,
    pub host_veth: String,
}

/// A lab that is up, as its state file describes it.
pub struct Lab {
    pub name: String,
    pub overlay: String,
    pub nodes: Vec<LabNode>,
    pub pods: Vec<LabPod>,
    pub switch_netns: String,
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

impl Lab {
    /// `podnet lab up --name <name> <args…>`, then reads the state file.
    pub fn up(name: &str, args: &[&str]) -> Lab {
        let mut a = vec!["lab", "up", "--name", name];
        a.extend_from_slice(args);
        let o = podnet_on_node(&a);
        assert!(o.status.success(), "lab up {args:?}: {}", text(&o));
        Lab::read(name)
    }

    pub fn read(name: &str) -> Lab {
        let path = format!("/run/podnet/lab/{name}/state.json");
        let st: Value = serde_json::from_str(
            &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        )
        .unwrap_or_else(|e| panic!("{path}: {e}"));
        Lab {
            name: name.into(),
            overlay: s(&st["overlay"]),
            switch_netns: s(&st["switch"]["netns"]),
            nodes: st["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .map(|n| LabNode {
                    name: s(&n["name"]),
                    netns: s(&n["netns"]),
                    inode: n["inode"].as_u64().expect("node inode"),
                    underlay_ip: s(&n["underlay_ip"]),
                    pod_cidr: s(&n["pod_cidr"]),
                    vtep_mac: n["vtep_mac"].as_str().map(String::from),
                })
                .collect(),
            pods: st["pods"]
                .as_array()
                .expect("pods")
                .iter()
                .map(|p| LabPod {
                    name: format!("{}/{}", s(&p["namespace"]), s(&p["name"])),
                    short: s(&p["name"]),
                    node: s(&p["node"]),
                    ip: s(&p["ip"]),
                    netns: s(&p["netns"]),
                    inode: p["inode"].as_u64().expect("pod inode"),
                    host_veth: s(&p["host_veth"]),
                })
                .collect(),
        }
    }

    pub fn node(&self, name: &str) -> &LabNode {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .unwrap_or_else(|| panic!("lab {} has no node {name}", self.name))
    }

    /// A pod by its short name (`web-1-1`).
    pub fn pod(&self, short: &str) -> &LabPod {
        self.pods
            .iter()
            .find(|p| p.short == short)
            .unwrap_or_else(|| panic!("lab {} has no pod {short}", self.name))
    }

    /// `podnet lab fix --all`.
    pub fn fix_all(&self) -> String {
        let o = podnet_on_node(&["lab", "fix", "--all", "--name", &self.name]);
        assert!(o.status.success(), "lab fix --all: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// `podnet lab down`.
    pub fn down(&self) {
        let o = podnet_on_node(&["lab", "down", "--name", &self.name]);
        assert!(o.status.success(), "lab down: {}", text(&o));
    }

    /// Every namespace of the lab: (label, bind-mount path).
    pub fn namespaces(&self) -> Vec<(String, String)> {
        std::iter::once(("switch".to_string(), self.switch_netns.clone()))
            .chain(self.nodes.iter().map(|n| (n.name.clone(), n.netns.clone())))
            .chain(self.pods.iter().map(|p| (p.name.clone(), p.netns.clone())))
            .collect()
    }
}

/// Exit code and parsed JSON stdout of a podnet run (no panic allowed).
pub fn podnet_json_code(args: &[&str]) -> (i32, Value) {
    let o = podnet_on_node(args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !stderr.contains("panicked"),
        "podnet {args:?} panicked:\n{stderr}"
    );
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("podnet {args:?}: not JSON ({e}): {}", text(&o)));
    (o.status.code().unwrap_or(-1), v)
}

/// `podnet doctor --node-netns <path> --sample 0.3 -o json`.
pub fn doctor(node_netns: &str) -> (i32, Value) {
    podnet_json_code(&[
        "doctor",
        "--node-netns",
        node_netns,
        "--sample",
        "0.3",
        "-o",
        "json",
    ])
}

/// Doctor on every node of the lab at once (each run samples for 0.3 s).
pub fn doctor_all(lab: &Lab) -> Vec<(String, i32, Value)> {
    std::thread::scope(|sc| {
        let runs: Vec<_> = lab
            .nodes
            .iter()
            .map(|n| sc.spawn(|| (n.name.clone(), doctor(&n.netns))))
            .collect();
        runs.into_iter()
            .map(|h| {
                let (name, (code, v)) = h.join().expect("doctor thread");
                (name, code, v)
            })
            .collect()
    })
}

/// A check of a doctor report by id.
pub fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

/// Ids of the checks with this status.
pub fn with_status(report: &Value, status: &str) -> Vec<String> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["status"] == status)
        .map(|c| s(&c["id"]))
        .collect()
}

/// The summary, every evidence fact and source, and the hint of a check, as one text.
pub fn check_text(c: &Value) -> String {
    let mut t = format!("{}\n", c["summary"].as_str().unwrap_or_default());
    for e in c["evidence"].as_array().into_iter().flatten() {
        t.push_str(&format!(
            "{}  [{}]\n",
            e["fact"].as_str().unwrap_or_default(),
            e["from"].as_str().unwrap_or_default()
        ));
    }
    t
}

/// The JSON contract of `doctor -o json`: `{"node", "checks":[{"id",
/// "status", "summary", "evidence":[{"fact","from"}], "hint"}], "warnings"}`
/// with the thirteen checks in order.
pub fn assert_doctor_shape(v: &Value) {
    let top: Vec<&str> = v
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(top, vec!["checks", "node", "warnings"], "{v:#}");
    assert!(v["node"]["netns_inode"].as_u64().is_some(), "{v:#}");
    assert!(v["node"]["label"].as_str().is_some(), "{v:#}");
    assert!(v["warnings"].as_array().is_some(), "{v:#}");
    let ids: Vec<&str> = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, CHECK_IDS, "{v:#}");
    for c in v["checks"].as_array().unwrap() {
        let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            vec!["evidence", "hint", "id", "status", "summary"],
            "{c:#}"
        );
        assert!(
            ["pass", "warn", "fail", "skip"].contains(&c["status"].as_str().unwrap_or("")),
            "{c:#}"
        );
        assert!(
            !c["summary"].as_str().unwrap_or("").is_empty(),
            "a check without a summary (a skip must say why): {c:#}"
        );
        assert!(c["hint"].is_null() || c["hint"].is_string(), "{c:#}");
        for e in c["evidence"].as_array().expect("evidence") {
            assert!(
                e["fact"].as_str().is_some_and(|f| !f.is_empty())
                    && e["from"].as_str().is_some_and(|f| !f.is_empty()),
                "evidence needs a fact and where it came from: {c:#}"
            );
        }
    }
}

/// `podnet trace <pod> <destination> -o json`.
pub fn trace(pod: &str, destination: &str) -> (i32, Value) {
    podnet_json_code(&["trace", pod, destination, "-o", "json"])
}

/// The first hop of a trace that is not `ok`, with its 1-based number.
pub fn first_bad_hop(t: &Value) -> Option<(usize, &Value)> {
    t["hops"]
        .as_array()
        .expect("hops")
        .iter()
        .enumerate()
        .find(|(_, h)| h["status"] != "ok")
        .map(|(i, h)| (i + 1, h))
}

/// iputils ping from inside a namespace: (every reply came back, output).
pub fn ping(netns: &str, target: &str, extra: &[&str]) -> (bool, String) {
    let mut args = vec!["-n", "-c", "2", "-i", "0.2", "-W", "1"];
    args.extend_from_slice(extra);
    args.push(target);
    let o = nsenter_output(netns, "ping", &args);
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

/// A long-lived process the test started (in a namespace, through
/// `nsenter --net`, which execs the program: the PID is the program's).
/// Killed by that PID, and reaped, when dropped.
pub struct Bg {
    child: Child,
    what: String,
}

impl Bg {
    pub fn start(netns: &str, program: &str, args: &[&str]) -> Bg {
        let child = Command::new("nsenter")
            .arg(format!("--net={netns}"))
            .arg("--")
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {program}: {e}"));
        Bg {
            child,
            what: format!("{program} {args:?} in {netns}"),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Panics if the process has already exited (it failed to start).
    pub fn assert_running(&mut self) {
        if let Ok(Some(st)) = self.child.try_wait() {
            panic!("{} exited: {st}", self.what);
        }
    }
}

impl Drop for Bg {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until something listens on `proto` (`t` or `u`) port `port` in the namespace.
pub fn wait_listening(netns: &str, proto: char, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let out = nsenter(
            netns,
            "ss",
            &[&format!("-Hln{proto}"), "sport", "=", &format!(":{port}")],
        );
        if !out.trim().is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "nothing listens on {proto} port {port} in {netns}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What a test UDP server does with a datagram.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum UdpMode {
    /// Sends it back.
    Echo,
    /// Reads it and answers nothing.
    Silent,
    /// A DNS server for the zone `lab.test`: `web.lab.test` has the A
    /// records given, `slow.lab.test` is never answered, every other name
    /// is NXDOMAIN; AAAA questions for `web` get an empty NOERROR.
    Dns,
}

/// A UDP server on a thread of this test that has entered a lab
/// namespace (the socket stays in the namespace it was created in).
pub struct UdpServer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl UdpServer {
    pub fn start(netns: &str, port: u16, mode: UdpMode, a_records: &[[u8; 4]]) -> UdpServer {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        let path = netns.to_string();
        let records = a_records.to_vec();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            nix::sched::setns(f.as_fd(), nix::sched::CloneFlags::CLONE_NEWNET)
                .unwrap_or_else(|e| panic!("setns {path}: {e}"));
            let sock = UdpSocket::bind(("0.0.0.0", port))
                .unwrap_or_else(|e| panic!("bind udp {port} in {path}: {e}"));
            sock.set_read_timeout(Some(Duration::from_millis(50)))
                .expect("read timeout");
            tx.send(()).expect("ready");
            let mut buf = [0u8; 1500];
            while !flag.load(Ordering::Relaxed) {
                let (n, from) = match sock.recv_from(&mut buf) {
                    Ok(x) => x,
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                        continue;
                    }
                    Err(e) => panic!("udp server in {path}: {e}"),
                };
                let reply = match mode {
                    UdpMode::Echo => Some(buf[..n].to_vec()),
                    UdpMode::Silent => None,
                    UdpMode::Dns => dns_answer(&buf[..n], &records),
                };
                if let Some(r) = reply {
                    let _ = sock.send_to(&r, from);
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(5))
            .expect("the UDP server did not start");
        UdpServer {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for UdpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The test's DNS server: the answer to one query (RFC 1035 wire format), or none.
fn dns_answer(q: &[u8], records: &[[u8; 4]]) -> Option<Vec<u8>> {
    if q.len() < 12 || u16::from_be_bytes([q[4], q[5]]) != 1 {
        return None;
    }
    let mut i = 12;
    let mut labels = Vec::new();
    loop {
        let len = *q.get(i)? as usize;
        i += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(q.get(i..i + len)?).to_lowercase());
        i += len;
    }
    let qtype = u16::from_be_bytes([*q.get(i)?, *q.get(i + 1)?]);
    let question_end = i + 4;
    q.get(..question_end)?;
    let name = labels.join(".");
    if name == "slow.lab.test" {
        return None;
    }
    let known = name == "web.lab.test";
    let answers: Vec<[u8; 4]> = if known && qtype == 1 {
        records.to_vec()
    } else {
        Vec::new()
    };
    let mut r = q[..question_end].to_vec();
    r[2] = 0x84 | (q[2] & 0x01); // QR, AA, RD copied
    r[3] = 0x80 | if known { 0 } else { 3 }; // RA; NOERROR or NXDOMAIN
    r[6..8].copy_from_slice(&(answers.len() as u16).to_be_bytes());
    r[8..12].copy_from_slice(&[0, 0, 0, 0]);
    for a in answers {
        r.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4]);
        r.extend_from_slice(&a);
    }
    Some(r)
}

/// Removes, at any depth, the keys of a JSON value that change by
/// themselves or with traffic (bridge timers, counters).
fn strip(v: &mut Value, drop: &dyn Fn(&str) -> bool) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !drop(k));
            for x in m.values_mut() {
                strip(x, drop);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| strip(x, drop)),
        _ => {}
    }
}

/// A JSON value as lines: one per element of a top-level array.
fn lines_of(v: &Value) -> String {
    match v {
        Value::Array(a) => a
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

fn json_of(netns: &str, program: &str, args: &[&str]) -> Value {
    let out = nsenter(netns, program, args);
    if out.trim().is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("{program} {args:?} in {netns}: not JSON ({e}): {out}"))
}

/// The kernel state of every lab namespace that doctor, trace and probe
/// read, as comparable text, one entry per namespace and aspect:
/// links (`ip -d`, without the bridge timers that tick by themselves),
/// addresses, IPv4 and IPv6 routes of every table, rules, permanent
/// neighbours, FDB entries that are not learnt, the sysctls doctor reads
/// (without nf_conntrack_count, which traffic changes), the nftables
/// ruleset (without rule counters), which legacy iptables tables exist and
/// `iptables-legacy-save` (without packet counters and its timestamp
/// comments). Left out because traffic itself changes them: counters,
/// dynamic neighbour entries and their states, learnt bridge FDB entries,
/// conntrack entries, and learnt path MTUs (route exceptions, which
/// `ip route show table all` does not list anyway).
pub fn snapshot(lab: &Lab) -> BTreeMap<String, String> {
    let mut snap = BTreeMap::new();
    for (label, ns) in lab.namespaces() {
        let mut put = |aspect: &str, v: String| {
            snap.insert(format!("{label} {aspect}"), v);
        };
        let mut links = json_of(&ns, "ip", &["-j", "-d", "link", "show"]);
        strip(&mut links, &|k| k.ends_with("_timer"));
        put("links", lines_of(&links));
        put(
            "addresses",
            lines_of(&json_of(&ns, "ip", &["-j", "addr", "show"])),
        );
        put(
            "routes",
            lines_of(&json_of(
                &ns,
                "ip",
                &["-j", "route", "show", "table", "all"],
            )),
        );
        put(
            "routes6",
            lines_of(&json_of(
                &ns,
                "ip",
                &["-6", "-j", "route", "show", "table", "all"],
            )),
        );
        put(
            "rules",
            lines_of(&json_of(&ns, "ip", &["-j", "rule", "show"])),
        );
        put(
            "neighbours",
            lines_of(&json_of(
                &ns,
                "ip",
                &["-j", "neigh", "show", "nud", "permanent"],
            )),
        );
        let fdb = json_of(&ns, "bridge", &["-j", "fdb", "show"]);
        let kept: Vec<Value> = fdb
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["state"] == "permanent" || e["state"] == "static")
            .cloned()
            .collect();
        put("fdb", lines_of(&Value::Array(kept)));
        put(
            "sysctls",
            nsenter_sh(
                &ns,
                "for f in /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding \
                 /proc/sys/net/ipv4/conf/*/rp_filter /proc/sys/net/ipv4/conf/*/forwarding \
                 /proc/sys/net/bridge/bridge-nf-call-iptables /proc/sys/net/netfilter/nf_conntrack_max; \
                 do [ -e \"$f\" ] && echo \"$f = $(cat $f)\"; done; true",
            ),
        );
        let mut nft = json_of(&ns, "nft", &["-j", "list", "ruleset"]);
        strip(&mut nft, &|k| k == "packets" || k == "bytes");
        put("nft", lines_of(&nft["nftables"]));
        put(
            "legacy-tables",
            nsenter_sh(&ns, "cat /proc/net/ip_tables_names 2>/dev/null; true"),
        );
        let save = nsenter(&ns, "iptables-legacy-save", &[]);
        let save: Vec<String> = save
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| match l.find(" [") {
                Some(i) if l.starts_with(':') => l[..i].to_string(),
                _ => l.to_string(),
            })
            .collect();
        put("iptables-legacy-save", save.join("\n"));
    }
    snap
}

/// Waits until IPv6 duplicate address detection is over in every lab
/// namespace: until then addresses are `tentative` and their local routes
/// are still to come, so the kernel state changes by itself.
pub fn wait_settled(lab: &Lab) {
    let deadline = Instant::now() + Duration::from_secs(15);
    for (label, ns) in lab.namespaces() {
        while !nsenter(&ns, "ip", &["-o", "addr", "show", "tentative"])
            .trim()
            .is_empty()
        {
            assert!(
                Instant::now() < deadline,
                "{label}: addresses stay tentative"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The files under the private node's runtime directories: path, size, mtime.
pub fn files_snapshot() -> BTreeMap<String, String> {
    let out = super::sh(
        "find /run /var/lib/cni /etc/cni/net.d /var/log/pods -xdev \
         -not -path '/run/podnet-test-home*' -printf '%p %y %s %T@\\n' 2>/dev/null; true",
    );
    out.lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(p, rest)| (p.to_string(), rest.to_string()))
        .collect()
}

/// The entries of two snapshots that differ, with only the lines that
/// differ, for an assertion message.
pub fn snapshot_diff(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in a {
        match b.get(k) {
            None => out.push(format!("{k}: gone")),
            Some(w) if w != v => {
                let (old, new): (Vec<&str>, Vec<&str>) = (v.lines().collect(), w.lines().collect());
                let mut d = format!("{k}:");
                for l in old.iter().filter(|l| !new.contains(l)) {
                    d.push_str(&format!("\n  - {l}"));
                }
                for l in new.iter().filter(|l| !old.contains(l)) {
                    d.push_str(&format!("\n  + {l}"));
                }
                out.push(d);
            }
            _ => {}
        }
    }
    for k in b.keys().filter(|k| !a.contains_key(*k)) {
        out.push(format!("{k}: new: {}", b[k]));
    }
    out
}

/// The namespace inode of an nsfs mountinfo line's root field (`net:[4026532300]`).
fn nsfs_inode(root: &str) -> Option<u64> {
    root.strip_prefix("net:[")?.strip_suffix(']')?.parse().ok()
}

/// The network namespaces bind-mounted under `/run/podnet/lab/<name>/`,
/// from `/proc/self/mountinfo` (mount point → namespace inode).
pub fn lab_netns_mounts(name: &str) -> BTreeMap<String, u64> {
    let dir = format!("/run/podnet/lab/{name}/");
    let text = std::fs::read_to_string("/proc/self/mountinfo").expect("read mountinfo");
    text.lines()
        .filter(|l| l.contains(" - nsfs "))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let (root, point) = (f.get(3)?, f.get(4)?);
            point
                .starts_with(&dir)
                .then(|| Some((point.to_string(), nsfs_inode(root)?)))
                .flatten()
        })
        .collect()
}

/// Every nsfs mount of the private node (mountinfo lines).
pub fn nsfs_mounts() -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .expect("read mountinfo")
        .lines()
        .filter(|l| l.contains(" - nsfs "))
        .map(String::from)
        .collect()
}

/// A live process of the private node, read from /proc by the test.
#[derive(Debug, Clone)]
pub struct Proc {
    pub pid: i32,
    /// Its network namespace's inode.
    pub netns: u64,
    pub argv: Vec<String>,
}

/// Every live process (zombies and vanished ones are skipped: their
/// namespace links cannot be read).
pub fn processes() -> Vec<Proc> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(m) = std::fs::metadata(format!("/proc/{pid}/ns/net")) else {
            continue;
        };
        let argv = std::fs::read(format!("/proc/{pid}/cmdline"))
            .unwrap_or_default()
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        out.push(Proc {
            pid,
            netns: m.ino(),
            argv,
        });
    }
    out
}

/// The inode of this test's own network namespace (the private node's).
pub fn own_netns() -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self/ns/net")
        .expect("own netns")
        .ino()
}

/// Processes in any network namespace but the private node's own.
pub fn processes_elsewhere() -> Vec<Proc> {
    let own = own_netns();
    processes().into_iter().filter(|p| p.netns != own).collect()
}

/// The network namespaces `lsns -J -t net` lists.
pub fn lsns_net() -> Vec<u64> {
    let v: Value = serde_json::from_str(&super::sh("lsns -J -t net -o NS")).expect("lsns -J");
    v["namespaces"]
        .as_array()
        .expect("lsns namespaces")
        .iter()
        .filter_map(|n| n["ns"].as_u64().or_else(|| n["ns"].as_str()?.parse().ok()))
        .collect()
}

/// Reaps any exited child of this process (re-parented orphans included:
/// on its private node the test is PID 1), without blocking.
pub fn reap_children() {
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    while let Ok(st) = waitpid(None, Some(WaitPidFlag::WNOHANG)) {
        if st == WaitStatus::StillAlive {
            break;
        }
    }
}
