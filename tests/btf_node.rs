//! Privileged test of podnet's BTF reader on the running kernel: the
//! offsets and sizes it reads from /sys/kernel/btf/vmlinux against an
//! independent oracle, `bpftool btf dump file … format raw`, whose text is
//! parsed here (anonymous members and typedefs followed by this file's own
//! code, not podnet's).

mod common;

use std::collections::HashMap;
use std::process::Command;

use podnet::discover::{btf, kernel_offsets};
use podnet::sys::{HostRoot, btf_file};

const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

/// One type as bpftool prints it.
#[derive(Debug, Default)]
struct RawType {
    kind: String,
    name: String,
    /// `type_id=` of a pointer, typedef, qualifier, or an array's element.
    type_id: Option<u32>,
    size: Option<u64>,
    nr_elems: Option<u64>,
    int_bits_offset: Option<u64>,
    nr_bits: Option<u64>,
    members: Vec<RawMember>,
}

#[derive(Debug, Clone)]
struct RawMember {
    name: String,
    type_id: u32,
    bits_offset: u64,
    bitfield_size: u64,
}

/// bpftool's view of the kernel's types.
struct Oracle {
    types: HashMap<u32, RawType>,
    /// Struct/union names first, then typedef names → id.
    by_name: HashMap<String, u32>,
}

/// `key=value` pairs after the quoted name.
fn fields(rest: &str) -> HashMap<&str, &str> {
    rest.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .collect()
}

fn num(f: &HashMap<&str, &str>, key: &str) -> Option<u64> {
    f.get(key).and_then(|v| v.parse().ok())
}

/// `'name' rest` → (name, rest).
fn quoted(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_prefix('\'')?;
    let end = s.find('\'')?;
    Some((&s[..end], &s[end + 1..]))
}

