//! `podnet cni add|del|check|ls|gc`: the plumbing kit's command line —
//! arguments to a `cni_runtime::Runtime` (and its `cni_gc`), its answers
//! to tables or JSON.

use std::io::Write;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::cli::{CniCommand, CniDirs};
use crate::error::{Error, Outcome, Result};
use crate::render::{self, Esc, esc};
use crate::sys::caps::{self, CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_SYS_PTRACE};

use super::Ctx;
use super::cni_gc::{GcOptions, GcReport};
use super::cni_runtime::{self, AttachmentInfo, PodSpec, Runtime, RuntimeConfig};

fn runtime(dirs: &CniDirs) -> Result<Runtime> {
    Runtime::new(RuntimeConfig {
        conf_dir: dirs.conf_dir.clone(),
        bin_dirs: dirs.bin_dirs.clone(),
        cache_dir: dirs.cache_dir.clone(),
        netns_dir: dirs.netns_dir.clone(),
        explain: dirs.explain,
        ..RuntimeConfig::default()
    })
}

const PLUMB_CAPS: &[caps::Cap] = &[CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE];

pub fn run(ctx: &Ctx, cmd: &CniCommand, out: &mut dyn Write) -> Result<Outcome> {
    match cmd {
        CniCommand::Add(a) => {
            caps::require("cni add", PLUMB_CAPS)?;
            let rt = runtime(&a.dirs)?;
            let (namespace, name) = cni_runtime::parse_pod(&a.pod)?;
            if let Some(p) = crate::cni::env::interface_name_problem(&a.ifname) {
                return Err(Error::Usage(format!("--ifname {:?} {p}", a.ifname)));
            }
            let list = rt.load_network(&a.net)?;
            let mut caps_args = Map::new();
            if !a.publish.is_empty() {
                let maps = a
                    .publish
                    .iter()
                    .map(|p| cni_runtime::parse_port_mapping(p))
                    .collect::<Result<Vec<Value>>>()?;
                caps_args.insert("portMappings".into(), Value::Array(maps));
            }
            let mut extra_args = Vec::new();
            if let Some(ip) = &a.ip {
                if ip.parse::<std::net::IpAddr>().is_err() {
                    return Err(Error::Usage(format!("--ip {ip:?} is not an IP address")));
                }
                extra_args.push(("IP".to_string(), ip.clone()));
            }
            let info = rt.add(
                &list,
                &PodSpec {
                    namespace,
                    name,
                    ifname: a.ifname.clone(),
                    extra_args,
                    capability_args: caps_args,
                },
            )?;
            if ctx.json() {
                render::write_json(out, &info)?;
            } else {
                attachments_table(out, std::slice::from_ref(&info), ctx)?;
            }
            Ok(Outcome::Clean)
        }
        CniCommand::Del(a) => {
            caps::require("cni del", PLUMB_CAPS)?;
            let rt = runtime(&a.dirs)?;
            let atts = rt.find_pod(&a.pod)?;
            let pod = atts
                .first()
                .and_then(|c| c.entry.pod())
                .unwrap_or_else(|| a.pod.clone());
            let sandbox = atts
                .first()
                .map(|c| c.entry.container_id.clone())
                .unwrap_or_default();
            rt.del(&atts)?;
            if ctx.json() {
                render::write_json(
                    out,
                    &json!({"pod": pod, "sandbox_id": sandbox, "deleted": atts.iter().map(|c| json!({"network": c.entry.network_name, "ifname": c.entry.if_name})).collect::<Vec<_>>()}),
                )?;
            } else {
                writeln!(
                    out,
                    "deleted {} ({} attachment{}, sandbox {})",
                    Esc(&pod),
                    atts.len(),
                    if atts.len() == 1 { "" } else { "s" },
                    Esc(&short(&sandbox))
                )?;
            }
            Ok(Outcome::Clean)
        }
        CniCommand::Check(a) => {
            caps::require("cni check", PLUMB_CAPS)?;
            let rt = runtime(&a.dirs)?;
            let atts = rt.find_pod(&a.pod)?;
            let pod = atts
                .first()
                .and_then(|c| c.entry.pod())
                .unwrap_or_else(|| a.pod.clone());
            let results = rt.check(&atts)?;
            let ok = results.iter().all(|r| r.ok);
            if ctx.json() {
                render::write_json(out, &json!({"pod": pod, "ok": ok, "attachments": results}))?;
            } else {
                let mut t = render::table(&["NETWORK", "IFNAME", "CHECK", "DETAIL"], &ctx.style);
                for r in &results {
                    let status = if !r.ok {
                        "FAILED"
                    } else if r.skipped.is_some() {
                        "skipped"
                    } else {
                        "ok"
                    };
                    t.add_row(vec![
                        esc(&r.network),
                        esc(&r.ifname),
                        status.to_string(),
                        esc(r
                            .problem
                            .as_deref()
                            .or(r.skipped.as_deref())
                            .unwrap_or_default()),
                    ]);
                }
                render::write_table(out, &t)?;
            }
            Ok(if ok {
                Outcome::Clean
            } else {
                Outcome::Problems
            })
        }
        CniCommand::Ls(a) => {
            caps::require("cni ls", &[CAP_SYS_PTRACE])?;
            let rt = runtime(&a.dirs)?;
            let (atts, warnings) = rt.list();
            if ctx.json() {
                render::write_json(out, &json!({"attachments": atts, "warnings": warnings}))?;
            } else {
                attachments_table(out, &atts, ctx)?;
                ctx.warn(&warnings);
            }
            Ok(Outcome::Clean)
        }
        CniCommand::Gc(a) => {
            caps::require("cni gc", PLUMB_CAPS)?;
            let rt = runtime(&a.dirs)?;
            let report = rt.gc_with(&GcOptions {
                dry_run: a.dry_run,
                min_age: Duration::from_secs(a.min_age),
                include_uncached_networks: a.include_uncached_networks,
            })?;
            if ctx.json() {
                render::write_json(out, &report)?;
            } else {
                gc_text(out, &report, ctx)?;
                ctx.warn(&report.warnings);
            }
            let failed = report.leaks.iter().any(|l| l.error.is_some())
                || report.gc_calls.iter().any(|c| c.error.is_some());
            Ok(if failed || (report.dry_run && !report.leaks.is_empty()) {
                Outcome::Problems
            } else {
                Outcome::Clean
            })
        }
    }
}

