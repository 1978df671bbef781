//! `podnet cni gc`, the kit runtime's leak search: gathers the facts —
//! libcni cache entries, the node inventory (every netns and what holds
//! it, runtime files, veth pairing), host-local stores, podnet's host
//! veths and masquerade rules —, asks `cni::gc` what is provably dead, and
//! removes that (re-checking each object just before), then makes the CNI
//! GC calls it allows. A dry run reads only. The wing's kernel adapter
//! for gc: the judgement is `cni::gc` (pure); the node scan is injected
//! (`commands::cni_gc` passes the inventory's).

use std::collections::{BTreeSet, HashMap};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use crate::cni::conflist::{self, NetConfList};
use crate::cni::gc::{
    self, Action, CacheFact, Facts, GcNetwork, Judgement, KnownSandbox, MountFact, NetnsFact, Peer,
    Policy, ReservationFact, RuleFact, StoreFact, VethFact,
};
use crate::cni::ipam::{self, Owner};
use crate::cni::names;
use crate::cni::observe::{self, NsView};
use crate::cni::store::{self, Released, Store};
use crate::cni::version::Version;
use crate::cni::{cache_store, masq};
use crate::error::{Error, Result};
use crate::model::{PairStatus, VethPair};
use crate::sys::rtnl::NetnsWorker;
use crate::sys::{netns_create, sandbox};

use super::{Cached, Params, Runtime};

/// How long a real gc waits for a store's lock.
const STORE_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

pub use crate::model::cni::{GcCall, GcReport, Leak};

/// Whether `cni gc` found problems (exit 1): a removal or a GC call
/// failed, or a dry run found leaks it did not remove.
pub fn found_problems(report: &GcReport) -> bool {
    let failed = report.leaks.iter().any(|l| l.error.is_some())
        || report.gc_calls.iter().any(|c| c.error.is_some());
    failed || (report.dry_run && !report.leaks.is_empty())
}

/// What `gc` may do.
#[derive(Debug, Clone, Copy)]
pub struct GcOptions {
    /// Only report.
    pub dry_run: bool,
    /// Leave objects younger than this alone (an ADD may be running).
    pub min_age: Duration,
    /// Judge the stores of networks that have no cache entry too.
    pub include_uncached_networks: bool,
}

/// What the node scan found: every namespace with what holds it, the
/// sandbox ids the node's other sources name (all but GC's own cache),
/// and the veth pairing.
pub struct NodeScan {
    pub namespaces: Vec<NetnsFact>,
    pub known: Vec<KnownSandbox>,
    pub pairs: Vec<VethPair>,
}

/// The node scan gc needs, given the node's netns inode and GC's own
/// cache directory (whose entries GC judges itself); warnings go to the
/// vector.
pub type ScanNode<'a> = &'a dyn Fn(u64, &Path, &mut Vec<String>) -> Result<NodeScan>;

/// The facts, and what they were read from.
struct Gathered {
    facts: Facts,
    cached: Vec<Cached>,
    /// The list of each of `facts.gc_networks`, and its plugins that speak GC.
    gc_lists: Vec<(NetConfList, Vec<usize>)>,
}

impl Runtime {
    /// Finds what provably leaked and, unless a dry run, removes it;
    /// `scan` is the node scan.
    pub fn leak_search(&self, opts: &GcOptions, scan: ScanNode<'_>) -> Result<GcReport> {
        let mut warnings = Vec::new();
        let node = self.node_worker()?;
        let g = self.gather(&node, scan, &mut warnings)?;
        let policy = Policy {
            min_age: opts.min_age,
            include_uncached_networks: opts.include_uncached_networks,
        };
        let j = gc::judge(&g.facts, &policy);
        let outcomes = if opts.dry_run {
            vec![None; j.leaks.len()]
        } else {
            self.apply(&j, &g, &node).into_iter().map(Some).collect()
        };
        let leaks = j
            .leaks
            .iter()
            .zip(outcomes)
            .map(|(d, outcome)| Leak {
                kind: d.finding.kind,
                object: d.finding.object.clone(),
                pod: d.finding.pod.clone(),
                reason: d.finding.reason.clone(),
                removed: matches!(outcome, Some(Ok(()))),
                error: outcome.and_then(|o| o.err()),
            })
            .collect();
        let gc_calls = self.gc_calls(&j, &g, opts.dry_run);
        Ok(GcReport {
            dry_run: opts.dry_run,
            leaks,
            kept: j.kept,
            gc_calls,
            warnings,
        })
    }

