//! The SIOCETHTOOL ioctl (kernel I/O): string sets, statistics and driver
//! info of an interface in the calling thread's network namespace, as
//! `ethtool -S` / `ethtool -i` read them. Buffers are returned raw;
//! `discover::ethtool` parses them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

const SIOCETHTOOL: libc::c_ulong = 0x8946;
const ETHTOOL_GDRVINFO: u32 = 0x03;
const ETHTOOL_GSTRINGS: u32 = 0x1b;
const ETHTOOL_GSTATS: u32 = 0x1d;
const ETHTOOL_GSSET_INFO: u32 = 0x37;
const ETHTOOL_GCHANNELS: u32 = 0x3c;
const ETH_SS_STATS: u32 = 1;
const ETH_SS_FEATURES: u32 = 4;
const ETHTOOL_GFEATURES: u32 = 0x3a;
/// `ETH_GSTRING_LEN`: each statistic's name is a NUL-padded 32-byte field.
pub const GSTRING_LEN: usize = 32;
/// Size of `struct ethtool_drvinfo`.
pub const DRVINFO_LEN: usize = 196;
/// Extra room in the stats buffer in case the count grows between two calls.
const SLACK: usize = 64;

/// The raw answers of GSTRINGS and GSTATS for ETH_SS_STATS.
#[derive(Debug, Clone, Default)]
pub struct RawStats {
    /// `n` × 32 bytes of names.
    pub names: Vec<u8>,
    /// The values, in the order of the names.
    pub values: Vec<u64>,
}

/// The raw answers of GSTRINGS(ETH_SS_FEATURES) and GFEATURES: feature
/// names and, per 32 features, the `active` bit words.
#[derive(Debug, Clone, Default)]
pub struct RawFeatures {
    pub names: Vec<u8>,
    pub active: Vec<u32>,
}

/// An ioctl handle: any socket open in the interface's namespace (an
/// rtnetlink socket will do: SIOCETHTOOL falls through to the device layer
/// of the socket's netns).
#[derive(Clone, Copy)]
pub struct Ethtool {
    fd: RawFd,
}

#[repr(C)]
struct IfReq {
    name: [u8; libc::IFNAMSIZ],
    data: *mut libc::c_void,
    _pad: [u8; 16],
}

/// What decides a driver's statistic names: link kind, count, and the
/// queues in use (rx, tx, combined) from ETHTOOL_GCHANNELS.
type NamesKey = (String, usize, [u32; 3]);

thread_local! {
    /// Statistic names by [`NamesKey`]: a veth has one block of names per rx
    /// and per tx queue in use, so veths with the same queues have the same
    /// names and GSTRINGS is asked once per thread. (The count alone is not
    /// enough: 3 rx + 1 tx queues and 1 rx + 8 tx give 24 statistics each.)
    static NAMES: RefCell<HashMap<NamesKey, Vec<u8>>> = RefCell::new(HashMap::new());
}

impl Ethtool {
    /// Uses `sock` (which must stay open while this is used) as the ioctl handle.
    pub fn on(sock: &impl AsRawFd) -> Self {
        Ethtool {
            fd: sock.as_raw_fd(),
        }
    }

