//! `podnet drops`: the kernel's packet drops (skb:kfree_skb) as a live
//! stream or a summary, each attributed to its namespace, pod, interface
//! and flow. Wires tracefs, the kernel's BTF and kallsyms, the eBPF probe
//! (or tracefs alone) and the machine's inventory. Reads only: the probe is
//! detached when podnet exits, however it exits.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::analyze::drops::{Filter, Limiter, Names, Places, Tally, attribute, from_trace_line};
use crate::analyze::resolve;
use crate::cli::DropsArgs;
use crate::discover::{btf, drop_event, kallsyms, kernel_offsets, mountinfo, tracepoint};
use crate::error::{Error, Outcome, Result};
use crate::model::Netns;
use crate::model::drops::{Drop, DropSummary};
use crate::render;
use crate::sys::drop_probe::{self, ProbeLayout};
use crate::sys::{btf_file, caps, files, signals, tracefs};

use super::ctx::Ctx;
use super::inventory::{self, ScanOptions, VisitWants};

/// How often the inventory is read again when a drop names a namespace it lacks.
const RESCAN_EVERY: Duration = Duration::from_secs(2);
/// How long one wait for events lasts.
const POLL: Duration = Duration::from_millis(50);

/// Where drops come from.
enum Source {
    Ebpf(Watch),
    Tracefs(tracefs::Instance),
}

pub fn run(ctx: &Ctx, args: &DropsArgs, out: &mut dyn Write) -> Result<Outcome> {
    caps::require("drops", inventory::SCAN_CAPS)?;
    // first: a Ctrl-C while the probe is being attached must still detach it cleanly
    signals::catch_interrupts().map_err(|e| Error::io("install the Ctrl-C handler", e))?;
    let mut opened = open_tracing()?;
    let mut warnings = std::mem::take(&mut opened.warnings);
    let reasons = wanted_reasons(&args.reason, &opened.names)?;
    let inv = scan(ctx)?;
    let filter = filter_of(ctx, args, &inv, reasons)?;
    let source = open_source(ctx, args.no_bpf, &opened, &mut warnings)?;
    let attributed = matches!(source, Source::Ebpf(_));
    if !attributed && (!filter.pods.is_empty() || filter.netns.is_some() || filter.proto.is_some())
    {
        warnings.push("without eBPF no drop has a namespace, pod or flow: --pod, --node-netns and --proto match nothing".into());
    }
    if !ctx.json() || args.summary {
        ctx.warn(&warnings);
    } else {
        for w in &warnings {
            render::drops::json_warning(out, w)?;
        }
    }
    let mut stream = Stream {
        ctx,
        args,
        filter,
        places: Places::from_namespaces(&inv),
        last_scan: Instant::now(),
        started: Instant::now(),
        limiter: Limiter::new(args.rate),
        tally: Tally::default(),
    };
    let interrupted = stream.follow(source, out)?;
    if args.summary {
        let summary = DropSummary {
            source: if attributed { "ebpf" } else { "tracefs" }.into(),
            seconds: stream.started.elapsed().as_secs_f64(),
            total: stream.tally.total,
            rows: stream.tally.rows(),
            warnings,
        };
        if ctx.json() {
            render::write_json(out, &summary)?;
        } else {
            render::drops::summary(out, &summary, &ctx.style)?;
        }
    } else {
        let rest = stream.limiter.finish();
        write_drops(ctx, out, &rest)?;
    }
    out.flush().map_err(Error::output)?;
    Ok(if interrupted {
        Outcome::Interrupted
    } else {
        Outcome::Clean
    })
}

/// `--pod`, `--node-netns`, `--reason` and `--proto`, resolved.
fn filter_of(ctx: &Ctx, args: &DropsArgs, inv: &[Netns], reasons: Vec<String>) -> Result<Filter> {
    Ok(Filter {
        pods: args
            .pod
            .iter()
            .map(|p| {
                let i = inventory::resolve_ref(&ctx.root, inv, p)?;
                let pod = inv[i].pod.as_ref().map(|x| x.display_name());
                Ok((pod.unwrap_or_else(|| resolve::label(&inv[i])), inv[i].inode))
            })
            .collect::<Result<_>>()?,
        netns: match &args.node_netns {
            Some(r) => Some(inv[inventory::resolve_ref(&ctx.root, inv, r)?].inode),
            None => None,
        },
        reasons,
        proto: args.proto.map(|p| p.as_str().to_string()),
    })
}

/// The live stream: drops read, filtered, counted and shown a batch at a time.
struct Stream<'a> {
    ctx: &'a Ctx,
    args: &'a DropsArgs,
    filter: Filter,
    places: Places,
    last_scan: Instant,
    started: Instant,
    limiter: Limiter,
    tally: Tally,
}

