//! The fault corpus runner: injects each (fault × layout) case with plain
//! commands, checks its ground truth (the affected traffic fails with the
//! fault in and works after the exact inverse), runs `podnet doctor` and
//! `podnet trace` against it, and renders every case's outcome as one row
//! of the accuracy table (docs/troubleshooting.md). Does I/O: runs
//! commands in the layout's namespaces, runs podnet, reads and (with
//! PODNET_BLESS=1) rewrites the docs file under a lock.
//!
//! Every case runs to the end and is recorded; the caller asserts once,
//! with the whole table, so one run shows the accuracy at a glance.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::layouts::{Layout, Server, exchange, ns_try};
use super::node::podnet_on_node;
use super::tracer::Tracer;

/// The traffic a fault breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traffic {
    /// One ICMP echo.
    Ping,
    /// One ICMP echo with `size` bytes of payload, DF set (`-M do`) or not (`-M dont`).
    Size { size: u32, df: bool },
    /// One TCP exchange with an echo server on this port.
    Tcp(u16),
    /// One UDP exchange with an echo server on this port.
    Udp(u16),
}

/// Where a trace must block: a node or a pod (indices into the layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Node(usize),
    Pod(usize),
}

/// One command of a fault, in a namespace, with its exact inverse.
#[derive(Debug, Clone)]
pub struct Step {
    pub netns: String,
    pub inject: String,
    pub revert: String,
}

/// One (fault × layout) case and what podnet must say about it.
#[derive(Debug, Clone)]
pub struct Case {
    /// A stable id: `fdb-deleted`, `route-blackhole`…
    pub fault: String,
    /// The node whose doctor must FAIL `check`.
    pub at: usize,
    pub steps: Vec<Step>,
    pub check: &'static str,
    /// Words the failing check's summary/evidence must contain (the object).
    pub names: Vec<String>,
    /// The broken direction: traffic from pod `from` to pod `to`.
    pub from: usize,
    pub to: usize,
    pub traffic: Traffic,
    pub cause: &'static str,
    /// `request` or `reply`.
    pub direction: &'static str,
    pub hop: Place,
    /// The drop reason the kernel must give for the probe's packet in that
    /// direction at that hop (`probe --why`, confirmed by the raw
    /// tracepoint); `None`: not judged.
    pub kernel: Option<&'static str>,
    /// Where the kernel frees the packet when that is not the trace's hop
    /// (a flooded frame dies in a sibling pod, a frame to a stale VTEP MAC
    /// on the far node); `None`: at `hop`.
    pub kernel_at: Option<Place>,
    /// Seconds `probe --why` waits for its answer (`--timeout`): 1, but an
    /// unanswered neighbour frees its queued packet only when its probes
    /// run out (mcast_solicit × retrans_time).
    pub kernel_wait: u32,
}

impl Case {
    /// Where the kernel must free the probe's packet.
    pub fn kernel_place(&self) -> Place {
        self.kernel_at.unwrap_or(self.hop)
    }
}

/// A case's outcome: one row of the accuracy table.
#[derive(Debug, Clone)]
pub struct Row {
    pub layout: String,
    pub fault: String,
    pub node: String,
    pub check: String,
    pub check_got: String,
    pub trace_want: String,
    pub trace_got: String,
    pub kernel_want: String,
    pub kernel_got: String,
    pub after: String,
    pub ok: bool,
    /// Problems found, for the assertion message (may hold random names).
    pub detail: Vec<String>,
}

impl Layout {
    /// `node1`, `node2`, `pod fl-1-1`: a place by name (stable across runs).
    pub fn place_name(&self, p: Place) -> String {
        match p {
            Place::Node(i) => self.nodes[i].name.clone(),
            Place::Pod(i) => format!("pod {}", self.pods[i].name),
        }
    }

