//! The subject line: `[IAM <SEVERITY>] <call> <resource> by <who>` (in an organization's
//! central stack `[IAM <SEVERITY>] <account>: <call> …`), a valid SNS subject whatever the
//! record holds.

use super::{Facts, Outcome};
use crate::severity::Severity;
use crate::text::{clean_ascii, ellipsize};

/// A console sign-in as the account root user: (refused, source IP, signed in without MFA).
/// A refused one was not made by root: someone typed root's e-mail address.
pub(super) fn root_sign_in<'f>(f: &'f Facts) -> Option<(bool, &'f str, bool)> {
    (f.who.is_root && f.event_name == "ConsoleLogin").then(|| {
        (
            f.outcome != Outcome::Succeeded,
            f.event
                .detail
                .source_ip_address
                .as_deref()
                .unwrap_or("an unrecorded address"),
            f.who.mfa == Some(false),
        )
    })
}

/// `by <who>`; for a root sign-in, where from and whether without MFA (`as ROOT` when it was
/// refused: root did nothing).
pub(super) fn caller_part(f: &Facts) -> String {
    match root_sign_in(f) {
        Some((true, ip, _)) => format!("as ROOT from {ip}"),
        Some((false, ip, without_mfa)) => {
            format!(
                "by ROOT from {ip}{}",
                if without_mfa { " without MFA" } else { "" }
            )
        }
        None => ["by ", &f.who.short].concat(),
    }
}

/// The parts of a headline (`role X -> instance profile Y`) the record names: a part the
/// record left unknown takes no room from the known ones (the body still says it).
fn known_parts(headline: &str) -> String {
    headline
        .split(" -> ")
        .filter(|part| !part.contains("not recorded)"))
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// SNS rejects subjects of 100 characters or more ("less than 100 characters").
pub const MAX_SUBJECT_CHARS: usize = 99;

/// The shortest the `by <who>` part is cut to when the subject is too long.
const MIN_ACTOR_CHARS: usize = 20;
/// The shortest the target part is cut to.
const MIN_TARGET_CHARS: usize = 12;

/// The subject of an alert. When too long, the caller is shortened first (to no less than
/// [`MIN_ACTOR_CHARS`]), so the target of the change survives; then the target;
/// [`sanitize_subject`] is the final guard.
pub(super) fn subject(f: &Facts, account: Option<&str>) -> String {
    // Failed calls say so (the change did not happen); others show their severity.
    let (iam, aws) = match (f.outcome, f.severity) {
        (Outcome::Denied, _) => ("[IAM DENIED]", "[AWS DENIED]"),
        (Outcome::Failed, _) => ("[IAM FAILED]", "[AWS FAILED]"),
        (_, Severity::Critical) => ("[IAM CRITICAL]", "[AWS CRITICAL]"),
        (_, Severity::Warning) => ("[IAM WARNING]", "[AWS WARNING]"),
        _ => ("[IAM]", "[AWS]"),
    };
    let tag = if f.is_iam { iam } else { aws };
    if f.outcome == Outcome::Event {
        return [tag, " ", &f.event.detail_type, " from ", &f.event.source].concat();
    }
    // The call as people name it: Lambda's API version suffix (…20150331v2) stays in the body.
    let call = crate::calls::unversioned(&f.event_name);
    let head = match account {
        Some(account) => clean_ascii(&[tag, " ", account, ": ", call].concat()),
        None => clean_ascii(&[tag, " ", call].concat()),
    };
    let mut tail = clean_ascii(&caller_part(f));
    let mut middle = clean_ascii(&known_parts(&f.target.headline));
    let spaces = if middle.is_empty() { 1 } else { 2 };
    let over = (head.len() + middle.len() + tail.len() + spaces).saturating_sub(MAX_SUBJECT_CHARS);
    if over > 0 && tail.len() > MIN_ACTOR_CHARS {
        let keep = tail.len().saturating_sub(over).max(MIN_ACTOR_CHARS);
        ellipsize(&mut tail, keep);
    }
    let room = MAX_SUBJECT_CHARS.saturating_sub(head.len() + tail.len() + spaces);
    if room >= MIN_TARGET_CHARS {
        ellipsize(&mut middle, room);
    }
    if middle.is_empty() {
        [head.as_str(), " ", &tail].concat()
    } else {
        [head.as_str(), " ", &middle, " ", &tail].concat()
    }
}

/// The longest account label a subject carries (a name is cut to it, with `...`).
const MAX_ACCOUNT_CHARS: usize = 24;

/// In an organization's central stack, which account the change happened in: its name if
/// the administrators gave one, else its id (`unknown account` when the record has none).
pub(super) fn account_label(f: &Facts) -> Option<String> {
    if !f.central {
        return None;
    }
    let mut label = clean_ascii(
        f.account_name
            .or(f.event.account())
            .unwrap_or("unknown account"),
    );
    ellipsize(&mut label, MAX_ACCOUNT_CHARS);
    Some(label)
}

/// Makes `raw` a valid SNS subject: printable ASCII, no line breaks or control characters,
/// single spaces, fewer than 100 characters (cut with `...`).
pub fn sanitize_subject(raw: &str) -> String {
    let mut out = clean_ascii(raw);
    ellipsize(&mut out, MAX_SUBJECT_CHARS);
    if out.is_empty() {
        out.push_str("[IAM] notification");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_loses_line_breaks_controls_and_non_ascii() {
        assert_eq!(
            sanitize_subject("[IAM] a\nb\r\tc\u{7}d  é\u{202e}z"),
            "[IAM] a b c d ??z"
        );
    }

    #[test]
    fn long_subject_is_cut_with_an_ellipsis_under_100() {
        let s = sanitize_subject(&format!("[IAM] CreateRole role {} by bob", "r".repeat(300)));
        assert_eq!(s.len(), MAX_SUBJECT_CHARS);
        assert!(s.ends_with("..."));
        assert!(s.starts_with("[IAM] CreateRole role rrr"));
    }

    #[test]
    fn unknown_parts_of_a_headline_are_left_out() {
        assert_eq!(
            known_parts("role (name not recorded) -> instance profile web"),
            "instance profile web"
        );
        assert_eq!(known_parts("X -> role Y"), "X -> role Y");
        assert_eq!(known_parts("user (name not recorded)"), "");
    }

    #[test]
    fn empty_subject_gets_a_default() {
        assert_eq!(sanitize_subject(" \n\t "), "[IAM] notification");
    }
}