    // ---------------------------------------------------------------- facts

    fn gather(
        &self,
        node: &NetnsWorker,
        scan: ScanNode<'_>,
        warnings: &mut Vec<String>,
    ) -> Result<Gathered> {
        let cfg = self.config();
        let (cached, w) = self.cached();
        warnings.extend(w);
        let results_dir = cache_store::results_dir(&cfg.cache_dir);
        let node_netns = self.node_inode()?;

        let NodeScan {
            namespaces,
            known,
            pairs,
        } = scan(node_netns, &results_dir, warnings)?;
        let cache: Vec<CacheFact> = cached.iter().map(cache_fact).collect();
        let (links, addrs, routes) = node
            .dump()
            .map_err(|e| Error::io("dump the node's links", e))?;
        let view = observe::ns_view(&links, &addrs, &routes);
        let veths = podnet_veths(&view, &pairs, node_netns);

        let mut lists = Vec::new();
        for (path, parsed) in self.networks() {
            match parsed {
                Ok(l) => lists.push(l),
                Err(e) => warnings.push(format!("{}: {e}", path.display())),
            }
        }
        let mut data_dirs: BTreeSet<PathBuf> = BTreeSet::new();
        data_dirs.insert(cfg.data_dir.clone());
        let cached_lists = cached
            .iter()
            .filter_map(|c| conflist::parse(&c.entry.config).ok());
        for l in lists.iter().cloned().chain(cached_lists) {
            data_dirs.extend(
                gc::host_local_stores(&l)
                    .iter()
                    .filter_map(|s| s.parent().map(Path::to_path_buf)),
            );
        }
        let stores = read_stores(&data_dirs, warnings);
        let rules = match node.run(masq::all_keys) {
            Ok(Ok(keys)) => keys
                .into_iter()
                .map(|(net_key, key, comment)| RuleFact {
                    net_key,
                    key,
                    comment,
                })
                .collect(),
            Ok(Err(e)) | Err(e) => {
                warnings.push(format!("ipMasq rules not checked: {e}"));
                Vec::new()
            }
        };
        let mut gc_lists = Vec::new();
        let mut gc_networks = Vec::new();
        for l in lists {
            if l.version < Version::V1_1_0 || l.disable_gc {
                continue;
            }
            let capable = self.gc_capable(&l);
            if capable.is_empty() {
                continue;
            }
            gc_networks.push(GcNetwork {
                name: l.name.clone(),
                stores: gc::host_local_stores(&l),
            });
            gc_lists.push((l, capable));
        }
        let facts = Facts {
            cache_dir: results_dir.display().to_string(),
            node_netns,
            cache,
            known,
            namespaces,
            mounts: self.netns_mounts(),
            veths,
            stores,
            rules,
            gc_networks,
        };
        Ok(Gathered {
            facts,
            cached,
            gc_lists,
        })
    }

    /// The inode of the netns the plugins run in.
    fn node_inode(&self) -> Result<u64> {
        let p = match &self.config().node_netns {
            Some(p) => p.clone(),
            None => PathBuf::from("/proc/thread-self/ns/net"),
        };
        std::fs::metadata(&p)
            .map(|m| m.ino())
            .map_err(|e| Error::io(format!("stat {}", p.display()), e))
    }

