//! podnet as a small CNI runtime, usable as a library (by `podnet cni …`
//! and by `podnet lab`): pod sandboxes (a bind-mounted netns held by a
//! pause process), plugin chains run like libcni (ADD in order, DEL in
//! reverse with the cached result, CHECK, GC), libcni's result cache, and
//! the search for what leaked. Every location — config dir, plugin dirs,
//! cache dir, netns dir, IPAM dataDir, the node's netns — is a parameter.
//! Wiring only: decisions in `cni`, I/O in `sys`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::cni::cache::{CacheEntry, DEFAULT_CACHE_DIR};
use crate::cni::conflist::{self, NetConfList};
use crate::cni::error::CniError;
use crate::cni::ipam::{self, Attachment, DEFAULT_DATA_DIR};
use crate::cni::names;
use crate::cni::observe;
use crate::cni::version::Version;
use crate::error::{Error, Result};
use crate::sys::cni_exec::{self, DEFAULT_BIN_DIRS, PluginRun};
use crate::sys::ipam_store::Store;
use crate::sys::netns_create::{self, DEFAULT_NETNS_DIR};
use crate::sys::rtnl::NetnsWorker;
use crate::sys::{cni_cache_store, firewall, random, sandbox};

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

/// Whether a sandbox still exists.
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

/// Something `gc` found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct Leak {
    /// `cache`, `netns`, `ipam`, `veth` or `firewall`.
    pub kind: &'static str,
    pub object: String,
    pub pod: Option<String>,
    pub reason: String,
    pub removed: bool,
    pub error: Option<String>,
}

/// A CNI GC call made (or, with dry run, that would be made).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct GcCall {
    pub network: String,
    pub plugins: Vec<String>,
    pub valid_attachments: usize,
    pub error: Option<String>,
}

