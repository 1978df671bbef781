//! What the running kernel provides and how the machine booted: loaded
//! modules, /sys/module, the kernel config (/proc/config.gz), PID 1, container
//! marker files, and `uname -r`. Bounded file reads under the host root.

use std::io::Read;

use super::files;
use super::root::HostRoot;

/// The most podnet reads of /proc/modules.
const MODULES_BYTES: u64 = 4 << 20;
/// The most podnet reads of /proc/config.gz, and of the text it unpacks to
/// (about 100 KB and 300 KB on stock kernels).
const CONFIG_GZ_BYTES: u64 = 4 << 20;
const CONFIG_TEXT_BYTES: u64 = 16 << 20;
/// The most [`read_trimmed`] reads (small /proc files, runtime config files).
pub const SMALL_FILE_BYTES: u64 = 4 << 20;

/// `uname -r`.
pub fn release() -> String {
    nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Names in /proc/modules (empty on a kernel without module support).
pub fn loaded_modules(root: &HostRoot) -> Vec<String> {
    files::read(root, "/proc/modules", MODULES_BYTES)
        .map(|b| {
            String::from_utf8_lossy(&b)
                .lines()
                .filter_map(|l| l.split_whitespace().next().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether /sys/module/<name> exists (loaded, or built in with parameters).
pub fn sys_module(root: &HostRoot, name: &str) -> bool {
    !name.contains('/') && root.is_dir(format!("/sys/module/{name}"))
}

/// The kernel's build configuration from /proc/config.gz, if it has one
/// (and it unpacks to at most 16 MiB of text).
pub fn kernel_config(root: &HostRoot) -> Option<String> {
    let gz = files::read(root, "/proc/config.gz", CONFIG_GZ_BYTES).ok()?;
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .take(CONFIG_TEXT_BYTES + 1)
        .read_to_end(&mut text)
        .ok()?;
    if text.len() as u64 > CONFIG_TEXT_BYTES {
        return None;
    }
    String::from_utf8(text).ok()
}

/// A small file under the host root (at most [`SMALL_FILE_BYTES`]),
/// trimmed; bytes that are not UTF-8 are replaced.
pub fn read_trimmed(root: &HostRoot, abs: &str) -> Option<String> {
    files::read(root, abs, SMALL_FILE_BYTES)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
}

/// Whether a path exists under the host root.
pub fn exists(root: &HostRoot, abs: &str) -> bool {
    root.exists(abs)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn a_kernel_config_that_unpacks_to_too_much_is_not_read() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join("proc")).unwrap();
        let gz = |text: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(text).unwrap();
            e.finish().unwrap()
        };
        let root = HostRoot::new(t.path());
        std::fs::write(t.path().join("proc/config.gz"), gz(b"CONFIG_VXLAN=m\n")).unwrap();
        assert_eq!(kernel_config(&root).as_deref(), Some("CONFIG_VXLAN=m\n"));
        // a gzip bomb: 17 MiB of zeros in a few KB
        let bomb = gz(&vec![b'0'; (CONFIG_TEXT_BYTES + (1 << 20)) as usize]);
        assert!((bomb.len() as u64) < CONFIG_GZ_BYTES);
        std::fs::write(t.path().join("proc/config.gz"), bomb).unwrap();
        assert_eq!(kernel_config(&root), None);
    }
}
