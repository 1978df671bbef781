//! Reading files and directories under the host root (file I/O).

use std::io;

use super::root::HostRoot;

/// A file read under the host root: its path as the host sees it, and its bytes.
#[derive(Debug)]
pub struct ReadFile {
    pub path: String,
    pub data: io::Result<Vec<u8>>,
}

/// Reads a whole file given by its host path.
pub fn read(root: &HostRoot, abs: &str) -> io::Result<Vec<u8>> {
    std::fs::read(root.join(abs))
}

/// Reads a whole text file given by its host path.
pub fn read_to_string(root: &HostRoot, abs: &str) -> io::Result<String> {
    std::fs::read_to_string(root.join(abs))
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
