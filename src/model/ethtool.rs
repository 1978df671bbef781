//! ethtool facts of an interface: driver info and driver statistics. No I/O.

use serde::{Serialize, Serializer, ser::SerializeMap};

/// Driver facts as `ethtool -i` prints them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriverInfo {
    pub driver: String,
    pub version: String,
    pub firmware_version: String,
    pub bus_info: String,
    pub n_stats: u32,
}

/// One interface's ethtool view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EthtoolInterface {
    pub netns_inode: u64,
    /// `namespace/name` of the pod, `host`, or null.
    pub owner: Option<String>,
    pub interface: String,
    pub ifindex: u32,
    pub driver: Option<DriverInfo>,
    /// `ethtool -S` counters, in the driver's order.
    #[serde(serialize_with = "as_map")]
    pub stats: Vec<(String, u64)>,
}

/// What `podnet ethtool` reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EthtoolReport {
    pub interfaces: Vec<EthtoolInterface>,
    pub warnings: Vec<String>,
}

fn as_map<S: Serializer>(v: &[(String, u64)], s: S) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(v.len()))?;
    for (k, x) in v {
        m.serialize_entry(k, x)?;
    }
    m.end()
}
