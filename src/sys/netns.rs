//! Entering network namespaces (kernel I/O): open an nsfs file (inside the
//! host root; a path given by a caller is checked to be one without
//! blocking), check its inode, and run work inside many namespaces on
//! helper threads that have done `setns(CLONE_NEWNET)`. The caller's thread
//! never changes namespace.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::sched::{CloneFlags, setns};

use nix::fcntl::OFlag;
use nix::sys::statfs::{NSFS_MAGIC, fstatfs};

use super::files::FileKind;
use super::is_vanished;
use super::netlink::RouteSocket;
use super::root::{HostRoot, reopen};

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

/// What a path given as a network namespace (CNI_NETNS) holds.
#[derive(Debug)]
pub enum NsPath {
    /// Nothing: the path (or a directory on it) does not exist.
    Missing,
    /// A network namespace, open for `setns`.
    Net(File),
    /// A namespace of another type (`/proc/self/ns/mnt`).
    OtherNamespace,
    /// Not a namespace file at all: a regular file, a directory, a fifo…
    NotNamespace(FileKind),
}

/// Looks at `path` without blocking or touching what it is: it is opened
/// with O_PATH (a fifo, a device or a socket is never really opened), its
/// filesystem must be nsfs, and only then is it reopened for reading
/// through `/proc/self/fd` (the same file, no second lookup of `path`).
pub fn open_path(path: &Path) -> io::Result<NsPath> {
    let opath = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if is_vanished(&e) => return Ok(NsPath::Missing),
        Err(e) => return Err(e),
    };
    classify(opath)
}

/// [`open_path`] for host path `abs`, resolved inside the host root (a
/// symlink cannot lead out of it).
pub fn open_path_in(root: &super::HostRoot, abs: &Path) -> io::Result<NsPath> {
    match root.open(abs, OFlag::O_PATH) {
        Ok(f) => classify(f),
        Err(e) if is_vanished(&e) => Ok(NsPath::Missing),
        Err(e) => Err(e),
    }
}

/// What the file open with O_PATH holds.
fn classify(opath: File) -> io::Result<NsPath> {
    if fstatfs(&opath)?.filesystem_type() != NSFS_MAGIC {
        let kind = FileKind::of(&opath.metadata()?.file_type());
        return Ok(NsPath::NotNamespace(kind));
    }
    let f = reopen(&opath, OFlag::O_RDONLY)?;
    Ok(if is_net_namespace(&f)? {
        NsPath::Net(f)
    } else {
        NsPath::OtherNamespace
    })
}

/// A namespace's identity: the device and inode of its nsfs file.
pub fn identity(f: &File) -> io::Result<(u64, u64)> {
    let md = f.metadata()?;
    Ok((md.dev(), md.ino()))
}

/// The identity of the calling thread's own network namespace.
pub fn own_identity() -> io::Result<(u64, u64)> {
    let md = std::fs::metadata("/proc/thread-self/ns/net")?;
    Ok((md.dev(), md.ino()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_path_tells_namespaces_from_anything_else_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let kind = |p: &Path| match open_path(p).unwrap() {
            NsPath::NotNamespace(k) => k,
            other => panic!("{}: {other:?}", p.display()),
        };
        assert_eq!(kind(&fifo).with_article(), "a fifo");
        assert_eq!(kind(&file).with_article(), "a regular file");
        assert_eq!(kind(dir.path()).with_article(), "a directory");
        assert_eq!(kind(Path::new("/dev/zero")).with_article(), "a device");
        assert!(matches!(
            open_path(&dir.path().join("missing")).unwrap(),
            NsPath::Missing
        ));
        assert!(matches!(
            open_path(&file.join("below-a-file")).unwrap(),
            NsPath::Missing
        ));
        match open_path(Path::new("/proc/self/ns/net")).unwrap() {
            NsPath::Net(f) => assert_eq!(identity(&f).unwrap(), own_identity().unwrap()),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            open_path(Path::new("/proc/self/ns/uts")).unwrap(),
            NsPath::OtherNamespace
        ));
    }
}
