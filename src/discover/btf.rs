//! Parses a BTF blob (the kernel's /sys/kernel/btf/vmlinux, in host byte
//! order) and answers where a member of a named struct sits: its byte
//! offset and size, looking through anonymous members and typedefs. No I/O.
//!
//! Parsing is one linear pass over the type section; every length and
//! offset is checked against the blob, so bad input is an error, never a
//! panic, and memory stays proportional to the blob.

use std::collections::{HashMap, HashSet};

/// BTF's magic number, read in host byte order.
const MAGIC: u16 = 0xEB9F;
const VERSION: u8 = 1;
/// The fixed part of the header (magic .. str_len).
const HEADER_BYTES: usize = 24;
/// name_off, info, size/type.
const TYPE_HEADER_BYTES: usize = 12;
/// How many typedef/const/volatile/restrict/type_tag links a lookup follows
/// (cycles are refused at parse time; this only bounds a lookup anyway).
const MAX_MODIFIER_CHAIN: usize = 64;
/// How deep anonymous struct/union members nest before a lookup gives up.
const MAX_ANON_DEPTH: usize = 32;

/// BTF kinds (bits 24-28 of the info word).
const KIND_INT: u8 = 1;
const KIND_PTR: u8 = 2;
const KIND_ARRAY: u8 = 3;
const KIND_STRUCT: u8 = 4;
const KIND_UNION: u8 = 5;
const KIND_ENUM: u8 = 6;
const KIND_FWD: u8 = 7;
const KIND_TYPEDEF: u8 = 8;
const KIND_VOLATILE: u8 = 9;
const KIND_CONST: u8 = 10;
const KIND_RESTRICT: u8 = 11;
const KIND_FUNC: u8 = 12;
const KIND_FUNC_PROTO: u8 = 13;
const KIND_VAR: u8 = 14;
const KIND_DATASEC: u8 = 15;
const KIND_FLOAT: u8 = 16;
const KIND_DECL_TAG: u8 = 17;
const KIND_TYPE_TAG: u8 = 18;
const KIND_ENUM64: u8 = 19;

/// The size of a pointer on the 64-bit kernels podnet runs on.
const POINTER_BYTES: u32 = 8;

/// The types of one BTF blob, enough to place struct members.
#[derive(Debug)]
pub struct Btf {
    /// The string section, copied (starts and ends with NUL).
    strings: Vec<u8>,
    /// Type id N is `types[N - 1]`.
    types: Vec<Type>,
    /// Members of every struct/union, each type holding a range into it.
    members: Vec<Member>,
    /// Struct, union and typedef names → type id.
    by_name: HashMap<String, u32>,
}

#[derive(Debug, Clone, Copy)]
struct Type {
    kind: u8,
    name_off: u32,
    detail: Detail,
}

