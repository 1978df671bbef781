//! `podnet drops` on a two-node host-gw layout podnet did not build: each
//! fault is injected with plain commands and its ground truth checked
//! (ping fails), the raw `skb:kfree_skb` tracepoint, read by the test
//! itself, shows the kernel's reason, and podnet reports that reason
//! attributed to the namespace, interface, pods and flow where the packet
//! died. Then: nothing stays attached after a normal exit, Ctrl-C or
//! `kill -9` (bpftool and tracefs are the oracles), and bad input is one
//! line and exit 2. `probe --why` and `trace --verify` match the kernel's
//! drops to their own packets, never to a hidden namespace's copy of the
//! same flow.

mod common;

use std::io::Read;
use std::process::Child;
use std::time::{Duration, Instant};

use common::layouts::{Kind, Layout, ns_sh};
use common::node::podnet_command;
use common::tracer::{Tracer, ensure_tracefs};
use serde_json::Value;

/// Whether `pid` holds a perf event (the probe is attached once it does).
fn has_perf_event(pid: u32) -> bool {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|rd| {
            rd.flatten().any(|e| {
                std::fs::read_link(e.path())
                    .is_ok_and(|l| l.to_string_lossy().contains("perf_event"))
            })
        })
        .unwrap_or(false)
}

/// The ids of the BPF programs `pid` holds, from its fdinfo.
fn prog_ids(pid: u32) -> Vec<u64> {
    let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("prog_id:").map(|v| v.trim().parse().ok()))
                .flatten()
        })
        .collect()
}

/// Starts `podnet drops -o json …` and waits until its probe is attached.
fn start_drops(args: &[&str]) -> Child {
    let mut all = vec!["drops", "-o", "json"];
    all.extend_from_slice(args);
    let child = podnet_command(&all).spawn().expect("spawn podnet drops");
    let t = Instant::now();
    while !has_perf_event(child.id()) {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "podnet drops never attached its probe"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// Its JSON lines (drops; warnings are skipped) once it has exited.
fn finish(child: Child) -> (i32, Vec<Value>, String) {
    let out = child.wait_with_output().expect("wait for podnet drops");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .filter(|v| v.get("warning").is_none())
        .collect();
    (out.status.code().unwrap_or(-1), lines, stderr)
}

/// One fault: inject, check that ping really fails, watch drops (and the
/// raw tracepoint) during a second ping, revert; the drops podnet saw.
fn watch(
    l: &Layout,
    from: usize,
    to: usize,
    inject: (&str, &str),
    revert: (&str, &str),
    pod: &str,
) -> (Vec<Value>, String) {
    assert!(l.ping(from, to, &[]).0, "baseline ping broken");
    ns_sh(inject.0, inject.1);
    assert!(
        !l.ping(from, to, &[]).0,
        "ground truth: the fault did not break ping ({})",
        inject.1
    );
    let mut tracer = Tracer::start(&format!("{}drops", l.prefix));
    let child = start_drops(&["--duration", "3", "--pod", pod]);
    let _ = l.ping(from, to, &["-c", "3", "-i", "0.2"]);
    let (code, drops, stderr) = finish(child);
    let raw = tracer.read().to_string();
    drop(tracer);
    ns_sh(revert.0, revert.1);
    assert!(
        l.ping(from, to, &[]).0,
        "ping broken after the revert ({})",
        revert.1
    );
    assert_eq!(code, 0, "{stderr}");
    (drops, raw)
}

/// The drops with `reason` of the flow `src → dst`.
fn of_flow<'a>(drops: &'a [Value], reason: &str, src: &str, dst: &str) -> Vec<&'a Value> {
    drops
        .iter()
        .filter(|d| d["reason"] == reason && d["src"] == src && d["dst"] == dst)
        .collect()
}

