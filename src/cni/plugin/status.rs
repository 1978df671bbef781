//! STATUS (can ADD succeed: capabilities, the IPAM store, the firewall
//! tool) and GC (release what the valid attachments do not name). Kernel
//! and store I/O.

use std::collections::HashSet;

use crate::cni::config::{Ipam, MasqBackend};
use crate::cni::error::{CniError, codes};
use crate::cni::ipam;
use crate::cni::masq;
use crate::cni::names;
use crate::cni::store::Store;
use crate::sys::{caps, firewall};

use super::{Plugin, host_view, ipam_err};

/// What ADD needs: netlink changes (CAP_NET_ADMIN) and setns into the
/// pod's namespace (CAP_SYS_ADMIN).
pub(super) const PLUMBING_CAPS: &[caps::Cap] = &[caps::CAP_NET_ADMIN, caps::CAP_SYS_ADMIN];

impl Plugin<'_> {
    pub(super) fn status(&self) -> Result<(), CniError> {
        let unavailable = |msg: String| CniError::new(codes::NOT_AVAILABLE, msg);
        let mask = caps::effective()
            .map_err(|e| unavailable(format!("cannot read this process's capabilities: {e}")))?;
        let missing: Vec<&str> = PLUMBING_CAPS
            .iter()
            .filter(|c| mask & (1u64 << c.0) == 0)
            .map(|c| c.1)
            .collect();
        if !missing.is_empty() {
            return Err(unavailable(format!(
                "podnet cannot plumb pods: it lacks {}",
                missing.join(", ")
            ))
            .with_details(
                "ADD creates links and enters pod namespaces: run the plugin as root with CAP_NET_ADMIN and CAP_SYS_ADMIN",
            ));
        }
        match &self.conf.ipam {
            Ipam::HostLocal(hl) => {
                let store = Store::open(&hl.store_dir())
                    .map_err(|e| unavailable(format!("IPAM store: {e}")))?;
                let g = store
                    .lock()
                    .map_err(|e| unavailable(format!("IPAM lock: {e}")))?;
                let st = store
                    .read_state(&g)
                    .map_err(|e| unavailable(format!("IPAM store: {e}")))?;
                let full = ipam::exhausted_sets(hl, &st);
                if let Some(i) = full.first() {
                    return Err(unavailable(format!(
                        "no IP addresses available in range set {i}: {}",
                        hl.ranges[*i]
                    )));
                }
            }
            Ipam::Delegated(plugin) => {
                if let Err(e) = self.delegate_binary(plugin) {
                    return Err(unavailable(e.msg).with_details(e.details));
                }
                if self.delegate_has_gc(plugin) {
                    self.delegate(plugin, "STATUS")?;
                }
            }
            Ipam::None => {}
        }
        if self.conf.ip_masq {
            let tool = match self.backend() {
                MasqBackend::Nftables => "nft",
                MasqBackend::Iptables => "iptables",
            };
            if firewall::tool(tool).is_none() {
                return Err(unavailable(format!(
                    "ipMasq needs {tool}, which is not installed"
                )));
            }
        }
        Ok(())
    }

    pub(super) fn gc(&self) -> Result<(), CniError> {
        let valid = self.conf.valid_attachments.clone().ok_or_else(|| {
            CniError::invalid_config("GC needs cni.dev/valid-attachments (the attachments to keep)")
        })?;
        let mut errors: Vec<String> = Vec::new();
        match &self.conf.ipam {
            Ipam::HostLocal(hl) => {
                if let Some(store) =
                    Store::open_existing(&hl.store_dir()).map_err(|e| ipam_err("IPAM store", e))?
                {
                    let g = store.lock().map_err(|e| ipam_err("IPAM lock", e))?;
                    let st = store
                        .read_state(&g)
                        .map_err(|e| ipam_err("IPAM store", e))?;
                    for r in ipam::stale(&st, &valid) {
                        if let Err(e) = store.release(&g, r.ip) {
                            errors.push(format!("release {}: {e}", r.ip));
                        }
                    }
                }
            }
            Ipam::Delegated(plugin) => {
                if self.delegate_has_gc(plugin)
                    && let Err(e) = self.delegate(plugin, "GC")
                {
                    errors.push(format!("IPAM plugin {plugin} GC: {}", e.msg));
                }
            }
            Ipam::None => {}
        }
        let keep: HashSet<String> = valid
            .iter()
            .map(|a| names::attachment_key(&self.conf.name, &a.container_id, &a.ifname))
            .collect();
        let net = names::network_key(&self.conf.name);
        let k = self.kernel(None)?;
        let host = host_view(&k.host)?;
        for l in &host.links {
            let Some((n, a)) = l.alias.as_deref().and_then(names::parse_marker) else {
                continue;
            };
            if n == net
                && !keep.contains(a)
                && l.kind == "veth"
                && let Err(e) = k.host.delete_link(&l.name)
            {
                errors.push(format!("delete {}: {e}", l.name));
            }
        }
        let name = self.conf.name.clone();
        match k.host.run(move || masq::attachments_of_network(&name)) {
            Ok(Ok(keys)) => {
                let stale: Vec<String> = keys.into_iter().filter(|k| !keep.contains(k)).collect();
                if !stale.is_empty() {
                    match k.host.run(move || masq::remove_keys(&stale)) {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) | Err(e) => errors.push(format!("ipMasq: {e}")),
                    }
                }
            }
            Ok(Err(e)) | Err(e) => errors.push(format!("ipMasq: {e}")),
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(
                CniError::kernel(format!("GC could not remove everything: {}", errors[0]))
                    .with_details(errors.join("; ")),
            )
        }
    }
}
