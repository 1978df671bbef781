//! Probe arithmetic: loss and round-trip statistics, and the sizes a
//! path-MTU sweep tries next. No I/O.

use crate::model::probe::{PmtuStep, ProbeAttempt, Rtt};

/// `(sent, received, loss %, rtt)` of a run of attempts.
pub fn summary(attempts: &[ProbeAttempt]) -> (usize, usize, f64, Option<Rtt>) {
    let sent = attempts.len();
    let received = attempts.iter().filter(|a| a.ok).count();
    let loss = if sent == 0 {
        0.0
    } else {
        100.0 * (sent - received) as f64 / sent as f64
    };
    let lat: Vec<f64> = attempts
        .iter()
        .filter(|a| a.ok)
        .filter_map(|a| a.latency_ms)
        .collect();
    let rtt = (!lat.is_empty()).then(|| Rtt {
        min_ms: lat.iter().copied().fold(f64::INFINITY, f64::min),
        avg_ms: lat.iter().sum::<f64>() / lat.len() as f64,
        max_ms: lat.iter().copied().fold(0.0, f64::max),
    });
    (sent, received, loss, rtt)
}

/// Up to `n` sizes spread over `lo..=hi`, both ends included.
pub fn spread(lo: usize, hi: usize, n: usize) -> Vec<usize> {
    if hi <= lo {
        return vec![hi];
    }
    let n = n.max(2).min(hi - lo + 1);
    let mut v: Vec<usize> = (0..n).map(|i| lo + (hi - lo) * i / (n - 1)).collect();
    v.dedup();
    v
}

/// The largest size known to pass and the smallest known to fail above it.
pub fn bracket(steps: &[PmtuStep], hi: usize) -> (Option<usize>, usize) {
    let best = steps.iter().filter(|s| s.ok).map(|s| s.size).max();
    let fail = steps
        .iter()
        .filter(|s| !s.ok && best.is_none_or(|b| s.size > b))
        .map(|s| s.size)
        .min()
        .unwrap_or(hi + 1);
    (best, fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(size: usize, ok: bool) -> PmtuStep {
        PmtuStep {
            size,
            ok,
            result: String::new(),
        }
    }

    #[test]
    fn loss_and_rtt() {
        let a = |ok, ms| ProbeAttempt {
            seq: 1,
            ok,
            result: String::new(),
            latency_ms: ms,
        };
        let (sent, recv, loss, rtt) = summary(&[
            a(true, Some(1.0)),
            a(false, None),
            a(true, Some(3.0)),
            a(true, Some(2.0)),
        ]);
        assert_eq!((sent, recv, loss), (4, 3, 25.0));
        let rtt = rtt.unwrap();
        assert_eq!((rtt.min_ms, rtt.avg_ms, rtt.max_ms), (1.0, 2.0, 3.0));
        assert!(summary(&[]).3.is_none());
    }

    #[test]
    fn sweep_sizes_and_brackets() {
        assert_eq!(spread(100, 200, 3), vec![100, 150, 200]);
        assert_eq!(spread(1400, 1402, 16), vec![1400, 1401, 1402]);
        assert_eq!(spread(5, 5, 4), vec![5]);
        let (best, fail) = bracket(
            &[
                step(68, true),
                step(1000, true),
                step(1400, false),
                step(1500, false),
                step(500, false),
            ],
            1500,
        );
        assert_eq!((best, fail), (Some(1000), 1400));
        assert_eq!(bracket(&[step(68, false)], 1500), (None, 68));
        assert_eq!(bracket(&[step(1500, true)], 1500), (Some(1500), 1501));
    }
}

/// What a probe asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Icmp,
    Tcp(u16),
    Http { port: u16, path: String },
    Udp(u16),
    Dns { port: u16, name: String },
}

impl Mode {
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Icmp => "icmp",
            Mode::Tcp(_) => "tcp",
            Mode::Http { .. } => "http",
            Mode::Udp(_) => "udp",
            Mode::Dns { .. } => "dns",
        }
    }

    /// The destination port (none for ICMP).
    pub fn port(&self) -> Option<u16> {
        match self {
            Mode::Icmp => None,
            Mode::Tcp(p) | Mode::Udp(p) => Some(*p),
            Mode::Http { port, .. } | Mode::Dns { port, .. } => Some(*port),
        }
    }

    /// The layer-4 protocol of its packets.
    pub fn l4(&self) -> &'static str {
        match self {
            Mode::Icmp => "icmp",
            Mode::Udp(_) | Mode::Dns { .. } => "udp",
            Mode::Tcp(_) | Mode::Http { .. } => "tcp",
        }
    }
}

/// A parsed target: the host part (an IP or a pod reference) and the mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    pub host: String,
    pub mode: Mode,
}

