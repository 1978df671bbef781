//! Resolves what a user typed as a pod (name, namespace/name, UID, sandbox
//! id prefix, PID, netns path or name, inode, pod IP) to one namespace. No I/O.

use std::net::IpAddr;

use crate::error::{Error, Result};
use crate::model::Netns;

/// Sandbox id prefixes shorter than this are not matched (too ambiguous).
const MIN_ID_PREFIX: usize = 4;

/// A packet's destination as the user gave it: an address or a pod
/// reference, either with a port (`IP:PORT`, `[IPv6]:PORT`, `POD:PORT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Addr(IpAddr, Option<u16>),
    Pod(String, Option<u16>),
}

impl Destination {
    /// The port given with the destination, if any.
    pub fn port(&self) -> Option<u16> {
        match self {
            Destination::Addr(_, p) | Destination::Pod(_, p) => *p,
        }
    }

    /// The destination address: the pod's first global one for a pod.
    pub fn address(&self, netns: &[Netns]) -> Result<IpAddr> {
        match self {
            Destination::Addr(ip, _) => Ok(*ip),
            Destination::Pod(name, _) => {
                let ns = &netns[resolve(netns, name)?];
                ns.global_ips().next().ok_or_else(|| {
                    Error::NotFound(format!("{} has no address to trace to", label(ns)))
                })
            }
        }
    }
}

/// Why `HOST:PORT` has no port: its digits name no port (`10.244.2.2:99999`).
pub fn port_out_of_range(s: &str) -> Option<String> {
    let (_, p) = s.rsplit_once(':')?;
    let digits = !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    (digits && p.parse::<u16>().is_err()).then(|| format!("port {p} is out of range (0-65535)"))
}

impl std::str::FromStr for Destination {
    type Err = String;

    /// What is not an address is a pod reference, resolved later; only a
    /// port out of range is refused here.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Destination::Addr(ip, None));
        }
        if let Ok(sa) = s.parse::<std::net::SocketAddr>() {
            return Ok(Destination::Addr(sa.ip(), Some(sa.port())));
        }
        if let Some(why) = port_out_of_range(s) {
            return Err(why);
        }
        Ok(match s.rsplit_once(':') {
            Some((name, p)) if p.parse::<u16>().is_ok() => {
                Destination::Pod(name.to_string(), p.parse().ok())
            }
            _ => Destination::Pod(s.to_string(), None),
        })
    }
}

/// The index of the one namespace `query` names.
pub fn resolve(netns: &[Netns], query: &str) -> Result<usize> {
    let q = query.trim();
    if q.is_empty() {
        return Err(Error::Usage("an empty pod reference".into()));
    }
    let hits_of = |m: &dyn Fn(&Netns) -> bool| -> Vec<usize> {
        netns
            .iter()
            .enumerate()
            .filter(|(_, ns)| m(ns))
            .map(|(i, _)| i)
            .collect()
    };
    let mut hits = hits_of(&|ns| matches(ns, q));
    // all digits: a PID or inode first, else a sandbox id prefix (hex can be all digits)
    if hits.is_empty() && q.bytes().all(|b| b.is_ascii_digit()) {
        hits = hits_of(&|ns| ns.pod.as_ref().is_some_and(|p| sandbox_prefix(p, q)));
    }
    match hits.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::with_hint(
            format!("no pod or network namespace on this node matches {q:?}"),
            "`podnet ns list` shows them; a pod is named by name, namespace/name, UID, sandbox id, PID, netns path or IP",
        )),
        many => Err(Error::Ambiguous {
            what: format!("{q:?}"),
            candidates: many.iter().map(|&i| label(&netns[i])).collect(),
        }),
    }
}

/// How a namespace is shown in a candidate list.
pub fn label(ns: &Netns) -> String {
    let who = match &ns.pod {
        Some(p) => p.display_name(),
        None if ns.host => "host".into(),
        None => ns
            .paths
            .first()
            .cloned()
            .unwrap_or_else(|| "unnamed".into()),
    };
    format!("{who} (netns {})", ns.inode)
}

fn matches(ns: &Netns, q: &str) -> bool {
    if let Ok(ip) = q.parse::<IpAddr>() {
        return !ns.host && has_address(ns, ip);
    }
    if let Ok(n) = q.parse::<u64>() {
        let pid_hit = i32::try_from(n).is_ok_and(|pid| ns.pid_list.contains(&pid));
        return pid_hit || ns.inode == n;
    }
    if q.starts_with('/') {
        let norm = super::identity::normalize_netns_path(q);
        return ns
            .paths
            .iter()
            .any(|p| super::identity::normalize_netns_path(p) == norm)
            || q.strip_prefix("/proc/")
                .and_then(|r| r.strip_suffix("/ns/net"))
                .and_then(|pid| pid.parse::<i32>().ok())
                .is_some_and(|pid| ns.pid_list.contains(&pid));
    }
    if q == "host" {
        return ns.host;
    }
    // a netns name as `ip netns` shows it
    if ns.paths.iter().any(|p| p.rsplit('/').next() == Some(q)) {
        return true;
    }
    let Some(pod) = &ns.pod else { return false };
    if let Some((namespace, name)) = q.split_once('/') {
        return pod.namespace.as_deref() == Some(namespace) && pod.name.as_deref() == Some(name);
    }
    pod.name.as_deref() == Some(q)
        || pod
            .uid
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(q))
        || sandbox_prefix(pod, q)
}

