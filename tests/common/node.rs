//! Builders for a node made of namespaces: pods plumbed with iproute2, with the reference CNI plugins, or bind-mount only.
//!
//! Everything here runs on a private node (see `on_private_node`): the
//! network namespaces, veths and addresses live in namespaces the test
//! created, runtime files go to the tmpfs over /run, /var/lib/cni and
//! /var/log/pods, and every process started is a child of the test whose
//! PID is kept (it is killed by that PID only, or dies with the node).

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use super::{PODNET, sh, test_cgroup};

/// The reference CNI plugins.
pub const CNI_BIN: &str = "/usr/lib/cni";
/// The network the reference bridge pods join (also the cache file prefix).
pub const BRIDGE_NETWORK: &str = "podnet-bridge";
/// The bridge the reference plugin creates in the node's netns.
pub const BRIDGE_NAME: &str = "cni0";
/// The subnet host-local hands addresses out from.
pub const BRIDGE_SUBNET: &str = "10.88.0.0/16";
/// host-local's on-disk state, inside the private node's tmpfs.
pub const IPAM_DATA_DIR: &str = "/var/lib/cni/networks";
/// libcni's result cache.
pub const CNI_RESULTS: &str = "/var/lib/cni/results";
/// containerd's task state for the k8s.io namespace.
pub const CONTAINERD_TASKS: &str = "/run/containerd/io.containerd.runtime.v2.task/k8s.io";
/// kubelet's pod log directories.
pub const POD_LOGS: &str = "/var/log/pods";
/// An empty HOME for podnet runs, so no ~/.kube/config is found by accident.
const EMPTY_HOME: &str = "/run/podnet-test-home";

/// `n` random lowercase hex digits (from /dev/urandom).
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n.div_ceil(2)];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("read /dev/urandom");
    let mut s: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    s.truncate(n);
    s
}

/// A unique per-run name prefix, e.g. `pn3fa9c-`: short enough that a
/// prefixed name still fits an interface name (15 bytes) when kept short.
pub fn unique_prefix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    format!(
        "pn{:05x}-",
        (t ^ (u64::from(std::process::id()) << 8) ^ n.wrapping_mul(0x9e37)) & 0xfffff
    )
}

