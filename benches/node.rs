//! The node benchmark: builds a node of N pods from namespaces (pause
//! processes, veths, addresses, CNI cache files, kubelet log dirs) inside a
//! private mount + PID + network namespace, then times podnet and the shell
//! workflows it replaces as whole processes, and prints medians, ratios,
//! per-pod slopes and peak memory; then times `podnet lab up` and `lab
//! down` of a 2 × 50 lab against its budget.
//!
//! Run as root: `cargo bench --bench node` (options after `--`:
//! `--pods 100,500,1000 --runs 7 --seed-runs 1 --markdown`).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_VAR: &str = "PODNET_BENCH_NODE";
const PODNET: &str = env!("CARGO_BIN_EXE_podnet");

struct Opts {
    pods: Vec<usize>,
    runs: usize,
    seed_runs: usize,
    markdown: bool,
    /// Only build the node and measure `drops` (`--drops-only`).
    drops_only: bool,
}

fn parse_opts() -> Opts {
    let mut o = Opts {
        pods: vec![100, 500, 1000],
        runs: 7,
        seed_runs: 1,
        markdown: false,
        drops_only: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let val = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--pods" => {
                o.pods = val
                    .split(',')
                    .filter_map(|s| s.trim().parse().ok())
                    .collect();
                i += 1;
            }
            "--runs" => {
                o.runs = val.parse().unwrap_or(o.runs);
                i += 1;
            }
            "--seed-runs" => {
                o.seed_runs = val.parse().unwrap_or(o.seed_runs);
                i += 1;
            }
            "--markdown" => o.markdown = true,
            "--drops-only" => o.drops_only = true,
            _ => {} // cargo bench passes --bench
        }
        i += 1;
    }
    o.pods.sort_unstable();
    o.pods.dedup();
    o
}

fn main() {
    let opts = parse_opts();
    if std::env::var_os(CHILD_VAR).is_none() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!(
                "the node benchmark builds namespaces: run it as root (sudo -E env \"PATH=$PATH\" cargo bench --bench node)"
            );
            std::process::exit(2);
        }
        // Re-run inside a private node: everything made dies with it.
        let exe = std::env::current_exe().expect("bench binary");
        let status = Command::new("unshare")
            .args([
                "--mount",
                "--pid",
                "--fork",
                "--mount-proc",
                "--net",
                "--propagation",
                "private",
                "--kill-child",
                "--",
            ])
            .arg(exe)
            .args(std::env::args().skip(1))
            .env(CHILD_VAR, "1")
            .status()
            .expect("spawn unshare");
        std::process::exit(status.code().unwrap_or(2));
    }
    run(&opts);
}

fn sh(cmd: &str) {
    let st = Command::new("sh").arg("-c").arg(cmd).status().expect("sh");
    assert!(st.success(), "failed: {cmd}");
}

/// Builds the private node's directories and its bridge.
fn setup() {
    for dir in [
        "/run",
        "/var/lib/cni",
        "/var/log/pods",
        "/var/lib/containers",
        "/etc/cni/net.d",
    ] {
        std::fs::create_dir_all(dir).expect("mkdir");
        sh(&format!("mount -t tmpfs -o mode=755 podnet-bench {dir}"));
    }
    std::fs::create_dir_all("/run/netns").expect("mkdir /run/netns");
    std::fs::create_dir_all("/var/lib/cni/results").expect("mkdir");
    sh(
        "ip link set lo up && ip link add cni0 type bridge && ip addr add 10.88.0.1/16 dev cni0 && ip link set cni0 up",
    );
}

/// Host veth names in the styles of Calico, the bridge plugin, Cilium and anything else.
fn host_name(i: usize) -> String {
    match i % 4 {
        0 => format!("cali{:011x}", i * 7919),
        1 => format!("veth{:08x}", i * 104729),
        2 => format!("lxc{:012x}", i * 31),
        _ => format!("pod{i}-host"),
    }
}

fn pod_ip(i: usize) -> String {
    format!("10.88.{}.{}", 1 + i / 250, 1 + i % 250)
}

