//! /proc/kallsyms: kernel text symbols by address, to name a drop's
//! location `function+0xoffset`. Pure.

/// The text symbols, sorted by address.
#[derive(Debug, Clone, Default)]
pub struct Symbols {
    entries: Vec<(u64, String)>,
}

impl Symbols {
    /// Parses `ffffffff81000000 T _stext` lines (text symbols only: t/T);
    /// zero addresses (kptr_restrict) are left out.
    pub fn parse(text: &str) -> Symbols {
        let mut entries: Vec<(u64, String)> = text
            .lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                let addr = u64::from_str_radix(it.next()?, 16).ok()?;
                let kind = it.next()?;
                let name = it.next()?;
                (addr != 0 && matches!(kind, "t" | "T")).then(|| (addr, name.to_string()))
            })
            .collect();
        entries.sort_unstable();
        Symbols { entries }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `ip_rcv_finish_core+0x1a0`, or the address in hex when no symbol covers it.
    pub fn name(&self, addr: u64) -> String {
        let i = self.entries.partition_point(|(a, _)| *a <= addr);
        match i.checked_sub(1).map(|i| &self.entries[i]) {
            Some((a, n)) if addr - a < 1 << 20 => format!("{n}+{:#x}", addr - a),
            _ => format!("{addr:#x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_named_by_the_symbol_below_them() {
        let s = Symbols::parse(
            "ffffffff81a00000 T ip_rcv_finish_core\nffffffff81a00500 t ip_rcv_finish\nffffffff82000000 D some_data\n0000000000000000 T hidden\ngarbage\n",
        );
        assert_eq!(s.name(0xffffffff81a001a0), "ip_rcv_finish_core+0x1a0");
        assert_eq!(s.name(0xffffffff81a00500), "ip_rcv_finish+0x0");
        assert_eq!(s.name(0x10), "0x10");
        assert!(Symbols::parse("").is_empty());
    }
}
