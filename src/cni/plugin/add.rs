//! ADD: the pod's netns opened and checked, a stale host veth of an
//! earlier sandbox cleared, IPAM reserved as the plan's first step, the
//! attachment plan run through the journal (rolled back on failure), and
//! the result read back from the kernel. Kernel I/O through the executor.

use crate::cni::attach::{self, AttachInput};
use crate::cni::config::Ipam;
use crate::cni::env::Command;
use crate::cni::error::{CniError, codes};
use crate::cni::ipam;
use crate::cni::names;
use crate::cni::observe::{self, NsView};
use crate::cni::plan::{Action, Failure, Journal, Step, StepError};
use crate::cni::types::{CniResult, Dns};
use crate::sys::files;
use crate::sys::netns;
use crate::sys::rtnl::NetnsWorker;

use super::hooks::Hooks;
use super::kernel::Kernel;
use super::netns::{netns_holders, open_netns};
use super::{Plugin, action_words, host_view, kernel};

/// What an ADD plumbs into, found before its plan runs.
pub(super) struct AddTarget {
    host_veth: String,
    /// The inode of the pod's netns (recorded in the host veth's alias).
    netns_inode: u64,
    /// host-local's `resolvConf`, read before anything was reserved.
    dns: Dns,
}

/// The largest `resolvConf` podnet reads.
pub(super) const MAX_RESOLV_CONF_BYTES: u64 = 64 << 10;

/// Appends this plugin's result to a previous plugin's (interfaces indexed after its own).
pub(super) fn merge_prev(prev: &CniResult, mine: CniResult) -> CniResult {
    let offset = prev.interfaces.len();
    let mut out = prev.clone();
    out.interfaces.extend(mine.interfaces);
    out.ips.extend(mine.ips.into_iter().map(|mut ip| {
        ip.interface = ip.interface.map(|i| i + offset);
        ip
    }));
    out.routes.extend(mine.routes);
    if mine.dns.is_set() {
        out.dns = mine.dns;
    }
    out
}

