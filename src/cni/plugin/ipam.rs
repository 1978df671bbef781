//! The plugin's IPAM: host-local's reservation transaction
//! (`cni::reserve`) over the store on disk, locked; a delegate's ADD; the
//! release. Store and process I/O.

use crate::cni::config::{Ipam, Mode};
use crate::cni::error::{CniError, codes};
use crate::cni::ipam::HostLocalConf;
use crate::cni::reserve;
use crate::cni::store::Store;
use crate::cni::types::{CniResult, Dns, IpConfig};

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
                let mut locked = store.locked().map_err(|e| ipam_err("IPAM lock", e))?;
                let allocs =
                    reserve::reserve(hl, &self.inv.container_id, &self.inv.ifname, &mut locked)?;
                Ok(CniResult {
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
                })
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
