//! `podnet cni add|del|check|ls|gc`: the plumbing kit's command line —
//! arguments to a `cni::runtime::Runtime` (and its gc), its answers
//! through `render::cni` or as `model::cni` JSON. Wiring only.

use std::io::Write;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::cli::{CniAddArgs, CniCommand, CniDirs, CniGcArgs, CniLsArgs, CniPodArgs};
use crate::error::{Error, Outcome, Result};
use crate::model::cni::{CniChecked, CniDeleted, CniList, DeletedAttachment};
use crate::render;
use crate::sys::caps::{self, CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_SYS_PTRACE};

use super::Ctx;
use super::cni_gc::GcOptions;
use super::cni_runtime::{self, Cached, PodSpec, Runtime, RuntimeConfig};

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
        CniCommand::Add(a) => add(ctx, a, out),
        CniCommand::Del(a) => del(ctx, a, out),
        CniCommand::Check(a) => check(ctx, a, out),
        CniCommand::Ls(a) => ls(ctx, a, out),
        CniCommand::Gc(a) => gc(ctx, a, out),
    }
}

/// `cni add`: a sandbox ADDed to a network.
fn add(ctx: &Ctx, a: &CniAddArgs, out: &mut dyn Write) -> Result<Outcome> {
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
        render::cni::attachments(out, std::slice::from_ref(&info), &ctx.style)?;
    }
    Ok(Outcome::Clean)
}

/// The pod as its cache entries name it, else as the user gave it.
fn pod_of(atts: &[Cached], asked: &str) -> String {
    atts.first()
        .and_then(|c| c.entry.pod())
        .unwrap_or_else(|| asked.to_string())
}

/// `cni del`: every attachment of a pod, its sandbox.
fn del(ctx: &Ctx, a: &CniPodArgs, out: &mut dyn Write) -> Result<Outcome> {
    caps::require("cni del", PLUMB_CAPS)?;
    let rt = runtime(&a.dirs)?;
    let atts = rt.find_pod(&a.pod)?;
    let pod = pod_of(&atts, &a.pod);
    let sandbox = atts
        .first()
        .map(|c| c.entry.container_id.clone())
        .unwrap_or_default();
    rt.del(&atts)?;
    let doc = CniDeleted {
        deleted: atts
            .iter()
            .map(|c| DeletedAttachment {
                ifname: c.entry.if_name.clone(),
                network: c.entry.network_name.clone(),
            })
            .collect(),
        pod,
        sandbox_id: sandbox,
    };
    if ctx.json() {
        render::write_json(out, &doc)?;
    } else {
        render::cni::deleted(out, &doc)?;
    }
    Ok(Outcome::Clean)
}

/// `cni check`: CHECK of every attachment of a pod.
fn check(ctx: &Ctx, a: &CniPodArgs, out: &mut dyn Write) -> Result<Outcome> {
    caps::require("cni check", PLUMB_CAPS)?;
    let rt = runtime(&a.dirs)?;
    let atts = rt.find_pod(&a.pod)?;
    let pod = pod_of(&atts, &a.pod);
    let results = rt.check(&atts)?;
    let ok = results.iter().all(|r| r.ok);
    if ctx.json() {
        let doc = CniChecked {
            attachments: results,
            ok,
            pod,
        };
        render::write_json(out, &doc)?;
    } else {
        render::cni::checked(out, &results, &ctx.style)?;
    }
    Ok(if ok {
        Outcome::Clean
    } else {
        Outcome::Problems
    })
}

/// `cni ls`: every cached attachment.
fn ls(ctx: &Ctx, a: &CniLsArgs, out: &mut dyn Write) -> Result<Outcome> {
    caps::require("cni ls", &[CAP_SYS_PTRACE])?;
    let rt = runtime(&a.dirs)?;
    let (atts, warnings) = rt.list();
    if ctx.json() {
        render::write_json(
            out,
            &CniList {
                attachments: atts,
                warnings,
            },
        )?;
    } else {
        render::cni::attachments(out, &atts, &ctx.style)?;
        ctx.warn(&warnings);
    }
    Ok(Outcome::Clean)
}

/// `cni gc`: the leak search.
fn gc(ctx: &Ctx, a: &CniGcArgs, out: &mut dyn Write) -> Result<Outcome> {
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
        render::cni::gc(out, &report, &ctx.style)?;
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