node_test! {
    fn drops_gives_the_kernels_reason_where_the_packet_died() {
        ensure_tracefs();
        let l = Layout::build(Kind::HostGw);
        let n1 = l.nodes[0].clone();
        let (a, c) = (0usize, 2usize);
        let (pa, pc) = (l.pods[a].clone(), l.pods[c].clone());
        let every_drop_is_the_pods = |drops: &[Value]| {
            for d in drops {
                let mine = [&d["pod"], &d["src_pod"], &d["dst_pod"]].iter().any(|p| **p == pa.full.as_str())
                    || d["netns_inode"] == pa.inode;
                assert!(mine, "a drop not of {} reported with --pod: {d}", pa.full);
            }
        };

        // a FORWARD drop on node1: NETFILTER_DROP in node1, on cni0, a → c
        let rule = format!("FORWARD -s {} -j DROP", pa.ip);
        let (drops, raw) = watch(
            &l, a, c,
            (&n1.netns, &format!("iptables -w -A {rule}")),
            (&n1.netns, &format!("iptables -w -D {rule}")),
            &pa.full,
        );
        assert!(raw.contains("reason: NETFILTER_DROP"), "the raw tracepoint shows no NETFILTER_DROP:\n{raw}");
        let hits = of_flow(&drops, "NETFILTER_DROP", &pa.ip, &pc.ip);
        assert!(!hits.is_empty(), "no NETFILTER_DROP of {} → {}: {drops:?}", pa.ip, pc.ip);
        for d in &hits {
            assert_eq!(d["netns_inode"], n1.inode, "{d}");
            assert_eq!(d["netns"], "the host", "{d}");
            assert_eq!(d["interface"], "cni0", "{d}");
            assert_eq!((&d["src_pod"], &d["dst_pod"]), (&Value::from(pa.full.as_str()), &Value::from(pc.full.as_str())), "{d}");
            assert_eq!((&d["proto"], &d["protocol"]), (&Value::from("icmp"), &Value::from("ipv4")), "{d}");
            assert!(d["location"].as_str().unwrap().contains("+0x"), "{d}");
        }
        every_drop_is_the_pods(&drops);

        // the route to node2's pods gone on node1: IP_INNOROUTES, on cni0
        let route = n1.remote_route.clone().expect("host-gw routes");
        let cidr = l.nodes[1].pod_cidr.clone();
        let (drops, raw) = watch(
            &l, a, c,
            (&n1.netns, &format!("ip route del {cidr}")),
            (&n1.netns, &format!("ip route add {route}")),
            &pa.full,
        );
        assert!(raw.contains("reason: IP_INNOROUTES"), "the raw tracepoint shows no IP_INNOROUTES:\n{raw}");
        let hits = of_flow(&drops, "IP_INNOROUTES", &pa.ip, &pc.ip);
        assert!(!hits.is_empty(), "no IP_INNOROUTES of {} → {}: {drops:?}", pa.ip, pc.ip);
        assert!(hits.iter().all(|d| d["netns_inode"] == n1.inode && d["interface"] == "cni0"), "{hits:?}");
        every_drop_is_the_pods(&drops);

        // strict rp_filter on node1 with the way back to node2's pods on
        // another link: c's request arriving on eth0 fails the check
        let rp = format!("{}rp", l.prefix);
        let (drops, raw) = watch(
            &l, c, a,
            (&n1.netns, &format!(
                "ip link add {rp} type veth peer name {rp}p && ip addr add 198.51.100.1/24 dev {rp} && \
                 ip link set {rp}p up && ip link set {rp} up && \
                 ip route replace {cidr} via 198.51.100.2 dev {rp} && \
                 sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.eth0.rp_filter=1"
            )),
            (&n1.netns, &format!(
                "sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0 && \
                 ip route replace {route} && ip link del {rp}"
            )),
            &pa.full,
        );
        assert!(raw.contains("reason: IP_RPFILTER"), "the raw tracepoint shows no IP_RPFILTER:\n{raw}");
        let hits = of_flow(&drops, "IP_RPFILTER", &pc.ip, &pa.ip);
        assert!(!hits.is_empty(), "no IP_RPFILTER of {} → {}: {drops:?}", pc.ip, pa.ip);
        assert!(hits.iter().all(|d| d["netns_inode"] == n1.inode && d["interface"] == "eth0"), "{hits:?}");
        assert!(hits.iter().all(|d| d["dst_pod"] == pa.full.as_str()), "{hits:?}");
        every_drop_is_the_pods(&drops);
    }
}

/// Whether the kernel still has BPF program `id` (bpftool is the oracle).
fn prog_exists(id: u64) -> bool {
    std::process::Command::new("bpftool")
        .args(["prog", "show", "id", &id.to_string()])
        .output()
        .expect("run bpftool")
        .status
        .success()
}

fn signal(child: &Child, sig: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), sig)
        .expect("signal podnet");
}

