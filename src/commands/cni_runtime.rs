//! podnet as a small CNI runtime, usable as a library (by `podnet cni …`
//! and by `podnet lab`): pod sandboxes (a bind-mounted netns held by a
//! pause process), plugin chains run like libcni (ADD in order, DEL in
//! reverse with the cached result, CHECK), a failed ADD rolled back by a
//! DEL of every plugin that ran, and libcni's result cache (GC is
//! `commands::cni_gc`). Every location — config dir, plugin dirs, cache
//! dir, netns dir, IPAM dataDir, the node's netns — is a parameter; every
//! file read is bounded. Wiring only: decisions in `cni`, I/O in `sys`.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::cni::cache::{CacheEntry, DEFAULT_CACHE_DIR};
use crate::cni::conflist::{self, NetConfList};
use crate::cni::error::CniError;
use crate::cni::ipam::DEFAULT_DATA_DIR;
use crate::error::{Error, Result};
use crate::sys::cni_exec::{self, DEFAULT_BIN_DIRS, PluginRun};
use crate::sys::files::{MAX_FILE_BYTES, read_capped};
use crate::sys::netns_create::{self, DEFAULT_NETNS_DIR};
use crate::sys::rtnl::NetnsWorker;
use crate::sys::{cni_cache_store, random, sandbox};

pub use crate::cni::gc::SandboxState;

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

/// One attachment (a cache entry), as `add` made it or `ls` found it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct AttachmentInfo {
    pub pod: Option<String>,
    pub uid: Option<String>,
    pub sandbox_id: String,
    pub network: String,
    pub ifname: String,
    pub plugins: Vec<String>,
    pub netns: Option<String>,
    pub pause_pid: Option<i32>,
    pub state: SandboxState,
    pub ips: Vec<String>,
    pub cache_file: String,
    /// The cached CNI result (in the CNI specification's own format).
    pub result: Option<Value>,
}

/// The outcome of CHECK for one attachment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct CheckOutcome {
    pub network: String,
    pub ifname: String,
    pub ok: bool,
    pub problem: Option<String>,
    pub skipped: Option<String>,
}

/// A cache entry read back.
#[derive(Debug, Clone)]
pub struct Cached {
    pub path: PathBuf,
    pub entry: CacheEntry,
}

/// The attachment parameters of one plugin run (CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS).
#[derive(Debug, Clone, Copy)]
pub(super) struct Params<'a> {
    container_id: &'a str,
    netns: &'a str,
    ifname: &'a str,
    args: &'a str,
}

impl Params<'static> {
    pub(super) const NONE: Params<'static> = Params {
        container_id: "",
        netns: "",
        ifname: "",
        args: "",
    };
}

/// An ADD of a chain that failed: the error, how many plugins ran (the
/// failed one included when it ran), and the result before the failure.
struct FailedAdd {
    error: Error,
    ran: usize,
    result: Option<Value>,
}

/// A sandbox being made: its netns bind mount and pause process.
struct Sandbox {
    name: String,
    path: PathBuf,
    pause: Option<i32>,
}

/// The runtime.
pub struct Runtime {
    cfg: RuntimeConfig,
    node: Option<NetnsWorker>,
}

/// The first 12 characters of an id (ids read from disk may be anything).
pub(super) fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

fn other(msg: impl Into<String>) -> Error {
    Error::other(msg)
}

fn plugin_error(network: &str, ty: &str, command: &str, e: &CniError) -> Error {
    Error::with_hint(
        format!("network {network}: plugin {ty} {command} failed: {e}"),
        match e.code {
            1 => "the network's cniVersion is one the plugin does not speak",
            3 => "the sandbox is gone",
            7 => "fix the network configuration",
            101 => "the pod already has an interface of that name",
            102 => "the range is full: widen it, or `podnet cni gc` to release leaked addresses",
            _ => "run it again with --explain to see each step",
        },
    )
}

/// `namespace/name` (or `name`, in `default`) of a pod.
pub fn parse_pod(s: &str) -> Result<(String, String)> {
    let (ns, name) = match s.split_once('/') {
        Some((ns, name)) => (ns.to_string(), name.to_string()),
        None => ("default".to_string(), s.to_string()),
    };
    let ok = |x: &str| {
        !x.is_empty()
            && x.len() <= 253
            && x.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    };
    if !ok(&ns) || !ok(&name) {
        return Err(Error::Usage(format!(
            "invalid pod {s:?}: expected namespace/name (letters, digits, '-', '.', '_')"
        )));
    }
    Ok((ns, name))
}

