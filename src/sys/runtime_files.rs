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
    /// CRI-O / podman container storage (`<dir>/<id>/userdata/`): each id
    /// has its config.json in one store (the storage root) and its pidfile in
    /// another (the run root); both halves are read.
    pub containers_storage: Vec<String>,
    /// kubelet's pod log directories.
    pub pod_logs: String,
}

impl RuntimePaths {
    /// Where the runtimes keep their files on a node, with `lab_roots`.
    pub fn on_node(lab_roots: Vec<String>) -> Self {
        RuntimePaths {
            cni_results: vec!["/var/lib/cni/results".into()],
            lab_roots,
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
    push_storage_bundles(root, &paths.containers_storage, &mut out);
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

/// CRI-O and podman keep two stores per container id: its config.json under
/// the storage root (`/var/lib/containers/storage/overlay-containers/<id>/userdata/`),
/// its pidfile under the run root (`/run/containers/storage/…`). Every id
/// listed in any store is one bundle, whose config.json and pidfile come
/// from the first store that has each.
fn push_storage_bundles(root: &HostRoot, stores: &[String], out: &mut RuntimeFiles) {
    let mut userdata_of: Vec<(String, Vec<String>)> = Vec::new();
    let mut index_of: std::collections::HashMap<String, usize> = Default::default();
    for dir in stores {
        for id in listed(root, dir, &mut out.errors) {
            let userdata = child(&child(dir, &id), "userdata");
            match index_of.get(&id) {
                Some(&i) => userdata_of[i].1.push(userdata),
                None => {
                    index_of.insert(id.clone(), userdata_of.len());
                    userdata_of.push((id, vec![userdata]));
                }
            }
        }
    }
    for (id, dirs) in userdata_of {
        let config = dirs.iter().find_map(|dir| {
            let path = child(dir, "config.json");
            let data = read_json(root, out, &path);
            // absent here: not a bundle, or the other store has it
            (!matches!(&data, Err(e) if super::is_vanished(e))).then_some(ReadFile { path, data })
        });
        let Some(config) = config else { continue };
        let pid_file = dirs.iter().find_map(|dir| {
            files::read_to_string(root, child(dir, "pidfile"), PID_FILE_BYTES).ok()
        });
        out.bundles.push(OciBundle {
            id,
            store: BundleStore::ContainersStorage,
            config,
            pid_file,
        });
    }
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

    /// Writes `body` at host path `rel` under the fixture root `root`.
    fn write_under(root: &std::path::Path, rel: &str, body: &str) {
        let p = root.join(rel.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }

    #[test]
    fn lab_result_caches_are_read_with_the_runtimes() {
        let t = tempfile::tempdir().unwrap();
        let root = HostRoot::new(t.path());
        let mk = |rel: &str, body: &str| write_under(t.path(), rel, body);
        mk("/var/lib/cni/results/net-a-eth0", "{}");
        mk("/run/podnet/lab/lab/cni/results/podnet-lab-b-eth0", "{}");
        mk("/run/podnet/lab/other/cni/results/podnet-lab-c-eth0", "{}");
        std::fs::create_dir_all(t.path().join("run/podnet/lab/empty")).unwrap();
        let f = read_all(
            &root,
            &RuntimePaths::on_node(vec!["/run/podnet/lab".into()]),
        );
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

    #[test]
    fn a_storage_container_is_read_from_both_stores() {
        // podman and CRI-O: config.json in the storage root, pidfile in the run root
        let t = tempfile::tempdir().unwrap();
        let root = HostRoot::new(t.path());
        let mk = |rel: &str, body: &str| write_under(t.path(), rel, body);
        let var = "/var/lib/containers/storage/overlay-containers";
        let run = "/run/containers/storage/overlay-containers";
        mk(&format!("{var}/infra1/userdata/config.json"), "{\"a\":1}");
        mk(&format!("{run}/infra1/userdata/pidfile"), "158");
        mk(&format!("{run}/infra1/userdata/conmon.pid"), "147");
        // a container whose run-root half is gone (stopped): its config, no pid
        mk(&format!("{var}/stopped/userdata/config.json"), "{}");
        // both halves in one store (as older fixtures and some setups have them)
        mk(&format!("{run}/both/userdata/config.json"), "{\"b\":2}");
        mk(&format!("{run}/both/userdata/pidfile"), "77");
        mk(&format!("{var}/containers.json"), "[]");
        let f = read_all(
            &root,
            &RuntimePaths::on_node(vec!["/run/podnet/lab".into()]),
        );
        let mut got: Vec<(&str, &str, Option<&str>)> = f
            .bundles
            .iter()
            .map(|b| (b.id.as_str(), b.config.path.as_str(), b.pid_file.as_deref()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                (
                    "both",
                    &*format!("{run}/both/userdata/config.json"),
                    Some("77")
                ),
                (
                    "infra1",
                    &*format!("{var}/infra1/userdata/config.json"),
                    Some("158")
                ),
                (
                    "stopped",
                    &*format!("{var}/stopped/userdata/config.json"),
                    None
                ),
            ]
        );
        let infra = f.bundles.iter().find(|b| b.id == "infra1").unwrap();
        assert_eq!(infra.config.data.as_deref().ok(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(infra.store, BundleStore::ContainersStorage);
    }
}
