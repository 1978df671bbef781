//! Running CNI plugin binaries (process I/O): finding a plugin in the CNI
//! bin directories (and telling whether it is this very program), and
//! executing it with the CNI environment and the network configuration on
//! stdin, as libcni does. Call from a thread in
//! the node's network namespace (the child inherits it).

use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::files::read_stream_capped;

/// The most a plugin may write on stdout (its result) or stderr.
pub const MAX_PLUGIN_OUTPUT: u64 = 4 << 20;

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
    // both pipes are drained while the plugin runs, each up to a bound: a
    // plugin that writes without end gets EPIPE once the bound is passed,
    // and its answer is an error, never unbounded memory
    let drain = |pipe: Option<Box<dyn io::Read + Send>>| {
        std::thread::spawn(move || match pipe {
            Some(p) => read_stream_capped(p, MAX_PLUGIN_OUTPUT),
            None => Ok(Vec::new()),
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    if let Some(mut stdin) = child.stdin.take() {
        // a plugin that exits without reading its stdin is not an error here
        let _ = stdin.write_all(&r.stdin);
    }
    let joined = |t: std::thread::JoinHandle<io::Result<Vec<u8>>>| {
        t.join()
            .unwrap_or_else(|_| Err(io::Error::other("the pipe reader panicked")))
    };
    let (stdout, stderr) = (joined(stdout), joined(stderr));
    if stdout.is_err() || stderr.is_err() {
        let _ = child.kill();
    }
    let status = child.wait()?;
    let what = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", r.binary.display()));
    Ok(Output {
        status,
        stdout: stdout.map_err(what)?,
        stderr: stderr.map_err(what)?,
    })
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

    fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    fn plugin_run(binary: PathBuf) -> PluginRun {
        PluginRun {
            binary,
            command: "VERSION".into(),
            container_id: String::new(),
            netns: String::new(),
            ifname: String::new(),
            args: String::new(),
            path: String::new(),
            stdin: br#"{"cniVersion":"1.0.0"}"#.to_vec(),
            extra_env: Vec::new(),
            inherit_stderr: false,
        }
    }

    #[test]
    fn a_plugin_that_writes_without_end_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let ok = run(&plugin_run(script(dir.path(), "ok", "cat; echo warn >&2"))).unwrap();
        assert_eq!(ok.stdout, br#"{"cniVersion":"1.0.0"}"#);
        assert_eq!(ok.stderr, b"warn\n");
        let endless = run(&plugin_run(script(dir.path(), "endless", "exec yes"))).unwrap_err();
        assert!(endless.to_string().contains("larger than"), "{endless}");
        let noisy = script(dir.path(), "noisy", "yes >&2");
        assert!(run(&plugin_run(noisy)).is_err());
    }
}