#[derive(Debug, Clone, Copy)]
enum Detail {
    /// A type with a byte size of its own (enum, float).
    Sized(u32),
    /// An integer: byte size, and where its value sits in bits (old-style bitfields).
    Int { size: u32, bit_offset: u8, bits: u8 },
    /// Struct or union: byte size, and its members `first .. first + count`.
    Composite { size: u32, first: u32, count: u32 },
    /// An array of `count` elements of type `elem`.
    Array { elem: u32, count: u32 },
    /// Pointer, typedef, const, volatile, restrict, type tag: the type it refers to.
    Ref(u32),
    /// A kind whose layout does not matter here (func, var, fwd, ...).
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Member {
    name_off: u32,
    type_id: u32,
    /// Offset from the start of the struct, in bits.
    bit_offset: u32,
    /// Bitfield width in bits (0: not a bitfield, as far as the struct says).
    bitfield_bits: u32,
}

/// A member found by a path: its byte offset from the named type, and its type.
#[derive(Debug, Clone, Copy)]
struct Found {
    byte_offset: u32,
    type_id: u32,
}

/// Parses a BTF blob in host byte order.
pub fn parse(bytes: &[u8]) -> Result<Btf, String> {
    let header = Header::read(bytes)?;
    let type_section = section(
        bytes,
        header.hdr_len,
        header.type_off,
        header.type_len,
        "type",
    )?;
    let strings = section(
        bytes,
        header.hdr_len,
        header.str_off,
        header.str_len,
        "string",
    )?;
    if strings.first().is_some_and(|b| *b != 0) || strings.last().is_some_and(|b| *b != 0) {
        return Err("BTF string section does not start and end with NUL".into());
    }
    let mut btf = Btf {
        strings: strings.to_vec(),
        types: Vec::with_capacity(type_section.len() / TYPE_HEADER_BYTES),
        members: Vec::new(),
        by_name: HashMap::new(),
    };
    btf.read_types(type_section)?;
    btf.check_references()?;
    btf.check_modifier_cycles()?;
    btf.index_names();
    Ok(btf)
}

struct Header {
    hdr_len: u32,
    type_off: u32,
    type_len: u32,
    str_off: u32,
    str_len: u32,
}

impl Header {
    fn read(bytes: &[u8]) -> Result<Header, String> {
        if bytes.len() < HEADER_BYTES {
            return Err(format!(
                "BTF is {} bytes, shorter than its header",
                bytes.len()
            ));
        }
        let magic = u16::from_ne_bytes([bytes[0], bytes[1]]);
        if magic != MAGIC {
            return Err(format!(
                "not BTF in host byte order (magic {magic:#06x}, expected {MAGIC:#06x})"
            ));
        }
        if bytes[2] != VERSION {
            return Err(format!(
                "BTF version {} (podnet reads version {VERSION})",
                bytes[2]
            ));
        }
        let word =
            |at: usize| read_u32(bytes, at).ok_or_else(|| "BTF header is truncated".to_string());
        let header = Header {
            hdr_len: word(4)?,
            type_off: word(8)?,
            type_len: word(12)?,
            str_off: word(16)?,
            str_len: word(20)?,
        };
        if (header.hdr_len as usize) < HEADER_BYTES {
            return Err(format!(
                "BTF header length {} is shorter than {HEADER_BYTES}",
                header.hdr_len
            ));
        }
        Ok(header)
    }
}

/// The bytes of one section, checked to lie inside the blob.
fn section<'a>(
    bytes: &'a [u8],
    hdr_len: u32,
    off: u32,
    len: u32,
    what: &str,
) -> Result<&'a [u8], String> {
    let start = u64::from(hdr_len) + u64::from(off);
    let end = start + u64::from(len);
    if end > bytes.len() as u64 {
        return Err(format!(
            "BTF {what} section ({start}..{end}) runs past the end of the blob ({} bytes)",
            bytes.len()
        ));
    }
    // Both fit in the blob's length, so in usize.
    Ok(&bytes[start as usize..end as usize])
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

