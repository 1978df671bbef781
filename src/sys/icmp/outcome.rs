//! What one ICMP probe attempt got: a reply, a timeout, an ICMP error
//! naming the router that sent it, or a local send error; and the few
//! words that say it. Plain data, no I/O.

use std::net::IpAddr;

use serde::Serialize;

/// What one attempt got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Outcome {
    /// An echo reply.
    Reply {
        from: IpAddr,
        rtt_us: u64,
        /// IPv4 TTL of the reply (None on IPv6).
        ttl: Option<u8>,
    },
    /// Nothing came back in time.
    Timeout,
    /// Destination unreachable (IPv4 type 3 / IPv6 type 1; `code` as sent),
    /// or an IPv4 parameter problem (type 12, code + 100).
    Unreachable { from: IpAddr, code: u8 },
    /// IPv4 "fragmentation needed" (type 3 code 4) or IPv6 "packet too
    /// big": a don't-fragment packet met a smaller MTU at `from`.
    FragmentationNeeded { from: IpAddr, mtu: u32 },
    /// TTL / hop limit exceeded at `from`.
    TimeExceeded { from: IpAddr },
    /// The kernel refused to send (`EMSGSIZE`: bigger than the route's MTU
    /// with DF; `ENETUNREACH`: no route; `EPERM`: a firewall).
    SendError { errno: i32, message: String },
}

impl Outcome {
    pub fn is_reply(&self) -> bool {
        matches!(self, Outcome::Reply { .. })
    }

    /// A few words: `reply 0.12 ms`, `timeout`, `unreachable from 10.0.0.1 (code 0)`…
    pub fn describe(&self) -> String {
        match self {
            Outcome::Reply { rtt_us, .. } => format!("reply {:.2} ms", *rtt_us as f64 / 1000.0),
            Outcome::Timeout => "timeout".into(),
            Outcome::Unreachable { from, code } => {
                let what = match code {
                    0 => "network unreachable",
                    1 => "host unreachable",
                    3 => "port unreachable",
                    9 | 10 | 13 => "administratively prohibited",
                    c if *c >= 100 => "parameter problem",
                    _ => "unreachable",
                };
                format!("{what} (from {from}, code {code})")
            }
            Outcome::FragmentationNeeded { from, mtu } => {
                format!("fragmentation needed: MTU {mtu} at {from}")
            }
            Outcome::TimeExceeded { from } => format!("time exceeded at {from}"),
            Outcome::SendError { message, .. } => format!("not sent: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_says_what_it_is_in_a_few_words() {
        let from: IpAddr = "10.0.0.1".parse().unwrap();
        let reply = Outcome::Reply {
            from,
            rtt_us: 1234,
            ttl: Some(64),
        };
        assert!(reply.is_reply());
        assert_eq!(reply.describe(), "reply 1.23 ms");
        assert!(!Outcome::Timeout.is_reply());
        assert_eq!(Outcome::Timeout.describe(), "timeout");
        let unreachable = |code| Outcome::Unreachable { from, code }.describe();
        assert_eq!(unreachable(1), "host unreachable (from 10.0.0.1, code 1)");
        assert_eq!(unreachable(3), "port unreachable (from 10.0.0.1, code 3)");
        assert_eq!(
            unreachable(13),
            "administratively prohibited (from 10.0.0.1, code 13)"
        );
        assert_eq!(
            unreachable(100),
            "parameter problem (from 10.0.0.1, code 100)"
        );
        assert_eq!(unreachable(5), "unreachable (from 10.0.0.1, code 5)");
        assert_eq!(
            Outcome::FragmentationNeeded { from, mtu: 1400 }.describe(),
            "fragmentation needed: MTU 1400 at 10.0.0.1"
        );
        assert_eq!(
            Outcome::TimeExceeded { from }.describe(),
            "time exceeded at 10.0.0.1"
        );
    }

    #[test]
    fn outcomes_serialise_with_their_kind() {
        let v = serde_json::to_value(Outcome::FragmentationNeeded {
            from: "10.0.0.1".parse().unwrap(),
            mtu: 1450,
        })
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind": "fragmentation-needed", "from": "10.0.0.1", "mtu": 1450})
        );
        let v = serde_json::to_value(Outcome::Timeout).unwrap();
        assert_eq!(v, serde_json::json!({"kind": "timeout"}));
    }
}
