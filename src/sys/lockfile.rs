//! Exclusive advisory locks on files (flock(2) through std's `File::lock`),
//! released when the guard is dropped. A lock file is opened without
//! blocking or following a final symlink and must be a regular file. File I/O.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
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

/// Opens `path` for locking, creating it and its directory. A fifo, a
/// device or a symlink there is an error, never a blocking open.
fn open(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| io::Error::new(e.kind(), format!("mkdir {}: {e}", dir.display())))?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("open {}: {e}", path.display())))?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok(file)
}

/// The lock file of a lock named `name` in [`LOCK_DIR`].
fn named_path(name: &str) -> PathBuf {
    Path::new(LOCK_DIR).join(format!("{name}.lock"))
}

/// Opens (creating it and its directory) and locks `path`, waiting for
/// other holders.
pub fn lock(path: &Path) -> io::Result<Locked> {
    let file = open(path)?;
    file.lock()
        .map_err(|e| io::Error::new(e.kind(), format!("lock {}: {e}", path.display())))?;
    Ok(Locked {
        file,
        path: path.to_path_buf(),
    })
}

/// A lock named `name` in [`LOCK_DIR`].
pub fn named(name: &str) -> io::Result<Locked> {
    lock(&named_path(name))
}

/// Like [`named`], but gives up after `timeout` (error kind `WouldBlock`),
/// so a hung holder does not hang every later caller.
pub fn named_within(name: &str, timeout: std::time::Duration) -> io::Result<Locked> {
    lock_within(&named_path(name), timeout)
}

/// Like [`lock`], but gives up after `timeout` (error kind `WouldBlock`).
pub fn lock_within(path: &Path, timeout: std::time::Duration) -> io::Result<Locked> {
    let file = open(path)?;
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match file.try_lock() {
            Ok(()) => {
                return Ok(Locked {
                    file,
                    path: path.to_path_buf(),
                });
            }
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!("{} is still held after {timeout:?}", path.display()),
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("lock {}: {e}", path.display()),
                ));
            }
        }
    }
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

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.lock");
        nix::unistd::mkfifo(&p, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let e = lock(&p).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let link = dir.path().join("l.lock");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(lock(&link).is_err());
    }

    #[test]
    fn a_bounded_wait_gives_up() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.lock");
        let ms = std::time::Duration::from_millis;
        let first = lock_within(&p, ms(10)).unwrap();
        assert_eq!(
            lock_within(&p, ms(50)).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        drop(first);
        assert!(lock_within(&p, ms(50)).is_ok());
    }
}
