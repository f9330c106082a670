//! Console sign-in (`signin.amazonaws.com`).

use super::context::Context;
use super::{Kind, Target};
use crate::event::scalar_text;

/// ConsoleLogin: the result and whether MFA was used, as the record says.
pub(super) fn console_sign_in(cx: &Context) -> Target {
    let result = cx.response(&["ConsoleLogin"]);
    let mfa = cx
        .event
        .detail
        .additional_event_data
        .as_ref()
        .and_then(|d| d.get("MFAUsed"))
        .and_then(scalar_text);
    let summary = match result.as_deref() {
        Some("Failure") => "failed to sign in to the AWS console",
        _ => "signed in to the AWS console",
    };
    let mut t = Target::new(Kind::Other, summary.to_string(), String::new());
    if let Some(r) = result {
        t.facts.push(("Sign-in result", r));
    }
    if let Some(m) = mfa {
        t.facts.push(("MFA used", m));
    }
    t
}