/// A `HOST:CONTAINER[/PROTO]` port mapping as the portMappings capability wants it.
pub fn parse_port_mapping(s: &str) -> Result<Value> {
    let bad = || {
        Error::Usage(format!(
            "invalid port mapping {s:?}: expected HOST:CONTAINER[/tcp|udp|sctp]"
        ))
    };
    let (ports, proto) = match s.split_once('/') {
        Some((p, proto)) => (p, proto.to_ascii_lowercase()),
        None => (s, "tcp".to_string()),
    };
    if !["tcp", "udp", "sctp"].contains(&proto.as_str()) {
        return Err(bad());
    }
    let (h, c) = ports.split_once(':').ok_or_else(bad)?;
    let h: u16 = h.parse().map_err(|_| bad())?;
    let c: u16 = c.parse().map_err(|_| bad())?;
    if h == 0 || c == 0 {
        return Err(bad());
    }
    Ok(json!({"hostPort": h, "containerPort": c, "protocol": proto}))
}

impl Runtime {
    pub fn new(cfg: RuntimeConfig) -> Result<Runtime> {
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
        Ok(Runtime { cfg, node })
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.cfg
    }

    pub(super) fn say(&self, line: impl AsRef<str>) {
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

    pub(super) fn node_worker(&self) -> Result<NetnsWorker> {
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
                Err(e) => super::warn_line(&format!("{}: {e}", path.display())),
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
    pub fn networks(&self) -> Vec<(PathBuf, std::result::Result<NetConfList, String>)> {
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
                    .map_err(|e| e.to_string())
                    .and_then(|b| conflist::parse(&b));
                (p, parsed)
            })
            .collect()
    }

    /// The binary of a plugin type.
    fn plugin_binary(&self, ty: &str) -> Result<PathBuf> {
        if let Some(p) = cni_exec::find(ty, &self.cfg.bin_dirs) {
            return Ok(p);
        }
        if ty == "podnet" {
            return Ok(self.cfg.podnet_exe.clone());
        }
        Err(Error::with_hint(
            format!(
                "plugin {ty:?} not found in {}",
                cni_exec::path_string(&self.cfg.bin_dirs)
            ),
            "install it there, or pass --bin-dir",
        ))
    }

    /// Runs one plugin; `Ok(Err(e))` is the plugin's own CNI error.
    pub(super) fn exec(
        &self,
        ty: &str,
        command: &str,
        at: &Params<'_>,
        request: &Value,
    ) -> Result<std::result::Result<Option<Value>, CniError>> {
        let binary = self.plugin_binary(ty)?;
        let run = PluginRun {
            binary: binary.clone(),
            command: command.into(),
            container_id: at.container_id.into(),
            netns: at.netns.into(),
            ifname: at.ifname.into(),
            args: at.args.into(),
            path: cni_exec::path_string(&self.cfg.bin_dirs),
            stdin: serde_json::to_vec(request).unwrap_or_default(),
            extra_env: if self.cfg.explain {
                vec![("PODNET_CNI_EXPLAIN".into(), "1".into())]
            } else {
                Vec::new()
            },
            inherit_stderr: self.cfg.explain,
        };
        let out = self
            .in_node(move || cni_exec::run(&run))?
            .map_err(|e| Error::io(format!("run {}", binary.display()), e))?;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let parsed: Option<Value> = if text.trim().is_empty() {
            None
        } else {
            serde_json::from_str(&text).ok()
        };
        if out.status.success() {
            if parsed.is_none() && !text.trim().is_empty() {
                return Ok(Err(CniError::new(
                    6,
                    format!("plugin printed no JSON: {}", text.trim()),
                )));
            }
            return Ok(Ok(parsed));
        }
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Ok(Err(parsed
            .as_ref()
            .and_then(CniError::from_json)
            .unwrap_or_else(|| {
                CniError::new(999, format!("exited with {}", out.status)).with_details(
                    if stderr.is_empty() {
                        text.trim().to_string()
                    } else {
                        stderr
                    },
                )
            })))
    }