fn oracle() -> Oracle {
    let out = Command::new("bpftool")
        .args(["btf", "dump", "file", VMLINUX, "format", "raw"])
        .output()
        .expect("bpftool (Debian package bpftool) must be installed");
    assert!(
        out.status.success(),
        "bpftool failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("bpftool prints UTF-8");
    let mut types: HashMap<u32, RawType> = HashMap::new();
    let mut current: Option<u32> = None;
    for line in text.lines() {
        if let Some(member) = line.strip_prefix('\t') {
            let Some(id) = current else { continue };
            let t = types.get_mut(&id).unwrap();
            if t.kind != "STRUCT" && t.kind != "UNION" {
                continue;
            }
            let (name, rest) = quoted(member).expect("a quoted member name");
            let f = fields(rest);
            t.members.push(RawMember {
                name: name.to_string(),
                type_id: num(&f, "type_id").expect("member type_id") as u32,
                bits_offset: num(&f, "bits_offset").expect("member bits_offset"),
                bitfield_size: num(&f, "bitfield_size").unwrap_or(0),
            });
            continue;
        }
        let Some(rest) = line.strip_prefix('[') else {
            continue;
        };
        let (id, rest) = rest.split_once("] ").expect("`[id] KIND` line");
        let id: u32 = id.parse().expect("numeric type id");
        let (kind, rest) = rest.split_once(' ').expect("kind and name");
        let (name, rest) = quoted(rest).expect("quoted type name");
        let f = fields(rest);
        types.insert(
            id,
            RawType {
                kind: kind.to_string(),
                name: name.to_string(),
                type_id: num(&f, "type_id").map(|v| v as u32),
                size: num(&f, "size"),
                nr_elems: num(&f, "nr_elems"),
                int_bits_offset: num(&f, "bits_offset"),
                nr_bits: num(&f, "nr_bits"),
                members: Vec::new(),
            },
        );
        current = Some(id);
    }
    let mut ids: Vec<u32> = types.keys().copied().collect();
    ids.sort_unstable();
    let mut by_name = HashMap::new();
    for pass in [["STRUCT", "UNION"].as_slice(), ["TYPEDEF"].as_slice()] {
        for id in &ids {
            let t = &types[id];
            if pass.contains(&t.kind.as_str()) && t.name != "(anon)" {
                by_name.entry(t.name.clone()).or_insert(*id);
            }
        }
    }
    Oracle { types, by_name }
}

impl Oracle {
    fn skip_qualifiers(&self, mut id: u32) -> u32 {
        for _ in 0..100 {
            let t = &self.types[&id];
            match t.kind.as_str() {
                "TYPEDEF" | "CONST" | "VOLATILE" | "RESTRICT" | "TYPE_TAG" => {
                    id = t.type_id.unwrap()
                }
                _ => return id,
            }
        }
        panic!("qualifier chain from {id} too long");
    }

    fn is_composite(&self, id: u32) -> bool {
        id != 0 && matches!(self.types[&id].kind.as_str(), "STRUCT" | "UNION")
    }

    /// A member by name, through anonymous members: (bits from `id`, member).
    fn lookup(&self, id: u32, name: &str) -> Option<(u64, RawMember)> {
        for m in &self.types[&id].members {
            if m.name == name {
                return Some((m.bits_offset, m.clone()));
            }
            if m.name == "(anon)" {
                let inner = self.skip_qualifiers(m.type_id);
                if self.is_composite(inner)
                    && let Some((bits, found)) = self.lookup(inner, name)
                {
                    return Some((m.bits_offset + bits, found));
                }
            }
        }
        None
    }

    /// (byte offset, member) of a path, or None where podnet must say None
    /// (missing, bitfield, a step through a non-struct).
    fn path(&self, type_name: &str, path: &[&str]) -> Option<(u64, RawMember)> {
        let mut id = self.skip_qualifiers(*self.by_name.get(type_name)?);
        let mut bits = 0;
        for (i, step) in path.iter().enumerate() {
            let (b, m) = self.lookup(id, step)?;
            bits += b;
            if m.bitfield_size != 0 || bits % 8 != 0 || self.int_bitfield(m.type_id) {
                return None;
            }
            if i + 1 == path.len() {
                return Some((bits / 8, m));
            }
            id = self.skip_qualifiers(m.type_id);
            if !self.is_composite(id) {
                return None;
            }
        }
        None
    }

    fn int_bitfield(&self, id: u32) -> bool {
        let t = &self.types[&self.skip_qualifiers(id)];
        t.kind == "INT" && (t.int_bits_offset != Some(0) || t.nr_bits != t.size.map(|s| s * 8))
    }

    fn size(&self, id: u32) -> Option<u64> {
        let t = &self.types[&self.skip_qualifiers(id)];
        match t.kind.as_str() {
            "PTR" => Some(8),
            "ARRAY" => Some(t.nr_elems? * self.size(t.type_id?)?),
            "INT" | "STRUCT" | "UNION" | "ENUM" | "ENUM64" | "FLOAT" => t.size,
            _ => None,
        }
    }
}

node_test! {
    fn every_skb_offset_matches_bpftool() {
        let bytes = btf_file::read_vmlinux(&HostRoot::new("/")).expect("the kernel's BTF");
        let btf = btf::parse(&bytes).expect("podnet parses the kernel's BTF");
        let offsets = kernel_offsets::skb_offsets(&btf).expect("every offset the drops program needs");
        let oracle = oracle();
        assert_eq!(btf.type_count(), oracle.types.len(), "type count");
        let fields: [(u32, &str, &[&str], u64); 10] = [
            (offsets.skb_dev, "sk_buff", &["dev"], 8),
            (offsets.skb_sk, "sk_buff", &["sk"], 8),
            (offsets.skb_head, "sk_buff", &["head"], 8),
            (offsets.skb_network_header, "sk_buff", &["network_header"], 2),
            (offsets.skb_transport_header, "sk_buff", &["transport_header"], 2),
            (offsets.dev_ifindex, "net_device", &["ifindex"], 4),
            (offsets.dev_name, "net_device", &["name"], 16),
            (offsets.dev_nd_net, "net_device", &["nd_net", "net"], 8),
            (offsets.net_ns_inum, "net", &["ns", "inum"], 4),
            (offsets.sk_net, "sock", &["__sk_common", "skc_net", "net"], 8),
        ];
        for (podnet, type_name, path, size) in fields {
            let what = format!("{type_name}.{}", path.join("."));
            let (want, member) = oracle.path(type_name, path).unwrap_or_else(|| panic!("bpftool has no {what}"));
            assert_eq!(u64::from(podnet), want, "offset of {what}");
            assert_eq!(oracle.size(member.type_id), Some(size), "bpftool's size of {what}");
            eprintln!("{what}: offset {podnet}, size {size}");
        }
    }
}

node_test! {
    fn every_member_of_the_structs_read_matches_bpftool() {
        let bytes = btf_file::read_vmlinux(&HostRoot::new("/")).expect("the kernel's BTF");
        let btf = btf::parse(&bytes).expect("podnet parses the kernel's BTF");
        let oracle = oracle();
        let mut compared = 0;
        for type_name in ["sk_buff", "net_device", "net", "sock", "sock_common", "ns_common", "possible_net_t"] {
            let id = oracle.skip_qualifiers(oracle.by_name[type_name]);
            let mut names = Vec::new();
            collect_names(&oracle, id, &mut names);
            for name in names {
                let want = oracle.path(type_name, &[&name]);
                assert_eq!(
                    btf.member_offset(type_name, &[&name]).map(u64::from),
                    want.as_ref().map(|(off, _)| *off),
                    "offset of {type_name}.{name}"
                );
                assert_eq!(
                    btf.member_size(type_name, &[&name]).map(u64::from),
                    want.and_then(|(_, m)| oracle.size(m.type_id)),
                    "size of {type_name}.{name}"
                );
                compared += 1;
            }
        }
        assert!(compared > 300, "only {compared} members compared");
    }
}

/// Every member name reachable from a struct, through anonymous members.
fn collect_names(oracle: &Oracle, id: u32, out: &mut Vec<String>) {
    for m in &oracle.types[&id].members {
        if m.name == "(anon)" {
            let inner = oracle.skip_qualifiers(m.type_id);
            if oracle.is_composite(inner) {
                collect_names(oracle, inner, out);
            }
        } else if !out.contains(&m.name) {
            out.push(m.name.clone());
        }
    }
}
