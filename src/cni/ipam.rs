//! host-local IPAM, compatible with the reference plugin: its config keys
//! (`ranges`, legacy `subnet`/`rangeStart`/`rangeEnd`/`gateway`, `routes`,
//! `dataDir`, `resolvConf`, requested IPs), range canonicalisation, the
//! round-robin allocation order starting after `last_reserved_ip.<n>`, and
//! the reservation file contents (`<containerID>\r\n<ifname>`). Pure: the
//! store's files are read and written by `cni::store`.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use ipnet::IpNet;
use serde::Deserialize;
use serde_json::Value;

use super::error::{CniError, codes, json_kind};
use super::types::Route;

/// Where host-local keeps its state unless `dataDir` says otherwise.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/cni/networks";
/// The line break between container ID and interface name in a reservation file.
pub const LINE_BREAK: &str = "\r\n";
/// The prefix of the files holding the last address handed out per range set.
pub const LAST_RESERVED_PREFIX: &str = "last_reserved_ip.";
/// The lock file in each network's directory.
pub const LOCK_FILE: &str = "lock";

/// One canonical range: a subnet and the inclusive part of it to hand out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// The subnet, host bits zero.
    pub subnet: IpNet,
    pub start: IpAddr,
    pub end: IpAddr,
    /// Never handed out; `.1` unless configured.
    pub gateway: IpAddr,
}

impl Range {
    pub fn contains(&self, ip: IpAddr) -> bool {
        same_family(ip, self.start)
            && self.subnet.contains(&ip)
            && num(ip) >= num(self.start)
            && num(ip) <= num(self.end)
    }

    fn overlaps(&self, other: &Range) -> bool {
        same_family(self.start, other.start)
            && (self.contains(other.start)
                || self.contains(other.end)
                || other.contains(self.start)
                || other.contains(self.end))
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// Ranges of one family from which one address is given per attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeSet(pub Vec<Range>);

impl RangeSet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|r| r.contains(ip))
    }

    pub fn range_for(&self, ip: IpAddr) -> Option<&Range> {
        self.0.iter().find(|r| r.contains(ip))
    }

    pub fn is_ipv4(&self) -> bool {
        self.0.first().is_some_and(|r| r.start.is_ipv4())
    }
}

impl fmt::Display for RangeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(Range::to_string).collect();
        write!(f, "{}", parts.join(","))
    }
}

/// A parsed host-local configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostLocalConf {
    /// The network name: the store's directory under `data_dir`.
    pub network: String,
    pub ranges: Vec<RangeSet>,
    pub routes: Vec<Route>,
    pub data_dir: PathBuf,
    pub resolv_conf: Option<PathBuf>,
    /// Addresses asked for (CNI_ARGS `IP`, `args.cni.ips`, `runtimeConfig.ips`).
    pub requested: Vec<IpAddr>,
}

