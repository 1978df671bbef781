//! The scheduler's identifiers. No I/O.

use super::*;

#[test]
fn ids_are_distinct() {
    let a = next_id();
    let b = next_id();
    assert_ne!(a, b);
}
