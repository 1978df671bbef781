//! A lab's files and processes (file I/O, and process and mount I/O
//! through `sys::mounts` and `sys::pause_procs`): its directory under
//! `/run/podnet/lab/<name>` with the state file (written atomically) and a
//! lock, its pause processes — those it recorded, checked by PID to still
//! be a `pause` in the recorded namespace, and those it can prove are its
//! own (podnet running `pause --netns <lab>/netns/…` inside one of the
//! lab's namespaces), which each pause also records under the lab —
//! never anything found by name, and the plugin's bridge lock files of the
//! lab's nodes.

use std::io;
use std::path::{Path, PathBuf};

use crate::sys::files;
use crate::sys::lockfile::{self, Locked};
pub use crate::sys::mounts::{inode_of, netns_mounts, unmount_all};
pub use crate::sys::pause_procs::{Stopped, is_our_pause, processes_staying_in, stop_pauses};
use crate::sys::pause_procs::{argv, netns_inode, runs_podnet};
use crate::sys::sandbox;

use super::LAB_ROOT;
use crate::sys::io_context::context as ctx;

/// The state file's name in the lab directory.
pub const STATE_FILE: &str = "state.json";
const LOCK_FILE: &str = ".lock";
/// Where the lab's namespace bind mounts are (`<dir>/netns/<name>`).
pub const NETNS_DIR: &str = "netns";
/// Where each pause process of the lab records itself (`<dir>/pauses/<pid>`).
pub const PAUSES_DIR: &str = "pauses";

/// `/run/podnet/lab/<name>`.
pub fn lab_dir(name: &str) -> PathBuf {
    Path::new(LAB_ROOT).join(name)
}

/// The names of the labs that have a directory.
pub fn list() -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(LAB_ROOT) else {
        return Vec::new();
    };
    let mut v: Vec<String> = rd
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    v.sort();
    v
}

/// Creates the lab directory; `AlreadyExists` if there is one.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| ctx(e, format!("mkdir {}", parent.display())))?;
    }
    std::fs::create_dir(dir).map_err(|e| ctx(e, format!("mkdir {}", dir.display())))
}

/// Creates a subdirectory (and its parents) of the lab directory.
pub fn mkdirs(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| ctx(e, format!("mkdir {}", dir.display())))
}

/// Locks the lab (every lab command holds it while it works).
pub fn lock(dir: &Path) -> io::Result<Locked> {
    lockfile::lock(&dir.join(LOCK_FILE))
}

/// The state file's bytes, `None` when there is none.
pub fn read_state(dir: &Path) -> io::Result<Option<Vec<u8>>> {
    let p = dir.join(STATE_FILE);
    match files::read_capped(&p, files::MAX_FILE_BYTES) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ctx(e, format!("read {}", p.display()))),
    }
}

/// Writes a file atomically (a temporary file renamed over it).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| ctx(e, format!("write {}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| ctx(e, format!("rename {}", path.display())))
}

/// Removes the lab directory and everything in it, then the labs' root if
/// no lab is left. Missing is fine.
pub fn remove_dir(dir: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(ctx(e, format!("remove {}", dir.display()))),
    }
    // the labs' root and /run/podnet, only when empty
    let mut up = dir.parent();
    for _ in 0..2 {
        let Some(d) = up else { break };
        if std::fs::remove_dir(d).is_err() {
            break;
        }
        up = d.parent();
    }
    Ok(())
}

/// Removes podnet's bridge lock files of the given node namespaces
/// (`/run/podnet/locks/bridge-<netns inode>-<bridge>.lock`).
pub fn remove_bridge_locks(inodes: &[u64]) {
    let Ok(rd) = std::fs::read_dir(lockfile::LOCK_DIR) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = inodes
            .iter()
            .any(|i| name.starts_with(&format!("bridge-{i}-")) && name.ends_with(".lock"));
        if ours {
            let _ = std::fs::remove_file(e.path());
        }
    }
    let _ = std::fs::remove_dir(lockfile::LOCK_DIR);
    let _ = std::fs::remove_dir(
        Path::new(lockfile::LOCK_DIR)
            .parent()
            .unwrap_or(Path::new("/")),
    );
}

/// The lab directory of a pod or node namespace path
/// `<LAB_ROOT>/<name>/netns/<file>`, if the path is one.
pub fn lab_dir_of_netns(netns: &Path) -> Option<PathBuf> {
    let ns_dir = netns.parent()?;
    let dir = ns_dir.parent()?;
    let in_root = dir.parent() == Some(Path::new(LAB_ROOT));
    let plain = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.is_empty() && n != "." && n != "..")
    };
    (in_root && ns_dir.file_name() == Some(NETNS_DIR.as_ref()) && plain(netns) && plain(dir))
        .then(|| dir.to_path_buf())
}