impl Btf {
    /// Reads every type record, in id order from 1.
    fn read_types(&mut self, section: &[u8]) -> Result<(), String> {
        let mut at = 0usize;
        while at < section.len() {
            let id = self.types.len() + 1;
            let word = |i: usize| {
                read_u32(section, at + 4 * i).ok_or_else(|| format!("BTF type {id} is truncated"))
            };
            let (name_off, info, size_or_type) = (word(0)?, word(1)?, word(2)?);
            self.check_string(name_off, id)?;
            let vlen = (info & 0xffff) as usize;
            let kind = ((info >> 24) & 0x1f) as u8;
            let kind_flag = info >> 31 == 1;
            let body = at + TYPE_HEADER_BYTES;
            let extra = extra_bytes(kind, vlen)
                .ok_or_else(|| format!("BTF type {id} has unknown kind {kind}"))?;
            let end = body
                .checked_add(extra)
                .filter(|end| *end <= section.len())
                .ok_or_else(|| format!("BTF type {id} (kind {kind}, vlen {vlen}) is truncated"))?;
            let detail = match kind {
                KIND_INT => {
                    let enc = word(3)?;
                    Detail::Int {
                        size: size_or_type,
                        bit_offset: (enc >> 16) as u8,
                        bits: enc as u8,
                    }
                }
                KIND_ENUM | KIND_ENUM64 | KIND_FLOAT => Detail::Sized(size_or_type),
                KIND_ARRAY => Detail::Array {
                    elem: word(3)?,
                    count: word(5)?,
                },
                KIND_STRUCT | KIND_UNION => {
                    self.read_members(&section[body..end], id, size_or_type, kind_flag)?
                }
                KIND_PTR | KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT
                | KIND_TYPE_TAG => Detail::Ref(size_or_type),
                _ => Detail::Other,
            };
            self.types.push(Type {
                kind,
                name_off,
                detail,
            });
            at = end;
        }
        Ok(())
    }

    fn read_members(
        &mut self,
        body: &[u8],
        id: usize,
        size: u32,
        kind_flag: bool,
    ) -> Result<Detail, String> {
        let first = self.members.len() as u32;
        for m in body.chunks_exact(12) {
            let word =
                |i: usize| u32::from_ne_bytes([m[4 * i], m[4 * i + 1], m[4 * i + 2], m[4 * i + 3]]);
            let (name_off, type_id, offset) = (word(0), word(1), word(2));
            self.check_string(name_off, id)?;
            let (bit_offset, bitfield_bits) = if kind_flag {
                (offset & 0x00ff_ffff, offset >> 24)
            } else {
                (offset, 0)
            };
            self.members.push(Member {
                name_off,
                type_id,
                bit_offset,
                bitfield_bits,
            });
        }
        let count = self.members.len() as u32 - first;
        Ok(Detail::Composite { size, first, count })
    }

    fn check_string(&self, off: u32, id: usize) -> Result<(), String> {
        if (off as usize) < self.strings.len() {
            Ok(())
        } else {
            Err(format!(
                "BTF type {id} names string offset {off}, past the string section ({} bytes)",
                self.strings.len()
            ))
        }
    }

