//! The prober's plain data: what a probe asks ([`Probe`], [`Batch`]) and
//! what its attempts got ([`Attempt`], [`ProbeResult`]). No I/O.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::codec::{ICMP_HDR, ip_header_len};
use super::outcome::Outcome;

/// One destination and how to ask it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub target: IpAddr,
    /// Bytes after the 8-byte ICMP header (ping's `-s`; 56 by default).
    pub payload: usize,
    /// Set the don't-fragment bit (IPv4 `IP_PMTUDISC_DO`; IPv6 never
    /// fragments on the way, this only stops local fragmentation).
    pub dont_fragment: bool,
    /// Attempts (at least 1).
    pub count: u32,
    /// Between attempts.
    pub interval: Duration,
    /// How long each attempt waits for its answer.
    pub timeout: Duration,
    /// Send no further attempts once one is answered by a reply.
    pub stop_on_reply: bool,
}

impl Probe {
    /// 56 data bytes, DF off, one attempt, 1 s timeout.
    pub fn new(target: IpAddr) -> Probe {
        Probe {
            target,
            payload: 56,
            dont_fragment: false,
            count: 1,
            interval: Duration::from_millis(200),
            timeout: Duration::from_secs(1),
            stop_on_reply: true,
        }
    }

    /// Sets the payload so that the whole IP packet is `bytes` long.
    pub fn size(mut self, bytes: usize) -> Probe {
        self.payload = bytes.saturating_sub(ip_header_len(self.target) + ICMP_HDR);
        self
    }

    pub fn payload(mut self, bytes: usize) -> Probe {
        self.payload = bytes;
        self
    }

    pub fn dont_fragment(mut self, on: bool) -> Probe {
        self.dont_fragment = on;
        self
    }

    pub fn count(mut self, n: u32) -> Probe {
        self.count = n.max(1);
        self
    }

    pub fn interval(mut self, d: Duration) -> Probe {
        self.interval = d;
        self
    }

    pub fn timeout(mut self, d: Duration) -> Probe {
        self.timeout = d;
        self
    }

    pub fn stop_on_reply(mut self, on: bool) -> Probe {
        self.stop_on_reply = on;
        self
    }

    /// Bytes of the IP packet each attempt sends.
    pub fn packet_size(&self) -> usize {
        ip_header_len(self.target) + ICMP_HDR + self.payload
    }
}

/// One attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub seq: u16,
    pub outcome: Outcome,
}

/// The result of one probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeResult {
    pub target: IpAddr,
    pub id: u16,
    /// Bytes of each IP packet sent.
    pub packet_size: usize,
    pub dont_fragment: bool,
    pub attempts: Vec<Attempt>,
}

impl ProbeResult {
    /// Some attempt got a reply.
    pub fn ok(&self) -> bool {
        self.attempts.iter().any(|a| a.outcome.is_reply())
    }

    /// The shortest round-trip time of the replies.
    pub fn best_rtt(&self) -> Option<Duration> {
        self.attempts
            .iter()
            .filter_map(|a| match a.outcome {
                Outcome::Reply { rtt_us, .. } => Some(Duration::from_micros(rtt_us)),
                _ => None,
            })
            .min()
    }

    /// The most telling failure: an ICMP error or send error over a timeout.
    pub fn failure(&self) -> Option<&Outcome> {
        if self.ok() {
            return None;
        }
        self.attempts
            .iter()
            .map(|a| &a.outcome)
            .find(|o| !matches!(o, Outcome::Timeout))
            .or_else(|| self.attempts.last().map(|a| &a.outcome))
    }
}

/// The probes of one source namespace (`None`: the caller's).
#[derive(Debug, Clone)]
pub struct Batch {
    pub netns: Option<PathBuf>,
    pub probes: Vec<Probe>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_say_whether_any_attempt_got_through() {
        let mut r = ProbeResult {
            target: "10.0.0.1".parse().unwrap(),
            id: 1,
            packet_size: 84,
            dont_fragment: false,
            attempts: vec![
                Attempt {
                    seq: 1,
                    outcome: Outcome::Timeout,
                },
                Attempt {
                    seq: 2,
                    outcome: Outcome::SendError {
                        errno: libc::EMSGSIZE,
                        message: "Message too long".into(),
                    },
                },
            ],
        };
        assert!(!r.ok());
        assert_eq!(
            r.failure().unwrap().describe(),
            "not sent: Message too long"
        );
        r.attempts.push(Attempt {
            seq: 3,
            outcome: Outcome::Reply {
                from: r.target,
                rtt_us: 120,
                ttl: Some(64),
            },
        });
        assert!(r.ok());
        assert_eq!(r.best_rtt(), Some(Duration::from_micros(120)));
        assert!(r.failure().is_none());
    }

    #[test]
    fn only_timeouts_fail_with_the_last_and_nothing_sent_fails_with_nothing() {
        let mut r = ProbeResult {
            target: "10.0.0.1".parse().unwrap(),
            id: 1,
            packet_size: 84,
            dont_fragment: false,
            attempts: Vec::new(),
        };
        assert!(r.failure().is_none());
        assert_eq!(r.best_rtt(), None);
        r.attempts.push(Attempt {
            seq: 1,
            outcome: Outcome::Timeout,
        });
        assert_eq!(r.failure(), Some(&Outcome::Timeout));
    }

    #[test]
    fn builders_set_what_they_name_and_count_is_at_least_one() {
        let p = Probe::new("10.0.0.1".parse().unwrap())
            .payload(100)
            .dont_fragment(true)
            .count(0)
            .interval(Duration::from_millis(5))
            .timeout(Duration::from_millis(7))
            .stop_on_reply(false);
        assert_eq!(p.packet_size(), 128);
        assert!(p.dont_fragment && !p.stop_on_reply);
        assert_eq!(p.count, 1);
        assert_eq!(p.interval, Duration::from_millis(5));
        assert_eq!(p.timeout, Duration::from_millis(7));
        assert_eq!(Probe::new("::1".parse().unwrap()).packet_size(), 104);
        assert_eq!(Probe::new("10.0.0.1".parse().unwrap()).size(10).payload, 0);
    }
}