    /// The `cni-*` entries of the netns directory.
    fn netns_mounts(&self) -> Vec<MountFact> {
        let Ok(rd) = std::fs::read_dir(&self.config().netns_dir) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = rd
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("cni-"))
            .map(|e| e.path())
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|p| MountFact {
                nsfs_inode: netns_create::is_nsfs(&p)
                    .then(|| std::fs::metadata(&p).ok().map(|m| m.ino()))
                    .flatten(),
                age: age_of(&p),
                path: p.display().to_string(),
            })
            .collect()
    }

    /// Plugins of a list that speak 1.1.0 (they get GC).
    fn gc_capable(&self, list: &NetConfList) -> Vec<usize> {
        (0..list.plugins.len())
            .filter(|&i| {
                let ty = list.plugin_type(i);
                let req = json!({"cniVersion": list.cni_version});
                matches!(self.exec(ty, "VERSION", &Params::NONE, &req), Ok(Ok(Some(v)))
                    if v.get("supportedVersions").and_then(Value::as_array).is_some_and(|vs| vs.iter().any(|x| x.as_str() == Some("1.1.0"))))
            })
            .collect()
    }

    // ---------------------------------------------------------------- removal

    /// Removes every leak: cache entries (by DEL) first, then rules, veths,
    /// reservations and netns bind mounts, each re-checked first. Returns
    /// each leak's outcome, in order.
    fn apply(
        &self,
        j: &Judgement,
        g: &Gathered,
        node: &NetnsWorker,
    ) -> Vec<std::result::Result<(), String>> {
        let phase = |a: &Action| match a {
            Action::DelCacheEntry { .. } => 0,
            Action::RemoveRules { .. } => 1,
            Action::DeleteLink { .. } => 2,
            Action::Release { .. } => 3,
            Action::DeleteNetns { .. } => 4,
            Action::ByCacheDel { .. } => 5,
        };
        let mut order: Vec<usize> = (0..j.leaks.len()).collect();
        order.sort_by_key(|&i| phase(&j.leaks[i].action));
        let mut out: Vec<std::result::Result<(), String>> = vec![Ok(()); j.leaks.len()];
        let mut by_entry: HashMap<usize, std::result::Result<(), String>> = HashMap::new();
        let mut links: Option<std::result::Result<NsView, String>> = None;
        for i in order {
            out[i] = match &j.leaks[i].action {
                Action::DelCacheEntry { index } => {
                    let r = self.gc_cache_entry(&g.cached[*index], &g.facts.cache[*index]);
                    by_entry.insert(*index, r.clone());
                    r
                }
                Action::ByCacheDel { index } => match by_entry.get(index) {
                    Some(Ok(())) => Ok(()),
                    Some(Err(e)) => {
                        Err(format!("left to its cache entry's DEL, which failed: {e}"))
                    }
                    None => Err("left to its cache entry's DEL, which did not run".into()),
                },
                Action::RemoveRules { key } => {
                    let keys = vec![key.clone()];
                    match node.run(move || masq::remove_keys(&keys)) {
                        Ok(Ok(_)) => Ok(()),
                        Ok(Err(e)) | Err(e) => Err(e.to_string()),
                    }
                }
                Action::DeleteLink {
                    name,
                    ifindex,
                    peer_netns,
                } => {
                    let view = links.get_or_insert_with(|| {
                        node.dump()
                            .map(|(l, a, r)| observe::ns_view(&l, &a, &r))
                            .map_err(|e| format!("dump the node's links: {e}"))
                    });
                    match view {
                        Ok(v) => self.gc_link(node, v, name, *ifindex, *peer_netns),
                        Err(e) => Err(e.clone()),
                    }
                }
                Action::Release { dir, ip, owner } => self.gc_release(dir, *ip, owner),
                Action::DeleteNetns { path, inode } => self.gc_netns(Path::new(path), *inode),
            };
        }
        out
    }

    /// DEL of a dead cache entry, its removal, then its netns bind mount —
    /// unless a process entered that netns meanwhile.
    fn gc_cache_entry(&self, c: &Cached, f: &CacheFact) -> std::result::Result<(), String> {
        if let Some(ino) = f.netns_inode
            && !sandbox::in_netns(ino).is_empty()
        {
            return Err("a process entered its netns meanwhile: left alone".into());
        }
        self.del_attachment(c).map_err(|e| e.to_string())?;
        match (&f.netns, f.netns_inode) {
            (Some(n), Some(_)) => self.remove_sandbox(Path::new(n)).map_err(|e| e.to_string()),
            _ => Ok(()),
        }
    }

    /// Deletes a host veth if it is still the link judged and its peer's
    /// netns is still empty.
    fn gc_link(
        &self,
        node: &NetnsWorker,
        view: &NsView,
        name: &str,
        ifindex: u32,
        peer_netns: u64,
    ) -> std::result::Result<(), String> {
        let Some(l) = view.link(name) else {
            return Ok(()); // gone already
        };
        if l.index != ifindex {
            return Err(format!("{name} is another link now: left alone"));
        }
        if !sandbox::in_netns(peer_netns).is_empty() {
            return Err(format!(
                "a process entered netns {peer_netns} meanwhile: left alone"
            ));
        }
        self.say(format!("ip link del {name}"));
        node.delete_link(name)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Removes a reservation under its store's lock, if it still names its owner.
    fn gc_release(
        &self,
        dir: &Path,
        ip: std::net::IpAddr,
        owner: &Owner,
    ) -> std::result::Result<(), String> {
        let store = match Store::open_existing(dir) {
            Ok(Some(s)) => s,
            Ok(None) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        let guard = store
            .lock_within(STORE_LOCK_TIMEOUT)
            .map_err(|e| e.to_string())?;
        self.say(format!(
            "rm {}    # under flock {}",
            dir.join(ip.to_string()).display(),
            dir.join(ipam::LOCK_FILE).display()
        ));
        match store.release_if_owned(&guard, ip, owner) {
            Ok(Released::Yes | Released::Gone) => Ok(()),
            Ok(Released::Changed) => Err(format!("{ip} was reserved again meanwhile: left alone")),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Unmounts and removes a netns bind mount if it is still the one
    /// judged (or still a plain file) and no process is in it.
    fn gc_netns(&self, path: &Path, inode: Option<u64>) -> std::result::Result<(), String> {
        let now = netns_create::is_nsfs(path)
            .then(|| std::fs::metadata(path).ok().map(|m| m.ino()))
            .flatten();
        if now != inode {
            return Err("it changed meanwhile: left alone".into());
        }
        if let Some(ino) = inode
            && !sandbox::in_netns(ino).is_empty()
        {
            return Err("a process entered it meanwhile: left alone".into());
        }
        let name = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.say(format!("ip netns del {name}"));
        netns_create::delete(path)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// The CNI GC calls the judgement allows (made unless a dry run).
    fn gc_calls(&self, j: &Judgement, g: &Gathered, dry_run: bool) -> Vec<GcCall> {
        let mut calls = Vec::new();
        for (plan, (list, capable)) in j.gc.iter().zip(&g.gc_lists) {
            let mut call = GcCall {
                network: plan.network.clone(),
                plugins: capable
                    .iter()
                    .map(|&i| list.plugin_type(i).to_string())
                    .collect(),
                valid_attachments: plan.valid.len(),
                error: None,
                skipped: plan.skipped.clone(),
            };
            if !dry_run && plan.skipped.is_none() {
                let mut errs = Vec::new();
                for &i in capable {
                    let ty = list.plugin_type(i);
                    self.say(format!(
                        "# CNI GC {ty} (network {}, {} valid attachments)",
                        list.name,
                        plan.valid.len()
                    ));
                    let req = conflist::gc_request(list, i, &plan.valid);
                    match self.exec(ty, "GC", &Params::NONE, &req) {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => errs.push(format!("{ty}: {e}")),
                        Err(e) => errs.push(format!("{ty}: {e}")),
                    }
                }
                if !errs.is_empty() {
                    call.error = Some(errs.join("; "));
                }
            }
            calls.push(call);
        }
        calls
    }
}

/// How long ago a file was last modified.
pub fn age_of(p: &Path) -> Option<Duration> {
    let t = std::fs::metadata(p).and_then(|m| m.modified()).ok()?;
    SystemTime::now().duration_since(t).ok()
}

fn cache_fact(c: &Cached) -> CacheFact {
    let e = &c.entry;
    let netns = e.netns_path();
    CacheFact {
        path: c.path.display().to_string(),
        network: e.network_name.clone(),
        container_id: e.container_id.clone(),
        ifname: e.if_name.clone(),
        pod: e.pod(),
        netns_inode: netns.as_deref().map(Path::new).and_then(|p| {
            netns_create::is_nsfs(p)
                .then(|| std::fs::metadata(p).ok().map(|m| m.ino()))
                .flatten()
        }),
        netns,
        age: age_of(&c.path),
        stores: conflist::parse(&e.config)
            .map(|l| gc::host_local_stores(&l))
            .unwrap_or_default(),
    }
}

/// podnet's host veths in the node's netns, each with where its peer is.
fn podnet_veths(view: &NsView, pairs: &[VethPair], node_netns: u64) -> Vec<VethFact> {
    let peer_of = |index: u32, peer_nsid: Option<i32>, peer_index: Option<u32>| {
        if peer_nsid.is_none() {
            let ifname = peer_index
                .and_then(|i| view.link_by_index(i))
                .map(|l| l.name.clone())
                .unwrap_or_default();
            return Some(Peer {
                netns: node_netns,
                ifname,
            });
        }
        pairs
            .iter()
            .filter(|p| p.status == PairStatus::Paired)
            .find_map(|p| {
                let host = p.host_if.as_ref()?;
                let pod = p.pod_if.as_ref()?;
                let pod_ns = p.netns_inode?;
                if host.netns_inode == node_netns && host.ifindex == index {
                    Some(Peer {
                        netns: pod_ns,
                        ifname: pod.name.clone(),
                    })
                } else if pod_ns == node_netns && pod.ifindex == index {
                    Some(Peer {
                        netns: host.netns_inode,
                        ifname: host.name.clone(),
                    })
                } else {
                    None
                }
            })
    };
    view.links
        .iter()
        .filter(|l| l.kind == "veth")
        .filter_map(|l| {
            let (net, att) = l.alias.as_deref().and_then(names::parse_marker)?;
            Some(VethFact {
                name: l.name.clone(),
                ifindex: l.index,
                net_key: net.to_string(),
                key: att.to_string(),
                peer: peer_of(l.index, l.peer_netnsid, l.peer_index),
            })
        })
        .collect()
}

/// The host-local stores under the data dirs (only directories that look
/// like one), read without changing anything.
fn read_stores(data_dirs: &BTreeSet<PathBuf>, warnings: &mut Vec<String>) -> Vec<StoreFact> {
    let now = SystemTime::now();
    let mut stores = Vec::new();
    for dd in data_dirs {
        let Ok(rd) = std::fs::read_dir(dd) else {
            continue;
        };
        let mut dirs: Vec<(String, PathBuf)> = rd
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
            .collect();
        dirs.sort();
        for (network, dir) in dirs {
            let peek = match store::peek(&dir) {
                Ok(p) => p,
                Err(e) => {
                    warnings.push(e.to_string());
                    continue;
                }
            };
            if !gc::looks_like_store(&peek.entries) {
                continue;
            }
            let mut reservations = Vec::new();
            for f in peek.reservations {
                let owner = match &f.contents {
                    Ok(text) => gc::reservation_owner(text),
                    Err(e) => {
                        warnings.push(format!("{}: {e}; left alone", f.path.display()));
                        continue;
                    }
                };
                let Some(owner) = owner else {
                    warnings.push(format!(
                        "{}: not a host-local reservation (<id>\\r\\n<ifname>); left alone",
                        f.path.display()
                    ));
                    continue;
                };
                reservations.push(ReservationFact {
                    ip: f.ip,
                    owner,
                    age: f.modified.and_then(|t| now.duration_since(t).ok()),
                });
            }
            stores.push(StoreFact {
                dir,
                network,
                reservations,
            });
        }
    }
    stores
}
