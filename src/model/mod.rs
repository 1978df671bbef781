//! Plain serialisable data that flows between the layers. No I/O.

pub mod claim;
pub mod netns;
pub mod pod;
pub mod process;

pub use claim::{Claim, ClaimKey};
pub use netns::{Interface, Netns, NetnsReport};
pub use pod::{Conflict, Pod, PodSource, Runtime, SourceKind};
pub use process::Process;
