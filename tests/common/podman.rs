//! Real podman pods on the private node: podman runs with the node's
//! private container storage (/var/lib/containers/storage and
//! /run/containers/storage, both tmpfs), the cgroupfs manager with pod
//! cgroups under the test's own cgroup, file events, and the network
//! backend the test names (CNI with the reference plugins, or netavark).
//! No image is pulled: the app image is imported from a busybox-static
//! root filesystem, and podman builds its own infra image from catatonit.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::{sh, test_cgroup};

/// The test's configuration files.
const WORK_DIR: &str = "/run/podnet-test-podman";
/// The image app containers run (busybox, imported).
pub const APP_IMAGE: &str = "localhost/podnet-test/busybox:1";

/// Which network backend podman uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkBackend {
    /// libcni with the reference plugins in /usr/lib/cni (podman writes libcni's result cache).
    Cni,
    /// netavark (no CNI cache: only the OCI bundle names the pod).
    Netavark,
}

impl NetworkBackend {
    fn as_str(self) -> &'static str {
        match self {
            NetworkBackend::Cni => "cni",
            NetworkBackend::Netavark => "netavark",
        }
    }
}

/// podman, configured for the private node.
pub struct Podman {
    containers_conf: String,
    storage_conf: String,
    cgroup_parent: String,
}

/// A pod as podman itself reports it.
#[derive(Debug, Clone)]
pub struct PodmanPod {
    pub name: String,
    /// The infra container's id (podnet's sandbox id).
    pub infra_id: String,
    /// The infra process (`podman inspect` State.Pid).
    pub infra_pid: i32,
    /// The pod's network namespace (`NetworkSettings.SandboxKey`).
    pub netns_path: String,
    /// The pod's addresses, from every network it is on.
    pub ips: Vec<String>,
    /// The app container's process.
    pub app_pid: i32,
}

impl Podman {
    /// Writes podman's configuration and mounts tmpfs over /dev/shm (its
    /// locks) and /var/tmp (image imports) in this private mount namespace.
    pub fn new(backend: NetworkBackend) -> Podman {
        for dir in ["/dev/shm", "/var/tmp"] {
            std::fs::create_dir_all(dir).expect("mkdir");
            sh(&format!("mount -t tmpfs -o mode=1777 podnet-test {dir}"));
        }
        let networks = format!("{WORK_DIR}/networks");
        std::fs::create_dir_all(&networks).expect("mkdir podman's network config dir");
        let containers_conf = format!("{WORK_DIR}/containers.conf");
        let storage_conf = format!("{WORK_DIR}/storage.conf");
        std::fs::write(
            &containers_conf,
            format!(
                r#"[containers]
apparmor_profile = "unconfined"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
tmp_dir = "/run/libpod"

[network]
network_backend = "{}"
network_config_dir = "{networks}"
cni_plugin_dirs = ["/usr/lib/cni"]
"#,
                backend.as_str()
            ),
        )
        .expect("write containers.conf");
        std::fs::write(
            &storage_conf,
            r#"[storage]
driver = "overlay"
graphroot = "/var/lib/containers/storage"
runroot = "/run/containers/storage"
"#,
        )
        .expect("write storage.conf");
        Podman {
            containers_conf,
            storage_conf,
            cgroup_parent: format!("/{}/podman", test_cgroup()),
        }
    }

    /// Runs `podman args…`; panics with its output when it fails; stdout.
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("podman")
            .args(args)
            .env("CONTAINERS_CONF", &self.containers_conf)
            .env("CONTAINERS_STORAGE_CONF", &self.storage_conf)
            .env_remove("CONTAINER_HOST")
            .env_remove("XDG_RUNTIME_DIR")
            .output()
            .expect("spawn podman (is the podman package installed?)");
        assert!(
            out.status.success(),
            "podman {args:?} failed: {}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `podman args…` parsed as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        let text = self.run(args);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("podman {args:?}: {e}: {text}"))
    }

    /// Imports a busybox-static root filesystem as [`APP_IMAGE`].
    pub fn import_app_image(&self) {
        let rootfs = Path::new(WORK_DIR).join("rootfs");
        std::fs::create_dir_all(rootfs.join("bin")).expect("mkdir rootfs/bin");
        std::fs::copy("/usr/bin/busybox", rootfs.join("bin/busybox"))
            .expect("copy busybox (is busybox-static installed?)");
        for applet in ["sh", "sleep"] {
            std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet))
                .expect("link an applet");
        }
        let tar = Path::new(WORK_DIR).join("rootfs.tar");
        sh(&format!(
            "tar --numeric-owner --owner=0 --group=0 -C {} -cf {} .",
            rootfs.display(),
            tar.display()
        ));
        self.run(&["import", &tar.to_string_lossy(), APP_IMAGE]);
    }

    /// `podman pod create` (infra container, the default network), one app
    /// container in it, and what podman reports about both.
    pub fn pod_with_app(&self, name: &str) -> PodmanPod {
        self.run(&[
            "pod",
            "create",
            "--name",
            name,
            "--cgroup-parent",
            &self.cgroup_parent,
        ]);
        let app = format!("{name}-app");
        self.run(&[
            "run",
            "-d",
            "--pod",
            name,
            "--name",
            &app,
            APP_IMAGE,
            "/bin/sleep",
            "3600",
        ]);
        let pod = self.json(&["pod", "inspect", name]);
        let infra_id = pod["InfraContainerID"]
            .as_str()
            .unwrap_or_else(|| panic!("pod {name} has no infra container: {pod}"))
            .to_string();
        let infra = &self.json(&["inspect", &infra_id])[0];
        let app = &self.json(&["inspect", &app])[0];
        let ips = infra["NetworkSettings"]["Networks"]
            .as_object()
            .map(|nets| {
                nets.values()
                    .filter_map(|n| n["IPAddress"].as_str())
                    .filter(|ip| !ip.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let pid = |c: &Value| c["State"]["Pid"].as_i64().unwrap_or(0) as i32;
        let p = PodmanPod {
            name: name.to_string(),
            infra_pid: pid(infra),
            app_pid: pid(app),
            netns_path: infra["NetworkSettings"]["SandboxKey"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            ips,
            infra_id,
        };
        assert!(
            p.infra_pid > 0 && p.app_pid > 0 && !p.netns_path.is_empty() && !p.ips.is_empty(),
            "podman reports an incomplete pod: {p:?}\n{infra}"
        );
        p
    }

    /// `podman pod rm -f -t 0`.
    pub fn remove_pod(&self, name: &str) {
        self.run(&["pod", "rm", "-f", "-t", "0", name]);
    }
}
