//! Running code and programs inside a network namespace (kernel and
//! process I/O): a closure on a helper thread that has `setns()`ed, the
//! calling thread entering one, a program executed in place of this
//! process in one, and a tool run in the calling thread's namespace.

use super::io_context::context as ctx;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `f` on a helper thread inside the namespace at `netns`.
pub fn in_netns<T: Send>(netns: &Path, f: impl FnOnce() -> io::Result<T> + Send) -> io::Result<T> {
    let file = File::open(netns).map_err(|e| ctx(e, format!("open {}", netns.display())))?;
    std::thread::scope(|s| {
        s.spawn(|| {
            super::netns::enter(&file).map_err(|e| ctx(e, format!("setns {}", netns.display())))?;
            f()
        })
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the namespace helper thread panicked")))
    })
}

/// Enters the namespace at `netns` on the calling thread (for worker threads
/// that are thrown away afterwards).
pub fn enter(netns: &Path) -> io::Result<()> {
    let file = File::open(netns).map_err(|e| ctx(e, format!("open {}", netns.display())))?;
    super::netns::enter(&file).map_err(|e| ctx(e, format!("setns {}", netns.display())))
}

/// Runs a tool in the calling thread's namespace; fails with its stderr.
pub fn run_tool(name: &str, args: &[&str], stdin: Option<&str>) -> io::Result<()> {
    let bin = super::firewall::tool(name).ok_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, format!("{name} is not installed"))
    })?;
    let mut child = Command::new(bin)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let (Some(text), Some(mut i)) = (stdin, child.stdin.take()) {
        i.write_all(text.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "{name} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// A tool's stdout in the calling thread's namespace; `None` when it is
/// not installed or fails.
pub fn tool_output(name: &str, args: &[&str]) -> io::Result<Option<String>> {
    let Some(bin) = super::firewall::tool(name) else {
        return Ok(None);
    };
    let out = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()?;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
}
