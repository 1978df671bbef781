//! The host-local IPAM store on disk (file I/O), the reference plugin's
//! layout: `<dataDir>/<network>/<ip>` holding `<containerID>\r\n<ifname>`,
//! `last_reserved_ip.<rangeSetIndex>` holding the last address handed out,
//! and a `lock` file locked with flock(2) — so podnet and host-local can
//! share (or take over) each other's dataDir. Every file is opened without
//! blocking and read bounded (a fifo or a huge file there is an error, not
//! a hang). The allocation decisions are in `cni::ipam`; this is the wing's
//! kernel adapter for them, over std's files and flock and `sys::files`.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::net::IpAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::ipam::{LAST_RESERVED_PREFIX, LOCK_FILE, Owner, Reservation, StoreState};
use super::reserve::IpamStore;
use crate::sys::files::read_capped;
use crate::sys::io_context::context as ctx;
use crate::sys::is_vanished;

/// The most a reservation or cursor file holds (an id, a line break, an
/// interface name); a bigger file is no reservation.
pub const MAX_RESERVATION_BYTES: u64 = 4096;

/// A store directory read without locking, creating or changing anything
/// (what `cni gc --dry-run` may do).
#[derive(Debug, Default)]
pub struct Peek {
    /// Every entry's name and whether it is a regular file (not followed).
    pub entries: Vec<(String, bool)>,
    /// Each address-named entry: its contents (or why not: anything but a
    /// regular file of at most [`MAX_RESERVATION_BYTES`]) and mtime.
    pub reservations: Vec<PeekedFile>,
}

/// One address-named file of a [`Peek`].
#[derive(Debug)]
pub struct PeekedFile {
    pub ip: IpAddr,
    pub path: PathBuf,
    pub contents: io::Result<String>,
    pub modified: Option<SystemTime>,
}

/// Lists and reads a store directory; changes nothing (no lock file is
/// created, no lock taken: a snapshot).
pub fn peek(dir: &Path) -> io::Result<Peek> {
    let mut out = Peek::default();
    let rd = std::fs::read_dir(dir).map_err(|e| ctx(e, format!("list {}", dir.display())))?;
    for entry in rd {
        let entry = entry.map_err(|e| ctx(e, format!("list {}", dir.display())))?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if let Ok(ip) = name.parse::<IpAddr>() {
            let path = entry.path();
            let modified = entry.metadata().and_then(|m| m.modified()).ok();
            let contents = if regular {
                read_capped(&path, MAX_RESERVATION_BYTES).and_then(|b| {
                    String::from_utf8(b).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
                })
            } else {
                Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "not a regular file (a link, a fifo, a device or a directory)",
                ))
            };
            out.reservations.push(PeekedFile {
                ip,
                path,
                contents,
                modified,
            });
        }
        out.entries.push((name, regular));
    }
    out.entries.sort();
    out.reservations.sort_by_key(|r| r.ip);
    Ok(out)
}

/// Opens a file without blocking (a fifo) or following a final symlink,
/// and checks that it is a regular file.
fn open_regular(path: &Path, opts: &mut OpenOptions) -> io::Result<File> {
    let f = opts
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| ctx(e, format!("open {}", path.display())))?;
    if !f.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok(f)
}

/// What [`Store::release_if_owned`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Released {
    Yes,
    /// The file was gone already.
    Gone,
    /// The file names another owner now: left alone.
    Changed,
}

/// One network's directory.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    lock: File,
}

/// The store, locked; dropping it unlocks.
pub struct Guard<'a> {
    store: &'a Store,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let _ = self.store.lock.unlock();
    }
}