    fn place_of_inode(&self, inode: u64) -> String {
        if let Some(n) = self.nodes.iter().find(|n| n.inode == inode) {
            return n.name.clone();
        }
        if let Some(p) = self.pods.iter().find(|p| p.inode == inode) {
            return format!("pod {}", p.name);
        }
        "elsewhere".into()
    }

    fn place_inode(&self, p: Place) -> u64 {
        match p {
            Place::Node(i) => self.nodes[i].inode,
            Place::Pod(i) => self.pods[i].inode,
        }
    }
}

/// Runs `podnet doctor -o json --sample 0.2` on node `i`: (exit code, report).
pub fn doctor(l: &Layout, i: usize) -> (i32, Value) {
    let mut args: Vec<String> = vec!["doctor".into(), "-o".into(), "json".into()];
    args.extend(["--sample".into(), "0.2".into()]);
    args.extend(l.doctor_args(i));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = podnet_on_node(&a);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| {
        Value::String(format!(
            "not JSON (exit {}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ))
    });
    (o.status.code().unwrap_or(-1), v)
}

/// Doctor on both nodes at once.
pub fn doctor_both(l: &Layout) -> Vec<(i32, Value)> {
    std::thread::scope(|s| {
        let h: Vec<_> = (0..l.nodes.len())
            .map(|i| s.spawn(move || doctor(l, i)))
            .collect();
        h.into_iter()
            .map(|h| h.join().expect("doctor thread"))
            .collect()
    })
}

/// The checks of a report with `status`.
pub fn checks_with(report: &Value, status: &str) -> Vec<String> {
    report["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["status"] == status)
        .filter_map(|c| c["id"].as_str().map(String::from))
        .collect()
}

/// A check of a report by id.
pub fn find_check<'a>(report: &'a Value, id: &str) -> Option<&'a Value> {
    report["checks"]
        .as_array()?
        .iter()
        .find(|c| c["id"] == id || (id == "firewall" && c["id"] == "forward-policy"))
}

/// Summary, evidence and hint of a check as one text.
pub fn check_text(c: &Value) -> String {
    let mut t = format!("{}\n", c["summary"].as_str().unwrap_or_default());
    for e in c["evidence"].as_array().into_iter().flatten() {
        let _ = writeln!(t, "{}", e["fact"].as_str().unwrap_or_default());
    }
    let _ = writeln!(t, "{}", c["hint"].as_str().unwrap_or_default());
    t
}

/// `podnet trace <pod netns> <ip> -o json [--proto p --port n]`.
pub fn trace(l: &Layout, from: usize, to: usize, traffic: Traffic) -> (i32, Value) {
    let (src, dst) = (&l.pods[from], &l.pods[to]);
    let mut args = vec![
        "trace".to_string(),
        src.netns.clone(),
        dst.ip.clone(),
        "-o".into(),
        "json".into(),
    ];
    match traffic {
        Traffic::Tcp(p) => args.extend([
            "--proto".into(),
            "tcp".into(),
            "--port".into(),
            p.to_string(),
        ]),
        Traffic::Udp(p) => args.extend([
            "--proto".into(),
            "udp".into(),
            "--port".into(),
            p.to_string(),
        ]),
        _ => {}
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = podnet_on_node(&a);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| {
        Value::String(format!(
            "error (exit {}): {}",
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .next()
                .unwrap_or_default()
        ))
    });
    (o.status.code().unwrap_or(-1), v)
}

