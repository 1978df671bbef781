//! Reads and writes sysctls under /proc/sys (file I/O). Network sysctls
//! belong to the network namespace of the calling *thread*, so call these
//! on a thread inside the namespace (see `sys::rtnl::NetnsWorker`). Keys
//! use `/` separators (`net/ipv4/conf/eth0.5/rp_filter`), so interface
//! names may hold dots.

use std::io;
use std::path::PathBuf;

/// The file of a key; a key with `..` or an absolute path is refused.
pub fn path(key: &str) -> io::Result<PathBuf> {
    let key = key.trim_start_matches('/');
    if key.is_empty() || key.split('/').any(|c| c == ".." || c == ".") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid sysctl key {key:?}"),
        ));
    }
    Ok(PathBuf::from("/proc/sys").join(key))
}

/// The most podnet reads of one sysctl (the longest real values, such as
/// `net/ipv4/tcp_available_congestion_control`, are under 1 KB).
const VALUE_BYTES: u64 = 64 << 10;

/// The value, trimmed.
pub fn read(key: &str) -> io::Result<String> {
    let p = path(key)?;
    super::files::read_capped_to_string(&p, VALUE_BYTES)
        .map(|s| s.trim().to_string())
        .map_err(|e| io::Error::new(e.kind(), format!("read {}: {e}", p.display())))
}

/// Writes `value` unless the key already holds it; `Ok(true)` if written.
pub fn write(key: &str, value: &str) -> io::Result<bool> {
    let p = path(key)?;
    if let Ok(cur) = super::files::read_capped_to_string(&p, VALUE_BYTES)
        && cur.trim() == value
    {
        return Ok(false);
    }
    std::fs::write(&p, value)
        .map_err(|e| io::Error::new(e.kind(), format!("write {}={value}: {e}", p.display())))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_proc_sys_files() {
        assert_eq!(
            path("net/ipv4/ip_forward").unwrap(),
            PathBuf::from("/proc/sys/net/ipv4/ip_forward")
        );
        assert_eq!(
            path("net/ipv4/conf/eth0.5/rp_filter").unwrap(),
            PathBuf::from("/proc/sys/net/ipv4/conf/eth0.5/rp_filter")
        );
        assert!(path("net/../../etc/passwd").is_err());
        assert!(path("").is_err());
    }
}
