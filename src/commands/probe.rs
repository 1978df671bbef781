//! `podnet probe <pod> <target>`: ICMP echo, TCP connect, HTTP GET, UDP and
//! DNS from inside a pod's network namespace, with no tool in the pod's
//! image; `--pmtu` sweeps DF packet sizes; `--from-all` probes from every pod;
//! `--why` watches the kernel's drops (eBPF) and keeps the probe's own.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::analyze::drops::{Places, ProbeFlow, of_probe};
use crate::analyze::probe::{self, Mode, TargetSpec};
use crate::analyze::resolve;
use crate::cli::ProbeArgs;
use crate::discover::dns;
use crate::error::{Error, Outcome, Result};
use crate::model::probe::{PmtuResult, PmtuStep, ProbeAttempt, ProbeReport, ProbeRun};
use crate::model::{LinkKind, Netns};
use crate::render;
use crate::sys::{icmp, netns, sockprobe};

use super::ctx::Ctx;
use super::drops::Watch;
use super::inventory::{self, ScanOptions};

/// Sizes tried per round of a path-MTU sweep (they go out together).
const PMTU_FANOUT: usize = 16;
/// The smallest IPv4 packet every link must carry.
const MIN_V4: usize = 68;
const MIN_V6: usize = 1280;

pub fn run(ctx: &Ctx, args: &ProbeArgs, out: &mut dyn Write) -> Result<Outcome> {
    let explicit = explicit_mode(args)?;
    let (pod_arg, target_arg) = source_and_target(args)?;
    let spec = probe::parse_target(target_arg, explicit).map_err(Error::Usage)?;
    if args.pmtu && spec.mode != Mode::Icmp {
        return Err(Error::Usage(
            "--pmtu sweeps ICMP echo sizes: give an address or a pod, not a port or URL".into(),
        ));
    }
    // before the scan starts threads: watching may mount tracefs privately
    let mut watch = if args.why {
        Some(Watch::start(ctx)?)
    } else {
        None
    };
    let inv = inventory::scan(ctx, "probe", &ScanOptions::default())?;
    let nss = &inv.report.namespaces;
    let target_ns = spec
        .host
        .parse::<IpAddr>()
        .is_err()
        .then(|| inventory::resolve_ref(&ctx.root, nss, &spec.host))
        .transpose()?;
    let sources = sources_of(ctx, nss, pod_arg, target_ns, spec.host.parse().ok())?;
    let target_ip = target_ip_of(nss, &spec.host, target_ns)?;
    let opts = Opts {
        count: args.count,
        interval: args.interval,
        timeout: args.timeout,
        size: args.size,
    };
    let mut report = ProbeReport {
        warnings: inv.report.warnings.clone(),
        ..Default::default()
    };
    if args.pmtu {
        for s in &sources {
            report.pmtu.push(pmtu(ctx, s, target_ip, &opts)?);
        }
    } else {
        report.probes = match &spec.mode {
            Mode::Icmp => icmp_runs(ctx, &sources, target_ip, &opts),
            _ => socket_runs(ctx, &sources, &spec, target_ip, &opts),
        };
    }
    if let Some(w) = watch.as_mut() {
        let mut warnings = explain(w, nss, &mut report.probes, &sources, &spec.mode, target_ip);
        report.warnings.append(&mut warnings);
    }
    let failed = report.probes.iter().any(|p| p.received == 0)
        || report.pmtu.iter().any(|p| p.pmtu.is_none());
    if ctx.json() {
        render::write_json(out, &report)?;
    } else {
        render::probe::text(out, &report, &ctx.style)?;
        ctx.warn(&report.warnings);
    }
    Ok(if failed {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
}

/// Gives each run the kernel's drops of its own packets (`--why`); returns
/// the watch's warnings.
fn explain(
    w: &mut Watch,
    nss: &[Netns],
    runs: &mut [ProbeRun],
    sources: &[&Netns],
    mode: &Mode,
    target: IpAddr,
) -> Vec<String> {
    // the last attempts' drops reach the ring a moment after they happen
    std::thread::sleep(Duration::from_millis(200));
    let places = Places::from_namespaces(nss);
    // only where podnet sees the namespace: another PID namespace's
    // pods may use the same addresses
    let drops: Vec<_> = w
        .drain(&places)
        .into_iter()
        .filter(|d| d.netns_inode.is_some_and(|i| places.knows(i)))
        .collect();
    for (run, s) in runs.iter_mut().zip(sources) {
        let Some(from) = pod_address(s) else {
            run.why = Some(Vec::new());
            continue;
        };
        let flow = ProbeFlow {
            from,
            target,
            proto: mode.l4().into(),
            icmp_id: run.icmp_id,
            port: mode.port(),
            from_netns: s.inode,
        };
        run.why = Some(of_probe(&drops, &flow));
    }
    std::mem::take(&mut w.warnings)
}

/// `trace --verify`: `count` attempts from `source` to `target` while `w`
/// watches, the run's lost packets explained by the kernel's drops.
pub(super) fn verified_run(
    ctx: &Ctx,
    nss: &[Netns],
    source: &Netns,
    mode: Mode,
    target: IpAddr,
    count: u32,
    w: &mut Watch,
) -> (ProbeRun, Vec<String>) {
    let opts = Opts {
        count,
        interval: Duration::from_millis(200),
        timeout: Duration::from_secs(1),
        size: None,
    };
    let sources = [source];
    let spec = TargetSpec {
        host: target.to_string(),
        mode,
    };
    let mut runs = match spec.mode {
        Mode::Icmp => icmp_runs(ctx, &sources, target, &opts),
        _ => socket_runs(ctx, &sources, &spec, target, &opts),
    };
    let warnings = explain(w, nss, &mut runs, &sources, &spec.mode, target);
    match runs.pop() {
        Some(run) => (run, warnings),
        None => (
            run_of(source, target.to_string(), spec.mode.l4(), Vec::new()),
            warnings,
        ),
    }
}

/// The mode `--tcp`, `--udp`, `--http` or `--dns` asks for (at most one).
fn explicit_mode(args: &ProbeArgs) -> Result<Option<Mode>> {
    Ok(match (args.tcp, args.udp, &args.http, &args.dns) {
        (Some(p), None, None, None) => Some(Mode::Tcp(p)),
        (None, Some(p), None, None) => Some(Mode::Udp(p)),
        (None, None, Some(path), None) => Some(Mode::Http {
            port: args.port.unwrap_or(80),
            path: path.clone(),
        }),
        (None, None, None, Some(name)) => Some(Mode::Dns {
            port: args.port.unwrap_or(53),
            name: name.clone(),
        }),
        (None, None, None, None) => None,
        _ => {
            return Err(Error::Usage(
                "choose one of --tcp, --udp, --http, --dns".into(),
            ));
        }
    })
}

/// The pod to probe from (none with `--from-all`) and the target.
fn source_and_target(args: &ProbeArgs) -> Result<(Option<&str>, &str)> {
    match (args.from_all, args.pod.as_deref(), args.target.as_deref()) {
        (true, Some(t), None) => Ok((None, t)),
        (false, Some(p), Some(t)) => Ok((Some(p), t)),
        (true, _, _) => Err(Error::Usage("with --from-all give only the TARGET".into())),
        (false, _, _) => Err(Error::Usage(
            "give the POD to probe from and the TARGET (or --from-all TARGET)".into(),
        )),
    }
}

/// The namespaces to probe from: the pod named, or with `--from-all`
/// (`pod` none) every pod but the target itself (named, or owning `hint`).
fn sources_of<'a>(
    ctx: &Ctx,
    nss: &'a [Netns],
    pod: Option<&str>,
    target_ns: Option<usize>,
    hint: Option<IpAddr>,
) -> Result<Vec<&'a Netns>> {
    let sources: Vec<&Netns> = match pod {
        Some(p) => vec![&nss[inventory::resolve_ref(&ctx.root, nss, p)?]],
        None => nss
            .iter()
            .filter(|n| {
                !n.host
                    && (n.pod.is_some() || n.pause_pid.is_some())
                    && Some(n.inode) != target_ns.map(|i| nss[i].inode)
                    && !hint.is_some_and(|ip| pod_address_set(n).contains(&ip))
            })
            .collect(),
    };
    if sources.is_empty() {
        return Err(Error::NotFound("no pod to probe from".into()));
    }
    Ok(sources)
}