impl Stream<'_> {
    /// Until `--duration` is over or Ctrl-C (returns whether it was Ctrl-C);
    /// the source is detached when this returns.
    fn follow(&mut self, mut source: Source, out: &mut dyn Write) -> Result<bool> {
        loop {
            if signals::interrupted() {
                return Ok(true);
            }
            if self
                .args
                .duration
                .is_some_and(|d| self.started.elapsed() >= d)
            {
                return Ok(false);
            }
            let ms = self.started.elapsed().as_millis() as u64;
            let batch = self.read(&mut source, ms)?;
            let mut shown = Vec::new();
            for d in batch.into_iter().filter(|d| self.filter.admits(d)) {
                self.tally.add(&d);
                if !self.args.summary {
                    shown.extend(self.limiter.admit(d));
                }
            }
            if !self.args.summary {
                shown.extend(self.limiter.flush_before(ms / 1000));
                write_drops(self.ctx, out, &shown)?;
            }
        }
    }

    /// The drops since the last read (waiting a little when there are none).
    fn read(&mut self, source: &mut Source, ms: u64) -> Result<Vec<Drop>> {
        match source {
            Source::Ebpf(watch) => {
                let drops = watch.drain(&self.places);
                // a namespace made since the last scan: name it from the next drop on
                if drops
                    .iter()
                    .any(|d| d.netns_inode.is_some_and(|i| !self.places.knows(i)))
                    && self.last_scan.elapsed() >= RESCAN_EVERY
                {
                    self.places = Places::from_namespaces(&scan(self.ctx)?);
                    self.last_scan = Instant::now();
                }
                if drops.is_empty() {
                    std::thread::sleep(POLL);
                }
                Ok(drops)
            }
            Source::Tracefs(inst) => {
                let lines = inst
                    .lines(POLL)
                    .map_err(|e| Error::io("read the trace pipe", e))?;
                Ok(lines
                    .iter()
                    .filter_map(|l| tracepoint::parse_kfree_skb_line(l))
                    .map(|l| from_trace_line(&l, ms))
                    .collect())
            }
        }
    }
}

fn write_drops(ctx: &Ctx, out: &mut dyn Write, drops: &[Drop]) -> Result<()> {
    for d in drops {
        if ctx.json() {
            render::drops::json_line(out, d)?;
        } else {
            render::drops::line(out, d, &ctx.style)?;
        }
    }
    if !drops.is_empty() {
        out.flush().map_err(Error::output)?;
    }
    Ok(())
}

/// tracefs, the kfree_skb tracepoint's format, and the names of reasons
/// and kernel functions, with what podnet had to do to get them.
pub struct Opened {
    pub tfs: tracefs::Tracefs,
    pub format: tracepoint::Format,
    pub names: Names,
    pub warnings: Vec<String>,
}

/// Opens tracing (call before any thread starts: it may enter a mount
/// namespace of this process's own to mount tracefs).
pub fn open_tracing() -> Result<Opened> {
    let mounts = files::read_capped_to_string(
        Path::new("/proc/self/mountinfo"),
        inventory::MOUNTINFO_BYTES,
    )
    .map_err(|e| Error::io("read /proc/self/mountinfo", e))?;
    let mounted = mountinfo::mount_point_of(&mounts, "tracefs").map(PathBuf::from);
    let tfs = tracefs::open(mounted).map_err(|e| {
        Error::other(format!(
            "tracefs is not available: {e} (watching drops needs root and a kernel with tracing)"
        ))
    })?;
    let mut warnings: Vec<String> = tfs.note.iter().cloned().collect();
    for stale in tfs.remove_stale_instances() {
        warnings.push(format!(
            "removed trace instance {stale} left by a podnet that was killed"
        ));
    }
    let format = tracepoint::parse_format(
        &tfs.event_format("skb", "kfree_skb")
            .map_err(|e| Error::io("read the skb:kfree_skb tracepoint's format", e))?,
    );
    let names = Names {
        symbols: kallsyms::Symbols::parse(
            &std::fs::read_to_string("/proc/kallsyms").unwrap_or_default(),
        ),
        reasons: format.reasons.clone(),
    };
    Ok(Opened {
        tfs,
        format,
        names,
        warnings,
    })
}

/// The eBPF probe on kfree_skb, attached: what `probe --why` watches.
pub struct Watch {
    probe: drop_probe::Probe,
    names: Names,
    started: Instant,
    pub warnings: Vec<String>,
}

impl Watch {
    /// Opens tracing and attaches the probe; an error says why eBPF cannot be used.
    pub fn start(ctx: &Ctx) -> Result<Watch> {
        let o = open_tracing()?;
        let probe = ebpf(ctx, &o.format).map_err(|e| {
            Error::other(format!(
                "the kernel's drops cannot be watched without eBPF: {e}"
            ))
        })?;
        Ok(Watch {
            probe,
            names: o.names,
            started: Instant::now(),
            warnings: o.warnings,
        })
    }

    /// The drops since the last call, attributed with `places`.
    pub fn drain(&mut self, places: &Places) -> Vec<Drop> {
        let ms = self.started.elapsed().as_millis() as u64;
        let mut raws = Vec::new();
        self.probe
            .ring
            .drain(|rec| raws.extend(drop_event::decode(rec)));
        raws.iter()
            .map(|r| attribute(r, &self.names, places, ms))
            .collect()
    }
}