/// `cni gc` as tables: the leaks with what was done, what was kept and
/// why, the CNI GC calls.
fn gc_text(out: &mut dyn Write, report: &GcReport, ctx: &Ctx) -> std::io::Result<()> {
    let none = render::none(&ctx.style);
    if report.leaks.is_empty() {
        writeln!(out, "nothing leaked")?;
    } else {
        let mut t = render::table(&["KIND", "OBJECT", "POD", "WHY", "ACTION"], &ctx.style);
        for l in &report.leaks {
            let action = match (&l.error, l.removed, report.dry_run) {
                (Some(e), _, _) => format!("failed: {}", Esc(e)),
                (None, true, _) => "removed".to_string(),
                (None, false, true) => "would remove".to_string(),
                (None, false, false) => "kept".to_string(),
            };
            t.add_row(vec![
                l.kind.to_string(),
                esc(&l.object),
                l.pod.as_deref().map(esc).unwrap_or_else(|| none.clone()),
                esc(&l.reason),
                action,
            ]);
        }
        render::write_table(out, &t)?;
    }
    if !report.kept.is_empty() {
        writeln!(out, "\nleft alone (may be alive):")?;
        let mut t = render::table(&["KIND", "OBJECT", "POD", "WHY"], &ctx.style);
        for k in &report.kept {
            t.add_row(vec![
                k.kind.to_string(),
                esc(&k.object),
                k.pod.as_deref().map(esc).unwrap_or_else(|| none.clone()),
                esc(&k.reason),
            ]);
        }
        render::write_table(out, &t)?;
    }
    for c in &report.gc_calls {
        if let Some(why) = &c.skipped {
            writeln!(
                out,
                "CNI GC skipped for network {}: {}",
                Esc(&c.network),
                Esc(why)
            )?;
            continue;
        }
        writeln!(
            out,
            "CNI GC {} network {} ({}; {} valid attachments){}",
            if report.dry_run {
                "would run for"
            } else {
                "ran for"
            },
            Esc(&c.network),
            Esc(&c.plugins.join(", ")),
            c.valid_attachments,
            c.error
                .as_ref()
                .map(|e| format!(": {}", Esc(e)))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

fn attachments_table(
    out: &mut dyn Write,
    atts: &[AttachmentInfo],
    ctx: &Ctx,
) -> std::io::Result<()> {
    let wide = ctx.style.wide;
    let mut headers = vec![
        "POD", "NETWORK", "IFNAME", "IPS", "SANDBOX", "PAUSE", "STATE", "NETNS",
    ];
    if wide {
        headers.push("PLUGINS");
        headers.push("CACHE");
    }
    let mut t = render::table(&headers, &ctx.style);
    let none = render::none(&ctx.style);
    for a in atts {
        let mut row = vec![
            a.pod.as_deref().map(esc).unwrap_or_else(|| none.clone()),
            esc(&a.network),
            esc(&a.ifname),
            if a.ips.is_empty() {
                none.clone()
            } else {
                esc(&a.ips.join(", "))
            },
            esc(&short(&a.sandbox_id)),
            a.pause_pid
                .map(|p| p.to_string())
                .unwrap_or_else(|| none.clone()),
            a.state.as_str().to_string(),
            a.netns.as_deref().map(esc).unwrap_or_else(|| none.clone()),
        ];
        if wide {
            row.push(esc(&a.plugins.join(",")));
            row.push(esc(&a.cache_file));
        }
        t.add_row(row);
    }
    render::write_table(out, &t)
}
