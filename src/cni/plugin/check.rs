//! CHECK: the IPAM reservation, then the pod's and the node's links,
//! addresses, routes and firewall rules against prevResult (`cni::check`
//! judges). Kernel and store reads.

use std::net::IpAddr;

use crate::cni::attach;
use crate::cni::check::{self, CheckInput};
use crate::cni::config::{Ipam, Mode, PtpGateway};
use crate::cni::env::Command;
use crate::cni::error::{CniError, codes};
use crate::cni::masq;
use crate::cni::observe::{self, NsView};

use super::netns::open_netns;
use super::{Plugin, host_view, ipam_err, kernel};

impl Plugin<'_> {
    pub(super) fn check(&self) -> Result<(), CniError> {
        if !self.conf.version.has_check() {
            return Err(CniError::new(
                codes::INCOMPATIBLE_VERSION,
                "config version does not allow CHECK",
            )
            .with_details(format!(
                "cniVersion {} has no CHECK; use 0.4.0 or later",
                self.conf.version
            )));
        }
        let prev = self
            .conf
            .prev_result
            .as_ref()
            .ok_or_else(|| CniError::invalid_config("Required prevResult missing"))?;
        let Some(cfile) = open_netns(&self.inv.netns, Command::Check)? else {
            return Err(CniError::new(
                codes::UNKNOWN_CONTAINER,
                format!("netns {:?} does not exist", self.inv.netns),
            ));
        };
        // IPAM first, like the reference plugins
        let reserved = self.check_ipam()?;
        let k = self.kernel(Some(&cfile))?;
        let host = host_view(&k.host)?;
        let container = match &k.container {
            Some(c) => {
                let (l, a, r) = c.dump().map_err(|e| kernel("dump the pod's links", e))?;
                observe::ns_view(&l, &a, &r)
            }
            None => NsView::default(),
        };
        let container_nsid = k.host.nsid_of(&cfile).ok().flatten();
        let hidx = attach::host_interface_index(self.conf.mode);
        let host_if = prev
            .interfaces
            .get(hidx)
            .map(|i| i.name.clone())
            .unwrap_or_default();
        let proxy_arp = (self.conf.mode == Mode::Ptp
            && self.conf.ptp_gateway == PtpGateway::ProxyArp)
            .then(|| {
                k.host
                    .sysctl_read(&format!("net/ipv4/conf/{host_if}/proxy_arp"))
                    .ok()
            })
            .flatten();
        let masq_present = if self.conf.ip_masq && !prev.ips.is_empty() {
            let (b, o) = (self.backend(), self.owner());
            Some(
                k.host
                    .run(move || masq::present(b, &o))
                    .map_err(|e| kernel("ipMasq", e))?
                    .map_err(|e| kernel("ipMasq", e))?,
            )
        } else {
            None
        };
        let problems = check::check(&CheckInput {
            conf: self.conf,
            container_id: &self.inv.container_id,
            ifname: &self.inv.ifname,
            netns: &self.inv.netns,
            prev,
            container: &container,
            host: &host,
            container_nsid,
            proxy_arp,
            masq_present,
            reserved,
        });
        match problems.first() {
            None => Ok(()),
            Some(first) => {
                Err(CniError::new(codes::CHECK_FAILED, first.clone())
                    .with_details(problems.join("; ")))
            }
        }
    }
    /// CHECK's IPAM part, first like the reference plugins: host-local's
    /// reservations of this attachment (none is a failed CHECK), or the
    /// delegate's CHECK.
    fn check_ipam(&self) -> Result<Option<Vec<IpAddr>>, CniError> {
        Ok(match &self.conf.ipam {
            Ipam::HostLocal(hl) => {
                let store = self.store(hl)?;
                let g = store.lock().map_err(|e| ipam_err("IPAM lock", e))?;
                let st = store
                    .read_state(&g)
                    .map_err(|e| ipam_err("IPAM store", e))?;
                let mine = st.owned_by(&self.inv.container_id, &self.inv.ifname);
                if mine.is_empty() {
                    return Err(CniError::new(
                        codes::CHECK_FAILED,
                        format!(
                            "host-local: Failed to find address added by container {}",
                            self.inv.container_id
                        ),
                    ));
                }
                Some(mine)
            }
            Ipam::Delegated(plugin) => {
                self.delegate(plugin, "CHECK")?;
                None
            }
            Ipam::None => None,
        })
    }
}
