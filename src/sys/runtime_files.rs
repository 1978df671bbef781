//! Reads the files container runtimes and kubelet leave on a node: the CNI
//! result cache, OCI bundle config.json files, kubelet's /var/log/pods.
//! File I/O only; parsing is in `discover`.

use super::files::{self, EntryKind, ReadFile, child};
use super::root::HostRoot;

/// The most podnet reads of one CNI result-cache file or OCI config.json
/// (a few KB on a real node).
pub const RUNTIME_JSON_BYTES: u64 = 4 << 20;
/// The most podnet reads of a pid file (`init.pid`, `pidfile`).
pub const PID_FILE_BYTES: u64 = 4 << 10;
/// The most podnet reads of runtime files in one scan, all files together:
/// beyond it, files are reported unread, so memory stays bounded whatever
/// the number of files.
pub const TOTAL_BYTES: u64 = 256 << 20;

/// Where runtimes keep their state, as host paths.
#[derive(Debug, Clone)]
pub struct RuntimePaths {
    /// libcni's result cache.
    pub cni_results: Vec<String>,
    /// Directories of `podnet lab` labs: each `<dir>/<lab>/cni/results` is a result cache too.
    pub lab_roots: Vec<String>,
    /// containerd runtime v2 task state dirs (`<dir>/<namespace>/<id>/config.json`).
    pub containerd_tasks: Vec<String>,
    /// CRI-O / podman container storage (`<dir>/<id>/userdata/config.json`).
    pub containers_storage: Vec<String>,
    /// kubelet's pod log directories.
    pub pod_logs: String,
}

impl Default for RuntimePaths {
    fn default() -> Self {
        RuntimePaths {
            cni_results: vec!["/var/lib/cni/results".into()],
            lab_roots: vec![crate::lab::LAB_ROOT.into()],
            containerd_tasks: vec![
                "/run/containerd/io.containerd.runtime.v2.task".into(),
                "/run/k3s/containerd/io.containerd.runtime.v2.task".into(),
            ],
            containers_storage: vec![
                "/run/containers/storage/overlay-containers".into(),
                "/var/lib/containers/storage/overlay-containers".into(),
            ],
            pod_logs: "/var/log/pods".into(),
        }
    }
}

