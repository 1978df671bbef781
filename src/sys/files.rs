//! Reading files and directories under the host root (file I/O).

use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};

use super::root::HostRoot;

/// A file read under the host root: its path as the host sees it, and its bytes.
#[derive(Debug)]
pub struct ReadFile {
    pub path: String,
    pub data: io::Result<Vec<u8>>,
}

/// Reads a whole regular file given by its host path. Anything else (a
/// fifo, a socket, a device, a directory) is an error, never a blocking
/// open: the file is opened with O_NONBLOCK and checked before reading.
pub fn read(root: &HostRoot, abs: &str) -> io::Result<Vec<u8>> {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(root.join(abs))?;
    let md = f.metadata()?;
    if !md.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file (a {})", file_kind(&md.file_type())),
        ));
    }
    let mut buf = Vec::with_capacity(usize::try_from(md.len()).unwrap_or(0).min(1 << 20));
    f.read_to_end(&mut buf)?;
    Ok(buf)
}

/// Reads a whole regular text file given by its host path (see [`read`]).
pub fn read_to_string(root: &HostRoot, abs: &str) -> io::Result<String> {
    String::from_utf8(read(root, abs)?)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.utf8_error()))
}

fn file_kind(t: &std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "directory"
    } else if t.is_fifo() {
        "fifo"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() || t.is_block_device() {
        "device"
    } else {
        "special file"
    }
}

/// Names in a directory, sorted; a missing directory is empty.
pub fn list_dir(root: &HostRoot, abs: &str) -> io::Result<Vec<String>> {
    let rd = match std::fs::read_dir(root.join(abs)) {
        Ok(rd) => rd,
        Err(e) if super::is_vanished(&e) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for entry in rd {
        let entry = entry?;
        if let Some(name) = entry.file_name().to_str() {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
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
        assert_eq!(read(&root, "/ok").unwrap(), b"{}");
        let fifo = read(&root, "/fifo").unwrap_err();
        assert!(fifo.to_string().contains("fifo"), "{fifo}");
        let d = read(&root, "/dir").unwrap_err();
        assert!(d.to_string().contains("directory"), "{d}");
        std::fs::write(dir.path().join("bin"), b"\xff\xfe").unwrap();
        assert!(read_to_string(&root, "/bin").is_err());
    }
}