node_test! {
    fn nothing_stays_attached_after_exit_ctrl_c_or_kill() {
        ensure_tracefs();
        for how in ["duration", "sigint", "sigkill"] {
            let args: &[&str] = if how == "duration" { &["--duration", "1.5"] } else { &[] };
            let mut child = start_drops(args);
            let ids = prog_ids(child.id());
            assert_eq!(ids.len(), 1, "{how}: podnet holds {ids:?}");
            assert!(prog_exists(ids[0]), "{how}: bpftool does not see program {}", ids[0]);
            let code = match how {
                "duration" => finish(child).0,
                "sigint" => {
                    signal(&child, nix::sys::signal::Signal::SIGINT);
                    finish(child).0
                }
                _ => {
                    signal(&child, nix::sys::signal::Signal::SIGKILL);
                    let _ = child.wait();
                    -9
                }
            };
            let expected = match how { "duration" => 0, "sigint" => 130, _ => -9 };
            assert_eq!(code, expected, "{how}");
            // the kernel frees the program when the last fd closes (with the process)
            let t = Instant::now();
            while prog_exists(ids[0]) && t.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(50));
            }
            assert!(!prog_exists(ids[0]), "{how}: program {} is still loaded", ids[0]);
        }

        // tracefs alone: the instance goes with a normal exit; after kill -9
        // the next run removes it and says so
        // podnet-<pid namespace>-<pid>-<start time>; only this test's PID
        // namespace's: other tests trace at the same time
        let pidns = std::fs::read_link("/proc/self/ns/pid").expect("pid ns");
        let pidns = pidns.to_string_lossy().trim_start_matches("pid:[").trim_end_matches(']').to_string();
        let ours = format!("podnet-{pidns}-");
        let instances = || -> Vec<String> {
            std::fs::read_dir("/sys/kernel/tracing/instances")
                .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .filter(|n: &String| n.starts_with(&ours))
                .collect()
        };
        let before = instances();
        let mut child = podnet_command(&["drops", "--no-bpf"]).spawn().expect("spawn");
        let stem = format!("{ours}{}-", child.id());
        let t = Instant::now();
        let name = loop {
            if let Some(n) = instances().into_iter().find(|n| n.starts_with(&stem)) {
                break n;
            }
            assert!(t.elapsed() < Duration::from_secs(20), "no instance {stem}…");
            std::thread::sleep(Duration::from_millis(50));
        };
        signal(&child, nix::sys::signal::Signal::SIGKILL);
        let _ = child.wait();
        assert!(instances().contains(&name), "kill -9 cannot clean up: {name} must still be there");
        let out = podnet_command(&["drops", "--no-bpf", "--duration", "0.5"]).output().expect("run");
        let mut stderr = String::new();
        let _ = (&out.stderr[..]).read_to_string(&mut stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains(&format!("removed trace instance {name}")), "{stderr}");
        assert_eq!(instances(), before, "instances left behind");
    }
}

node_test! {
    fn bad_input_is_one_line_and_exit_2() {
        ensure_tracefs();
        for args in [
            vec!["drops", "--reason", "NO_SUCH_REASON", "--duration", "1"],
            vec!["drops", "--pod", "default/nobody-here", "--duration", "1"],
            vec!["drops", "--duration", "NaN"],
            vec!["drops", "--rate", "0"],
        ] {
            let out = podnet_command(&args).output().expect("run podnet");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            assert!(stderr.trim_end().lines().count() <= 3, "{args:?}: {stderr}");
        }
    }
}

/// `podnet <args> -o json`: the exit status and the report.
fn json_of(args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let out = podnet_command(&all).output().expect("run podnet");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let v: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"));
    (out.status.code().unwrap_or(-1), v)
}

/// `podnet probe … --why -o json`: the exit status and the report.
fn probe_why(from: &str, target: &str) -> (i32, Value) {
    json_of(&[
        "probe",
        from,
        target,
        "--why",
        "-c",
        "2",
        "--interval",
        "0.1",
    ])
}

