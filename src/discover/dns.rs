//! A minimal DNS message codec for `podnet probe dns://…`: an A/AAAA query,
//! and the answer's rcode and addresses. No I/O.

use std::net::IpAddr;

/// A query for `name` of type A (1) or AAAA (28), with id `id`, recursion desired.
pub fn query(id: u16, name: &str, aaaa: bool) -> Result<Vec<u8>, String> {
    let mut q = Vec::with_capacity(32 + name.len());
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // RD; 1 question
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("{name:?} is not a valid DNS name"));
        }
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&(if aaaa { 28u16 } else { 1u16 }).to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes()); // class IN
    Ok(q)
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN…
    pub rcode: u8,
    pub addresses: Vec<IpAddr>,
}

/// `NOERROR`, `NXDOMAIN`…
pub fn rcode_name(rcode: u8) -> &'static str {
    match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => "rcode",
    }
}

fn skip_name(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let len = *b.get(i)? as usize;
        if len == 0 {
            return Some(i + 1);
        }
        if len & 0xc0 == 0xc0 {
            return Some(i + 2); // a compression pointer ends the name
        }
        i += 1 + len;
    }
}

/// Parses an answer to query `id`.
pub fn parse(b: &[u8], id: u16) -> Result<Answer, String> {
    if b.len() < 12 {
        return Err("short DNS answer".into());
    }
    if u16::from_be_bytes([b[0], b[1]]) != id {
        return Err("DNS answer to another query".into());
    }
    let rcode = b[3] & 0x0f;
    let qd = u16::from_be_bytes([b[4], b[5]]) as usize;
    let an = u16::from_be_bytes([b[6], b[7]]) as usize;
    let mut i = 12;
    for _ in 0..qd {
        i = skip_name(b, i).ok_or("truncated question")? + 4;
    }
    let mut addresses = Vec::new();
    for _ in 0..an {
        i = skip_name(b, i).ok_or("truncated answer")?;
        let h = b.get(i..i + 10).ok_or("truncated answer")?;
        let (ty, len) = (
            u16::from_be_bytes([h[0], h[1]]),
            u16::from_be_bytes([h[8], h[9]]) as usize,
        );
        let data = b.get(i + 10..i + 10 + len).ok_or("truncated answer data")?;
        match (ty, len) {
            (1, 4) => addresses.push(IpAddr::from([data[0], data[1], data[2], data[3]])),
            (28, 16) => addresses.push(IpAddr::from(
                <[u8; 16]>::try_from(data).map_err(|_| "bad AAAA")?,
            )),
            _ => {}
        }
        i += 10 + len;
    }
    Ok(Answer { rcode, addresses })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_answer() {
        let q = query(0x1234, "kubernetes.default.svc.cluster.local", false).unwrap();
        assert_eq!(&q[..2], &[0x12, 0x34]);
        assert_eq!(q[12], 10);
        assert!(query(1, "a..b", false).is_err());
        // answer: the question echoed, one A record by a compression pointer
        let mut a = q.clone();
        a[2] = 0x81;
        a[3] = 0x80;
        a[7] = 1;
        a.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 96, 0, 1]);
        let got = parse(&a, 0x1234).unwrap();
        assert_eq!(got.rcode, 0);
        assert_eq!(got.addresses, vec!["10.96.0.1".parse::<IpAddr>().unwrap()]);
        let mut nx = q.clone();
        nx[3] = 0x83;
        assert_eq!(parse(&nx, 0x1234).unwrap().rcode, 3);
        assert!(parse(&a, 0x9999).is_err());
        assert!(parse(&a[..20], 0x1234).is_err());
    }
}
