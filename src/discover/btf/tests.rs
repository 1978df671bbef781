//! Unit tests of the BTF reader on crafted blobs.

use super::test_blob::Blob;
use super::*;

/// A kernel-like layout, after one type of every other kind (so a
/// kind skipped by the wrong length shifts every later id).
fn sample() -> Vec<u8> {
    let mut b = Blob::new();
    // 1..=13: every kind that only needs skipping.
    b.ty("e", KIND_ENUM, 2, false, 4, &[b'a'.into(), 0, 0, 1]);
    b.ty("fwd", KIND_FWD, 0, false, 0, &[]);
    b.ty("", KIND_VOLATILE, 0, false, 0, &[]);
    b.ty("", KIND_RESTRICT, 0, false, 0, &[]);
    b.ty("fn", KIND_FUNC, 0, false, 6, &[]);
    b.ty("", KIND_FUNC_PROTO, 3, false, 0, &[0, 0, 0, 0, 0, 0]);
    b.ty("v", KIND_VAR, 0, false, 0, &[1]);
    b.ty(".data", KIND_DATASEC, 2, false, 16, &[7, 0, 8, 7, 8, 8]);
    b.ty("double", KIND_FLOAT, 0, false, 8, &[]);
    b.ty("tag", KIND_DECL_TAG, 0, false, 5, &[u32::MAX]);
    b.ty("user", KIND_TYPE_TAG, 0, false, 0, &[]);
    b.ty("e64", KIND_ENUM64, 2, false, 8, &[0, 1, 0, 0, 2, 0]);
    assert_eq!(b.ty("", KIND_CONST, 0, false, 0, &[]), 13);
    // 14..: the layout.
    let int = b.ty("int", KIND_INT, 0, false, 4, &[32]);
    let u16_ = b.ty("u16", KIND_INT, 0, false, 2, &[16]);
    let char_ = b.ty("char", KIND_INT, 0, false, 1, &[8]);
    let name = b.ty("", KIND_ARRAY, 0, false, 0, &[char_, int, 16]);
    let (net_ptr, net, dev_ptr, dev, possible) = (19, 23, 20, 26, 22);
    assert_eq!(
        b.composite(KIND_STRUCT, "", 8, false, &[("net", net_ptr, 0)]),
        18
    );
    assert_eq!(b.ty("", KIND_PTR, 0, false, net, &[]), net_ptr);
    assert_eq!(b.ty("", KIND_PTR, 0, false, dev, &[]), dev_ptr);
    let ns_common = b.composite(
        KIND_STRUCT,
        "ns_common",
        8,
        false,
        &[("stashed", int, 0), ("inum", int, 32)],
    );
    assert_eq!(
        b.ty("possible_net_t", KIND_TYPEDEF, 0, false, 18, &[]),
        possible
    );
    assert_eq!(
        b.composite(
            KIND_STRUCT,
            "net",
            16,
            false,
            &[("pad", int, 0), ("ns", ns_common, 64)]
        ),
        net
    );
    let const_possible = b.ty("", KIND_CONST, 0, false, possible, &[]);
    let volatile_int = b.ty("", KIND_VOLATILE, 0, false, int, &[]);
    let dev_members = [
        ("name", name, 0),
        ("ifindex", volatile_int, 128),
        ("nd_net", const_possible, 192),
    ];
    assert_eq!(
        b.composite(KIND_STRUCT, "net_device", 32, false, &dev_members),
        dev
    );
    let list = b.composite(
        KIND_STRUCT,
        "",
        16,
        false,
        &[("next", dev_ptr, 0), ("dev", dev_ptr, 64)],
    );
    let anon_union = b.composite(KIND_UNION, "", 16, false, &[("rb", int, 0), ("", list, 0)]);
    let head = b.ty("", KIND_PTR, 0, false, char_, &[]);
    let later = b.composite(
        KIND_STRUCT,
        "",
        4,
        false,
        &[("pad", u16_, 0), ("transport_header", u16_, 16)],
    );
    let skb_members = [
        ("", anon_union, 0),
        ("cloned", char_, (1 << 24) | 128),
        ("network_header", u16_, 144),
        ("cb", name, 160),
        ("head", head, 320),
        ("dev_by_value", dev, 384),
        ("", later, 640),
    ];
    let skb = b.composite(KIND_STRUCT, "sk_buff", 84, true, &skb_members);
    b.ty("skb_t", KIND_TYPEDEF, 0, false, skb, &[]);
    let old_bits = b.ty("", KIND_INT, 0, false, 4, &[3]);
    b.composite(
        KIND_STRUCT,
        "old",
        4,
        false,
        &[("b", old_bits, 0), ("odd", char_, 4)],
    );
    b.bytes()
}

