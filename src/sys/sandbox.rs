//! Sandbox processes (process I/O): starting a pause process that holds a
//! pod netns (`podnet pause --netns PATH`, plain setns, never `ip netns
//! exec`), finding the processes inside a namespace, and stopping a pause
//! process by PID.

use std::collections::HashMap;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The inode of the namespace a process is in, if it still runs.
pub fn netns_inode_of(pid: i32) -> Option<u64> {
    std::fs::metadata(format!("/proc/{pid}/ns/net"))
        .ok()
        .map(|m| m.ino())
}

fn comm(pid: i32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_string())
}

/// Starts `<exe> pause --netns <netns>` in its own process group and
/// waits until it runs as `pause` inside the namespace. Returns its PID.
pub fn start_pause(exe: &Path, netns: &Path) -> io::Result<i32> {
    let want = std::fs::metadata(netns)
        .map_err(|e| io::Error::new(e.kind(), format!("stat {}: {e}", netns.display())))?
        .ino();
    let mut child = Command::new(exe)
        .arg("pause")
        .arg("--netns")
        .arg(netns)
        .env_remove("CNI_COMMAND")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("start {} pause: {e}", exe.display())))?;
    let pid = child.id() as i32;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if netns_inode_of(pid) == Some(want) && comm(pid).as_deref() == Some("pause") {
            return Ok(pid);
        }
        if let Ok(Some(st)) = child.try_wait() {
            return Err(io::Error::other(format!(
                "the pause process exited at once: {st}"
            )));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the pause process did not enter its netns",
            ));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Every process's netns inode and command name, by PID.
pub fn processes() -> HashMap<i32, (u64, String)> {
    let mut out = HashMap::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        if let Some(ino) = netns_inode_of(pid) {
            out.insert(pid, (ino, comm(pid).unwrap_or_default()));
        }
    }
    out
}

/// The processes in namespace `inode`, with their command names.
pub fn in_netns(inode: u64) -> Vec<(i32, String)> {
    let mut v: Vec<(i32, String)> = processes()
        .into_iter()
        .filter(|(_, (ino, _))| *ino == inode)
        .map(|(pid, (_, c))| (pid, c))
        .collect();
    v.sort();
    v
}

/// Stops a process: SIGTERM, then SIGKILL after `grace`. Done when it no
/// longer runs (a zombie no longer has a namespace).
pub fn stop(pid: i32, grace: Duration) -> io::Result<()> {
    let p = Pid::from_raw(pid);
    match kill(p, Signal::SIGTERM) {
        Ok(()) => {}
        Err(nix::errno::Errno::ESRCH) => return Ok(()),
        Err(e) => return Err(io::Error::from(e)),
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if netns_inode_of(pid).is_none() {
            reap(p);
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    match kill(p, Signal::SIGKILL) {
        Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
        Err(e) => return Err(io::Error::from(e)),
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline && netns_inode_of(pid).is_some() {
        std::thread::sleep(Duration::from_millis(5));
    }
    reap(p);
    Ok(())
}

/// Collects the exit status if the process is this process's child (else
/// its parent or init does).
fn reap(p: Pid) {
    let _ = nix::sys::wait::waitpid(p, Some(nix::sys::wait::WaitPidFlag::WNOHANG));
}
