//! The `cni`, `node-env` and `kernel-stats` checks, and the facts about the
//! machine and its CNI configuration they judge. No I/O.

use crate::analyze::words::{agree, plural};
use crate::model::doctor::{Check, Evidence, NodeFacts, Status};

use super::context::Context;
pub use super::context::{CniConf, CniFacts, EnvFacts};
use super::facts::grown;

/// Init systems: anything else as PID 1 suggests a container or a sandbox.
const INITS: &[&str] = &[
    "systemd",
    "init",
    "openrc-init",
    "runit",
    "s6-svscan",
    "tini",
    "dumb-init",
    "docker-init",
    "launchd",
];

/// CNI config parses, its plugins exist, nothing leaked.
pub fn cni(cx: &Context) -> Check {
    const ID: &str = "cni";
    let c = &cx.cni;
    let mut evidence: Vec<Evidence> = c
        .errors
        .iter()
        .map(|e| Evidence::new(e.clone(), c.conf_dir.clone()))
        .collect();
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for conf in &c.configs {
        match &conf.error {
            Some(e) => {
                problems.push(format!("{} does not parse: {e}", conf.path));
                evidence.push(Evidence::new(
                    format!("parse error: {e}"),
                    conf.path.clone(),
                ));
            }
            None => {
                let plugins: Vec<String> = conf
                    .plugins
                    .iter()
                    .map(|(t, found)| format!("{t} ({})", found.as_deref().unwrap_or("MISSING")))
                    .collect();
                evidence.push(Evidence::new(
                    format!(
                        "network {}: {}",
                        conf.network.as_deref().unwrap_or("?"),
                        plugins.join(", ")
                    ),
                    conf.path.clone(),
                ));
                for (t, found) in &conf.plugins {
                    if found.is_none() {
                        problems.push(format!(
                            "plugin {t:?} of {} is in none of {}",
                            conf.path,
                            c.bin_dirs.join(", ")
                        ));
                    }
                }
            }
        }
    }
    for l in &c.leaks {
        warnings.push(l.clone());
        evidence.push(Evidence::new(
            format!("leaked: {l}"),
            "podnet cni gc --dry-run",
        ));
    }
    for v in &cx.orphan_veths {
        warnings.push(format!("orphan host veth {v}"));
        evidence.push(Evidence::new(
            format!("{v}: its pod-side namespace is gone"),
            "veth pairing",
        ));
    }
    for n in &cx.orphan_netns {
        warnings.push(format!("orphan netns {n}"));
        evidence.push(Evidence::new(
            format!("{n}: bind-mounted, no process, no pod names it"),
            "mountinfo and /proc",
        ));
    }
    if !problems.is_empty() {
        return Check::new(ID, Status::Fail, problems.join("; "))
            .with(evidence)
            .hint("fix the file, or install the plugin into a CNI bin dir (/opt/cni/bin)");
    }
    if !warnings.is_empty() {
        return Check::new(
            ID,
            Status::Warn,
            format!("{} leaked objects: {}", warnings.len(), warnings.join("; ")),
        )
        .with(evidence)
        .hint("podnet cni gc removes what leaked (try --dry-run first)");
    }
    if c.configs.is_empty() {
        return Check::new(
            ID,
            Status::Skip,
            format!("no CNI configuration in {}", c.conf_dir),
        )
        .with(evidence);
    }
    Check::new(ID, Status::Pass, all_well(c.configs.len())).with(evidence)
}

/// The passing `cni` check's summary, for `n` configurations.
fn all_well(n: usize) -> String {
    format!(
        "{} {} and every plugin {} is installed; nothing leaked",
        plural(n, "CNI configuration", "CNI configurations"),
        agree(n, "parses", "parse"),
        agree(n, "it names", "they name"),
    )
}

