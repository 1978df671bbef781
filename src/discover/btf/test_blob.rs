//! BTF blobs built by hand for unit tests (this module's and its users').

use super::*;

/// Builds a BTF blob by hand: types in id order from 1, and strings.
pub struct Blob {
    pub types: Vec<u8>,
    pub strings: Vec<u8>,
    next_id: u32,
}

impl Blob {
    pub fn new() -> Blob {
        Blob {
            types: Vec::new(),
            strings: vec![0],
            next_id: 1,
        }
    }

    pub fn name(&mut self, name: &str) -> u32 {
        if name.is_empty() {
            return 0;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        off
    }

    pub fn words(&mut self, words: &[u32]) {
        for w in words {
            self.types.extend_from_slice(&w.to_ne_bytes());
        }
    }

    /// One type: its header and the words after it; returns its id.
    pub fn ty(
        &mut self,
        name: &str,
        kind: u8,
        vlen: u32,
        kind_flag: bool,
        size_or_type: u32,
        extra: &[u32],
    ) -> u32 {
        let name_off = self.name(name);
        let info = (u32::from(kind) << 24) | vlen | (u32::from(kind_flag) << 31);
        self.words(&[name_off, info, size_or_type]);
        self.words(extra);
        self.next_id += 1;
        self.next_id - 1
    }

    pub fn composite(
        &mut self,
        kind: u8,
        name: &str,
        size: u32,
        kind_flag: bool,
        members: &[(&str, u32, u32)],
    ) -> u32 {
        let mut extra = Vec::new();
        for (n, t, off) in members {
            extra.extend([self.name(n), *t, *off]);
        }
        self.ty(name, kind, members.len() as u32, kind_flag, size, &extra)
    }

    pub fn int(&mut self, name: &str, size: u32) -> u32 {
        self.ty(name, KIND_INT, 0, false, size, &[size * 8])
    }

    pub fn ptr(&mut self, to: u32) -> u32 {
        self.ty("", KIND_PTR, 0, false, to, &[])
    }

    pub fn typedef(&mut self, name: &str, to: u32) -> u32 {
        self.ty(name, KIND_TYPEDEF, 0, false, to, &[])
    }

    pub fn array(&mut self, elem: u32, index: u32, count: u32) -> u32 {
        self.ty("", KIND_ARRAY, 0, false, 0, &[elem, index, count])
    }

    pub fn structure(&mut self, name: &str, size: u32, members: &[(&str, u32, u32)]) -> u32 {
        self.composite(KIND_STRUCT, name, size, false, members)
    }

    pub fn union(&mut self, name: &str, size: u32, members: &[(&str, u32, u32)]) -> u32 {
        self.composite(KIND_UNION, name, size, false, members)
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC.to_ne_bytes());
        out.extend([VERSION, 0]);
        for w in [
            24u32,
            0,
            self.types.len() as u32,
            self.types.len() as u32,
            self.strings.len() as u32,
        ] {
            out.extend_from_slice(&w.to_ne_bytes());
        }
        out.extend_from_slice(&self.types);
        out.extend_from_slice(&self.strings);
        out
    }
}