/// The machine's namespaces, with their addresses, for attribution.
fn scan(ctx: &Ctx) -> Result<Vec<Netns>> {
    let inv = inventory::scan(
        ctx,
        "drops",
        &ScanOptions {
            deep: false,
            visit: VisitWants::PAIRING,
        },
    )?;
    Ok(inv.report.namespaces)
}

/// `--reason` values, checked against the running kernel's names.
fn wanted_reasons(given: &[String], names: &Names) -> Result<Vec<String>> {
    given
        .iter()
        .map(|r| {
            let up = r.trim().to_ascii_uppercase();
            let up = up.strip_prefix("SKB_DROP_REASON_").unwrap_or(&up).to_string();
            if names.reasons.is_empty() || names.reasons.values().any(|n| *n == up) {
                return Ok(up);
            }
            let close: Vec<&str> = names
                .reasons
                .values()
                .filter(|n| n.contains(&up) || up.contains(n.as_str()))
                .map(String::as_str)
                .take(5)
                .collect();
            Err(Error::Usage(if close.is_empty() {
                format!("this kernel has no drop reason {r:?} (see the names in /sys/kernel/tracing/events/skb/kfree_skb/format)")
            } else {
                format!("this kernel has no drop reason {r:?}; did you mean {}?", close.join(", "))
            }))
        })
        .collect()
}

/// The eBPF probe, or tracefs alone when eBPF is refused (or not wanted).
fn open_source(ctx: &Ctx, no_bpf: bool, o: &Opened, warnings: &mut Vec<String>) -> Result<Source> {
    let (tfs, format, names) = (&o.tfs, &o.format, &o.names);
    if !no_bpf {
        match ebpf(ctx, format) {
            Ok(probe) => {
                return Ok(Source::Ebpf(Watch {
                    probe,
                    names: names.clone(),
                    started: Instant::now(),
                    warnings: Vec::new(),
                }));
            }
            Err(e) => warnings.push(format!(
                "eBPF is not available ({e}): drops come from tracefs alone, without namespace, pod, interface or flow"
            )),
        }
    }
    tracefs::Instance::create(tfs, "skb", "kfree_skb")
        .map(Source::Tracefs)
        .map_err(|e| Error::io("enable skb:kfree_skb in a trace instance", e))
}

fn ebpf(ctx: &Ctx, format: &tracepoint::Format) -> std::result::Result<drop_probe::Probe, String> {
    let id = format.id.ok_or("the tracepoint's format has no ID")?;
    let bytes = btf_file::read_vmlinux(&ctx.root)?;
    let types = btf::parse(&bytes)?;
    let o = kernel_offsets::skb_offsets(&types)?;
    let field = |n: &str| {
        format
            .field(n)
            .map(|f| f.offset)
            .ok_or_else(|| format!("skb:kfree_skb has no field {n}"))
    };
    let layout = ProbeLayout {
        rec_skbaddr: field("skbaddr")?,
        rec_location: field("location")?,
        rec_protocol: field("protocol")?,
        rec_reason: field("reason")?,
        skb_dev: o.skb_dev,
        skb_sk: o.skb_sk,
        skb_head: o.skb_head,
        skb_network_header: o.skb_network_header,
        dev_ifindex: o.dev_ifindex,
        dev_name: o.dev_name,
        dev_nd_net: o.dev_nd_net,
        net_ns_inum: o.net_ns_inum,
        sk_net: o.sk_net,
    };
    drop_probe::attach(&layout, id).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use crate::discover::drop_event::ev as read;
    use crate::sys::drop_probe as written;

    #[test]
    fn the_decoder_reads_the_record_the_program_writes() {
        let pairs = [
            (read::EVENT_LOCATION, written::EVENT_LOCATION),
            (read::EVENT_REASON, written::EVENT_REASON),
            (read::EVENT_NETNS, written::EVENT_NETNS),
            (read::EVENT_IFINDEX, written::EVENT_IFINDEX),
            (read::EVENT_PROTOCOL, written::EVENT_PROTOCOL),
            (read::EVENT_NETWORK, written::EVENT_NETWORK),
            (read::EVENT_NETWORK_LEN, written::EVENT_NETWORK_LEN),
            (read::EVENT_TRANSPORT, written::EVENT_TRANSPORT),
            (read::EVENT_TRANSPORT_LEN, written::EVENT_TRANSPORT_LEN),
            (read::EVENT_IFNAME, written::EVENT_IFNAME),
            (read::EVENT_FLAGS, written::EVENT_FLAGS),
            (read::EVENT_SIZE, written::EVENT_SIZE),
        ];
        for (i, (r, w)) in pairs.iter().enumerate() {
            assert_eq!(r, w, "offset #{i}");
        }
        let flags = [
            (read::FLAG_NETNS_DEV, written::FLAG_NETNS_DEV),
            (read::FLAG_NETNS_SOCK, written::FLAG_NETNS_SOCK),
            (read::FLAG_NETWORK, written::FLAG_NETWORK),
            (read::FLAG_TRANSPORT, written::FLAG_TRANSPORT),
        ];
        for (r, w) in flags {
            assert_eq!(r, w);
        }
    }
}