/// What `gc` found and did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct GcReport {
    pub dry_run: bool,
    pub leaks: Vec<Leak>,
    pub gc_calls: Vec<GcCall>,
    pub warnings: Vec<String>,
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

    fn say(&self, line: impl AsRef<str>) {
        if self.cfg.explain {
            eprintln!("+ {}", line.as_ref());
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
            let bytes = std::fs::read(as_path).map_err(|e| Error::io(format!("read {spec}"), e))?;
            return conflist::parse(&bytes).map_err(|e| other(format!("{spec}: {e}")));
        }
        let mut seen = Vec::new();
        for (path, parsed) in self.networks() {
            match parsed {
                Ok(l) if l.name == spec => return Ok(l),
                Ok(l) => seen.push(l.name),
                Err(_) => {}
            }
            let _ = path;
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

    /// Every network configuration file in the config dir, sorted by name.
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
                let parsed = std::fs::read(&p)
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
    fn exec(
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

    /// Runs the chain for one attachment; ADD returns the final result.
    fn chain(
        &self,
        list: &NetConfList,
        command: &str,
        at: &Params<'_>,
        caps: &Map<String, Value>,
        cached: Option<&Value>,
    ) -> Result<Option<Value>> {
        let n = list.plugins.len();
        let order: Vec<usize> = if command == "DEL" {
            (0..n).rev().collect()
        } else {
            (0..n).collect()
        };
        let mut prev: Option<Value> = cached.cloned();
        for i in order {
            let ty = list.plugin_type(i).to_string();
            self.say(format!(
                "# CNI {command} {ty} (plugin {} of {n} in network {})",
                i + 1,
                list.name
            ));
            if self.cfg.explain && ty != "podnet" {
                self.say(format!(
                    "#   ({ty} does not explain its steps; see its result)"
                ));
            }
            let request = conflist::plugin_request(list, i, prev.as_ref(), caps);
            match self.exec(&ty, command, at, &request)? {
                Ok(out) => {
                    if command == "ADD" {
                        prev = out;
                    }
                }
                Err(e) => return Err(plugin_error(&list.name, &ty, command, &e)),
            }
        }
        Ok(if command == "ADD" { prev } else { None })
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

    fn sandbox_state(
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
        let (cached, _) = self.cached();
        if let Some(c) = cached
            .iter()
            .find(|c| c.entry.pod().as_deref() == Some(full.as_str()))
        {
            return Err(Error::with_hint(
                format!(
                    "pod {full} already has a sandbox ({})",
                    short(&c.entry.container_id)
                ),
                format!("podnet cni del {full} first"),
            ));
        }
        let sandbox_id = random::hex(64).map_err(|e| Error::io("random", e))?;
        let uid = random::uuid().map_err(|e| Error::io("random", e))?;
        let netns_name = format!(
            "cni-{}",
            random::uuid().map_err(|e| Error::io("random", e))?
        );
        self.say(format!(
            "ip netns add {netns_name}    # unshare a netns, bind-mount it on {}",
            self.cfg.netns_dir.join(&netns_name).display()
        ));
        let netns_path = netns_create::create(&self.cfg.netns_dir, &netns_name)
            .map_err(|e| Error::io(format!("create netns {netns_name}"), e))?;
        let netns_str = netns_path.display().to_string();
        let cleanup = |pause: Option<i32>| {
            if let Some(pid) = pause {
                self.say(format!("kill {pid}    # the pause process"));
                let _ = sandbox::stop(pid, Duration::from_secs(2));
            }
            self.say(format!("ip netns del {netns_name}"));
            let _ = netns_create::delete(&netns_path);
        };
        // lo up, as a runtime does before the pod network
        self.say(format!("ip -n {netns_name} link set lo up"));
        let lo = File::open(&netns_path)
            .and_then(|f| NetnsWorker::spawn(Some(&f)))
            .and_then(|w| w.set_up("lo"));
        if let Err(e) = lo {
            cleanup(None);
            return Err(Error::io(format!("bring lo up in {netns_name}"), e));
        }
        self.say(format!(
            "{} pause --netns {netns_str} &",
            self.cfg.podnet_exe.display()
        ));
        let pause = match sandbox::start_pause(&self.cfg.podnet_exe, &netns_path) {
            Ok(p) => p,
            Err(e) => {
                cleanup(None);
                return Err(Error::io("start the pause process", e));
            }
        };
        let mut cni_args: Vec<[String; 2]> = vec![
            ["IgnoreUnknown".into(), "1".into()],
            ["K8S_POD_NAMESPACE".into(), pod.namespace.clone()],
            ["K8S_POD_NAME".into(), pod.name.clone()],
            ["K8S_POD_INFRA_CONTAINER_ID".into(), sandbox_id.clone()],
            ["K8S_POD_UID".into(), uid.clone()],
        ];
        cni_args.extend(pod.extra_args.iter().map(|(k, v)| [k.clone(), v.clone()]));
        let args = cni_args
            .iter()
            .map(|[k, v]| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";");
        let params = Params {
            container_id: &sandbox_id,
            netns: &netns_str,
            ifname: &pod.ifname,
            args: &args,
        };
        let result = match self.chain(list, "ADD", &params, &pod.capability_args, None) {
            Ok(r) => r,
            Err(e) => {
                // as containerd: tear the attempt down with DEL
                if let Err(d) = self.chain(list, "DEL", &params, &pod.capability_args, None) {
                    eprintln!("podnet: warning: DEL after the failed ADD: {d}");
                }
                cleanup(Some(pause));
                return Err(e);
            }
        };
        let entry = CacheEntry {
            kind: "cniCacheV1".into(),
            container_id: sandbox_id.clone(),
            config: list.bytes.clone(),
            if_name: pod.ifname.clone(),
            network_name: list.name.clone(),
            netns: Some(netns_str.clone()),
            cni_args,
            capability_args: pod.capability_args.clone(),
            result,
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
        let path = match cni_cache_store::write(&self.cfg.cache_dir, &entry) {
            Ok(p) => p,
            Err(e) => {
                let _ = self.chain(
                    list,
                    "DEL",
                    &params,
                    &pod.capability_args,
                    entry.result.as_ref(),
                );
                cleanup(Some(pause));
                return Err(Error::io("write the CNI cache", e));
            }
        };
        let procs = sandbox::processes();
        Ok(Runtime::info(&Cached { path, entry }, &procs))
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

    fn del_attachment(&self, c: &Cached) -> Result<()> {
        let e = &c.entry;
        let list = conflist::parse(&e.config).map_err(|err| {
            other(format!(
                "{}: the cached config is unreadable: {err}",
                c.path.display()
            ))
        })?;
        let netns = e.netns_path().unwrap_or_default();
        self.chain(
            &list,
            "DEL",
            &Params {
                container_id: &e.container_id,
                netns: &netns,
                ifname: &e.if_name,
                args: &e.cni_args_string(),
            },
            &e.capability_args,
            e.result.as_ref(),
        )?;
        self.say(format!("rm {}", c.path.display()));
        cni_cache_store::remove(&c.path).map_err(|err| Error::io("remove the cache entry", err))
    }

    /// Stops the pause processes in a sandbox netns and removes the bind
    /// mount (only under the netns dir).
    fn remove_sandbox(&self, netns: &Path) -> Result<()> {
        if netns_create::is_nsfs(netns)
            && let Ok(md) = std::fs::metadata(netns)
        {
            for (pid, comm) in sandbox::in_netns(md.ino()) {
                if comm == "pause" {
                    self.say(format!("kill {pid}    # the pause process"));
                    sandbox::stop(pid, Duration::from_secs(2))
                        .map_err(|e| Error::io(format!("stop pause {pid}"), e))?;
                } else {
                    eprintln!(
                        "podnet: warning: process {pid} ({comm}) is still in {}; not killed",
                        netns.display()
                    );
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
            } else if let Err(err) = self.chain(
                &list,
                "CHECK",
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

    /// Finds (and unless `dry_run`, removes) what leaked.
    pub fn gc(&self, dry_run: bool, min_age: Duration) -> Result<GcReport> {
        let mut report = GcReport {
            dry_run,
            leaks: Vec::new(),
            gc_calls: Vec::new(),
            warnings: Vec::new(),
        };
        let (cached, warnings) = self.cached();
        report.warnings.extend(warnings);
        let procs = sandbox::processes();

        // 1. cache entries whose sandbox is gone: DEL, remove, drop the netns
        let mut alive: Vec<&Cached> = Vec::new();
        let mut handled_netns: HashSet<PathBuf> = HashSet::new();
        for c in &cached {
            let netns = c.entry.netns_path();
            let (state, _) = Runtime::sandbox_state(netns.as_deref(), &procs);
            if state == SandboxState::Ok {
                alive.push(c);
                continue;
            }
            let mut leak = Leak {
                kind: "cache",
                object: c.path.display().to_string(),
                pod: c.entry.pod(),
                reason: match state {
                    SandboxState::NetnsGone => {
                        format!("its netns {} is gone", netns.clone().unwrap_or_default())
                    }
                    _ => format!(
                        "no process holds its netns {}",
                        netns.clone().unwrap_or_default()
                    ),
                },
                removed: false,
                error: None,
            };
            if let Some(n) = &netns {
                handled_netns.insert(PathBuf::from(n));
            }
            if !dry_run {
                let r = self.del_attachment(c).and_then(|()| match &netns {
                    Some(n) if state == SandboxState::NoProcess => {
                        self.remove_sandbox(Path::new(n))
                    }
                    _ => Ok(()),
                });
                match r {
                    Ok(()) => leak.removed = true,
                    Err(e) => leak.error = Some(e.to_string()),
                }
            }
            report.leaks.push(leak);
        }
        let alive_netns: HashSet<PathBuf> = alive
            .iter()
            .filter_map(|c| c.entry.netns_path())
            .map(PathBuf::from)
            .collect();
        let valid: Vec<Attachment> = alive
            .iter()
            .map(|c| Attachment {
                container_id: c.entry.container_id.clone(),
                ifname: c.entry.if_name.clone(),
            })
            .collect();
        let valid_keys: HashSet<String> = alive
            .iter()
            .map(|c| {
                names::attachment_key(
                    &c.entry.network_name,
                    &c.entry.container_id,
                    &c.entry.if_name,
                )
            })
            .collect();

        // 2. cni-* netns bind mounts with no process and no live attachment
        let in_use: HashSet<u64> = procs.values().map(|(ino, _)| *ino).collect();
        if let Ok(rd) = std::fs::read_dir(&self.cfg.netns_dir) {
            let mut paths: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
            paths.sort();
            for p in paths {
                let name = p
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if !name.starts_with("cni-")
                    || handled_netns.contains(&p)
                    || alive_netns.contains(&p)
                {
                    continue;
                }
                let nsfs = netns_create::is_nsfs(&p);
                let held = nsfs && std::fs::metadata(&p).is_ok_and(|m| in_use.contains(&m.ino()));
                if held {
                    continue;
                }
                let mut leak = Leak {
                    kind: "netns",
                    object: p.display().to_string(),
                    pod: None,
                    reason: if nsfs {
                        "no process is in it and no cache entry names it".into()
                    } else {
                        "a file left where a netns was mounted".into()
                    },
                    removed: false,
                    error: None,
                };
                if !dry_run {
                    self.say(format!("ip netns del {name}"));
                    match netns_create::delete(&p) {
                        Ok(_) => leak.removed = true,
                        Err(e) => leak.error = Some(e.to_string()),
                    }
                }
                report.leaks.push(leak);
            }
        }

        // 3. CNI GC for networks at 1.1.0
        let mut lists: Vec<NetConfList> = Vec::new();
        for (path, parsed) in self.networks() {
            match parsed {
                Ok(l) => lists.push(l),
                Err(e) => report.warnings.push(format!("{}: {e}", path.display())),
            }
        }
        for l in &lists {
            if l.version < Version::V1_1_0 || l.disable_gc {
                continue;
            }
            let capable = self.gc_capable(l);
            if capable.is_empty() {
                continue;
            }
            let mine: Vec<Attachment> = alive
                .iter()
                .filter(|c| c.entry.network_name == l.name)
                .map(|c| Attachment {
                    container_id: c.entry.container_id.clone(),
                    ifname: c.entry.if_name.clone(),
                })
                .collect();
            let mut call = GcCall {
                network: l.name.clone(),
                plugins: capable
                    .iter()
                    .map(|&i| l.plugin_type(i).to_string())
                    .collect(),
                valid_attachments: mine.len(),
                error: None,
            };
            if !dry_run {
                let mut errs = Vec::new();
                for &i in &capable {
                    let ty = l.plugin_type(i).to_string();
                    self.say(format!(
                        "# CNI GC {ty} (network {}, {} valid attachments)",
                        l.name,
                        mine.len()
                    ));
                    let req = conflist::gc_request(l, i, &mine);
                    match self.exec(&ty, "GC", &Params::NONE, &req) {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => errs.push(format!("{ty}: {e}")),
                        Err(e) => errs.push(format!("{ty}: {e}")),
                    }
                }
                if !errs.is_empty() {
                    call.error = Some(errs.join("; "));
                }
            }
            report.gc_calls.push(call);
        }

        // 4. IPAM reservations of no live attachment
        let mut data_dirs: BTreeSet<PathBuf> = BTreeSet::new();
        data_dirs.insert(self.cfg.data_dir.clone());
        let all_lists = lists.iter().cloned().chain(
            cached
                .iter()
                .filter_map(|c| conflist::parse(&c.entry.config).ok()),
        );
        for l in all_lists {
            for p in &l.plugins {
                if let Some(d) = p.pointer("/ipam/dataDir").and_then(Value::as_str) {
                    data_dirs.insert(PathBuf::from(d));
                }
            }
        }
        let now = SystemTime::now();
        for dd in &data_dirs {
            let Ok(rd) = std::fs::read_dir(dd) else {
                continue;
            };
            let mut nets: Vec<PathBuf> = rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect();
            nets.sort();
            for net_dir in nets {
                let store = match Store::open_existing(&net_dir) {
                    Ok(Some(s)) => s,
                    Ok(None) => continue,
                    Err(e) => {
                        report.warnings.push(format!("{}: {e}", net_dir.display()));
                        continue;
                    }
                };
                let g = match store.lock() {
                    Ok(g) => g,
                    Err(e) => {
                        report.warnings.push(e.to_string());
                        continue;
                    }
                };
                let st = match store.read_state(&g) {
                    Ok(s) => s,
                    Err(e) => {
                        report.warnings.push(e.to_string());
                        continue;
                    }
                };
                for r in ipam::stale(&st, &valid) {
                    let file = net_dir.join(r.ip.to_string());
                    let old_enough = std::fs::metadata(&file)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| now.duration_since(t).ok())
                        .is_none_or(|age| age >= min_age);
                    if !old_enough {
                        continue;
                    }
                    let mut leak = Leak {
                        kind: "ipam",
                        object: file.display().to_string(),
                        pod: None,
                        reason: format!(
                            "reserved for {}/{} which has no live sandbox",
                            short(&r.owner.container_id),
                            r.owner.ifname.as_deref().unwrap_or("?")
                        ),
                        removed: false,
                        error: None,
                    };
                    if !dry_run {
                        self.say(format!(
                            "rm {}    # under flock {}",
                            file.display(),
                            net_dir.join(ipam::LOCK_FILE).display()
                        ));
                        match store.release(&g, r.ip) {
                            Ok(_) => leak.removed = true,
                            Err(e) => leak.error = Some(e.to_string()),
                        }
                    }
                    report.leaks.push(leak);
                }
            }
        }

        // 5. podnet's host veths of no live attachment
        let node = self.node_worker()?;
        let (links, addrs, routes) = node
            .dump()
            .map_err(|e| Error::io("dump the node's links", e))?;
        let view = observe::ns_view(&links, &addrs, &routes);
        for l in view.links.iter().filter(|l| l.kind == "veth") {
            let Some((_, att)) = l.alias.as_deref().and_then(names::parse_marker) else {
                continue;
            };
            if valid_keys.contains(att) {
                continue;
            }
            let mut leak = Leak {
                kind: "veth",
                object: l.name.clone(),
                pod: None,
                reason: format!(
                    "podnet veth ({}) of no live attachment",
                    l.alias.clone().unwrap_or_default()
                ),
                removed: false,
                error: None,
            };
            if !dry_run {
                self.say(format!("ip link del {}", l.name));
                match node.delete_link(&l.name) {
                    Ok(_) => leak.removed = true,
                    Err(e) => leak.error = Some(e.to_string()),
                }
            }
            report.leaks.push(leak);
        }

        // 6. podnet's ipMasq rules of no live attachment
        match node.run(firewall::all_keys) {
            Ok(Ok(keys)) => {
                for (_, att, comment) in keys {
                    if valid_keys.contains(&att) {
                        continue;
                    }
                    let mut leak = Leak {
                        kind: "firewall",
                        object: comment.clone(),
                        pod: None,
                        reason: "ipMasq rules of no live attachment".into(),
                        removed: false,
                        error: None,
                    };
                    if !dry_run {
                        let k = vec![att.clone()];
                        match node.run(move || firewall::remove_keys(&k)) {
                            Ok(Ok(_)) => leak.removed = true,
                            Ok(Err(e)) | Err(e) => leak.error = Some(e.to_string()),
                        }
                    }
                    report.leaks.push(leak);
                }
            }
            Ok(Err(e)) | Err(e) => report
                .warnings
                .push(format!("ipMasq rules not checked: {e}")),
        }
        Ok(report)
    }
}