/// Adds pods `from..to`: netns, veth, addresses, pause process, runtime files.
fn add_pods(from: usize, to: usize, pauses: &mut Vec<std::process::Child>) {
    let mut batch = String::new();
    for i in from..to {
        let h = host_name(i);
        batch.push_str(&format!("netns add bench-{i}\nlink add {h} type veth peer name eth0 netns bench-{i}\nlink set {h} up\n"));
        if i % 4 == 1 {
            batch.push_str(&format!("link set {h} master cni0\n"));
        }
    }
    let mut ip = Command::new("ip")
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("ip -batch");
    ip.stdin
        .take()
        .expect("stdin")
        .write_all(batch.as_bytes())
        .expect("write batch");
    assert!(ip.wait().expect("ip").success(), "ip -batch failed");
    for i in from..to {
        let inside = format!(
            "link set lo up\nlink set eth0 up\naddr add {}/16 dev eth0\nroute add default via 10.88.0.1 dev eth0 onlink\n",
            pod_ip(i)
        );
        let mut ip = Command::new("nsenter")
            .args([
                format!("--net=/run/netns/bench-{i}").as_str(),
                "ip",
                "-batch",
                "-",
            ])
            .stdin(Stdio::piped())
            .spawn()
            .expect("nsenter ip");
        ip.stdin
            .take()
            .expect("stdin")
            .write_all(inside.as_bytes())
            .expect("write");
        assert!(ip.wait().expect("ip").success());
        pauses.push(
            Command::new(PODNET)
                .args(["pause", "--netns", &format!("/run/netns/bench-{i}")])
                .spawn()
                .expect("pause"),
        );
        let id = format!("{:064x}", i as u128 * 0x9e3779b97f4a7c15);
        let uid = format!("{:08x}-0000-4000-8000-{:012x}", i, i);
        let cache = serde_json::json!({
            "kind": "cniCacheV1", "containerId": id, "config": "e30=", "ifName": "eth0", "networkName": "bench",
            "netns": format!("/var/run/netns/bench-{i}"),
            "cniArgs": [["K8S_POD_NAMESPACE", "bench"], ["K8S_POD_NAME", format!("pod-{i}")],
                        ["K8S_POD_INFRA_CONTAINER_ID", id], ["K8S_POD_UID", uid]],
            "result": {"cniVersion": "1.0.0", "interfaces": [{"name": "eth0", "sandbox": format!("/var/run/netns/bench-{i}")}],
                       "ips": [{"address": format!("{}/16", pod_ip(i)), "gateway": "10.88.0.1", "interface": 0}]}
        });
        std::fs::write(
            format!("/var/lib/cni/results/bench-{id}-eth0"),
            cache.to_string(),
        )
        .expect("cache file");
        std::fs::create_dir_all(format!("/var/log/pods/bench_pod-{i}_{uid}")).expect("log dir");
    }
}

/// One timed run: wall time and the child's peak RSS (KiB).
#[allow(clippy::zombie_processes)] // reaped by wait4 below, which also gives its rusage
fn time_once(argv: &[&str]) -> (Duration, u64) {
    let start = Instant::now();
    let child = Command::new(argv[0])
        .args(&argv[1..])
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid out-parameter.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child with valid out-pointers.
    let rc = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut ru) };
    let took = start.elapsed();
    assert!(rc > 0, "wait4 failed for {argv:?}");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{argv:?} failed: status {status}"
    );
    (took, ru.ru_maxrss as u64)
}

struct Stat {
    median: Duration,
    min: Duration,
    max: Duration,
    rss_kib: u64,
}

fn measure(argv: &[&str], runs: usize) -> Stat {
    let mut times = Vec::new();
    let mut rss = 0;
    let _ = time_once(argv); // warm the page cache
    for _ in 0..runs.max(1) {
        let (t, r) = time_once(argv);
        times.push(t);
        rss = rss.max(r);
    }
    times.sort();
    Stat {
        median: times[times.len() / 2],
        min: times[0],
        max: times[times.len() - 1],
        rss_kib: rss,
    }
}

struct Job {
    name: &'static str,
    argv: Vec<String>,
    seed: bool,
}

