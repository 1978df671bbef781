//! TCP, HTTP and UDP probes from the calling thread's network namespace
//! (network I/O to the target only): a TCP connect, an HTTP GET's status
//! line, a UDP request and its answer. Each returns the latency.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// Connects and closes; the time the handshake took.
pub fn tcp_connect(target: SocketAddr, timeout: Duration) -> io::Result<Duration> {
    let t = Instant::now();
    let s = TcpStream::connect_timeout(&target, timeout)?;
    let took = t.elapsed();
    drop(s);
    Ok(took)
}

/// `GET path` with `Host: host`; the status line of the answer and the time to it.
pub fn http_get(
    target: SocketAddr,
    host: &str,
    path: &str,
    timeout: Duration,
) -> io::Result<(Duration, String)> {
    let t = Instant::now();
    let mut s = TcpStream::connect_timeout(&target, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: podnet-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = [0u8; 512];
    let mut got = Vec::new();
    while !got.contains(&b'\n') && got.len() < 4096 {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    let took = t.elapsed();
    let line = String::from_utf8_lossy(&got)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    if line.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection without answering",
        ));
    }
    Ok((took, line))
}

/// Sends one datagram and waits for one back; `ConnectionRefused` when the
/// target answered with ICMP port unreachable.
pub fn udp_exchange(
    target: SocketAddr,
    payload: &[u8],
    timeout: Duration,
) -> io::Result<(Duration, Vec<u8>)> {
    let bind: SocketAddr = if target.is_ipv4() {
        "0.0.0.0:0".parse()
    } else {
        "[::]:0".parse()
    }
    .map_err(io::Error::other)?;
    let s = UdpSocket::bind(bind)?;
    s.connect(target)?;
    s.set_read_timeout(Some(timeout))?;
    let t = Instant::now();
    s.send(payload)?;
    let mut buf = vec![0u8; 4096];
    let n = s.recv(&mut buf)?;
    buf.truncate(n);
    Ok((t.elapsed(), buf))
}
