//! The host root: the directory under which every host path is read (`/`
//! on the node, `/host` in a DaemonSet, a fixture tree in tests), and the
//! confined path resolution that keeps every read inside it (file I/O).
//!
//! A host path is resolved with openat2(2) and `RESOLVE_IN_ROOT` on a
//! descriptor of the root, so `..` and symlinks — relative or absolute —
//! never lead out of it: an absolute link inside the root
//! (`/var/lib/cni -> /data/cni`) means `<root>/data/cni`, as it does on the
//! node. Kernels older than 5.6 (openat2 answers ENOSYS) get the same
//! resolution done by hand, one component at a time. Magic links
//! (`/proc/<pid>/ns/net`, `/proc/<pid>/fd/N`) are never followed by path
//! resolution; they are read with readlink, and followed only by
//! [`HostRoot::open_namespace`], which follows them only where procfs itself
//! serves them and accepts only an nsfs file.

use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag, openat, openat2, readlinkat};
use nix::sys::stat::{Mode, SFlag, fstat};
use nix::sys::statfs::{NSFS_MAGIC, PROC_SUPER_MAGIC, fstatfs};

/// The host root and an open descriptor of it.
#[derive(Debug, Clone)]
pub struct HostRoot {
    root: PathBuf,
    /// The root directory opened with O_PATH, or why it could not be opened.
    dir: Arc<Result<OwnedFd, Errno>>,
    /// `<root>/proc`, opened once (inside the root) when it is a live
    /// procfs: the fast path of the /proc scan (see [`HostRoot::open_proc_file`]).
    live_proc: Arc<OnceLock<Option<OwnedFd>>>,
}

impl PartialEq for HostRoot {
    fn eq(&self, other: &Self) -> bool {
        self.root == other.root
    }
}

impl Eq for HostRoot {}

/// What a directory entry is, as the directory itself says (d_type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Dir,
    File,
    Symlink,
    /// A fifo, socket or device.
    Special,
    /// The filesystem does not say.
    Unknown,
}

/// One entry of a directory under the host root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: OsString,
    pub kind: EntryKind,
}

/// How many symlinks one resolution may follow (the kernel's limit too).
const MAX_SYMLINKS: usize = 40;
/// How often openat2 is retried when a concurrent rename makes it answer EAGAIN.
const EAGAIN_RETRIES: usize = 8;
/// Set once openat2 answered ENOSYS: resolve by hand from then on.
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

