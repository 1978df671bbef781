//! The only layer that touches the kernel or the filesystem: syscalls,
//! netlink, ioctls and file reads under the host root. Synchronous
//! interfaces throughout; `unsafe` lives only here.

pub mod bpf;
pub mod btf_file;
pub mod caps;
pub mod ethtool;
pub mod exec;
pub mod files;
pub mod io_context;
pub mod kernel_info;
pub mod kube;
pub mod netfilter_read;
pub mod netlink;
pub mod netns;
pub mod node;
pub mod parallel;
pub mod pause;
pub mod proc_scan;
pub mod root;
pub mod runtime_files;
pub mod signals;
pub mod sockprobe;
pub mod tracefs;

pub use root::HostRoot;

// The CNI plugin and the plumbing kit: kernel and file I/O they need.
pub mod cni_exec;
pub mod drop_probe;
pub mod firewall;
pub mod lockfile;
pub mod mounts;
pub mod netns_create;
pub mod netns_run;
pub mod pause_procs;
pub mod random;
pub mod rtnl;
pub mod sandbox;
pub mod sysctl;
pub mod term;

/// Whether an I/O error means the object went away while we looked
/// (a process exited, a namespace or file was deleted).
pub fn is_vanished(err: &std::io::Error) -> bool {
    matches!(
        io_context::errno(err),
        Some(libc::ENOENT) | Some(libc::ESRCH) | Some(libc::ENOTDIR)
    ) || err.kind() == std::io::ErrorKind::NotFound
}

/// Whether an I/O error is a permission problem.
pub fn is_denied(err: &std::io::Error) -> bool {
    matches!(
        io_context::errno(err),
        Some(libc::EPERM) | Some(libc::EACCES)
    )
}

// podnet lab: the in-process prober.
pub mod icmp;
