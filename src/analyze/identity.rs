//! Joins identity claims (CNI cache, OCI configs, cgroups, pod logs, the
//! API) to network namespaces and merges them into one pod per namespace,
//! reporting disagreements between sources. No I/O.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::model::pod::ConflictValue;
use crate::model::{
    Claim, ClaimKey, Conflict, LinkKind, Netns, Pod, PodSource, Runtime, SourceKind,
};

/// Where each key points.
#[derive(Default)]
struct Index {
    paths: HashMap<String, usize>,
    pids: HashMap<i32, usize>,
    /// `None` marks an address found in more than one namespace.
    ips: HashMap<IpAddr, Option<usize>>,
    sandboxes: HashMap<String, usize>,
    uids: HashMap<String, usize>,
}

/// A netns path as written by runtimes (`/var/run/…`) in the form mountinfo shows (`/run/…`).
pub fn normalize_netns_path(p: &str) -> String {
    match p.strip_prefix("/var/run/") {
        Some(rest) => format!("/run/{rest}"),
        None => p.to_string(),
    }
}

/// `/proc/<pid>/ns/net` → pid.
fn proc_path_pid(p: &str) -> Option<i32> {
    p.strip_prefix("/proc/")?
        .strip_suffix("/ns/net")?
        .parse()
        .ok()
}

impl Index {
    fn new(netns: &[Netns]) -> Self {
        let mut ix = Index::default();
        for (i, ns) in netns.iter().enumerate() {
            for p in &ns.paths {
                ix.paths.insert(normalize_netns_path(p), i);
            }
            for pid in &ns.pid_list {
                ix.pids.insert(*pid, i);
            }
            if ns.host {
                continue;
            }
            for iface in ns
                .interfaces
                .iter()
                .filter(|f| f.kind != LinkKind::Loopback)
            {
                for ip in iface.global_ips() {
                    ix.ips
                        .entry(ip)
                        .and_modify(|e| {
                            if *e != Some(i) {
                                *e = None
                            }
                        })
                        .or_insert(Some(i));
                }
            }
        }
        ix
    }

    fn lookup(&self, key: &ClaimKey) -> Option<usize> {
        match key {
            ClaimKey::NetnsPath(p) => match proc_path_pid(p) {
                Some(pid) => self.pids.get(&pid).copied(),
                None => self.paths.get(&normalize_netns_path(p)).copied(),
            },
            ClaimKey::Pid(pid) => self.pids.get(pid).copied(),
            ClaimKey::Ip(ip) => self.ips.get(ip).copied().flatten(),
            ClaimKey::SandboxId(id) => self.sandboxes.get(&id.to_ascii_lowercase()).copied(),
            ClaimKey::PodUid(uid) => self.uids.get(&uid.to_ascii_lowercase()).copied(),
        }
    }
}

fn key_label(key: &ClaimKey) -> String {
    match key {
        ClaimKey::NetnsPath(p) => format!("path {p}"),
        ClaimKey::Pid(p) => format!("pid {p}"),
        ClaimKey::Ip(ip) => format!("address {ip}"),
        ClaimKey::SandboxId(id) => format!("sandbox {}", crate::model::pod::short_id(id)),
        ClaimKey::PodUid(u) => format!("uid {u}"),
    }
}

/// Resolves a claim to a namespace with the keys allowed in this pass;
/// warns when two keys point at different namespaces.
fn resolve(
    ix: &Index,
    claim: &Claim,
    netns: &[Netns],
    allow: &dyn Fn(&ClaimKey) -> bool,
    warnings: &mut Vec<String>,
) -> Option<usize> {
    // A claim that names a bind-mounted path (not /proc/<pid>/…) was made
    // for that mount: its PID may have been reused since, so a PID only
    // counts when it leads to a namespace with no bind mount of its own
    // (one whose mount this process cannot see), never the host's.
    let named_by_mount = claim
        .keys
        .iter()
        .any(|k| matches!(k, ClaimKey::NetnsPath(p) if proc_path_pid(p).is_none()));
    let mut found: Option<(usize, &ClaimKey)> = None;
    for key in claim.keys.iter().filter(|k| allow(k)) {
        let Some(i) = ix.lookup(key) else { continue };
        if named_by_mount
            && matches!(key, ClaimKey::Pid(_))
            && (netns[i].host || !netns[i].paths.is_empty())
        {
            continue;
        }
        match found {
            None => found = Some((i, key)),
            Some((j, first)) if j != i => {
                warnings.push(format!(
                    "{} {}: its {} is in netns {} but its {} is in netns {}; using the first",
                    claim.kind.as_str(),
                    claim.from,
                    key_label(first),
                    netns[j].inode,
                    key_label(key),
                    netns[i].inode
                ));
                break;
            }
            Some(_) => {}
        }
    }
    found.map(|(i, _)| i)
}

