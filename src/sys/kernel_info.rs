//! What the running kernel provides and how the machine booted: loaded
//! modules, /sys/module, the kernel config (/proc/config.gz), PID 1, container
//! marker files, and `uname -r`. File reads under the host root.

use std::io::Read;

use super::root::HostRoot;

/// `uname -r`.
pub fn release() -> String {
    nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Names in /proc/modules (empty on a kernel without module support).
pub fn loaded_modules(root: &HostRoot) -> Vec<String> {
    std::fs::read_to_string(root.join("/proc/modules"))
        .map(|s| {
            s.lines()
                .filter_map(|l| l.split_whitespace().next().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether /sys/module/<name> exists (loaded, or built in with parameters).
pub fn sys_module(root: &HostRoot, name: &str) -> bool {
    root.join(format!("/sys/module/{name}")).is_dir()
}

/// The kernel's build configuration from /proc/config.gz, if it has one.
pub fn kernel_config(root: &HostRoot) -> Option<String> {
    let f = std::fs::File::open(root.join("/proc/config.gz")).ok()?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(f)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// A small file under the host root, trimmed.
pub fn read_trimmed(root: &HostRoot, abs: &str) -> Option<String> {
    std::fs::read_to_string(root.join(abs))
        .ok()
        .map(|s| s.trim().to_string())
}

/// Whether a path exists under the host root.
pub fn exists(root: &HostRoot, abs: &str) -> bool {
    root.join(abs).exists()
}