/// Whether the node runs inside a container, and whether the kernel has the tunnels it needs.
pub fn node_env(_f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "node-env";
    let e = &cx.env;
    let mut evidence = Vec::new();
    let mut contained = Vec::new();
    if let Some(comm) = &e.pid1_comm {
        evidence.push(Evidence::new(format!("PID 1 is {comm}"), "/proc/1/comm"));
        if !INITS.contains(&comm.as_str()) {
            contained.push(format!("PID 1 is {comm}, not an init system"));
        }
    }
    if let Some(cg) = &e.pid1_container_cgroup {
        evidence.push(Evidence::new(
            format!("PID 1's cgroup is {cg}"),
            "/proc/1/cgroup",
        ));
        contained.push(format!("PID 1 is in a container runtime's cgroup ({cg})"));
    }
    for m in &e.markers {
        evidence.push(Evidence::new(format!("{m} exists"), m.clone()));
        contained.push(format!("{m} exists"));
    }
    let mut missing = Vec::new();
    for (kind, why) in &e.needed_tunnels {
        match e.tunnel_support.get(kind).cloned().flatten() {
            Some(how) => evidence.push(Evidence::new(
                format!("{kind} (needed by {why}): {how}"),
                "/proc/modules, /sys/module, /proc/config.gz",
            )),
            None => {
                evidence.push(Evidence::new(format!("{kind} (needed by {why}): not in /proc/modules, /sys/module or the kernel config"), "/proc/modules, /sys/module, /proc/config.gz"));
                missing.push(format!("{kind} (needed by {why})"));
            }
        }
    }
    if !missing.is_empty() {
        let inside = if contained.is_empty() {
            String::new()
        } else {
            format!(
                " — and the node looks containerised ({}), so it cannot load modules itself",
                contained.join("; ")
            )
        };
        return Check::new(ID, Status::Fail, format!("the kernel lacks {}{inside}", missing.join(", ")))
            .with(evidence)
            .hint("load the module on the machine that owns the kernel (modprobe vxlan), or choose a backend it has (e.g. host-gw / routed)");
    }
    let summary = match (contained.is_empty(), e.needed_tunnels.is_empty()) {
        (true, true) => "the node runs on its own kernel and needs no tunnel".to_string(),
        (true, false) => format!(
            "the kernel has every tunnel the node needs ({})",
            e.needed_tunnels
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (false, _) => format!(
            "the node may run in a container or sandbox ({}), but its kernel has what it needs",
            contained.join("; ")
        ),
    };
    Check::new(ID, Status::Pass, summary).with(evidence)
}

/// The kernel's own drop reasons during the sample, alike drops counted
/// once, most frequent first (at most 8 lines): evidence, not a verdict —
/// a node always drops some packets that are nobody's problem.
fn drop_reasons(cx: &Context, secs: f64) -> Vec<Evidence> {
    let Some(drops) = &cx.kernel_drops else {
        return Vec::new();
    };
    let from = format!("skb:kfree_skb (eBPF) during the {secs:.1} s sample");
    if drops.is_empty() {
        return vec![Evidence::new(
            format!(
                "the kernel dropped no packet in {} or its pods",
                cx.node_label
            ),
            from,
        )];
    }
    let mut alike: Vec<(String, u64)> = Vec::new();
    for d in drops {
        let place = d.place();
        let pod = d
            .pod
            .as_ref()
            .filter(|p| d.netns.as_deref() != Some(&format!("pod {p}")))
            .map(|p| format!(" (pod {p})"))
            .unwrap_or_default();
        let key = format!("{} at {} in {place}{pod}", d.reason, d.location);
        match alike.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += d.count,
            None => alike.push((key, d.count)),
        }
    }
    alike.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    alike
        .into_iter()
        .take(8)
        .map(|(k, n)| Evidence::new(format!("{k}: {n} dropped"), from.clone()))
        .collect()
}

