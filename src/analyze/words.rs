//! Wording for the sentences podnet writes: a count with its noun in the
//! singular or the plural. Pure, no I/O.

/// `1 pod pair`, `0 pod pairs`, `3 pod pairs`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `one` for a count of 1, else `many` (a verb or pronoun that agrees).
pub fn agree<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(plural(1, "remote VTEP", "remote VTEPs"), "1 remote VTEP");
        assert_eq!(plural(0, "remote VTEP", "remote VTEPs"), "0 remote VTEPs");
        assert_eq!(
            plural(2, "CNI configuration", "CNI configurations"),
            "2 CNI configurations"
        );
        assert_eq!(agree(1, "parses", "parse"), "parses");
        assert_eq!(agree(3, "parses", "parse"), "parse");
    }
}
