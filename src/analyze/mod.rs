//! Pure joins and judgements over discovered data: namespaces ⨝ processes
//! ⨝ pods, pause-process choice, pod reference resolution. No I/O.

pub mod doctor;
pub mod drops;
pub mod fib_explain;
pub mod identity;
pub mod netfilter_path;
pub mod netns_merge;
pub mod pause;
pub mod probe;
pub mod rates;
pub mod resolve;
pub mod trace;
pub mod veth;
pub mod words;
