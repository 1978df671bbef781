//! podnet: node-level Kubernetes pod network diagnostics, as a library.
//!
//! Data flows one way: `sys` (the only code that touches the kernel) →
//! `discover` (pure parsing) → `analyze` (pure joins and judgements) →
//! `render` (table / JSON). `commands` wires the layers, `cli` holds the
//! clap types.

pub mod analyze;
pub mod cli;
pub mod cni;
pub mod commands;
pub mod discover;
pub mod error;
pub mod lab;
pub mod model;
pub mod render;
pub mod sys;

pub use error::{Error, Result};
