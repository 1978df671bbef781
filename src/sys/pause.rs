//! Becomes a pause (infra) process: optionally enters a network namespace,
//! names itself `pause`, reaps children and exits on SIGTERM/SIGINT/SIGHUP.
//! Process-wide syscalls; only for the dedicated `podnet pause` process.

use std::fs::File;
use std::io;
use std::path::Path;

use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::wait::{WaitPidFlag, waitpid};

/// Never returns except on a terminating signal (`Ok`) or a setup failure.
/// `entered` runs once inside the namespace, before the process names
/// itself `pause` (which is how its starter knows it is ready); its error
/// ends the process.
pub fn run(netns: Option<&Path>, entered: impl FnOnce() -> io::Result<()>) -> io::Result<()> {
    if let Some(path) = netns {
        let f = File::open(path)?;
        super::netns::enter(&f)?;
    }
    entered()?;
    nix::sys::prctl::set_name(c"pause").map_err(io::Error::from)?;
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGCHLD,
    ] {
        set.add(s);
    }
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None).map_err(io::Error::from)?;
    loop {
        match set.wait().map_err(io::Error::from)? {
            Signal::SIGCHLD => {
                while let Ok(status) = waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                    if status == nix::sys::wait::WaitStatus::StillAlive {
                        break;
                    }
                }
            }
            _ => return Ok(()),
        }
    }
}
