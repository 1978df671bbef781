//! podnet as a small CNI runtime, usable as a library (by `podnet cni …`
//! and by `podnet lab`): pod sandboxes (a bind-mounted netns held by a
//! pause process), plugin chains run like libcni (ADD in order, DEL in
//! reverse with the cached result, CHECK), a failed ADD rolled back by a
//! DEL of every plugin that ran, libcni's result cache, and the answers of
//! `podnet cni add|del|check` (GC is [`gc`]). Every location — config dir, plugin dirs, cache dir, netns
//! dir, IPAM dataDir, the node's netns — is a parameter; every file read
//! is bounded. The wing's kernel adapter for the runtime: decisions in
//! `cni`'s pure modules, I/O through `sys` primitives (sandboxes in
//! [`sandbox`], plugin chains in [`chain`]).

mod chain;
mod exec;
pub mod gc;
mod sandbox;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::cni::cache::{CacheEntry, DEFAULT_CACHE_DIR};
use crate::cni::cache_store;
use crate::cni::conflist::{self, NetConfList};
use crate::cni::error::{CniError, DocError, codes};
use crate::cni::ipam::DEFAULT_DATA_DIR;
use crate::cni::kit_args;
use crate::error::{Error, Result};
use crate::model::cni::DeletedAttachment;
use crate::sys::cni_exec::DEFAULT_BIN_DIRS;
use crate::sys::files::{MAX_FILE_BYTES, read_capped};
use crate::sys::netns_create::DEFAULT_NETNS_DIR;
use crate::sys::random;
use crate::sys::rtnl::NetnsWorker;
use crate::sys::sandbox::processes;

pub use crate::cni::gc::SandboxState;
pub use crate::model::cni::{AttachmentInfo, CheckOutcome, CniChecked, CniDeleted};
pub use exec::{PluginExec, Processes, outcome};

/// Where everything is.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Network configurations, looked up by name.
    pub conf_dir: PathBuf,
    /// Plugin directories (CNI_PATH).
    pub bin_dirs: Vec<PathBuf>,
    /// libcni's cache directory (results in `<dir>/results`).
    pub cache_dir: PathBuf,
    /// Where sandbox netns are bind-mounted.
    pub netns_dir: PathBuf,
    /// The node's network namespace, where plugins run; `None`: this process's.
    pub node_netns: Option<PathBuf>,
    /// host-local's default dataDir (GC scans it besides the configured ones).
    pub data_dir: PathBuf,
    /// The podnet binary: pause processes, and plugins of type `podnet`
    /// that are not in `bin_dirs`.
    pub podnet_exe: PathBuf,
    /// Print each step on stderr as the equivalent command.
    pub explain: bool,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            conf_dir: PathBuf::from("/etc/cni/net.d"),
            bin_dirs: DEFAULT_BIN_DIRS.iter().map(PathBuf::from).collect(),
            cache_dir: PathBuf::from(DEFAULT_CACHE_DIR),
            netns_dir: PathBuf::from(DEFAULT_NETNS_DIR),
            node_netns: None,
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            podnet_exe: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("podnet")),
            explain: false,
        }
    }
}

/// A pod to create.
#[derive(Debug, Clone)]
pub struct PodSpec {
    pub namespace: String,
    pub name: String,
    pub ifname: String,
    /// Extra CNI_ARGS (e.g. `IP`).
    pub extra_args: Vec<(String, String)>,
    /// Capability arguments (`portMappings`, …) for plugins that declare them.
    pub capability_args: Map<String, Value>,
}

/// What `podnet cni add` is asked, as given: checked by
/// [`Runtime::add_request`] before anything runs.
#[derive(Debug, Clone, Copy)]
pub struct AddRequest<'a> {
    /// `namespace/name` (or `name`, in `default`).
    pub pod: &'a str,
    /// The network configuration's name.
    pub network: &'a str,
    pub ifname: &'a str,
    /// `HOST:CONTAINER[/PROTO]` port mappings.
    pub publish: &'a [String],
    /// A requested address (CNI_ARGS `IP`).
    pub ip: Option<&'a str>,
}

/// A cache entry read back.
#[derive(Debug, Clone)]
pub struct Cached {
    pub path: PathBuf,
    pub entry: CacheEntry,
}

/// The attachment parameters of one plugin run (CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS).
#[derive(Debug, Clone, Copy)]
struct Params<'a> {
    container_id: &'a str,
    netns: &'a str,
    ifname: &'a str,
    args: &'a str,
}

impl Params<'static> {
    const NONE: Params<'static> = Params {
        container_id: "",
        netns: "",
        ifname: "",
        args: "",
    };
}

