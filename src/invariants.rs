//! What every notification must satisfy, whatever the input: the one checker that the
//! property tests (`tests/robustness.rs`) and the fuzz targets (`fuzz/`) both call.

use crate::Notification;
use crate::delivery::{ChatFormat, PublishRequest, SNS_MAX_MESSAGE_BYTES, publish_request};
use crate::render::{Document, MAX_BODY_BYTES, MAX_SMS_BYTES, MAX_SUBJECT_CHARS};
use crate::text::is_hidden;

/// The first invariant `n` breaks, in words; `Ok` when it keeps them all.
pub fn check(n: &Notification<'_>) -> Result<(), String> {
    let subject = &n.subject;
    if subject.len() > MAX_SUBJECT_CHARS {
        return Err(format!(
            "subject of {} characters: {subject}",
            subject.len()
        ));
    }
    if !subject.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(format!("subject not printable ASCII: {subject:?}"));
    }
    if subject.is_empty() || subject.starts_with(' ') {
        return Err(format!("subject empty or indented: {subject:?}"));
    }
    if n.body.len() > MAX_BODY_BYTES || n.body.trim().is_empty() {
        return Err(format!("body of {} bytes", n.body.len()));
    }
    if n.sms.len() > MAX_SMS_BYTES {
        return Err(format!("SMS of {} bytes", n.sms.len()));
    }
    for (part, text) in [("subject", subject), ("body", &n.body), ("SMS", &n.sms)] {
        if text.contains('\u{1b}') {
            return Err(format!("{part} carries a terminal escape code"));
        }
    }
    check_link(&n.link)?;
    for chat in ChatFormat::ALL {
        check_request(n, &publish_request(n, chat)).map_err(|e| format!("{chat:?}: {e}"))?;
    }
    Ok(())
}

/// The labelled lines every rich alert keeps, however much else had to be cut.
pub const ESSENTIAL_LABELS: &[&str] = &[
    "Severity:",
    "Action:",
    "Who:",
    "Account:",
    "Time:",
    "Event ID:",
];

/// The labelled lines every digest keeps.
pub const DIGEST_ESSENTIAL_LABELS: &[&str] = &["Severity:", "Changes:", "Who:", "CloudTrail:"];

/// What the exact Publish request for `n` must satisfy: within SNS's 256 KiB as SNS counts
/// it, a body for every protocol, the essential lines kept, no escape codes, and nothing
/// hidden in what people read.
pub fn check_request(n: &Notification<'_>, r: &PublishRequest) -> Result<(), String> {
    if r.size() > SNS_MAX_MESSAGE_BYTES {
        return Err(format!("Publish request of {} bytes", r.size()));
    }
    let v: serde_json::Value =
        serde_json::from_str(&r.message).map_err(|e| format!("message not JSON: {e}"))?;
    for protocol in ["default", "email", "sms", "sqs", "lambda", "http", "https"] {
        if !v.get(protocol).is_some_and(serde_json::Value::is_string) {
            return Err(format!("message lacks a {protocol} body"));
        }
    }
    let text = v
        .get("default")
        .and_then(|t| t.as_str())
        .ok_or_else(|| "the default body is not a string".to_string())?;
    let rich = !n.body.starts_with("\"API Call");
    let labels = match n.document {
        Document::Alert(_) => ESSENTIAL_LABELS,
        Document::Digest(_) => DIGEST_ESSENTIAL_LABELS,
    };
    if rich {
        for label in labels {
            if !text.lines().any(|l| l.starts_with(label)) {
                return Err(format!("the delivered text lost its {label} line"));
            }
        }
        if !text
            .lines()
            .any(|l| l.starts_with("Console:") || l.starts_with("CloudTrail:"))
        {
            return Err("the delivered text lost its console link".into());
        }
    }
    if let Some(c) = text
        .chars()
        .find(|c| is_hidden(*c) && !matches!(c, '\n' | '\t'))
    {
        return Err(format!(
            "the delivered text carries a hidden character {c:?}"
        ));
    }
    let all = [r.subject.as_str(), r.message.as_str()]
        .into_iter()
        .chain(r.attributes.iter().map(|(_, v)| v.as_str()));
    for part in all {
        if part.contains('\u{1b}') {
            return Err("the request carries a terminal escape code".into());
        }
    }
    Ok(())
}

/// A console URL whose parts are percent-encoded: printable ASCII with no characters a URL
/// cannot hold raw, and one `#` (the console route) at most.
pub fn check_link(link: &str) -> Result<(), String> {
    let clean = link.starts_with("https://console.")
        && link
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"\"<>\\^`{|} ".contains(&b))
        && link.matches('#').count() <= 1;
    if clean {
        Ok(())
    } else {
        Err(format!("not a clean console URL: {link}"))
    }
}