    /// SIOCETHTOOL with `buf` as the command's struct (its first word the
    /// command); the kernel writes its answer into `buf`.
    fn ioctl<W: Copy>(&self, ifname: &str, buf: &mut [W]) -> io::Result<()> {
        let bytes = ifname.as_bytes();
        if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad interface name {ifname:?}"),
            ));
        }
        let mut req = IfReq {
            name: [0; libc::IFNAMSIZ],
            data: buf.as_mut_ptr().cast(),
            _pad: [0; 16],
        };
        req.name[..bytes.len()].copy_from_slice(bytes);
        // SAFETY: req is a valid ifreq whose data points at `buf`, borrowed
        // mutably for the call and sized by the caller for the command.
        let rc = unsafe { libc::ioctl(self.fd, SIOCETHTOOL as _, &mut req as *mut IfReq) };
        if rc < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Number of ETH_SS_STATS strings (`ETHTOOL_GSSET_INFO`); 0 when the driver has none.
    pub fn stats_count(&self, ifname: &str) -> io::Result<usize> {
        self.set_count(ifname, ETH_SS_STATS)
    }

    /// `ethtool -k`: the names of the device's features and which are active.
    pub fn features(&self, ifname: &str) -> io::Result<RawFeatures> {
        let n = self.set_count(ifname, ETH_SS_FEATURES)?;
        if n == 0 {
            return Ok(RawFeatures::default());
        }
        let names = self.strings(ifname, ETH_SS_FEATURES, n)?;
        let blocks = n.div_ceil(32);
        // struct ethtool_gfeatures { u32 cmd; u32 size; struct { u32 available, requested, active, never_changed; } features[]; }
        let mut buf = vec![0u32; 2 + 4 * blocks];
        buf[0] = ETHTOOL_GFEATURES;
        buf[1] = blocks as u32;
        self.ioctl(ifname, &mut buf)?;
        let active = (0..blocks).map(|b| buf[2 + 4 * b + 2]).collect();
        Ok(RawFeatures { names, active })
    }

    fn set_count(&self, ifname: &str, set: u32) -> io::Result<usize> {
        // struct ethtool_sset_info { u32 cmd; u32 reserved; u64 sset_mask; u32 data[1]; }
        let mut buf = [pack(ETHTOOL_GSSET_INFO, 0), 1u64 << set, 0];
        match self.ioctl(ifname, &mut buf) {
            Ok(()) => Ok(sset_count(&buf, set)),
            Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => Ok(0),
            Err(e) => Err(e),
        }
    }

    fn names(&self, ifname: &str, n: usize) -> io::Result<Vec<u8>> {
        self.strings(ifname, ETH_SS_STATS, n)
    }

    fn strings(&self, ifname: &str, set: u32, n: usize) -> io::Result<Vec<u8>> {
        let cap = n + SLACK;
        // struct ethtool_gstrings { u32 cmd; u32 string_set; u32 len; u8 data[]; }
        let mut sbuf = vec![0u64; (12 + cap * GSTRING_LEN).div_ceil(8)];
        sbuf[0] = pack(ETHTOOL_GSTRINGS, set);
        sbuf[1] = pack(n as u32, 0);
        self.ioctl(ifname, &mut sbuf)?;
        let got = half(sbuf[1], 0) as usize;
        if got > cap {
            return Err(io::Error::other(format!(
                "{ifname}: driver returned {got} stat names for {n}"
            )));
        }
        Ok(bytes_of(&sbuf)[12..12 + got * GSTRING_LEN].to_vec())
    }

    fn values(&self, ifname: &str, n: usize) -> io::Result<Vec<u64>> {
        let cap = n + SLACK;
        // struct ethtool_stats { u32 cmd; u32 n_stats; u64 data[]; }
        let mut vbuf = vec![0u64; 1 + cap];
        vbuf[0] = pack(ETHTOOL_GSTATS, n as u32);
        self.ioctl(ifname, &mut vbuf)?;
        let nvals = half(vbuf[0], 1) as usize;
        if nvals > cap {
            return Err(io::Error::other(format!(
                "{ifname}: driver returned {nvals} stats for {n}"
            )));
        }
        Ok(vbuf[1..1 + nvals].to_vec())
    }

    /// `ethtool -S`: the names and values of every driver statistic.
    pub fn stats(&self, ifname: &str) -> io::Result<RawStats> {
        let n = self.stats_count(ifname)?;
        if n == 0 {
            return Ok(RawStats::default());
        }
        let names = self.names(ifname, n)?;
        let values = self.values(ifname, n)?;
        Ok(RawStats { names, values })
    }

    /// The queues in use (`ETHTOOL_GCHANNELS`): rx, tx, combined; `None`
    /// when the driver does not say.
    fn channels(&self, ifname: &str) -> io::Result<Option<[u32; 3]>> {
        // struct ethtool_channels { u32 cmd, max_rx, max_tx, max_other, max_combined,
        //                           rx_count, tx_count, other_count, combined_count; }
        let mut buf = [0u32; 9];
        buf[0] = ETHTOOL_GCHANNELS;
        match self.ioctl(ifname, &mut buf) {
            Ok(()) => Ok(Some([buf[5], buf[6], buf[8]])),
            Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Like [`Ethtool::stats`], reusing the names read for an earlier
    /// interface of the same link kind (`veth`), count and queues on this thread.
    pub fn stats_of_kind(&self, ifname: &str, kind: &str) -> io::Result<RawStats> {
        if kind != "veth" {
            return self.stats(ifname);
        }
        let n = self.stats_count(ifname)?;
        if n == 0 {
            return Ok(RawStats::default());
        }
        let Some(queues) = self.channels(ifname)? else {
            return self.stats(ifname);
        };
        let key = (kind.to_string(), n, queues);
        let names = match NAMES.with(|c| c.borrow().get(&key).cloned()) {
            Some(names) => names,
            None => {
                let names = self.names(ifname, n)?;
                NAMES.with(|c| c.borrow_mut().insert(key, names.clone()));
                names
            }
        };
        let values = self.values(ifname, n)?;
        Ok(RawStats { names, values })
    }

    /// `ethtool -i`: the raw `struct ethtool_drvinfo`.
    pub fn driver_info(&self, ifname: &str) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u64; DRVINFO_LEN.div_ceil(8)];
        buf[0] = pack(ETHTOOL_GDRVINFO, 0);
        self.ioctl(ifname, &mut buf)?;
        Ok(bytes_of(&buf)[..DRVINFO_LEN].to_vec())
    }
}

