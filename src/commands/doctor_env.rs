//! `doctor`'s reads of the machine around the node: PID 1 and container
//! markers, tunnel support, the CNI configuration and its plugins, leaked
//! CNI objects, flannel's subnet file, and (on a thread) the nodes' pod
//! CIDRs from the Kubernetes API. File and API I/O.

use std::time::Duration;

use crate::analyze::doctor::{cidrs, env};
use crate::discover;
use crate::discover::kube_nodes::NodeCidrs;
use crate::model::LinkKind;
use crate::model::doctor::NodeFacts;
use crate::sys::{HostRoot, kernel_info};

use super::ctx::Ctx;

pub(super) type NodeCidrsJob = std::thread::JoinHandle<std::result::Result<Vec<NodeCidrs>, String>>;

/// Starts the optional query of the nodes' pod CIDRs, under the same rules
/// as the pods' (asked when a kubeconfig is found or `--kube` is given).
pub(super) fn start_node_cidrs(ctx: &Ctx) -> Option<NodeCidrsJob> {
    let args = &ctx.kube;
    if args.no_kube
        || !(args.kube || args.kubeconfig.is_some() || crate::sys::kube::config_present())
    {
        return None;
    }
    let req = crate::sys::kube::KubeRequest {
        kubeconfig: args.kubeconfig.clone(),
        node_name: String::new(),
        timeout: Duration::from_secs(5),
    };
    Some(std::thread::spawn(move || {
        let (_, nodes) = crate::sys::kube::list_nodes(&req)?;
        Ok(discover::kube_nodes::pod_cidrs(&nodes))
    }))
}

/// The nodes' pod CIDRs from the API, or a warning why not.
pub(super) fn join_node_cidrs(
    job: Option<NodeCidrsJob>,
    warnings: &mut Vec<String>,
) -> Option<Vec<NodeCidrs>> {
    match job?.join() {
        Ok(Ok(v)) => Some(v),
        Ok(Err(e)) => {
            warnings.push(format!(
                "the nodes' pod CIDRs could not be read from the API: {e}"
            ));
            None
        }
        Err(_) => {
            warnings.push("the query of the nodes' pod CIDRs failed".into());
            None
        }
    }
}

/// flannel's record of the cluster network and this node's subnet.
pub(super) const FLANNEL_ENV: &str = "/run/flannel/subnet.env";

/// `/run/flannel/subnet.env`, when flannel runs here (empty otherwise).
pub(super) fn flannel_env(root: &HostRoot) -> discover::flannel_env::FlannelEnv {
    crate::sys::files::read(root, FLANNEL_ENV, CNI_CONF_BYTES)
        .map(|b| discover::flannel_env::parse(&String::from_utf8_lossy(&b)))
        .unwrap_or_default()
}

/// The machine: PID 1, container markers, and the tunnels the node needs.
pub(super) fn env_facts(root: &HostRoot, f: &NodeFacts) -> env::EnvFacts {
    let mut e = env::EnvFacts {
        pid1_comm: kernel_info::read_trimmed(root, "/proc/1/comm"),
        pid1_container_cgroup: kernel_info::read_trimmed(root, "/proc/1/cgroup").and_then(|cg| {
            cg.lines()
                .filter_map(|l| l.splitn(3, ':').nth(2))
                .find(|p| {
                    ["docker", "containerd", "kubepods", "lxc", "libpod", "crio"]
                        .iter()
                        .any(|k| p.contains(k))
                })
                .map(String::from)
        }),
        markers: ["/.dockerenv", "/run/.containerenv"]
            .iter()
            .filter(|m| kernel_info::exists(root, m))
            .map(|m| m.to_string())
            .collect(),
        ..Default::default()
    };
    for i in &f.interfaces {
        if matches!(
            i.kind,
            LinkKind::Vxlan
                | LinkKind::Ipip
                | LinkKind::Geneve
                | LinkKind::Wireguard
                | LinkKind::Gre
        ) {
            e.needed_tunnels
                .entry(i.kind.to_string())
                .or_insert_with(|| format!("device {}", i.name));
        }
    }
    let modules = kernel_info::loaded_modules(root);
    let config = kernel_info::kernel_config(root);
    for kind in e.needed_tunnels.keys().cloned().collect::<Vec<_>>() {
        let (module, option) = match kind.as_str() {
            "vxlan" => ("vxlan", "CONFIG_VXLAN"),
            "ipip" => ("ipip", "CONFIG_NET_IPIP"),
            "geneve" => ("geneve", "CONFIG_GENEVE"),
            "wireguard" => ("wireguard", "CONFIG_WIREGUARD"),
            _ => ("ip_gre", "CONFIG_NET_IPGRE"),
        };
        let how = if modules.iter().any(|m| m == module) {
            Some(format!("module {module} loaded"))
        } else if let Some(v) = config
            .as_deref()
            .and_then(|c| discover::kconfig::value(c, option))
        {
            Some(format!("{option}={v} in /proc/config.gz"))
        } else if kernel_info::sys_module(root, module) {
            Some(format!("/sys/module/{module} exists"))
        } else if f.interfaces.iter().any(|i| i.kind.as_str() == kind) {
            Some("a device of that kind exists".into())
        } else {
            None
        };
        e.tunnel_support.insert(kind, how);
    }
    e
}

