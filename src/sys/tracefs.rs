//! tracefs: where it is mounted (or mounting it, when it is not, in
//! podnet's own mount namespace so the node's mounts stay as they were),
//! reading event files, and a private trace instance with one event
//! enabled whose `trace_pipe` is read without blocking. An instance left by
//! a killed podnet (its name carries the PID namespace, PID and start time)
//! is removed by the next run in the same PID namespace.
//! Knows nothing of pods.

use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};

const DEFAULT_MOUNT: &str = "/sys/kernel/tracing";
const MAX_EVENT_FILE: u64 = 4 << 20;

/// A mounted tracefs.
#[derive(Debug, Clone)]
pub struct Tracefs {
    pub root: PathBuf,
    /// Set when podnet had to mount it itself.
    pub note: Option<String>,
}

/// Uses tracefs where it is `mounted` (the caller read mountinfo), or mounts
/// it at /sys/kernel/tracing in a mount namespace of this process's own
/// (call before starting threads).
pub fn open(mounted: Option<PathBuf>) -> io::Result<Tracefs> {
    if let Some(root) = mounted {
        return Ok(Tracefs { root, note: None });
    }
    unshare(CloneFlags::CLONE_NEWNS).map_err(io::Error::from)?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(io::Error::from)?;
    mount(
        Some("nodev"),
        DEFAULT_MOUNT,
        Some("tracefs"),
        MsFlags::empty(),
        None::<&str>,
    )
    .map_err(|e| io::Error::other(format!("cannot mount tracefs at {DEFAULT_MOUNT}: {e}")))?;
    Ok(Tracefs {
        root: DEFAULT_MOUNT.into(),
        note: Some(format!(
            "tracefs was not mounted: podnet mounted it at {DEFAULT_MOUNT} in its own mount namespace (the node's mounts are unchanged)"
        )),
    })
}

impl Tracefs {
    /// An event's `format` file (`skb`, `kfree_skb`).
    pub fn event_format(&self, system: &str, event: &str) -> io::Result<String> {
        let p = self
            .root
            .join("events")
            .join(system)
            .join(event)
            .join("format");
        let mut s = String::new();
        std::fs::File::open(&p)?
            .take(MAX_EVENT_FILE)
            .read_to_string(&mut s)?;
        Ok(s)
    }

    /// Removes the instances of podnet processes that are provably gone: of
    /// this PID namespace, and no process with that PID and start time
    /// lives. Any other instance (another PID namespace's podnet) is left.
    pub fn remove_stale_instances(&self) -> Vec<String> {
        let mut removed = Vec::new();
        let (Ok(rd), Some(mine)) = (std::fs::read_dir(self.root.join("instances")), pid_ns())
        else {
            return removed;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some((ns, pid, start)) = parse_instance_name(&name) else {
                continue;
            };
            let alive = start_time(&format!("/proc/{pid}/stat")) == Some(start);
            if ns == mine && !alive && std::fs::remove_dir(e.path()).is_ok() {
                removed.push(name);
            }
        }
        removed
    }
}

/// This process's PID namespace inode.
fn pid_ns() -> Option<u64> {
    let link = std::fs::read_link("/proc/self/ns/pid").ok()?;
    link.to_str()?
        .strip_prefix("pid:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// A process's start time (clock ticks since boot) from its stat file.
fn start_time(stat: &str) -> Option<u64> {
    let text = std::fs::read_to_string(stat).ok()?;
    text.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(19)?
        .parse()
        .ok()
}

/// `podnet-<pid namespace>-<pid>-<start time>`: unique on the machine,
/// and provably dead when that process no longer exists.
pub fn instance_name() -> Option<String> {
    Some(format!(
        "podnet-{}-{}-{}",
        pid_ns()?,
        std::process::id(),
        start_time("/proc/self/stat")?
    ))
}

fn parse_instance_name(name: &str) -> Option<(u64, u32, u64)> {
    let mut it = name.strip_prefix("podnet-")?.split('-');
    let ns = it.next()?.parse().ok()?;
    let pid = it.next()?.parse().ok()?;
    let start = it.next()?.parse().ok()?;
    it.next().is_none().then_some((ns, pid, start))
}

/// A trace instance of this process with one event enabled; removed on drop.
pub struct Instance {
    dir: PathBuf,
    enable: PathBuf,
    /// Closed before the instance is removed (an open pipe keeps it busy).
    pipe: Option<std::fs::File>,
    pending: String,
}

impl Instance {
    /// Creates `instances/<instance_name()>` and enables `system/event` in it.
    pub fn create(t: &Tracefs, system: &str, event: &str) -> io::Result<Instance> {
        let name = instance_name().ok_or_else(|| {
            io::Error::other("cannot read this process's PID namespace or start time")
        })?;
        let dir = t.root.join("instances").join(name);
        std::fs::create_dir(&dir)?;
        let enable = dir.join("events").join(system).join(event).join("enable");
        let opened = std::fs::write(&enable, "1").and_then(|_| {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(dir.join("trace_pipe"))
        });
        match opened {
            Ok(pipe) => Ok(Instance {
                dir,
                enable,
                pipe: Some(pipe),
                pending: String::new(),
            }),
            Err(e) => {
                let _ = std::fs::write(&enable, "0");
                let _ = std::fs::remove_dir(&dir);
                Err(e)
            }
        }
    }

    /// The instance's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The complete lines that arrived within `wait`.
    pub fn lines(&mut self, wait: Duration) -> io::Result<Vec<String>> {
        let Some(pipe) = self.pipe.as_mut() else {
            return Ok(Vec::new());
        };
        let mut fds = [libc::pollfd {
            fd: pipe.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: one valid pollfd for our own open file, for the call.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 1, wait.as_millis().min(60_000) as i32) };
        if r < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Ok(Vec::new())
            } else {
                Err(e)
            };
        }
        let mut buf = [0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    self.pending.push_str(&String::from_utf8_lossy(&buf[..n]));
                    if self.pending.len() > 1 << 20 {
                        // a runaway line: keep memory bounded
                        self.pending.clear();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => break,
                Err(e) => return Err(e),
            }
        }
        let Some(last) = self.pending.rfind('\n') else {
            return Ok(Vec::new());
        };
        let rest = self.pending.split_off(last + 1);
        let done = std::mem::replace(&mut self.pending, rest);
        Ok(done.lines().map(str::to_string).collect())
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.enable, "0");
        self.pipe = None;
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_names_carry_what_proves_their_process_dead() {
        let mine = instance_name().unwrap();
        let (ns, pid, start) = parse_instance_name(&mine).unwrap();
        assert_eq!((Some(ns), pid), (pid_ns(), std::process::id()));
        assert_eq!(start_time("/proc/self/stat"), Some(start));
        assert_eq!(parse_instance_name("podnet-1-2-3-4"), None);
        assert_eq!(parse_instance_name("podnet-4242"), None);
        assert_eq!(parse_instance_name("other-1-2-3"), None);
    }
}
