//! Pod sandboxes: a `cni-<uuid>` netns bind mount with lo up and a pause
//! process in it, whether one lives, and its removal. Kernel, mount and
//! process I/O.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::sys::netns_create;
use crate::sys::rtnl::NetnsWorker;
use crate::sys::{random, sandbox};

use super::{Runtime, SandboxState, short, warn_line};

/// A sandbox being made: its netns bind mount and pause process.
pub(super) struct Sandbox {
    pub(super) name: String,
    pub(super) path: PathBuf,
    pub(super) pause: Option<i32>,
}

impl Runtime {
    pub(super) fn sandbox_state(
        netns: Option<&str>,
        procs: &HashMap<i32, (u64, String)>,
    ) -> (SandboxState, Option<i32>) {
        let Some(p) = netns.filter(|p| netns_create::is_nsfs(Path::new(p))) else {
            return (SandboxState::NetnsGone, None);
        };
        let Ok(md) = std::fs::metadata(p) else {
            return (SandboxState::NetnsGone, None);
        };
        let mut inside: Vec<(i32, &str)> = procs
            .iter()
            .filter(|(_, (ino, _))| *ino == md.ino())
            .map(|(pid, (_, c))| (*pid, c.as_str()))
            .collect();
        inside.sort();
        if inside.is_empty() {
            return (SandboxState::NoProcess, None);
        }
        let pause = inside
            .iter()
            .find(|(_, c)| *c == "pause")
            .or(inside.first())
            .map(|(p, _)| *p);
        (SandboxState::Ok, pause)
    }

    /// A pod has one sandbox: a second ADD of it is refused, with what to do.
    pub(super) fn refuse_a_second_sandbox(&self, full: &str) -> Result<()> {
        let (cached, _) = self.cached();
        let Some(c) = cached
            .iter()
            .find(|c| c.entry.pod().as_deref() == Some(full))
        else {
            return Ok(());
        };
        let procs = sandbox::processes();
        let state = Runtime::sandbox_state(c.entry.netns_path().as_deref(), &procs).0;
        Err(Error::with_hint(
            format!(
                "pod {full} already has a sandbox ({}, {})",
                short(&c.entry.container_id),
                state.as_str()
            ),
            if state == SandboxState::Ok {
                format!("podnet cni del {full} first")
            } else {
                format!(
                    "its sandbox is gone (an earlier ADD that was not fully undone?): podnet cni del {full}, or podnet cni gc"
                )
            },
        ))
    }

    /// A new sandbox: a `cni-<uuid>` netns bind mount with lo up and a
    /// pause process in it (undone on failure).
    pub(super) fn start_sandbox(&self) -> Result<Sandbox> {
        let name = format!(
            "cni-{}",
            random::uuid().map_err(|e| Error::io("random", e))?
        );
        self.say(format!(
            "ip netns add {name}    # unshare a netns, bind-mount it on {}",
            self.cfg.netns_dir.join(&name).display()
        ));
        let path = netns_create::create(&self.cfg.netns_dir, &name)
            .map_err(|e| Error::io(format!("create netns {name}"), e))?;
        let mut sb = Sandbox {
            name,
            path,
            pause: None,
        };
        // lo up, as a runtime does before the pod network
        self.say(format!("ip -n {} link set lo up", sb.name));
        let lo = File::open(&sb.path)
            .and_then(|f| NetnsWorker::spawn(Some(&f)))
            .and_then(|w| w.set_up("lo"));
        if let Err(e) = lo {
            self.stop_sandbox(&sb, false);
            return Err(Error::io(format!("bring lo up in {}", sb.name), e));
        }
        self.say(format!(
            "{} pause --netns {} &",
            self.cfg.podnet_exe.display(),
            sb.path.display()
        ));
        match sandbox::start_pause(&self.cfg.podnet_exe, &sb.path) {
            Ok(p) => sb.pause = Some(p),
            Err(e) => {
                self.stop_sandbox(&sb, false);
                return Err(Error::io("start the pause process", e));
            }
        }
        Ok(sb)
    }

    /// Stops a sandbox's pause process (when `kill`) and removes its netns.
    pub(super) fn stop_sandbox(&self, sb: &Sandbox, kill: bool) {
        if let Some(pid) = sb.pause.filter(|_| kill) {
            self.say(format!("kill {pid}    # the pause process"));
            let _ = sandbox::stop(pid, Duration::from_secs(2));
        }
        self.say(format!("ip netns del {}", sb.name));
        let _ = netns_create::delete(&sb.path);
    }

    /// Stops the pause processes in a sandbox netns and removes the bind
    /// mount (only under the netns dir).
    pub(super) fn remove_sandbox(&self, netns: &Path) -> Result<()> {
        if netns_create::is_nsfs(netns)
            && let Ok(md) = std::fs::metadata(netns)
        {
            for (pid, comm) in sandbox::in_netns(md.ino()) {
                if comm == "pause" {
                    self.say(format!("kill {pid}    # the pause process"));
                    sandbox::stop(pid, Duration::from_secs(2))
                        .map_err(|e| Error::io(format!("stop pause {pid}"), e))?;
                } else {
                    warn_line(&format!(
                        "process {pid} ({comm}) is still in {}; not killed",
                        netns.display()
                    ));
                }
            }
        }
        if netns.parent() == Some(self.cfg.netns_dir.as_path()) {
            self.say(format!(
                "ip netns del {}",
                netns
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ));
            netns_create::delete(netns)
                .map_err(|e| Error::io(format!("delete netns {}", netns.display()), e))?;
        }
        Ok(())
    }
}