node_test! {
    fn probe_why_gives_the_kernels_reason_for_its_own_packets_both_ways() {
        ensure_tracefs();
        let l = Layout::build(Kind::HostGw);
        let (n1, n2) = (l.nodes[0].clone(), l.nodes[1].clone());
        let (pa, pc) = (l.pods[0].clone(), l.pods[2].clone());

        // the request dies on node1 (FORWARD drop of a's packets)
        for (node, rule, direction) in [
            (&n1, format!("FORWARD -s {} -j DROP", pa.ip), "request"),
            (&n2, format!("FORWARD -d {} -j DROP", pa.ip), "reply"),
        ] {
            assert!(l.ping(0, 2, &[]).0, "baseline");
            ns_sh(&node.netns, &format!("iptables -w -A {rule}"));
            assert!(!l.ping(0, 2, &[]).0, "ground truth: {rule} on {} does not break ping", node.name);
            let mut tracer = Tracer::start(&format!("{}why", l.prefix));
            let (code, v) = probe_why(&pa.full, &pc.ip);
            let raw = tracer.read().to_string();
            drop(tracer);
            ns_sh(&node.netns, &format!("iptables -w -D {rule}"));
            assert!(raw.contains("reason: NETFILTER_DROP"), "{rule}: the raw tracepoint shows no NETFILTER_DROP:\n{raw}");
            assert_eq!(code, 1, "{v:#}");
            let run = &v["probes"][0];
            let why = run["why"].as_array().unwrap_or_else(|| panic!("no why: {v:#}"));
            assert!(!why.is_empty(), "{rule}: no drop of the probe's packets: {v:#}");
            for d in why {
                assert_eq!(d["direction"], direction, "{rule}: {d}");
                assert_eq!(d["reason"], "NETFILTER_DROP", "{d}");
                assert_eq!(d["netns_inode"], node.inode, "{rule}: {d}");
                assert_eq!(d["interface"], "cni0", "{d}");
                assert_eq!(d["icmp_id"], run["icmp_id"], "{d}");
                let (src, dst) = if direction == "request" { (&pa.ip, &pc.ip) } else { (&pc.ip, &pa.ip) };
                assert_eq!((&d["src"], &d["dst"]), (&Value::from(src.as_str()), &Value::from(dst.as_str())), "{d}");
            }
            assert!(l.ping(0, 2, &[]).0, "after the revert of {rule}");
        }
        // a healthy probe: nothing dropped, exit 0
        let (code, v) = probe_why(&pa.full, &pc.ip);
        assert_eq!(code, 0, "{v:#}");
        assert_eq!(v["probes"][0]["why"], serde_json::json!([]), "{v:#}");
    }
}

/// `podnet trace <from> <target> --verify -o json`: the exit status and the report.
fn trace_verify(from: &str, target: &str) -> (i32, Value) {
    json_of(&["trace", from, target, "--verify"])
}

node_test! {
    fn trace_verify_says_whether_the_kernel_agrees_with_the_blocked_hop() {
        ensure_tracefs();
        let l = Layout::build(Kind::HostGw);
        let n2 = l.nodes[1].clone();
        let (pa, pc) = (l.pods[0].clone(), l.pods[2].clone());

        // healthy: delivered, and the probe is answered
        let (code, v) = trace_verify(&pa.full, &pc.ip);
        assert_eq!(code, 0, "{v:#}");
        assert_eq!(v["verify"]["agreement"], "agrees", "{v:#}");
        assert_eq!(v["verify"]["probe"]["received"], 3, "{v:#}");

        // the reply dies in node2's FORWARD: trace blocks it there, and the kernel says so
        let verify_with = |rule: &str| {
            ns_sh(&n2.netns, &format!("iptables -w -A {rule}"));
            assert!(!l.ping(0, 2, &[]).0, "ground truth: {rule} does not break ping");
            let mut tracer = Tracer::start(&format!("{}verify", l.prefix));
            let (code, v) = trace_verify(&pa.full, &pc.ip);
            let raw = tracer.read().to_string();
            drop(tracer);
            ns_sh(&n2.netns, &format!("iptables -w -D {rule}"));
            assert!(raw.contains("reason: NETFILTER_DROP"), "the raw tracepoint shows no NETFILTER_DROP:\n{raw}");
            (code, v)
        };
        let (code, v) = verify_with(&format!("FORWARD -d {} -j DROP", pa.ip));
        assert_eq!(code, 1, "{v:#}");
        let hop = v["blocked"]["hop"].as_u64().expect("a blocked hop") as usize;
        let blocked = &v["hops"][hop - 1];
        assert_eq!((&blocked["direction"], &blocked["netns_inode"]), (&Value::from("reply"), &Value::from(n2.inode)), "{v:#}");
        assert_eq!(v["verify"]["agreement"], "agrees", "{v:#}");
        let why = v["verify"]["probe"]["why"].as_array().expect("why");
        assert!(why.iter().any(|d| d["reason"] == "NETFILTER_DROP" && d["direction"] == "reply" && d["netns_inode"] == n2.inode), "{v:#}");

        // a rule trace cannot evaluate (a statistic match) is passed over: trace says
        // delivered, the kernel's drop of the request says otherwise
        let (code, v) = verify_with(&format!("FORWARD -s {} -m statistic --mode nth --every 1 --packet 0 -j DROP", pa.ip));
        assert_eq!(v["delivered"], true, "trace now evaluates statistic matches; pick another rule it cannot: {v:#}");
        assert_eq!(code, 1, "a disagreement is a problem: {v:#}");
        assert_eq!(v["verify"]["agreement"], "disagrees", "{v:#}");
        let why = v["verify"]["probe"]["why"].as_array().expect("why");
        assert!(why.iter().any(|d| d["reason"] == "NETFILTER_DROP" && d["direction"] == "request" && d["netns_inode"] == n2.inode), "{v:#}");

        // the pod has no route: the packet is never built, nothing for the kernel to drop
        ns_sh(&pa.netns, "ip route del default");
        assert!(!l.ping(0, 2, &[]).0, "ground truth: no default route does not break ping");
        let (code, v) = trace_verify(&pa.full, &pc.ip);
        ns_sh(&pa.netns, &format!("ip route add default via {}", pa.gateway));
        assert_eq!(code, 1, "{v:#}");
        assert_eq!(v["blocked"]["hop"], 1, "{v:#}");
        assert_eq!(v["verify"]["agreement"], "unconfirmed", "{v:#}");
        assert!(l.ping(0, 2, &[]).0, "after the reverts");

        // the probe needs a port to send TCP or UDP; refused before anything is attached
        let out = podnet_command(&["trace", &pa.full, &pc.ip, "--proto", "udp", "--verify"])
            .output()
            .expect("run podnet trace");
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("--port"));
    }
}

