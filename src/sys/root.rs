//! The host root: the prefix under which every host path is read
//! (`/` on the node, `/host` in a DaemonSet, a fixture tree in tests).
//! Only `is_live_procfs` does I/O (one statfs).

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRoot {
    root: PathBuf,
}

impl HostRoot {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        HostRoot { root: root.into() }
    }

    /// The prefix itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the prefix is `/` (podnet runs directly on the node).
    pub fn is_slash(&self) -> bool {
        self.root == Path::new("/")
    }

    /// The real path of `abs`, a path as the host sees it.
    pub fn join(&self, abs: impl AsRef<Path>) -> PathBuf {
        let abs = abs.as_ref();
        let rel = abs.strip_prefix("/").unwrap_or(abs);
        if rel.as_os_str().is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }

    /// `<root>/proc`.
    pub fn proc(&self) -> PathBuf {
        self.join("/proc")
    }

    /// `<root>/proc/<pid>/<name>`.
    pub fn proc_file(&self, pid: i32, name: &str) -> PathBuf {
        let mut p = self.proc();
        p.push(pid.to_string());
        p.push(name);
        p
    }

    /// Whether `<root>/proc` is a mounted procfs (false for a fixture tree):
    /// only then can namespaces be entered and privileges matter.
    pub fn is_live_procfs(&self) -> bool {
        const PROC_SUPER_MAGIC: i64 = 0x9fa0;
        match nix::sys::statfs::statfs(&self.proc()) {
            Ok(st) => st.filesystem_type().0 == PROC_SUPER_MAGIC,
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_host_paths_under_the_prefix() {
        let r = HostRoot::new("/host");
        assert_eq!(r.join("/run/netns/x"), PathBuf::from("/host/run/netns/x"));
        assert_eq!(r.join("/"), PathBuf::from("/host"));
        assert_eq!(
            r.proc_file(42, "ns/net"),
            PathBuf::from("/host/proc/42/ns/net")
        );
        let slash = HostRoot::new("/");
        assert!(slash.is_slash());
        assert_eq!(slash.join("/proc"), PathBuf::from("/proc"));
    }
}