/// The address to probe: `host` itself, or the address of the pod it names.
fn target_ip_of(nss: &[Netns], host: &str, target_ns: Option<usize>) -> Result<IpAddr> {
    match (host.parse::<IpAddr>(), target_ns) {
        (Ok(ip), _) => Ok(ip),
        (Err(_), Some(i)) => pod_address(&nss[i]).ok_or_else(|| {
            Error::NotFound(format!(
                "{} has no address to probe",
                resolve::label(&nss[i])
            ))
        }),
        (Err(_), None) => Err(Error::Usage(format!("{host:?} is not an address or a pod"))),
    }
}

struct Opts {
    count: u32,
    interval: Duration,
    timeout: Duration,
    size: Option<usize>,
}

fn label(ns: &Netns) -> String {
    ns.pod
        .as_ref()
        .map(|p| p.display_name())
        .unwrap_or_else(|| resolve::label(ns))
}

/// A pod's global addresses (not loopback, not link-local).
fn pod_address_set(ns: &Netns) -> Vec<IpAddr> {
    ns.global_ips().collect()
}

/// A pod's address to probe: the first global one, IPv4 first.
fn pod_address(ns: &Netns) -> Option<IpAddr> {
    let all = pod_address_set(ns);
    all.iter().find(|a| a.is_ipv4()).or(all.first()).copied()
}

