//! Scans /proc under the host root: every process's netns link and stat
//! line, and (for --deep) the namespace files held by open descriptors.
//! File I/O only; parsing is in `discover::proc_stat`.

use std::io;
use std::os::unix::fs::MetadataExt;

use super::root::HostRoot;
use super::{is_denied, is_vanished};

/// One process as read from /proc, unparsed.
#[derive(Debug, Clone)]
pub struct RawProcess {
    pub pid: i32,
    /// Target of `/proc/<pid>/ns/net`, e.g. `net:[4026531840]`.
    pub netns_link: String,
    /// Contents of `/proc/<pid>/stat`.
    pub stat: String,
}

/// The result of one /proc scan; processes that vanished or could not be
/// read are counted, never fatal.
#[derive(Debug, Default)]
pub struct ProcScan {
    pub processes: Vec<RawProcess>,
    /// Processes that exited between readdir and read.
    pub vanished: usize,
    /// Processes whose files this process may not read.
    pub denied: Vec<i32>,
    /// Other per-process read failures, worded.
    pub errors: Vec<String>,
}

/// Reads `ns/net` and `stat` of every process under `<root>/proc`.
/// Fails only when /proc itself cannot be listed.
pub fn scan(root: &HostRoot) -> io::Result<ProcScan> {
    let proc_dir = root.proc();
    let mut out = ProcScan::default();
    let pids: Vec<i32> = std::fs::read_dir(&proc_dir)?
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()))
        .collect();
    let workers = super::netns::default_workers();
    let read = super::parallel::map(&pids, workers, |&pid| (pid, read_one(root, pid)));
    for (pid, result) in read {
        match result {
            Ok(p) => out.processes.push(p),
            Err(e) if is_vanished(&e) => out.vanished += 1,
            // a task reaped under our feet makes its ns links answer EACCES, not ENOENT
            Err(e) if is_denied(&e) && gone(root, pid) => out.vanished += 1,
            Err(e) if is_denied(&e) => out.denied.push(pid),
            Err(e) => out.errors.push(format!("pid {pid}: {e}")),
        }
    }
    out.processes.sort_by_key(|p| p.pid);
    Ok(out)
}

/// Whether process `pid` no longer exists (its /proc directory is gone).
fn gone(root: &HostRoot, pid: i32) -> bool {
    matches!(std::fs::symlink_metadata(root.proc_file(pid, "stat")), Err(e) if is_vanished(&e))
}

fn read_one(root: &HostRoot, pid: i32) -> io::Result<RawProcess> {
    let link = std::fs::read_link(root.proc_file(pid, "ns/net"))?;
    let stat = std::fs::read_to_string(root.proc_file(pid, "stat"))?;
    Ok(RawProcess {
        pid,
        netns_link: link.to_string_lossy().into_owned(),
        stat,
    })
}

/// Reads `/proc/<pid>/<name>` as text.
pub fn read_proc_file(root: &HostRoot, pid: i32, name: &str) -> io::Result<String> {
    std::fs::read_to_string(root.proc_file(pid, name))
}

/// An open descriptor that points at a namespace file.
#[derive(Debug, Clone)]
pub struct NsFd {
    pub pid: i32,
    pub fd: String,
    /// Link target, e.g. `net:[4026532388]`.
    pub link: String,
}

/// Every descriptor of the given processes that points at a network
/// namespace: opened through `/proc/<pid>/ns/net` (the link reads
/// `net:[N]`) or through a bind mount (the link reads `/run/netns/x`, or `/`
/// once that mount is gone: then only stat and NS_GET_NSTYPE tell).
/// Unreadable or vanished processes and descriptors are skipped.
pub fn scan_netns_fds(root: &HostRoot, pids: &[i32]) -> Vec<NsFd> {
    // nsfs has one superblock: any namespace file gives its device
    let nsfs_dev = std::fs::metadata(root.proc().join("self/ns/net"))
        .ok()
        .map(|m| m.dev());
    let mut out = Vec::new();
    for &pid in pids {
        let dir = root.proc_file(pid, "fd");
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in rd.flatten() {
            let Ok(link) = std::fs::read_link(entry.path()) else {
                continue;
            };
            let link = link.to_string_lossy();
            let link = if link.starts_with("net:[") {
                link.into_owned()
            } else if link.starts_with('/') && nsfs_dev.is_some() {
                match bind_mounted_netns(&entry.path(), nsfs_dev) {
                    Some(inode) => format!("net:[{inode}]"),
                    None => continue,
                }
            } else {
                continue; // sockets, pipes, anon inodes, other namespace types
            };
            out.push(NsFd {
                pid,
                fd: entry.file_name().to_string_lossy().into_owned(),
                link,
            });
        }
    }
    out
}

/// The inode of the network namespace a descriptor opened through a path
/// refers to, if it is one.
fn bind_mounted_netns(fd_path: &std::path::Path, nsfs_dev: Option<u64>) -> Option<u64> {
    let md = std::fs::metadata(fd_path).ok()?; // stat follows the link without opening it
    if Some(md.dev()) != nsfs_dev {
        return None;
    }
    let f = std::fs::File::open(fd_path).ok()?;
    super::netns::is_net_namespace(&f).ok()?.then_some(md.ino())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_whose_proc_directory_is_gone_has_exited() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("proc/42")).unwrap();
        std::fs::write(dir.path().join("proc/42/stat"), "42 (pause) S 1").unwrap();
        let root = HostRoot::new(dir.path());
        assert!(!gone(&root, 42));
        assert!(gone(&root, 43));
    }
}