/// The runtime.
pub struct Runtime {
    cfg: RuntimeConfig,
    node: Option<NetnsWorker>,
    plugins: Arc<dyn PluginExec>,
}

/// A warning on stderr, as every command prints one.
fn warn_line(msg: &str) {
    eprintln!("podnet: warning: {}", crate::render::Esc(msg));
}

/// The first 12 characters of an id (ids read from disk may be anything).
fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

fn other(msg: impl Into<String>) -> Error {
    Error::other(msg)
}

fn plugin_error(network: &str, ty: &str, command: &str, e: &CniError) -> Error {
    Error::with_hint(
        format!("network {network}: plugin {ty} {command} failed: {e}"),
        match e.code {
            codes::INCOMPATIBLE_VERSION => {
                "the network's cniVersion is one the plugin does not speak"
            }
            codes::UNKNOWN_CONTAINER => "the sandbox is gone",
            codes::INVALID_CONFIG => "fix the network configuration",
            codes::INTERFACE_EXISTS => "the pod already has an interface of that name",
            codes::RANGE_EXHAUSTED => {
                "the range is full: widen it, or `podnet cni gc` to release leaked addresses"
            }
            _ => "run it again with --explain to see each step",
        },
    )
}

/// The pod as its cache entries name it, else as the user gave it.
fn pod_of(atts: &[Cached], asked: &str) -> String {
    atts.first()
        .and_then(|c| c.entry.pod())
        .unwrap_or_else(|| asked.to_string())
}

/// `cni del`'s answer for the attachments of one sandbox.
fn deleted(atts: &[Cached], asked: &str) -> CniDeleted {
    CniDeleted {
        deleted: atts
            .iter()
            .map(|c| DeletedAttachment {
                ifname: c.entry.if_name.clone(),
                network: c.entry.network_name.clone(),
            })
            .collect(),
        pod: pod_of(atts, asked),
        sandbox_id: atts
            .first()
            .map(|c| c.entry.container_id.clone())
            .unwrap_or_default(),
    }
}

/// `cni check`'s answer: the outcomes, and whether every one is ok.
fn checked(pod: String, attachments: Vec<CheckOutcome>) -> CniChecked {
    CniChecked {
        ok: attachments.iter().all(|r| r.ok),
        attachments,
        pod,
    }
}

impl Runtime {
    /// A runtime that runs plugins as processes.
    pub fn new(cfg: RuntimeConfig) -> Result<Runtime> {
        Runtime::with_plugins(cfg, Arc::new(Processes))
    }

    /// A runtime that runs plugins through `plugins`.
    pub fn with_plugins(cfg: RuntimeConfig, plugins: Arc<dyn PluginExec>) -> Result<Runtime> {
        let node = match &cfg.node_netns {
            None => None,
            Some(p) => {
                let f = File::open(p)
                    .map_err(|e| Error::io(format!("open node netns {}", p.display()), e))?;
                Some(
                    NetnsWorker::spawn(Some(&f))
                        .map_err(|e| Error::io(format!("enter node netns {}", p.display()), e))?,
                )
            }
        };
        Ok(Runtime { cfg, node, plugins })
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.cfg
    }

    fn say(&self, line: impl AsRef<str>) {
        if self.cfg.explain {
            eprintln!("+ {}", crate::render::Esc(line.as_ref()));
        }
    }

