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
    t.gone = change == Change::Delete && !cx.failed;
    t
}
