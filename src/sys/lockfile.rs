//! Exclusive advisory locks on files (flock(2) through std's `File::lock`),
//! released when the guard is dropped. File I/O.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// Where podnet keeps its own lock files (bridges, firewall).
pub const LOCK_DIR: &str = "/run/podnet/locks";

/// A held lock; dropping it unlocks.
#[derive(Debug)]
pub struct Locked {
    file: File,
    path: PathBuf,
}

impl Locked {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Opens (creating it and its directory) and locks `path`, waiting for
/// other holders.
pub fn lock(path: &Path) -> io::Result<Locked> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| io::Error::new(e.kind(), format!("mkdir {}: {e}", dir.display())))?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("open {}: {e}", path.display())))?;
    file.lock()
        .map_err(|e| io::Error::new(e.kind(), format!("lock {}: {e}", path.display())))?;
    Ok(Locked {
        file,
        path: path.to_path_buf(),
    })
}

/// A lock named `name` in [`LOCK_DIR`].
pub fn named(name: &str) -> io::Result<Locked> {
    lock(&Path::new(LOCK_DIR).join(format!("{name}.lock")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_locker_waits() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/x.lock");
        let first = lock(&p).unwrap();
        let f = File::open(&p).unwrap();
        assert!(f.try_lock().is_err(), "held");
        drop(first);
        assert!(f.try_lock().is_ok(), "released");
    }
}