impl HostRoot {
    /// The root at `root`; it is opened now, and an error to open it is
    /// every later operation's error.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let dir = nix::fcntl::open(
            &root,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        );
        HostRoot {
            root,
            dir: Arc::new(dir),
            live_proc: Arc::default(),
        }
    }

    /// The prefix itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the prefix is `/` (podnet runs directly on the node).
    pub fn is_slash(&self) -> bool {
        self.root == Path::new("/")
    }

    /// Where host path `abs` would be on podnet's filesystem, for messages
    /// only: open host paths with the methods below, which keep symlinks
    /// inside the root.
    pub fn join(&self, abs: impl AsRef<Path>) -> PathBuf {
        let rel = relative(abs.as_ref());
        if rel == Path::new(".") {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }

    /// `<root>/proc`, for messages.
    pub fn proc(&self) -> PathBuf {
        self.join("/proc")
    }

    /// `/proc/<pid>/<name>`, a host path.
    pub fn proc_file(&self, pid: i32, name: &str) -> PathBuf {
        let mut p = PathBuf::from("/proc");
        p.push(pid.to_string());
        p.push(name);
        p
    }

    fn dir_fd(&self) -> io::Result<BorrowedFd<'_>> {
        match self.dir.as_ref() {
            Ok(fd) => Ok(fd.as_fd()),
            Err(e) => Err(io::Error::from(*e)),
        }
    }

    /// Opens host path `abs` with `flags` (O_CLOEXEC is added), resolved
    /// inside the root. O_NOFOLLOW applies to the last component only, as
    /// with open(2).
    pub fn open(&self, abs: impl AsRef<Path>, flags: OFlag) -> io::Result<File> {
        let fd = resolve_in_root(
            self.dir_fd()?,
            relative(abs.as_ref()),
            flags | OFlag::O_CLOEXEC,
        )?;
        Ok(File::from(fd))
    }

    /// The metadata of host path `abs` (symlinks followed, inside the root).
    pub fn metadata(&self, abs: impl AsRef<Path>) -> io::Result<Metadata> {
        self.open(abs, OFlag::O_PATH)?.metadata()
    }

    /// The metadata of host path `abs` itself (a last symlink not followed).
    pub fn symlink_metadata(&self, abs: impl AsRef<Path>) -> io::Result<Metadata> {
        self.open(abs, OFlag::O_PATH | OFlag::O_NOFOLLOW)?
            .metadata()
    }

    /// Whether host path `abs` exists inside the root.
    pub fn exists(&self, abs: impl AsRef<Path>) -> bool {
        self.metadata(abs).is_ok()
    }

    /// Whether host path `abs` is a directory inside the root.
    pub fn is_dir(&self, abs: impl AsRef<Path>) -> bool {
        self.metadata(abs).is_ok_and(|m| m.is_dir())
    }

    /// The entries of directory `abs` (without `.` and `..`), unsorted.
    pub fn read_dir(&self, abs: impl AsRef<Path>) -> io::Result<Vec<DirEntry>> {
        let dir = self.open(
            abs,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NONBLOCK,
        )?;
        let mut d = nix::dir::Dir::from_fd(OwnedFd::from(dir)).map_err(io::Error::from)?;
        let mut out = Vec::new();
        for entry in d.iter() {
            let entry = entry.map_err(io::Error::from)?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            if name == "." || name == ".." {
                continue;
            }
            use nix::dir::Type;
            let kind = match entry.file_type() {
                Some(Type::Directory) => EntryKind::Dir,
                Some(Type::File) => EntryKind::File,
                Some(Type::Symlink) => EntryKind::Symlink,
                Some(_) => EntryKind::Special,
                None => EntryKind::Unknown,
            };
            out.push(DirEntry {
                name: name.to_os_string(),
                kind,
            });
        }
        Ok(out)
    }

    /// The target of symlink `abs` (its directory resolved inside the root).
    /// Works on magic links too: `/proc/<pid>/ns/net` reads `net:[N]`.
    pub fn read_link(&self, abs: impl AsRef<Path>) -> io::Result<OsString> {
        let (parent, name) = self.parent_of(abs.as_ref())?;
        readlinkat(&parent, name.as_os_str()).map_err(io::Error::from)
    }

    /// Opens a namespace file to enter it: a bind mount (`/run/netns/x`,
    /// resolved inside the root) or a procfs magic link
    /// (`/proc/<pid>/ns/net`, `/proc/<pid>/fd/N`, followed to the namespace
    /// it names, but only where procfs serves it: the same link in a plain
    /// directory is resolved inside the root). Anything but an nsfs file is
    /// refused, and nothing else is ever opened for reading, so a link to a
    /// device or a fifo does no harm.
    pub fn open_namespace(&self, abs: impl AsRef<Path>) -> io::Result<File> {
        let abs = abs.as_ref();
        if let (Some(rel), Some(proc)) = (proc_ns_net(abs), self.live_proc()) {
            // a live procfs's `<pid>/ns/net` is a namespace, always: one openat
            let f = openat(proc, rel, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())
                .map(File::from)
                .map_err(io::Error::from)?;
            return if fstatfs(&f).is_ok_and(|s| s.filesystem_type() == NSFS_MAGIC) {
                Ok(f)
            } else {
                Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "not a namespace file",
                ))
            };
        }
        let path_fd = if !abs.starts_with("/proc") {
            // a bind mount (`/run/netns/x`): an ordinary path, resolved inside the root
            OwnedFd::from(self.open(abs, OFlag::O_PATH)?)
        } else if let (parent, name) = self.parent_of(abs)?
            && fstatfs(&parent).is_ok_and(|s| s.filesystem_type() == PROC_SUPER_MAGIC)
        {
            // the last component is a procfs entry: following it is the
            // kernel's jump to the object, not a path walk
            openat(
                &parent,
                name.as_os_str(),
                OFlag::O_PATH | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(io::Error::from)?
        } else {
            OwnedFd::from(self.open(abs, OFlag::O_PATH)?)
        };
        let is_nsfs = fstatfs(&path_fd)
            .map_err(io::Error::from)?
            .filesystem_type()
            == NSFS_MAGIC;
        if !is_nsfs {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a namespace file",
            ));
        }
        reopen(&path_fd, OFlag::O_RDONLY)
    }

    /// `<root>/proc` when it is a live procfs, opened on first use.
    fn live_proc(&self) -> Option<BorrowedFd<'_>> {
        self.live_proc
            .get_or_init(|| {
                let dir = self
                    .open("/proc", OFlag::O_PATH | OFlag::O_DIRECTORY)
                    .ok()?;
                let live = fstatfs(&dir).is_ok_and(|s| s.filesystem_type() == PROC_SUPER_MAGIC);
                live.then(|| OwnedFd::from(dir))
            })
            .as_ref()
            .map(|fd| fd.as_fd())
    }

    /// Opens `/proc/<pid>/<name>` for reading, if `<root>/proc` is a live
    /// procfs (`None` otherwise: read it as any host file then). On procfs
    /// the walk from its root is safe without confinement — a pid directory
    /// and its files are the kernel's, never a symlink or a fifo (the last
    /// component is opened with O_NOFOLLOW all the same) — so this costs
    /// one openat instead of a confined O_PATH open, a check and a reopen:
    /// a sixth of a node scan's syscalls at a thousand processes.
    pub fn open_proc_file(&self, pid: i32, name: &str) -> Option<io::Result<File>> {
        let proc = self.live_proc()?;
        let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
        Some(
            openat(proc, format!("{pid}/{name}").as_str(), flags, Mode::empty())
                .map(File::from)
                .map_err(io::Error::from),
        )
    }

    /// The target of the magic link `/proc/<pid>/<name>` (`ns/net` reads
    /// `net:[N]`): one readlinkat from a live procfs's root, or
    /// [`HostRoot::read_link`] on any other tree.
    pub fn read_proc_link(&self, pid: i32, name: &str) -> io::Result<OsString> {
        match self.live_proc() {
            Some(proc) => {
                readlinkat(proc, format!("{pid}/{name}").as_str()).map_err(io::Error::from)
            }
            None => self.read_link(self.proc_file(pid, name)),
        }
    }

    /// Whether `<root>/proc` is a mounted procfs (false for a fixture tree):
    /// only then can namespaces be entered and privileges matter.
    pub fn is_live_procfs(&self) -> bool {
        self.live_proc().is_some()
    }

    /// The directory of `abs`, open inside the root, and its last component.
    fn parent_of(&self, abs: &Path) -> io::Result<(File, OsString)> {
        let rel = relative(abs);
        let name = match rel.components().next_back() {
            Some(Component::Normal(n)) => n.to_os_string(),
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} names no file in a directory", abs.display()),
                ));
            }
        };
        let parent = rel.parent().filter(|p| !p.as_os_str().is_empty());
        let dir = self.open(
            parent.unwrap_or(Path::new(".")),
            OFlag::O_PATH | OFlag::O_DIRECTORY,
        )?;
        Ok((dir, name))
    }
}

