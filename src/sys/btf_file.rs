//! Reads the running kernel's BTF blob, /sys/kernel/btf/vmlinux, under the
//! host root (a bounded file read).

use std::io;

use super::files;
use super::root::HostRoot;

/// Where the kernel publishes its own type information.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The most podnet reads of it (about 5 MB on stock 6.x kernels).
pub const MAX_BTF_BYTES: u64 = 64 << 20;

/// The bytes of /sys/kernel/btf/vmlinux under the host root.
pub fn read_vmlinux(root: &HostRoot) -> Result<Vec<u8>, String> {
    files::read(root, VMLINUX_BTF, MAX_BTF_BYTES).map_err(|e| describe(&e))
}

fn describe(err: &io::Error) -> String {
    if err.kind() == io::ErrorKind::NotFound {
        format!("the kernel has no BTF ({VMLINUX_BTF}): CONFIG_DEBUG_INFO_BTF is off")
    } else {
        format!("cannot read {VMLINUX_BTF}: {err}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kernel_without_btf_says_so() {
        let t = tempfile::tempdir().unwrap();
        let err = read_vmlinux(&HostRoot::new(t.path())).unwrap_err();
        assert!(err.contains("CONFIG_DEBUG_INFO_BTF is off"), "{err}");
    }

    #[test]
    fn the_file_is_read_under_the_host_root() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("sys/kernel/btf")).unwrap();
        std::fs::write(t.path().join("sys/kernel/btf/vmlinux"), b"\x9f\xeb\x01\x00").unwrap();
        assert_eq!(
            read_vmlinux(&HostRoot::new(t.path())).unwrap(),
            b"\x9f\xeb\x01\x00"
        );
    }
}
