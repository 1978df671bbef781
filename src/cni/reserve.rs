//! host-local's reservation transaction over an [`IpamStore`]: read the
//! store, plan the addresses (`ipam::plan_add`), reserve each (a file that
//! appeared meanwhile is not overwritten), and on a race release what this
//! attempt reserved and plan again with the address taken. Pure: the store
//! does the I/O (`cni::store` on disk; an in-memory store in the tests).

use std::io;
use std::net::IpAddr;

use super::error::{CniError, codes};
use super::ipam::{self, Allocation, HostLocalConf, Owner, Reservation, StoreState};

/// How many times a reservation is planned again when the store changed
/// under the lock (another host-local that does not lock, a hand edit).
const ATTEMPTS: usize = 5;

/// A host-local store, locked for the whole transaction.
pub trait IpamStore {
    /// Every reservation and last-reserved address.
    fn state(&mut self) -> io::Result<StoreState>;
    /// Reserves `ip` for an attachment and records it as range set
    /// `range_set`'s last; `Ok(false)` if it was taken meanwhile.
    fn reserve(
        &mut self,
        ip: IpAddr,
        container_id: &str,
        ifname: &str,
        range_set: usize,
    ) -> io::Result<bool>;
    /// Removes the reservation of `ip`; `Ok(false)` if there was none.
    fn release(&mut self, ip: IpAddr) -> io::Result<bool>;
}

fn store_err(what: &str, e: io::Error) -> CniError {
    CniError::new(codes::IPAM_STORE, format!("{what}: {e}"))
}

/// Reserves the addresses of one attachment; on any failure nothing this
/// call reserved is left reserved.
pub fn reserve(
    conf: &HostLocalConf,
    container_id: &str,
    ifname: &str,
    store: &mut dyn IpamStore,
) -> Result<Vec<Allocation>, CniError> {
    let mut taken_meanwhile: Vec<IpAddr> = Vec::new();
    for _ in 0..ATTEMPTS {
        let mut st = store.state().map_err(|e| store_err("IPAM store", e))?;
        st.reservations
            .extend(taken_meanwhile.iter().map(|ip| Reservation {
                ip: *ip,
                owner: Owner::parse(""),
            }));
        let allocs = ipam::plan_add(conf, container_id, ifname, &st)?;
        match reserve_all(&allocs, container_id, ifname, store) {
            Ok(None) => return Ok(allocs),
            Ok(Some(raced)) => taken_meanwhile.push(raced),
            Err(e) => return Err(store_err("IPAM reserve", e)),
        }
    }
    Err(CniError::new(
        codes::TRY_AGAIN_LATER,
        "the IPAM store keeps changing under its lock",
    ))
}

