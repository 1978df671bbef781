//! A real containerd on the private node, driven through its CRI API the way
//! kubelet drives it (RunPodSandbox, PodSandboxStatus, StopPodSandbox,
//! RemovePodSandbox), with a sandbox (pause) image the test builds itself.
//!
//! containerd runs with its own configuration: root and state under the
//! node's private /run tmpfs (nothing on the host's /var/lib or /opt), the
//! `native` snapshotter (works on tmpfs), the CNI bin and conf directories
//! the test names, pod cgroups under the test's own cgroup, no AppArmor
//! profile and no lowered oom_score_adj. No image is pulled: the pause
//! image is an OCI archive made from the static `catatonit` binary and
//! imported with `ctr`. The CRI client is `cri_client.py` (grpcio only,
//! messages encoded by hand).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{sh, test_cgroup};

/// Debian's Python, the one python3-grpcio is installed for (not a pyenv
/// or virtualenv `python3` that may come first in PATH).
pub const PYTHON: &str = "/usr/bin/python3";
/// The CRI client script.
pub const CRI_CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/common/cri_client.py");
/// The sandbox image containerd's CRI plugin is pointed at.
pub const SANDBOX_IMAGE: &str = "localhost/podnet-test/pause:1";
/// The static binary the pause image runs (`/pause -P`, as podman's infra does).
const PAUSE_BINARY: &str = "/usr/bin/catatonit";
/// containerd's root directory: under the node's private /run (a tmpfs),
/// so nothing is made on the host's /var/lib.
pub const CONTAINERD_ROOT: &str = "/run/podnet-test-containerd/root";
/// containerd's state directory (under the node's private /run).
pub const CONTAINERD_STATE: &str = "/run/containerd";
/// The test's files: configuration, log, image archive.
const WORK_DIR: &str = "/run/podnet-test-containerd";
/// How long containerd may take to open its socket.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A containerd process the test started; killed by its PID when dropped
/// (its shims and pods die with the node's PID namespace).
pub struct Containerd {
    child: Child,
    pub socket: String,
    log: PathBuf,
}

/// What the test asks RunPodSandbox for.
#[derive(Debug, Clone)]
pub struct SandboxSpec {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// `(container port, host port)`, TCP.
    pub ports: Vec<(u16, u16)>,
}

/// A sandbox as containerd reports it (PodSandboxStatus, verbose).
#[derive(Debug, Clone)]
pub struct SandboxStatus {
    pub id: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub ready: bool,
    /// The pod's addresses (`network.ip` and `additional_ips`).
    pub ips: Vec<String>,
    /// The pause process (`info.pid`).
    pub pid: i32,
    /// The network namespace path from the sandbox's runtime spec.
    pub netns_path: String,
}

