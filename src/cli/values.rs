//! Typed parsers of numeric option values and their bounds. No I/O.

use std::time::Duration;

use clap::builder::TypedValueParser;

// ------------------------------------------------------- numeric values
//
// Every numeric option is parsed by one of these, so NaN, infinities,
// negative, empty and out-of-range values are refused when the command
// line is parsed (exit 2, one line naming the option), never met later as
// a panic or an endless sleep.

/// A duration given in seconds: a finite decimal number in `min..=max`.
pub fn seconds(min: f64, max: f64) -> impl TypedValueParser<Value = Duration> {
    move |s: &str| parse_seconds(s, min, max)
}

fn parse_seconds(s: &str, min: f64, max: f64) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !v.is_finite() {
        return Err(format!("{s} is not a finite number of seconds"));
    }
    if !(min..=max).contains(&v) {
        return Err(format!("use {min} to {max} seconds, not {s}"));
    }
    Duration::try_from_secs_f64(v).map_err(|e| format!("{s} seconds: {e}"))
}

/// A whole number (a count, a port, a size, milliseconds) in `min..=max`.
pub fn whole<T>(min: u64, max: u64) -> impl TypedValueParser<Value = T>
where
    T: TryFrom<u64> + Clone + Send + Sync + 'static,
{
    move |s: &str| parse_whole(s, min, max)
}

fn parse_whole<T: TryFrom<u64>>(s: &str, min: u64, max: u64) -> Result<T, String> {
    let range = if max == u64::MAX {
        format!("{min} or more")
    } else {
        format!("{min} to {max}")
    };
    let v: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("use a whole number, {range}, not {s:?}"))?;
    if !(min..=max).contains(&v) {
        return Err(format!("use {range}, not {v}"));
    }
    T::try_from(v).map_err(|_| format!("use {range}, not {v}"))
}

/// `veth top --count`: more samples than anyone waits for.
pub const MAX_TOP_SAMPLES: u64 = 1_000_000_000;
/// Probe attempts per source.
pub const MAX_PROBE_COUNT: u64 = 100_000;
/// The largest IPv4 packet (total length is 16 bits); the smallest is an
/// IPv4 header and an ICMP header.
pub const MAX_PACKET_BYTES: u64 = 65_535;
pub const MIN_PACKET_BYTES: u64 = 28;
/// `lab status --timeout`: one hour, in milliseconds.
pub const MAX_LAB_TIMEOUT_MS: u64 = 3_600_000;
/// `cni gc --min-age`: ten years.
pub const MAX_MIN_AGE_SECS: u64 = 10 * 365 * 86_400;
