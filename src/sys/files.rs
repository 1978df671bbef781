//! Bounded reads of regular files, under the host root (resolved inside
//! it) or at a given path, and directory listings under the host root
//! (file I/O).

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use nix::fcntl::OFlag;

pub use super::root::EntryKind;
use super::root::HostRoot;

/// The largest file podnet reads whole by default (runtime JSON, CNI
/// configs and caches, /proc files): a bigger one is an error, never an
/// unbounded allocation.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// A file read under the host root: its path as the host sees it, and its bytes.
#[derive(Debug)]
pub struct ReadFile {
    pub path: String,
    pub data: io::Result<Vec<u8>>,
}

/// Reads a whole regular file given by its host path, resolved inside the
/// root, at most `cap` bytes (see [`read_capped`]).
pub fn read(root: &HostRoot, abs: impl AsRef<Path>, cap: u64) -> io::Result<Vec<u8>> {
    let f = root.open(abs, OFlag::O_PATH)?;
    read_regular(&f, cap)
}

/// Reads a whole regular text file given by its host path (see [`read`]).
pub fn read_to_string(root: &HostRoot, abs: impl AsRef<Path>, cap: u64) -> io::Result<String> {
    utf8(read(root, abs, cap)?)
}

/// Reads `/proc/<pid>/<name>` under the host root, at most `cap` bytes:
/// straight from a live procfs (see [`HostRoot::open_proc_file`]), or as
/// any host file (see [`read`]) on a fixture tree.
pub fn read_proc(root: &HostRoot, pid: i32, name: &str, cap: u64) -> io::Result<Vec<u8>> {
    match root.open_proc_file(pid, name) {
        Some(f) => read_limited(f?, cap, 0),
        None => read(root, root.proc_file(pid, name), cap),
    }
}

/// Reads a whole regular file of at most `cap` bytes. Anything else (a
/// fifo, a socket, a device, a directory) is an error, and is never opened
/// for reading: the path is opened with O_PATH (which opens nothing), and
/// only a regular file is then reopened to be read, non-blocking. A file
/// longer than `cap` is an error too, found without reading more than
/// `cap + 1` bytes (procfs files report a size of 0, so the size alone
/// cannot tell).
pub fn read_capped(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
        .open(path)?;
    read_regular(&f, cap)
}

/// Reads a whole regular text file of at most `cap` bytes (see [`read_capped`]).
pub fn read_capped_to_string(path: &Path, cap: u64) -> io::Result<String> {
    utf8(read_capped(path, cap)?)
}

/// Reads at most `cap` bytes from a stream (stdin, a pipe); more is an
/// error, found without buffering more than `cap + 1` bytes.
pub fn read_stream_capped(r: impl Read, cap: u64) -> io::Result<Vec<u8>> {
    read_limited(r, cap, 0)
}

/// Reads the regular file an O_PATH descriptor refers to.
fn read_regular(path_fd: &File, cap: u64) -> io::Result<Vec<u8>> {
    let md = path_fd.metadata()?;
    if !md.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "not a regular file ({})",
                FileKind::of(&md.file_type()).with_article()
            ),
        ));
    }
    if md.len() > cap {
        return Err(too_big(cap));
    }
    let f = super::root::reopen(
        path_fd,
        OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_NOCTTY,
    )?;
    read_limited(f, cap, md.len())
}

fn read_limited(r: impl Read, cap: u64, size_hint: u64) -> io::Result<Vec<u8>> {
    let hint = usize::try_from(size_hint.min(cap).min(1 << 20)).unwrap_or(0);
    let mut buf = Vec::with_capacity(hint);
    r.take(cap.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(too_big(cap));
    }
    Ok(buf)
}

fn too_big(cap: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("larger than {} bytes, the most podnet reads", cap),
    )
}

fn utf8(bytes: Vec<u8>) -> io::Result<String> {
    String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.utf8_error()))
}

/// What kind of file a path holds, for refusing what is not a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Regular,
    Directory,
    Fifo,
    Socket,
    Device,
    Special,
}

impl FileKind {
    pub fn of(t: &std::fs::FileType) -> FileKind {
        if t.is_file() {
            FileKind::Regular
        } else if t.is_dir() {
            FileKind::Directory
        } else if t.is_fifo() {
            FileKind::Fifo
        } else if t.is_socket() {
            FileKind::Socket
        } else if t.is_char_device() || t.is_block_device() {
            FileKind::Device
        } else {
            FileKind::Special
        }
    }

    /// The kind in words, with its article ("a fifo").
    pub fn with_article(self) -> &'static str {
        match self {
            FileKind::Regular => "a regular file",
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a fifo",
            FileKind::Socket => "a socket",
            FileKind::Device => "a device",
            FileKind::Special => "a special file",
        }
    }
}

/// An entry of a directory under the host root whose name is UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub kind: EntryKind,
}

/// The entries of a host directory (resolved inside the root) whose names
/// are UTF-8 (no runtime names others), sorted by name; a missing
/// directory is empty.
pub fn list_dir(root: &HostRoot, abs: &str) -> io::Result<Vec<Listed>> {
    let entries = match root.read_dir(abs) {
        Ok(e) => e,
        Err(e) if super::is_vanished(&e) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut named: Vec<Listed> = entries
        .into_iter()
        .filter_map(|e| {
            Some(Listed {
                name: e.name.into_string().ok()?,
                kind: e.kind,
            })
        })
        .collect();
    named.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(named)
}

/// Joins a host directory path and a name.
pub fn child(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Writes a file (not under the host root: a path the user gave), creating its directory.
pub fn write_creating_dirs(path: &std::path::Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_and_refuses_fifos_and_directories_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let root = HostRoot::new(dir.path());
        std::fs::write(dir.path().join("ok"), b"{}").unwrap();
        nix::unistd::mkfifo(
            &dir.path().join("fifo"),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("dir")).unwrap();
        assert_eq!(read(&root, "/ok", 2).unwrap(), b"{}");
        let fifo = read(&root, "/fifo", 2).unwrap_err();
        assert!(fifo.to_string().contains("fifo"), "{fifo}");
        let d = read(&root, "/dir", 2).unwrap_err();
        assert!(d.to_string().contains("directory"), "{d}");
        std::fs::write(dir.path().join("bin"), b"\xff\xfe").unwrap();
        assert!(read_to_string(&root, "/bin", 2).is_err());
    }

    #[test]
    fn refuses_files_and_streams_over_the_cap_without_reading_them_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        std::fs::write(&p, vec![b'x'; 100]).unwrap();
        assert_eq!(read_capped(&p, 100).unwrap().len(), 100);
        let e = read_capped(&p, 99).unwrap_err();
        assert!(e.to_string().contains("larger than 99 bytes"), "{e}");
        // /dev/zero is endless and a device: refused before any read
        let z = read_capped(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(z.to_string().contains("device"), "{z}");
        // procfs files say they are empty: the cap still holds, and they read whole
        let live = HostRoot::new("/");
        assert!(
            !read(&live, "/proc/self/status", 64 << 10)
                .unwrap()
                .is_empty()
        );
        assert!(read(&live, "/proc/self/status", 10).is_err());
        // an endless stream stops at the cap
        let s = read_stream_capped(std::io::repeat(b'a'), 1000).unwrap_err();
        assert!(s.to_string().contains("larger than 1000"), "{s}");
        assert_eq!(read_stream_capped(&b"abc"[..], 3).unwrap(), b"abc");
    }
}