/// The most podnet reads of one CNI network configuration.
pub(super) const CNI_CONF_BYTES: u64 = 4 << 20;

/// The CNI configuration under the host root, the plugins it names, and leaks.
pub(super) fn cni_facts(root: &HostRoot) -> env::CniFacts {
    let conf_dir = "/etc/cni/net.d".to_string();
    let mut bin_dirs: Vec<String> = ["/opt/cni/bin", "/usr/lib/cni", "/usr/libexec/cni"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (file, key) in [
        ("/etc/containerd/config.toml", "bin_dir"),
        ("/etc/crio/crio.conf", "plugin_dirs"),
    ] {
        if let Some(text) = kernel_info::read_trimmed(root, file) {
            bin_dirs.extend(discover::kconfig::toml_paths(&text, key));
        }
    }
    bin_dirs.dedup();
    let mut facts = env::CniFacts {
        conf_dir: conf_dir.clone(),
        bin_dirs: bin_dirs.clone(),
        ..Default::default()
    };
    let entries = crate::sys::files::list_dir(root, &conf_dir).unwrap_or_default();
    for name in entries
        .iter()
        .map(|e| &e.name)
        .filter(|n| n.ends_with(".conf") || n.ends_with(".conflist") || n.ends_with(".json"))
    {
        let path = format!("{conf_dir}/{name}");
        let mut conf = env::CniConf {
            path: path.clone(),
            ..Default::default()
        };
        match crate::sys::files::read(root, &path, CNI_CONF_BYTES) {
            Err(e) => conf.error = Some(e.to_string()),
            Ok(bytes) => match crate::cni::conflist::parse(&bytes) {
                Err(e) => conf.error = Some(e.to_string()),
                Ok(list) => {
                    conf.network = Some(list.name.clone());
                    conf.subnets = cidrs::conf_subnets(&list.plugins);
                    conf.plugins = (0..list.plugins.len())
                        .map(|i| {
                            let t = list.plugin_type(i).to_string();
                            let found = bin_dirs
                                .iter()
                                .map(|d| format!("{d}/{t}"))
                                .find(|p| kernel_info::exists(root, p));
                            let found = found
                                .or_else(|| (t == "podnet").then(|| "this binary".to_string()));
                            (t, found)
                        })
                        .collect();
                }
            },
        }
        facts.configs.push(conf);
    }
    if root.is_slash() {
        match super::cni_runtime::Runtime::new(super::cni_runtime::RuntimeConfig::default())
            .and_then(|rt| rt.gc(true, Duration::from_secs(60)))
        {
            Ok(report) => {
                facts.leaks = report
                    .leaks
                    .iter()
                    .map(|l| format!("{} {} ({})", l.kind, l.object, l.reason))
                    .collect()
            }
            Err(e) => facts.errors.push(format!("leak search: {e}")),
        }
    }
    facts
}
