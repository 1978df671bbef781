//! A fake host root on disk (`--host-root DIR`): /proc entries made of
//! symlinks and stat files, mountinfo, and runtime files, for tests that
//! need no privileges.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

/// A fixture tree under a temporary directory.
pub struct FixtureRoot {
    pub dir: tempfile::TempDir,
    mountinfo: Vec<String>,
}

impl Default for FixtureRoot {
    fn default() -> Self {
        Self::new()
    }
}

impl FixtureRoot {
    pub fn new() -> Self {
        FixtureRoot {
            dir: tempfile::tempdir().expect("tempdir"),
            mountinfo: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn arg(&self) -> String {
        self.dir.path().display().to_string()
    }

    /// A file under the root, given by its host path.
    pub fn write(&self, host_path: &str, contents: &str) -> PathBuf {
        let p = self.dir.path().join(host_path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, contents).expect("write fixture");
        p
    }

    /// A process: `/proc/<pid>/ns/net` → `net:[inode]`, a stat line and an optional cgroup file.
    pub fn process(
        &self,
        pid: i32,
        ppid: i32,
        comm: &str,
        start: u64,
        netns: u64,
        cgroup: Option<&str>,
    ) {
        let dir = format!("/proc/{pid}");
        self.write(
            &format!("{dir}/stat"),
            &format!("{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 {start} 1052672 1 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"),
        );
        let ns_dir = self.dir.path().join(format!("proc/{pid}/ns"));
        std::fs::create_dir_all(&ns_dir).expect("mkdir ns");
        symlink(format!("net:[{netns}]"), ns_dir.join("net")).expect("symlink ns/net");
        if let Some(cg) = cgroup {
            self.write(&format!("{dir}/cgroup"), cg);
        }
    }

    /// An nsfs bind mount of `inode` at `mount_point`, as mountinfo shows it.
    pub fn bind_mount(&mut self, inode: u64, mount_point: &str) {
        let id = 100 + self.mountinfo.len();
        self.mountinfo.push(format!(
            "{id} 22 0:4 net:[{inode}] {mount_point} rw shared:5 - nsfs nsfs rw"
        ));
        self.flush_mountinfo();
    }

    fn flush_mountinfo(&self) {
        let mut text = String::from("22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n");
        for l in &self.mountinfo {
            text.push_str(l);
            text.push('\n');
        }
        self.write("/proc/1/mountinfo", &text);
    }

    /// A libcni result-cache entry naming a pod.
    pub fn cni_cache(
        &self,
        network: &str,
        container_id: &str,
        netns: &str,
        pod: (&str, &str, &str),
        ip: &str,
    ) {
        let (ns, name, uid) = pod;
        let v = serde_json::json!({
            "kind": "cniCacheV1",
            "containerId": container_id,
            "config": "e30=",
            "ifName": "eth0",
            "networkName": network,
            "netns": netns,
            "cniArgs": [["IgnoreUnknown", "1"], ["K8S_POD_NAMESPACE", ns], ["K8S_POD_NAME", name],
                        ["K8S_POD_INFRA_CONTAINER_ID", container_id], ["K8S_POD_UID", uid]],
            "result": {"cniVersion": "1.0.0",
                       "interfaces": [{"name": "eth0", "mac": "aa:bb:cc:00:00:01", "sandbox": netns}],
                       "ips": [{"interface": 0, "address": ip}]}
        });
        self.write(
            &format!("/var/lib/cni/results/{network}-{container_id}-eth0"),
            &v.to_string(),
        );
    }

    /// A containerd sandbox bundle with CRI annotations and its init.pid.
    pub fn containerd_sandbox(&self, id: &str, netns: &str, pod: (&str, &str, &str), pid: i32) {
        let (ns, name, uid) = pod;
        let v = serde_json::json!({
            "ociVersion": "1.1.0",
            "process": {"args": ["/pause"]},
            "annotations": {
                "io.kubernetes.cri.container-type": "sandbox",
                "io.kubernetes.cri.sandbox-id": id,
                "io.kubernetes.cri.sandbox-name": name,
                "io.kubernetes.cri.sandbox-namespace": ns,
                "io.kubernetes.cri.sandbox-uid": uid
            },
            "linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": netns}]}
        });
        let dir = format!("/run/containerd/io.containerd.runtime.v2.task/k8s.io/{id}");
        self.write(&format!("{dir}/config.json"), &v.to_string());
        self.write(&format!("{dir}/init.pid"), &pid.to_string());
    }

    /// kubelet's log directory for a pod.
    pub fn pod_log_dir(&self, ns: &str, name: &str, uid: &str) {
        let p = self
            .dir
            .path()
            .join(format!("var/log/pods/{ns}_{name}_{uid}"));
        std::fs::create_dir_all(p).expect("mkdir pod log dir");
    }
}
