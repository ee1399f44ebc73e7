//! Counts with their nouns: `1 user`, `2 users`. Every count label on the
//! screen and in `scan`, `report` and `bundle` goes through [`count`], so a
//! single attempt never reads "1 failed attempts".

/// `n` followed by `one` when `n` is 1, else by `many`.
pub fn count(n: impl TryInto<u64>, one: &str, many: &str) -> String {
    let n = n.try_into().unwrap_or(u64::MAX);
    format!("{n} {}", noun(n, one, many))
}

/// `one` when `n` is 1, else `many`: for a count printed apart from its noun.
pub fn noun<'a>(n: impl TryInto<u64>, one: &'a str, many: &'a str) -> &'a str {
    if n.try_into().is_ok_and(|n| n == 1) {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1u32, "user", "users"), "1 user");
        assert_eq!(count(0u32, "user", "users"), "0 users");
        assert_eq!(
            count(2u64, "failed attempt", "failed attempts"),
            "2 failed attempts"
        );
        assert_eq!(noun(1usize, "line", "lines"), "line");
        assert_eq!(noun(11usize, "line", "lines"), "lines");
    }
}
