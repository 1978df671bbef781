//! The judgement of `podnet cni gc`: given what the node shows — libcni
//! cache entries, every network namespace and what holds it, the sandbox
//! ids runtimes still know, podnet's host veths and where their peers are,
//! host-local stores, podnet's masquerade rules — what is provably dead (a
//! leak: why, and what removes it) and what is left alone (and why it may
//! be alive). When in doubt an object is kept, never removed. No I/O: the
//! facts are gathered and the verdicts applied by `cni::runtime::gc`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::conflist::NetConfList;
use super::ipam::{Attachment, DEFAULT_DATA_DIR, LAST_RESERVED_PREFIX, LOCK_FILE, Owner};
use super::names;

mod facts;
pub use facts::{
    CacheFact, Facts, GcNetwork, KnownSandbox, MountFact, NetnsFact, Peer, ReservationFact,
    RuleFact, StoreFact, VethFact,
};

/// Whether a cached attachment's sandbox still exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxState {
    /// Its netns is mounted and a process holds it.
    Ok,
    /// The netns is mounted but no process is in it.
    NoProcess,
    /// The netns is gone.
    NetnsGone,
}

impl SandboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxState::Ok => "ok",
            SandboxState::NoProcess => "no-process",
            SandboxState::NetnsGone => "netns-gone",
        }
    }
}

/// What kind of object a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A libcni cache entry (and the attachment it records).
    Cache,
    /// A netns bind mount.
    Netns,
    /// A host-local reservation, or a whole store.
    Ipam,
    /// A podnet host veth.
    Veth,
    /// podnet's masquerade rules of one attachment.
    Firewall,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Cache => "cache",
            Kind::Netns => "netns",
            Kind::Ipam => "ipam",
            Kind::Veth => "veth",
            Kind::Firewall => "firewall",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the user allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Objects younger than this are left alone (an ADD may be running).
    pub min_age: Duration,
    /// Judge the stores of networks that have no cache entry too.
    pub include_uncached_networks: bool,
}

/// How a leak is removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// CNI DEL of cache entry `index` (of [`Facts::cache`]), then the
    /// entry, then its netns bind mount if one is left.
    DelCacheEntry { index: usize },
    /// Nothing of its own: the DEL of cache entry `index` removes it.
    ByCacheDel { index: usize },
    /// Unmount and remove a netns bind mount (if still unused).
    DeleteNetns { path: String, inode: Option<u64> },
    /// Remove a reservation file (if it still names `owner`).
    Release {
        dir: PathBuf,
        ip: IpAddr,
        owner: Owner,
    },
    /// Delete a host veth (if it is still that link and its peer's netns still unused).
    DeleteLink {
        name: String,
        ifindex: u32,
        peer_netns: u64,
    },
    /// Remove the masquerade rules of an attachment key.
    RemoveRules { key: String },
}

/// One object and what GC thinks of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct Finding {
    pub kind: Kind,
    pub object: String,
    pub pod: Option<String>,
    pub reason: String,
}

/// A leak and how to remove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doomed {
    pub finding: Finding,
    pub action: Action,
}

/// The CNI GC of one network: the attachments to keep, or why it is not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcPlan {
    pub network: String,
    pub valid: Vec<Attachment>,
    pub skipped: Option<String>,
}

/// The verdicts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Judgement {
    pub leaks: Vec<Doomed>,
    /// What might be alive and was left alone, with the reason (only what
    /// a live cache entry does not already explain).
    pub kept: Vec<Finding>,
    pub gc: Vec<GcPlan>,
}

/// Whether a directory's entries (name, is a regular file) look like a
/// host-local store: host-local (and podnet) create the `lock` file on
/// every call and write `last_reserved_ip.<n>` with every reservation, so
/// a store has a `lock` and, once it holds an address, a cursor. A
/// directory of address-named files without them (a backup, a copy) is
/// no store.
pub fn looks_like_store(entries: &[(String, bool)]) -> bool {
    let has_lock = entries.iter().any(|(n, reg)| *reg && n == LOCK_FILE);
    let has_cursor = entries.iter().any(|(n, reg)| {
        *reg && n
            .strip_prefix(LAST_RESERVED_PREFIX)
            .is_some_and(|i| i.parse::<usize>().is_ok())
    });
    let has_addresses = entries.iter().any(|(n, _)| n.parse::<IpAddr>().is_ok());
    has_lock && (has_cursor || !has_addresses)
}