/// A source's namespace, open (resolved inside the host root), and the path
/// the ICMP prober enters it by: the open descriptor's own /proc link, so
/// nothing outside the host root is resolved. The path lives as long as the file.
struct OpenedNetns {
    _file: std::fs::File,
    path: std::path::PathBuf,
}

fn opened_netns(ctx: &Ctx, s: &Netns) -> std::result::Result<OpenedNetns, String> {
    let file = netns::open(&inventory::target(&ctx.root, s)).map_err(|e| e.to_string())?;
    let path = format!("/proc/self/fd/{}", netns::raw_fd(&file)).into();
    Ok(OpenedNetns { _file: file, path })
}

fn icmp_runs(ctx: &Ctx, sources: &[&Netns], target: IpAddr, o: &Opts) -> Vec<ProbeRun> {
    let probe = {
        let p = icmp::Probe::new(target)
            .count(o.count)
            .interval(o.interval)
            .timeout(o.timeout)
            .stop_on_reply(false);
        match o.size {
            Some(s) => p.size(s),
            None => p,
        }
    };
    let opened: Vec<std::result::Result<OpenedNetns, String>> =
        sources.iter().map(|s| opened_netns(ctx, s)).collect();
    let batches: Vec<icmp::Batch> = opened
        .iter()
        .filter_map(|o| o.as_ref().ok())
        .map(|o| icmp::Batch {
            netns: Some(o.path.clone()),
            probes: vec![probe.clone()],
        })
        .collect();
    let mut sent = icmp::probe_many(&batches, netns::default_workers()).into_iter();
    let results: Vec<std::io::Result<Vec<icmp::ProbeResult>>> = opened
        .iter()
        .map(|o| match o {
            Ok(_) => sent
                .next()
                .unwrap_or_else(|| Err(std::io::Error::other("the prober gave no result"))),
            Err(e) => Err(std::io::Error::other(e.clone())),
        })
        .collect();
    sources
        .iter()
        .zip(results)
        .map(|(s, r)| {
            let id = r.as_ref().ok().and_then(|v| v.first()).map(|p| p.id);
            let attempts = match r {
                Ok(mut v) if !v.is_empty() => v
                    .remove(0)
                    .attempts
                    .into_iter()
                    .map(|a| ProbeAttempt {
                        seq: u32::from(a.seq),
                        ok: a.outcome.is_reply(),
                        latency_ms: match a.outcome {
                            icmp::Outcome::Reply { rtt_us, .. } => Some(rtt_us as f64 / 1000.0),
                            _ => None,
                        },
                        result: a.outcome.describe(),
                    })
                    .collect(),
                Ok(_) => Vec::new(),
                Err(e) => vec![ProbeAttempt {
                    seq: 1,
                    ok: false,
                    result: format!("not sent: {e}"),
                    latency_ms: None,
                }],
            };
            let mut run = run_of(s, target.to_string(), "icmp", attempts);
            run.icmp_id = id;
            run
        })
        .collect()
}