impl Plugin<'_> {
    pub(super) fn add(&self) -> Result<CniResult, CniError> {
        // what the configuration names is read before anything is reserved
        let dns = self.resolv_conf()?;
        let Some(cfile) = open_netns(&self.inv.netns, Command::Add)? else {
            return Err(CniError::new(
                codes::UNKNOWN_CONTAINER,
                format!(
                    "failed to open netns {:?}: it does not exist",
                    self.inv.netns
                ),
            ));
        };
        let mut k = self.kernel(Some(&cfile))?;
        let container = k
            .container
            .as_ref()
            .ok_or_else(|| CniError::kernel("no pod netns worker"))?;
        if container
            .link(&self.inv.ifname)
            .map_err(|e| kernel("look up the pod interface", e))?
            .is_some()
        {
            return Err(CniError::new(
                codes::INTERFACE_EXISTS,
                format!(
                    "container veth name provided ({}) already exists",
                    self.inv.ifname
                ),
            ));
        }
        let host_veth = self.host_veth_name();
        self.clear_stale_host_veth(&k.host, &host_veth)?;
        let target = AddTarget {
            host_veth,
            netns_inode: netns::identity(&cfile)
                .map_err(|e| kernel(format!("stat {}", self.inv.netns), e))?
                .1,
            dns,
        };

        let mut journal = Journal::new();
        let mut hooks = self.hooks();
        let result = self.add_steps(&mut k, &mut journal, &mut hooks, &target);
        match result {
            Ok(r) => {
                journal.commit();
                Ok(r)
            }
            Err(mut e) => {
                let undone = journal.pending_undo().count();
                let errors = journal.rollback(&mut k);
                let mut details = e.details.clone();
                if !details.is_empty() {
                    details.push_str("; ");
                }
                details.push_str(&format!("rolled back {undone} step(s)"));
                if !errors.is_empty() {
                    details.push_str(&format!("; rollback errors: {}", errors.join("; ")));
                }
                e.details = details;
                Err(e)
            }
        }
    }

    /// The DNS settings of host-local's `resolvConf`, read before anything
    /// is reserved or locked: a regular file of at most
    /// [`MAX_RESOLV_CONF_BYTES`] (a fifo, `/dev/zero` or a directory is an
    /// invalid configuration, code 7, and ADD leaves no trace).
    pub(super) fn resolv_conf(&self) -> Result<Dns, CniError> {
        let Ipam::HostLocal(hl) = &self.conf.ipam else {
            return Ok(Dns::default());
        };
        let Some(p) = &hl.resolv_conf else {
            return Ok(Dns::default());
        };
        let text = files::read_capped_to_string(p, MAX_RESOLV_CONF_BYTES).map_err(|e| {
            CniError::invalid_config(format!("cannot read resolvConf {}: {e}", p.display()))
        })?;
        Ok(ipam::parse_resolv_conf(&text))
    }

    /// A host link with the name this ADD wants is deleted only when it is
    /// provably a dead leftover of an earlier sandbox of the same pod: a
    /// podnet veth of this network whose alias names the same pod and
    /// interface (another container) and a netns that nothing holds any
    /// more — no process in it, no descriptor on it, no bind mount of it.
    /// Anything else fails the ADD with code 108 and is left alone.
    pub(super) fn clear_stale_host_veth(
        &self,
        host: &NetnsWorker,
        name: &str,
    ) -> Result<(), CniError> {
        let Some(l) = host
            .link(name)
            .map_err(|e| kernel("look up the host veth", e))?
        else {
            return Ok(());
        };
        let v = observe::link(&l);
        let ours = names::Attaching {
            network: &self.conf.name,
            container_id: &self.inv.container_id,
            ifname: &self.inv.ifname,
            pod: self.inv.pod(),
        };
        let verdict = names::stale_veth_netns(&v.kind, v.alias.as_deref(), &ours).and_then(|ino| {
            match netns_holders(ino) {
                holders if holders.is_empty() => Ok(ino),
                holders => Err(format!(
                    "its pod's earlier netns (inode {ino}) is still alive: {}",
                    holders.join(", ")
                )),
            }
        });
        match verdict {
            Ok(ino) => {
                eprintln!(
                    "podnet: deleting stale host veth {name} of an earlier sandbox of the same pod (its netns {ino} is gone; alias {:?})",
                    v.alias.unwrap_or_default()
                );
                host.delete_link(name)
                    .map_err(|e| kernel(format!("delete stale {name}"), e))?;
                Ok(())
            }
            Err(why) => Err(CniError::new(
                codes::HOST_NAME_TAKEN,
                format!("host interface {name} already exists and is not provably a dead leftover of this pod: {why}"),
            )
            .with_details(format!(
                "alias {:?}; nothing was changed; DEL the attachment that owns it, or set vethPrefix",
                v.alias.unwrap_or_default()
            ))),
        }
    }

    pub(super) fn add_steps(
        &self,
        k: &mut Kernel<'_>,
        journal: &mut Journal,
        hooks: &mut Hooks,
        at: &AddTarget,
    ) -> Result<CniResult, CniError> {
        let host_veth = at.host_veth.as_str();
        let fail = |f: Failure| {
            CniError::new(f.error.cni_code(), f.error.msg.clone()).with_details(format!(
                "step {}: {}",
                f.step,
                action_words(&f.action)
            ))
        };
        // IPAM first: a range that is full fails before anything is plumbed.
        let mut ipam_result = CniResult::default();
        let mut ipam_error = None;
        if self.conf.ipam != Ipam::None {
            let step = Step::new(
                Action::ReserveAddresses {
                    source: match &self.conf.ipam {
                        Ipam::HostLocal(hl) => {
                            format!("host-local, under flock in {}", hl.store_dir().display())
                        }
                        Ipam::Delegated(p) => format!("the {p} IPAM plugin"),
                        Ipam::None => String::new(),
                    },
                },
                Some(Action::ReleaseAddresses {
                    owner: self.owner(),
                }),
            );
            journal
                .run_with(&step, hooks, |_| match self.allocate(&at.dns) {
                    Ok(r) => {
                        ipam_result = r;
                        Ok(true)
                    }
                    Err(e) => {
                        let msg = e.msg.clone();
                        ipam_error = Some(e);
                        Err(StepError::new(msg))
                    }
                })
                .map_err(|f| ipam_error.take().unwrap_or_else(|| fail(f)))?;
            if self.explain {
                for ip in &ipam_result.ips {
                    let gw = ip
                        .gateway
                        .map(|g| format!(", gateway {g}"))
                        .unwrap_or_default();
                    eprintln!("+ #   got {}{gw}", ip.address);
                }
            }
        }
        let input = AttachInput {
            conf: self.conf,
            container_id: &self.inv.container_id,
            ifname: &self.inv.ifname,
            netns: &self.inv.netns,
            host_veth,
            pod: self.inv.pod(),
            netns_inode: at.netns_inode,
            ipam: &ipam_result,
            masq_backend: self.backend(),
        };
        let plan = attach::plan(&input)?;
        for step in &plan.steps {
            journal.run(step, k, hooks).map_err(fail)?;
        }
        let mut result = plan.result;
        // MACs and MTUs as the kernel has them now
        let hv = host_view(&k.host)?;
        let cv = match &k.container {
            Some(c) => {
                let (l, a, r) = c.dump().map_err(|e| kernel("dump the pod's links", e))?;
                observe::ns_view(&l, &a, &r)
            }
            None => NsView::default(),
        };
        for iface in &mut result.interfaces {
            let view = if iface.sandbox.is_empty() { &hv } else { &cv };
            if let Some(l) = view.link(&iface.name) {
                iface.mac = l.mac.clone();
                iface.mtu = l.mtu;
            }
        }
        if let Some(prev) = &self.conf.prev_result {
            result = merge_prev(prev, result);
        }
        Ok(result)
    }
}
