//! What every notification must satisfy, whatever the input: the one checker that the
//! property tests (`tests/robustness.rs`) and the fuzz targets (`fuzz/`) both call.

use crate::Notification;
use crate::delivery::{ChatFormat, SNS_MAX_MESSAGE_BYTES, sns_message};
use crate::render::{MAX_BODY_BYTES, MAX_SMS_BYTES, MAX_SUBJECT_CHARS};

/// The first invariant `n` breaks, in words; `Ok` when it keeps them all.
pub fn check(n: &Notification) -> Result<(), String> {
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
    for chat in [ChatFormat::None, ChatFormat::AmazonQ] {
        let m = sns_message(n, chat);
        if m.len() > SNS_MAX_MESSAGE_BYTES {
            return Err(format!("{chat:?} SNS message of {} bytes", m.len()));
        }
        let v: serde_json::Value =
            serde_json::from_str(&m).map_err(|e| format!("{chat:?} SNS message not JSON: {e}"))?;
        for protocol in ["default", "email", "sms", "sqs", "lambda", "http", "https"] {
            if !v.get(protocol).is_some_and(serde_json::Value::is_string) {
                return Err(format!("{chat:?} SNS message lacks a {protocol} body"));
            }
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