    /// Every type id a layout depends on names a type of this blob (or void).
    fn check_references(&self) -> Result<(), String> {
        let count = self.types.len() as u64;
        let bad = |id: usize, to: u32| {
            format!("BTF type {id} refers to type {to}, past the last type ({count})")
        };
        for (i, t) in self.types.iter().enumerate() {
            let id = i + 1;
            match t.detail {
                Detail::Ref(to) | Detail::Array { elem: to, .. } if u64::from(to) > count => {
                    return Err(bad(id, to));
                }
                Detail::Composite {
                    first, count: n, ..
                } => {
                    for m in &self.members[first as usize..(first + n) as usize] {
                        if u64::from(m.type_id) > count {
                            return Err(bad(id, m.type_id));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// No chain of typedef/const/volatile/restrict/type_tag comes back on
    /// itself. Linear: each type is walked at most once.
    fn check_modifier_cycles(&self) -> Result<(), String> {
        // 0: not seen, 1: on the chain being walked, 2: known to end.
        let mut state = vec![0u8; self.types.len() + 1];
        let mut chain = Vec::new();
        for start in 1..=self.types.len() as u32 {
            let mut id = start;
            loop {
                match state[id as usize] {
                    2 => break,
                    1 => return Err(format!("BTF type {id} is part of a typedef/modifier cycle")),
                    _ => {}
                }
                state[id as usize] = 1;
                chain.push(id);
                match self.modifier_target(id) {
                    Some(next) if next != 0 => id = next,
                    _ => break,
                }
            }
            for done in chain.drain(..) {
                state[done as usize] = 2;
            }
        }
        Ok(())
    }

    /// Struct, union and typedef names → ids; a struct or union wins over a
    /// typedef of the same name, and the first of a kind wins.
    fn index_names(&mut self) {
        let mut by_name: HashMap<String, u32> = HashMap::new();
        let mut typedefs: Vec<(String, u32)> = Vec::new();
        for (i, t) in self.types.iter().enumerate() {
            let id = i as u32 + 1;
            if !matches!(t.kind, KIND_STRUCT | KIND_UNION | KIND_TYPEDEF) || t.name_off == 0 {
                continue;
            }
            let Some(name) = std::str::from_utf8(self.name_bytes(t.name_off))
                .ok()
                .filter(|n| !n.is_empty())
            else {
                continue;
            };
            if t.kind == KIND_TYPEDEF {
                typedefs.push((name.to_string(), id));
            } else {
                by_name.entry(name.to_string()).or_insert(id);
            }
        }
        for (name, id) in typedefs {
            by_name.entry(name).or_insert(id);
        }
        self.by_name = by_name;
    }

    /// How many types the blob has (the highest type id).
    pub fn type_count(&self) -> usize {
        self.types.len()
    }

    /// The byte offset of a member path from a named struct, union or
    /// typedef: `("net_device", &["nd_net", "net"])`. Each step looks
    /// through anonymous members and follows typedefs and qualifiers to the
    /// next struct or union; only the last step may be a pointer. `None`
    /// when a step is missing, is a bitfield, or is not byte-aligned.
    pub fn member_offset(&self, type_name: &str, path: &[&str]) -> Option<u32> {
        self.find(type_name, path).map(|f| f.byte_offset)
    }

    /// The byte size of the type of the member [`Btf::member_offset`] finds
    /// (int, enum, float, pointer (8), array, struct, union).
    pub fn member_size(&self, type_name: &str, path: &[&str]) -> Option<u32> {
        let found = self.find(type_name, path)?;
        self.type_size(found.type_id)
    }

    fn find(&self, type_name: &str, path: &[&str]) -> Option<Found> {
        let start = *self.by_name.get(type_name)?;
        let (last, steps) = path.split_last()?;
        let mut container = start;
        let mut offset = 0u32;
        for step in steps {
            let f = self.member_in(container, step)?;
            offset = offset.checked_add(f.byte_offset)?;
            container = self.strip_modifiers(f.type_id)?;
            if !matches!(self.kind(container), Some(KIND_STRUCT | KIND_UNION)) {
                return None;
            }
        }
        let f = self.member_in(container, last)?;
        Some(Found {
            byte_offset: offset.checked_add(f.byte_offset)?,
            type_id: f.type_id,
        })
    }

    /// A named member of a struct/union (through modifiers), searched in
    /// declaration order, descending into anonymous struct/union members.
    fn member_in(&self, container: u32, name: &str) -> Option<Found> {
        let mut seen = HashSet::new();
        let found = self.search(container, name.as_bytes(), 0, &mut seen)?;
        self.byte_addressable(found)
    }

    /// Depth-first search; `bit_offset` in the found member is relative to
    /// `container`. Each anonymous type is searched at most once.
    fn search(
        &self,
        container: u32,
        name: &[u8],
        depth: usize,
        seen: &mut HashSet<u32>,
    ) -> Option<(u32, Member)> {
        if depth > MAX_ANON_DEPTH || !seen.insert(container) {
            return None;
        }
        let Detail::Composite { first, count, .. } =
            self.ty(self.strip_modifiers(container)?)?.detail
        else {
            return None;
        };
        for m in self
            .members
            .get(first as usize..first.checked_add(count)? as usize)?
        {
            let member_name = self.name_bytes(m.name_off);
            if member_name == name {
                return Some((m.bit_offset, *m));
            }
            if member_name.is_empty() {
                let inner = self.strip_modifiers(m.type_id)?;
                if matches!(self.kind(inner), Some(KIND_STRUCT | KIND_UNION))
                    && let Some((inner_bits, found)) = self.search(inner, name, depth + 1, seen)
                {
                    return Some((m.bit_offset.checked_add(inner_bits)?, found));
                }
            }
        }
        None
    }

    /// A found member as a byte offset; `None` for a bitfield or a member
    /// that does not start on a byte.
    fn byte_addressable(&self, (bits, m): (u32, Member)) -> Option<Found> {
        if m.bitfield_bits != 0 || bits % 8 != 0 {
            return None;
        }
        // Old-style bitfields: an int type narrower than its size.
        if let Some(Detail::Int {
            size,
            bit_offset,
            bits: width,
        }) = self
            .strip_modifiers(m.type_id)
            .and_then(|id| self.ty(id))
            .map(|t| t.detail)
            && (bit_offset != 0 || u32::from(width) != size.saturating_mul(8))
        {
            return None;
        }
        Some(Found {
            byte_offset: bits / 8,
            type_id: m.type_id,
        })
    }

    /// The byte size of a type, through modifiers.
    fn type_size(&self, id: u32) -> Option<u32> {
        let mut id = self.strip_modifiers(id)?;
        let mut multiplier = 1u32;
        for _ in 0..MAX_MODIFIER_CHAIN {
            let t = self.ty(id)?;
            let size = match t.detail {
                Detail::Int { size, .. } | Detail::Sized(size) | Detail::Composite { size, .. } => {
                    size
                }
                Detail::Ref(_) if t.kind == KIND_PTR => POINTER_BYTES,
                Detail::Array { elem, count } => {
                    multiplier = multiplier.checked_mul(count)?;
                    id = self.strip_modifiers(elem)?;
                    continue;
                }
                Detail::Ref(_) | Detail::Other => return None,
            };
            return multiplier.checked_mul(size);
        }
        None
    }

    /// Follows typedef/const/volatile/restrict/type_tag to the type they name.
    fn strip_modifiers(&self, mut id: u32) -> Option<u32> {
        for _ in 0..MAX_MODIFIER_CHAIN {
            match self.modifier_target(id) {
                Some(next) => id = next,
                None => return Some(id),
            }
        }
        None
    }

    fn modifier_target(&self, id: u32) -> Option<u32> {
        let t = self.ty(id)?;
        match (t.kind, t.detail) {
            (
                KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT | KIND_TYPE_TAG,
                Detail::Ref(to),
            ) => Some(to),
            _ => None,
        }
    }

    fn ty(&self, id: u32) -> Option<&Type> {
        self.types.get((id as usize).checked_sub(1)?)
    }

    fn kind(&self, id: u32) -> Option<u8> {
        self.ty(id).map(|t| t.kind)
    }

    /// The NUL-terminated string at `off` (empty when out of range).
    fn name_bytes(&self, off: u32) -> &[u8] {
        let tail = self.strings.get(off as usize..).unwrap_or_default();
        let end = tail.iter().position(|b| *b == 0).unwrap_or(tail.len());
        &tail[..end]
    }
}

/// Bytes that follow the 12-byte type header for a kind with `vlen`
/// entries; `None` for a kind this parser does not know.
fn extra_bytes(kind: u8, vlen: usize) -> Option<usize> {
    Some(match kind {
        KIND_INT | KIND_VAR | KIND_DECL_TAG => 4,
        KIND_ARRAY => 12,
        KIND_STRUCT | KIND_UNION | KIND_DATASEC | KIND_ENUM64 => vlen * 12,
        KIND_ENUM | KIND_FUNC_PROTO => vlen * 8,
        KIND_PTR | KIND_FWD | KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT
        | KIND_FUNC | KIND_FLOAT | KIND_TYPE_TAG => 0,
        _ => return None,
    })
}

/// Hand-built BTF blobs for unit tests.
#[cfg(test)]
pub(crate) mod test_blob;

#[cfg(test)]
mod tests;
