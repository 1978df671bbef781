//! Parses /proc/net/snmp and /proc/net/netstat (header line, value line
//! pairs) into `Group:Name` → value. No I/O.

use std::collections::BTreeMap;

/// Every counter, keyed `Ip:InAddrErrors`, `TcpExt:IPReversePathFilter`…
pub fn counters(text: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let lines: Vec<&str> = text.lines().collect();
    for pair in lines.chunks(2) {
        let [names, values] = pair else { continue };
        let (Some((g1, n)), Some((g2, v))) = (names.split_once(':'), values.split_once(':')) else {
            continue;
        };
        if g1 != g2 {
            continue;
        }
        for (name, value) in n.split_whitespace().zip(v.split_whitespace()) {
            if let Ok(v) = value.parse::<u64>() {
                out.insert(format!("{g1}:{name}"), v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snmp_and_netstat() {
        let snmp = "Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors FragFails\nIp: 1 64 100 0 7 2\nIcmp: InMsgs\nIcmp: 5\n";
        let c = counters(snmp);
        assert_eq!(c["Ip:InAddrErrors"], 7);
        assert_eq!(c["Ip:FragFails"], 2);
        assert_eq!(c["Icmp:InMsgs"], 5);
        let netstat = "TcpExt: SyncookiesSent IPReversePathFilter\nTcpExt: 0 3\nIpExt: InNoRoutes InTruncatedPkts\nIpExt: 4 0\n";
        let c = counters(netstat);
        assert_eq!(
            (c["TcpExt:IPReversePathFilter"], c["IpExt:InNoRoutes"]),
            (3, 4)
        );
        assert!(counters("garbage\nmore: x\n").is_empty());
    }
}
