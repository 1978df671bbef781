//! Names podnet derives and takes: the kernel's rules for interface names,
//! the host-side veth name (Calico's scheme: prefix + 11 hex digits of
//! SHA-1 over `<namespace>.<pod>`), the attachment key that marks podnet's
//! links and firewall rules, the host veth's alias (and when a same-named
//! veth is a stale one of the same pod), and SHA-1 itself. No I/O.

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

/// The longest interface name the kernel takes (IFNAMSIZ - 1).
pub const MAX_IFNAME: usize = 15;

/// Why `name` cannot name a network interface, if it cannot: the one check
/// for every name the plugin creates or takes (bridge, CNI_IFNAME, host
/// veth prefix). The kernel refuses an empty name, one over 15 bytes,
/// `.`, `..`, `/`, `:` and whitespace; it *expands* `%d` (`br%d` becomes
/// br0, br1… — a new link on every ADD), so `%` is refused too, as are
/// control characters (they reach terminals and logs) and non-ASCII bytes
/// (the kernel counts byte 0xA0 as whitespace).
pub fn kernel_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name.len() > MAX_IFNAME {
        Some("is longer than 15 bytes")
    } else if name == "." || name == ".." {
        Some("is . or ..")
    } else if name.bytes().any(|b| matches!(b, b'/' | b':' | b'%')) {
        Some("contains '/', ':' or '%'")
    } else if name.bytes().any(|b| b == b' ' || b.is_ascii_control()) {
        Some("contains whitespace or a control character")
    } else if !name.is_ascii() {
        Some("contains a non-ASCII character")
    } else {
        None
    }
}

/// What the host veth name hashes: `<namespace>.<pod>` when the pod is
/// known (Calico's scheme), else `<containerID>`; another interface than
/// `eth0` appends `/<ifname>`. Pod names, namespaces, container IDs and
/// interface names cannot contain `/`, so two attachments never share a key
/// (`default/web.net1` eth0 is `default.web.net1`, `default/web` net1 is
/// `default.web/net1`).
pub fn host_veth_key(pod: Option<(&str, &str)>, container_id: &str, ifname: &str) -> String {
    let mut key = match pod {
        Some((ns, name)) => format!("{ns}.{name}"),
        None => container_id.to_string(),
    };
    if ifname != "eth0" {
        key.push('/');
        key.push_str(ifname);
    }
    key
}

/// The host-side veth name for an attachment: `prefix` + hex of SHA-1 over
/// [`host_veth_key`]. Always 15 bytes or fewer.
pub fn host_veth_name(
    prefix: &str,
    pod: Option<(&str, &str)>,
    container_id: &str,
    ifname: &str,
) -> String {
    let hex = sha1_hex(host_veth_key(pod, container_id, ifname).as_bytes());
    let take = MAX_IFNAME.saturating_sub(prefix.len()).min(11);
    format!("{prefix}{}", &hex[..take])
}

/// Checks a configured `vethPrefix`.
pub fn veth_prefix_problem(prefix: &str) -> Option<String> {
    if let Some(p) = kernel_name_problem(prefix) {
        Some(format!("vethPrefix {prefix:?} {p}"))
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
    truncate(&mut s, 120);
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

/// The longest alias the kernel keeps (IFALIASZ - 1).
pub const MAX_ALIAS: usize = 255;

/// A key naming one interface of one pod: 16 hex digits of SHA-1 over
/// `<namespace>/<pod>\0<ifname>`.
pub fn pod_key(pod: (&str, &str), ifname: &str) -> String {
    sha1_hex(format!("{}/{}\0{ifname}", pod.0, pod.1).as_bytes())[..16].to_string()
}

/// The alias of a host veth: the [`marker`]'s keys, then `pod=<pod key>`
/// (when the pod is known) and `ns=<inode>` of the pod's netns, then
/// `<network>/<containerID 12>/<ifname>` for people; at most
/// [`MAX_ALIAS`] bytes. [`parse_marker`] reads it like a marker.
pub fn veth_alias(
    network: &str,
    container_id: &str,
    ifname: &str,
    pod: Option<(&str, &str)>,
    netns_inode: u64,
) -> String {
    let short: String = container_id.chars().take(12).collect();
    let mut s = format!(
        "podnet {} {} ",
        network_key(network),
        attachment_key(network, container_id, ifname)
    );
    if let Some(p) = pod {
        s.push_str(&format!("pod={} ", pod_key(p, ifname)));
    }
    s.push_str(&format!("ns={netns_inode} {network}/{short}/{ifname}"));
    truncate(&mut s, MAX_ALIAS);
    s
}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

/// What a host veth's alias says about its attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias<'a> {
    pub network_key: &'a str,
    pub attachment_key: &'a str,
    /// `pod=`: absent in markers (and aliases written before it existed).
    pub pod_key: Option<&'a str>,
    /// `ns=`: the inode of the netns the veth's peer was put in.
    pub netns_inode: Option<u64>,
}

/// Reads an alias written by [`veth_alias`] or [`marker`].
pub fn parse_alias(s: &str) -> Option<Alias<'_>> {
    let (network_key, attachment_key) = parse_marker(s)?;
    let mut a = Alias {
        network_key,
        attachment_key,
        pod_key: None,
        netns_inode: None,
    };
    for word in s.split_whitespace().skip(3) {
        if let Some(k) = word.strip_prefix("pod=") {
            a.pod_key = Some(k).filter(|k| k.len() == 16);
        } else if let Some(n) = word.strip_prefix("ns=") {
            a.netns_inode = n.parse().ok();
        }
    }
    Some(a)
}

/// The attachment an ADD is for, as the stale-veth rule compares it.
#[derive(Debug, Clone, Copy)]
pub struct Attaching<'a> {
    pub network: &'a str,
    pub container_id: &'a str,
    pub ifname: &'a str,
    pub pod: Option<(&'a str, &'a str)>,
}

