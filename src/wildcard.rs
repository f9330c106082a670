//! IAM's wildcards, shared by the policy findings (action names) and the noise rules
//! (`IGNORE_PRINCIPALS` ARN patterns): `*` matches any run of characters (none included), `?`
//! exactly one. Matching is byte-wise and case-sensitive; callers that need IAM's
//! case-insensitive action matching lower-case both sides (or use [`matches_ci`]).

/// `pattern` matches the whole of `text`. No allocation.
pub fn matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    if !p.contains(&b'*') && !p.contains(&b'?') {
        return p == t;
    }
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(c) if *c == b'?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == b'*'))
}

/// [`matches`] of an already lower-cased pattern against `text` in any case, without
/// allocating when the pattern has no wildcard (the common case).
pub fn matches_ci(lower_pattern: &str, text: &str) -> bool {
    if !lower_pattern.contains(['*', '?']) {
        return lower_pattern.eq_ignore_ascii_case(text);
    }
    matches(lower_pattern, &text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_follow_iam() {
        assert!(matches("iam:*", "iam:passrole"));
        assert!(matches("iam:p?ssrole", "iam:passrole"));
        assert!(matches("*role*", "iam:passrole"));
        assert!(!matches("iam:put*", "iam:passrole"));
        assert!(!matches("iam:passrol", "iam:passrole"));
        assert!(matches(
            "arn:aws:iam::*:role/ci-*",
            "arn:aws:iam::1:role/ci-deploy"
        ));
        assert!(!matches(
            "arn:aws:iam::*:role/ci-*",
            "arn:aws:iam::1:role/CI-deploy"
        ));
    }

    #[test]
    fn case_insensitive_variant() {
        assert!(matches_ci("iam:passrole", "iam:PassRole"));
        assert!(matches_ci("iam:pass*", "iam:PassRole"));
        assert!(!matches_ci("iam:put*", "iam:PassRole"));
    }
}
