//! Running CNI plugin binaries (process I/O): finding a plugin in the CNI
//! bin directories (and telling whether it is this very program), and
//! executing it with the CNI environment and the network configuration on
//! stdin, as libcni does. Call from a thread in
//! the node's network namespace (the child inherits it).

use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The default CNI bin directories searched (containerd's, then Debian's).
pub const DEFAULT_BIN_DIRS: &[&str] = &["/opt/cni/bin", "/usr/lib/cni"];

/// One plugin execution.
#[derive(Debug, Clone)]
pub struct PluginRun {
    pub binary: PathBuf,
    pub command: String,
    pub container_id: String,
    pub netns: String,
    pub ifname: String,
    pub args: String,
    /// CNI_PATH.
    pub path: String,
    pub stdin: Vec<u8>,
    /// Extra variables (e.g. PODNET_CNI_EXPLAIN).
    pub extra_env: Vec<(String, String)>,
    /// Pass the plugin's stderr through (else it is captured in the output).
    pub inherit_stderr: bool,
}

/// The first executable regular file `name` in `dirs`.
pub fn find(name: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    if name.is_empty() || name.contains('/') {
        return None;
    }
    dirs.iter().map(|d| d.join(name)).find(|p| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// Whether `binary` is the very program running now (the same file as
/// `/proc/self/exe`, by device and inode, whatever links lead to it).
pub fn is_this_program(binary: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let id = |p: &Path| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
    match (id(binary), id(Path::new("/proc/self/exe"))) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Runs the plugin; stdout (and stderr unless inherited) is captured.
pub fn run(r: &PluginRun) -> io::Result<Output> {
    let mut cmd = Command::new(&r.binary);
    for (k, _) in std::env::vars_os() {
        if k.to_str().is_some_and(|k| k.starts_with("CNI_")) {
            cmd.env_remove(k);
        }
    }
    cmd.env("CNI_COMMAND", &r.command)
        .env("CNI_PATH", &r.path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(if r.inherit_stderr {
            Stdio::inherit()
        } else {
            Stdio::piped()
        });
    for (k, v) in [
        ("CNI_CONTAINERID", &r.container_id),
        ("CNI_NETNS", &r.netns),
        ("CNI_IFNAME", &r.ifname),
        ("CNI_ARGS", &r.args),
    ] {
        if !v.is_empty() {
            cmd.env(k, v);
        }
    }
    for (k, v) in &r.extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("run {}: {e}", r.binary.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        // a plugin that exits without reading its stdin is not an error here
        let _ = stdin.write_all(&r.stdin);
    }
    child.wait_with_output()
}

/// `dirs` joined with ':' for CNI_PATH.
pub fn path_string(dirs: &[PathBuf]) -> String {
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// Whether `p` is an existing directory.
pub fn is_dir(p: &Path) -> bool {
    p.is_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_itself_through_links() {
        let me = std::fs::read_link("/proc/self/exe").unwrap();
        assert!(is_this_program(&me));
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("alias");
        std::os::unix::fs::symlink(&me, &link).unwrap();
        assert!(is_this_program(&link));
        let copy = dir.path().join("copy");
        std::fs::write(&copy, b"#!/bin/sh\n").unwrap();
        assert!(!is_this_program(&copy));
        assert!(!is_this_program(&dir.path().join("missing")));
    }
}
