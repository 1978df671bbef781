//! The pod's network namespace at CNI_NETNS, refused unless it is one and
//! not the node's, and who still holds a namespace. Reads /proc and
//! mountinfo.

use std::fs::File;
use std::path::Path;

use crate::cni::env::Command;
use crate::cni::error::{CniError, codes};
use crate::sys::files::{self, FileKind};
use crate::sys::netns::{self, NsPath};

use super::kernel;

/// The pod's namespace at CNI_NETNS: `Ok(None)` when it is gone (the path
/// is missing; for DEL also a regular file, what an unmounted netns
/// leaves). A fifo, a directory, a device or any other file that is not a
/// network namespace is refused without blocking (code 4), and so is the
/// plugin's own namespace — the node's — by whatever path it is reached
/// (`/proc/1/ns/net`, a bind mount): a DEL there would delete the node's
/// own interface.
pub(super) fn open_netns(path: &str, command: Command) -> Result<Option<File>, CniError> {
    let invalid = |msg: String| CniError::new(codes::INVALID_ENVIRONMENT, msg);
    let found = netns::open_path(Path::new(path))
        .map_err(|e| invalid(format!("cannot open CNI_NETNS {path:?}: {e}")))?;
    let f = match found {
        NsPath::Missing => return Ok(None),
        NsPath::NotNamespace(FileKind::Regular) if command == Command::Del => return Ok(None),
        NsPath::NotNamespace(kind) => {
            return Err(invalid(format!(
                "CNI_NETNS {path:?} is {}, not a network namespace",
                kind.with_article()
            )));
        }
        NsPath::OtherNamespace => {
            return Err(invalid(format!(
                "CNI_NETNS {path:?} is a namespace but not a network namespace"
            )));
        }
        NsPath::Net(f) => f,
    };
    let mine = netns::own_identity().map_err(|e| kernel("stat /proc/thread-self/ns/net", e))?;
    let theirs = netns::identity(&f).map_err(|e| kernel(format!("stat {path}"), e))?;
    if mine == theirs {
        return Err(invalid(format!(
            "CNI_NETNS {path:?} is the plugin's own network namespace (the node's), not a pod's"
        ))
        .with_details("refusing to touch the node's own interfaces"));
    }
    Ok(Some(f))
}

/// Who holds the network namespace with inode `ino`: processes in it,
/// descriptors on it, bind mounts of it (as this process sees them).
pub(super) fn netns_holders(ino: u64) -> Vec<String> {
    let mut out = Vec::new();
    let procs = crate::sys::sandbox::processes();
    for (pid, (pino, comm)) in &procs {
        if *pino == ino {
            out.push(format!("process {pid} ({comm}) is in it"));
        }
    }
    let pids: Vec<i32> = procs.keys().copied().collect();
    let want = format!("net:[{ino}]");
    for fd in crate::sys::proc_scan::scan_netns_fds(&crate::sys::HostRoot::new("/"), &pids) {
        if fd.link == want {
            out.push(format!("process {} holds it open (fd {})", fd.pid, fd.fd));
        }
    }
    match files::read_capped_to_string(Path::new("/proc/self/mountinfo"), files::MAX_FILE_BYTES) {
        Ok(text) => {
            let (mounts, _) = crate::discover::mountinfo::parse_netns_mounts(&text);
            for m in mounts.iter().filter(|m| m.inode == ino) {
                out.push(format!("it is mounted at {}", m.mount_point));
            }
        }
        Err(e) => out.push(format!(
            "/proc/self/mountinfo cannot be read ({e}), so it may be mounted"
        )),
    }
    out.sort();
    out
}