/// An OCI bundle's config.json and, where the runtime writes one, its init pid file.
#[derive(Debug)]
pub struct OciBundle {
    /// The container id (the bundle directory's name).
    pub id: String,
    /// `containerd`, or `storage` for CRI-O / podman container storage.
    pub store: BundleStore,
    pub config: ReadFile,
    /// Contents of `init.pid` (containerd) or `userdata/pidfile` (CRI-O, podman).
    pub pid_file: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleStore {
    Containerd,
    ContainersStorage,
}

/// Everything read, plus the directories that could not be listed.
#[derive(Debug, Default)]
pub struct RuntimeFiles {
    pub cni_cache: Vec<ReadFile>,
    pub bundles: Vec<OciBundle>,
    /// Directory names under /var/log/pods.
    pub pod_log_dirs: Vec<String>,
    pub errors: Vec<String>,
    /// Bytes read so far, against [`TOTAL_BYTES`].
    bytes_read: u64,
}

/// Reads every runtime file podnet knows; never fails as a whole.
pub fn read_all(root: &HostRoot, paths: &RuntimePaths) -> RuntimeFiles {
    let mut out = RuntimeFiles::default();
    let mut caches = paths.cni_results.clone();
    for labs in &paths.lab_roots {
        for lab in listed(root, labs, &mut out.errors) {
            caches.push(child(&child(&child(labs, &lab), "cni"), "results"));
        }
    }
    for dir in &caches {
        for name in listed(root, dir, &mut out.errors) {
            let path = child(dir, &name);
            let data = read_json(root, &mut out, &path);
            out.cni_cache.push(ReadFile { path, data });
        }
    }
    for dir in &paths.containerd_tasks {
        for ns in listed(root, dir, &mut out.errors) {
            let ns_dir = child(dir, &ns);
            for id in listed(root, &ns_dir, &mut out.errors) {
                let bundle = child(&ns_dir, &id);
                push_bundle(
                    root,
                    &mut out,
                    id,
                    BundleStore::Containerd,
                    &bundle,
                    "init.pid",
                );
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for dir in &paths.containers_storage {
        for id in listed(root, dir, &mut out.errors) {
            if !seen.insert(id.clone()) {
                continue;
            }
            let userdata = child(&child(dir, &id), "userdata");
            push_bundle(
                root,
                &mut out,
                id,
                BundleStore::ContainersStorage,
                &userdata,
                "pidfile",
            );
        }
    }
    out.pod_log_dirs = listed_dirs(root, &paths.pod_logs, &mut out.errors);
    out
}

/// Reads a runtime JSON file, within the per-file cap and what is left of the total.
fn read_json(root: &HostRoot, out: &mut RuntimeFiles, path: &str) -> std::io::Result<Vec<u8>> {
    let left = TOTAL_BYTES.saturating_sub(out.bytes_read);
    if left == 0 {
        return Err(std::io::Error::other(format!(
            "not read: {TOTAL_BYTES} bytes of runtime files were read already"
        )));
    }
    let data = files::read(root, path, RUNTIME_JSON_BYTES.min(left))?;
    out.bytes_read += data.len() as u64;
    Ok(data)
}

fn push_bundle(
    root: &HostRoot,
    out: &mut RuntimeFiles,
    id: String,
    store: BundleStore,
    dir: &str,
    pid_file: &str,
) {
    let path = child(dir, "config.json");
    let data = read_json(root, out, &path);
    if matches!(&data, Err(e) if super::is_vanished(e)) {
        return; // not a bundle, or it went away: nothing to say
    }
    let pid_file = files::read_to_string(root, child(dir, pid_file), PID_FILE_BYTES).ok();
    out.bundles.push(OciBundle {
        id,
        store,
        config: ReadFile { path, data },
        pid_file,
    });
}

fn listed(root: &HostRoot, dir: &str, errors: &mut Vec<String>) -> Vec<String> {
    listed_entries(root, dir, errors)
        .into_iter()
        .map(|e| e.name)
        .collect()
}

/// The subdirectories of `dir` (a fifo or file named like a pod's log
/// directory is not one).
fn listed_dirs(root: &HostRoot, dir: &str, errors: &mut Vec<String>) -> Vec<String> {
    listed_entries(root, dir, errors)
        .into_iter()
        .filter(|e| match e.kind {
            EntryKind::Dir => true,
            EntryKind::Symlink | EntryKind::Unknown => root.is_dir(child(dir, &e.name)),
            EntryKind::File | EntryKind::Special => false,
        })
        .map(|e| e.name)
        .collect()
}

fn listed_entries(root: &HostRoot, dir: &str, errors: &mut Vec<String>) -> Vec<files::Listed> {
    match files::list_dir(root, dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(format!("cannot list {dir}: {e}"));
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_result_caches_are_read_with_the_runtimes() {
        let t = tempfile::tempdir().unwrap();
        let root = HostRoot::new(t.path());
        let mk = |rel: &str, body: &str| {
            let p = t.path().join(rel.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        };
        mk("/var/lib/cni/results/net-a-eth0", "{}");
        mk("/run/podnet/lab/lab/cni/results/podnet-lab-b-eth0", "{}");
        mk("/run/podnet/lab/other/cni/results/podnet-lab-c-eth0", "{}");
        std::fs::create_dir_all(t.path().join("run/podnet/lab/empty")).unwrap();
        let f = read_all(&root, &RuntimePaths::default());
        let mut paths: Vec<&str> = f.cni_cache.iter().map(|r| r.path.as_str()).collect();
        paths.sort();
        assert_eq!(
            paths,
            vec![
                "/run/podnet/lab/lab/cni/results/podnet-lab-b-eth0",
                "/run/podnet/lab/other/cni/results/podnet-lab-c-eth0",
                "/var/lib/cni/results/net-a-eth0",
            ]
        );
        assert!(f.errors.is_empty(), "{:?}", f.errors);
    }
}