impl Store {
    /// Opens `<dir>` (creating it and its lock file).
    pub fn open(dir: &Path) -> io::Result<Store> {
        std::fs::create_dir_all(dir).map_err(|e| ctx(e, format!("mkdir {}", dir.display())))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = open_regular(
            &lock_path,
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600),
        )?;
        Ok(Store {
            dir: dir.to_path_buf(),
            lock,
        })
    }

    /// Opens an existing directory only (GC of a store nobody configured).
    pub fn open_existing(dir: &Path) -> io::Result<Option<Store>> {
        if !dir.is_dir() {
            return Ok(None);
        }
        Store::open(dir).map(Some)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the lock (waits for host-local or another podnet).
    pub fn lock(&self) -> io::Result<Guard<'_>> {
        self.lock
            .lock()
            .map_err(|e| ctx(e, format!("lock {}", self.dir.join(LOCK_FILE).display())))?;
        Ok(Guard { store: self })
    }

    /// Like [`Store::lock`], but gives up after `timeout` (error kind
    /// `WouldBlock`), so a hung holder does not hang the caller.
    pub fn lock_within(&self, timeout: Duration) -> io::Result<Guard<'_>> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.lock.try_lock() {
                Ok(()) => return Ok(Guard { store: self }),
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WouldBlock,
                        format!(
                            "{} is still held after {timeout:?}",
                            self.dir.join(LOCK_FILE).display()
                        ),
                    ));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(ctx(
                        e,
                        format!("lock {}", self.dir.join(LOCK_FILE).display()),
                    ));
                }
            }
        }
    }

    /// Reads every reservation and last-reserved address. Files whose name
    /// is not an address are ignored; an address-named file that cannot be
    /// read (not a regular file, too big, not text) holds its address for
    /// an unknown owner (an empty container id), so it is neither handed
    /// out nor released.
    pub fn read_state(&self, _g: &Guard<'_>) -> io::Result<StoreState> {
        let mut st = StoreState {
            reservations: Vec::new(),
            last_reserved: BTreeMap::new(),
        };
        let rd = std::fs::read_dir(&self.dir)
            .map_err(|e| ctx(e, format!("list {}", self.dir.display())))?;
        for entry in rd {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                continue;
            }
            let read = || {
                read_capped(&entry.path(), MAX_RESERVATION_BYTES).and_then(|b| {
                    String::from_utf8(b).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
                })
            };
            if let Some(idx) = name.strip_prefix(LAST_RESERVED_PREFIX) {
                if let (Ok(i), Ok(text)) = (idx.parse::<usize>(), read())
                    && let Ok(ip) = text.trim().parse::<IpAddr>()
                {
                    st.last_reserved.insert(i, ip);
                }
                continue;
            }
            let Ok(ip) = name.parse::<IpAddr>() else {
                continue;
            };
            match read() {
                Ok(text) => st.reservations.push(Reservation {
                    ip,
                    owner: Owner::parse(&text),
                }),
                Err(e) if is_vanished(&e) => {}
                Err(_) => st.reservations.push(Reservation {
                    ip,
                    owner: Owner::parse(""),
                }),
            }
        }
        st.reservations.sort_by_key(|r| r.ip);
        Ok(st)
    }

    /// Reserves `ip` for an attachment (O_EXCL, so a file that appeared
    /// meanwhile is not overwritten) and records it as range set `idx`'s
    /// last; `Ok(false)` if it was taken.
    pub fn reserve(
        &self,
        _g: &Guard<'_>,
        ip: IpAddr,
        container_id: &str,
        ifname: &str,
        idx: usize,
    ) -> io::Result<bool> {
        let path = self.dir.join(ip.to_string());
        let mut f = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(ctx(e, format!("create {}", path.display()))),
        };
        if let Err(e) = f.write_all(Owner::file_contents(container_id, ifname).as_bytes()) {
            let _ = std::fs::remove_file(&path);
            return Err(ctx(e, format!("write {}", path.display())));
        }
        let last = self.dir.join(format!("{LAST_RESERVED_PREFIX}{idx}"));
        open_regular(
            &last,
            OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o644),
        )
        .and_then(|mut f| f.write_all(ip.to_string().as_bytes()))
        .map_err(|e| ctx(e, format!("write {}", last.display())))?;
        Ok(true)
    }

    /// Removes the reservation of `ip`; `Ok(false)` if there was none.
    pub fn release(&self, _g: &Guard<'_>, ip: IpAddr) -> io::Result<bool> {
        let path = self.dir.join(ip.to_string());
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(ctx(e, format!("remove {}", path.display()))),
        }
    }

    /// Removes the reservation of `ip` only if its file still names `owner`
    /// (GC judged it from an earlier look, without the lock).
    pub fn release_if_owned(
        &self,
        g: &Guard<'_>,
        ip: IpAddr,
        owner: &Owner,
    ) -> io::Result<Released> {
        let path = self.dir.join(ip.to_string());
        let text = match read_capped(&path, MAX_RESERVATION_BYTES) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) if is_vanished(&e) => return Ok(Released::Gone),
            Err(e) => return Err(ctx(e, format!("read {}", path.display()))),
        };
        if Owner::parse(&text) != *owner {
            return Ok(Released::Changed);
        }
        Ok(if self.release(g, ip)? {
            Released::Yes
        } else {
            Released::Gone
        })
    }

    /// Releases every address of an attachment (host-local's ReleaseByID:
    /// exact `<id>\r\n<ifname>` files first, else old files naming only the
    /// container). Returns the addresses released.
    pub fn release_owner(
        &self,
        g: &Guard<'_>,
        container_id: &str,
        ifname: &str,
    ) -> io::Result<Vec<IpAddr>> {
        let st = self.read_state(g)?;
        let exact: Vec<IpAddr> = st
            .reservations
            .iter()
            .filter(|r| {
                r.owner.container_id == container_id.trim()
                    && r.owner.ifname.as_deref() == Some(ifname)
            })
            .map(|r| r.ip)
            .collect();
        let targets = if exact.is_empty() {
            st.reservations
                .iter()
                .filter(|r| r.owner.container_id == container_id.trim() && r.owner.ifname.is_none())
                .map(|r| r.ip)
                .collect()
        } else {
            exact
        };
        let mut released = Vec::new();
        for ip in targets {
            if self.release(g, ip)? {
                released.push(ip);
            }
        }
        Ok(released)
    }
}