/// Attaches every claim to its namespace and sets `pod` on each namespace
/// that at least one source names. Stale runtime files become warnings.
pub fn attach(netns: &mut [Netns], claims: &[Claim], warnings: &mut Vec<String>) {
    let mut ix = Index::new(netns);
    let mut attached: Vec<Option<usize>> = vec![None; claims.len()];

    // A claim that names its namespace by path is stale when no namespace
    // has that path: its addresses may belong to a newer pod by now.
    let by_path = |c: &Claim| c.keys.iter().any(|k| matches!(k, ClaimKey::NetnsPath(_)));
    // Pass 1: keys that name the namespace directly. The API's pods are
    // matched by UID first, so their addresses wait for pass 2.
    for (ci, claim) in claims.iter().enumerate() {
        let has_uid = claim.keys.iter().any(|k| matches!(k, ClaimKey::PodUid(_)));
        let path_named = by_path(claim);
        let direct = |k: &ClaimKey| match k {
            ClaimKey::NetnsPath(_) | ClaimKey::Pid(_) => true,
            ClaimKey::Ip(_) => !has_uid && !path_named,
            _ => false,
        };
        attached[ci] = resolve(&ix, claim, netns, &direct, warnings);
    }
    // What pass 1 learnt: sandbox ids and pod UIDs of the attached namespaces.
    for (ci, claim) in claims.iter().enumerate() {
        let Some(i) = attached[ci] else { continue };
        if let Some(id) = &claim.sandbox_id {
            ix.sandboxes.entry(id.to_ascii_lowercase()).or_insert(i);
        }
        if let Some(uid) = &claim.uid {
            ix.uids.entry(uid.to_ascii_lowercase()).or_insert(i);
        }
    }
    // Pass 2: everything else, by any key (addresses only for claims without a path).
    for (ci, claim) in claims.iter().enumerate() {
        if attached[ci].is_none() {
            let path_named = by_path(claim);
            let any = |k: &ClaimKey| !(path_named && matches!(k, ClaimKey::Ip(_)));
            attached[ci] = resolve(&ix, claim, netns, &any, warnings);
        }
    }

    let mut per_ns: Vec<Vec<&Claim>> = vec![Vec::new(); netns.len()];
    for (ci, claim) in claims.iter().enumerate() {
        match attached[ci] {
            Some(i) => per_ns[i].push(claim),
            None if matches!(claim.kind, SourceKind::CniCache | SourceKind::OciConfig) => warnings
                .push(format!(
                    "stale {}: {} names {} but no network namespace on this node matches it",
                    claim.kind.as_str(),
                    claim.from,
                    describe(claim)
                )),
            None => {}
        }
    }
    for (i, mut found) in per_ns.into_iter().enumerate() {
        if netns[i].host {
            continue; // hostNetwork pods share the node's namespace; it belongs to no pod
        }
        found.sort_by_key(|c| c.kind);
        if let Some(pod) = merge(&found) {
            for c in &pod.conflicts {
                warnings.push(conflict_warning(&pod, netns[i].inode, c));
            }
            netns[i].pod = Some(pod);
        }
    }
}

fn describe(c: &Claim) -> String {
    match (&c.namespace, &c.name) {
        (Some(ns), Some(n)) => format!("pod {ns}/{n}"),
        (None, Some(n)) => format!("pod {n}"),
        _ => match &c.sandbox_id {
            Some(id) => format!("sandbox {}", crate::model::pod::short_id(id)),
            None => "a pod".into(),
        },
    }
}

