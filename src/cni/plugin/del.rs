//! DEL: the pod's interface, the owned host veth, the masquerade rules
//! and the addresses, each step tried even when an earlier one failed.
//! Kernel I/O through the executor.

use crate::cni::attach;
use crate::cni::config::Ipam;
use crate::cni::env::Command;
use crate::cni::error::CniError;
use crate::cni::plan::{Action, Journal, Side, Step};

use super::Plugin;
use super::hooks::Faults;
use super::netns::open_netns;

impl Plugin<'_> {
    pub(super) fn del(&self) -> Result<(), CniError> {
        let mut errors: Vec<CniError> = Vec::new();
        // a CNI_NETNS that is not a pod's netns (the node's own, a fifo…)
        // or IPAM delegated to podnet itself stops DEL before it touches anything
        if let Ipam::Delegated(plugin) = &self.conf.ipam {
            self.delegate_binary(plugin)?;
        }
        let cfile = if self.inv.netns.is_empty() {
            None
        } else {
            open_netns(&self.inv.netns, Command::Del)?
        };
        let mut k = self.kernel(cfile.as_ref())?;
        let mut hooks = self.hooks();
        hooks.faults = Faults::default();
        let host_veth = self
            .conf
            .prev_result
            .as_ref()
            .and_then(|p| {
                p.interfaces
                    .get(attach::host_interface_index(self.conf.mode))
            })
            .filter(|i| i.sandbox.is_empty())
            .map(|i| i.name.clone())
            .unwrap_or_else(|| self.host_veth_name());
        let mut steps = Vec::new();
        if k.container.is_some() {
            steps.push(Step::plain(Action::DeleteLink {
                side: Side::Container,
                name: self.inv.ifname.clone(),
            }));
        }
        steps.push(Step::plain(Action::DeleteOwnedLink {
            name: host_veth.clone(),
            owner: self.owner(),
        }));
        if host_veth != self.host_veth_name() {
            steps.push(Step::plain(Action::DeleteOwnedLink {
                name: self.host_veth_name(),
                owner: self.owner(),
            }));
        }
        if self.conf.ip_masq {
            steps.push(Step::plain(Action::DelMasquerade {
                owner: self.owner(),
            }));
        }
        if self.conf.ipam != Ipam::None {
            steps.push(Step::plain(Action::ReleaseAddresses {
                owner: self.owner(),
            }));
        }
        let mut journal = Journal::new();
        for s in &steps {
            if let Err(f) = journal.run(s, &mut k, &mut hooks) {
                errors.push(
                    CniError::new(f.error.cni_code(), f.error.msg)
                        .with_details(format!("DEL step {}", f.step)),
                );
            }
        }
        journal.commit();
        match errors.into_iter().next() {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }
}
