//! libcni's result cache on disk (file I/O): `<cacheDir>/results/<file>`,
//! written atomically (temporary file, then rename), listed, read bounded
//! (a fifo, a device or a huge file there is that file's error, never a
//! hang) and removed. The entry format is `cni::cache`; this is the wing's
//! kernel adapter for it, over `sys::files`.

use std::io;
use std::path::{Path, PathBuf};

use super::cache::CacheEntry;
use crate::sys::files::{MAX_FILE_BYTES, read_capped};

/// `<cache_dir>/results`.
pub fn results_dir(cache_dir: &Path) -> PathBuf {
    cache_dir.join("results")
}

/// Writes an entry; returns its path.
pub fn write(cache_dir: &Path, entry: &CacheEntry) -> io::Result<PathBuf> {
    let dir = results_dir(cache_dir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| io::Error::new(e.kind(), format!("mkdir {}: {e}", dir.display())))?;
    let path = dir.join(CacheEntry::file_name(
        &entry.network_name,
        &entry.container_id,
        &entry.if_name,
    ));
    let tmp = dir.join(format!(
        ".{}.tmp",
        CacheEntry::file_name(&entry.network_name, &entry.container_id, &entry.if_name)
    ));
    std::fs::write(&tmp, entry.to_bytes())
        .map_err(|e| io::Error::new(e.kind(), format!("write {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io::Error::new(e.kind(), format!("rename {}: {e}", path.display()))
    })?;
    Ok(path)
}

/// Every entry of the results directory but subdirectories and dot files
/// (temporary files), with its contents or read error (anything but a
/// regular file of at most [`MAX_FILE_BYTES`] is an error); a missing
/// directory is empty.
pub fn read_all(cache_dir: &Path) -> Vec<(PathBuf, io::Result<Vec<u8>>)> {
    let dir = results_dir(cache_dir);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, io::Result<Vec<u8>>)> = rd
        .flatten()
        .filter(|e| !e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            let p = e.path();
            let data = read_capped(&p, MAX_FILE_BYTES);
            (p, data)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Removes an entry; a missing one is fine.
pub fn remove(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io::Error::new(
            e.kind(),
            format!("remove {}: {e}", path.display()),
        )),
        _ => Ok(()),
    }
}
