//! The article's two InputTransformer messages, rendered as EventBridge renders them.
//!
//! `MESSAGE_FORMAT=classic` sends these instead of the rich body, so that users migrating
//! from the article's stack get the same text while they switch. The templates are the
//! article's, byte for byte (`tests/classic.rs` checks them against the article): a quoted
//! string followed by the newline YAML's `>` adds. EventBridge replaces each `<placeholder>`
//! by the value at its JSON path; a path that is missing or null becomes the empty string
//! (the article's own sample email shows `#/policies/$jsonEditor` for a CreatePolicy without
//! `policyArn`), a string is inserted JSON-escaped (it sits inside a JSON string), any other
//! value as JSON.

use crate::calls::RuleGroup;
use crate::event::Event;
use crate::text::{has_hidden, is_hidden};
use serde_json::Value;

/// The `iam-policy-monitor` target's InputTemplate.
pub const POLICY_TEMPLATE: &str = "\"API Call '<eventName>' was issued on policy '<policyName><policyArn>'. This occurred at '<eventTime>' and was initiated by '<userIdentity>' from IP '<sourceIPAddress>'. Please review the details here: https://console.aws.amazon.com/iam/home?region=us-east-1#/policies/<policyArn>$jsonEditor?section=attached_entities .\"\n";

/// The `iam-user-monitor` target's InputTemplate.
pub const PRINCIPAL_TEMPLATE: &str = "\"API Call '<eventName>' was issued on '<userName><roleName><groupName>'. This occurred at '<eventTime>' and was initiated by '<userIdentity>' from IP '<sourceIPAddress>'. \"\n";

/// The article's message for an event of one of its two rules; `None` for calls the article
/// does not monitor (those keep the rich body).
pub fn render(event: &Event<'_>, group: RuleGroup) -> Option<String> {
    let template = match group {
        RuleGroup::Policy => POLICY_TEMPLATE,
        RuleGroup::Principal => PRINCIPAL_TEMPLATE,
        _ => return None,
    };
    let d = &event.detail;
    let text = |v: Option<&str>| v.map(escape).unwrap_or_default();
    let request = |key: &str| event.request_value(key).map(insert).unwrap_or_default();
    let pairs: [(&str, String); 9] = [
        ("<eventName>", text(d.event_name.as_deref())),
        ("<policyName>", request("policyName")),
        ("<policyArn>", request("policyArn")),
        ("<userName>", request("userName")),
        ("<roleName>", request("roleName")),
        ("<groupName>", request("groupName")),
        ("<eventTime>", text(d.event_time.as_deref())),
        (
            "<userIdentity>",
            text(d.user_identity.as_ref().and_then(|u| u.arn.as_deref())),
        ),
        ("<sourceIPAddress>", text(d.source_ip_address.as_deref())),
    ];
    // One pass over the template, so that a value containing `<policyArn>` is not expanded.
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find('<') {
        let (before, tail) = rest
            .split_at_checked(start)
            .expect("invariant: find gives a character boundary");
        out.push_str(before);
        match pairs
            .iter()
            .find_map(|(p, v)| Some((tail.strip_prefix(p)?, v)))
        {
            Some((after, v)) => {
                out.push_str(v);
                rest = after;
            }
            None => {
                out.push('<');
                rest = tail
                    .strip_prefix('<')
                    .expect("invariant: the tail starts with the '<' found");
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

fn insert(v: &Value) -> String {
    match v {
        Value::String(s) => escape(s),
        other => escape_hidden(&other.to_string()),
    }
}

/// A string's content as it appears inside a JSON string literal. Besides what JSON must
/// escape, hidden characters (line separators, direction overrides, …) are written as
/// `\uXXXX` too, so the one-line message cannot be broken or disguised.
fn escape(s: &str) -> String {
    let quoted = Value::String(s.to_string()).to_string();
    escape_hidden(
        quoted
            .get(1..quoted.len().saturating_sub(1))
            .unwrap_or_default(),
    )
}

/// JSON text with every hidden character as a `\uXXXX` escape (surrogate pairs above U+FFFF).
fn escape_hidden(json: &str) -> String {
    if !has_hidden(json) {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_hidden(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}