impl HostLocalConf {
    /// `<dataDir>/<network>`.
    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.join(&self.network)
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawRange {
    subnet: Option<String>,
    range_start: Option<String>,
    range_end: Option<String>,
    gateway: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawIpam {
    /// The legacy single-range keys (not an `Option`: a flattened option
    /// would turn a key of the wrong type into "no legacy range").
    #[serde(flatten)]
    legacy: RawRange,
    #[serde(default)]
    ranges: Vec<Vec<RawRange>>,
    #[serde(default)]
    routes: Vec<Route>,
    data_dir: Option<String>,
    resolv_conf: Option<String>,
}

fn invalid(msg: impl Into<String>) -> CniError {
    CniError::invalid_config(msg)
}

fn parse_ip(what: &str, s: &str) -> Result<IpAddr, CniError> {
    // an address may come with a prefix length (`10.1.2.3/24`)
    let addr = s.split('/').next().unwrap_or(s);
    addr.parse()
        .map_err(|_| invalid(format!("invalid IP address {s:?} in {what}")))
}

fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

/// Why a route cannot be installed as given, if it cannot: a `gw` of the
/// other family than `dst` (the kernel would take the route without it,
/// or refuse it, while the result claims the gateway).
pub fn route_problem(r: &Route) -> Option<String> {
    match r.gw {
        Some(gw) if !same_family(gw, r.dst.addr()) => Some(format!(
            "route to {} has gateway {gw} of the other family",
            r.dst
        )),
        _ => None,
    }
}

/// An address as a number (IPv4 in the low 32 bits).
pub fn num(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The address `n` of the family of `like`.
pub fn from_num(like: IpAddr, n: u128) -> IpAddr {
    match like {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(n as u32)),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(n)),
    }
}

fn canonical_range(raw: &RawRange) -> Result<Range, CniError> {
    let subnet_s = raw
        .subnet
        .as_deref()
        .ok_or_else(|| invalid("a range has no subnet"))?;
    let given: IpNet = subnet_s
        .parse()
        .map_err(|_| invalid(format!("invalid CIDR {subnet_s:?} in subnet")))?;
    let bits = given.max_prefix_len();
    if given.prefix_len() == 0 {
        return Err(invalid(format!(
            "subnet {given} is every address: it would put a default route's worth of addresses on the pod and the bridge"
        )));
    }
    if given.prefix_len() > bits - 2 {
        return Err(invalid(format!(
            "Network {given} too small to allocate from"
        )));
    }
    let subnet = given.trunc();
    if subnet.addr() != given.addr() {
        return Err(invalid(format!(
            "Network has host bits set. For a subnet mask of length {} the network address is {}",
            given.prefix_len(),
            subnet.addr()
        )));
    }
    let first = from_num(subnet.addr(), num(subnet.addr()) + 1);
    let mut last = num(subnet.broadcast());
    if subnet.addr().is_ipv4() {
        last -= 1;
    }
    let gateway = match &raw.gateway {
        Some(g) => parse_ip("gateway", g)?,
        None => first,
    };
    if !same_family(gateway, first) {
        return Err(invalid(format!(
            "gateway {gateway} is of the other family than subnet {subnet}"
        )));
    }
    let start = match &raw.range_start {
        Some(s) => {
            let ip = parse_ip("rangeStart", s)?;
            if !same_family(ip, first) || !subnet.contains(&ip) {
                return Err(invalid(format!("RangeStart {ip} not in network {subnet}")));
            }
            ip
        }
        None => first,
    };
    let end = match &raw.range_end {
        Some(s) => {
            let ip = parse_ip("rangeEnd", s)?;
            if !same_family(ip, first) || !subnet.contains(&ip) || num(ip) < num(start) {
                return Err(invalid(format!("RangeEnd {ip} not in network {subnet}")));
            }
            ip
        }
        None => from_num(first, last),
    };
    Ok(Range {
        subnet,
        start,
        end,
        gateway,
    })
}

fn canonical_set(raw: &[RawRange]) -> Result<RangeSet, CniError> {
    if raw.is_empty() {
        return Err(invalid("empty range set"));
    }
    let ranges = raw
        .iter()
        .map(canonical_range)
        .collect::<Result<Vec<_>, _>>()?;
    let v4 = ranges[0].start.is_ipv4();
    if ranges.iter().any(|r| r.start.is_ipv4() != v4) {
        return Err(invalid("mixed address families"));
    }
    for (i, a) in ranges.iter().enumerate() {
        for b in &ranges[i + 1..] {
            if a.overlaps(b) {
                return Err(invalid(format!(
                    "subnets {} and {} overlap",
                    a.subnet, b.subnet
                )));
            }
        }
    }
    Ok(RangeSet(ranges))
}

/// The array at JSON pointer `ptr` (`/args/cni/ips`): `None` when it or a
/// parent is absent or null; a value of another type on the way (a string
/// `runtimeConfig`, an object `ips`) is an invalid configuration rather than
/// something to ignore.
fn array_at<'a>(conf: &'a Value, ptr: &str) -> Result<Option<&'a [Value]>, CniError> {
    let mut cur = conf;
    let mut path = String::new();
    let parts: Vec<&str> = ptr.split('/').skip(1).collect();
    for (i, part) in parts.iter().enumerate() {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(part);
        match cur.get(part) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Array(a)) if i + 1 == parts.len() => return Ok(Some(a)),
            Some(v @ Value::Object(_)) if i + 1 < parts.len() => cur = v,
            Some(other) => {
                let want = if i + 1 == parts.len() {
                    "an array"
                } else {
                    "an object"
                };
                return Err(invalid(format!(
                    "{path} must be {want}, not {}",
                    json_kind(other)
                )));
            }
        }
    }
    Ok(None)
}