/// Growth of the kernel's drop counters between two reads a moment apart.
pub fn kernel_stats(f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "kernel-stats";
    const COUNTERS: &[(&str, &str)] = &[
        (
            "Ip:InAddrErrors",
            "packets to an address that is not this node's",
        ),
        ("IpExt:InNoRoutes", "packets with no route"),
        (
            "TcpExt:IPReversePathFilter",
            "packets dropped by the reverse-path filter",
        ),
        (
            "Ip:FragFails",
            "packets too big to forward that could not be fragmented (DF set)",
        ),
    ];
    if f.counters_before.is_empty() {
        return Check::new(
            ID,
            Status::Skip,
            "/proc/net/snmp and /proc/net/netstat could not be read",
        );
    }
    let keys: Vec<&str> = COUNTERS.iter().map(|(k, _)| *k).collect();
    let grew = grown(f, &keys);
    let mut evidence: Vec<Evidence> = COUNTERS
        .iter()
        .map(|(k, what)| {
            let before = f.counters_before.get(*k).copied().unwrap_or(0);
            let after = f.counters_after.get(*k).copied().unwrap_or(before);
            Evidence::new(
                format!("{k} {before} → {after} ({what})"),
                format!(
                    "/proc/net/{} read twice, {:.1} s apart",
                    if k.starts_with("Ip:") {
                        "snmp"
                    } else {
                        "netstat"
                    },
                    f.sample_secs
                ),
            )
        })
        .collect();
    evidence.retain(|e| grew.keys().any(|k| e.fact.starts_with(k.as_str())) || grew.is_empty());
    evidence.extend(drop_reasons(cx, f.sample_secs));
    if grew.is_empty() {
        return Check::new(
            ID,
            Status::Pass,
            format!("no drop counter grew in {:.1} s", f.sample_secs),
        )
        .with(evidence);
    }
    let what: Vec<String> = grew.iter().map(|(k, v)| format!("{k} +{v}")).collect();
    Check::new(ID, Status::Warn, format!("the kernel is dropping packets: {}", what.join(", ")))
        .with(evidence)
        .hint("the failing checks above usually say why; otherwise watch them with `nstat -az` while reproducing")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cni_summary_agrees_with_its_count() {
        assert_eq!(
            all_well(1),
            "1 CNI configuration parses and every plugin it names is installed; nothing leaked"
        );
        assert_eq!(
            all_well(2),
            "2 CNI configurations parse and every plugin they name is installed; nothing leaked"
        );
    }

    #[test]
    fn cni_statuses() {
        let conf = |error: Option<&str>, plugin: Option<&str>| CniConf {
            path: "/etc/cni/net.d/10-x.conflist".into(),
            error: error.map(Into::into),
            network: Some("x".into()),
            plugins: vec![("bridge".into(), plugin.map(Into::into))],
            subnets: vec![],
        };
        let cx = |configs: Vec<CniConf>| Context {
            cni: CniFacts {
                conf_dir: "/etc/cni/net.d".into(),
                configs,
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(cni(&cx(vec![])).status, Status::Skip);
        assert_eq!(
            cni(&cx(vec![conf(None, Some("/opt/cni/bin/bridge"))])).status,
            Status::Pass
        );
        let missing = cni(&cx(vec![conf(None, None)]));
        assert_eq!(missing.status, Status::Fail);
        assert!(
            missing.summary.contains("plugin \"bridge\""),
            "{}",
            missing.summary
        );
        let garbage = cni(&cx(vec![conf(Some("EOF while parsing"), None)]));
        assert!(
            garbage
                .summary
                .contains("does not parse: EOF while parsing")
        );
        let mut leaky = cx(vec![conf(None, Some("/opt/cni/bin/bridge"))]);
        leaky.orphan_netns = vec!["/run/netns/left (4026532999)".into()];
        assert_eq!(cni(&leaky).status, Status::Warn);
    }

    /// A needed tunnel the kernel lacks fails, and says when the node looks
    /// containerised (it cannot load the module itself).
    #[test]
    fn node_env_statuses() {
        let mut cx = Context::default();
        cx.env.pid1_comm = Some("systemd".into());
        let f = NodeFacts::default();
        assert_eq!(node_env(&f, &cx).status, Status::Pass);
        cx.env
            .needed_tunnels
            .insert("vxlan".into(), "device flannel.1".into());
        cx.env
            .tunnel_support
            .insert("vxlan".into(), Some("module loaded".into()));
        assert_eq!(node_env(&f, &cx).status, Status::Pass);
        cx.env.tunnel_support.insert("vxlan".into(), None);
        cx.env.markers.push("/.dockerenv".into());
        let c = node_env(&f, &cx);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.summary
                .contains("the kernel lacks vxlan (needed by device flannel.1)")
                && c.summary.contains("cannot load modules itself"),
            "{}",
            c.summary
        );
    }

    #[test]
    fn kernel_stats_statuses() {
        let mut f = NodeFacts::default();
        let cx = Context::default();
        assert_eq!(kernel_stats(&f, &cx).status, Status::Skip);
        f.counters_before
            .insert("TcpExt:IPReversePathFilter".into(), 36);
        f.counters_after
            .insert("TcpExt:IPReversePathFilter".into(), 36);
        assert_eq!(kernel_stats(&f, &cx).status, Status::Pass);
        f.counters_after
            .insert("TcpExt:IPReversePathFilter".into(), 40);
        let c = kernel_stats(&f, &cx);
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.summary.contains("TcpExt:IPReversePathFilter +4"),
            "{}",
            c.summary
        );
    }
}
