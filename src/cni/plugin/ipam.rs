//! The IPAM transaction: host-local's reservation under the store's lock
//! (retried when the store changes under it), a delegate's ADD, and the
//! release. Store and process I/O.

use std::net::IpAddr;

use crate::cni::config::{Ipam, Mode};
use crate::cni::error::{CniError, codes};
use crate::cni::ipam::{self, HostLocalConf};
use crate::cni::types::{CniResult, Dns, IpConfig};
use crate::sys::ipam_store::Store;

use super::{Plugin, ipam_err};

impl Plugin<'_> {
    pub(super) fn store(&self, hl: &HostLocalConf) -> Result<Store, CniError> {
        Store::open(&hl.store_dir()).map_err(|e| ipam_err("IPAM store", e))
    }

    /// The IPAM ADD: host-local's decision from the store (with `dns`, its
    /// `resolvConf` already read), or the delegate's result.
    pub(super) fn allocate(&self, dns: &Dns) -> Result<CniResult, CniError> {
        match &self.conf.ipam {
            Ipam::None => Ok(CniResult::default()),
            Ipam::HostLocal(hl) => {
                let store = self.store(hl)?;
                let g = store.lock().map_err(|e| ipam_err("IPAM lock", e))?;
                let mut taken_meanwhile: Vec<IpAddr> = Vec::new();
                'retry: for _ in 0..5 {
                    let mut st = store
                        .read_state(&g)
                        .map_err(|e| ipam_err("IPAM store", e))?;
                    for ip in &taken_meanwhile {
                        st.reservations.push(ipam::Reservation {
                            ip: *ip,
                            owner: ipam::Owner::parse(""),
                        });
                    }
                    let allocs = ipam::plan_add(hl, &self.inv.container_id, &self.inv.ifname, &st)?;
                    let mut done = Vec::new();
                    for a in &allocs {
                        match store.reserve(
                            &g,
                            a.address.addr(),
                            &self.inv.container_id,
                            &self.inv.ifname,
                            a.range_set,
                        ) {
                            Ok(true) => done.push(a.address.addr()),
                            Ok(false) => {
                                for ip in done {
                                    let _ = store.release(&g, ip);
                                }
                                taken_meanwhile.push(a.address.addr());
                                continue 'retry;
                            }
                            Err(e) => {
                                for ip in done {
                                    let _ = store.release(&g, ip);
                                }
                                return Err(ipam_err("IPAM reserve", e));
                            }
                        }
                    }
                    return Ok(CniResult {
                        interfaces: Vec::new(),
                        ips: allocs
                            .into_iter()
                            .map(|a| IpConfig {
                                interface: None,
                                address: a.address,
                                gateway: Some(a.gateway),
                            })
                            .collect(),
                        routes: hl.routes.clone(),
                        dns: dns.clone(),
                    });
                }
                Err(CniError::new(
                    codes::TRY_AGAIN_LATER,
                    "the IPAM store keeps changing under its lock",
                ))
            }
            Ipam::Delegated(plugin) => {
                let out = self.delegate(plugin, "ADD")?;
                let v = out.ok_or_else(|| {
                    CniError::new(
                        codes::DECODE_FAILURE,
                        format!("IPAM plugin {plugin} printed no result"),
                    )
                })?;
                match CniResult::from_json(&v) {
                    Ok(r) if !r.ips.is_empty() || self.conf.mode == Mode::Bridge => Ok(r),
                    Ok(_) => {
                        let _ = self.delegate(plugin, "DEL");
                        Err(CniError::kernel("IPAM plugin returned missing IP config"))
                    }
                    Err(e) => {
                        let _ = self.delegate(plugin, "DEL");
                        Err(e)
                    }
                }
            }
        }
    }

    /// The IPAM DEL.
    pub(super) fn release_addresses(&self) -> Result<(), CniError> {
        match &self.conf.ipam {
            Ipam::None => Ok(()),
            Ipam::HostLocal(hl) => {
                let dir = hl.store_dir();
                let Some(store) =
                    Store::open_existing(&dir).map_err(|e| ipam_err("IPAM store", e))?
                else {
                    return Ok(());
                };
                let g = store.lock().map_err(|e| ipam_err("IPAM lock", e))?;
                store
                    .release_owner(&g, &self.inv.container_id, &self.inv.ifname)
                    .map_err(|e| ipam_err("IPAM release", e))?;
                Ok(())
            }
            Ipam::Delegated(plugin) => self.delegate(plugin, "DEL").map(|_| ()),
        }
    }
}
