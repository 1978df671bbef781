//! A lab's files, mounts and processes (file, mount and process I/O):
//! its directory under `/run/podnet/lab/<name>` with the state file
//! (written atomically) and a lock, the mounts under it (netns bind mounts
//! and the shared netns directory) for `lab down` to undo, the pause
//! processes it recorded (stopped only after checking, by PID, that each
//! is still a `pause` in the recorded namespace), and the plugin's bridge
//! lock files of the lab's nodes.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::mount::{MntFlags, umount2};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::lockfile::{self, Locked};
use crate::lab::LAB_ROOT;

/// The state file's name in the lab directory.
pub const STATE_FILE: &str = "state.json";
const LOCK_FILE: &str = ".lock";

fn ctx(e: io::Error, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

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
    match std::fs::read(&p) {
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

/// Mount points at or under `dir` in this mount namespace, deepest first.
pub fn mounts_under(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let text = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| ctx(e, "read /proc/self/mountinfo"))?;
    Ok(mount_points_under(&text, dir))
}

/// The mount points of a mountinfo text at or under `dir`, deepest (and
/// latest) first. Lab paths hold no spaces, so no unescaping is needed.
pub fn mount_points_under(mountinfo: &str, dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = mountinfo
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(PathBuf::from)
        .filter(|p| p.starts_with(dir))
        .collect();
    v.reverse();
    v.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    v
}

/// Unmounts everything at or under `dir` (lazily, as `ip netns del` does).
pub fn unmount_all(dir: &Path) -> io::Result<usize> {
    let mut n = 0;
    // a mount point may be stacked; go round until nothing is left
    for _ in 0..8 {
        let points = mounts_under(dir)?;
        if points.is_empty() {
            break;
        }
        for p in points {
            match umount2(&p, MntFlags::MNT_DETACH) {
                Ok(()) => n += 1,
                Err(nix::errno::Errno::EINVAL) | Err(nix::errno::Errno::ENOENT) => {}
                Err(e) => return Err(ctx(e.into(), format!("umount {}", p.display()))),
            }
        }
    }
    Ok(n)
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

fn comm(pid: i32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_string())
}

fn netns_inode(pid: i32) -> Option<u64> {
    std::fs::metadata(format!("/proc/{pid}/ns/net"))
        .ok()
        .map(|m| m.ino())
}

/// Whether `pid` is still our pause: comm `pause`, in namespace `inode`.
pub fn is_our_pause(pid: i32, inode: u64) -> bool {
    pid > 1 && comm(pid).as_deref() == Some("pause") && netns_inode(pid) == Some(inode)
}

/// The inode of a namespace file (a bind mount), if it is there.
pub fn inode_of(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.ino())
}

/// What became of the recorded pause processes.
#[derive(Debug, Default)]
pub struct Stopped {
    pub stopped: Vec<i32>,
    /// Recorded PIDs that are gone or are something else now (not touched).
    pub not_ours: Vec<i32>,
    /// Still running after SIGKILL (should not happen).
    pub survivors: Vec<i32>,
}

/// Stops the recorded pause processes `(pid, netns inode)`: SIGTERM to each
/// that is still ours, then SIGKILL to those left after `grace`.
pub fn stop_pauses(pauses: &[(i32, u64)], grace: Duration) -> Stopped {
    let mut out = Stopped::default();
    let mut live = Vec::new();
    for &(pid, ino) in pauses {
        if is_our_pause(pid, ino) && kill(Pid::from_raw(pid), Signal::SIGTERM).is_ok() {
            live.push((pid, ino));
        } else {
            out.not_ours.push(pid);
        }
    }
    let gone = |pid: i32, ino: u64| netns_inode(pid) != Some(ino);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && live.iter().any(|&(p, i)| !gone(p, i)) {
        std::thread::sleep(Duration::from_millis(5));
    }
    for &(pid, ino) in &live {
        if !gone(pid, ino) && is_our_pause(pid, ino) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline && live.iter().any(|&(p, i)| !gone(p, i)) {
        std::thread::sleep(Duration::from_millis(5));
    }
    for (pid, ino) in live {
        // reap it if it is our child (`lab up` rolling back); else its parent does
        let _ = nix::sys::wait::waitpid(
            Pid::from_raw(pid),
            Some(nix::sys::wait::WaitPidFlag::WNOHANG),
        );
        if gone(pid, ino) {
            out.stopped.push(pid);
        } else {
            out.survivors.push(pid);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_mounts_under_a_lab_deepest_first() {
        let text = "\
22 1 0:21 / /run rw shared:5 - tmpfs tmpfs rw
30 22 0:4 / /run/podnet/lab/a/netns rw shared:9 - tmpfs tmpfs rw
31 30 0:4 net:[4026532300] /run/podnet/lab/a/netns/node1 rw shared:9 - nsfs nsfs rw
32 30 0:4 net:[4026532301] /run/podnet/lab/a/netns/switch rw shared:9 - nsfs nsfs rw
33 22 0:4 net:[4026532302] /run/podnet/lab/ab/netns/node1 rw - nsfs nsfs rw
";
        let v = mount_points_under(text, Path::new("/run/podnet/lab/a"));
        assert_eq!(
            v,
            vec![
                PathBuf::from("/run/podnet/lab/a/netns/switch"),
                PathBuf::from("/run/podnet/lab/a/netns/node1"),
                PathBuf::from("/run/podnet/lab/a/netns"),
            ]
        );
    }

    #[test]
    fn pid_1_and_strangers_are_never_ours() {
        assert!(!is_our_pause(1, 0));
        assert!(!is_our_pause(std::process::id() as i32, 0));
        let s = stop_pauses(&[(std::process::id() as i32, 1)], Duration::from_millis(1));
        assert_eq!(s.not_ours, vec![std::process::id() as i32]);
    }
}