fn sample_btf() -> Btf {
    parse(&sample()).unwrap()
}

#[test]
fn a_member_inside_anonymous_unions_and_structs_is_found() {
    let btf = sample_btf();
    assert_eq!(btf.type_count(), 34);
    assert_eq!(btf.member_offset("sk_buff", &["dev"]), Some(8));
    assert_eq!(btf.member_size("sk_buff", &["dev"]), Some(8));
    assert_eq!(btf.member_offset("sk_buff", &["next"]), Some(0));
    assert_eq!(btf.member_offset("sk_buff", &["rb"]), Some(0));
    assert_eq!(
        btf.member_offset("sk_buff", &["transport_header"]),
        Some(82),
        "anonymous struct at 80"
    );
}

#[test]
fn sizes_of_ints_arrays_pointers_and_structs() {
    let btf = sample_btf();
    assert_eq!(btf.member_offset("sk_buff", &["network_header"]), Some(18));
    assert_eq!(btf.member_size("sk_buff", &["network_header"]), Some(2));
    assert_eq!(btf.member_offset("sk_buff", &["cb"]), Some(20));
    assert_eq!(btf.member_size("sk_buff", &["cb"]), Some(16));
    assert_eq!(btf.member_offset("sk_buff", &["head"]), Some(40));
    assert_eq!(btf.member_size("sk_buff", &["head"]), Some(8));
    assert_eq!(
        btf.member_size("net_device", &["ifindex"]),
        Some(4),
        "through volatile"
    );
    assert_eq!(btf.member_offset("net_device", &["name"]), Some(0));
    assert_eq!(btf.member_size("net_device", &["name"]), Some(16));
    assert_eq!(btf.member_size("sk_buff", &["dev_by_value"]), Some(32));
}

#[test]
fn a_path_follows_typedefs_and_qualifiers_to_the_next_struct() {
    let btf = sample_btf();
    assert_eq!(
        btf.member_offset("net_device", &["nd_net", "net"]),
        Some(24)
    );
    assert_eq!(btf.member_offset("net", &["ns", "inum"]), Some(12));
    assert_eq!(btf.member_size("net", &["ns", "inum"]), Some(4));
    assert_eq!(
        btf.member_offset("skb_t", &["dev"]),
        Some(8),
        "a typedef'd struct"
    );
    assert_eq!(btf.member_offset("possible_net_t", &["net"]), Some(0));
    assert_eq!(
        btf.member_offset("sk_buff", &["dev_by_value", "nd_net", "net"]),
        Some(48 + 24)
    );
}

#[test]
fn a_pointer_is_only_allowed_as_the_last_step() {
    let btf = sample_btf();
    assert_eq!(btf.member_offset("sk_buff", &["dev", "ifindex"]), None);
    assert_eq!(
        btf.member_offset("net_device", &["nd_net", "net", "ns"]),
        None
    );
}

#[test]
fn bitfields_missing_members_and_unknown_types_are_none() {
    let btf = sample_btf();
    assert_eq!(
        btf.member_offset("sk_buff", &["cloned"]),
        None,
        "kind_flag bitfield"
    );
    assert_eq!(
        btf.member_offset("old", &["b"]),
        None,
        "int-encoded bitfield"
    );
    assert_eq!(btf.member_offset("old", &["odd"]), None, "not on a byte");
    assert_eq!(btf.member_offset("sk_buff", &["nope"]), None);
    assert_eq!(btf.member_offset("sk_buff", &[]), None);
    assert_eq!(btf.member_offset("no_such_struct", &["dev"]), None);
    assert_eq!(
        btf.member_offset("sk_buff", &["network_header", "x"]),
        None,
        "an int is no struct"
    );
    assert_eq!(
        btf.member_offset("int", &["x"]),
        None,
        "only structs, unions, typedefs are named"
    );
}

fn err(bytes: &[u8]) -> String {
    match parse(bytes) {
        Ok(_) => panic!("parsed"),
        Err(e) => e,
    }
}

fn with_header_word(mut bytes: Vec<u8>, at: usize, value: u32) -> Vec<u8> {
    bytes[at..at + 4].copy_from_slice(&value.to_ne_bytes());
    bytes
}

#[test]
fn a_truncated_header_or_section_is_an_error() {
    let good = sample();
    assert!(err(&good[..10]).contains("shorter than its header"));
    assert!(err(&[]).contains("shorter than its header"));
    assert!(err(&good[..good.len() - 1]).contains("string section"));
    assert!(err(&with_header_word(good.clone(), 4, 8)).contains("header length"));
    assert!(err(&with_header_word(good.clone(), 16, u32::MAX)).contains("runs past"));
    assert!(err(&with_header_word(good.clone(), 12, u32::MAX)).contains("runs past"));
}