/// Opens again, with `flags`, the object an O_PATH descriptor refers to
/// (through the descriptor's own /proc link: no path is walked again).
pub fn reopen(path_fd: &impl AsRawFd, flags: OFlag) -> io::Result<File> {
    let link = format!("/proc/self/fd/{}", path_fd.as_raw_fd());
    nix::fcntl::open(link.as_str(), flags | OFlag::O_CLOEXEC, Mode::empty())
        .map(File::from)
        .map_err(io::Error::from)
}

/// `<pid>/ns/net` of a host path `/proc/<pid>/ns/net`, relative to /proc.
fn proc_ns_net(abs: &Path) -> Option<&Path> {
    let rel = abs.strip_prefix("/proc").ok()?;
    let mut parts = rel.components();
    let pid = match parts.next()? {
        Component::Normal(p) => p.to_str()?,
        _ => return None,
    };
    let is_pid = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    (is_pid && parts.as_path() == Path::new("ns/net")).then_some(rel)
}

/// `abs` without its leading `/` (`.` for the root itself).
fn relative(abs: &Path) -> &Path {
    let rel = abs.strip_prefix("/").unwrap_or(abs);
    if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    }
}

/// Resolves `rel` with `dir` as the root directory and opens it with `flags`.
fn resolve_in_root(dir: BorrowedFd<'_>, rel: &Path, flags: OFlag) -> io::Result<OwnedFd> {
    if !NO_OPENAT2.load(Ordering::Relaxed) {
        let how = OpenHow::new()
            .flags(flags)
            .resolve(ResolveFlag::RESOLVE_IN_ROOT);
        for _ in 0..EAGAIN_RETRIES {
            match openat2(dir, rel, how) {
                Err(Errno::EAGAIN) => continue,
                Err(Errno::ENOSYS) => {
                    NO_OPENAT2.store(true, Ordering::Relaxed);
                    break;
                }
                r => return r.map_err(io::Error::from),
            }
        }
        if !NO_OPENAT2.load(Ordering::Relaxed) {
            return Err(io::Error::from(Errno::EAGAIN));
        }
    }
    resolve_by_hand(dir, rel, flags)
}