/// `q` is a prefix of the pod's sandbox id, long enough to mean it.
fn sandbox_prefix(pod: &crate::model::Pod, q: &str) -> bool {
    q.len() >= MIN_ID_PREFIX
        && q.bytes().all(|b| b.is_ascii_hexdigit())
        && pod
            .sandbox_id
            .as_deref()
            .is_some_and(|id| id.to_ascii_lowercase().starts_with(&q.to_ascii_lowercase()))
}

fn has_address(ns: &Netns, ip: IpAddr) -> bool {
    ns.interfaces.iter().any(|i| i.holds(ip))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Interface, Pod};

    fn ns(
        inode: u64,
        path: Option<&str>,
        pod: Option<(&str, &str, &str, &str)>,
        pids: &[i32],
        ip: &str,
    ) -> Netns {
        Netns {
            inode,
            host: inode == 1,
            paths: path.map(|p| vec![p.to_string()]).unwrap_or_default(),
            pids: pids.len(),
            pause_pid: pids.first().copied(),
            interfaces: vec![Interface {
                name: "eth0".into(),
                ifindex: 2,
                kind: "veth".into(),
                addresses: vec![format!("{ip}/24").parse().unwrap()],
                mtu: None,
                oper_state: "up".into(),
                admin_up: true,
                ..Default::default()
            }],
            pod: pod.map(|(n, name, uid, sid)| Pod {
                namespace: Some(n.into()),
                name: Some(name.into()),
                uid: Some(uid.into()),
                sandbox_id: Some(sid.into()),
                runtime: None,
                sources: vec![],
                conflicts: vec![],
            }),
            fds: vec![],
            pid_list: pids.to_vec(),
        }
    }

    fn node() -> Vec<Netns> {
        vec![
            ns(1, None, None, &[1, 2], "192.168.0.2"),
            ns(
                4026532001,
                Some("/run/netns/cni-aaa"),
                Some((
                    "default",
                    "web",
                    "11111111-2222-3333-4444-555555555555",
                    "abcdef012345",
                )),
                &[100],
                "10.0.0.2",
            ),
            ns(
                4026532002,
                Some("/run/netns/cni-bbb"),
                Some((
                    "prod",
                    "web",
                    "21111111-2222-3333-4444-555555555555",
                    "abcd99999999",
                )),
                &[200, 201],
                "10.0.0.3",
            ),
            ns(4026532003, Some("/run/netns/plain"), None, &[], "10.0.0.4"),
        ]
    }

    #[test]
    fn a_sandbox_id_prefix_of_digits_only_is_still_a_sandbox_id() {
        let mut n = node();
        if let Some(p) = n[2].pod.as_mut() {
            p.sandbox_id = Some("766682107013f00d".into());
        }
        assert_eq!(resolve(&n, "766682107013").ok(), Some(2));
        // a PID still wins where it is one, even if a sandbox id starts with it
        n[1].pid_list.push(1234);
        if let Some(p) = n[2].pod.as_mut() {
            p.sandbox_id = Some("1234f00d".into());
        }
        assert_eq!(resolve(&n, "1234").ok(), Some(1));
        assert_eq!(resolve(&n, "766682107013").ok(), None);
    }

    #[test]
    fn every_reference_form() {
        let n = node();
        for (q, want) in [
            ("default/web", 1),
            ("prod/web", 2),
            ("11111111-2222-3333-4444-555555555555", 1),
            ("abcdef", 1),
            ("abcd9", 2),
            ("100", 1),
            ("201", 2),
            ("4026532003", 3),
            ("/run/netns/cni-bbb", 2),
            ("/var/run/netns/cni-bbb", 2),
            ("/proc/200/ns/net", 2),
            ("cni-aaa", 1),
            ("plain", 3),
            ("10.0.0.3", 2),
            ("host", 0),
        ] {
            assert_eq!(resolve(&n, q).unwrap(), want, "{q}");
        }
    }

    #[test]
    fn ambiguous_names_list_the_candidates() {
        let err = resolve(&node(), "web").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("default/web (netns 4026532001)")
                && msg.contains("prod/web (netns 4026532002)"),
            "{msg}"
        );
        assert!(
            resolve(&node(), "abcd").is_err(),
            "a prefix of both sandbox ids is ambiguous"
        );
    }

    #[test]
    fn unknown_and_host_addresses() {
        assert!(matches!(
            resolve(&node(), "nosuchpod"),
            Err(Error::Other { .. })
        ));
        assert!(
            resolve(&node(), "192.168.0.2").is_err(),
            "the node's own address names no pod"
        );
        assert!(resolve(&node(), "").is_err());
        assert!(resolve(&node(), "abc").is_err(), "too short a prefix");
    }

    #[test]
    fn a_destination_is_an_address_or_a_pod_with_an_optional_port() {
        let d = |s: &str| s.parse::<Destination>().unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(d("10.0.0.1"), Destination::Addr(ip("10.0.0.1"), None));
        assert_eq!(
            d("10.0.0.1:53"),
            Destination::Addr(ip("10.0.0.1"), Some(53))
        );
        assert_eq!(d("fd00::1"), Destination::Addr(ip("fd00::1"), None));
        assert_eq!(
            d("[fd00::1]:80"),
            Destination::Addr(ip("fd00::1"), Some(80))
        );
        assert_eq!(
            d("default/db-0:5432"),
            Destination::Pod("default/db-0".into(), Some(5432))
        );
        assert_eq!(
            "db-0:99999".parse::<Destination>(),
            Err("port 99999 is out of range (0-65535)".into())
        );
        assert!("10.244.2.2:65536".parse::<Destination>().is_err());
        assert_eq!(d("db-0:http"), Destination::Pod("db-0:http".into(), None));
        assert_eq!(d("web-0").port(), None);
    }
}
