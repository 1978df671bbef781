//! `podnet lab break` and `podnet lab fix`: inject a fault (`lab::faults`
//! picks it and its target, `lab::breakfix` applies and records it), and
//! reconcile the lab back to its desired state (`lab::breakfix::fix`).
//! Wiring only.

use std::io::Write;

use crate::cli::{LabBreakArgs, LabFixArgs};
use crate::error::{Error, Outcome, Result};
use crate::lab::breakfix;
use crate::lab::faults;
use crate::lab::service::{self, LAB_CAPS};
use crate::model::lab::BreakReport;
use crate::render::lab as render_lab;
use crate::sys::{caps, random};

use super::ctx::Ctx;

/// `lab break --random`'s choices, from the kernel's random bytes.
struct SysRandom;

impl faults::Pick for SysRandom {
    fn below(&mut self, n: usize) -> std::io::Result<usize> {
        let b = random::bytes(4)?;
        Ok(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize % n.max(1))
    }
}

pub fn run_break(ctx: &Ctx, a: &LabBreakArgs, out: &mut dyn Write) -> Result<Outcome> {
    caps::require("lab break", LAB_CAPS)?;
    let (mut state, _lock) = service::load(&a.lab.name)?;
    let (node, pod, peer) = (a.node.as_deref(), a.pod.as_deref(), a.peer.as_deref());
    let (fault, target) = if a.random {
        faults::pick_random(&state, node, pod, peer, &mut SysRandom)?
    } else {
        let f = a
            .fault
            .ok_or_else(|| Error::Usage("name a fault, or use --random".into()))?;
        let t = faults::resolve_target(&state, f, node, pod, peer).map_err(Error::Usage)?;
        (f, t)
    };
    let done = breakfix::inject(&mut state, fault, &target, a.random)?;
    if ctx.json() {
        let doc = if a.random {
            BreakReport::hidden()
        } else {
            BreakReport::Named {
                fault,
                node: target.node.clone(),
                pod: target.pod.clone(),
                peer: target.peer.clone(),
                done,
            }
        };
        render_lab::write_json(out, &doc)?;
    } else {
        render_lab::write_break(out, &state, fault, &target, &done, a.random)?;
    }
    Ok(Outcome::Clean)
}

pub fn run_fix(ctx: &Ctx, a: &LabFixArgs, out: &mut dyn Write) -> Result<Outcome> {
    caps::require("lab fix", LAB_CAPS)?;
    let (mut state, _lock) = service::load(&a.lab.name)?;
    let r = breakfix::fix(&mut state, a.fault, a.dry_run)?;
    if ctx.json() {
        render_lab::write_json(out, &r)?;
    } else {
        render_lab::write_fix(out, &r)?;
    }
    if let Some(first) = r.failed.first() {
        return Err(Error::other(format!(
            "{} of {} changes failed; the first: {first}",
            r.failed.len(),
            r.changed
        )));
    }
    Ok(if !r.problems.is_empty() || (a.dry_run && r.changed > 0) {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
}
