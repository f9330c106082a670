//! The one-line SMS text.

use super::{Facts, Outcome};
use crate::text::{clean_ascii, ellipsize};

/// SMS subscribers get one line of at most this many bytes.
pub const MAX_SMS_BYTES: usize = 140;

/// `CRITICAL IAM AttachRolePolicy AdministratorAccess -> role ci-deploy by alice in 1111…`.
pub(super) fn sms(f: &Facts) -> String {
    let tag = match f.outcome {
        Outcome::Denied => "DENIED",
        Outcome::Failed => "FAILED",
        _ => f.severity.word(),
    };
    let mut raw = [
        tag,
        " IAM ",
        &f.event_name,
        " ",
        &f.target.headline,
        " ",
        &super::subject::caller_part(f),
        " in ",
        f.event.account().unwrap_or("?"),
    ]
    .concat();
    // The tag in capitals (the severity's word is lower-case).
    if let Some(head) = raw.get_mut(..tag.len()) {
        head.make_ascii_uppercase();
    }
    let mut line = clean_ascii(&raw);
    ellipsize(&mut line, MAX_SMS_BYTES);
    line
}