    fn announce(&self, list: &NetConfList, command: &str, i: usize) {
        let ty = list.plugin_type(i);
        self.say(format!(
            "# CNI {command} {ty} (plugin {} of {} in network {})",
            i + 1,
            list.plugins.len(),
            list.name
        ));
        if self.cfg.explain && ty != "podnet" {
            self.say(format!(
                "#   ({ty} does not explain its steps; see its result)"
            ));
        }
    }

    /// Runs CHECK through the chain with the cached result, stopping at
    /// the first failure, as libcni does.
    fn check_chain(
        &self,
        list: &NetConfList,
        at: &Params<'_>,
        caps: &Map<String, Value>,
        cached: Option<&Value>,
    ) -> Result<()> {
        for i in 0..list.plugins.len() {
            self.announce(list, "CHECK", i);
            let ty = list.plugin_type(i);
            let request = conflist::plugin_request(list, i, cached, caps);
            if let Err(e) = self.exec(ty, "CHECK", at, &request)? {
                return Err(plugin_error(&list.name, ty, "CHECK", &e));
            }
        }
        Ok(())
    }

    /// Runs ADD through the chain, each plugin getting the result so far;
    /// returns the final result, or what ran before the failure.
    fn add_chain(
        &self,
        list: &NetConfList,
        at: &Params<'_>,
        caps: &Map<String, Value>,
    ) -> std::result::Result<Option<Value>, FailedAdd> {
        let mut prev: Option<Value> = None;
        for i in 0..list.plugins.len() {
            self.announce(list, "ADD", i);
            let ty = list.plugin_type(i);
            let request = conflist::plugin_request(list, i, prev.as_ref(), caps);
            match self.exec(ty, "ADD", at, &request) {
                Ok(Ok(out)) => prev = out,
                // it ran and failed: it may have done part of its work
                Ok(Err(e)) => {
                    return Err(FailedAdd {
                        error: plugin_error(&list.name, ty, "ADD", &e),
                        ran: i + 1,
                        result: prev,
                    });
                }
                // it never ran (not installed, could not be started)
                Err(e) => {
                    return Err(FailedAdd {
                        error: e,
                        ran: i,
                        result: prev,
                    });
                }
            }
        }
        Ok(prev)
    }

    /// Undoes an ADD (a failed one, or a recorded attachment): a DEL of
    /// every plugin that ran, the last first, going on past failures.
    /// Returns each failure.
    fn roll_back(
        &self,
        list: &NetConfList,
        ran: usize,
        at: &Params<'_>,
        caps: &Map<String, Value>,
        result: Option<&Value>,
    ) -> Vec<String> {
        let mut failures = Vec::new();
        for i in (0..ran.min(list.plugins.len())).rev() {
            self.announce(list, "DEL", i);
            let ty = list.plugin_type(i);
            let request = conflist::plugin_request(list, i, result, caps);
            match self.exec(ty, "DEL", at, &request) {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => failures.push(plugin_error(&list.name, ty, "DEL", &e).to_string()),
                Err(e) => failures.push(format!("plugin {ty} DEL: {e}")),
            }
        }
        failures
    }

    /// All cache entries, with warnings for unreadable ones.
    pub fn cached(&self) -> (Vec<Cached>, Vec<String>) {
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        for (path, data) in cni_cache_store::read_all(&self.cfg.cache_dir) {
            match data
                .map_err(|e| e.to_string())
                .and_then(|b| CacheEntry::parse(&b))
            {
                Ok(entry) => out.push(Cached { path, entry }),
                Err(e) => warnings.push(format!("{}: {e}", path.display())),
            }
        }
        (out, warnings)
    }