/// Reserves every planned address; `Ok(Some(ip))`: `ip` was taken
/// meanwhile. Unless all were reserved, those that were are released.
fn reserve_all(
    allocs: &[Allocation],
    container_id: &str,
    ifname: &str,
    store: &mut dyn IpamStore,
) -> io::Result<Option<IpAddr>> {
    let mut done = Vec::new();
    for a in allocs {
        let ip = a.address.addr();
        let outcome = store.reserve(ip, container_id, ifname, a.range_set);
        if let Ok(true) = outcome {
            done.push(ip);
            continue;
        }
        for ip in &done {
            let _ = store.release(*ip);
        }
        return outcome.map(|_| Some(ip));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    /// A store in memory: `races` are addresses another writer takes just
    /// before this one reserves them; `fail_on` fails that reservation.
    #[derive(Default)]
    struct Mem {
        files: BTreeMap<IpAddr, String>,
        last: BTreeMap<usize, IpAddr>,
        races: Vec<IpAddr>,
        fail_on: Option<IpAddr>,
        released: Vec<IpAddr>,
    }

    impl IpamStore for Mem {
        fn state(&mut self) -> io::Result<StoreState> {
            Ok(StoreState {
                reservations: self
                    .files
                    .iter()
                    .map(|(ip, owner)| Reservation {
                        ip: *ip,
                        owner: Owner::parse(owner),
                    })
                    .collect(),
                last_reserved: self.last.clone(),
            })
        }

        fn reserve(&mut self, ip: IpAddr, id: &str, ifname: &str, set: usize) -> io::Result<bool> {
            if self.fail_on == Some(ip) {
                return Err(io::Error::other("disk full"));
            }
            if let Some(i) = self.races.iter().position(|r| *r == ip) {
                self.races.remove(i);
                self.files.insert(ip, "other\r\neth0".into());
                return Ok(false);
            }
            if self.files.contains_key(&ip) {
                return Ok(false);
            }
            self.files.insert(ip, format!("{id}\r\n{ifname}"));
            self.last.insert(set, ip);
            Ok(true)
        }

        fn release(&mut self, ip: IpAddr) -> io::Result<bool> {
            self.released.push(ip);
            Ok(self.files.remove(&ip).is_some())
        }
    }

    fn conf(ipam: serde_json::Value) -> HostLocalConf {
        ipam::parse(&json!({"name": "net1", "ipam": ipam}), None).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn dual() -> HostLocalConf {
        conf(json!({"type": "host-local", "ranges": [
            [{"subnet": "10.1.2.0/24"}], [{"subnet": "fd00::/120"}]]}))
    }

    #[test]
    fn reserves_one_address_per_range_set_and_records_the_last() {
        let mut m = Mem::default();
        let got = reserve(&dual(), "c1", "eth0", &mut m).unwrap();
        let ips: Vec<IpAddr> = got.iter().map(|a| a.address.addr()).collect();
        assert_eq!(ips, vec![ip("10.1.2.2"), ip("fd00::2")]);
        assert_eq!(m.files[&ip("10.1.2.2")], "c1\r\neth0");
        assert_eq!(m.last.get(&1), Some(&ip("fd00::2")));
    }

    #[test]
    fn a_race_releases_this_attempts_addresses_and_plans_again() {
        let mut m = Mem {
            races: vec![ip("fd00::2")],
            ..Mem::default()
        };
        let got = reserve(&dual(), "c1", "eth0", &mut m).unwrap();
        let ips: Vec<IpAddr> = got.iter().map(|a| a.address.addr()).collect();
        // the v4 address of the raced attempt was released; the next plan
        // goes on after the last one reserved, as host-local does
        assert_eq!(m.released, vec![ip("10.1.2.2")]);
        assert!(!m.files.contains_key(&ip("10.1.2.2")));
        assert_eq!(ips, vec![ip("10.1.2.3"), ip("fd00::3")]);
        assert_eq!(m.files[&ip("fd00::2")], "other\r\neth0");
    }

    #[test]
    fn a_store_that_keeps_changing_is_try_again_later_and_leaves_nothing() {
        let races = (2..=6).map(|i| ip(&format!("10.1.2.{i}"))).collect();
        let mut m = Mem {
            races,
            ..Mem::default()
        };
        let e = reserve(&dual(), "c1", "eth0", &mut m).unwrap_err();
        assert_eq!(e.code, codes::TRY_AGAIN_LATER);
        assert!(m.files.values().all(|o| o.starts_with("other")));
    }

    #[test]
    fn a_store_error_is_the_ipam_store_code_and_leaves_nothing() {
        let mut m = Mem {
            fail_on: Some(ip("fd00::2")),
            ..Mem::default()
        };
        let e = reserve(&dual(), "c1", "eth0", &mut m).unwrap_err();
        assert_eq!(e.code, codes::IPAM_STORE);
        assert_eq!(e.msg, "IPAM reserve: disk full");
        assert!(m.files.is_empty(), "{:?}", m.files);
    }

    #[test]
    fn a_full_range_is_the_plans_error_and_reserves_nothing() {
        let c = conf(json!({"type": "host-local", "subnet": "10.9.0.0/30"}));
        let mut m = Mem::default();
        m.files.insert(ip("10.9.0.2"), "x\r\neth0".into());
        let e = reserve(&c, "c1", "eth0", &mut m).unwrap_err();
        assert_eq!(e.code, codes::RANGE_EXHAUSTED);
        assert_eq!(m.files.len(), 1);
    }
}
