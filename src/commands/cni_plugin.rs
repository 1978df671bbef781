//! podnet as a CNI plugin (plugin mode, entered when CNI_COMMAND is set).
//! Wiring only: the protocol, its dispatch and its kernel adapter are
//! `cni::plugin`.

/// Runs one plugin invocation from the process environment and stdin;
/// returns the exit status.
pub fn main() -> u8 {
    crate::cni::plugin::main()
}
