//! `podnet ethtool <iface|pod> [-n netns]`: `ethtool -S` and `ethtool -i` of
//! interfaces in any namespace, read in-process with the SIOCETHTOOL ioctl.

use std::io::Write;

use crate::analyze::resolve;
use crate::cli::EthtoolArgs;
use crate::discover;
use crate::error::{Error, Outcome, Result};
use crate::model::ethtool::{EthtoolInterface, EthtoolReport};
use crate::model::{LinkKind, Netns};
use crate::render;
use crate::sys::ethtool::Ethtool;
use crate::sys::netns;

use super::ctx::Ctx;
use super::inventory::{self, ScanOptions};

pub fn run(ctx: &Ctx, args: &EthtoolArgs, out: &mut dyn Write) -> Result<Outcome> {
    let inv = inventory::scan(ctx, "ethtool", &ScanOptions::default())?;
    let nss = &inv.report.namespaces;
    let (ns, names): (&Netns, Vec<String>) = match &args.netns {
        Some(r) => {
            let ns = &nss[inventory::resolve_ref(&ctx.root, nss, r)?];
            if !ns.interfaces.iter().any(|i| i.name == args.target) {
                return Err(Error::NotFound(format!(
                    "no interface {:?} in {}",
                    args.target,
                    resolve::label(ns)
                )));
            }
            (ns, vec![args.target.clone()])
        }
        None => match nss
            .iter()
            .find(|n| n.host && n.interfaces.iter().any(|i| i.name == args.target))
        {
            Some(host) => (host, vec![args.target.clone()]),
            None => {
                let ns = &nss[inventory::resolve_ref(&ctx.root, nss, &args.target)?];
                let names: Vec<String> = ns
                    .interfaces
                    .iter()
                    .filter(|i| i.kind != LinkKind::Loopback)
                    .map(|i| i.name.clone())
                    .collect();
                if names.is_empty() {
                    return Err(Error::NotFound(format!(
                        "{} has no interface besides lo",
                        resolve::label(ns)
                    )));
                }
                (ns, names)
            }
        },
    };
    let target = inventory::target(&ctx.root, ns);
    let owner = ns
        .pod
        .as_ref()
        .map(|p| p.display_name())
        .or_else(|| ns.host.then(|| "host".to_string()));
    let mut warnings = inv.report.warnings.clone();
    let results = netns::visit_all(std::slice::from_ref(&target), 1, |_, inside| {
        let eth = Ethtool::on(inside.sock);
        Ok(names
            .iter()
            .map(|n| (n.clone(), eth.driver_info(n), eth.stats(n)))
            .collect::<Vec<_>>())
    });
    let read = results
        .into_iter()
        .next()
        .unwrap_or(Err(netns::EnterError::Vanished))
        .map_err(|e| Error::other(format!("{}: {e}", resolve::label(ns))))?;
    let mut report = EthtoolReport::default();
    for (name, drv, stats) in read {
        let Some(iface) = ns.interfaces.iter().find(|i| i.name == name) else {
            continue;
        };
        let driver = match drv {
            Ok(b) => discover::ethtool::driver_info(&b),
            Err(e) => {
                warnings.push(format!("ethtool -i {name}: {e}"));
                None
            }
        };
        let stats = match stats {
            Ok(raw) => discover::ethtool::stats(&raw.names, &raw.values),
            Err(e) => {
                warnings.push(format!("ethtool -S {name}: {e}"));
                Vec::new()
            }
        };
        report.interfaces.push(EthtoolInterface {
            netns_inode: ns.inode,
            owner: owner.clone(),
            interface: name,
            ifindex: iface.ifindex,
            driver,
            stats,
        });
    }
    report.warnings = warnings;
    if ctx.json() {
        render::write_json(out, &report)?;
    } else {
        render::ethtool::text(out, &report, &ctx.style)?;
        ctx.warn(&report.warnings);
    }
    Ok(Outcome::Clean)
}
