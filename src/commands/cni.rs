//! `podnet cni add|del|check|ls|gc`: the plumbing kit's command line —
//! arguments to a `cni::runtime::Runtime` (and its gc), its answers
//! through `render::cni` or as `model::cni` JSON. Wiring only.

use std::io::Write;
use std::time::Duration;

use crate::cli::{CniAddArgs, CniCommand, CniDirs, CniGcArgs, CniLsArgs, CniPodArgs};
use crate::error::{Outcome, Result};
use crate::model::cni::CniList;
use crate::render;
use crate::sys::caps::{self, CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_SYS_PTRACE};

use super::cni_gc::{GcOptions, found_problems};
use super::cni_runtime::{AddRequest, Runtime, RuntimeConfig};
use super::ctx::Ctx;

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
    let info = rt.add_request(&AddRequest {
        pod: &a.pod,
        network: &a.net,
        ifname: &a.ifname,
        publish: &a.publish,
        ip: a.ip.as_deref(),
    })?;
    if ctx.json() {
        render::write_json(out, &info)?;
    } else {
        render::cni::attachments(out, std::slice::from_ref(&info), &ctx.style)?;
    }
    Ok(Outcome::Clean)
}

/// `cni del`: every attachment of a pod, its sandbox.
fn del(ctx: &Ctx, a: &CniPodArgs, out: &mut dyn Write) -> Result<Outcome> {
    caps::require("cni del", PLUMB_CAPS)?;
    let doc = runtime(&a.dirs)?.del_pod(&a.pod)?;
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
    let doc = runtime(&a.dirs)?.check_pod(&a.pod)?;
    if ctx.json() {
        render::write_json(out, &doc)?;
    } else {
        render::cni::checked(out, &doc.attachments, &ctx.style)?;
    }
    Ok(if doc.ok {
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
    Ok(if found_problems(&report) {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
}