#[test]
fn a_truncated_type_is_an_error() {
    let mut b = Blob::new();
    b.ty("int", KIND_INT, 0, false, 4, &[32]);
    b.ty("s", KIND_STRUCT, 2, false, 8, &[0, 1, 0]);
    assert!(err(&b.bytes()).contains("truncated"), "{}", err(&b.bytes()));
    let mut b = Blob::new();
    b.words(&[0, u32::from(KIND_INT) << 24]);
    assert!(err(&b.bytes()).contains("type 1 is truncated"));
    let mut b = Blob::new();
    b.ty("huge", KIND_STRUCT, 0xffff, false, 8, &[]);
    assert!(err(&b.bytes()).contains("vlen 65535"));
}

#[test]
fn a_bad_magic_or_version_is_an_error() {
    let mut bytes = sample();
    bytes.swap(0, 1);
    assert!(err(&bytes).contains("magic"));
    let mut bytes = sample();
    bytes[2] = 2;
    assert!(err(&bytes).contains("version 2"));
}

#[test]
fn a_string_offset_out_of_range_is_an_error() {
    let mut b = Blob::new();
    b.words(&[9999, u32::from(KIND_INT) << 24, 4, 32]);
    assert!(err(&b.bytes()).contains("string offset 9999"));
    let mut b = Blob::new();
    b.ty("s", KIND_STRUCT, 1, false, 4, &[500, 0, 0]);
    assert!(err(&b.bytes()).contains("string offset 500"));
    let mut b = Blob::new();
    b.ty("x", KIND_FWD, 0, false, 0, &[]);
    b.strings.pop();
    assert!(err(&b.bytes()).contains("NUL"));
}

#[test]
fn an_unknown_kind_is_an_error() {
    for kind in [0u8, 20, 31] {
        let mut b = Blob::new();
        b.ty("x", kind, 0, false, 0, &[]);
        assert!(err(&b.bytes()).contains(&format!("unknown kind {kind}")));
    }
}

#[test]
fn a_typedef_cycle_is_an_error() {
    let mut b = Blob::new();
    b.ty("a", KIND_TYPEDEF, 0, false, 2, &[]);
    b.ty("", KIND_CONST, 0, false, 3, &[]);
    b.ty("c", KIND_TYPEDEF, 0, false, 1, &[]);
    assert!(err(&b.bytes()).contains("cycle"));
    let mut b = Blob::new();
    b.ty("self", KIND_TYPEDEF, 0, false, 1, &[]);
    assert!(err(&b.bytes()).contains("cycle"));
}

#[test]
fn a_reference_past_the_last_type_is_an_error() {
    let mut b = Blob::new();
    b.ty("p", KIND_TYPEDEF, 0, false, 7, &[]);
    assert!(err(&b.bytes()).contains("refers to type 7"));
    let mut b = Blob::new();
    b.ty("s", KIND_STRUCT, 1, false, 4, &[0, 9, 0]);
    assert!(err(&b.bytes()).contains("refers to type 9"));
}

#[test]
fn a_struct_that_contains_itself_anonymously_ends() {
    let mut b = Blob::new();
    b.composite(KIND_STRUCT, "loop", 4, false, &[("", 2, 0)]);
    b.composite(KIND_UNION, "", 4, false, &[("", 1, 0), ("", 2, 0)]);
    let btf = parse(&b.bytes()).unwrap();
    assert_eq!(btf.member_offset("loop", &["x"]), None);
    let mut b = Blob::new();
    b.ty("", KIND_ARRAY, 0, false, 0, &[1, 1, u32::MAX]);
    b.composite(KIND_STRUCT, "big", 4, false, &[("a", 1, 0)]);
    let btf = parse(&b.bytes()).unwrap();
    assert_eq!(
        btf.member_size("big", &["a"]),
        None,
        "an array that is its own element"
    );
}

#[test]
fn corrupting_any_byte_never_panics() {
    let good = sample();
    for at in 0..good.len() {
        for flip in [0xffu8, 0x01, 0x80] {
            let mut bytes = good.clone();
            bytes[at] ^= flip;
            if let Ok(btf) = parse(&bytes) {
                let _ = btf.member_offset("sk_buff", &["dev"]);
                let _ = btf.member_size("net_device", &["nd_net", "net"]);
                let _ = btf.member_size("sk_buff", &["cb"]);
            }
        }
    }
    for len in 0..good.len() {
        let _ = parse(&good[..len]);
    }
}