fn jobs() -> Vec<Job> {
    let bash = |script: &str| vec!["bash".to_string(), "-c".to_string(), script.to_string()];
    let p = |args: &[&str]| {
        let mut v = vec![PODNET.to_string(), "--no-kube".to_string()];
        v.extend(args.iter().map(|s| s.to_string()));
        v
    };
    vec![
        Job {
            name: "podnet ns list -o json",
            argv: p(&["ns", "list", "-o", "json"]),
            seed: false,
        },
        Job {
            name: "podnet veth list -o json",
            argv: p(&["veth", "list", "-o", "json"]),
            seed: false,
        },
        Job {
            name: "podnet veth list --stats -o json",
            argv: p(&["veth", "list", "--stats", "-o", "json"]),
            seed: false,
        },
        Job {
            name: "lsns -t net",
            argv: vec!["lsns".into(), "-t".into(), "net".into()],
            seed: false,
        },
        Job {
            name: "ip netns list",
            argv: vec!["ip".into(), "netns".into(), "list".into()],
            seed: false,
        },
        Job {
            name: "shell: ip -d -j link + ip -n NS -j addr per pod",
            argv: bash(
                "ip -d -j link show >/dev/null; for ns in $(ip netns list | cut -d' ' -f1); do ip -n \"$ns\" -j addr; done >/dev/null",
            ),
            seed: false,
        },
        Job {
            name: "seed: pair (ip netns exec NS ip -o link + host @ifN lookup)",
            argv: bash(
                "for ns in $(ip netns list | cut -d' ' -f1); do idx=$(ip netns exec \"$ns\" ip -o link show eth0 | sed -n 's/.*@if\\([0-9]*\\).*/\\1/p'); ip -o link | grep \"^$idx: \" >/dev/null; done",
            ),
            seed: true,
        },
        Job {
            name: "seed: ethtool -S per host veth",
            argv: bash(
                "for v in $(ip -o link show type veth | awk -F': ' '{print $2}' | cut -d@ -f1); do ethtool -S \"$v\"; done >/dev/null",
            ),
            seed: true,
        },
        Job {
            name: "seed: ip netns pids per netns",
            argv: bash(
                "for ns in $(ip netns list | cut -d' ' -f1); do ip netns pids \"$ns\"; done >/dev/null",
            ),
            seed: true,
        },
    ]
}

/// The Step 6 budget at the largest node: `veth list --stats` within 3× the
/// ≈35 ms of DESIGN.md §9's floors, ≥300× faster than the seed workflow,
/// faster than the shell one-liner, under 50 MiB, and linear in N.
fn budget(opts: &Opts, results: &[Vec<Stat>], stats: usize, shell: usize, seeds: &[usize]) {
    let (Some(&n), k) = (opts.pods.last(), opts.pods.len() - 1) else {
        return;
    };
    let med = |j: usize, k: usize| results[j][k].median.as_secs_f64();
    let t = med(stats, k);
    let seed: f64 = seeds.iter().map(|&j| med(j, k)).sum();
    let rss = results[stats].iter().map(|s| s.rss_kib).max().unwrap_or(0) as f64 / 1024.0;
    let mut lines = vec![
        (
            t <= 0.105,
            format!(
                "veth list --stats at {n} pods: {:.1} ms (budget 105 ms = 3 × 35 ms)",
                t * 1000.0
            ),
        ),
        (
            seed / t >= 300.0,
            format!(
                "{:.0}× faster than the seed workflow (budget 300×)",
                seed / t
            ),
        ),
        (
            med(shell, k) > t,
            format!(
                "{:.1}× faster than the shell one-liner (budget > 1×)",
                med(shell, k) / t
            ),
        ),
        (
            rss < 50.0,
            format!("peak memory {rss:.1} MiB (budget 50 MiB)"),
        ),
    ];
    if opts.pods.len() >= 3 {
        let slope = |a: usize, b: usize| {
            (med(stats, b) - med(stats, a)) / (opts.pods[b] - opts.pods[a]) as f64 * 1e6
        };
        let (s1, s2) = (slope(0, 1), slope(1, k));
        lines.push((
            (s2 / s1) < 1.5,
            format!("per-pod cost {s1:.0} µs then {s2:.0} µs (linear: within 1.5×)"),
        ));
    }
    println!();
    println!("Budget:");
    for (ok, line) in lines {
        println!("  {}  {line}", if ok { "PASS" } else { "FAIL" });
    }
}

