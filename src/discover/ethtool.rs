//! Parses ethtool ioctl buffers: statistic names and values (`ethtool -S`)
//! and `struct ethtool_drvinfo` (`ethtool -i`). No I/O.

use crate::model::ethtool::DriverInfo;

/// `ETH_GSTRING_LEN`: each name is a NUL-padded 32-byte field.
const GSTRING_LEN: usize = 32;
/// The size of `struct ethtool_drvinfo`.
const DRVINFO_LEN: usize = 196;

/// `(name, value)` pairs in driver order. Names that repeat are kept (some
/// drivers repeat per-queue names); empty names are dropped.
pub fn stats(names: &[u8], values: &[u64]) -> Vec<(String, u64)> {
    names
        .chunks(GSTRING_LEN)
        .zip(values)
        .filter_map(|(name, v)| {
            let s = c_string(name);
            (!s.is_empty()).then_some((s, *v))
        })
        .collect()
}

/// `(feature, active)` pairs as `ethtool -k` lists them (`tx-checksum-ip-generic`…).
pub fn features(names: &[u8], active: &[u32]) -> Vec<(String, bool)> {
    names
        .chunks(GSTRING_LEN)
        .enumerate()
        .filter_map(|(i, name)| {
            let s = c_string(name);
            let on = active.get(i / 32).is_some_and(|w| w & (1 << (i % 32)) != 0);
            (!s.is_empty()).then_some((s, on))
        })
        .collect()
}

/// Parses a `struct ethtool_drvinfo`.
pub fn driver_info(bytes: &[u8]) -> Option<DriverInfo> {
    if bytes.len() < DRVINFO_LEN {
        return None;
    }
    let field = |off: usize| c_string(&bytes[off..off + 32]);
    let u32_at = |off: usize| {
        u32::from_ne_bytes([bytes[off], bytes[off + 1], bytes[off + 2], bytes[off + 3]])
    };
    // cmd(4) driver(32) version(32) fw_version(32) bus_info(32) erom_version(32) reserved2(12) n_priv_flags n_stats …
    Some(DriverInfo {
        driver: field(4),
        version: field(36),
        firmware_version: field(68),
        bus_info: field(100),
        n_stats: u32_at(4 + 32 * 5 + 12 + 4),
    })
}

fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Vec<u8> {
        let mut v = s.as_bytes().to_vec();
        v.resize(GSTRING_LEN, 0);
        v
    }

    #[test]
    fn pairs_names_and_values() {
        // what the veth driver returns, shortened
        let names = [
            name("peer_ifindex"),
            name("rx_queue_0_xdp_packets"),
            name(""),
        ]
        .concat();
        assert_eq!(
            stats(&names, &[17, 0, 9]),
            vec![
                ("peer_ifindex".to_string(), 17),
                ("rx_queue_0_xdp_packets".to_string(), 0)
            ]
        );
        assert!(stats(&[], &[]).is_empty());
    }

    #[test]
    fn feature_bits() {
        let mut names = Vec::new();
        for i in 0..40 {
            names.extend(name(&format!("f{i}")));
        }
        let f = features(&names, &[1 << 3, 1 << 1]);
        assert_eq!(f.len(), 40);
        assert!(f[3].1 && f[33].1 && !f[0].1 && !f[32].1);
        assert_eq!(f[33].0, "f33");
    }

    #[test]
    fn parses_drvinfo() {
        let mut b = vec![0u8; DRVINFO_LEN];
        b[..4].copy_from_slice(&3u32.to_ne_bytes());
        b[4..8].copy_from_slice(b"veth");
        b[36..39].copy_from_slice(b"1.0");
        b[4 + 160 + 12 + 4..4 + 160 + 12 + 8].copy_from_slice(&9u32.to_ne_bytes());
        let d = driver_info(&b).unwrap();
        assert_eq!(
            (
                d.driver.as_str(),
                d.version.as_str(),
                d.bus_info.as_str(),
                d.n_stats
            ),
            ("veth", "1.0", "", 9)
        );
        assert!(driver_info(&b[..100]).is_none());
    }
}
