//! CNI specification versions: parsing, ordering, and what podnet speaks
//! (configs from 0.3.0 to 1.1.0). No I/O.

use std::fmt;

use super::error::{CniError, codes};

/// A `major.minor.patch` CNI specification version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    pub const V0_3_0: Version = Version(0, 3, 0);
    pub const V0_4_0: Version = Version(0, 4, 0);
    pub const V1_0_0: Version = Version(1, 0, 0);
    pub const V1_1_0: Version = Version(1, 1, 0);

    /// Parses `x.y.z` (also `x.y`, read as `x.y.0`).
    pub fn parse(s: &str) -> Option<Version> {
        let mut parts = s.trim().split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = match parts.next() {
            Some(p) => p.parse().ok()?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Version(major, minor, patch))
    }

    /// Whether `CHECK` exists at this version (0.4.0 and later).
    pub fn has_check(self) -> bool {
        self >= Version::V0_4_0
    }

    /// Whether `STATUS` and `GC` exist at this version (1.1.0 and later).
    pub fn has_status_and_gc(self) -> bool {
        self >= Version::V1_1_0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The newest version podnet implements.
pub const CURRENT: Version = Version::V1_1_0;

/// Every version podnet accepts in a network configuration.
pub const SUPPORTED: &[&str] = &["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

/// Whether podnet accepts configs at `v`.
pub fn is_supported(v: Version) -> bool {
    SUPPORTED.iter().any(|s| Version::parse(s) == Some(v))
}

/// The version a config asks for, checked against [`SUPPORTED`]; a missing
/// `cniVersion` is read as 0.1.0 (as libcni does) and refused like any other
/// version podnet does not speak (code 1).
pub fn negotiate(config_version: Option<&str>) -> Result<Version, CniError> {
    let raw = config_version.unwrap_or("0.1.0");
    match Version::parse(raw) {
        Some(v) if is_supported(v) => Ok(v),
        _ => Err(
            CniError::new(codes::INCOMPATIBLE_VERSION, "incompatible CNI versions").with_details(
                format!(
                    "config is {raw:?}, plugin supports {}",
                    SUPPORTED
                        .iter()
                        .map(|s| format!("{s:?}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders_versions() {
        assert_eq!(Version::parse("1.0.0"), Some(Version::V1_0_0));
        assert_eq!(Version::parse("0.3"), Some(Version(0, 3, 0)));
        assert_eq!(Version::parse("1.0.0.1"), None);
        assert_eq!(Version::parse("banana"), None);
        assert!(Version::parse("0.4.0").unwrap() < Version::V1_0_0);
        assert!(Version::V1_1_0.has_status_and_gc());
        assert!(!Version::V1_0_0.has_status_and_gc());
        assert!(!Version(0, 3, 1).has_check());
    }

    #[test]
    fn negotiates_only_supported_versions() {
        assert_eq!(negotiate(Some("1.0.0")).unwrap(), Version::V1_0_0);
        assert_eq!(negotiate(Some("0.3.1")).unwrap(), Version(0, 3, 1));
        for bad in [Some("2.0.0"), Some("0.2.0"), Some("x"), None] {
            let e = negotiate(bad).unwrap_err();
            assert_eq!(e.code, codes::INCOMPATIBLE_VERSION, "{bad:?}");
        }
        assert!(negotiate(None).unwrap_err().details.contains("0.1.0"));
    }
}