fn conflict_warning(pod: &Pod, inode: u64, c: &Conflict) -> String {
    let vals: Vec<String> = c
        .values
        .iter()
        .map(|v| format!("{:?} ({} {})", v.value, v.kind.as_str(), v.from))
        .collect();
    format!(
        "netns {inode} (pod {}): sources disagree on {}: {}",
        pod.display_name(),
        c.field,
        vals.join(" vs ")
    )
}

/// One field's candidate values, most trusted source first.
fn pick(
    claims: &[&Claim],
    field: &'static str,
    get: &dyn Fn(&Claim) -> Option<String>,
    conflicts: &mut Vec<Conflict>,
) -> Option<String> {
    let mut values: Vec<ConflictValue> = Vec::new();
    for c in claims {
        let Some(v) = get(c) else { continue };
        if !values.iter().any(|x| x.value.eq_ignore_ascii_case(&v)) {
            values.push(ConflictValue {
                value: v,
                kind: c.kind,
                from: c.from.clone(),
            });
        }
    }
    let chosen = values.first().map(|v| v.value.clone());
    if values.len() > 1 {
        conflicts.push(Conflict { field, values });
    }
    chosen
}

/// Merges the claims attached to one namespace (sorted by trust) into a pod.
fn merge(claims: &[&Claim]) -> Option<Pod> {
    if claims.is_empty() {
        return None;
    }
    let mut conflicts = Vec::new();
    let namespace = pick(
        claims,
        "namespace",
        &|c| c.namespace.clone(),
        &mut conflicts,
    );
    let name = pick(claims, "name", &|c| c.name.clone(), &mut conflicts);
    let uid = pick(claims, "uid", &|c| c.uid.clone(), &mut conflicts);
    let sandbox_id = pick(
        claims,
        "sandbox_id",
        &|c| c.sandbox_id.clone(),
        &mut conflicts,
    );
    let runtime_s = pick(
        claims,
        "runtime",
        &|c| c.runtime.map(|r| r.as_str().to_string()),
        &mut conflicts,
    );
    let runtime = runtime_s.and_then(|r| {
        [
            Runtime::Containerd,
            Runtime::CriO,
            Runtime::Podman,
            Runtime::Docker,
        ]
        .into_iter()
        .find(|x| x.as_str() == r)
    });
    let sources = claims
        .iter()
        .map(|c| PodSource {
            kind: c.kind,
            from: c.from.clone(),
            fields: c.fields(),
        })
        .collect();
    Some(Pod {
        namespace,
        name,
        uid,
        sandbox_id,
        runtime,
        sources,
        conflicts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Interface;

    fn ns(inode: u64, host: bool, paths: &[&str], pids: &[i32], ips: &[&str]) -> Netns {
        Netns {
            inode,
            host,
            paths: paths.iter().map(|s| s.to_string()).collect(),
            pids: pids.len(),
            pause_pid: pids.first().copied(),
            interfaces: vec![Interface {
                name: "eth0".into(),
                ifindex: 2,
                kind: "veth".into(),
                addresses: ips.iter().map(|s| s.parse().unwrap()).collect(),
                mtu: None,
                oper_state: "up".into(),
                admin_up: true,
                ..Default::default()
            }],
            pod: None,
            fds: vec![],
            pid_list: pids.to_vec(),
        }
    }

    fn claim(
        kind: SourceKind,
        from: &str,
        keys: Vec<ClaimKey>,
        ns_: &str,
        name: &str,
        uid: Option<&str>,
        sid: Option<&str>,
    ) -> Claim {
        let mut c = Claim::new(kind, from);
        c.keys = keys;
        c.namespace = Some(ns_.into());
        c.name = Some(name.into());
        c.uid = uid.map(Into::into);
        c.sandbox_id = sid.map(Into::into);
        c
    }

    const UID: &str = "6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b";

    fn node() -> Vec<Netns> {
        vec![
            ns(1, true, &[], &[1], &["192.168.0.2/24"]),
            ns(
                2,
                false,
                &["/run/netns/cni-a"],
                &[100, 101],
                &["10.0.0.2/24"],
            ),
            ns(3, false, &[], &[200], &["10.0.0.3/24"]),
        ]
    }

    #[test]
    fn cni_cache_by_path_and_pod_logs_by_uid_learnt_from_the_cgroup() {
        let mut n = node();
        let cache = claim(
            SourceKind::CniCache,
            "/var/lib/cni/results/x",
            vec![ClaimKey::NetnsPath("/var/run/netns/cni-a".into())],
            "default",
            "web",
            Some(UID),
            Some("abc123abc123"),
        );
        let mut cg = Claim::new(SourceKind::Cgroup, "/proc/200/cgroup");
        cg.keys = vec![ClaimKey::Pid(200)];
        cg.uid = Some("11111111-2222-3333-4444-555555555555".into());
        let logs = claim(
            SourceKind::PodLogs,
            "/var/log/pods/kube-system_dns_1111…",
            vec![ClaimKey::PodUid(
                "11111111-2222-3333-4444-555555555555".into(),
            )],
            "kube-system",
            "dns",
            Some("11111111-2222-3333-4444-555555555555"),
            None,
        );
        let mut w = Vec::new();
        attach(&mut n, &[logs, cache, cg], &mut w);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(n[1].pod.as_ref().unwrap().display_name(), "default/web");
        let p3 = n[2].pod.as_ref().unwrap();
        assert_eq!(p3.display_name(), "kube-system/dns");
        assert_eq!(
            p3.sources.iter().map(|s| s.kind).collect::<Vec<_>>(),
            vec![SourceKind::Cgroup, SourceKind::PodLogs]
        );
        assert!(n[0].pod.is_none());
    }

    #[test]
    fn a_disagreement_is_reported_not_hidden() {
        let mut n = node();
        let cache = claim(
            SourceKind::CniCache,
            "cache",
            vec![ClaimKey::NetnsPath("/run/netns/cni-a".into())],
            "default",
            "web",
            Some(UID),
            None,
        );
        let oci = claim(
            SourceKind::OciConfig,
            "config.json",
            vec![ClaimKey::Pid(100)],
            "default",
            "api",
            Some(UID),
            None,
        );
        let mut w = Vec::new();
        attach(&mut n, &[cache, oci], &mut w);
        let pod = n[1].pod.as_ref().unwrap();
        assert_eq!(
            pod.name.as_deref(),
            Some("api"),
            "the OCI config is trusted first"
        );
        assert_eq!(pod.conflicts.len(), 1);
        assert_eq!(pod.conflicts[0].field, "name");
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("disagree on name"), "{}", w[0]);
    }

    #[test]
    fn stale_runtime_files_warn_and_api_pods_elsewhere_do_not() {
        let mut n = node();
        let stale = claim(
            SourceKind::CniCache,
            "/var/lib/cni/results/old",
            vec![ClaimKey::NetnsPath("/run/netns/gone".into())],
            "default",
            "old",
            None,
            None,
        );
        let api = claim(
            SourceKind::Kube,
            "api",
            vec![
                ClaimKey::PodUid(UID.into()),
                ClaimKey::Ip("10.9.9.9".parse().unwrap()),
            ],
            "default",
            "elsewhere",
            Some(UID),
            None,
        );
        let mut w = Vec::new();
        attach(&mut n, &[stale, api], &mut w);
        assert_eq!(w.len(), 1);
        assert!(w[0].starts_with("stale cni-cache"));
        assert!(n.iter().all(|x| x.pod.is_none()));
    }

    #[test]
    fn api_pods_match_by_uid_before_ip_and_never_the_host() {
        let mut n = node();
        let mut cg = Claim::new(SourceKind::Cgroup, "/proc/100/cgroup");
        cg.keys = vec![ClaimKey::Pid(100)];
        cg.uid = Some(UID.into());
        // the address says netns 3, the UID says netns 2: UID wins, and the mismatch is reported
        let api = claim(
            SourceKind::Kube,
            "api",
            vec![
                ClaimKey::PodUid(UID.into()),
                ClaimKey::Ip("10.0.0.3".parse().unwrap()),
            ],
            "default",
            "web",
            Some(UID),
            None,
        );
        let host = claim(
            SourceKind::Kube,
            "api",
            vec![ClaimKey::Ip("192.168.0.2".parse().unwrap())],
            "kube-system",
            "proxy",
            None,
            None,
        );
        let mut w = Vec::new();
        attach(&mut n, &[cg, api, host], &mut w);
        assert_eq!(n[1].pod.as_ref().unwrap().name.as_deref(), Some("web"));
        assert!(n[2].pod.is_none());
        assert!(n[0].pod.is_none());
        assert_eq!(w.len(), 1, "{w:?}");
    }

    #[test]
    fn a_stale_cache_entry_does_not_follow_its_address_to_a_new_pod() {
        // the cache names a deleted netns; netns 3 has since reused its address
        let mut n = node();
        let mut stale = claim(
            SourceKind::CniCache,
            "/var/lib/cni/results/old",
            vec![
                ClaimKey::NetnsPath("/var/run/netns/cni-gone".into()),
                ClaimKey::SandboxId("abcdef012345".into()),
                ClaimKey::Ip("10.0.0.3".parse().unwrap()),
            ],
            "default",
            "deleted",
            None,
            Some("abcdef012345"),
        );
        let mut w = Vec::new();
        attach(&mut n, std::slice::from_ref(&stale), &mut w);
        assert!(n[2].pod.is_none(), "{:?}", n[2].pod);
        assert_eq!(w.len(), 1);
        assert!(w[0].starts_with("stale cni-cache"), "{}", w[0]);
        // with a UID too (pass 2)
        stale.uid = Some(UID.into());
        let mut n = node();
        let mut w = Vec::new();
        attach(&mut n, &[stale], &mut w);
        assert!(n[2].pod.is_none());
        // a claim without a path (the API) still matches by address
        let api = claim(
            SourceKind::Kube,
            "api",
            vec![ClaimKey::Ip("10.0.0.3".parse().unwrap())],
            "default",
            "new",
            None,
            None,
        );
        attach(&mut n, &[api], &mut w);
        assert_eq!(n[2].pod.as_ref().unwrap().name.as_deref(), Some("new"));
    }

    #[test]
    fn proc_paths_resolve_through_the_pid() {
        let mut n = node();
        let c = claim(
            SourceKind::CniCache,
            "c",
            vec![ClaimKey::NetnsPath("/proc/101/ns/net".into())],
            "d",
            "p",
            None,
            None,
        );
        let mut w = Vec::new();
        attach(&mut n, &[c], &mut w);
        assert_eq!(n[1].pod.as_ref().unwrap().name.as_deref(), Some("p"));
    }
}

#[cfg(test)]
mod pid_reuse_tests {
    use super::*;

    fn ns(inode: u64, host: bool, paths: &[&str], pids: &[i32]) -> Netns {
        Netns {
            inode,
            host,
            paths: paths.iter().map(|s| s.to_string()).collect(),
            pids: pids.len(),
            pause_pid: None,
            interfaces: vec![],
            pod: None,
            fds: vec![],
            pid_list: pids.to_vec(),
        }
    }

    fn sandbox(path: &str, pid: i32) -> Claim {
        let mut c = Claim::new(SourceKind::OciConfig, "/run/containerd/x/config.json");
        c.keys = vec![ClaimKey::NetnsPath(path.into()), ClaimKey::Pid(pid)];
        c.name = Some("old".into());
        c.namespace = Some("default".into());
        c
    }

    #[test]
    fn a_reused_pid_does_not_carry_a_deleted_sandbox_into_another_pod() {
        // the sandbox's mount is gone; its init.pid now belongs to a process in another pod's netns
        let mut n = vec![
            ns(1, true, &[], &[1]),
            ns(2, false, &["/run/netns/cni-new"], &[300]),
        ];
        let mut w = Vec::new();
        attach(&mut n, &[sandbox("/run/netns/cni-gone", 300)], &mut w);
        assert!(n[1].pod.is_none());
        assert!(w[0].starts_with("stale oci-config"), "{w:?}");
    }

    #[test]
    fn a_pid_still_names_a_namespace_whose_mount_is_not_visible() {
        let mut n = vec![ns(1, true, &[], &[1]), ns(2, false, &[], &[300])];
        let mut w = Vec::new();
        attach(&mut n, &[sandbox("/run/netns/cni-elsewhere", 300)], &mut w);
        assert_eq!(
            n[1].pod.as_ref().and_then(|p| p.name.as_deref()),
            Some("old")
        );
        assert!(w.is_empty(), "{w:?}");
    }
}