/// In-process floors, measured with podnet's own library on this node:
/// the kernel work `veth list --stats` cannot avoid.
fn floors(runs: usize) -> Vec<(&'static str, Duration)> {
    use podnet::commands::inventory::read_links;
    use podnet::sys::{HostRoot, ethtool::Ethtool, netlink::RouteSocket, netns, proc_scan};
    let root = HostRoot::new("/");
    let median = |f: &mut dyn FnMut()| {
        let mut v: Vec<Duration> = (0..runs.max(3))
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect();
        v.sort();
        v[v.len() / 2]
    };
    let names: Vec<String> = std::fs::read_dir("/run/netns")
        .expect("netns dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let targets: Vec<netns::NetnsTarget> = names
        .iter()
        .filter_map(|n| {
            let p = std::path::PathBuf::from(format!("/run/netns/{n}"));
            Some(netns::NetnsTarget {
                inode: netns::inode_of(&p).ok()?,
                root: root.clone(),
                handles: vec![p],
            })
        })
        .collect();
    let host_veths: Vec<String> = {
        let mut s = RouteSocket::new().expect("socket");
        read_links(&mut s, true)
            .expect("dump")
            .into_iter()
            .filter(|i| i.kind == podnet::model::LinkKind::Veth)
            .map(|i| i.name)
            .collect()
    };
    let mut out = Vec::new();
    out.push((
        "/proc scan (ns/net + stat of every process)",
        median(&mut || {
            proc_scan::scan(&root).expect("scan");
        }),
    ));
    out.push((
        "readdir + stat of /run/netns",
        median(&mut || {
            for n in &names {
                let _ = netns::inode_of(std::path::Path::new(&format!("/run/netns/{n}")));
            }
        }),
    ));
    out.push((
        "host link dump",
        median(&mut || {
            read_links(&mut RouteSocket::new().expect("socket"), true).expect("dump");
        }),
    ));
    out.push((
        "setns + socket + link/address dump per pod (all workers)",
        median(&mut || {
            netns::visit_all(&targets, netns::default_workers(), |_, inside| {
                read_links(inside.sock, true)?;
                inside.sock.dump_addresses()
            });
        }),
    ));
    if std::env::var_os("PODNET_BENCH_DETAIL").is_some() {
        let host = std::fs::File::open("/proc/1/ns/net").expect("host netns");
        let fd = netns::raw_fd(&host);
        out.push((
            "  detail: setns + socket only",
            median(&mut || {
                netns::visit_all(&targets, netns::default_workers(), |_, _| Ok(()));
            }),
        ));
        out.push((
            "  detail: + link dump",
            median(&mut || {
                netns::visit_all(&targets, netns::default_workers(), |_, inside| {
                    read_links(inside.sock, true).map(|_| ())
                });
            }),
        ));
        out.push((
            "  detail: + route dump",
            median(&mut || {
                netns::visit_all(&targets, netns::default_workers(), |_, inside| {
                    inside.sock.dump_routes(254, false).map(|_| ())
                });
            }),
        ));
        out.push((
            "  detail: + nsid of the host",
            median(&mut || {
                netns::visit_all(&targets, netns::default_workers(), |_, inside| {
                    inside.sock.nsid_of(fd).map(|_| ())
                });
            }),
        ));
        out.push((
            "  detail: + ethtool socket and -S eth0",
            median(&mut || {
                netns::visit_all(&targets, netns::default_workers(), |_, inside| {
                    Ethtool::on(inside.sock)
                        .stats_of_kind("eth0", "veth")
                        .map(|_| ())
                });
            }),
        ));
    }
    out.push((
        "ethtool -S of every host veth",
        median(&mut || {
            let sock = RouteSocket::new().expect("socket");
            let e = Ethtool::on(&sock);
            for v in &host_veths {
                let _ = e.stats_of_kind(v, "veth");
            }
        }),
    ));
    out
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn run(opts: &Opts) {
    setup();
    let mut pauses = Vec::new();
    let jobs = jobs();
    // results[job][size]
    let mut results: Vec<Vec<Stat>> = jobs.iter().map(|_| Vec::new()).collect();
    let mut built = 0;
    for &n in &opts.pods {
        let t = Instant::now();
        add_pods(built, n, &mut pauses);
        built = n;
        std::thread::sleep(Duration::from_millis(300)); // let the pause processes settle
        eprintln!(
            "node of {n} pods built in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        for (j, job) in jobs.iter().enumerate().filter(|_| !opts.drops_only) {
            let argv: Vec<&str> = job.argv.iter().map(String::as_str).collect();
            let runs = if job.seed { opts.seed_runs } else { opts.runs };
            let s = measure(&argv, runs);
            eprintln!("  {:<62} {:>10.1} ms", job.name, ms(s.median));
            results[j].push(s);
        }
    }
    if opts.drops_only {
        drops_cost(built, opts.runs);
        return;
    }
    report(opts, &jobs, &results);
    println!();
    println!("In-process floors at {built} pods (medians):");
    let mut total = Duration::ZERO;
    for (name, d) in floors(opts.runs) {
        println!("  {name:<58} {:>8.2} ms", ms(d));
        total += d;
    }
    println!("  {:<58} {:>8.2} ms", "sum", ms(total));
    lab_timing(opts.runs);
    drops_cost(built, opts.runs);
}

/// The lab's own size for the timing (the budget Step 7 moved out of the tests).
const LAB_NODES: &str = "2";
const LAB_PODS: &str = "50";
/// `lab up` of 2 × 50 within this (it was a test's assertion).
const LAB_UP_BUDGET: Duration = Duration::from_secs(10);

/// Times `podnet lab up` of 2 nodes × 50 pods and its `lab down`, each
/// run a fresh lab (in its own namespaces, under the private node's /run).
fn lab_timing(runs: usize) {
    let name = "bench";
    let up = [
        PODNET, "lab", "up", "--name", name, "--nodes", LAB_NODES, "--pods", LAB_PODS,
    ];
    let down = [PODNET, "lab", "down", "--name", name];
    let mut ups = Vec::new();
    let mut downs = Vec::new();
    for _ in 0..runs.clamp(1, 5) {
        let (t, _) = time_once(&up);
        ups.push(t);
        let (t, _) = time_once(&down);
        downs.push(t);
    }
    let stat = |v: &mut Vec<Duration>| {
        v.sort();
        (v[v.len() / 2], v[0], v[v.len() - 1])
    };
    println!();
    println!(
        "Lab ({LAB_NODES} nodes x {LAB_PODS} pods, {} runs, medians):",
        ups.len()
    );
    for (label, v) in [("podnet lab up", &mut ups), ("podnet lab down", &mut downs)] {
        let (med, min, max) = stat(v);
        println!(
            "  {label:<58} {:>8.1} ms ({:.1}–{:.1})",
            ms(med),
            ms(min),
            ms(max)
        );
    }
    let (med, _, _) = stat(&mut ups);
    println!(
        "  {}  lab up {LAB_NODES} x {LAB_PODS}: {:.2} s (budget {} s)",
        if med <= LAB_UP_BUDGET { "PASS" } else { "FAIL" },
        med.as_secs_f64(),
        LAB_UP_BUDGET.as_secs()
    );
}

/// CPU seconds (user + system) a process has used, from /proc/<pid>/stat.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<u64> = after
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // fields after the name: state is not numeric, so utime/stime are at 10/11 here
    let ticks = f.get(10).copied().unwrap_or(0) + f.get(11).copied().unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    ticks as f64 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

/// Whether a process holds a perf event (podnet drops has attached its probe).
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

/// The share of one core `argv` uses over `window`, once `ready` says it
/// has started; then it is interrupted.
fn drops_window(argv: &[&str], window: Duration, ready: impl Fn(u32) -> bool) -> f64 {
    let mut child = Command::new(argv[0])
        .args(&argv[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the drop reader");
    let t = Instant::now();
    while !ready(child.id()) && t.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let c0 = cpu_seconds(child.id());
    let t0 = Instant::now();
    std::thread::sleep(window);
    let share = (cpu_seconds(child.id()) - c0) / t0.elapsed().as_secs_f64();
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    );
    let _ = child.wait();
    share
}

/// `podnet drops` on the node of `pods` pods while a steady stream of
/// unrelated drops (ICMP to an address OUTPUT drops, in the private
/// namespace) goes on, against reading the raw tracepoint with `cat`.
fn drops_cost(pods: usize, runs: usize) {
    const PPS: u32 = 1000;
    const WINDOW: Duration = Duration::from_secs(3);
    if !std::path::Path::new("/sys/kernel/tracing/events").exists() {
        sh("mount -t tracefs nodev /sys/kernel/tracing");
    }
    sh("iptables -w -A OUTPUT -d 127.0.0.9 -j DROP");
    // UDP datagrams to an address OUTPUT drops, at a steady pace
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
            let gap = Duration::from_secs(1) / PPS;
            let mut next = Instant::now();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = sock.send_to(b"unrelated", "127.0.0.9:9");
                next += gap;
                if let Some(d) = next.checked_duration_since(Instant::now()) {
                    std::thread::sleep(d);
                }
            }
        })
    };
    let inst = "/sys/kernel/tracing/instances/podnet-bench-cat";
    let _ = std::fs::create_dir(inst);
    let cat_pipe = format!("{inst}/trace_pipe");
    let mut ours = Vec::new();
    let mut cat = Vec::new();
    for _ in 0..runs.clamp(1, 5) {
        ours.push(drops_window(
            &[PODNET, "drops", "-o", "json"],
            WINDOW,
            has_perf_event,
        ));
        let _ = std::fs::write(format!("{inst}/events/skb/kfree_skb/enable"), "1");
        cat.push(drops_window(&["cat", &cat_pipe], WINDOW, |_| true));
        let _ = std::fs::write(format!("{inst}/events/skb/kfree_skb/enable"), "0");
    }
    // how many drops there really were
    let out = Command::new(PODNET)
        .args(["drops", "--summary", "-o", "json", "--duration", "2"])
        .output()
        .expect("podnet drops --summary");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let rate =
        summary["total"].as_f64().unwrap_or(0.0) / summary["seconds"].as_f64().unwrap_or(1.0);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = flood.join();
    let _ = std::fs::remove_dir(inst);
    sh("iptables -w -D OUTPUT -d 127.0.0.9 -j DROP");
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (o, c) = (med(&mut ours), med(&mut cat));
    println!();
    println!(
        "Drops ({pods} pods, {rate:.0} unrelated drops/s, {} windows of {} s, medians):",
        ours.len(),
        WINDOW.as_secs()
    );
    println!(
        "  {:<58} {:>7.2} % of a core",
        "podnet drops -o json (eBPF, attributed)",
        o * 100.0
    );
    println!(
        "  {:<58} {:>7.2} % of a core",
        "cat trace_pipe (raw tracefs, no attribution)",
        c * 100.0
    );
    println!(
        "  {}  podnet drops under 5 % of one core",
        if o < 0.05 { "PASS" } else { "FAIL" }
    );
}

