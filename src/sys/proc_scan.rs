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

/// The most podnet reads of a small per-process file (`stat`, `status`,
/// `cgroup`, `comm`): a few hundred bytes on any real node.
pub const PROC_FILE_BYTES: u64 = 64 << 10;

/// Reads `ns/net` and `stat` of every process under `<root>/proc`.
/// Fails only when /proc itself cannot be listed.
pub fn scan(root: &HostRoot) -> io::Result<ProcScan> {
    let mut out = ProcScan::default();
    let pids: Vec<i32> = root
        .read_dir("/proc")?
        .into_iter()
        .filter_map(|e| e.name.to_str().and_then(|s| s.parse::<i32>().ok()))
        .filter(|pid| *pid > 0)
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
    matches!(root.symlink_metadata(root.proc_file(pid, "stat")), Err(e) if is_vanished(&e))
}

fn read_one(root: &HostRoot, pid: i32) -> io::Result<RawProcess> {
    let link = root.read_proc_link(pid, "ns/net")?;
    let stat = read_proc_file(root, pid, "stat")?;
    Ok(RawProcess {
        pid,
        netns_link: link.to_string_lossy().into_owned(),
        stat,
    })
}

/// Reads `/proc/<pid>/<name>` as text (at most [`PROC_FILE_BYTES`]; bytes
/// that are not UTF-8, as a process may put in its own name, are replaced).
pub fn read_proc_file(root: &HostRoot, pid: i32, name: &str) -> io::Result<String> {
    let bytes = super::files::read_proc(root, pid, name, PROC_FILE_BYTES)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
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
/// once that mount is gone: then only the namespace file itself tells).
/// Unreadable or vanished processes and descriptors are skipped.
pub fn scan_netns_fds(root: &HostRoot, pids: &[i32]) -> Vec<NsFd> {
    let mut out = Vec::new();
    for &pid in pids {
        let dir = root.proc_file(pid, "fd");
        let Ok(entries) = root.read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = dir.join(&entry.name);
            let Ok(link) = root.read_link(&path) else {
                continue;
            };
            let link = link.to_string_lossy();
            let link = if link.starts_with("net:[") {
                link.into_owned()
            } else if link.starts_with('/') {
                match bind_mounted_netns(root, &path) {
                    Some(inode) => format!("net:[{inode}]"),
                    None => continue,
                }
            } else {
                continue; // sockets, pipes, anon inodes, other namespace types
            };
            out.push(NsFd {
                pid,
                fd: entry.name.to_string_lossy().into_owned(),
                link,
            });
        }
    }
    out
}

/// The inode of the network namespace a descriptor opened through a path
/// refers to, if it is one. Only a namespace file is ever opened.
fn bind_mounted_netns(root: &HostRoot, fd_path: &std::path::Path) -> Option<u64> {
    let f = root.open_namespace(fd_path).ok()?;
    let ino = f.metadata().ok()?.ino();
    super::netns::is_net_namespace(&f).ok()?.then_some(ino)
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