fn run_of(s: &Netns, target: String, mode: &str, attempts: Vec<ProbeAttempt>) -> ProbeRun {
    let (sent, received, loss_pct, rtt) = probe::summary(&attempts);
    ProbeRun {
        from: label(s),
        from_netns: s.inode,
        target,
        mode: mode.into(),
        attempts,
        sent,
        received,
        loss_pct,
        rtt,
        icmp_id: None,
        why: None,
    }
}

/// TCP, HTTP, UDP and DNS attempts, each source on a helper thread inside its netns.
fn socket_runs(
    ctx: &Ctx,
    sources: &[&Netns],
    spec: &TargetSpec,
    ip: IpAddr,
    o: &Opts,
) -> Vec<ProbeRun> {
    let targets: Vec<netns::NetnsTarget> = sources
        .iter()
        .map(|s| inventory::target(&ctx.root, s))
        .collect();
    let port = match &spec.mode {
        Mode::Tcp(p) | Mode::Udp(p) => *p,
        Mode::Http { port, .. } | Mode::Dns { port, .. } => *port,
        Mode::Icmp => 0,
    };
    let addr = SocketAddr::new(ip, port);
    let shown = match &spec.mode {
        Mode::Http { path, .. } => format!("http://{addr}{path}"),
        Mode::Dns { name, .. } => format!("dns://{addr}/{name}"),
        m => format!("{}://{addr}", m.name()),
    };
    let results = netns::visit_all(
        &targets,
        netns::default_workers().max(sources.len().min(16)),
        |_, _| {
            let mut v = Vec::new();
            for seq in 1..=o.count {
                if seq > 1 {
                    std::thread::sleep(o.interval);
                }
                v.push(attempt(&spec.mode, &spec.host, addr, seq, o.timeout));
            }
            Ok(v)
        },
    );
    sources
        .iter()
        .zip(results)
        .map(|(s, r)| {
            let attempts = r.unwrap_or_else(|e| {
                vec![ProbeAttempt {
                    seq: 1,
                    ok: false,
                    result: format!("could not enter the pod: {e}"),
                    latency_ms: None,
                }]
            });
            run_of(s, shown.clone(), spec.mode.name(), attempts)
        })
        .collect()
}

fn ms(d: Duration) -> Option<f64> {
    Some(d.as_secs_f64() * 1000.0)
}

/// One attempt's outcome: ok, the result text, the time it took.
fn outcome(seq: u32, ok: bool, result: String, latency: Option<Duration>) -> ProbeAttempt {
    ProbeAttempt {
        seq,
        ok,
        result,
        latency_ms: latency.and_then(ms),
    }
}

/// A failed socket operation, worded: `refused`, `timeout` or the error.
fn failed(seq: u32, e: std::io::Error) -> ProbeAttempt {
    let result = match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "refused".into(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => "timeout".into(),
        _ => e.to_string(),
    };
    outcome(seq, false, result, None)
}

fn attempt(mode: &Mode, host: &str, addr: SocketAddr, seq: u32, timeout: Duration) -> ProbeAttempt {
    match mode {
        Mode::Tcp(_) => match sockprobe::tcp_connect(addr, timeout) {
            Ok(d) => outcome(seq, true, "connected".into(), Some(d)),
            Err(e) => failed(seq, e),
        },
        Mode::Http { path, .. } => http_attempt(host, addr, path, seq, timeout),
        Mode::Udp(_) => match sockprobe::udp_exchange(addr, b"podnet-probe\n", timeout) {
            Ok((d, reply)) => outcome(seq, true, format!("{} bytes back", reply.len()), Some(d)),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                let silent = "no answer (UDP: the port may be open and silent, or filtered)";
                outcome(seq, false, silent.into(), None)
            }
            Err(e) => failed(seq, e),
        },
        Mode::Dns { name, .. } => dns_attempt(name, addr, seq, timeout),
        Mode::Icmp => outcome(seq, false, "ICMP goes through the ICMP prober".into(), None),
    }
}