fn report(opts: &Opts, jobs: &[Job], results: &[Vec<Stat>]) {
    let sep = if opts.markdown { " | " } else { "  " };
    let mut header = vec![format!("{:<62}", "job")];
    for n in &opts.pods {
        header.push(format!("{:>26}", format!("{n} pods: median (min–max) ms")));
    }
    header.push(format!("{:>14}", "per pod (µs)"));
    header.push(format!("{:>10}", "peak MiB"));
    println!("{}", header.join(sep));
    if opts.markdown {
        println!("{}", vec!["---"; header.len()].join(" | "));
    }
    for (job, stats) in jobs.iter().zip(results) {
        let mut row = vec![format!("{:<62}", job.name)];
        for s in stats {
            row.push(format!(
                "{:>26}",
                format!("{:.1} ({:.1}–{:.1})", ms(s.median), ms(s.min), ms(s.max))
            ));
        }
        let slope = match (
            stats.first(),
            stats.last(),
            opts.pods.first(),
            opts.pods.last(),
        ) {
            (Some(a), Some(b), Some(&na), Some(&nb)) if nb > na => {
                (b.median.as_secs_f64() - a.median.as_secs_f64()) * 1e6 / (nb - na) as f64
            }
            _ => f64::NAN,
        };
        row.push(format!("{slope:>14.1}"));
        row.push(format!(
            "{:>10.1}",
            stats.iter().map(|s| s.rss_kib).max().unwrap_or(0) as f64 / 1024.0
        ));
        println!("{}", row.join(sep));
    }
    // Ratios at each size.
    let find = |name: &str| jobs.iter().position(|j| j.name.starts_with(name));
    let (Some(stats), Some(list), Some(lsns), Some(shell)) = (
        find("podnet veth list --stats"),
        find("podnet ns list"),
        find("lsns"),
        find("shell:"),
    ) else {
        return;
    };
    let seeds: Vec<usize> = jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| j.seed)
        .map(|(i, _)| i)
        .collect();
    println!();
    for (k, n) in opts.pods.iter().enumerate() {
        let med = |j: usize| results[j][k].median.as_secs_f64();
        let seed_total: f64 = seeds.iter().map(|&j| med(j)).sum();
        println!(
            "{n} pods: veth list --stats is {:.0}x faster than the seed workflow ({:.1} s), {:.1}x faster than the shell one-liner; ns list is {:.1}x faster than lsns",
            seed_total / med(stats),
            seed_total,
            med(shell) / med(stats),
            med(lsns) / med(list),
        );
    }
    budget(opts, results, stats, shell, &seeds);
}