impl Containerd {
    /// Starts containerd with CNI plugins from `cni_bin_dir` and network
    /// configurations from `/etc/cni/net.d` (the node's private one), and
    /// imports the pause image.
    pub fn start(cni_bin_dir: &str) -> Containerd {
        std::fs::create_dir_all(CONTAINERD_ROOT).expect("mkdir containerd root");
        std::fs::create_dir_all(WORK_DIR).expect("mkdir the containerd work dir");
        let config = Path::new(WORK_DIR).join("config.toml");
        std::fs::write(&config, config_toml(cni_bin_dir)).expect("write config.toml");
        let log = Path::new(WORK_DIR).join("containerd.log");
        let log_file = std::fs::File::create(&log).expect("create containerd.log");
        let child = Command::new("containerd")
            .arg("--config")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("dup the log"))
            .stderr(log_file)
            .spawn()
            .expect("spawn containerd (is the containerd package installed?)");
        let mut c = Containerd {
            child,
            socket: format!("{CONTAINERD_STATE}/containerd.sock"),
            log,
        };
        c.wait_for_socket();
        let archive = pause_image_archive(Path::new(WORK_DIR));
        let out = Command::new("ctr")
            .args(["--address", &c.socket, "-n", "k8s.io", "images", "import"])
            .args(["--snapshotter", "native"])
            .arg(&archive)
            .output()
            .expect("spawn ctr");
        if !out.status.success() {
            c.fail(&format!(
                "ctr images import failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let v = c.cri("version", "");
        assert_eq!(v["runtime_name"], "containerd", "{v}");
        c
    }

    fn wait_for_socket(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        while !Path::new(&self.socket).exists() {
            if let Ok(Some(st)) = self.child.try_wait() {
                self.fail(&format!("containerd exited: {st}"));
            }
            if Instant::now() > deadline {
                self.fail("containerd did not open its socket");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Panics with `msg` and the end of containerd's log.
    pub fn fail(&self, msg: &str) -> ! {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!("{msg}\n--- containerd log (end) ---\n{}", tail.join("\n"));
    }

    /// One CRI call through the client script; its JSON answer.
    pub fn cri(&self, method: &str, arg: &str) -> Value {
        let out = Command::new(PYTHON)
            .arg("-I") // no user site, no PYTHON* variables
            .arg(CRI_CLIENT)
            .args([&self.socket, method, arg])
            .stdin(Stdio::null())
            .output()
            .expect("spawn /usr/bin/python3 (is python3-grpcio installed?)");
        if !out.status.success() {
            self.fail(&format!(
                "CRI {method} {arg} failed: {}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            self.fail(&format!(
                "CRI {method}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            ))
        })
    }

    /// RunPodSandbox as kubelet asks for it (labels, log directory, a
    /// cgroupfs-driver pod cgroup under the test's cgroup); the sandbox id.
    pub fn run_pod(&self, spec: &SandboxSpec) -> String {
        let log_dir = format!(
            "/var/log/pods/{}_{}_{}",
            spec.namespace, spec.name, spec.uid
        );
        std::fs::create_dir_all(&log_dir).expect("mkdir the pod log dir (kubelet makes it)");
        let ports: Vec<Value> = spec
            .ports
            .iter()
            .map(|(c, h)| json!({"protocol": "TCP", "container_port": c, "host_port": h}))
            .collect();
        let config = json!({
            "name": spec.name,
            "uid": spec.uid,
            "namespace": spec.namespace,
            "attempt": 0,
            "hostname": spec.name,
            "log_directory": log_dir,
            "cgroup_parent": format!("/{}/kubepods/besteffort/pod{}", test_cgroup(), spec.uid),
            "port_mappings": ports,
            "labels": {
                "io.kubernetes.pod.name": spec.name,
                "io.kubernetes.pod.namespace": spec.namespace,
                "io.kubernetes.pod.uid": spec.uid
            },
            "annotations": {"kubernetes.io/config.source": "podnet-test"}
        });
        let id = self.cri("run", &config.to_string())["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if id.len() != 64 {
            self.fail(&format!("RunPodSandbox gave no sandbox id: {id:?}"));
        }
        id
    }

    /// PodSandboxStatus (verbose) of a sandbox.
    pub fn status(&self, id: &str) -> SandboxStatus {
        let s = self.cri("status", id);
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let netns_path = s["info"]["runtimeSpec"]["linux"]["namespaces"]
            .as_array()
            .and_then(|n| n.iter().find(|n| n["type"] == "network"))
            .map(|n| text(&n["path"]))
            .unwrap_or_default();
        let status = SandboxStatus {
            id: text(&s["id"]),
            namespace: text(&s["metadata"]["namespace"]),
            name: text(&s["metadata"]["name"]),
            uid: text(&s["metadata"]["uid"]),
            ready: s["state"] == "SANDBOX_READY",
            ips: s["ips"]
                .as_array()
                .map(|a| a.iter().map(text).collect())
                .unwrap_or_default(),
            pid: s["info"]["pid"].as_i64().unwrap_or(0) as i32,
            netns_path,
        };
        if status.pid <= 0 || status.netns_path.is_empty() {
            self.fail(&format!("PodSandboxStatus without a pid or netns: {s}"));
        }
        status
    }

    /// StopPodSandbox, then RemovePodSandbox (as kubelet does).
    pub fn stop_and_remove(&self, id: &str) {
        self.cri("stop", id);
        self.cri("remove", id);
    }

    /// The sandbox ids containerd still knows (ListPodSandbox).
    pub fn sandbox_ids(&self) -> Vec<String> {
        self.cri("list", "")["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|i| i["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        // by its PID only; the shims and pause processes die with the node
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// containerd's configuration for the private node.
fn config_toml(cni_bin_dir: &str) -> String {
    format!(
        r#"version = 2
root = "{CONTAINERD_ROOT}"
state = "{CONTAINERD_STATE}"
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.overlayfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp",
]

[grpc]
  address = "{CONTAINERD_STATE}/containerd.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "{CONTAINERD_ROOT}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{SANDBOX_IMAGE}"
  # the tests' root may not lower oom_score_adj (no CAP_SYS_RESOURCE)
  restrict_oom_score_adj = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{cni_bin_dir}"
    conf_dir = "/etc/cni/net.d"
    max_conf_num = 1
"#
    )
}

/// Builds an OCI image archive (oci-layout, index.json, blobs) whose one
/// layer holds the pause binary at /pause, entrypoint `/pause -P`, named
/// [`SANDBOX_IMAGE`] for `ctr images import`. Returns the archive's path.
pub fn pause_image_archive(work: &Path) -> PathBuf {
    let dir = work.join("pause-image");
    let blobs = dir.join("layout/blobs/sha256");
    let rootfs = dir.join("rootfs");
    std::fs::create_dir_all(&blobs).expect("mkdir blobs");
    std::fs::create_dir_all(&rootfs).expect("mkdir rootfs");
    std::fs::copy(PAUSE_BINARY, rootfs.join("pause"))
        .unwrap_or_else(|e| panic!("copy {PAUSE_BINARY} (is catatonit installed?): {e}"));
    let layer = dir.join("layer.tar");
    sh(&format!(
        "tar --numeric-owner --owner=0 --group=0 --mtime=@0 -C {} -cf {} pause",
        rootfs.display(),
        layer.display()
    ));
    let (layer_digest, layer_size) = add_blob(&blobs, &std::fs::read(&layer).expect("read layer"));
    let config = json!({
        "architecture": go_arch(),
        "os": "linux",
        "config": {"Entrypoint": ["/pause", "-P"]},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]}
    });
    let (config_digest, config_size) = add_blob(&blobs, config.to_string().as_bytes());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest, "size": layer_size}]
    });
    let (manifest_digest, manifest_size) = add_blob(&blobs, manifest.to_string().as_bytes());
    let index = json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest_size,
            "platform": {"architecture": go_arch(), "os": "linux"},
            "annotations": {"io.containerd.image.name": SANDBOX_IMAGE,
                            "org.opencontainers.image.ref.name": "1"}
        }]
    });
    let layout = dir.join("layout");
    std::fs::write(layout.join("index.json"), index.to_string()).expect("write index.json");
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("write oci-layout");
    let archive = dir.join("pause.tar");
    sh(&format!(
        "tar -C {} -cf {} oci-layout index.json blobs",
        layout.display(),
        archive.display()
    ));
    archive
}

/// Stores `bytes` as a blob named by its sha256 (`sha256sum`, coreutils);
/// returns `("sha256:<hex>", size)`.
fn add_blob(blobs: &Path, bytes: &[u8]) -> (String, usize) {
    let tmp = blobs.join("incoming");
    std::fs::write(&tmp, bytes).expect("write blob");
    let sum = sh(&format!("sha256sum {}", tmp.display()));
    let hex = sum
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(hex.len(), 64, "sha256sum said {sum:?}");
    std::fs::rename(&tmp, blobs.join(&hex)).expect("name the blob");
    (format!("sha256:{hex}"), bytes.len())
}

/// The image architecture of this machine, in Go's spelling.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}