/// `probe --why` from the case's pod with the fault in (the case's
/// traffic: an echo, of its size, a TCP connect or a UDP datagram), the
/// raw tracepoint read meanwhile: (right, the drops in one line, what is
/// wrong). With an expected reason, a drop of the probe's packet with that
/// reason, in the case's direction, in the namespace where the case says
/// the kernel frees it, must be there, and the raw tracepoint must show
/// that reason; without, it is recorded.
pub fn kernel_verdict(l: &Layout, c: &Case) -> (bool, String, String) {
    let (src, dst) = (&l.pods[c.from], &l.pods[c.to]);
    let wait = c.kernel_wait.to_string();
    // TCP: a connect to IP:PORT; UDP: one datagram
    let target = match c.traffic {
        Traffic::Tcp(p) => format!("{}:{p}", dst.ip),
        Traffic::Udp(p) => format!("udp://{}:{p}", dst.ip),
        _ => dst.ip.clone(),
    };
    let mut args = vec![
        "probe",
        &src.netns,
        &target,
        "--why",
        "-c",
        "1",
        "--timeout",
        &wait,
        "-o",
        "json",
    ];
    // probe --size takes the IP packet's bytes (ping -s plus 28) and
    // sends it without DF (IP_PMTUDISC_DONT), as the no-DF cases do
    let bytes = match c.traffic {
        Traffic::Size { size, .. } => (size + 28).to_string(),
        _ => String::new(),
    };
    if !bytes.is_empty() {
        args.extend(["--size", &bytes]);
    }
    let mut tracer = Tracer::start(&format!("{}why", l.prefix));
    let o = podnet_on_node(&args);
    let raw = tracer.read().to_string();
    drop(tracer);
    let Ok(v) = serde_json::from_slice::<Value>(&o.stdout) else {
        return (
            false,
            "error".into(),
            format!("probe --why: {}", String::from_utf8_lossy(&o.stderr)),
        );
    };
    let drops: Vec<&Value> = v["probes"][0]["why"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let place_of = |d: &Value| -> String {
        let inode = d["netns_inode"].as_u64();
        l.nodes
            .iter()
            .find(|n| Some(n.inode) == inode)
            .map(|n| n.name.clone())
            .or_else(|| {
                l.pods
                    .iter()
                    .find(|p| Some(p.inode) == inode)
                    .map(|p| format!("pod {}", p.name))
            })
            .unwrap_or_else(|| d["netns"].as_str().unwrap_or("?").to_string())
    };
    let mut seen: Vec<String> = Vec::new();
    for d in &drops {
        let one = format!(
            "{}/{} @ {}",
            d["reason"].as_str().unwrap_or("?"),
            d["direction"].as_str().unwrap_or("?"),
            place_of(d)
        );
        if !seen.contains(&one) {
            seen.push(one);
        }
    }
    let got = if seen.is_empty() {
        "none on this machine".to_string()
    } else {
        seen.join("; ")
    };
    let Some(want) = c.kernel else {
        return (true, got, String::new());
    };
    let hop = l.place_inode(c.kernel_place());
    let found = drops.iter().any(|d| {
        d["reason"] == want
            && d["direction"] == c.direction
            && d["netns_inode"].as_u64() == Some(hop)
    });
    let traced = raw.contains(&format!("reason: {want}"));
    let ok = found && traced;
    let why = if ok {
        String::new()
    } else {
        format!(
            "kernel: want {want}/{} @ {} (raw tracepoint {}), probe --why gave: {got}",
            c.direction,
            l.place_name(c.kernel_place()),
            if traced {
                "shows it"
            } else {
                "does not show it"
            }
        )
    };
    (ok, got, why)
}

/// The trace's verdict in one line: `delivered`, `<cause>/<direction> @ <place> #<hop>`, or the error.
pub fn trace_summary(l: &Layout, t: &Value) -> String {
    if let Some(s) = t.as_str() {
        return s.chars().take(80).collect();
    }
    let hops = t["hops"].as_array().cloned().unwrap_or_default();
    let blocked = &t["blocked"];
    if blocked.is_object() {
        let idx = blocked["hop"].as_u64().unwrap_or(0);
        let hop = hops
            .iter()
            .find(|h| h["index"].as_u64() == Some(idx))
            .or_else(|| hops.get(idx.saturating_sub(1) as usize));
        let place = hop
            .and_then(|h| h["netns_inode"].as_u64())
            .map(|i| l.place_of_inode(i))
            .unwrap_or_else(|| "?".into());
        return format!(
            "{}/{} @ {place} #{idx}",
            blocked["cause"].as_str().unwrap_or("no cause"),
            blocked["direction"].as_str().unwrap_or("?")
        );
    }
    if let Some((i, h)) = hops
        .iter()
        .enumerate()
        .find(|(_, h)| h["status"] == "blocked")
    {
        let place = h["netns_inode"]
            .as_u64()
            .map(|n| l.place_of_inode(n))
            .unwrap_or_else(|| "?".into());
        return format!(
            "{}/{} @ {place} #{}",
            h["cause"].as_str().unwrap_or("no cause"),
            h["direction"].as_str().unwrap_or("?"),
            i + 1
        );
    }
    if t["delivered"] == true {
        return "delivered".into();
    }
    if hops.iter().any(|h| h["status"] == "unknown") {
        let c = hops
            .iter()
            .find(|h| h["status"] == "unknown")
            .and_then(|h| h["cause"].as_str())
            .unwrap_or("no cause");
        return format!("unknown ({c})");
    }
    "delivered (no `delivered` key)".into()
}

fn delivered(t: &Value) -> bool {
    t["delivered"] == true
        && !t["hops"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|h| h["status"] == "blocked")
}

/// Runs the case's traffic once: did it get through.
pub fn traffic_works(l: &Layout, c: &Case) -> (bool, String) {
    let (from, to) = (&l.pods[c.from], &l.pods[c.to]);
    match c.traffic {
        Traffic::Ping => l.ping(c.from, c.to, &[]),
        Traffic::Size { size, df } => {
            let s = size.to_string();
            l.ping(
                c.from,
                c.to,
                &["-M", if df { "do" } else { "dont" }, "-s", &s],
            )
        }
        Traffic::Tcp(p) => exchange(&from.netns, false, &to.ip, p),
        Traffic::Udp(p) => exchange(&from.netns, true, &to.ip, p),
    }
}

fn traffic_text(t: Traffic) -> String {
    match t {
        Traffic::Ping => "icmp".into(),
        Traffic::Size { size, df } => format!("icmp -s {size}{}", if df { " DF" } else { "" }),
        Traffic::Tcp(p) => format!("tcp/{p}"),
        Traffic::Udp(p) => format!("udp/{p}"),
    }
}

/// Up to three tries (ARP and routes settle after a revert).
fn works_eventually(l: &Layout, c: &Case) -> (bool, String) {
    let mut last = String::new();
    for _ in 0..3 {
        let (ok, out) = traffic_works(l, c);
        if ok {
            return (true, out);
        }
        last = out;
        std::thread::sleep(Duration::from_millis(200));
    }
    (false, last)
}

fn run_steps(l: &Layout, steps: &[Step], revert: bool) -> Vec<String> {
    let mut errs = Vec::new();
    let list: Vec<&Step> = if revert {
        steps.iter().rev().collect()
    } else {
        steps.iter().collect()
    };
    for s in list {
        let cmd = if revert { &s.revert } else { &s.inject };
        let (ok, out) = ns_try(&s.netns, cmd);
        if !ok {
            errs.push(format!("`{cmd}` failed: {}", out.trim()));
        }
    }
    let _ = l;
    errs
}

/// Runs one case to the end and returns its row.
pub fn run_case(l: &Layout, c: &Case) -> Row {
    let mut detail = Vec::new();
    let mut row = Row {
        layout: l.kind.slug().into(),
        fault: c.fault.clone(),
        node: l.nodes[c.at].name.clone(),
        check: c.check.into(),
        check_got: String::new(),
        trace_want: format!("{}/{} @ {}", c.cause, c.direction, l.place_name(c.hop)),
        trace_got: String::new(),
        kernel_want: match c.kernel {
            Some(r) => format!("{r}/{} @ {}", c.direction, l.place_name(c.kernel_place())),
            None => "-".into(),
        },
        kernel_got: String::new(),
        after: String::new(),
        ok: false,
        detail: Vec::new(),
    };
    let _server = match c.traffic {
        Traffic::Tcp(p) => Some(Server::echo(&l.pods[c.to].netns, false, p)),
        Traffic::Udp(p) => Some(Server::echo(&l.pods[c.to].netns, true, p)),
        _ => None,
    };
    let (base_ok, base_out) = works_eventually(l, c);
    if !base_ok {
        row.check_got = "harness error".into();
        row.trace_got = format!(
            "baseline {} broken before the fault",
            traffic_text(c.traffic)
        );
        detail.push(format!("baseline: {base_out}"));
        row.detail = detail;
        return row;
    }
    let errs = run_steps(l, &c.steps, false);
    if !errs.is_empty() {
        run_steps(l, &c.steps, true);
        row.check_got = "harness error".into();
        row.trace_got = "inject failed".into();
        row.detail = errs;
        return row;
    }
    let (still, out) = traffic_works(l, c);
    let kernel_ok = match c.traffic {
        // probe cannot set DF on a plain echo (only --pmtu sweeps DF
        // sizes): what the kernel does with the case's DF packet is not asked
        Traffic::Size { df: true, .. } => {
            row.kernel_got = "- (probe --size sends no DF)".into();
            true
        }
        _ => {
            let (ok, got, why) = kernel_verdict(l, c);
            row.kernel_got = got;
            if !ok {
                detail.push(why);
            }
            ok
        }
    };
    let mut truth = !still;
    if still {
        detail.push(format!(
            "ground truth: {} still works with the fault in: {out}",
            traffic_text(c.traffic)
        ));
    }

    // doctor on the faulted node, trace in the broken direction, at once
    let ((code, report), (_, tr)) = std::thread::scope(|s| {
        let d = s.spawn(|| doctor(l, c.at));
        let t = s.spawn(|| trace(l, c.from, c.to, c.traffic));
        (
            d.join().expect("doctor thread"),
            t.join().expect("trace thread"),
        )
    });
    let mut doctor_ok = false;
    match find_check(&report, c.check) {
        Some(chk) => {
            let status = chk["status"].as_str().unwrap_or("?").to_uppercase();
            let text = check_text(chk);
            let missing: Vec<&String> = c
                .names
                .iter()
                .filter(|w| !text.contains(w.as_str()))
                .collect();
            let others: Vec<String> = checks_with(&report, "fail")
                .into_iter()
                .filter(|id| id != c.check && !(c.check == "firewall" && id == "forward-policy"))
                .collect();
            let mut got = format!("{} {status}", chk["id"].as_str().unwrap_or(c.check));
            if status == "FAIL" && !missing.is_empty() {
                got.push_str(" (object not named)");
                detail.push(format!("{} text lacks {missing:?}:\n{text}", c.check));
            }
            if !others.is_empty() {
                let _ = write!(got, "; also FAIL {}", others.join(","));
            }
            doctor_ok = status == "FAIL" && missing.is_empty() && code == 1;
            if status != "FAIL" {
                detail.push(format!("{} is {status}: {text}", c.check));
            }
            row.check_got = got;
        }
        None => {
            let fails = checks_with(&report, "fail");
            row.check_got = if report.is_string() {
                "error".into()
            } else if fails.is_empty() {
                format!("no {} check", c.check)
            } else {
                format!("no {} check; FAIL {}", c.check, fails.join(","))
            };
            detail.push(format!(
                "doctor: {}",
                report.to_string().chars().take(400).collect::<String>()
            ));
        }
    }
    row.trace_got = trace_summary(l, &tr);
    let trace_ok = tr["blocked"].is_object()
        && tr["blocked"]["cause"] == c.cause
        && tr["blocked"]["direction"] == c.direction
        && tr["delivered"] == false
        && {
            let idx = tr["blocked"]["hop"].as_u64().unwrap_or(0);
            tr["hops"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|h| h["index"].as_u64() == Some(idx))
                .and_then(|h| h["netns_inode"].as_u64())
                == Some(l.place_inode(c.hop))
        };
    if !trace_ok {
        detail.push(format!(
            "trace {} → {}: {}",
            l.pods[c.from].name,
            l.pods[c.to].name,
            tr.to_string().chars().take(1500).collect::<String>()
        ));
    }

    let errs = run_steps(l, &c.steps, true);
    if !errs.is_empty() {
        truth = false;
        detail.extend(errs);
    }
    let (back, out) = works_eventually(l, c);
    if !back {
        truth = false;
        detail.push(format!(
            "ground truth: {} does not work after the revert: {out}",
            traffic_text(c.traffic)
        ));
    }
    // after the revert: no FAIL on either node, delivered both ways
    let (reports, traces) = std::thread::scope(|s| {
        let d = s.spawn(|| doctor_both(l));
        let t1 = s.spawn(|| trace(l, c.from, c.to, c.traffic));
        let t2 = s.spawn(|| trace(l, c.to, c.from, Traffic::Ping));
        (
            d.join().expect("doctor thread"),
            [
                t1.join().expect("trace thread").1,
                t2.join().expect("trace thread").1,
            ],
        )
    });
    let mut after = Vec::new();
    for (i, (_, r)) in reports.iter().enumerate() {
        let f = checks_with(r, "fail");
        if !f.is_empty() || r.is_string() {
            after.push(format!("{} FAIL {}", l.nodes[i].name, f.join(",")));
            detail.push(format!(
                "after the revert, {}: {}",
                l.nodes[i].name,
                f.join(",")
            ));
        }
    }
    for (k, t) in traces.iter().enumerate() {
        if !delivered(t) {
            after.push(format!(
                "trace {}: {}",
                if k == 0 { "→" } else { "←" },
                trace_summary(l, t)
            ));
            detail.push(format!(
                "after the revert, trace: {}",
                t.to_string().chars().take(600).collect::<String>()
            ));
        }
    }
    row.after = if after.is_empty() {
        "clean".into()
    } else {
        after.join("; ")
    };
    if !truth {
        row.check_got = format!("harness error; {}", row.check_got);
    }
    row.ok = truth && doctor_ok && trace_ok && kernel_ok && after.is_empty();
    row.detail = detail;
    row
}

/// Runs every case of a layout in order (they share its state).
pub fn run_all(l: &Layout, cases: &[Case]) -> Vec<Row> {
    cases
        .iter()
        .map(|c| {
            let r = run_case(l, c);
            eprintln!(
                "[{}] {} {}: doctor {} | trace {} | after {}",
                if r.ok { "ok" } else { "MISMATCH" },
                r.layout,
                r.fault,
                r.check_got,
                r.trace_got,
                r.after
            );
            r
        })
        .collect()
}

/// The accuracy table's header.
pub const TABLE_HEAD: &str = "| layout | fault | node | doctor: expected | doctor: got | trace: expected (cause/direction @ hop) | trace: got | kernel: expected (reason/direction @ where it dies) | kernel: got (probe --why) | after revert | ✓ |\n|---|---|---|---|---|---|---|---|---|---|---|\n";

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The rows as markdown table lines (no header).
pub fn render_rows(rows: &[Row]) -> String {
    let mut t = String::new();
    for r in rows {
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} FAIL | {} | {} | {} | {} | {} | {} | {} |",
            cell(&r.layout),
            cell(&r.fault),
            cell(&r.node),
            cell(&r.check),
            cell(&r.check_got),
            cell(&r.trace_want),
            cell(&r.trace_got),
            cell(&r.kernel_want),
            cell(&r.kernel_got),
            cell(&r.after),
            if r.ok { "✓" } else { "✗" }
        );
    }
    t
}

