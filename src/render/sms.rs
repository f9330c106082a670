//! The one-line SMS text.

use super::text::{clean_ascii, ellipsize};
use super::{Facts, Outcome};

/// SMS subscribers get one line of at most this many bytes.
pub const MAX_SMS_BYTES: usize = 140;

/// `CRITICAL IAM AttachRolePolicy AdministratorAccess -> role ci-deploy by alice in 1111…`.
pub(super) fn sms(f: &Facts) -> String {
    let tag = match f.outcome {
        Outcome::Denied => "DENIED".to_string(),
        Outcome::Failed => "FAILED".to_string(),
        _ => f.severity.word().to_ascii_uppercase(),
    };
    let raw = format!(
        "{tag} IAM {} {} by {} in {}",
        f.event_name,
        f.target.headline,
        f.who.short,
        f.event.account().unwrap_or("?")
    );
    let mut line = clean_ascii(&raw);
    ellipsize(&mut line, MAX_SMS_BYTES);
    line
}