/// Parses the host-local part of a network configuration. `conf` is the
/// whole configuration (for `name`, `runtimeConfig` and `args`);
/// `cni_args_ip` is the `IP` key of CNI_ARGS.
pub fn parse(conf: &Value, cni_args_ip: Option<&str>) -> Result<HostLocalConf, CniError> {
    let network = conf
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let ipam_v = conf
        .get("ipam")
        .ok_or_else(|| invalid("IPAM config missing 'ipam' key"))?;
    let raw =
        RawIpam::deserialize(ipam_v).map_err(|e| invalid(format!("invalid ipam config: {e}")))?;
    for r in &raw.routes {
        if let Some(p) = route_problem(r) {
            return Err(invalid(format!("invalid ipam route: {p}")));
        }
    }

    let mut requested = Vec::new();
    if let Some(ip) = cni_args_ip {
        requested.push(parse_ip("CNI_ARGS IP", ip)?);
    }
    for key in ["/args/cni/ips", "/runtimeConfig/ips"] {
        let what = key[1..].replace('/', ".");
        for ip in array_at(conf, key)?.unwrap_or_default() {
            let s = ip
                .as_str()
                .ok_or_else(|| invalid(format!("{what} must hold strings")))?;
            requested.push(parse_ip(&what, s)?);
        }
    }

    let mut raw_sets: Vec<Vec<RawRange>> = Vec::new();
    if let Some(rt) = conf.pointer("/runtimeConfig/ipRanges") {
        let rt = Vec::<Vec<RawRange>>::deserialize(rt)
            .map_err(|e| invalid(format!("invalid runtimeConfig.ipRanges: {e}")))?;
        raw_sets.extend(rt);
    }
    if raw.legacy.subnet.is_some() {
        raw_sets.push(vec![raw.legacy]);
    }
    raw_sets.extend(raw.ranges);
    if raw_sets.is_empty() {
        return Err(invalid("no IP ranges specified"));
    }
    let ranges = raw_sets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            canonical_set(s).map_err(|e| invalid(format!("invalid range set {i}: {}", e.msg)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (i, a) in ranges.iter().enumerate() {
        for (j, b) in ranges.iter().enumerate().skip(i + 1) {
            if a.0.iter().any(|x| b.0.iter().any(|y| x.overlaps(y))) {
                return Err(invalid(format!("range set {i} overlaps with {j}")));
            }
        }
    }
    Ok(HostLocalConf {
        network,
        ranges,
        routes: raw.routes,
        data_dir: PathBuf::from(raw.data_dir.unwrap_or_else(|| DEFAULT_DATA_DIR.into())),
        resolv_conf: raw.resolv_conf.map(PathBuf::from),
        requested,
    })
}

/// Who holds a reservation, as written in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub container_id: String,
    /// Absent in files written by host-local before 0.8.
    pub ifname: Option<String>,
}

impl Owner {
    /// Parses a reservation file (`<id>\r\n<ifname>`, also `\n`, or just `<id>`).
    pub fn parse(content: &str) -> Owner {
        let t = content.trim();
        match t.split_once('\n') {
            Some((id, ifname)) => Owner {
                container_id: id.trim_end_matches('\r').trim().to_string(),
                ifname: Some(ifname.trim().to_string()),
            },
            None => Owner {
                container_id: t.to_string(),
                ifname: None,
            },
        }
    }

    /// The file contents for an attachment.
    pub fn file_contents(container_id: &str, ifname: &str) -> String {
        format!("{}{LINE_BREAK}{ifname}", container_id.trim())
    }

    /// Whether this reservation belongs to the attachment (an old-style file
    /// without interface name belongs to every interface of the container).
    pub fn is(&self, container_id: &str, ifname: &str) -> bool {
        self.container_id == container_id.trim()
            && self.ifname.as_deref().is_none_or(|i| i == ifname)
    }
}

/// One reserved address and its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub ip: IpAddr,
    pub owner: Owner,
}

