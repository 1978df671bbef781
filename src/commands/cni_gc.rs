//! `podnet cni gc`'s wiring: the kit runtime's leak search
//! (`cni::runtime::gc`) with the node inventory `ns list` and `veth list`
//! make as its node scan. Wiring only.

use std::path::Path;
use std::time::Duration;

use crate::analyze::veth;
use crate::cli::{KubeArgs, OutputFormat};
use crate::cni::gc::{KnownSandbox, NetnsFact};
use crate::error::Result;
use crate::model::ClaimKey;
use crate::render::Style;
use crate::sys::HostRoot;

use crate::cni::runtime::Runtime;
pub use crate::cni::runtime::gc::{GcCall, GcOptions, GcReport, Leak, found_problems};
use crate::cni::runtime::gc::{NodeScan, age_of};

use super::ctx::Ctx;
use super::inventory::{self, ScanOptions, VisitWants};

impl Runtime {
    /// Finds (and unless `dry_run`, removes) what provably leaked; see [`Runtime::gc_with`].
    pub fn gc(&self, dry_run: bool, min_age: Duration) -> Result<GcReport> {
        self.gc_with(&GcOptions {
            dry_run,
            min_age,
            include_uncached_networks: false,
        })
    }

    /// Finds what provably leaked and, unless a dry run, removes it, with
    /// the node inventory as the node scan.
    pub fn gc_with(&self, opts: &GcOptions) -> Result<GcReport> {
        self.leak_search(opts, &scan_node)
    }
}

/// Every namespace with what holds it, the sandbox ids the node's other
/// sources name (all but GC's own cache), and the veth pairing: the same
/// scan `ns list` and `veth list` make, with open descriptors.
fn scan_node(node_netns: u64, own_cache: &Path, warnings: &mut Vec<String>) -> Result<NodeScan> {
    let ctx = Ctx {
        output: OutputFormat::Json,
        style: Style {
            color: false,
            wide: false,
            verbose: 0,
        },
        root: HostRoot::new("/"),
        kube: KubeArgs {
            kube: false,
            no_kube: true,
            kubeconfig: None,
            node_name: None,
        },
    };
    let mut inv = inventory::scan(
        &ctx,
        "cni gc",
        &ScanOptions {
            deep: true,
            visit: VisitWants::PAIRING,
        },
    )?;
    // (what the scan says of GC's own cache entries, GC judges itself)
    let own = own_cache.display().to_string();
    warnings.extend(
        inv.report
            .warnings
            .iter()
            .filter(|w| !w.contains(&own))
            .map(|w| format!("node scan: {w}")),
    );
    let pairs = veth::pair_all(&inv.report.namespaces, &mut inv.extra, false);
    let namespaces = inv
        .report
        .namespaces
        .iter()
        .map(|n| NetnsFact {
            inode: n.inode,
            node: n.host || n.inode == node_netns,
            paths: n.paths.clone(),
            pids: n.pid_list.clone(),
            pause_pid: n.pause_pid,
            fds: n.fds.clone(),
            pod: n.pod.as_ref().map(|p| p.display_name()),
            sandbox_id: n.pod.as_ref().and_then(|p| p.sandbox_id.clone()),
            addresses: n
                .interfaces
                .iter()
                .flat_map(|i| i.addresses.iter().map(|a| (i.name.clone(), a.addr())))
                .collect(),
            age: n.paths.first().and_then(|p| age_of(Path::new(p))),
        })
        .collect();
    let mut known = Vec::new();
    for c in &inv.claims {
        if c.kind == crate::model::SourceKind::CniCache && Path::new(&c.from).starts_with(own_cache)
        {
            continue; // GC judges its own cache entries itself
        }
        let ids = c
            .sandbox_id
            .iter()
            .chain(c.keys.iter().filter_map(|k| match k {
                ClaimKey::SandboxId(id) => Some(id),
                _ => None,
            }));
        for id in ids {
            known.push(KnownSandbox {
                id: id.clone(),
                source: format!("{} {}", c.kind.as_str(), c.from),
            });
        }
    }
    Ok(NodeScan {
        namespaces,
        known,
        pairs,
    })
}