/// What openat2's `RESOLVE_IN_ROOT` does, for kernels without openat2: one
/// component at a time, each opened with O_NOFOLLOW relative to the
/// directory before it; a symlink's target replaces it (an absolute one
/// starting again at `dir`), and `..` never climbs above `dir`. Magic links
/// are read as text, so they resolve to nothing.
pub fn resolve_by_hand(dir: BorrowedFd<'_>, rel: &Path, flags: OFlag) -> io::Result<OwnedFd> {
    let follow_last = !flags.contains(OFlag::O_NOFOLLOW);
    // components still to walk, the next one last
    let mut todo: Vec<OsString> = components(rel.as_os_str());
    todo.reverse();
    // the directories walked below `dir`, innermost last
    let mut walked: Vec<OwnedFd> = Vec::new();
    let mut links = 0;
    while let Some(name) = todo.pop() {
        if name == ".." {
            walked.pop();
            continue;
        }
        let at = walked.last().map(|d| d.as_fd()).unwrap_or(dir);
        let last = todo.is_empty();
        let fd = openat(
            at,
            name.as_os_str(),
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(io::Error::from)?;
        let kind =
            SFlag::from_bits_truncate(fstat(&fd).map_err(io::Error::from)?.st_mode) & SFlag::S_IFMT;
        if kind == SFlag::S_IFLNK && (follow_last || !last) {
            links += 1;
            if links > MAX_SYMLINKS {
                return Err(io::Error::from(Errno::ELOOP));
            }
            let target = readlinkat(&fd, "").map_err(io::Error::from)?;
            if target.as_bytes().starts_with(b"/") {
                walked.clear();
            }
            let mut more = components(&target);
            more.reverse();
            todo.extend(more);
            continue;
        }
        if last {
            // O_NOFOLLOW: a symlink swapped in meanwhile fails, never escapes
            return openat(
                at,
                name.as_os_str(),
                flags | OFlag::O_NOFOLLOW,
                Mode::empty(),
            )
            .map_err(io::Error::from);
        }
        if kind != SFlag::S_IFDIR {
            return Err(io::Error::from(Errno::ENOTDIR));
        }
        walked.push(fd);
    }
    // the path ends in a directory (`.`, `..`, or the root itself)
    let at = walked.last().map(|d| d.as_fd()).unwrap_or(dir);
    openat(at, ".", flags, Mode::empty()).map_err(io::Error::from)
}

/// The `/`-separated components of a path, without empty ones and `.`.
fn components(p: &OsStr) -> Vec<OsString> {
    p.as_bytes()
        .split(|b| *b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .map(|c| OsStr::from_bytes(c).to_os_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn joins_host_paths_under_the_prefix_for_messages() {
        let r = HostRoot::new("/host");
        assert_eq!(r.join("/run/netns/x"), PathBuf::from("/host/run/netns/x"));
        assert_eq!(r.join("/"), PathBuf::from("/host"));
        assert_eq!(r.proc_file(42, "ns/net"), PathBuf::from("/proc/42/ns/net"));
        let slash = HostRoot::new("/");
        assert!(slash.is_slash());
        assert_eq!(slash.join("/proc"), PathBuf::from("/proc"));
    }

    #[test]
    fn the_proc_fast_path_is_taken_only_on_a_live_procfs() {
        assert_eq!(
            proc_ns_net(Path::new("/proc/42/ns/net")),
            Some(Path::new("42/ns/net"))
        );
        for p in [
            "/proc/self/ns/net",
            "/proc/42/ns/mnt",
            "/proc/42/fd/3",
            "/run/netns/x",
        ] {
            assert_eq!(proc_ns_net(Path::new(p)), None, "{p}");
        }
        // the live /proc: the fast path agrees with a plain read
        let live = HostRoot::new("/");
        let me = std::process::id() as i32;
        let mut stat = String::new();
        std::io::Read::read_to_string(
            &mut live.open_proc_file(me, "stat").unwrap().unwrap(),
            &mut stat,
        )
        .unwrap();
        assert!(stat.starts_with(&format!("{me} (")), "{stat}");
        assert_eq!(
            live.read_proc_link(me, "ns/net").unwrap(),
            std::fs::read_link("/proc/self/ns/net")
                .unwrap()
                .into_os_string()
        );
        // a fixture tree: no fast path, and its proc links are plain links
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("proc/7/ns")).unwrap();
        symlink("net:[123]", dir.path().join("proc/7/ns/net")).unwrap();
        let fixture = HostRoot::new(dir.path());
        assert!(fixture.open_proc_file(7, "stat").is_none());
        assert_eq!(fixture.read_proc_link(7, "ns/net").unwrap(), "net:[123]");
    }

    /// A root with escaping links (absolute, relative, through `..` and
    /// through a chain), an in-root absolute link, and a decoy outside.
    fn hostile_tree() -> (tempfile::TempDir, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("root");
        std::fs::create_dir_all(root.join("data/cni/results")).unwrap();
        std::fs::create_dir_all(root.join("var/lib")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("data/cni/results/inside"), "in").unwrap();
        std::fs::write(root.join("etc/passwd"), "root's own").unwrap();
        std::fs::create_dir_all(t.path().join("outside")).unwrap();
        std::fs::write(t.path().join("outside/decoy"), "out").unwrap();
        let outside = t.path().join("outside");
        symlink("/data/cni", root.join("var/lib/cni")).unwrap();
        symlink(&outside, root.join("abs-escape")).unwrap();
        symlink("../outside", root.join("rel-escape")).unwrap();
        symlink(
            "../../../../../../../../../etc/passwd",
            root.join("deep-dots"),
        )
        .unwrap();
        symlink("abs-escape", root.join("chain")).unwrap();
        symlink("loop", root.join("loop")).unwrap();
        (t, root)
    }

    fn read_both(root: &Path, rel: &str) -> (io::Result<String>, io::Result<String>) {
        let dir =
            nix::fcntl::open(root, OFlag::O_PATH | OFlag::O_DIRECTORY, Mode::empty()).unwrap();
        let read =
            |fd: io::Result<OwnedFd>| fd.and_then(|fd| std::io::read_to_string(File::from(fd)));
        let how = OpenHow::new()
            .flags(OFlag::O_RDONLY | OFlag::O_CLOEXEC)
            .resolve(ResolveFlag::RESOLVE_IN_ROOT);
        let kernel = read(openat2(&dir, Path::new(rel), how).map_err(io::Error::from));
        let by_hand = read(resolve_by_hand(
            dir.as_fd(),
            Path::new(rel),
            OFlag::O_RDONLY,
        ));
        (kernel, by_hand)
    }

    #[test]
    fn links_resolve_inside_the_root_with_openat2_and_by_hand_alike() {
        let (_t, root) = hostile_tree();
        for (rel, want) in [
            ("var/lib/cni/results/inside", Some("in")),
            ("data/cni/results/../results/inside", Some("in")),
            ("../../../../etc/passwd", Some("root's own")),
            ("deep-dots", Some("root's own")),
            ("abs-escape/decoy", None),
            ("rel-escape/decoy", None),
            ("chain/decoy", None),
            ("loop", None),
        ] {
            let (kernel, by_hand) = read_both(&root, rel);
            assert_eq!(kernel.as_deref().ok(), want, "openat2 {rel}: {kernel:?}");
            assert_eq!(by_hand.as_deref().ok(), want, "by hand {rel}: {by_hand:?}");
        }
    }

    #[test]
    fn by_hand_walks_procfs_links_but_not_magic_links() {
        let slash =
            nix::fcntl::open("/", OFlag::O_PATH | OFlag::O_DIRECTORY, Mode::empty()).unwrap();
        let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        // /proc/self is a plain symlink ("<pid>"): followed
        let ns = resolve_by_hand(slash.as_fd(), Path::new("proc/self/ns"), flags).unwrap();
        assert!(
            readlinkat(&ns, "net")
                .unwrap()
                .to_string_lossy()
                .starts_with("net:[")
        );
        // /proc/self/ns/net is a magic link: never followed by a path walk
        assert!(
            resolve_by_hand(
                slash.as_fd(),
                Path::new("proc/self/ns/net"),
                OFlag::O_RDONLY
            )
            .is_err()
        );
    }

    #[test]
    fn the_host_root_lists_stats_and_reads_links_inside_itself() {
        let (_t, root) = hostile_tree();
        let r = HostRoot::new(&root);
        let mut names: Vec<OsString> = r
            .read_dir("/var/lib/cni/results")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        names.sort();
        assert_eq!(names, vec![OsString::from("inside")]);
        assert!(r.read_dir("/abs-escape").is_err());
        assert!(r.is_dir("/var/lib/cni"));
        assert!(!r.exists("/rel-escape/decoy"));
        assert!(
            r.symlink_metadata("/rel-escape")
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            r.read_link("/var/lib/cni").unwrap(),
            OsString::from("/data/cni")
        );
        assert!(!r.is_live_procfs());
        let gone = HostRoot::new(root.join("missing"));
        assert!(gone.read_dir("/").is_err());
    }

    #[test]
    fn namespace_files_open_through_procfs_and_nothing_else_does() {
        let live = HostRoot::new("/");
        assert!(live.is_live_procfs());
        // the magic link of a live procfs is followed to the namespace
        let ns = live.open_namespace("/proc/self/ns/net").unwrap();
        assert_eq!(
            fstatfs(&ns).unwrap().filesystem_type(),
            NSFS_MAGIC,
            "an nsfs file"
        );
        assert!(
            live.read_link("/proc/self/ns/net")
                .unwrap()
                .to_string_lossy()
                .starts_with("net:[")
        );
        // a regular file, a device and a fifo are refused, none opened for reading
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("plain"), "x").unwrap();
        nix::unistd::mkfifo(&t.path().join("fifo"), Mode::from_bits_truncate(0o600)).unwrap();
        symlink("/dev/zero", t.path().join("zero")).unwrap();
        let fixture = HostRoot::new(t.path());
        for f in ["/plain", "/fifo", "/zero"] {
            assert!(fixture.open_namespace(f).is_err(), "{f}");
        }
        assert!(live.open_namespace("/dev/zero").is_err());
    }
}