/// A namespace podnet cannot see: a process makes it (unshare), opens a UDP
/// socket there bound to `src`, and goes back to its own namespace; the
/// socket stays behind. It sends datagrams from `src` to `dst:port`,
/// which the hidden namespace holds too, with nothing listening: the
/// kernel frees each with `NO_SOCKET` there. Prints the namespace's inode.
const HIDDEN_TWIN: &str = r#"
import ctypes, os, socket, subprocess, sys, time
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
home = os.open("/proc/self/ns/net", os.O_RDONLY)
assert libc.unshare(CLONE_NEWNET) == 0, ctypes.get_errno()
inode = os.stat("/proc/self/ns/net").st_ino
for cmd in (["ip", "link", "set", "lo", "up"], ["ip", "addr", "add", src + "/32", "dev", "lo"], ["ip", "addr", "add", dst + "/32", "dev", "lo"]):
    subprocess.run(cmd, check=True)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
assert libc.setns(home, CLONE_NEWNET) == 0, ctypes.get_errno()
print(inode, flush=True)
while True:
    s.sendto(b"twin", (dst, port))
    time.sleep(0.01)
"#;

node_test! {
    fn probe_why_never_takes_a_hidden_namespaces_drops_of_the_same_flow() {
        ensure_tracefs();
        let l = Layout::build(Kind::HostGw);
        let (pa, pc) = (l.pods[0].clone(), l.pods[2].clone());
        let port = "9";
        let mut twin = std::process::Command::new("python3")
            .args(["-c", HIDDEN_TWIN, &pa.ip, &pc.ip, port])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the hidden twin");
        let mut line = String::new();
        let mut out = twin.stdout.take().expect("twin stdout");
        let mut byte = [0u8; 1];
        while out.read(&mut byte).map(|n| n == 1).unwrap_or(false) && byte[0] != b'\n' {
            line.push(byte[0] as char);
        }
        let hidden: u64 = line.trim().parse().unwrap_or_else(|_| panic!("the twin did not start: {line:?}"));
        let mut tracer = Tracer::start(&format!("{}twin", l.prefix));
        let (_, v) = json_of(&["probe", &pa.full, &pc.ip, "--udp", port, "--why", "-c", "2", "--interval", "0.1"]);
        let raw = tracer.read().to_string();
        drop(tracer);
        let _ = twin.kill();
        let _ = twin.wait();
        // the twin's datagrams really die, with the probe's addresses and port
        assert!(raw.matches("reason: NO_SOCKET").count() >= 10, "the twin's drops are not in the raw tracepoint:\n{raw}");
        let why = v["probes"][0]["why"].as_array().unwrap_or_else(|| panic!("no why: {v:#}"));
        assert!(
            why.iter().all(|d| d["netns_inode"] != hidden),
            "probe --why took the hidden namespace's drops for its own: {v:#}"
        );
        for d in why {
            let inode = d["netns_inode"].as_u64();
            assert!(
                l.nodes.iter().any(|n| Some(n.inode) == inode) || l.pods.iter().any(|p| Some(p.inode) == inode),
                "a drop outside the layout: {d}"
            );
        }
    }
}