/// Two consecutive u32 fields as the u64 word they fill in memory (native
/// byte order: `lo` first).
fn pack(lo: u32, hi: u32) -> u64 {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&lo.to_ne_bytes());
    b[4..].copy_from_slice(&hi.to_ne_bytes());
    u64::from_ne_bytes(b)
}

/// The u32 field at `i` (0 or 1) of a u64 word, in memory order.
fn half(w: u64, i: usize) -> u32 {
    let b = w.to_ne_bytes();
    let at = if i == 0 { 0 } else { 4 };
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The buffer's bytes, in memory order.
fn bytes_of(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

/// The answer of ETHTOOL_GSSET_INFO for one set: its `data[0]` when the
/// kernel kept the set's bit in the mask, else 0 (the driver has none).
fn sset_count(buf: &[u64; 3], set: u32) -> usize {
    if buf[1] & (1u64 << set) == 0 {
        0
    } else {
        half(buf[2], 0) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_pack_in_memory_order() {
        let w = pack(ETHTOOL_GSTRINGS, ETH_SS_STATS);
        assert_eq!(w.to_ne_bytes()[..4], ETHTOOL_GSTRINGS.to_ne_bytes());
        assert_eq!((half(w, 0), half(w, 1)), (ETHTOOL_GSTRINGS, ETH_SS_STATS));
        assert_eq!(bytes_of(&[w, 0]).len(), 16);
    }

    #[test]
    fn a_set_count_needs_the_sets_bit_kept() {
        // as the kernel answers: the mask keeps the bit, data[0] holds the count
        let answered = [pack(ETHTOOL_GSSET_INFO, 0), 1 << ETH_SS_STATS, pack(24, 0)];
        assert_eq!(sset_count(&answered, ETH_SS_STATS), 24);
        let cleared = [answered[0], 0, answered[2]];
        assert_eq!(sset_count(&cleared, ETH_SS_STATS), 0);
    }
}
