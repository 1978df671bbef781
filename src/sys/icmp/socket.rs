//! The raw ICMP and ICMPv6 sockets of the prober, kernel I/O: opened in
//! the calling thread's network namespace (raw, not "ping" datagram
//! sockets, which `net.ipv4.ping_group_range` turns off in every new
//! namespace; so CAP_NET_RAW), filtered to the answers we parse, and safe
//! wrappers over socket, setsockopt, sendto, recvfrom and poll.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use super::codec::{
    ICMP_DEST_UNREACH, ICMP_ECHOREPLY, ICMP_PARAMETERPROB, ICMP_TIME_EXCEEDED, ICMP6_DST_UNREACH,
    ICMP6_ECHO_REPLY, ICMP6_PACKET_TOO_BIG, ICMP6_PARAM_PROB, ICMP6_TIME_EXCEEDED,
};
use super::model::Probe;
use super::schedule::Sockets;

/// `SOL_RAW` / `ICMP_FILTER` (linux/icmp.h).
const SOL_RAW: libc::c_int = 255;
const ICMP_FILTER: libc::c_int = 1;
/// `ICMP6_FILTER` (linux/icmpv6.h), at level IPPROTO_ICMPV6.
const ICMP6_FILTER: libc::c_int = 1;
/// Room for every reply of a large batch.
const RCVBUF_BYTES: libc::c_int = 4 << 20;