fn split_port(hostport: &str) -> Result<(String, Option<u16>), String> {
    if let Some(rest) = hostport.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or("unclosed [ in an IPv6 address")?;
        return match after.strip_prefix(':') {
            Some(p) => Ok((
                h.to_string(),
                Some(p.parse().map_err(|_| format!("bad port {p:?}"))?),
            )),
            None if after.is_empty() => Ok((h.to_string(), None)),
            None => Err(format!("unexpected {after:?} after the address")),
        };
    }
    if hostport.parse::<std::net::IpAddr>().is_ok() {
        return Ok((hostport.to_string(), None));
    }
    match hostport.rsplit_once(':') {
        Some((h, p)) => Ok((
            h.to_string(),
            Some(p.parse().map_err(|_| format!("bad port {p:?}"))?),
        )),
        None => Ok((hostport.to_string(), None)),
    }
}

/// Parses `10.0.0.5`, `pod`, `ns/pod`, `10.0.0.5:80` (TCP), `tcp://h:p`,
/// `udp://h:p`, `http://h[:p][/path]`, `dns://server[:p]/name`; a mode
/// given by flag (`explicit`) applies to a bare host.
pub fn parse_target(s: &str, explicit: Option<Mode>) -> Result<TargetSpec, String> {
    if let Some((scheme, rest)) = s.split_once("://") {
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (host, port) = split_port(hostport)?;
        let mode = match scheme {
            "tcp" => Mode::Tcp(port.ok_or("tcp:// needs a port")?),
            "udp" => Mode::Udp(port.ok_or("udp:// needs a port")?),
            "http" => Mode::Http {
                port: port.unwrap_or(80),
                path: if path.is_empty() {
                    "/".into()
                } else {
                    path.into()
                },
            },
            "dns" => {
                let name = path.trim_start_matches('/');
                if name.is_empty() {
                    return Err("dns:// needs a name to look up: dns://10.96.0.10/kubernetes.default.svc.cluster.local".into());
                }
                Mode::Dns {
                    port: port.unwrap_or(53),
                    name: name.into(),
                }
            }
            "icmp" => Mode::Icmp,
            other => {
                return Err(format!(
                    "unknown scheme {other:?}: use icmp, tcp, udp, http or dns"
                ));
            }
        };
        return Ok(TargetSpec { host, mode });
    }
    if let Some(m) = explicit {
        return Ok(TargetSpec {
            host: s.to_string(),
            mode: m,
        });
    }
    if let Some(why) = super::resolve::port_out_of_range(s) {
        return Err(why);
    }
    // `host:port` means TCP, unless the whole thing is an IPv6 address or a pod reference with a slash
    match split_port(s) {
        Ok((host, Some(port)))
            if !host.contains('/') || s.rsplit_once(':').is_some_and(|(h, _)| h.contains('/')) =>
        {
            Ok(TargetSpec {
                host,
                mode: Mode::Tcp(port),
            })
        }
        _ => Ok(TargetSpec {
            host: s.to_string(),
            mode: Mode::Icmp,
        }),
    }
}

#[cfg(test)]
mod target_tests {
    use super::*;

    #[test]
    fn target_forms() {
        let t = |s: &str| parse_target(s, None).unwrap();
        assert_eq!(
            t("10.244.2.5"),
            TargetSpec {
                host: "10.244.2.5".into(),
                mode: Mode::Icmp
            }
        );
        assert_eq!(t("default/web-0").mode, Mode::Icmp);
        assert_eq!(t("fd00::5").mode, Mode::Icmp);
        assert_eq!(
            t("10.244.2.5:80"),
            TargetSpec {
                host: "10.244.2.5".into(),
                mode: Mode::Tcp(80)
            }
        );
        assert_eq!(
            t("[fd00::5]:443"),
            TargetSpec {
                host: "fd00::5".into(),
                mode: Mode::Tcp(443)
            }
        );
        assert_eq!(
            t("default/db-0:5432"),
            TargetSpec {
                host: "default/db-0".into(),
                mode: Mode::Tcp(5432)
            }
        );
        assert_eq!(
            t("http://10.0.0.1:8080/healthz").mode,
            Mode::Http {
                port: 8080,
                path: "/healthz".into()
            }
        );
        assert_eq!(
            t("http://web-0").mode,
            Mode::Http {
                port: 80,
                path: "/".into()
            }
        );
        assert_eq!(t("udp://10.0.0.1:53").mode, Mode::Udp(53));
        assert_eq!(
            t("dns://10.96.0.10/kubernetes.default").mode,
            Mode::Dns {
                port: 53,
                name: "kubernetes.default".into()
            }
        );
        assert!(parse_target("tcp://10.0.0.1", None).is_err());
        assert!(parse_target("dns://10.0.0.1", None).is_err());
        assert!(parse_target("ftp://x:1", None).is_err());
        assert!(parse_target("10.0.0.1:notaport", None).is_ok_and(|t| t.mode == Mode::Icmp));
        assert_eq!(
            parse_target("web-0", Some(Mode::Udp(9))).unwrap().mode,
            Mode::Udp(9)
        );
    }
}
