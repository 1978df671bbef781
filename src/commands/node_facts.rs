//! Reads a node's facts inside its network namespace (links, addresses,
//! routes of every table, policy rules, neighbours, FDB, sysctls, firewall
//! of both backends, counters) and answers FIB lookups there: the wiring
//! `doctor` and `trace` share. Read-only.

use netlink_packet_route::AddressFamily;

use crate::analyze::doctor::FibQuery;
use crate::discover;
use crate::error::{Error, Result};
use crate::model::doctor::{FibAnswer, FibLookup, NodeFacts};
use crate::sys::ethtool::Ethtool;
use crate::sys::{netfilter_read, netns, sysctl};

/// Runs `f` inside the node's namespace on a helper thread.
pub fn visit<T: Send>(
    target: &netns::NetnsTarget,
    f: impl Fn(&mut netns::Inside<'_>) -> std::io::Result<T> + Sync,
) -> Result<T> {
    netns::visit_all(std::slice::from_ref(target), 1, |_, inside| f(inside))
        .into_iter()
        .next()
        .unwrap_or(Err(netns::EnterError::Vanished))
        .map_err(|e| Error::other(format!("netns {}: {e}", target.inode)))
}

/// Everything read in the node's namespace; with `fib`, also answers those lookups.
pub fn read_facts(
    inside: &mut netns::Inside<'_>,
    fib: Option<&[FibQuery]>,
) -> std::io::Result<NodeFacts> {
    let mut f = NodeFacts::default();
    let links = inside.sock.dump_links()?;
    let addrs = inside.sock.dump_addresses()?;
    f.vxlans = links
        .iter()
        .filter_map(discover::links::vxlan_info)
        .collect();
    f.interfaces = discover::links::interfaces(
        links.iter().map(discover::links::interface).collect(),
        &addrs,
    );
    f.counters_before = ["snmp", "netstat"]
        .iter()
        .filter_map(|n| netfilter_read::thread_net_file(n).ok())
        .flat_map(|t| discover::snmp::counters(&t))
        .collect();
    if let Some(queries) = fib {
        answer(inside, &mut f, queries);
        return Ok(f);
    }
    // table 0: every table (main, local, and those ip rules point at)
    let mut routes = inside.sock.dump_routes(0, false)?;
    routes.extend(inside.sock.dump_routes(0, true)?);
    f.routes = discover::routes::routes(&routes);
    let mut rules = inside.sock.dump_rules(false)?;
    // a kernel without IPv6 has no IPv6 rules to dump
    rules.extend(inside.sock.dump_rules(true).unwrap_or_default());
    f.rules = discover::rules::rules(&rules);
    f.neighbours = [AddressFamily::Inet, AddressFamily::Inet6]
        .into_iter()
        .filter_map(|fam| inside.sock.dump_neighbours(fam).ok())
        .flatten()
        .filter_map(|m| discover::neigh::neighbour(&m))
        .collect();
    f.fdb = inside
        .sock
        .dump_neighbours(AddressFamily::Bridge)?
        .iter()
        .filter_map(discover::neigh::fdb)
        .collect();
    let mut keys: Vec<String> = [
        "net/ipv4/ip_forward",
        "net/ipv6/conf/all/forwarding",
        "net/ipv4/conf/all/rp_filter",
        "net/ipv4/conf/default/rp_filter",
        "net/bridge/bridge-nf-call-iptables",
        "net/netfilter/nf_conntrack_count",
        "net/netfilter/nf_conntrack_max",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    keys.push("net/ipv4/conf/all/forwarding".into());
    for i in &f.interfaces {
        keys.push(format!("net/ipv4/conf/{}/rp_filter", i.name));
        keys.push(format!("net/ipv4/conf/{}/forwarding", i.name));
        keys.push(format!("net/ipv4/conf/{}/proxy_arp", i.name));
    }
    f.sysctls = keys
        .into_iter()
        .filter_map(|k| sysctl::read(&k).ok().map(|v| (k, v)))
        .collect();
    let eth = Ethtool::on(inside.sock);
    for v in &f.vxlans {
        if let Some(i) = f.interfaces.iter().find(|i| i.ifindex == v.ifindex)
            && let Ok(raw) = eth.features(&i.name)
        {
            f.features.insert(
                i.name.clone(),
                discover::ethtool::features(&raw.names, &raw.active)
                    .into_iter()
                    .collect(),
            );
        }
    }
    match netfilter_read::nft_ruleset_json() {
        Ok(Some(json)) => match discover::netfilter::nft_chains(&json) {
            Ok(chains) => f.chains.extend(chains),
            Err(e) => f.netfilter_errors.push(e),
        },
        Ok(None) => f
            .netfilter_errors
            .push("nft is not installed: nftables (and iptables-nft) rules not read".into()),
        Err(e) => f.netfilter_errors.push(e.to_string()),
    }
    read_legacy_iptables(&mut f);
    Ok(f)
}

/// The legacy iptables tables podnet judges (raw, mangle, nat, filter),
/// read only where the kernel has them loaded.
fn read_legacy_iptables(f: &mut NodeFacts) {
    let loaded = netfilter_read::legacy_tables();
    for table in ["raw", "mangle", "nat", "filter"] {
        if !loaded.iter().any(|t| t == table) {
            continue;
        }
        match netfilter_read::legacy_save(table) {
            Ok(Some(text)) => f.chains.extend(discover::netfilter::iptables_save_chains(
                &text,
                "iptables-legacy",
            )),
            Ok(None) => {
                f.netfilter_errors.push(
                    "legacy iptables tables exist but iptables-legacy-save is not installed".into(),
                );
                return;
            }
            Err(e) => f.netfilter_errors.push(e.to_string()),
        }
    }
}

/// Answers `queries`, and for each that fails the kernel's output lookup
/// to the same destination (its errno tells the route type).
fn answer(inside: &mut netns::Inside<'_>, f: &mut NodeFacts, queries: &[FibQuery]) {
    f.fib = queries.iter().map(|q| lookup(inside, f, q)).collect();
    let failed: Vec<std::net::IpAddr> = f
        .fib
        .iter()
        .filter(|l| l.result.is_err() && (l.iif.is_some() || l.src.is_some()))
        .map(|l| l.dst)
        .collect();
    for dst in failed {
        if f.output_lookup(dst).is_some() {
            continue;
        }
        let q = FibQuery {
            dst,
            src: None,
            iif: None,
        };
        let l = lookup(inside, f, &q);
        f.output_fib.push(l);
    }
}

pub fn lookup(inside: &mut netns::Inside<'_>, f: &NodeFacts, q: &FibQuery) -> FibLookup {
    let iif = q
        .iif
        .as_deref()
        .and_then(|n| f.interfaces.iter().find(|i| i.name == n))
        .map(|i| i.ifindex);
    let answer = inside.sock.route_get(q.dst, q.src, iif);
    let name = |ix: Option<u32>| {
        ix.and_then(|x| f.interfaces.iter().find(|i| i.ifindex == x))
            .map(|i| i.name.clone())
    };
    match answer {
        Ok(m) => {
            let r = discover::routes::route(&m);
            FibLookup {
                dst: q.dst,
                src: q.src,
                iif: q.iif.clone(),
                result: Ok(FibAnswer {
                    oif: name(r.as_ref().and_then(|r| r.oif)),
                    gateway: r.as_ref().and_then(|r| r.gateway),
                    kind: r.map(|r| r.kind).unwrap_or_else(|| "unicast".into()),
                }),
                errno: None,
            }
        }
        Err(e) => FibLookup {
            dst: q.dst,
            src: q.src,
            iif: q.iif.clone(),
            errno: e.raw_os_error(),
            result: Err(e.to_string()),
        },
    }
}

/// The node's facts and the answers to `queries`, in one visit.
pub fn read_with_lookups(
    inside: &mut netns::Inside<'_>,
    queries: &[FibQuery],
) -> std::io::Result<NodeFacts> {
    let mut f = read_facts(inside, None)?;
    answer(inside, &mut f, queries);
    Ok(f)
}
