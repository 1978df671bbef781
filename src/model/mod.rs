//! Plain serialisable data that flows between the layers. No I/O.

pub mod claim;
pub mod cni;
pub mod doctor;
pub mod drops;
pub mod ethtool;
pub mod lab;
pub mod netns;
pub mod pod;
pub mod probe;
pub mod process;
pub mod route;
pub mod trace;
pub mod veth;

pub use claim::{Claim, ClaimKey};
pub use netns::{Interface, LinkKind, Netns, NetnsReport, OperState};
pub use pod::{Conflict, Pod, PodSource, Runtime, SourceKind};
pub use process::Process;
pub use route::{Route, Rule};
pub use veth::{HostSide, PairStats, PairStatus, PodSide, SideStats, TopRow, VethPair, VethReport};
