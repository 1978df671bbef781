//! Pause processes by PID (process I/O): a process's argv, whether it runs
//! podnet, whether it is still a `pause` in a given network namespace,
//! the processes that stay in some namespaces, and stopping pause
//! processes (SIGTERM, then SIGKILL), never anything found by name.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The largest /proc/<pid>/cmdline read.
const CMDLINE_CAP: u64 = 64 << 10;

/// The argv of a process (empty when it is gone or a zombie).
pub fn argv(pid: i32) -> Vec<String> {
    let path = PathBuf::from(format!("/proc/{pid}/cmdline"));
    super::files::read_capped(&path, CMDLINE_CAP)
        .unwrap_or_default()
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// Whether process `pid` runs podnet: the same file as this process (or,
/// after an upgrade replaced it, a file named `podnet`).
pub fn runs_podnet(pid: i32) -> bool {
    let same =
        |a: &std::fs::Metadata, b: &std::fs::Metadata| a.dev() == b.dev() && a.ino() == b.ino();
    if let (Ok(theirs), Ok(ours)) = (
        std::fs::metadata(format!("/proc/{pid}/exe")),
        std::fs::metadata("/proc/self/exe"),
    ) && same(&theirs, &ours)
    {
        return true;
    }
    std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.trim_end_matches(" (deleted)") == "podnet")
    })
}

/// The processes other than `except` in one of the namespaces `inodes`,
/// with their command names, after waiting up to `grace` for them to leave
/// (a plugin that a killed `lab up` started finishes on its own).
pub fn processes_staying_in(inodes: &[u64], except: &[i32], grace: Duration) -> Vec<(i32, String)> {
    let deadline = Instant::now() + grace;
    loop {
        let mut left: Vec<(i32, String)> = super::sandbox::processes()
            .into_iter()
            .filter(|(pid, (ino, _))| inodes.contains(ino) && !except.contains(pid))
            .map(|(pid, (_, comm))| (pid, comm))
            .collect();
        if left.is_empty() || Instant::now() >= deadline {
            left.sort();
            return left;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A process's command name (`/proc/<pid>/comm`).
fn comm(pid: i32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_string())
}

/// The inode of a process's network namespace.
pub fn netns_inode(pid: i32) -> Option<u64> {
    std::fs::metadata(format!("/proc/{pid}/ns/net"))
        .ok()
        .map(|m| m.ino())
}

/// Whether `pid` is still our pause: comm `pause`, in namespace `inode`.
pub fn is_our_pause(pid: i32, inode: u64) -> bool {
    pid > 1 && comm(pid).as_deref() == Some("pause") && netns_inode(pid) == Some(inode)
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