/// The docs file the table goes to.
pub fn docs_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/troubleshooting.md")
}

pub const BEGIN: &str = "<!-- corpus:begin -->";
pub const END: &str = "<!-- corpus:end -->";

pub fn sub_begin(slug: &str) -> String {
    format!("<!-- corpus:{slug}:begin -->")
}

pub fn sub_end(slug: &str) -> String {
    format!("<!-- corpus:{slug}:end -->")
}

/// The text between two markers (exclusive), if both are there.
pub fn between<'a>(doc: &'a str, begin: &str, end: &str) -> Option<&'a str> {
    let s = doc.find(begin)? + begin.len();
    let e = s + doc[s..].find(end)?;
    Some(&doc[s..e])
}

/// Replaces the text between two markers (which must exist).
pub fn replace_between(doc: &str, begin: &str, end: &str, body: &str) -> Option<String> {
    let s = doc.find(begin)? + begin.len();
    let e = s + doc[s..].find(end)?;
    Some(format!("{}{}{}", &doc[..s], body, &doc[e..]))
}

/// A layout's section body: the table of its rows.
pub fn section_body(slug: &str, rows: &[Row]) -> String {
    let ok = rows.iter().filter(|r| r.ok).count();
    format!(
        "\n#### {slug}: {ok} of {} cases right\n\n{TABLE_HEAD}{}",
        rows.len(),
        render_rows(rows)
    )
}

