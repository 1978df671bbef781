//! Names podnet derives: the host-side veth name (Calico's scheme: prefix +
//! 11 hex digits of SHA-1 over `<namespace>.<pod>`), the attachment key
//! that marks podnet's links and firewall rules, and SHA-1 itself. No I/O.

/// The default host veth prefix (`pnet` + 11 hex digits = 15 bytes).
pub const DEFAULT_VETH_PREFIX: &str = "pnet";
/// The longest prefix allowed: at least 8 hex digits must remain.
pub const MAX_VETH_PREFIX: usize = 7;

/// SHA-1 of `data` (FIPS 180-4), as 20 bytes.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let bit_len = (data.len() as u64).wrapping_mul(8);
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in msg.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, word) in chunk.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

/// Lowercase hex of SHA-1 of `data`.
pub fn sha1_hex(data: &[u8]) -> String {
    sha1(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// The host-side veth name for an attachment: `prefix` + hex of SHA-1 over
/// `<namespace>.<pod>` (Calico's scheme) when the pod is known, else over
/// `<containerID>`; a second interface of the same pod (`ifname` other than
/// `eth0`) hashes `.<ifname>` too. Always 15 bytes or fewer.
pub fn host_veth_name(
    prefix: &str,
    pod: Option<(&str, &str)>,
    container_id: &str,
    ifname: &str,
) -> String {
    let mut key = match pod {
        Some((ns, name)) => format!("{ns}.{name}"),
        None => container_id.to_string(),
    };
    if ifname != "eth0" {
        key.push('.');
        key.push_str(ifname);
    }
    let hex = sha1_hex(key.as_bytes());
    let take = 15usize.saturating_sub(prefix.len()).min(11);
    format!("{prefix}{}", &hex[..take])
}

/// Checks a configured `vethPrefix`.
pub fn veth_prefix_problem(prefix: &str) -> Option<String> {
    if prefix.is_empty() {
        Some("vethPrefix is empty".into())
    } else if prefix.len() > MAX_VETH_PREFIX {
        Some(format!(
            "vethPrefix {prefix:?} is longer than {MAX_VETH_PREFIX} bytes"
        ))
    } else if !prefix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Some(format!(
            "vethPrefix {prefix:?} may hold only letters, digits, '-' and '_'"
        ))
    } else {
        None
    }
}

/// A short key naming one attachment of one network: 16 hex digits of
/// SHA-1 over `<network>\0<containerID>\0<ifname>`.
pub fn attachment_key(network: &str, container_id: &str, ifname: &str) -> String {
    let mut s = String::with_capacity(network.len() + container_id.len() + ifname.len() + 2);
    s.push_str(network);
    s.push('\0');
    s.push_str(container_id);
    s.push('\0');
    s.push_str(ifname);
    sha1_hex(s.as_bytes())[..16].to_string()
}

/// A short key naming a network: 8 hex digits of SHA-1 over its name.
pub fn network_key(network: &str) -> String {
    sha1_hex(network.as_bytes())[..8].to_string()
}

/// The marker podnet writes (as link alias and rule comment):
/// `podnet <netkey> <attkey> <network>/<containerID 12>/<ifname>`, at most
/// 120 bytes. Only the two keys are matched; the rest is for people.
pub fn marker(network: &str, container_id: &str, ifname: &str) -> String {
    let short: String = container_id.chars().take(12).collect();
    let mut s = format!(
        "podnet {} {} {network}/{short}/{ifname}",
        network_key(network),
        attachment_key(network, container_id, ifname)
    );
    if s.len() > 120 {
        let mut cut = 120;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// The keys in a marker: `(network key, attachment key)`.
pub fn parse_marker(s: &str) -> Option<(&str, &str)> {
    let mut it = s.split_whitespace();
    if it.next()? != "podnet" {
        return None;
    }
    let net = it.next()?;
    let att = it.next()?;
    (net.len() == 8 && att.len() == 16).then_some((net, att))
}

/// What every podnet iptables chain's name starts with.
pub const MASQ_CHAIN_PREFIX: &str = "PODNET-";

/// The iptables chain for an attachment's masquerade rules (≤ 28 bytes).
pub fn masq_chain(network: &str, container_id: &str, ifname: &str) -> String {
    masq_chain_of_key(&attachment_key(network, container_id, ifname))
}

/// The iptables chain for the attachment with key `key`.
pub fn masq_chain_of_key(key: &str) -> String {
    format!("{MASQ_CHAIN_PREFIX}{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_test_vectors() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            sha1_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            sha1_hex(&[b'a'; 1000]),
            "291e9a6c66994949b57ba5e650361e98fc36b1ba"
        );
    }

    #[test]
    fn host_veth_names_follow_calico() {
        // Calico: "cali" + sha1("default.web-0")[:11]
        let n = host_veth_name("cali", Some(("default", "web-0")), "ignored", "eth0");
        assert_eq!(n, format!("cali{}", &sha1_hex(b"default.web-0")[..11]));
        assert_eq!(n.len(), 15);
        let other = host_veth_name("cali", Some(("default", "web-0")), "ignored", "net1");
        assert_ne!(n, other);
        let by_id = host_veth_name(DEFAULT_VETH_PREFIX, None, "abc", "eth0");
        assert_eq!(by_id, format!("pnet{}", &sha1_hex(b"abc")[..11]));
        let long = host_veth_name("veth123", None, "abc", "eth0");
        assert_eq!(long.len(), 15);
        assert!(veth_prefix_problem("pnet").is_none());
        assert!(veth_prefix_problem("toolongx").is_some());
        assert!(veth_prefix_problem("a/b").is_some());
        assert!(veth_prefix_problem("").is_some());
    }

    #[test]
    fn markers_carry_the_keys() {
        let m = marker("net1", "0123456789abcdef", "eth0");
        assert!(m.starts_with("podnet "));
        assert!(m.ends_with("net1/0123456789ab/eth0"));
        let (net, att) = parse_marker(&m).unwrap();
        assert_eq!(net, network_key("net1"));
        assert_eq!(att, attachment_key("net1", "0123456789abcdef", "eth0"));
        assert_ne!(attachment_key("a", "b", "c"), attachment_key("a", "bc", ""));
        assert!(marker(&"n".repeat(300), "x", "eth0").len() <= 120);
        assert_eq!(parse_marker("something else"), None);
        assert!(masq_chain("n", "c", "eth0").len() <= 28);
    }
}