/// What the store holds, read under its lock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreState {
    pub reservations: Vec<Reservation>,
    /// `last_reserved_ip.<n>` per range-set index.
    pub last_reserved: BTreeMap<usize, IpAddr>,
}

impl StoreState {
    pub fn owned_by(&self, container_id: &str, ifname: &str) -> Vec<IpAddr> {
        self.reservations
            .iter()
            .filter(|r| r.owner.is(container_id, ifname))
            .map(|r| r.ip)
            .collect()
    }
}

/// One address handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// The index of the range set (the `<n>` of `last_reserved_ip.<n>`).
    pub range_set: usize,
    /// The address with its subnet's prefix length.
    pub address: IpNet,
    pub gateway: IpAddr,
}

/// host-local's iteration order over a range set: from the address after
/// the last one reserved (when it is in the set), else from the first
/// range's start; wrapping through the ranges; skipping gateways; ending
/// when it comes back to where it began.
pub struct RangeIter<'a> {
    set: &'a RangeSet,
    range_idx: usize,
    cur: Option<u128>,
    start: Option<u128>,
}

impl<'a> RangeIter<'a> {
    pub fn new(set: &'a RangeSet, last_reserved: Option<IpAddr>) -> Self {
        if let Some(last) = last_reserved
            && let Some(idx) = set.0.iter().position(|r| r.contains(last))
        {
            return RangeIter {
                set,
                range_idx: idx,
                cur: Some(num(last)),
                start: None,
            };
        }
        RangeIter {
            set,
            range_idx: 0,
            cur: None,
            start: set.0.first().map(|r| num(r.start)),
        }
    }
}

impl Iterator for RangeIter<'_> {
    type Item = (IpAddr, usize);

    fn next(&mut self) -> Option<(IpAddr, usize)> {
        loop {
            let r = self.set.0.get(self.range_idx)?;
            let Some(cur) = self.cur else {
                let first = num(r.start);
                self.cur = Some(first);
                self.start = Some(first);
                if first == num(r.gateway) && same_family(r.start, r.gateway) {
                    continue;
                }
                return Some((r.start, self.range_idx));
            };
            let (next, r) = if cur == num(r.end) {
                self.range_idx = (self.range_idx + 1) % self.set.0.len();
                let r = &self.set.0[self.range_idx];
                (num(r.start), r)
            } else {
                (cur + 1, r)
            };
            self.cur = Some(next);
            match self.start {
                None => self.start = Some(next),
                Some(s) if s == next => return None,
                Some(_) => {}
            }
            if next == num(r.gateway) && same_family(r.start, r.gateway) {
                continue;
            }
            return Some((from_num(r.start, next), self.range_idx));
        }
    }
}

/// The first free address of a range set in host-local's order.
pub fn next_free<'a>(
    set: &'a RangeSet,
    taken: &HashSet<IpAddr>,
    last_reserved: Option<IpAddr>,
) -> Option<(IpAddr, &'a Range)> {
    RangeIter::new(set, last_reserved)
        .find(|(ip, _)| !taken.contains(ip))
        .map(|(ip, idx)| (ip, &set.0[idx]))
}