/// A random Kubernetes pod UID (8-4-4-4-12 hex).
pub fn random_uid() -> String {
    let h = random_hex(32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Who a pod is, as Kubernetes and the runtime know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodIdentity {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// The sandbox (pause container) id: 64 hex digits.
    pub sandbox_id: String,
}

impl PodIdentity {
    /// A pod with a fresh UID and sandbox id.
    pub fn new(namespace: &str, name: &str) -> Self {
        PodIdentity {
            namespace: namespace.into(),
            name: name.into(),
            uid: random_uid(),
            sandbox_id: random_hex(64),
        }
    }

    /// `namespace/name`.
    pub fn full(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// One network namespace the test made, and what holds and fills it.
#[derive(Debug)]
pub struct Pod {
    /// The name under /run/netns.
    pub netns: String,
    /// `/run/netns/<netns>`.
    pub path: String,
    /// The nsfs inode (the namespace's identity).
    pub inode: u64,
    /// The pause process holding it, if any.
    pub pause: Option<Child>,
    /// Other processes started in it (`add_process`).
    pub extra: Vec<Child>,
    /// The host side of the pod's veth, if any.
    pub host_veth: Option<String>,
    /// The pod's address on eth0 without the prefix length.
    pub ip: Option<String>,
    /// Runtime files written for it (removed by `delete`).
    pub files: Vec<PathBuf>,
}

impl Pod {
    /// The pause process's PID (in the private node's PID namespace).
    pub fn pause_pid(&self) -> Option<i32> {
        self.pause.as_ref().map(|c| c.id() as i32)
    }

    /// Every PID the test started in this namespace, pause first.
    pub fn pids(&self) -> Vec<i32> {
        self.pause
            .iter()
            .chain(self.extra.iter())
            .map(|c| c.id() as i32)
            .collect()
    }

    /// Starts another long-lived process in the namespace (`nsenter --net`,
    /// no mount namespace copy) and waits until it is inside.
    pub fn add_process(&mut self, program: &str, args: &[&str]) -> i32 {
        let child = Command::new("nsenter")
            .arg(format!("--net={}", self.path))
            .arg("--")
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nsenter");
        let pid = child.id() as i32;
        let short = Path::new(program)
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        wait_in_netns(pid, self.inode, &short);
        self.extra.push(child);
        pid
    }

    /// Removes the pod: kills the processes the test started (by PID), its
    /// host veth, its netns bind mount and its runtime files.
    pub fn delete(mut self) {
        for mut c in self.pause.take().into_iter().chain(self.extra.drain(..)) {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(v) = &self.host_veth {
            // deleting one end deletes both; the netns may already have taken it
            let _ = Command::new("ip")
                .args(["link", "del", "dev", v])
                .stderr(Stdio::null())
                .status();
        }
        sh(&format!("ip netns del {}", quote(&self.netns)));
        for f in &self.files {
            if f.is_dir() {
                let _ = std::fs::remove_dir_all(f);
            } else {
                let _ = std::fs::remove_file(f);
            }
        }
    }
}

/// `s` as one single-quoted shell word.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Sets its flag when dropped: helper threads of a `thread::scope` that
/// poll the flag stop even when the test body panics (else the scope would
/// wait for them forever).
pub struct StopOnDrop<'a>(pub &'a std::sync::atomic::AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The inode of a namespace file.
pub fn inode_of(path: &str) -> u64 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {path}: {e}"))
        .ino()
}

/// Waits until process `pid` is in netns `inode` with command `comm`.
fn wait_in_netns(pid: i32, inode: u64, comm: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let in_ns =
            std::fs::metadata(format!("/proc/{pid}/ns/net")).is_ok_and(|m| m.ino() == inode);
        let named = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|c| c.trim_end() == comm)
            .unwrap_or(false);
        if in_ns && named {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "process {pid} did not become {comm:?} in netns {inode}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Starts `podnet pause --netns <path>` (a plain setns, no `ip netns exec`)
/// and waits until it runs as `pause` inside the namespace.
pub fn start_pause(netns_path: &str) -> Child {
    let child = Command::new(PODNET)
        .args(["pause", "--netns", netns_path])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn podnet pause");
    wait_in_netns(child.id() as i32, inode_of(netns_path), "pause");
    child
}

/// `ip netns add <name>`: a namespace held by its bind mount only.
pub fn bindmount_only_netns(name: &str) -> Pod {
    sh(&format!("ip netns add {}", quote(name)));
    let path = format!("/run/netns/{name}");
    Pod {
        netns: name.into(),
        inode: inode_of(&path),
        path,
        pause: None,
        extra: Vec::new(),
        host_veth: None,
        ip: None,
        files: Vec::new(),
    }
}

/// Bind-mounts the namespace file `from` at `to` (as docker does under
/// /run/docker/netns), creating the mount point.
pub fn bind_mount_netns(from: &str, to: &str) {
    write_file(Path::new(to), b"");
    sh(&format!("mount --bind {} {}", quote(from), quote(to)));
}

/// Adds a veth pair: `host_veth` in the node's netns, its peer moved into
/// the pod as `eth0` with `cidr`; links brought up one by one (`… netns X
/// up` fails on this kernel).
pub fn plumb_veth(pod: &mut Pod, host_veth: &str, cidr: &str) {
    let ns = quote(&pod.netns);
    sh(&format!(
        "ip link add {host_veth} type veth peer name eth0 netns {ns} && \
         ip link set {host_veth} up && \
         ip -n {ns} link set eth0 up && \
         ip -n {ns} link set lo up && \
         ip -n {ns} addr add {cidr} dev eth0"
    ));
    pod.host_veth = Some(host_veth.into());
    pod.ip = cidr.split('/').next().map(str::to_string);
}

/// A pod plumbed by hand with iproute2: netns, veth (host side named
/// `host_veth`), `eth0` with `cidr`, and a pause process.
pub fn plain_pod(name: &str, host_veth: &str, cidr: &str) -> Pod {
    let mut pod = bindmount_only_netns(name);
    plumb_veth(&mut pod, host_veth, cidr);
    pod.pause = Some(start_pause(&pod.path));
    pod
}

/// The network configuration the bridge pods are plumbed with.
pub fn bridge_conf() -> Value {
    json!({
        "cniVersion": "1.0.0",
        "name": BRIDGE_NETWORK,
        "type": "bridge",
        "bridge": BRIDGE_NAME,
        "isGateway": true,
        "ipMasq": false,
        "ipam": {
            "type": "host-local",
            "ranges": [[{"subnet": BRIDGE_SUBNET}]],
            "dataDir": IPAM_DATA_DIR
        }
    })
}

/// Runs a reference CNI plugin with `command` for `id` in `netns_path` (interface `if_name`);
/// returns its stdout as JSON (panics on a non-zero exit).
pub fn run_cni_plugin(
    plugin: &str,
    command: &str,
    conf: &Value,
    id: &PodIdentity,
    netns_path: &str,
    if_name: &str,
) -> Value {
    use std::io::Write;
    let args = format!(
        "IgnoreUnknown=1;K8S_POD_NAMESPACE={};K8S_POD_NAME={};K8S_POD_INFRA_CONTAINER_ID={};K8S_POD_UID={}",
        id.namespace, id.name, id.sandbox_id, id.uid
    );
    let mut child = Command::new(Path::new(CNI_BIN).join(plugin))
        .env("CNI_COMMAND", command)
        .env("CNI_CONTAINERID", &id.sandbox_id)
        .env("CNI_NETNS", netns_path)
        .env("CNI_IFNAME", if_name)
        .env("CNI_PATH", CNI_BIN)
        .env("CNI_ARGS", args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {CNI_BIN}/{plugin}: {e}"));
    child
        .stdin
        .take()
        .expect("plugin stdin")
        .write_all(conf.to_string().as_bytes())
        .expect("write the network config");
    let out = child.wait_with_output().expect("wait for the plugin");
    assert!(
        out.status.success(),
        "{plugin} {command} failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.stdout.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(&out.stdout).expect("plugin result is JSON")
}

/// A pod plumbed by the reference bridge plugin with host-local IPAM (as
/// containerd would: netns, ADD, pause), with libcni's result cache written.
pub fn cni_bridge_pod(netns: &str, id: &PodIdentity) -> Pod {
    let mut pod = bindmount_only_netns(netns);
    let conf = bridge_conf();
    let result = run_cni_plugin("bridge", "ADD", &conf, id, &pod.path, "eth0");
    pod.pause = Some(start_pause(&pod.path));
    let ifaces = result["interfaces"].as_array().expect("result interfaces");
    pod.host_veth = ifaces
        .iter()
        .find(|i| i.get("sandbox").is_none() && i["name"] != BRIDGE_NAME)
        .and_then(|i| i["name"].as_str())
        .map(str::to_string);
    pod.ip = result["ips"][0]["address"]
        .as_str()
        .and_then(|a| a.split('/').next())
        .map(str::to_string);
    let cache = write_cni_cache(BRIDGE_NETWORK, "eth0", Some(&pod.path), id, &conf, &result);
    pod.files.push(cache);
    pod
}

/// Runs the reference loopback plugin in the pod (as containerd does before
/// the pod network) and writes its cache entry `cni-loopback-<id>-lo`.
pub fn cni_loopback(pod: &mut Pod, id: &PodIdentity) {
    let conf = json!({"cniVersion": "1.0.0", "name": "cni-loopback", "type": "loopback"});
    let result = run_cni_plugin("loopback", "ADD", &conf, id, &pod.path, "lo");
    let cache = write_cni_cache("cni-loopback", "lo", Some(&pod.path), id, &conf, &result);
    pod.files.push(cache);
}

/// Writes libcni's result cache entry the way containerd does:
/// `/var/lib/cni/results/<network>-<sandboxID>-<ifname>`. `netns` `None`
/// is an older libcni (containerd 1.6) that wrote no `netns` key.
pub fn write_cni_cache(
    network: &str,
    if_name: &str,
    netns: Option<&str>,
    id: &PodIdentity,
    conf: &Value,
    result: &Value,
) -> PathBuf {
    let mut entry = json!({
        "kind": "cniCacheV1",
        "containerId": id.sandbox_id,
        "config": base64::engine::general_purpose::STANDARD.encode(conf.to_string()),
        "ifName": if_name,
        "networkName": network,
        "cniArgs": [
            ["K8S_POD_NAMESPACE", id.namespace],
            ["K8S_POD_NAME", id.name],
            ["K8S_POD_INFRA_CONTAINER_ID", id.sandbox_id],
            ["K8S_POD_UID", id.uid]
        ],
        "capabilityArgs": {"io.kubernetes.cri.pod-annotations": {}},
        "result": result
    });
    if let Some(ns) = netns {
        entry["netns"] = json!(ns);
    }
    let path = Path::new(CNI_RESULTS).join(format!("{network}-{}-{if_name}", id.sandbox_id));
    write_file(&path, entry.to_string().as_bytes());
    path
}

/// Writes a containerd sandbox bundle:
/// `/run/containerd/io.containerd.runtime.v2.task/k8s.io/<id>/config.json`
/// with `io.kubernetes.cri.*` annotations and the network namespace path,
/// and `init.pid` when a PID is given. Returns the bundle directory.
pub fn write_containerd_bundle(id: &PodIdentity, netns_path: &str, pid: Option<i32>) -> PathBuf {
    let dir = Path::new(CONTAINERD_TASKS).join(&id.sandbox_id);
    let config = json!({
        "ociVersion": "1.1.0",
        "process": {"args": ["/pause"], "cwd": "/"},
        "root": {"path": "rootfs", "readonly": true},
        "hostname": id.name,
        "annotations": {
            "io.kubernetes.cri.container-type": "sandbox",
            "io.kubernetes.cri.sandbox-id": id.sandbox_id,
            "io.kubernetes.cri.sandbox-name": id.name,
            "io.kubernetes.cri.sandbox-namespace": id.namespace,
            "io.kubernetes.cri.sandbox-uid": id.uid,
            "io.kubernetes.cri.sandbox-log-directory":
                format!("{POD_LOGS}/{}_{}_{}", id.namespace, id.name, id.uid)
        },
        "linux": {
            "cgroupsPath": format!("kubepods-besteffort-pod{}.slice:cri-containerd:{}", id.uid.replace('-', "_"), id.sandbox_id),
            "namespaces": [
                {"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
                {"type": "network", "path": netns_path}
            ]
        }
    });
    write_file(&dir.join("config.json"), config.to_string().as_bytes());
    if let Some(pid) = pid {
        write_file(&dir.join("init.pid"), pid.to_string().as_bytes());
    }
    dir
}

/// CRI-O's and podman's container storage.
pub const CONTAINERS_STORAGE: &str = "/var/lib/containers/storage/overlay-containers";

/// Writes a CRI-O sandbox: `<storage>/<id>/userdata/config.json` with
/// `io.kubernetes.cri-o.*` and `io.kubernetes.pod.*` annotations, and the
/// `pidfile` when a PID is given. Returns the userdata directory.
pub fn write_crio_sandbox(id: &PodIdentity, netns_path: &str, pid: Option<i32>) -> PathBuf {
    let dir = Path::new(CONTAINERS_STORAGE)
        .join(&id.sandbox_id)
        .join("userdata");
    let config = json!({
        "ociVersion": "1.0.2-dev",
        "process": {"args": ["/pause"]},
        "hostname": id.name,
        "annotations": {
            "io.kubernetes.cri-o.ContainerType": "sandbox",
            "io.kubernetes.cri-o.SandboxID": id.sandbox_id,
            "io.kubernetes.cri-o.ContainerName": format!("k8s_POD_{}_{}_{}_0", id.name, id.namespace, id.uid),
            "io.kubernetes.pod.name": id.name,
            "io.kubernetes.pod.namespace": id.namespace,
            "io.kubernetes.pod.uid": id.uid
        },
        "linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": netns_path}]}
    });
    write_file(&dir.join("config.json"), config.to_string().as_bytes());
    if let Some(pid) = pid {
        write_file(&dir.join("pidfile"), pid.to_string().as_bytes());
    }
    dir
}

/// Writes a podman pod's infra container (`catatonit -P`, the pod name as
/// hostname, no Kubernetes annotations) in container storage. Returns the
/// userdata directory.
pub fn write_podman_infra(pod_name: &str, id: &str, netns_path: &str, pid: Option<i32>) -> PathBuf {
    let dir = Path::new(CONTAINERS_STORAGE).join(id).join("userdata");
    let config = json!({
        "ociVersion": "1.1.0",
        "process": {"args": ["/catatonit", "-P"]},
        "hostname": pod_name,
        "annotations": {"io.podman.annotations.autoremove": "FALSE", "io.container.manager": "libpod"},
        "linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": netns_path}]}
    });
    write_file(&dir.join("config.json"), config.to_string().as_bytes());
    if let Some(pid) = pid {
        write_file(&dir.join("pidfile"), pid.to_string().as_bytes());
    }
    dir
}

/// Where this test's cgroups go: a v2 hierarchy when the host has one
/// (mounted at /sys/fs/cgroup on v2-only hosts, at /sys/fs/cgroup/unified
/// on hybrid ones), else the v1 `pids` controller. Whichever it is, the
/// pod's `/proc/<pid>/cgroup` shows the kubepods path, which is what podnet
/// reads.
pub fn test_cgroup_base() -> PathBuf {
    const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;
    const CGROUP_SUPER_MAGIC: i64 = 0x0027_e0eb;
    let fs_type = |p: &str| {
        nix::sys::statfs::statfs(p)
            .map(|s| s.filesystem_type().0)
            .ok()
    };
    for (path, magic) in [
        ("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC),
        ("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC),
        ("/sys/fs/cgroup/pids", CGROUP_SUPER_MAGIC),
    ] {
        if fs_type(path) == Some(magic) {
            return PathBuf::from(path);
        }
    }
    panic!("no cgroup v2 hierarchy and no v1 pids controller under /sys/fs/cgroup");
}

/// How kubelet names pod cgroups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupDriver {
    /// `/kubepods[/<qos>]/pod<uid>/<container id>`
    Cgroupfs,
    /// `/kubepods.slice[/kubepods-<qos>.slice]/kubepods[-<qos>]-pod<uid_>.slice/cri-containerd-<id>.scope`
    Systemd,
}

/// Moves `pid` into a kubepods-style cgroup under this test's own cgroup
/// directory (the harness removes the directories afterwards) in a
/// hierarchy this host has (see [`test_cgroup_base`]); `qos` `None` is a
/// Guaranteed pod. Returns the directory.
pub fn put_in_kubepods_cgroup(
    pid: i32,
    driver: CgroupDriver,
    qos: Option<&str>,
    id: &PodIdentity,
) -> PathBuf {
    let mut dir = test_cgroup_base().join(test_cgroup());
    match driver {
        CgroupDriver::Cgroupfs => {
            dir.push("kubepods");
            if let Some(q) = qos {
                dir.push(q);
            }
            dir.push(format!("pod{}", id.uid));
            dir.push(&id.sandbox_id);
        }
        CgroupDriver::Systemd => {
            let uid = id.uid.replace('-', "_");
            dir.push("kubepods.slice");
            match qos {
                Some(q) => {
                    dir.push(format!("kubepods-{q}.slice"));
                    dir.push(format!("kubepods-{q}-pod{uid}.slice"));
                }
                None => dir.push(format!("kubepods-pod{uid}.slice")),
            }
            dir.push(format!("cri-containerd-{}.scope", id.sandbox_id));
        }
    }
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    std::fs::write(dir.join("cgroup.procs"), pid.to_string())
        .unwrap_or_else(|e| panic!("move {pid} into {}: {e}", dir.display()));
    dir
}

/// kubelet's `/var/log/pods/<namespace>_<name>_<uid>/` (with one container's log).
pub fn write_pod_log_dir(id: &PodIdentity) -> PathBuf {
    let dir = Path::new(POD_LOGS).join(format!("{}_{}_{}", id.namespace, id.name, id.uid));
    write_file(&dir.join("app/0.log"), b"");
    dir
}

/// Writes a file, creating its directory.
pub fn write_file(path: &Path, bytes: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    }
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// How long one podnet run may take before the test calls it hung.
pub const PODNET_TIMEOUT: Duration = Duration::from_secs(60);

/// A podnet command for the private node with no Kubernetes API
/// configuration in its environment (an empty HOME, no KUBECONFIG, no
/// in-cluster variables), stdin closed, stdout and stderr piped: for tests
/// that start podnet themselves (to signal it, or to watch its PID).
pub fn podnet_command(args: &[&str]) -> Command {
    std::fs::create_dir_all(EMPTY_HOME).expect("mkdir the empty HOME");
    let mut cmd = Command::new(PODNET);
    cmd.args(args)
        .env("HOME", EMPTY_HOME)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .env_remove("NODE_NAME")
        .env_remove("PODNET_HOST_ROOT")
        .env_remove("PODNET_OUTPUT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs podnet on the private node with no Kubernetes API configuration
/// in its environment (an empty HOME, no KUBECONFIG, no in-cluster
/// variables), so only what the arguments name is used. A run that takes
/// longer than [`PODNET_TIMEOUT`] is killed (by its PID) and fails the test.
pub fn podnet_on_node(args: &[&str]) -> Output {
    let child = podnet_command(args).spawn().expect("spawn podnet");
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(PODNET_TIMEOUT) {
        Ok(out) => out.expect("wait for podnet"),
        Err(_) => {
            // not reaped yet (the waiting thread owns it), so the PID is still ours
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            panic!("podnet {args:?} hung for more than {PODNET_TIMEOUT:?}");
        }
    }
}

/// `podnet_on_node`, asserting exit 0 and no panic; stdout parsed as JSON.
pub fn podnet_on_node_json(args: &[&str]) -> Value {
    let out = podnet_on_node(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "podnet {args:?} panicked:\n{stderr}"
    );
    assert!(
        out.status.success(),
        "podnet {args:?} failed: {}\n{stderr}",
        out.status
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "podnet {args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `podnet ns list -o json` on the private node.
pub fn ns_list(extra: &[&str]) -> Value {
    let mut args = vec!["ns", "list", "-o", "json"];
    args.extend_from_slice(extra);
    podnet_on_node_json(&args)
}

/// The entry of `ns list` JSON for a namespace inode.
pub fn entry(list: &Value, inode: u64) -> Option<&Value> {
    list["namespaces"]
        .as_array()?
        .iter()
        .find(|n| n["inode"].as_u64() == Some(inode))
}

/// The warnings of `ns list` JSON.
pub fn warnings(list: &Value) -> Vec<String> {
    list["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

// ------------------------------------------------- veth topologies and traffic

/// A host veth name in the style of a CNI plugin, chosen by `i`: Calico's
/// `cali` + 11 hex, the bridge/ptp plugins' `veth` + 8 hex, Cilium's `lxc`
/// + 12 hex, or an arbitrary `<prefix>h<i>`. Names stay unique for distinct `i`.
pub fn cni_style_veth_name(i: usize, prefix: &str) -> String {
    let tag = format!("{i:05x}");
    match i % 4 {
        0 => format!("cali{}{tag}", random_hex(6)),
        1 => format!("veth{}{tag}", random_hex(3)),
        2 => format!("lxc{}{tag}", random_hex(7)),
        _ => format!("{prefix}h{i}"),
    }
}

/// Creates a bridge in the private node's netns and brings it up.
pub fn add_bridge(name: &str) {
    sh(&format!(
        "ip link add {name} type bridge && ip link set {name} up"
    ));
}

/// Starts a process that holds the namespace at `path` open only through a
/// descriptor (its stdin), as a leaked runtime or a debugger would.
pub fn hold_by_fd(path: &str) -> Child {
    Command::new("sleep")
        .arg("600")
        .stdin(std::fs::File::open(path).unwrap_or_else(|e| panic!("open {path}: {e}")))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the descriptor holder")
}

/// Runs `program args…` inside the namespace at `netns_path` (`nsenter
/// --net`, no mount namespace copy); panics when it fails, returns stdout.
pub fn in_netns(netns_path: &str, program: &str, args: &[&str]) -> String {
    let out = Command::new("nsenter")
        .arg(format!("--net={netns_path}"))
        .arg("--")
        .arg(program)
        .args(args)
        .output()
        .expect("spawn nsenter");
    assert!(
        out.status.success(),
        "{program} {args:?} in {netns_path} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A lab "node" as `podnet lab` builds one: a netns (no pause process)
/// holding a bridge `bridge` that its pods' veths are ports of, and, when
/// `uplink` is given, a veth to the private node's netns (`uplink` there,
/// `eth0` inside).
pub fn lab_node(name: &str, bridge: &str, uplink: Option<&str>) -> Pod {
    let node = bindmount_only_netns(name);
    let ns = quote(&node.netns);
    sh(&format!(
        "ip -n {ns} link set lo up && ip -n {ns} link add {bridge} type bridge && \
         ip -n {ns} link set {bridge} up"
    ));
    if let Some(up) = uplink {
        sh(&format!(
            "ip link add {up} type veth peer name eth0 netns {ns} && ip link set {up} up && \
             ip -n {ns} link set eth0 up"
        ));
    }
    node
}

/// A pod of a lab node: its `eth0` has its peer `node_veth` in `node`'s
/// netns, a port of `bridge` there; a pause process holds it.
pub fn lab_pod(node: &Pod, name: &str, node_veth: &str, bridge: &str, cidr: &str) -> Pod {
    let mut pod = bindmount_only_netns(name);
    let (n, p) = (quote(&node.netns), quote(&pod.netns));
    sh(&format!(
        "ip -n {n} link add {node_veth} type veth peer name eth0 netns {p} && \
         ip -n {n} link set {node_veth} master {bridge} && ip -n {n} link set {node_veth} up && \
         ip -n {p} link set lo up && ip -n {p} link set eth0 up && ip -n {p} addr add {cidr} dev eth0"
    ));
    pod.host_veth = Some(node_veth.into());
    pod.ip = cidr.split('/').next().map(str::to_string);
    pod.pause = Some(start_pause(&pod.path));
    pod
}

/// Makes the veth driver count packets that `from` sends to `to` in its
/// `ethtool -S` counters: the sender stops segmenting (no TSO/GSO) and the
/// receiver turns GRO on, which moves it to NAPI (rx_queue_0_xdp_packets…).
/// Each side is an interface name and the netns path it is in (`None`: the node's).
pub fn count_in_ethtool(from: (&str, Option<&str>), to: (&str, Option<&str>)) {
    let ethtool = |(ifname, ns): (&str, Option<&str>), args: &[&str]| {
        let mut all = vec!["-K", ifname];
        all.extend_from_slice(args);
        match ns {
            Some(path) => {
                in_netns(path, "ethtool", &all);
            }
            None => {
                sh(&format!("ethtool {}", all.join(" ")));
            }
        }
    };
    ethtool(from, &["tso", "off", "gso", "off"]);
    ethtool(to, &["gro", "on"]);
}

/// Starts `ping` inside `pod` (its PID is kept in `pod.extra`), e.g. a
/// flood to another pod of the private node: `&["-q", "-i", "0.01", ip]`.
pub fn start_ping(pod: &mut Pod, args: &[&str]) -> i32 {
    pod.add_process("ping", args)
}

/// A light pause binary for many pods: `sleep` run through a link named
/// `pause` (so its command is `pause`, like the real 700 KB pause binary),
/// on the private node's tmpfs. Starting it costs far less than `podnet pause`.
pub const LIGHT_PAUSE: &str = "/run/podnet-test-bin/pause";

/// Builds `n` pods as fast as this machine allows, with no process per
/// pod besides its pause: worker threads each `unshare(CLONE_NEWNET)` into
/// a fresh netns, bind-mount it at `/run/netns/<prefix>f<i>`, and plumb it
/// over rtnetlink from inside (veth `eth0` with its peer `host_veth(i)`
/// created directly in the private node's netns, lo and eth0 up, the
/// address `cidr(i)`); the host side is brought up over a socket opened in
/// the node's netns. Each pod gets a pause process ([`LIGHT_PAUSE`]). The
/// caller's thread never changes namespace. Pods come back in index order.
pub fn fast_pods(
    prefix: &str,
    n: usize,
    host_veth: &(dyn Fn(usize) -> String + Sync),
    cidr: &(dyn Fn(usize) -> String + Sync),
) -> Vec<Pod> {
    use std::os::fd::AsRawFd;
    if !Path::new(LIGHT_PAUSE).exists() {
        let dir = Path::new(LIGHT_PAUSE).parent().expect("a directory");
        std::fs::create_dir_all(dir).expect("mkdir for the light pause");
        std::os::unix::fs::symlink("/bin/sleep", LIGHT_PAUSE).expect("link the light pause");
    }
    let host_ns = std::fs::File::open("/proc/thread-self/ns/net").expect("open the node's netns");
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(2)
        .clamp(1, 8);
    let mut made: Vec<(usize, Pod)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut host = Rtnl::new(); // opened before this thread leaves the node
                    let mut made = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        let pod = fast_pod(
                            &format!("{prefix}f{i}"),
                            &host_veth(i),
                            &cidr(i),
                            host_ns.as_raw_fd(),
                            &mut host,
                        );
                        made.push((i, pod));
                    }
                    made
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a pod-building worker panicked"))
            .collect()
    });
    made.sort_by_key(|(i, _)| *i);
    let pods: Vec<Pod> = made.into_iter().map(|(_, p)| p).collect();
    for pod in &pods {
        wait_in_netns(
            pod.pause_pid().expect("a pause process"),
            pod.inode,
            "pause",
        );
    }
    pods
}

/// One pod of [`fast_pods`], on the calling (worker) thread, which it
/// leaves in the pod's netns.
fn fast_pod(name: &str, host_veth: &str, cidr: &str, host_ns_fd: i32, host: &mut Rtnl) -> Pod {
    use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
    use netlink_packet_route::RouteNetlinkMessage;
    use netlink_packet_route::link::{
        InfoData, InfoKind, InfoVeth, LinkAttribute, LinkInfo, LinkMessage,
    };

    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
        .unwrap_or_else(|e| panic!("unshare a netns for {name}: {e}"));
    let path = format!("/run/netns/{name}");
    write_file(Path::new(&path), b"");
    nix::mount::mount(
        Some("/proc/thread-self/ns/net"),
        path.as_str(),
        None::<&str>,
        nix::mount::MsFlags::MS_BIND,
        None::<&str>,
    )
    .unwrap_or_else(|e| panic!("bind-mount the netns at {path}: {e}"));
    let mut pod = Rtnl::new();
    let mut peer = LinkMessage::default();
    peer.attributes
        .push(LinkAttribute::IfName(host_veth.into()));
    peer.attributes.push(LinkAttribute::NetNsFd(host_ns_fd));
    let mut veth = LinkMessage::default();
    veth.attributes.push(LinkAttribute::IfName("eth0".into()));
    veth.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Veth),
        LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
    ]));
    pod.request(
        RouteNetlinkMessage::NewLink(veth),
        NLM_F_CREATE | NLM_F_EXCL,
        &format!("{name}: add veth eth0 / {host_veth}"),
    );
    pod.set_up("lo");
    pod.set_up("eth0");
    let eth0 = pod.index_of("eth0");
    pod.add_ipv4(eth0, cidr);
    host.set_up(host_veth);
    // started by this thread, so it starts in the pod's netns
    let pause = Command::new(LIGHT_PAUSE)
        .arg("infinity")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn a pause process");
    Pod {
        netns: name.into(),
        inode: inode_of(&path),
        path,
        pause: Some(pause),
        extra: Vec::new(),
        host_veth: Some(host_veth.into()),
        ip: cidr.split('/').next().map(str::to_string),
        files: Vec::new(),
    }
}

/// A minimal synchronous rtnetlink client for building fixtures, bound to
/// the netns of the thread that opened it (independent of podnet's own).
struct Rtnl {
    sock: netlink_sys::Socket,
    seq: u32,
    buf: Vec<u8>,
}

impl Rtnl {
    fn new() -> Rtnl {
        let mut sock = netlink_sys::Socket::new(netlink_sys::protocols::NETLINK_ROUTE)
            .expect("netlink socket");
        sock.bind_auto().expect("bind the netlink socket");
        sock.connect(&netlink_sys::SocketAddr::new(0, 0))
            .expect("connect the netlink socket");
        Rtnl {
            sock,
            seq: 0,
            buf: Vec::with_capacity(64 * 1024),
        }
    }

    /// Sends one request with an ACK asked for; returns the replies before
    /// the ACK, panics with `what` on an error.
    fn request(
        &mut self,
        msg: netlink_packet_route::RouteNetlinkMessage,
        flags: u16,
        what: &str,
    ) -> Vec<netlink_packet_route::RouteNetlinkMessage> {
        use netlink_packet_core::{
            NLM_F_ACK, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
        };
        self.seq += 1;
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        header.sequence_number = self.seq;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::from(msg));
        packet.finalize();
        let mut out = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut out);
        self.sock
            .send(&out, 0)
            .unwrap_or_else(|e| panic!("{what}: send: {e}"));
        let mut replies = Vec::new();
        loop {
            self.buf.clear();
            self.sock
                .recv(&mut self.buf, 0)
                .unwrap_or_else(|e| panic!("{what}: recv: {e}"));
            let mut offset = 0;
            while offset < self.buf.len() {
                let reply =
                    NetlinkMessage::<netlink_packet_route::RouteNetlinkMessage>::deserialize(
                        &self.buf[offset..],
                    )
                    .unwrap_or_else(|e| panic!("{what}: bad reply: {e}"));
                offset += (reply.header.length as usize + 3) & !3;
                if reply.header.sequence_number != self.seq {
                    continue;
                }
                match reply.payload {
                    NetlinkPayload::Error(e) => {
                        assert!(e.code.is_none(), "{what}: {}", e.to_io());
                        return replies;
                    }
                    NetlinkPayload::InnerMessage(m) => replies.push(m),
                    _ => {}
                }
            }
        }
    }

    /// `ip link set <name> up`.
    fn set_up(&mut self, ifname: &str) {
        use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
        let mut m = LinkMessage::default();
        m.header.flags = LinkFlags::Up;
        m.header.change_mask = LinkFlags::Up;
        m.attributes.push(LinkAttribute::IfName(ifname.into()));
        self.request(
            netlink_packet_route::RouteNetlinkMessage::SetLink(m),
            0,
            &format!("set {ifname} up"),
        );
    }

    /// The ifindex of the link named `ifname` (RTM_GETLINK by name).
    fn index_of(&mut self, ifname: &str) -> u32 {
        use netlink_packet_route::RouteNetlinkMessage;
        use netlink_packet_route::link::{LinkAttribute, LinkMessage};
        let mut m = LinkMessage::default();
        m.attributes.push(LinkAttribute::IfName(ifname.into()));
        self.request(RouteNetlinkMessage::GetLink(m), 0, &format!("get {ifname}"))
            .into_iter()
            .find_map(|r| match r {
                RouteNetlinkMessage::NewLink(l) => Some(l.header.index),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no link {ifname}"))
    }

    /// `ip addr add <cidr> dev <index>` (IPv4).
    fn add_ipv4(&mut self, index: u32, cidr: &str) {
        use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
        use netlink_packet_route::address::{AddressAttribute, AddressMessage};
        use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
        let (ip, len) = cidr.split_once('/').expect("a CIDR");
        let ip: std::net::IpAddr = ip.parse().expect("an IP address");
        let mut m = AddressMessage::default();
        m.header.family = AddressFamily::Inet;
        m.header.prefix_len = len.parse().expect("a prefix length");
        m.header.index = index;
        m.attributes.push(AddressAttribute::Local(ip));
        m.attributes.push(AddressAttribute::Address(ip));
        self.request(
            RouteNetlinkMessage::NewAddress(m),
            NLM_F_CREATE | NLM_F_EXCL,
            &format!("add {cidr}"),
        );
    }
}