/// Whether a host link with the name an ADD wants is a stale veth of an
/// earlier sandbox of the same pod: a veth whose alias is podnet's for the
/// same network, another container, the same pod *and* interface, and
/// names the netns its peer was put in. `Ok(inode)` is that netns: the
/// link may be deleted only once nothing holds it any more (the caller
/// looks). `Err` says why the link must be left alone.
pub fn stale_veth_netns(
    kind: &str,
    alias: Option<&str>,
    ours: &Attaching<'_>,
) -> Result<u64, String> {
    let Some(a) = alias.and_then(parse_alias) else {
        return Err(format!(
            "it is not a podnet veth (alias {:?})",
            alias.unwrap_or_default()
        ));
    };
    if kind != "veth" {
        return Err(format!("it is a {kind:?}, not a veth"));
    }
    if a.network_key != network_key(ours.network) {
        return Err(format!(
            "it belongs to another network than {}",
            ours.network
        ));
    }
    if a.attachment_key == attachment_key(ours.network, ours.container_id, ours.ifname) {
        return Err("it is this attachment's own veth (ADD twice without DEL)".into());
    }
    let Some(pod) = ours.pod else {
        return Err("this ADD names no pod (no K8S_POD_NAMESPACE/K8S_POD_NAME), so the veth cannot be proved to be an earlier sandbox's".into());
    };
    if a.pod_key != Some(pod_key(pod, ours.ifname).as_str()) {
        return Err(format!(
            "its alias does not name pod {}/{} interface {}",
            pod.0, pod.1, ours.ifname
        ));
    }
    a.netns_inode
        .ok_or_else(|| "its alias does not name the netns of its peer".to_string())
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
    fn kernel_name_rules_in_one_place() {
        for ok in ["eth0", "cni0", "flannel.1", "a-b_c", "x", "123456789012345"] {
            assert_eq!(kernel_name_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "1234567890123456",
            ".",
            "..",
            "a/b",
            "a:b",
            "br%d",
            "%",
            "a b",
            "a\tb",
            "a\nb",
            "a\u{1b}[2J",
            "a\u{7f}",
            "\u{e0}",
        ] {
            assert!(kernel_name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(veth_prefix_problem("p%").is_some());
        assert!(veth_prefix_problem("p\u{1b}").is_some());
    }

    #[test]
    fn a_second_interface_never_shares_a_name_with_another_pod() {
        // default/web.net1 on eth0 and default/web on net1
        let a = host_veth_name("pnet", Some(("default", "web.net1")), "c1", "eth0");
        let b = host_veth_name("pnet", Some(("default", "web")), "c2", "net1");
        assert_ne!(a, b);
        assert_eq!(
            host_veth_key(Some(("default", "web.net1")), "c1", "eth0"),
            "default.web.net1"
        );
        assert_eq!(
            host_veth_key(Some(("default", "web")), "c2", "net1"),
            "default.web/net1"
        );
        // the same by container ID
        assert_ne!(
            host_veth_name("pnet", None, "abc.net1", "eth0"),
            host_veth_name("pnet", None, "abc", "net1")
        );
    }

    #[test]
    fn veth_aliases_extend_the_marker() {
        let pod = Some(("default", "web"));
        let a = veth_alias("net1", "0123456789abcdef", "eth0", pod, 4026532388);
        assert_eq!(
            parse_marker(&a),
            parse_marker(&marker("net1", "0123456789abcdef", "eth0"))
        );
        let p = parse_alias(&a).unwrap();
        assert_eq!(
            p.pod_key,
            Some(pod_key(("default", "web"), "eth0").as_str())
        );
        assert_eq!(p.netns_inode, Some(4026532388));
        assert!(a.ends_with("net1/0123456789ab/eth0"), "{a}");
        // an old marker reads without the new keys
        let old_marker = marker("net1", "x", "eth0");
        let old = parse_alias(&old_marker).unwrap();
        assert_eq!((old.pod_key, old.netns_inode), (None, None));
        assert!(veth_alias(&"n".repeat(300), "x", "eth0", pod, 1).len() <= MAX_ALIAS);
        assert_ne!(pod_key(("a", "b"), "eth0"), pod_key(("a", "b"), "net1"));
    }

    #[test]
    fn only_a_veth_of_the_same_pod_and_interface_is_stale() {
        let pod = ("default", "web");
        let ours = Attaching {
            network: "net1",
            container_id: "new",
            ifname: "eth0",
            pod: Some(pod),
        };
        let earlier = veth_alias("net1", "old", "eth0", Some(pod), 77);
        assert_eq!(stale_veth_netns("veth", Some(&earlier), &ours), Ok(77));
        for (kind, alias) in [
            ("bridge", earlier.clone()),
            ("veth", veth_alias("net2", "old", "eth0", Some(pod), 77)),
            ("veth", veth_alias("net1", "new", "eth0", Some(pod), 77)),
            (
                "veth",
                veth_alias("net1", "old", "eth0", Some(("default", "web.net1")), 77),
            ),
            ("veth", veth_alias("net1", "old", "net1", Some(pod), 77)),
            ("veth", veth_alias("net1", "old", "eth0", None, 77)),
            ("veth", marker("net1", "old", "eth0")),
            ("veth", "something else".into()),
        ] {
            assert!(
                stale_veth_netns(kind, Some(&alias), &ours).is_err(),
                "{kind} {alias}"
            );
        }
        assert!(stale_veth_netns("veth", None, &ours).is_err());
        let no_pod = Attaching { pod: None, ..ours };
        assert!(stale_veth_netns("veth", Some(&earlier), &no_pod).is_err());
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