fn last_err(what: &str) -> io::Error {
    let e = io::Error::last_os_error();
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// The sockets a set of probes needs: one per address family they use.
pub(super) struct RawSockets {
    v4: Option<RawSocket>,
    v6: Option<RawSocket>,
}

impl RawSockets {
    /// Opens the IPv4 socket if a probe is IPv4, the IPv6 one if one is IPv6.
    pub(super) fn open_for(probes: &[Probe]) -> io::Result<RawSockets> {
        let v4 = if probes.iter().any(|p| p.target.is_ipv4()) {
            Some(RawSocket::open(false)?)
        } else {
            None
        };
        let v6 = if probes.iter().any(|p| p.target.is_ipv6()) {
            Some(RawSocket::open(true)?)
        } else {
            None
        };
        Ok(RawSockets { v4, v6 })
    }

    fn family(&mut self, v6: bool) -> Option<&mut RawSocket> {
        if v6 {
            self.v6.as_mut()
        } else {
            self.v4.as_mut()
        }
    }
}

impl Sockets for RawSockets {
    fn set_df(&mut self, v6: bool, on: bool) -> io::Result<()> {
        match self.family(v6) {
            Some(s) => s.set_df(on),
            // open_for opened a socket for every family the probes use
            None => Err(io::Error::other("no ICMP socket for this address family")),
        }
    }

    fn send_to(&mut self, packet: &[u8], target: IpAddr) -> io::Result<()> {
        match self.family(target.is_ipv6()) {
            Some(s) => s.send_to(packet, target),
            None => Err(io::Error::other("no ICMP socket for this address family")),
        }
    }

    fn recv(&mut self, v6: bool, buf: &mut [u8]) -> io::Result<Option<(usize, Option<Ipv6Addr>)>> {
        match self.family(v6) {
            Some(s) => s.recv(buf),
            None => Ok(None),
        }
    }

    fn wait(&mut self, timeout: Duration) {
        let fds: Vec<&OwnedFd> = self
            .v4
            .iter()
            .chain(self.v6.iter())
            .map(|s| &s.fd)
            .collect();
        poll(&fds, timeout);
    }
}

/// A raw ICMP (or ICMPv6) socket in the calling thread's namespace.
struct RawSocket {
    fd: OwnedFd,
    v6: bool,
    /// The DF setting last applied.
    df: Option<bool>,
}

impl RawSocket {
    fn open(v6: bool) -> io::Result<RawSocket> {
        let (fam, proto) = if v6 {
            (libc::AF_INET6, libc::IPPROTO_ICMPV6)
        } else {
            (libc::AF_INET, libc::IPPROTO_ICMP)
        };
        // SAFETY: plain socket(2); the fd is owned right away.
        let fd = unsafe {
            libc::socket(
                fam,
                libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                proto,
            )
        };
        if fd < 0 {
            return Err(last_err("open a raw ICMP socket (needs CAP_NET_RAW)"));
        }
        // SAFETY: fd is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let s = RawSocket { fd, v6, df: None };
        s.filter()?;
        // FORCE needs CAP_NET_ADMIN; without it, as much as rmem_max allows
        if s.setsockopt(libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &RCVBUF_BYTES)
            .is_err()
        {
            let _ = s.setsockopt(libc::SOL_SOCKET, libc::SO_RCVBUF, &RCVBUF_BYTES);
        }
        Ok(s)
    }

    /// Blocks everything but echo replies and the errors that quote us.
    fn filter(&self) -> io::Result<()> {
        if self.v6 {
            let mut filter = [u32::MAX; 8];
            for t in [
                ICMP6_DST_UNREACH,
                ICMP6_PACKET_TOO_BIG,
                ICMP6_TIME_EXCEEDED,
                ICMP6_PARAM_PROB,
                ICMP6_ECHO_REPLY,
            ] {
                filter[usize::from(t >> 5)] &= !(1u32 << (t & 31));
            }
            self.setsockopt(libc::IPPROTO_ICMPV6, ICMP6_FILTER, &filter)
        } else {
            let pass: u32 = (1 << ICMP_ECHOREPLY)
                | (1 << ICMP_DEST_UNREACH)
                | (1 << ICMP_TIME_EXCEEDED)
                | (1 << ICMP_PARAMETERPROB);
            self.setsockopt(SOL_RAW, ICMP_FILTER, &!pass)
        }
    }

    fn setsockopt<T>(&self, level: libc::c_int, name: libc::c_int, v: &T) -> io::Result<()> {
        // SAFETY: `v` points at a live T of the length passed.
        let rc = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                level,
                name,
                (v as *const T).cast(),
                size_of::<T>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(last_err("setsockopt on the ICMP socket"));
        }
        Ok(())
    }

    fn set_df(&mut self, on: bool) -> io::Result<()> {
        if self.df == Some(on) {
            return Ok(());
        }
        let v: libc::c_int = if on {
            libc::IP_PMTUDISC_DO
        } else {
            libc::IP_PMTUDISC_DONT
        };
        if self.v6 {
            self.setsockopt(libc::IPPROTO_IPV6, libc::IPV6_MTU_DISCOVER, &v)?;
        } else {
            self.setsockopt(libc::IPPROTO_IP, libc::IP_MTU_DISCOVER, &v)?;
        }
        self.df = Some(on);
        Ok(())
    }

    fn send_to(&self, packet: &[u8], target: IpAddr) -> io::Result<()> {
        let rc = match target {
            IpAddr::V4(a) => {
                // SAFETY: sockaddr_in is plain data; zeroed is valid.
                let mut sa: libc::sockaddr_in = unsafe { zeroed() };
                sa.sin_family = libc::AF_INET as libc::sa_family_t;
                sa.sin_addr.s_addr = u32::from_ne_bytes(a.octets());
                // SAFETY: buffer and address are valid for their lengths.
                unsafe {
                    libc::sendto(
                        self.fd.as_raw_fd(),
                        packet.as_ptr().cast(),
                        packet.len(),
                        0,
                        (&sa as *const libc::sockaddr_in).cast(),
                        size_of::<libc::sockaddr_in>() as libc::socklen_t,
                    )
                }
            }
            IpAddr::V6(a) => {
                // SAFETY: sockaddr_in6 is plain data; zeroed is valid.
                let mut sa: libc::sockaddr_in6 = unsafe { zeroed() };
                sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sa.sin6_addr.s6_addr = a.octets();
                // SAFETY: buffer and address are valid for their lengths.
                unsafe {
                    libc::sendto(
                        self.fd.as_raw_fd(),
                        packet.as_ptr().cast(),
                        packet.len(),
                        0,
                        (&sa as *const libc::sockaddr_in6).cast(),
                        size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                    )
                }
            }
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// One datagram, or None when nothing is waiting.
    fn recv(&self, buf: &mut [u8]) -> io::Result<Option<(usize, Option<Ipv6Addr>)>> {
        // SAFETY: sockaddr_storage is plain data; zeroed is valid.
        let mut sa: libc::sockaddr_storage = unsafe { zeroed() };
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: buffer and address storage are valid for their lengths.
        let n = unsafe {
            libc::recvfrom(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
                (&mut sa as *mut libc::sockaddr_storage).cast(),
                &mut len,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::WouldBlock => Ok(None),
                io::ErrorKind::Interrupted => Ok(None),
                _ => Err(e),
            };
        }
        let src = if self.v6 && i32::from(sa.ss_family) == libc::AF_INET6 {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let s6: &libc::sockaddr_in6 =
                unsafe { &*(&sa as *const libc::sockaddr_storage).cast() };
            Some(Ipv6Addr::from(s6.sin6_addr.s6_addr))
        } else {
            None
        };
        Ok(Some((n as usize, src)))
    }
}

/// Waits until one of `fds` can be read or `timeout` has passed (an
/// interrupted or failed poll just returns early: the caller reads and
/// looks at the clock again).
fn poll(fds: &[&OwnedFd], timeout: Duration) {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: pfds is a valid array of pollfd of the length passed.
    unsafe {
        libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms.max(0));
    }
}