/// Holds an exclusive lock on the docs file while `f` runs (the layouts
/// run as separate tests, in parallel, and may bless at once).
pub fn with_docs_lock<T>(f: impl FnOnce() -> T) -> T {
    let file = std::fs::File::open(docs_path()).expect("open docs/troubleshooting.md");
    let lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .unwrap_or_else(|(_, e)| panic!("flock docs/troubleshooting.md: {e}"));
    let out = f();
    drop(lock);
    out
}

/// With PODNET_BLESS=1 writes this layout's section; otherwise compares.
/// Returns a problem text when the section is missing or stale.
pub fn bless_or_compare(slug: &str, rows: &[Row]) -> Option<String> {
    let body = section_body(slug, rows);
    let (b, e) = (sub_begin(slug), sub_end(slug));
    with_docs_lock(|| {
        let path = docs_path();
        let doc = std::fs::read_to_string(&path).expect("read docs/troubleshooting.md");
        if std::env::var("PODNET_BLESS").as_deref() == Ok("1") {
            let new = match replace_between(&doc, &b, &e, &body) {
                Some(d) => d,
                None => {
                    // a new layout section goes at the end of the corpus section
                    let at = doc
                        .find(END)
                        .expect("the corpus:end marker in docs/troubleshooting.md");
                    format!("{}{b}{body}{e}\n\n{}", &doc[..at], &doc[at..])
                }
            };
            std::fs::write(&path, new).expect("write docs/troubleshooting.md");
            return None;
        }
        match between(&doc, &b, &e) {
            Some(have) if have == body => None,
            Some(_) => Some(format!(
                "the {slug} section of docs/troubleshooting.md is stale; run: \
                 PODNET_BLESS=1 cargo test --test fault_corpus_node {}",
                slug.replace('-', "_")
            )),
            None => Some(format!(
                "docs/troubleshooting.md has no {b} section; run: \
                 PODNET_BLESS=1 cargo test --test fault_corpus_node {}",
                slug.replace('-', "_")
            )),
        }
    })
}

/// Fails with the whole table when any case is wrong or the docs are stale.
pub fn assert_all(slug: &str, rows: &[Row]) {
    let stale = bless_or_compare(slug, rows);
    let wrong: Vec<&Row> = rows.iter().filter(|r| !r.ok).collect();
    let mut msg = String::new();
    let _ = writeln!(
        msg,
        "{slug}: {} of {} cases right\n{TABLE_HEAD}{}",
        rows.len() - wrong.len(),
        rows.len(),
        render_rows(rows)
    );
    for r in &wrong {
        let _ = writeln!(
            msg,
            "--- {} {}:\n{}",
            r.layout,
            r.fault,
            r.detail.join("\n")
        );
    }
    if let Some(s) = &stale {
        let _ = writeln!(msg, "{s}");
    }
    println!("{msg}");
    assert!(wrong.is_empty() && stale.is_none(), "{msg}");
}