/// An HTTP GET of `path`: ok for a 2xx or 3xx status.
fn http_attempt(
    host: &str,
    addr: SocketAddr,
    path: &str,
    seq: u32,
    timeout: Duration,
) -> ProbeAttempt {
    let host_header = if host.parse::<IpAddr>().is_ok() {
        addr.to_string()
    } else {
        host.to_string()
    };
    match sockprobe::http_get(addr, &host_header, path, timeout) {
        Ok((d, status)) => {
            let code = status
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse::<u16>().ok())
                .unwrap_or(0);
            outcome(seq, (200..400).contains(&code), status, Some(d))
        }
        Err(e) => failed(seq, e),
    }
}

/// A DNS query for `name`: ok for NOERROR with at least one address.
fn dns_attempt(name: &str, addr: SocketAddr, seq: u32, timeout: Duration) -> ProbeAttempt {
    let id = (std::process::id() as u16) ^ (seq as u16).wrapping_mul(0x9e37);
    let query = match dns::query(id, name, addr.is_ipv6()) {
        Ok(q) => q,
        Err(e) => return outcome(seq, false, e, None),
    };
    match sockprobe::udp_exchange(addr, &query, timeout) {
        Ok((d, reply)) => match dns::parse(&reply, id) {
            Ok(a) => {
                let addrs: Vec<String> = a.addresses.iter().map(|x| x.to_string()).collect();
                let text = format!("{} {}", dns::rcode_name(a.rcode), addrs.join(" "));
                let ok = a.rcode == 0 && !a.addresses.is_empty();
                outcome(seq, ok, text.trim().to_string(), Some(d))
            }
            Err(e) => outcome(seq, false, e, Some(d)),
        },
        Err(e) => failed(seq, e),
    }
}

/// The largest DF packet from `s` that reaches `target`: rounds of sizes
/// sent together, each round narrowing the gap between the largest that
/// passed and the smallest that failed.
fn pmtu(ctx: &Ctx, s: &Netns, target: IpAddr, o: &Opts) -> Result<PmtuResult> {
    let opened = opened_netns(ctx, s).map_err(|e| Error::other(format!("{}: {e}", label(s))))?;
    let mtu = s
        .interfaces
        .iter()
        .filter(|i| i.kind != LinkKind::Loopback)
        .filter_map(|i| i.mtu)
        .max()
        .unwrap_or(1500);
    let min = if target.is_ipv4() { MIN_V4 } else { MIN_V6 };
    let mut steps: Vec<PmtuStep> = Vec::new();
    let (mut lo, mut hi) = (min, mtu as usize);
    for _ in 0..8 {
        let sizes: Vec<usize> = probe::spread(lo, hi, PMTU_FANOUT)
            .into_iter()
            .filter(|z| !steps.iter().any(|s| s.size == *z))
            .collect();
        if sizes.is_empty() {
            break;
        }
        let probes: Vec<icmp::Probe> = sizes
            .iter()
            .map(|z| {
                icmp::Probe::new(target)
                    .size(*z)
                    .dont_fragment(true)
                    .count(2)
                    .interval(Duration::from_millis(50))
                    .timeout(o.timeout)
            })
            .collect();
        let results = icmp::probe(Some(&opened.path), &probes)
            .map_err(|e| Error::other(format!("{}: {e}", label(s))))?;
        for (z, r) in sizes.iter().zip(results) {
            let result = r
                .failure()
                .map(|f| f.describe())
                .unwrap_or_else(|| "reply".into());
            steps.push(PmtuStep {
                size: *z,
                ok: r.ok(),
                result,
            });
        }
        let (best, fail) = probe::bracket(&steps, mtu as usize);
        match best {
            None => break,
            Some(b) if fail <= b + 1 => break,
            Some(b) => {
                lo = b + 1;
                hi = fail - 1;
            }
        }
    }
    steps.sort_by_key(|s| s.size);
    let (best, _) = probe::bracket(&steps, mtu as usize);
    Ok(PmtuResult {
        from: label(s),
        from_netns: s.inode,
        target: target.to_string(),
        pmtu: best,
        interface_mtu: mtu,
        steps,
    })
}
