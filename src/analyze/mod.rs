//! Pure joins and judgements over discovered data: namespaces ⨝ processes
//! ⨝ pods, pause-process choice, pod reference resolution. No I/O.

pub mod doctor;
pub mod identity;
pub mod netns_merge;
pub mod pause;
pub mod probe;
pub mod rates;
pub mod resolve;
pub mod trace;
pub mod veth;
