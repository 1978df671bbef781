//! Readings of a node's facts the checks share: its interfaces by index or
//! name, FIB lookups and how they read, sysctls as evidence, counter growth
//! over the sample, the sample pod and host, the eBPF datapath. No I/O.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::Interface;
use crate::model::doctor::{Check, FibLookup, NodeFacts};

use super::context::{Context, NodePod};

/// Why the node's pod traffic is forwarded by eBPF programs podnet cannot
/// read (Cilium-style): a collect-metadata (external) VXLAN or Geneve
/// device, or a `cilium_host` device. Routes, netfilter and the
/// reverse-path filter do not decide then; `None` for a kernel datapath.
pub fn ebpf_datapath(f: &NodeFacts) -> Option<String> {
    let external = f
        .vxlans
        .iter()
        .filter(|v| v.vni.is_none())
        .filter_map(|v| iface(f, v.ifindex))
        .map(|i| format!("{} is a collect-metadata (external) VXLAN device", i.name));
    let host = iface_named(f, "cilium_host").map(|_| "cilium_host is present".to_string());
    let why: Vec<String> = external.chain(host).collect();
    (!why.is_empty()).then(|| {
        format!(
            "eBPF datapath: {} — eBPF programs forward pod traffic here, which podnet cannot read",
            why.join(", ")
        )
    })
}

/// The same check skipped on an eBPF datapath, with the reason.
pub fn skip_on_ebpf(id: &'static str, f: &NodeFacts) -> Option<Check> {
    ebpf_datapath(f).map(|why| Check::new(id, crate::model::doctor::Status::Skip, why))
}

/// The pod whose packets stand for all pods of the node: the first with an IPv4 address.
pub fn sample_pod<'a>(_f: &NodeFacts, cx: &'a Context) -> Option<&'a NodePod> {
    cx.pods
        .iter()
        .find(|p| p.pod_ip.is_some_and(|i| i.is_ipv4()))
        .or_else(|| cx.pods.iter().find(|p| p.pod_ip.is_some()))
}

/// An address inside a CIDR to stand for it (the second host: `.2`).
pub fn sample_host(cidr: &IpNet) -> Option<IpAddr> {
    cidr.hosts().nth(1).or_else(|| cidr.hosts().next())
}

/// Where a pod's packets enter the node's IP layer: its bridge, or its veth.
pub fn ingress_of(f: &NodeFacts, p: &NodePod) -> String {
    let host = iface(f, p.host_ifindex);
    host.and_then(|h| h.master_ifindex)
        .and_then(|m| iface(f, m))
        .or(host)
        .map(|i| i.name.clone())
        .unwrap_or_else(|| format!("ifindex {}", p.host_ifindex))
}

pub fn iface(f: &NodeFacts, ifindex: u32) -> Option<&Interface> {
    f.interfaces.iter().find(|i| i.ifindex == ifindex)
}

pub fn iface_named<'a>(f: &'a NodeFacts, name: &str) -> Option<&'a Interface> {
    f.interfaces.iter().find(|i| i.name == name)
}

/// The FIB answer for a query, if it was asked.
pub fn fib<'a>(
    f: &'a NodeFacts,
    dst: IpAddr,
    src: Option<IpAddr>,
    iif: Option<&str>,
) -> Option<&'a FibLookup> {
    f.fib
        .iter()
        .find(|l| l.dst == dst && l.src == src && l.iif.as_deref() == iif)
}

/// `ip route get …` as the user would type it.
pub fn fib_command(l: &FibLookup) -> String {
    let mut s = format!("ip route get {}", l.dst);
    if let Some(src) = l.src {
        s.push_str(&format!(" from {src}"));
    }
    if let Some(iif) = &l.iif {
        s.push_str(&format!(" iif {iif}"));
    }
    s
}

/// What a FIB lookup said, as evidence text.
pub fn fib_outcome(l: &FibLookup) -> String {
    match &l.result {
        Ok(a) => {
            let mut s = String::from("→");
            if let Some(gw) = a.gateway {
                s.push_str(&format!(" via {gw}"));
            }
            if let Some(dev) = &a.oif {
                s.push_str(&format!(" dev {dev}"));
            }
            if a.kind != "unicast" {
                s.push_str(&format!(" ({})", a.kind));
            }
            s
        }
        Err(e) => format!("→ {e}"),
    }
}

/// The sysctl spelling of a key read as a file (`net/ipv4/conf/flannel.1/rp_filter`
/// → `net.ipv4.conf.flannel/1.rp_filter`).
pub fn sysctl_name(key: &str) -> String {
    key.split('/')
        .map(|c| c.replace('.', "/"))
        .collect::<Vec<_>>()
        .join(".")
}

/// A sysctl's value as evidence: `net.ipv4.ip_forward = 1`, from its file.
pub fn sysctl_evidence(f: &NodeFacts, key: &str, node: &str) -> crate::model::doctor::Evidence {
    let value = f.sysctls.get(key).map(String::as_str).unwrap_or("(absent)");
    crate::model::doctor::Evidence::new(
        format!("{} = {value}", sysctl_name(key)),
        format!("/proc/sys/{key} in {node}"),
    )
}

/// Growth of a counter between the two reads.
pub fn growth(f: &NodeFacts, key: &str) -> u64 {
    let before = f.counters_before.get(key).copied().unwrap_or(0);
    f.counters_after
        .get(key)
        .copied()
        .unwrap_or(before)
        .saturating_sub(before)
}

/// Counters that grew, by name.
pub fn grown(f: &NodeFacts, keys: &[&str]) -> BTreeMap<String, u64> {
    keys.iter()
        .map(|k| (k.to_string(), growth(f, k)))
        .filter(|(_, v)| *v > 0)
        .collect()
}
