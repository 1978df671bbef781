//! Entering network namespaces (kernel I/O): open an nsfs file (inside the
//! host root), check its inode, and run work inside many namespaces on
//! helper threads that have done `setns(CLONE_NEWNET)`. The caller's thread
//! never changes namespace.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use nix::sched::{CloneFlags, setns};

use super::is_vanished;
use super::netlink::RouteSocket;
use super::root::HostRoot;

/// A namespace to enter: its inode and the files that may reach it, best first.
#[derive(Debug, Clone)]
pub struct NetnsTarget {
    pub inode: u64,
    /// The host root the handles are under.
    pub root: HostRoot,
    /// Host paths: bind mounts, `/proc/<pid>/ns/net`, fds.
    pub handles: Vec<PathBuf>,
}

/// Why a namespace could not be entered.
#[derive(Debug)]
pub enum EnterError {
    /// Every handle was gone or pointed at another namespace (PID reused).
    Vanished,
    /// A handle exists but opening or entering it failed.
    Failed {
        path: PathBuf,
        op: &'static str,
        err: io::Error,
    },
}

impl std::fmt::Display for EnterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnterError::Vanished => write!(f, "it vanished during the scan"),
            EnterError::Failed { path, op, err } => write!(f, "{op} {}: {err}", path.display()),
        }
    }
}

/// The inode of the namespace an nsfs file (or a `net:[N]` link) names.
pub fn inode_of(path: &std::path::Path) -> io::Result<u64> {
    Ok(std::fs::metadata(path)?.ino())
}

/// Opens the first handle that still names namespace `target.inode`
/// (resolved inside the host root; only namespace files are opened).
pub fn open(target: &NetnsTarget) -> Result<File, EnterError> {
    let mut failure = None;
    for handle in &target.handles {
        let path = &target.root.join(handle);
        match target.root.open_namespace(handle) {
            Ok(f) => match f.metadata() {
                Ok(md) if md.ino() == target.inode => return Ok(f),
                Ok(_) => continue, // the PID was reused by a process elsewhere
                Err(e) if is_vanished(&e) => continue,
                Err(err) => {
                    failure = Some(EnterError::Failed {
                        path: path.clone(),
                        op: "stat",
                        err,
                    })
                }
            },
            Err(e) if is_vanished(&e) => continue,
            Err(err) => {
                failure = Some(EnterError::Failed {
                    path: path.clone(),
                    op: "open",
                    err,
                })
            }
        }
    }
    Err(failure.unwrap_or(EnterError::Vanished))
}

/// `NS_GET_NSTYPE` (`_IO(0xb7, 0x3)`): the `CLONE_NEW*` type of an nsfs file.
const NS_GET_NSTYPE: libc::c_ulong = 0xb703;

/// Whether the open nsfs file `f` is a network namespace (ioctl NS_GET_NSTYPE).
pub fn is_net_namespace(f: &File) -> io::Result<bool> {
    // SAFETY: NS_GET_NSTYPE takes no argument and only returns an int.
    let rc = unsafe { libc::ioctl(f.as_raw_fd(), NS_GET_NSTYPE as _) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(rc == libc::CLONE_NEWNET)
}

/// Moves the calling thread into the namespace open at `ns`.
pub fn enter(ns: &File) -> io::Result<()> {
    setns(ns.as_fd(), CloneFlags::CLONE_NEWNET).map_err(io::Error::from)
}

/// What a visit function gets inside a namespace.
pub struct Inside<'a> {
    /// An rtnetlink socket created inside the namespace.
    pub sock: &'a mut RouteSocket,
    /// The namespace file itself, open.
    pub file: &'a File,
}

/// Runs `visit` inside each target namespace on up to `workers` helper
/// threads and returns the results in the order of `targets`. Each thread
/// enters one namespace after another and is discarded at the end, so the
/// caller's namespace never changes.
pub fn visit_all<T, F>(
    targets: &[NetnsTarget],
    workers: usize,
    visit: F,
) -> Vec<Result<T, EnterError>>
where
    T: Send,
    F: Fn(&NetnsTarget, &mut Inside<'_>) -> io::Result<T> + Sync,
{
    super::parallel::each_index(targets.len(), workers, |i| visit_one(&targets[i], &visit))
        .into_iter()
        .map(|r| r.unwrap_or(Err(EnterError::Vanished)))
        .collect()
}

fn visit_one<T, F>(target: &NetnsTarget, visit: &F) -> Result<T, EnterError>
where
    F: Fn(&NetnsTarget, &mut Inside<'_>) -> io::Result<T>,
{
    let file = open(target)?;
    let fail = |op: &'static str, err: io::Error| EnterError::Failed {
        path: target.handles.first().cloned().unwrap_or_default(),
        op,
        err,
    };
    enter(&file).map_err(|e| fail("setns", e))?;
    let mut sock = RouteSocket::new().map_err(|e| fail("netlink socket in", e))?;
    let mut inside = Inside {
        sock: &mut sock,
        file: &file,
    };
    visit(target, &mut inside).map_err(|e| fail("netlink dump in", e))
}

/// How many helper threads to use for namespace visits.
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(8)
}

/// The raw fd of an open namespace file (for NETNSA_FD).
pub fn raw_fd(f: &File) -> i32 {
    f.as_raw_fd()
}
