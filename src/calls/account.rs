//! Account-wide IAM settings: the password policy.

use super::context::Context;
use super::{Change, Kind, Target};
use crate::event::scalar_text;
use serde_json::Value;

/// The password policy's settings, as the request names them, and their words.
const SETTINGS: &[(&str, &str)] = &[
    ("minimumPasswordLength", "Minimum length"),
    ("requireSymbols", "Require symbols"),
    ("requireNumbers", "Require numbers"),
    ("requireUppercaseCharacters", "Require uppercase"),
    ("requireLowercaseCharacters", "Require lowercase"),
    ("allowUsersToChangePassword", "Users may change"),
    ("maxPasswordAge", "Maximum age (days)"),
    ("passwordReusePrevention", "Reuse prevention"),
    ("hardExpiry", "Hard expiry"),
];

/// Update/DeleteAccountPasswordPolicy.
pub(super) fn password_policy(cx: &Context, change: Change) -> Target {
    let summary = match change {
        Change::Delete => {
            "deleted the account password policy: IAM users may now set any password".to_string()
        }
        _ => "changed the account password policy".to_string(),
    };
    let mut t = Target::new(Kind::AccountSetting, summary, "password policy".into());
    t.name = Some("password policy".into());
    for (key, label) in SETTINGS {
        if let Some(value) = cx
            .event
            .request_value(key)
            .and_then(|v: &Value| scalar_text(v))
        {
            t.facts.push((label, value));
        }
    }
    if change == Change::Update && !cx.failed {
        t.findings.extend(weak_password_policy(cx));
    }
    t.gone = change == Change::Delete && !cx.failed;
    t
}

/// The CIS AWS Foundations Benchmark's baseline for the password policy: a minimum length of
/// 14 (1.8) and reuse prevention of 24 (1.9). IAM's defaults for what a request leaves out:
/// a minimum length of 6 and no reuse prevention (UpdateAccountPasswordPolicy).
const CIS_MIN_LENGTH: u64 = 14;
const CIS_REUSE_PREVENTION: u64 = 24;
const IAM_DEFAULT_MIN_LENGTH: u64 = 6;

/// What a new password policy lacks against the baseline, each shortfall named.
fn weak_password_policy(cx: &Context) -> Option<crate::severity::Finding> {
    let number = |key: &str| {
        cx.event
            .request_value(key)
            .and_then(scalar_text)
            .and_then(|v| v.parse::<u64>().ok())
    };
    let mut short = Vec::new();
    match number("minimumPasswordLength") {
        Some(n) if n < CIS_MIN_LENGTH => short.push(format!(
            "a minimum length of {n} (the baseline is {CIS_MIN_LENGTH})"
        )),
        None => short.push(format!(
            "no minimum length given: IAM's default of {IAM_DEFAULT_MIN_LENGTH} (the baseline is {CIS_MIN_LENGTH})"
        )),
        Some(_) => {}
    }
    match number("passwordReusePrevention") {
        Some(n) if n < CIS_REUSE_PREVENTION => short.push(format!(
            "reuse prevention of {n} passwords (the baseline is {CIS_REUSE_PREVENTION})"
        )),
        None => short.push(format!(
            "no reuse prevention (the baseline is {CIS_REUSE_PREVENTION})"
        )),
        Some(_) => {}
    }
    (!short.is_empty()).then(|| {
        crate::severity::Finding::new(
            crate::severity::Rule::PasswordPolicyWeak,
            format!(
                "the new password policy is below the CIS baseline: {}",
                short.join("; ")
            ),
        )
    })
}
