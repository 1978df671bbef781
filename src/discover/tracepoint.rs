//! A tracefs event's `format` file (field offsets, and the names of an
//! enum field's values from `__print_symbolic` in its print format) and
//! the text lines tracefs prints for `skb:kfree_skb`. Pure.

use std::collections::BTreeMap;

/// One field of an event record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub offset: u32,
    pub size: u32,
}

/// What a `format` file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Format {
    pub id: Option<u32>,
    pub fields: Vec<Field>,
    /// The symbolic names printed for `REC->reason` (the running kernel's
    /// drop reasons), by value.
    pub reasons: BTreeMap<u32, String>,
}

impl Format {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Parses a `format` file; fields that do not parse are left out.
pub fn parse_format(text: &str) -> Format {
    let mut out = Format::default();
    for line in text.lines() {
        let line = line.trim();
        if let Some(id) = line.strip_prefix("ID:") {
            out.id = id.trim().parse().ok();
        } else if line.starts_with("field:") {
            out.fields.extend(parse_field(line));
        } else if let Some(fmt) = line.strip_prefix("print fmt:") {
            out.reasons = symbolic_values(fmt, "REC->reason");
        }
    }
    out
}

/// `field:void * skbaddr; offset:8; size:8; signed:0;`
fn parse_field(line: &str) -> Option<Field> {
    let mut parts = line.split(';').map(str::trim);
    let decl = parts.next()?.strip_prefix("field:")?;
    let name = decl
        .rsplit([' ', '*'])
        .next()?
        .split('[')
        .next()?
        .to_string();
    let mut offset = None;
    let mut size = None;
    for p in parts {
        if let Some(v) = p.strip_prefix("offset:") {
            offset = v.parse().ok();
        } else if let Some(v) = p.strip_prefix("size:") {
            size = v.parse().ok();
        }
    }
    Some(Field {
        name,
        offset: offset?,
        size: size?,
    })
}

/// The `{ value, "NAME" }` pairs of `__print_symbolic(<arg>, …)`.
fn symbolic_values(fmt: &str, arg: &str) -> BTreeMap<u32, String> {
    let mut out = BTreeMap::new();
    let Some(start) = fmt.find(&format!("__print_symbolic({arg},")) else {
        return out;
    };
    let mut rest = &fmt[start..];
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('}') else { break };
        let pair = &rest[..close];
        rest = &rest[close + 1..];
        if let Some((v, name)) = pair.split_once(',') {
            let name = name.trim().trim_matches('"');
            if let Ok(v) = parse_number(v.trim()) {
                out.insert(v, name.to_string());
            }
        }
        if rest.trim_start().starts_with(')') {
            break;
        }
    }
    out
}

fn parse_number(s: &str) -> Result<u32, std::num::ParseIntError> {
    match s.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => s.parse(),
    }
}

/// A `kfree_skb` line of `trace_pipe`, as far as it says something without
/// the packet: the kernel location (symbolised by tracefs) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KfreeSkbLine {
    pub pid: Option<u32>,
    pub protocol: Option<u16>,
    pub location: String,
    pub reason: String,
}

/// Parses `   ping-123 [001] b..1. 10.0: kfree_skb: skbaddr=… rx_sk=… protocol=2048 location=ip_rcv_finish_core+0x1a0/0x4d0 reason: IP_RPFILTER`.
pub fn parse_kfree_skb_line(line: &str) -> Option<KfreeSkbLine> {
    let (head, body) = line.split_once(" kfree_skb: ")?;
    let pid = head
        .split_whitespace()
        .next()
        .and_then(|task| task.rsplit_once('-'))
        .and_then(|(_, p)| p.parse().ok());
    let (fields, reason) = body.split_once(" reason: ")?;
    let mut protocol = None;
    let mut location = String::new();
    for kv in fields.split_whitespace() {
        if let Some(v) = kv.strip_prefix("protocol=") {
            protocol = v.parse().ok();
        } else if let Some(v) = kv.strip_prefix("location=") {
            location = v.split('/').next().unwrap_or(v).to_string();
        }
    }
    Some(KfreeSkbLine {
        pid,
        protocol,
        location,
        reason: reason.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORMAT: &str = "name: kfree_skb\nID: 2310\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n\tfield:void * skbaddr;\toffset:8;\tsize:8;\tsigned:0;\n\tfield:void * location;\toffset:16;\tsize:8;\tsigned:0;\n\tfield:unsigned short protocol;\toffset:32;\tsize:2;\tsigned:0;\n\tfield:enum skb_drop_reason reason;\toffset:36;\tsize:4;\tsigned:0;\n\nprint fmt: \"skbaddr=%p protocol=%u location=%pS reason: %s\", REC->skbaddr, REC->protocol, REC->location, __print_symbolic(REC->reason, { 2, \"NOT_SPECIFIED\" }, { 3, \"NO_SOCKET\" }, { 0x1f, \"IP_RPFILTER\" })\n";

    #[test]
    fn the_format_gives_offsets_and_the_kernels_reason_names() {
        let f = parse_format(FORMAT);
        assert_eq!(f.id, Some(2310));
        assert_eq!(f.field("skbaddr").map(|x| (x.offset, x.size)), Some((8, 8)));
        assert_eq!(f.field("reason").map(|x| x.offset), Some(36));
        assert_eq!(f.field("common_pid").map(|x| x.offset), Some(4));
        assert_eq!(f.reasons.get(&2).map(String::as_str), Some("NOT_SPECIFIED"));
        assert_eq!(f.reasons.get(&31).map(String::as_str), Some("IP_RPFILTER"));
        assert_eq!(f.reasons.len(), 3);
        assert_eq!(
            parse_format("garbage\nfield:broken\nprint fmt: \"x\""),
            Format::default()
        );
    }

    #[test]
    fn trace_pipe_lines() {
        let l = parse_kfree_skb_line("            ping-4242    [001] b..1. 123.456789: kfree_skb: skbaddr=00000000abcd rx_sk=0000000000000000 protocol=2048 location=ip_rcv_finish_core+0x1a0/0x4d0 reason: IP_RPFILTER").unwrap();
        assert_eq!(l.pid, Some(4242));
        assert_eq!(l.protocol, Some(2048));
        assert_eq!(l.location, "ip_rcv_finish_core+0x1a0");
        assert_eq!(l.reason, "IP_RPFILTER");
        assert!(parse_kfree_skb_line("<idle>-0 [000] 1.0: consume_skb: skbaddr=1").is_none());
    }
}