/// Decides the addresses an ADD gets, one per range set, exactly as
/// host-local would from the same store contents.
pub fn plan_add(
    conf: &HostLocalConf,
    container_id: &str,
    ifname: &str,
    state: &StoreState,
) -> Result<Vec<Allocation>, CniError> {
    let mut taken: HashSet<IpAddr> = state.reservations.iter().map(|r| r.ip).collect();
    let mut requested = conf.requested.clone();
    let mut out = Vec::new();
    for (idx, set) in conf.ranges.iter().enumerate() {
        let wanted = requested
            .iter()
            .position(|ip| set.contains(*ip))
            .map(|p| requested.remove(p));
        let (ip, range) = match wanted {
            Some(ip) => {
                let r = set.range_for(ip).ok_or_else(|| {
                    CniError::new(
                        codes::ADDRESS_UNAVAILABLE,
                        format!("{ip} not in range set {set}"),
                    )
                })?;
                if ip == r.gateway {
                    return Err(CniError::new(
                        codes::ADDRESS_UNAVAILABLE,
                        format!(
                            "failed to allocate for range {idx}: requested ip {ip} is subnet's gateway"
                        ),
                    ));
                }
                if taken.contains(&ip) {
                    return Err(CniError::new(
                        codes::ADDRESS_UNAVAILABLE,
                        format!(
                            "failed to allocate for range {idx}: requested IP address {ip} is not available in range set {set}"
                        ),
                    ));
                }
                (ip, r)
            }
            None => {
                if let Some(dup) = state
                    .owned_by(container_id, ifname)
                    .into_iter()
                    .find(|ip| set.contains(*ip))
                {
                    return Err(CniError::new(
                        codes::DUPLICATE_ATTACHMENT,
                        format!(
                            "failed to allocate for range {idx}: {dup} has been allocated to {container_id}, duplicate allocation is not allowed"
                        ),
                    ));
                }
                next_free(set, &taken, state.last_reserved.get(&idx).copied()).ok_or_else(|| {
                    CniError::new(
                        codes::RANGE_EXHAUSTED,
                        format!("failed to allocate for range {idx}: no IP addresses available in range set: {set}"),
                    )
                })?
            }
        };
        taken.insert(ip);
        let address = IpNet::new(ip, range.subnet.prefix_len())
            .map_err(|e| CniError::new(codes::KERNEL, e.to_string()))?;
        out.push(Allocation {
            range_set: idx,
            address,
            gateway: range.gateway,
        });
    }
    if !requested.is_empty() {
        let list: Vec<String> = requested.iter().map(IpAddr::to_string).collect();
        return Err(CniError::new(
            codes::ADDRESS_UNAVAILABLE,
            format!("failed to allocate all requested IPs: {}", list.join(" ")),
        ));
    }
    Ok(out)
}

/// Whether every range set still has a free address (for STATUS).
pub fn exhausted_sets(conf: &HostLocalConf, state: &StoreState) -> Vec<usize> {
    let taken: HashSet<IpAddr> = state.reservations.iter().map(|r| r.ip).collect();
    conf.ranges
        .iter()
        .enumerate()
        .filter(|(idx, set)| {
            next_free(set, &taken, state.last_reserved.get(idx).copied()).is_none()
        })
        .map(|(idx, _)| idx)
        .collect()
}

/// DNS settings from a resolv.conf (`nameserver`, `domain`, `search`,
/// `options` lines), for host-local's `resolvConf`.
pub fn parse_resolv_conf(text: &str) -> super::types::Dns {
    let mut d = super::types::Dns::default();
    for line in text.lines() {
        let line = line.split(['#', ';']).next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => d.nameservers.extend(words.next().map(str::to_string)),
            Some("domain") => d.domain = words.next().unwrap_or_default().to_string(),
            Some("search") => d.search = words.map(str::to_string).collect(),
            Some("options") => d.options.extend(words.map(str::to_string)),
            _ => {}
        }
    }
    d
}

/// An attachment a GC keeps.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
pub struct Attachment {
    #[serde(rename = "containerID")]
    pub container_id: String,
    pub ifname: String,
}

/// The reservations a GC releases: those of attachments not in `valid`.
/// An old-style file (no interface name) stays if its container has any
/// valid attachment; a file that names no owner (unreadable, empty) is no
/// attachment's and stays.
pub fn stale(state: &StoreState, valid: &[Attachment]) -> Vec<Reservation> {
    state
        .reservations
        .iter()
        .filter(|r| !r.owner.container_id.is_empty())
        .filter(|r| !valid.iter().any(|a| r.owner.is(&a.container_id, &a.ifname)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests;
