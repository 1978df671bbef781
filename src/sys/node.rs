//! Facts about the node itself that need a syscall (hostname).

/// The node's hostname (`uname -n`), the default Kubernetes node name.
pub fn hostname() -> Option<String> {
    nix::unistd::gethostname().ok()?.into_string().ok()
}