    pub(super) fn sandbox_state(
        netns: Option<&str>,
        procs: &HashMap<i32, (u64, String)>,
    ) -> (SandboxState, Option<i32>) {
        let Some(p) = netns.filter(|p| netns_create::is_nsfs(Path::new(p))) else {
            return (SandboxState::NetnsGone, None);
        };
        let Ok(md) = std::fs::metadata(p) else {
            return (SandboxState::NetnsGone, None);
        };
        let mut inside: Vec<(i32, &str)> = procs
            .iter()
            .filter(|(_, (ino, _))| *ino == md.ino())
            .map(|(pid, (_, c))| (*pid, c.as_str()))
            .collect();
        inside.sort();
        if inside.is_empty() {
            return (SandboxState::NoProcess, None);
        }
        let pause = inside
            .iter()
            .find(|(_, c)| *c == "pause")
            .or(inside.first())
            .map(|(p, _)| *p);
        (SandboxState::Ok, pause)
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
        let procs = sandbox::processes();
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
                cni_cache_store::results_dir(&self.cfg.cache_dir).display()
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
                let procs = sandbox::processes();
                Ok(Runtime::info(&Cached { path, entry }, &procs))
            }
            Err(e) => {
                self.stop_sandbox(&sb, true);
                Err(e)
            }
        }
    }

    /// A pod has one sandbox: a second ADD of it is refused, with what to do.
    fn refuse_a_second_sandbox(&self, full: &str) -> Result<()> {
        let (cached, _) = self.cached();
        let Some(c) = cached
            .iter()
            .find(|c| c.entry.pod().as_deref() == Some(full))
        else {
            return Ok(());
        };
        let procs = sandbox::processes();
        let state = Runtime::sandbox_state(c.entry.netns_path().as_deref(), &procs).0;
        Err(Error::with_hint(
            format!(
                "pod {full} already has a sandbox ({}, {})",
                short(&c.entry.container_id),
                state.as_str()
            ),
            if state == SandboxState::Ok {
                format!("podnet cni del {full} first")
            } else {
                format!(
                    "its sandbox is gone (an earlier ADD that was not fully undone?): podnet cni del {full}, or podnet cni gc"
                )
            },
        ))
    }

    /// A new sandbox: a `cni-<uuid>` netns bind mount with lo up and a
    /// pause process in it (undone on failure).
    fn start_sandbox(&self) -> Result<Sandbox> {
        let name = format!(
            "cni-{}",
            random::uuid().map_err(|e| Error::io("random", e))?
        );
        self.say(format!(
            "ip netns add {name}    # unshare a netns, bind-mount it on {}",
            self.cfg.netns_dir.join(&name).display()
        ));
        let path = netns_create::create(&self.cfg.netns_dir, &name)
            .map_err(|e| Error::io(format!("create netns {name}"), e))?;
        let mut sb = Sandbox {
            name,
            path,
            pause: None,
        };
        // lo up, as a runtime does before the pod network
        self.say(format!("ip -n {} link set lo up", sb.name));
        let lo = File::open(&sb.path)
            .and_then(|f| NetnsWorker::spawn(Some(&f)))
            .and_then(|w| w.set_up("lo"));
        if let Err(e) = lo {
            self.stop_sandbox(&sb, false);
            return Err(Error::io(format!("bring lo up in {}", sb.name), e));
        }
        self.say(format!(
            "{} pause --netns {} &",
            self.cfg.podnet_exe.display(),
            sb.path.display()
        ));
        match sandbox::start_pause(&self.cfg.podnet_exe, &sb.path) {
            Ok(p) => sb.pause = Some(p),
            Err(e) => {
                self.stop_sandbox(&sb, false);
                return Err(Error::io("start the pause process", e));
            }
        }
        Ok(sb)
    }

    /// Stops a sandbox's pause process (when `kill`) and removes its netns.
    fn stop_sandbox(&self, sb: &Sandbox, kill: bool) {
        if let Some(pid) = sb.pause.filter(|_| kill) {
            self.say(format!("kill {pid}    # the pause process"));
            let _ = sandbox::stop(pid, Duration::from_secs(2));
        }
        self.say(format!("ip netns del {}", sb.name));
        let _ = netns_create::delete(&sb.path);
    }

    /// ADDs the attachment `entry` describes through the chain and caches
    /// its result; a failure is rolled back (and what could not be undone
    /// recorded in the cache).
    fn plumb(
        &self,
        list: &NetConfList,
        full: &str,
        mut entry: CacheEntry,
    ) -> Result<(PathBuf, CacheEntry)> {
        let netns = entry.netns.clone().unwrap_or_default();
        let args = entry.cni_args_string();
        let params = Params {
            container_id: &entry.container_id,
            netns: &netns,
            ifname: &entry.if_name,
            args: &args,
        };
        let caps = &entry.capability_args;
        let result = match self.add_chain(list, &params, caps) {
            Ok(r) => r,
            Err(failed) => {
                // as containerd: tear the attempt down with DEL, but of every
                // plugin that ran, past failures
                let failures =
                    self.roll_back(list, failed.ran, &params, caps, failed.result.as_ref());
                if !failures.is_empty() {
                    let left = CacheEntry {
                        config: conflist::truncated(list, failed.ran),
                        result: failed.result,
                        ..entry.clone()
                    };
                    self.keep_unfinished(full, &left, &failures);
                }
                return Err(failed.error);
            }
        };
        self.say(format!(
            "# cache the result in {}",
            cni_cache_store::results_dir(&self.cfg.cache_dir)
                .join(CacheEntry::file_name(
                    &entry.network_name,
                    &entry.container_id,
                    &entry.if_name
                ))
                .display()
        ));
        let written = CacheEntry {
            result: result.clone(),
            ..entry.clone()
        };
        match cni_cache_store::write(&self.cfg.cache_dir, &written) {
            Ok(path) => {
                entry.result = result;
                Ok((path, entry))
            }
            Err(e) => {
                let n = list.plugins.len();
                for f in self.roll_back(list, n, &params, caps, result.as_ref()) {
                    super::warn_line(&format!("undoing the ADD: {f}"));
                }
                Err(Error::io("write the CNI cache", e))
            }
        }
    }

    /// After a rollback that failed: warns of each failure and records the
    /// attachment (the plugins that ran, the result so far) in the cache,
    /// so that `cni del` or `cni gc` can finish the job later.
    fn keep_unfinished(&self, pod: &str, entry: &CacheEntry, failures: &[String]) {
        for f in failures {
            super::warn_line(&format!("undoing the failed ADD: {f}"));
        }
        match cni_cache_store::write(&self.cfg.cache_dir, entry) {
            Ok(path) => super::warn_line(&format!(
                "the failed ADD was not fully undone; {} records what is left, for `podnet cni del {pod}` or `podnet cni gc`",
                path.display()
            )),
            Err(e) => super::warn_line(&format!(
                "the failed ADD was not fully undone, and recording it failed too: {e}"
            )),
        }
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

    pub(super) fn del_attachment(&self, c: &Cached) -> Result<()> {
        let e = &c.entry;
        let list = conflist::parse(&e.config).map_err(|err| {
            other(format!(
                "{}: the cached config is unreadable: {err}",
                c.path.display()
            ))
        })?;
        let netns = e.netns_path().unwrap_or_default();
        let at = Params {
            container_id: &e.container_id,
            netns: &netns,
            ifname: &e.if_name,
            args: &e.cni_args_string(),
        };
        // every plugin's DEL runs, last first, past a failing or missing
        // one (libcni stops at the first): the cache entry stays until all
        // succeed, so a retry finishes the job
        let failures = self.roll_back(
            &list,
            list.plugins.len(),
            &at,
            &e.capability_args,
            e.result.as_ref(),
        );
        if !failures.is_empty() {
            return Err(other(format!(
                "{} (the cache entry {} is kept for a retry)",
                failures.join("; "),
                c.path.display()
            )));
        }
        self.say(format!("rm {}", c.path.display()));
        cni_cache_store::remove(&c.path).map_err(|err| Error::io("remove the cache entry", err))
    }

    /// Stops the pause processes in a sandbox netns and removes the bind
    /// mount (only under the netns dir).
    pub(super) fn remove_sandbox(&self, netns: &Path) -> Result<()> {
        if netns_create::is_nsfs(netns)
            && let Ok(md) = std::fs::metadata(netns)
        {
            for (pid, comm) in sandbox::in_netns(md.ino()) {
                if comm == "pause" {
                    self.say(format!("kill {pid}    # the pause process"));
                    sandbox::stop(pid, Duration::from_secs(2))
                        .map_err(|e| Error::io(format!("stop pause {pid}"), e))?;
                } else {
                    super::warn_line(&format!(
                        "process {pid} ({comm}) is still in {}; not killed",
                        netns.display()
                    ));
                }
            }
        }
        if netns.parent() == Some(self.cfg.netns_dir.as_path()) {
            self.say(format!(
                "ip netns del {}",
                netns
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ));
            netns_create::delete(netns)
                .map_err(|e| Error::io(format!("delete netns {}", netns.display()), e))?;
        }
        Ok(())
    }

    /// CHECKs every attachment of a sandbox.
    pub fn check(&self, atts: &[Cached]) -> Result<Vec<CheckOutcome>> {
        let procs = sandbox::processes();
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
