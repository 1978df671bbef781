//! Running a process that may misbehave (hang, grow without bound, fork
//! without end) so that a test sees it and survives: a timeout (the whole
//! process group is killed), the child's peak RSS from wait4(2), an
//! optional address-space limit and an optional pids cgroup.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a bounded run ended.
#[derive(Debug, Clone)]
pub struct Ended {
    /// The exit code, if it exited.
    pub code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    /// Killed at the timeout.
    pub timed_out: bool,
    /// Peak resident set size, in KiB (of the child and its reaped children).
    pub max_rss_kib: i64,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Ended {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// stdout as JSON (Null if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout).unwrap_or(serde_json::Value::Null)
    }

    /// One line for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "code {:?} signal {:?} timed out {} peak RSS {} KiB\nstdout: {}\nstderr: {}",
            self.code,
            self.signal,
            self.timed_out,
            self.max_rss_kib,
            clip(&self.stdout_text()),
            clip(&self.stderr_text())
        )
    }
}

fn clip(s: &str) -> String {
    if s.len() <= 2000 {
        return s.to_string();
    }
    let mut cut = 2000;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} bytes)", &s[..cut], s.len())
}

/// Limits for one run.
#[derive(Debug, Clone)]
pub struct Limits {
    pub timeout: Duration,
    /// RLIMIT_AS for the child, in bytes.
    pub address_space: Option<u64>,
    /// A cgroup directory whose `cgroup.procs` the child joins before exec
    /// (e.g. a pids cgroup with `pids.max` set).
    pub cgroup: Option<std::path::PathBuf>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(20),
            address_space: None,
            cgroup: None,
        }
    }
}

/// At most this much of each output stream is kept.
const MAX_OUTPUT: u64 = 8 << 20;

/// Runs `cmd` with `stdin` written to it (a child that stops reading is
/// fine), within `limits`.
pub fn run(cmd: Command, stdin: &[u8], limits: &Limits) -> Ended {
    let data = stdin.to_vec();
    run_fed(cmd, move |w| w.write_all(&data), limits)
}

/// Runs `cmd` with what `feed` writes on its stdin. The peak RSS wait4(2)
/// reports includes what the forked test process had resident before
/// exec: feed a big input from here (in chunks), never hold it whole.
#[allow(clippy::zombie_processes)] // reaped with wait4(2), for its rusage
pub fn run_fed(
    mut cmd: Command,
    feed: impl FnOnce(&mut dyn Write) -> std::io::Result<()> + Send + 'static,
    limits: &Limits,
) -> Ended {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let rlimit = limits.address_space;
    let cgroup = limits.cgroup.clone();
    // SAFETY: the closure runs in the child between fork and exec and only
    // makes async-signal-safe system calls (setrlimit, open, write, close).
    unsafe {
        cmd.pre_exec(move || {
            if let Some(bytes) = rlimit {
                let lim = libc::rlimit {
                    rlim_cur: bytes,
                    rlim_max: bytes,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            if let Some(dir) = &cgroup {
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(dir.join("cgroup.procs"))?;
                f.write_all(b"0")?;
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn a bounded child");
    let pid = child.id() as i32;
    let mut input = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = feed(&mut input); // EPIPE when the child stops reading: fine
    });
    let reader = |pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.take(MAX_OUTPUT).read_to_end(&mut buf);
            buf
        })
    };
    let out = reader(Box::new(child.stdout.take().expect("stdout")));
    let err = reader(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + limits.timeout;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut timed_out = false;
    loop {
        // SAFETY: pid is our own child; status and usage are valid buffers.
        let rc = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if rc == pid {
            break;
        }
        assert!(rc == 0, "wait4: {}", std::io::Error::last_os_error());
        if Instant::now() > deadline {
            timed_out = true;
            // the child's own process group: it and whatever it started
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            // SAFETY: as above, now blocking until it is gone.
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // a process of its group may still hold the pipes: kill the group
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
    let _ = writer.join();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Ended {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
        timed_out,
        max_rss_kib: usage.ru_maxrss,
        stdout,
        stderr,
    }
}

/// Writes a JSON network configuration of about `len` bytes (padded with
/// one long string) in chunks.
pub fn padded_conf(
    len: usize,
) -> impl FnOnce(&mut dyn Write) -> std::io::Result<()> + Send + 'static {
    move |w| {
        let head = br#"{"cniVersion":"1.0.0","name":"n","type":"podnet","pad":""#;
        w.write_all(head)?;
        let chunk = [b'x'; 64 << 10];
        let mut left = len.saturating_sub(head.len());
        while left > 0 {
            let n = left.min(chunk.len());
            w.write_all(&chunk[..n])?;
            left -= n;
        }
        w.write_all(br#""}"#)
    }
}

/// A pids cgroup (v1 `pids` controller, or v2 with `pids` enabled) under the
/// private node's test cgroup that allows at most `max` processes; `None`
/// where there is neither. The caller removes it with [`remove_cgroup`].
pub fn pids_cgroup(tag: &str, max: u32) -> Option<std::path::PathBuf> {
    let name = super::test_cgroup();
    let v1 = std::path::Path::new("/sys/fs/cgroup/pids");
    let v2 = std::path::Path::new("/sys/fs/cgroup");
    let dir = if v1.join("cgroup.procs").exists() {
        v1.join(&name).join(tag)
    } else if std::fs::read_to_string(v2.join("cgroup.subtree_control"))
        .is_ok_and(|c| c.split_whitespace().any(|x| x == "pids"))
    {
        v2.join(format!("{name}-{tag}"))
    } else {
        return None;
    };
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::write(dir.join("pids.max"), max.to_string()).ok()?;
    Some(dir)
}

/// Removes a cgroup made by [`pids_cgroup`] (its processes are gone).
pub fn remove_cgroup(dir: &std::path::Path) {
    let _ = std::fs::remove_dir(dir);
}