/// Records pause process `pid` of the lab at `dir` in `<dir>/pauses/<pid>`
/// (holding its netns path), before it says it is ready. Fails when that
/// directory is gone: the lab is being removed, and the pause must not stay.
pub fn record_pause(dir: &Path, pid: u32, netns: &Path) -> io::Result<()> {
    let pauses = dir.join(PAUSES_DIR);
    // a lab made before pauses recorded themselves has no such directory;
    // never the lab directory itself, which `down` may just have removed
    match std::fs::create_dir(&pauses) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
            return Err(ctx(e, format!("mkdir {}", pauses.display())));
        }
        _ => {}
    }
    let p = pauses.join(pid.to_string());
    let text = format!("{}\n", netns.display());
    std::fs::write(&p, text).map_err(|e| ctx(e, format!("write {}", p.display())))
}

/// The PIDs the lab's pause processes recorded.
fn recorded_pauses(dir: &Path) -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir(dir.join(PAUSES_DIR)) else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// Whether `argv` is `<exe> pause --netns <dir>/netns/<file>`: how `lab up`
/// (through the CNI kit) and `lab fix` start the lab's pause processes.
pub fn is_pause_argv_of(argv: &[String], dir: &Path) -> bool {
    match argv {
        [_, cmd, flag, netns] => {
            cmd == "pause"
                && flag == "--netns"
                && lab_dir_of_netns(Path::new(netns)).as_deref() == Some(dir)
        }
        _ => false,
    }
}

/// The netns inode of `pid` if it is provably a pause process of the lab
/// at `dir`: it runs podnet as `podnet pause --netns <dir>/netns/<file>`,
/// and its network namespace is one of `inodes` (the lab's netns bind
/// mounts). Nothing else is ever taken for the lab's.
pub fn lab_pause_netns(pid: i32, dir: &Path, inodes: &[u64]) -> Option<u64> {
    if pid <= 1 || pid == std::process::id() as i32 {
        return None;
    }
    let ino = netns_inode(pid).filter(|i| inodes.contains(i))?;
    (is_pause_argv_of(&argv(pid), dir) && runs_podnet(pid)).then_some(ino)
}

/// Every process that is provably a pause process of the lab at `dir`
/// (see [`lab_pause_netns`]), found in /proc and in the lab's pause
/// records, with its netns inode.
pub fn lab_pauses(dir: &Path, inodes: &[u64]) -> Vec<(i32, u64)> {
    if inodes.is_empty() {
        return Vec::new();
    }
    let mut pids: Vec<i32> = sandbox::processes()
        .into_iter()
        .filter(|(_, (ino, _))| inodes.contains(ino))
        .map(|(pid, _)| pid)
        .chain(recorded_pauses(dir))
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids.into_iter()
        .filter_map(|pid| lab_pause_netns(pid, dir, inodes).map(|i| (pid, i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pause_command_lines_naming_the_lab_are_its_pauses() {
        let dir = Path::new("/run/podnet/lab/a");
        let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let ns = "/run/podnet/lab/a/netns/cni-1";
        assert!(is_pause_argv_of(
            &argv(&["/usr/bin/podnet", "pause", "--netns", ns]),
            dir
        ));
        for bad in [
            argv(&[
                "/usr/bin/podnet",
                "pause",
                "--netns",
                "/run/podnet/lab/ab/netns/cni-1",
            ]),
            argv(&[
                "/usr/bin/podnet",
                "pause",
                "--netns",
                "/run/podnet/lab/a/cni-1",
            ]),
            argv(&[
                "/usr/bin/podnet",
                "pause",
                "--netns",
                "/run/podnet/lab/a/netns/x/y",
            ]),
            argv(&["/usr/bin/podnet", "pause", "--netns", "/run/netns/cni-1"]),
            argv(&["/usr/bin/podnet", "pause"]),
            argv(&["/usr/bin/podnet", "pause", "--netns", ns, "extra"]),
            argv(&["/usr/bin/podnet", "lab", "--netns", ns]),
            argv(&[
                "sleep",
                "pause",
                "--netns",
                "/run/podnet/lab/a/netns/../netns/cni-1",
            ]),
        ] {
            assert!(!is_pause_argv_of(&bad, dir), "{bad:?}");
        }
        assert_eq!(
            lab_dir_of_netns(Path::new(ns)),
            Some(PathBuf::from("/run/podnet/lab/a"))
        );
        assert_eq!(lab_dir_of_netns(Path::new("/run/netns/cni-1")), None);
        assert_eq!(lab_dir_of_netns(Path::new("/run/podnet/lab/netns/x")), None);
    }

    #[test]
    fn pid_1_and_strangers_are_never_ours() {
        let me = std::process::id() as i32;
        assert_eq!(
            lab_pause_netns(1, Path::new("/run/podnet/lab/a"), &[0]),
            None
        );
        assert_eq!(
            lab_pause_netns(me, Path::new("/run/podnet/lab/a"), &[0]),
            None
        );
        assert!(!is_our_pause(1, 0));
        assert!(!is_our_pause(std::process::id() as i32, 0));
        let s = stop_pauses(
            &[(std::process::id() as i32, 1)],
            std::time::Duration::from_millis(1),
        );
        assert_eq!(s.not_ours, vec![std::process::id() as i32]);
    }
}