    /// Runs `f` in the node's netns (children it spawns start there).
    fn in_node<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        match &self.node {
            Some(w) => w.run(f).map_err(|e| Error::io("run in the node netns", e)),
            None => Ok(f()),
        }
    }

    fn node_worker(&self) -> Result<NetnsWorker> {
        let f = match &self.cfg.node_netns {
            Some(p) => {
                Some(File::open(p).map_err(|e| Error::io(format!("open {}", p.display()), e))?)
            }
            None => None,
        };
        NetnsWorker::spawn(f.as_ref()).map_err(|e| Error::io("netlink in the node netns", e))
    }

    /// A network by name (in the config dir) or path.
    pub fn load_network(&self, spec: &str) -> Result<NetConfList> {
        let as_path = Path::new(spec);
        if spec.contains('/') || as_path.is_file() {
            let bytes = read_capped(as_path, MAX_FILE_BYTES)
                .map_err(|e| Error::io(format!("read {spec}"), e))?;
            return conflist::parse(&bytes).map_err(|e| other(format!("{spec}: {e}")));
        }
        let mut seen = Vec::new();
        for (path, parsed) in self.networks() {
            match parsed {
                Ok(l) if l.name == spec => return Ok(l),
                Ok(l) => seen.push(l.name),
                Err(e) => warn_line(&format!("{}: {e}", path.display())),
            }
        }
        Err(Error::with_hint(
            format!(
                "no network named {spec:?} in {}",
                self.cfg.conf_dir.display()
            ),
            if seen.is_empty() {
                "write a .conflist there (see docs/cni.md), or pass a file path to --net"
                    .to_string()
            } else {
                format!("known networks: {}", seen.join(", "))
            },
        ))
    }

    /// Every network configuration file in the config dir, sorted by name,
    /// each read bounded (a fifo, a device or a huge file is that file's
    /// error).
    pub fn networks(&self) -> Vec<(PathBuf, std::result::Result<NetConfList, DocError>)> {
        let Ok(rd) = std::fs::read_dir(&self.cfg.conf_dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| matches!(x, "conflist" | "conf" | "json"))
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let parsed = read_capped(&p, MAX_FILE_BYTES)
                    .map_err(|e| DocError(e.to_string()))
                    .and_then(|b| conflist::parse(&b));
                (p, parsed)
            })
            .collect()
    }

    /// All cache entries, with warnings for unreadable ones.
    pub fn cached(&self) -> (Vec<Cached>, Vec<String>) {
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        for (path, data) in cache_store::read_all(&self.cfg.cache_dir) {
            match data
                .map_err(|e| DocError(e.to_string()))
                .and_then(|b| CacheEntry::parse(&b))
            {
                Ok(entry) => out.push(Cached { path, entry }),
                Err(e) => warnings.push(format!("{}: {e}", path.display())),
            }
        }
        (out, warnings)
    }

    fn info(c: &Cached, procs: &HashMap<i32, (u64, String)>) -> AttachmentInfo {
        let e = &c.entry;
        let netns = e.netns_path();
        let (state, pause_pid) = Runtime::sandbox_state(netns.as_deref(), procs);
        let plugins = conflist::parse(&e.config)
            .map(|l| l.types())
            .unwrap_or_default();
        let ips = e
            .result
            .as_ref()
            .and_then(|r| crate::cni::types::CniResult::from_json(r).ok())
            .map(|r| r.ips.iter().map(|i| i.address.to_string()).collect())
            .unwrap_or_default();
        AttachmentInfo {
            pod: e.pod(),
            uid: e.arg("K8S_POD_UID").map(str::to_string),
            sandbox_id: e.container_id.clone(),
            network: e.network_name.clone(),
            ifname: e.if_name.clone(),
            plugins,
            netns,
            pause_pid,
            state,
            ips,
            cache_file: c.path.display().to_string(),
            result: e.result.clone(),
        }
    }

    /// Every cached attachment and whether its sandbox lives.
    pub fn list(&self) -> (Vec<AttachmentInfo>, Vec<String>) {
        let (cached, warnings) = self.cached();
        let procs = processes();
        (
            cached.iter().map(|c| Runtime::info(c, &procs)).collect(),
            warnings,
        )
    }

    /// The cache entries of the pod `reference` names (all of one sandbox).
    pub fn find_pod(&self, reference: &str) -> Result<Vec<Cached>> {
        let (cached, _) = self.cached();
        let base = |p: &str| {
            Path::new(p)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
        };
        let matches = |c: &Cached| {
            let e = &c.entry;
            let netns = e.netns_path();
            if reference.starts_with('/') {
                return netns.as_deref() == Some(reference);
            }
            if reference.contains('/') {
                return e.pod().as_deref() == Some(reference);
            }
            e.arg("K8S_POD_NAME") == Some(reference)
                || (reference.len() >= 4 && e.container_id.starts_with(reference))
                || netns.as_deref().and_then(base).as_deref() == Some(reference)
        };
        let found: Vec<Cached> = cached.into_iter().filter(|c| matches(c)).collect();
        let ids: BTreeSet<&str> = found
            .iter()
            .map(|c| c.entry.container_id.as_str())
            .collect();
        match ids.len() {
            0 => Err(Error::NotFound(format!(
                "no pod {reference:?} in the CNI cache ({})",
                cache_store::results_dir(&self.cfg.cache_dir).display()
            ))),
            1 => Ok(found),
            _ => Err(Error::Ambiguous {
                what: format!("pod {reference:?}"),
                candidates: found
                    .iter()
                    .map(|c| {
                        format!(
                            "{} ({})",
                            c.entry.pod().unwrap_or_default(),
                            short(&c.entry.container_id)
                        )
                    })
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            }),
        }
    }

    /// Creates a sandbox and ADDs it to `list`.
    pub fn add(&self, list: &NetConfList, pod: &PodSpec) -> Result<AttachmentInfo> {
        let full = format!("{}/{}", pod.namespace, pod.name);
        self.refuse_a_second_sandbox(&full)?;
        let sandbox_id = random::hex(64).map_err(|e| Error::io("random", e))?;
        let uid = random::uuid().map_err(|e| Error::io("random", e))?;
        let sb = self.start_sandbox()?;
        let mut cni_args: Vec<[String; 2]> = vec![
            ["IgnoreUnknown".into(), "1".into()],
            ["K8S_POD_NAMESPACE".into(), pod.namespace.clone()],
            ["K8S_POD_NAME".into(), pod.name.clone()],
            ["K8S_POD_INFRA_CONTAINER_ID".into(), sandbox_id.clone()],
            ["K8S_POD_UID".into(), uid],
        ];
        cni_args.extend(pod.extra_args.iter().map(|(k, v)| [k.clone(), v.clone()]));
        let entry = CacheEntry {
            kind: "cniCacheV1".into(),
            container_id: sandbox_id,
            config: list.bytes.clone(),
            if_name: pod.ifname.clone(),
            network_name: list.name.clone(),
            netns: Some(sb.path.display().to_string()),
            cni_args,
            capability_args: pod.capability_args.clone(),
            result: None,
        };
        match self.plumb(list, &full, entry) {
            Ok((path, entry)) => {
                let procs = processes();
                Ok(Runtime::info(&Cached { path, entry }, &procs))
            }
            Err(e) => {
                self.stop_sandbox(&sb, true);
                Err(e)
            }
        }
    }

    /// `podnet cni add`: the request checked (pod, interface name, network,
    /// port mappings, address, in that order) and the pod ADDed.
    pub fn add_request(&self, req: &AddRequest<'_>) -> Result<AttachmentInfo> {
        let (namespace, name) = kit_args::parse_pod(req.pod)?;
        kit_args::check_ifname(req.ifname)?;
        let list = self.load_network(req.network)?;
        let capability_args = kit_args::capability_args(req.publish)?;
        let extra_args = kit_args::extra_args(req.ip)?;
        self.add(
            &list,
            &PodSpec {
                namespace,
                name,
                ifname: req.ifname.to_string(),
                extra_args,
                capability_args,
            },
        )
    }

    /// `podnet cni del`: every attachment of the pod `reference` names
    /// DELeted, then its sandbox; what was deleted.
    pub fn del_pod(&self, reference: &str) -> Result<CniDeleted> {
        let atts = self.find_pod(reference)?;
        let doc = deleted(&atts, reference);
        self.del(&atts)?;
        Ok(doc)
    }

    /// `podnet cni check`: CHECK of every attachment of the pod `reference` names.
    pub fn check_pod(&self, reference: &str) -> Result<CniChecked> {
        let atts = self.find_pod(reference)?;
        let pod = pod_of(&atts, reference);
        Ok(checked(pod, self.check(&atts)?))
    }

    /// DELs every attachment of a sandbox (reverse order), stops its pause
    /// processes and removes its netns and cache entries.
    pub fn del(&self, atts: &[Cached]) -> Result<()> {
        for c in atts.iter().rev() {
            self.del_attachment(c)?;
        }
        if let Some(netns) = atts.iter().find_map(|c| c.entry.netns_path()) {
            self.remove_sandbox(Path::new(&netns))?;
        }
        Ok(())
    }

    /// CHECKs every attachment of a sandbox.
    pub fn check(&self, atts: &[Cached]) -> Result<Vec<CheckOutcome>> {
        let procs = processes();
        let mut out = Vec::new();
        for c in atts {
            let e = &c.entry;
            let mut o = CheckOutcome {
                network: e.network_name.clone(),
                ifname: e.if_name.clone(),
                ok: true,
                problem: None,
                skipped: None,
            };
            let netns = e.netns_path();
            match Runtime::sandbox_state(netns.as_deref(), &procs).0 {
                SandboxState::Ok => {}
                s => {
                    o.ok = false;
                    o.problem = Some(format!("the sandbox is not alive ({})", s.as_str()));
                    out.push(o);
                    continue;
                }
            }
            let list = match conflist::parse(&e.config) {
                Ok(l) => l,
                Err(err) => {
                    o.ok = false;
                    o.problem = Some(format!("the cached config is unreadable: {err}"));
                    out.push(o);
                    continue;
                }
            };
            if list.disable_check {
                o.skipped = Some("the network sets disableCheck".into());
            } else if !list.version.has_check() {
                o.skipped = Some(format!("cniVersion {} has no CHECK", list.version));
            } else if let Err(err) = self.check_chain(
                &list,
                &Params {
                    container_id: &e.container_id,
                    netns: netns.as_deref().unwrap_or(""),
                    ifname: &e.if_name,
                    args: &e.cni_args_string(),
                },
                &e.capability_args,
                e.result.as_ref(),
            ) {
                o.ok = false;
                o.problem = Some(err.to_string());
            }
            out.push(o);
        }
        Ok(out)
    }
}
