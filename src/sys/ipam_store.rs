//! The host-local IPAM store on disk (file I/O), the reference plugin's
//! layout: `<dataDir>/<network>/<ip>` holding `<containerID>\r\n<ifname>`,
//! `last_reserved_ip.<rangeSetIndex>` holding the last address handed out,
//! and a `lock` file locked with flock(2) — so podnet and host-local can
//! share (or take over) each other's dataDir. The allocation decisions are
//! in `cni::ipam`.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::net::IpAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::cni::ipam::{LAST_RESERVED_PREFIX, LOCK_FILE, Owner, Reservation, StoreState};

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

fn ctx(e: io::Error, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

impl Store {
    /// Opens `<dir>` (creating it and its lock file).
    pub fn open(dir: &Path) -> io::Result<Store> {
        std::fs::create_dir_all(dir).map_err(|e| ctx(e, format!("mkdir {}", dir.display())))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| ctx(e, format!("open {}", lock_path.display())))?;
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

    /// Reads every reservation and last-reserved address. Files whose name
    /// is not an address are ignored.
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
            if let Some(idx) = name.strip_prefix(LAST_RESERVED_PREFIX) {
                if let (Ok(i), Ok(text)) =
                    (idx.parse::<usize>(), std::fs::read_to_string(entry.path()))
                    && let Ok(ip) = text.trim().parse::<IpAddr>()
                {
                    st.last_reserved.insert(i, ip);
                }
                continue;
            }
            let Ok(ip) = name.parse::<IpAddr>() else {
                continue;
            };
            match std::fs::read_to_string(entry.path()) {
                Ok(text) => st.reservations.push(Reservation {
                    ip,
                    owner: Owner::parse(&text),
                }),
                Err(e) if super::is_vanished(&e) => {}
                Err(e) => return Err(ctx(e, format!("read {}", entry.path().display()))),
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
        std::fs::write(&last, ip.to_string())
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
}