/// The owner a reservation file names, when it is one: `<id>\r\n<ifname>`
/// (or `<id>` alone, as host-local before 0.8 wrote), the id and name
/// printable words without spaces, the name at most 15 bytes.
pub fn reservation_owner(text: &str) -> Option<Owner> {
    let word = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.chars().all(|c| c.is_ascii_graphic())
    };
    if text.trim().lines().count() > 2 {
        return None;
    }
    let o = Owner::parse(text);
    let ifname_ok = o.ifname.as_deref().is_none_or(|i| word(i, 15));
    (word(&o.container_id, 1024) && ifname_ok).then_some(o)
}

/// The host-local stores (`<dataDir>/<network>`) the plugins of a list use.
pub fn host_local_stores(list: &NetConfList) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = list
        .plugins
        .iter()
        .filter_map(|p| p.get("ipam"))
        .filter(|ipam| {
            matches!(
                ipam.get("type").and_then(Value::as_str),
                Some("host-local" | "podnet")
            )
        })
        .map(|ipam| {
            let dir = ipam
                .get("dataDir")
                .and_then(Value::as_str)
                .unwrap_or(DEFAULT_DATA_DIR);
            Path::new(dir).join(&list.name)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

fn owner_text(o: &Owner) -> String {
    format!(
        "{}/{}",
        short(&o.container_id),
        o.ifname.as_deref().unwrap_or("?")
    )
}

/// How a veth was judged, for the rules of the same attachment.
enum VethOutcome {
    Alive(String),
    Doomed(String, Option<usize>),
}

/// What the cache entries say, once judged.
#[derive(Default)]
struct CacheView {
    /// Container ids of attachments that are (or may be) alive.
    live_ids: HashSet<String>,
    /// Attachment keys of those.
    live_keys: HashSet<String>,
    /// Dead entries by container id and by attachment key.
    dead_ids: HashMap<String, Vec<usize>>,
    dead_keys: HashMap<String, usize>,
    /// Every netns path a cache entry records.
    netns_paths: HashSet<String>,
    /// Every store a cached configuration uses, and every cached network.
    stores: HashSet<PathBuf>,
    networks: HashSet<String>,
}

struct Judge<'a> {
    facts: &'a Facts,
    policy: &'a Policy,
    ns: HashMap<u64, &'a NetnsFact>,
    known: HashMap<&'a str, &'a str>,
    out: Judgement,
    cache: CacheView,
    veths: HashMap<String, VethOutcome>,
    /// Reservations judged dead, by store and address.
    doomed_ips: HashSet<(PathBuf, IpAddr)>,
}

/// Judges every fact.
pub fn judge(facts: &Facts, policy: &Policy) -> Judgement {
    let mut j = Judge {
        facts,
        policy,
        ns: facts.namespaces.iter().map(|n| (n.inode, n)).collect(),
        known: facts
            .known
            .iter()
            .map(|k| (k.id.as_str(), k.source.as_str()))
            .collect(),
        out: Judgement::default(),
        cache: CacheView::default(),
        veths: HashMap::new(),
        doomed_ips: HashSet::new(),
    };
    j.cache_entries();
    j.stores();
    j.veths();
    j.rules();
    j.mounts();
    j.gc_plans();
    j.out
}

impl<'a> Judge<'a> {
    /// Why a namespace may be alive; `None` when nothing holds it.
    fn life(&self, n: &NetnsFact) -> Option<String> {
        if n.node {
            return Some("it is the node's netns".into());
        }
        if let Some(p) = n.pause_pid.or(n.pids.first().copied()) {
            let more = n.pids.len().saturating_sub(1);
            return Some(if more == 0 {
                format!("process {p} is in it")
            } else {
                format!("process {p} (and {more} more) is in it")
            });
        }
        if let Some(fd) = n.fds.first() {
            return Some(format!("{fd} holds it open"));
        }
        let id = n.sandbox_id.as_deref()?;
        let source = self.known.get(id)?;
        Some(format!("its sandbox {} is named by {source}", short(id)))
    }

    /// Whether an object of this age is too young to judge.
    fn young(&self, age: Option<Duration>) -> bool {
        !self.policy.min_age.is_zero() && age.is_none_or(|a| a < self.policy.min_age)
    }

    fn pod_of(&self, inode: u64) -> Option<String> {
        self.ns.get(&inode).and_then(|n| n.pod.clone())
    }

    fn keep(&mut self, kind: Kind, object: impl Into<String>, pod: Option<String>, reason: String) {
        self.out.kept.push(Finding {
            kind,
            object: object.into(),
            pod,
            reason,
        });
    }

    fn doom(
        &mut self,
        kind: Kind,
        object: impl Into<String>,
        pod: Option<String>,
        reason: String,
        action: Action,
    ) {
        self.out.leaks.push(Doomed {
            finding: Finding {
                kind,
                object: object.into(),
                pod,
                reason,
            },
            action,
        });
    }

    /// A cache entry is dead when its netns is gone, or when nothing is in
    /// its netns (and it is old enough), unless some other source still
    /// names its sandbox.
    fn cache_entries(&mut self) {
        let facts = self.facts;
        for (i, c) in facts.cache.iter().enumerate() {
            let key = names::attachment_key(&c.network, &c.container_id, &c.ifname);
            self.cache.networks.insert(c.network.clone());
            self.cache.stores.extend(c.stores.iter().cloned());
            if let Some(n) = &c.netns {
                self.cache.netns_paths.insert(n.clone());
            }
            let netns = c.netns.clone().unwrap_or_default();
            let verdict: Result<Option<String>, String> = if let Some(source) =
                self.known.get(c.container_id.as_str())
            {
                Ok(Some(format!(
                    "its sandbox {} is still named by {source}",
                    short(&c.container_id)
                )))
            } else {
                match c.netns_inode {
                    None => Err(format!("its netns {netns} is gone")),
                    Some(ino) => match self.ns.get(&ino).copied() {
                        None => Ok(Some(format!(
                            "its netns {netns} (inode {ino}) was not seen by the node scan"
                        ))),
                        Some(n) => match self.life(n) {
                            Some(_) => Ok(None),
                            None if self.young(c.age) || self.young(n.age) => Ok(Some(format!(
                                "no process is in its netns {netns} yet, but it is younger than --min-age (an ADD may be running)"
                            ))),
                            None => Err(format!(
                                "no process is in its netns {netns} and nothing holds it open"
                            )),
                        },
                    },
                }
            };
            match verdict {
                Ok(kept) => {
                    self.cache.live_ids.insert(c.container_id.clone());
                    self.cache.live_keys.insert(key);
                    if let Some(reason) = kept {
                        self.keep(Kind::Cache, c.path.clone(), c.pod.clone(), reason);
                    }
                }
                Err(reason) => {
                    self.cache
                        .dead_ids
                        .entry(c.container_id.clone())
                        .or_default()
                        .push(i);
                    self.cache.dead_keys.insert(key, i);
                    self.doom(
                        Kind::Cache,
                        c.path.clone(),
                        c.pod.clone(),
                        reason,
                        Action::DelCacheEntry { index: i },
                    );
                }
            }
        }
    }

    /// A live namespace that holds `ip`: (inode, interface, why it lives).
    fn live_holder(&self, ip: IpAddr) -> Option<(u64, String, String)> {
        self.facts.namespaces.iter().find_map(|n| {
            let (ifname, _) = n.addresses.iter().find(|(_, a)| *a == ip)?;
            let life = self.life(n)?;
            Some((n.inode, ifname.clone(), life))
        })
    }

    /// The dead cache entry a reservation belongs to.
    fn dead_entry_of(&self, o: &Owner) -> Option<usize> {
        let entries = self.cache.dead_ids.get(&o.container_id)?;
        entries.iter().copied().find(|&i| {
            o.ifname
                .as_deref()
                .is_none_or(|f| f == self.facts.cache[i].ifname)
        })
    }

    fn judged(&self, s: &StoreFact) -> bool {
        self.policy.include_uncached_networks || self.cache.stores.contains(&s.dir)
    }

    /// Reservations of the stores GC may judge: dead when nothing names
    /// their container and no live interface has their address.
    fn stores(&mut self) {
        let facts = self.facts;
        for s in &facts.stores {
            if !self.judged(s) {
                if !s.reservations.is_empty() {
                    self.keep(
                        Kind::Ipam,
                        s.dir.display().to_string(),
                        None,
                        format!(
                            "network {} has no entry in the CNI cache {} (another runtime's network, a Multus delegate, a hand-run plugin?): its {} reservation(s) are not judged; --include-uncached-networks judges them",
                            s.network,
                            facts.cache_dir,
                            s.reservations.len()
                        ),
                    );
                }
                continue;
            }
            for r in &s.reservations {
                self.reservation(s, r);
            }
        }
    }

    fn reservation(&mut self, s: &StoreFact, r: &ReservationFact) {
        let object = s.dir.join(r.ip.to_string()).display().to_string();
        let who = owner_text(&r.owner);
        if self.cache.live_ids.contains(&r.owner.container_id) {
            return;
        }
        if let Some(source) = self.known.get(r.owner.container_id.as_str()) {
            let reason = format!("reserved for {who}, a sandbox {source} names");
            return self.keep(Kind::Ipam, object, None, reason);
        }
        if let Some((ino, ifname, life)) = self.live_holder(r.ip) {
            let reason = format!("{} is on {ifname} in netns {ino} ({life})", r.ip);
            return self.keep(Kind::Ipam, object, self.pod_of(ino), reason);
        }
        if let Some(i) = self.dead_entry_of(&r.owner) {
            self.doomed_ips.insert((s.dir.clone(), r.ip));
            let c = &self.facts.cache[i];
            let reason =
                format!("reserved for {who}, whose cache entry is a leak: its DEL releases it");
            let pod = c.pod.clone();
            return self.doom(
                Kind::Ipam,
                object,
                pod,
                reason,
                Action::ByCacheDel { index: i },
            );
        }
        if self.young(r.age) {
            let reason = format!(
                "reserved for {who}, which nothing else names, but younger than --min-age (an ADD may be running)"
            );
            return self.keep(Kind::Ipam, object, None, reason);
        }
        self.doomed_ips.insert((s.dir.clone(), r.ip));
        let reason = format!(
            "reserved for {who}: no cache entry, runtime file or process names it, and no live interface has {}",
            r.ip
        );
        let action = Action::Release {
            dir: s.dir.clone(),
            ip: r.ip,
            owner: r.owner.clone(),
        };
        self.doom(Kind::Ipam, object, None, reason, action);
    }

    /// A podnet veth of no live cache entry is dead only when its peer is
    /// in a namespace nothing holds.
    fn veths(&mut self) {
        let facts = self.facts;
        for v in &facts.veths {
            if self.cache.live_keys.contains(&v.key) {
                continue;
            }
            let outcome = self.veth(v);
            self.veths.insert(v.key.clone(), outcome);
        }
    }

    fn veth(&mut self, v: &VethFact) -> VethOutcome {
        let name = v.name.clone();
        let alive = |j: &mut Self, pod: Option<String>, reason: String| {
            j.keep(Kind::Veth, name.clone(), pod, reason);
            VethOutcome::Alive(name.clone())
        };
        let Some(peer) = &v.peer else {
            return alive(
                self,
                None,
                "no namespace the node scan found holds its peer (one it cannot see?)".into(),
            );
        };
        if peer.netns == self.facts.node_netns {
            return alive(
                self,
                None,
                format!(
                    "its peer {} is in the node's netns too: no pod's interface, and nothing proves it unused",
                    peer.ifname
                ),
            );
        }
        let Some(n) = self.ns.get(&peer.netns).copied() else {
            let reason = format!(
                "its peer's netns {} was not seen by the node scan",
                peer.netns
            );
            return alive(self, None, reason);
        };
        if let Some(life) = self.life(n) {
            let reason = format!("its peer {} is in netns {} ({life})", peer.ifname, n.inode);
            return alive(self, n.pod.clone(), reason);
        }
        if let Some(&i) = self.cache.dead_keys.get(&v.key) {
            let reason = "its cache entry is a leak: its DEL removes it".to_string();
            self.doom(
                Kind::Veth,
                name.clone(),
                n.pod.clone(),
                reason,
                Action::ByCacheDel { index: i },
            );
            return VethOutcome::Doomed(name, Some(i));
        }
        if self.young(n.age) {
            let reason = format!(
                "no process is in its peer's netns {} yet, but it is younger than --min-age (an ADD may be running)",
                n.inode
            );
            return alive(self, n.pod.clone(), reason);
        }
        let reason = format!(
            "its peer {} is in netns {}, which no process is in, nothing holds open and no runtime names",
            peer.ifname, n.inode
        );
        let action = Action::DeleteLink {
            name: name.clone(),
            ifindex: v.ifindex,
            peer_netns: n.inode,
        };
        self.doom(Kind::Veth, name.clone(), n.pod.clone(), reason, action);
        VethOutcome::Doomed(name, None)
    }

    /// podnet installs an attachment's rules after its aliased host veth
    /// and removes them before it: rules whose attachment has no veth (and
    /// no live cache entry) are dead; otherwise they follow the veth.
    fn rules(&mut self) {
        let facts = self.facts;
        for r in &facts.rules {
            if self.cache.live_keys.contains(&r.key) {
                continue;
            }
            let object = r.comment.clone();
            let by_veth = self.veths.get(&r.key).map(|o| match o {
                VethOutcome::Alive(v) => Err(v.clone()),
                VethOutcome::Doomed(v, by) => Ok((v.clone(), *by)),
            });
            match by_veth {
                Some(Err(v)) => {
                    let reason = format!("the veth {v} of its attachment is kept");
                    self.keep(Kind::Firewall, object, None, reason);
                }
                Some(Ok((v, by))) => {
                    let reason = format!("the veth {v} of its attachment is a leak");
                    let action = match by {
                        Some(index) => Action::ByCacheDel { index },
                        None => Action::RemoveRules { key: r.key.clone() },
                    };
                    self.doom(Kind::Firewall, object, None, reason, action);
                }
                None => match self.cache.dead_keys.get(&r.key) {
                    Some(&index) => {
                        let reason = "its cache entry is a leak: its DEL removes them".into();
                        self.doom(
                            Kind::Firewall,
                            object,
                            None,
                            reason,
                            Action::ByCacheDel { index },
                        );
                    }
                    None => {
                        let reason = "no podnet veth and no cache entry has its attachment: the pod it masqueraded is gone".into();
                        let action = Action::RemoveRules { key: r.key.clone() };
                        self.doom(Kind::Firewall, object, None, reason, action);
                    }
                },
            }
        }
    }

    /// `cni-*` bind mounts no cache entry records: dead when nothing holds
    /// the namespace (or when nothing is mounted there).
    fn mounts(&mut self) {
        let facts = self.facts;
        for m in &facts.mounts {
            if self.cache.netns_paths.contains(&m.path) {
                continue; // judged with its cache entry
            }
            let Some(ino) = m.nsfs_inode else {
                if self.young(m.age) {
                    let reason = "nothing is mounted on it, but it is younger than --min-age (a netns may be being mounted)".into();
                    self.keep(Kind::Netns, m.path.clone(), None, reason);
                } else {
                    let reason = "a file left where a netns was mounted".into();
                    let action = Action::DeleteNetns {
                        path: m.path.clone(),
                        inode: None,
                    };
                    self.doom(Kind::Netns, m.path.clone(), None, reason, action);
                }
                continue;
            };
            let Some(n) = self.ns.get(&ino).copied() else {
                let reason = format!("its netns (inode {ino}) was not seen by the node scan");
                self.keep(Kind::Netns, m.path.clone(), None, reason);
                continue;
            };
            if let Some(life) = self.life(n) {
                let reason = format!("no cache entry names it, but {life}");
                self.keep(Kind::Netns, m.path.clone(), n.pod.clone(), reason);
            } else if self.young(n.age) {
                let reason = "nothing is in it yet, but it is younger than --min-age (an ADD may be running)".into();
                self.keep(Kind::Netns, m.path.clone(), n.pod.clone(), reason);
            } else {
                let reason = "no process is in it, nothing holds it open, and no cache entry or runtime names it".into();
                let action = Action::DeleteNetns {
                    path: m.path.clone(),
                    inode: Some(ino),
                };
                self.doom(Kind::Netns, m.path.clone(), n.pod.clone(), reason, action);
            }
        }
    }

    /// A CNI GC releases everything its valid list does not name, so it is
    /// made only when every attachment that may be alive can be named.
    fn gc_plans(&mut self) {
        let facts = self.facts;
        for g in &facts.gc_networks {
            let plan = self.gc_plan(g);
            self.out.gc.push(plan);
        }
    }

    fn gc_plan(&self, g: &GcNetwork) -> GcPlan {
        let mut plan = GcPlan {
            network: g.name.clone(),
            valid: Vec::new(),
            skipped: None,
        };
        if !self.policy.include_uncached_networks && !self.cache.networks.contains(&g.name) {
            plan.skipped = Some(format!(
                "it has no entry in the CNI cache {}: the attachments to keep are not known",
                self.facts.cache_dir
            ));
            return plan;
        }
        let mut valid: HashSet<Attachment> = HashSet::new();
        for c in &self.facts.cache {
            if c.network == g.name && self.cache.live_ids.contains(&c.container_id) {
                valid.insert(Attachment {
                    container_id: c.container_id.clone(),
                    ifname: c.ifname.clone(),
                });
            }
        }
        for s in self
            .facts
            .stores
            .iter()
            .filter(|s| g.stores.contains(&s.dir))
        {
            for r in &s.reservations {
                if !self.doomed_ips.contains(&(s.dir.clone(), r.ip)) {
                    valid.insert(Attachment {
                        container_id: r.owner.container_id.clone(),
                        ifname: r.owner.ifname.clone().unwrap_or_default(),
                    });
                }
            }
        }
        let keys: HashSet<String> = valid
            .iter()
            .map(|a| names::attachment_key(&g.name, &a.container_id, &a.ifname))
            .collect();
        let net_key = names::network_key(&g.name);
        let unnamed_veth = self.facts.veths.iter().find(|v| {
            v.net_key == net_key
                && !keys.contains(&v.key)
                && matches!(self.veths.get(&v.key), Some(VethOutcome::Alive(_)))
        });
        let unnamed_rule = self.facts.rules.iter().find(|r| {
            r.net_key == net_key
                && !keys.contains(&r.key)
                && !self.cache.live_keys.contains(&r.key)
                && !self
                    .out
                    .leaks
                    .iter()
                    .any(|d| d.finding.kind == Kind::Firewall && d.finding.object == r.comment)
        });
        if let Some(v) = unnamed_veth {
            plan.skipped = Some(format!(
                "the veth {} may be alive, and no cache entry or reservation names its attachment",
                v.name
            ));
        } else if let Some(r) = unnamed_rule {
            plan.skipped = Some(format!(
                "the rules {:?} may be alive, and no cache entry or reservation names their attachment",
                r.comment
            ));
        }
        let mut valid: Vec<Attachment> = valid.into_iter().collect();
        valid.sort_by(|a, b| (&a.container_id, &a.ifname).cmp(&(&b.container_id, &b.ifname)));
        plan.valid = valid;
        plan
    }
}

#[cfg(test)]
mod tests;