/// A store and its lock, held until dropped: the [`IpamStore`] the
/// reservation transaction runs over.
pub struct Locked<'a> {
    store: &'a Store,
    guard: Guard<'a>,
}

impl Store {
    /// Takes the lock for a whole transaction.
    pub fn locked(&self) -> io::Result<Locked<'_>> {
        Ok(Locked {
            store: self,
            guard: self.lock()?,
        })
    }
}

impl IpamStore for Locked<'_> {
    fn state(&mut self) -> io::Result<StoreState> {
        self.store.read_state(&self.guard)
    }

    fn reserve(
        &mut self,
        ip: IpAddr,
        container_id: &str,
        ifname: &str,
        range_set: usize,
    ) -> io::Result<bool> {
        self.store
            .reserve(&self.guard, ip, container_id, ifname, range_set)
    }

    fn release(&mut self, ip: IpAddr) -> io::Result<bool> {
        self.store.release(&self.guard, ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_host_local_files() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("net1")).unwrap();
        let g = s.lock().unwrap();
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(s.reserve(&g, ip, "abc", "eth0", 0).unwrap());
        assert!(!s.reserve(&g, ip, "other", "eth0", 0).unwrap());
        let v6: IpAddr = "fd00::2".parse().unwrap();
        assert!(s.reserve(&g, v6, "abc", "eth0", 1).unwrap());
        assert_eq!(
            std::fs::read(dir.path().join("net1/10.0.0.2")).unwrap(),
            b"abc\r\neth0"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("net1/last_reserved_ip.1")).unwrap(),
            "fd00::2"
        );
        assert!(dir.path().join("net1/lock").exists());
        let st = s.read_state(&g).unwrap();
        assert_eq!(st.reservations.len(), 2);
        assert_eq!(st.last_reserved.get(&0), Some(&ip));
        std::fs::write(dir.path().join("net1/10.0.0.9"), "old\n").unwrap();
        assert_eq!(s.release_owner(&g, "abc", "eth0").unwrap().len(), 2);
        assert_eq!(
            s.release_owner(&g, "old", "eth0").unwrap(),
            vec!["10.0.0.9".parse::<IpAddr>().unwrap()]
        );
        assert!(s.read_state(&g).unwrap().reservations.is_empty());
        assert!(!s.release(&g, ip).unwrap());
    }

    #[test]
    fn peeking_changes_nothing_and_odd_files_are_no_reservations() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("backup");
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("10.0.0.5"), "abc\r\neth0").unwrap();
        std::os::unix::fs::symlink("/dev/zero", d.join("10.0.0.6")).unwrap();
        nix::unistd::mkfifo(
            &d.join("10.0.0.7"),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        std::fs::File::create(d.join("10.0.0.8"))
            .unwrap()
            .set_len(MAX_RESERVATION_BYTES + 1)
            .unwrap();
        let p = peek(&d).unwrap();
        let names: Vec<&str> = p.entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            vec!["10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.8"],
            "no lock made"
        );
        assert_eq!(
            p.reservations[0].contents.as_deref().unwrap(),
            "abc\r\neth0"
        );
        assert!(p.reservations[1..].iter().all(|r| r.contents.is_err()));
        // the allocator sees the odd files' addresses as taken, by nobody
        let s = Store::open(&d).unwrap();
        let g = s.lock_within(Duration::from_secs(1)).unwrap();
        let st = s.read_state(&g).unwrap();
        let ips: Vec<String> = st.reservations.iter().map(|r| r.ip.to_string()).collect();
        assert_eq!(ips, vec!["10.0.0.5", "10.0.0.8"]);
        assert_eq!(st.reservations[1].owner.container_id, "");
    }

    #[test]
    fn gc_releases_only_what_still_names_its_owner() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("n")).unwrap();
        let g = s.lock().unwrap();
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(s.reserve(&g, ip, "new", "eth0", 0).unwrap());
        let old = Owner::parse("old\r\neth0");
        assert_eq!(s.release_if_owned(&g, ip, &old).unwrap(), Released::Changed);
        assert!(dir.path().join("n/10.0.0.2").exists());
        let new = Owner::parse("new\r\neth0");
        assert_eq!(s.release_if_owned(&g, ip, &new).unwrap(), Released::Yes);
        assert_eq!(s.release_if_owned(&g, ip, &new).unwrap(), Released::Gone);
        // a fifo where the lock should be is refused, not waited on
        let f = dir.path().join("f");
        std::fs::create_dir(&f).unwrap();
        nix::unistd::mkfifo(
            &f.join(LOCK_FILE),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        assert!(Store::open(&f).is_err());
    }
}
