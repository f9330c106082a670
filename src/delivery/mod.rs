//! What SNS receives: the `MessageStructure=json` message with a body per protocol, the
//! message attributes subscribers filter on, and the whole kept under SNS's size limit.

pub mod amazon_q;

use crate::render::Notification;
use crate::render::text::{cut_utf8, one_line};
use serde::Serialize;
use serde_json::json;

/// SNS's message size limit (256 KiB), which message attributes count towards too.
pub const SNS_MAX_MESSAGE_BYTES: usize = 262_144;
/// Room kept for message attributes within SNS's message limit.
pub const ATTRIBUTE_ROOM: usize = 6_144;

/// What sqs, lambda, http and https subscribers receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChatFormat {
    /// iam-notify's own JSON document (schema `iam-notify/1`).
    None,
    /// An Amazon Q Developer in chat applications (AWS Chatbot) custom notification, for a
    /// topic mapped to a Slack or Teams channel.
    AmazonQ,
}

/// The `MessageStructure=json` message: `default` and `email` carry the text body, `sms` one
/// line, `sqs`, `lambda`, `http` and `https` the machine-readable document (or the Amazon Q
/// notification). Kept under SNS's limit: the policy document is left out of the machine
/// document, then the text is cut further (saying so), until it fits.
pub fn sns_message(n: &Notification, chat: ChatFormat) -> String {
    let limit = SNS_MAX_MESSAGE_BYTES - ATTRIBUTE_ROOM;
    let mut budget = n.body.len();
    let mut with_document = true;
    loop {
        let text = shortened_text(n, budget);
        let machine = match chat {
            ChatFormat::None => {
                let mut doc = n.document.clone();
                doc.text.clone_from(&text);
                if !with_document {
                    doc.policy_document = None;
                    doc.policy_document_omitted = Some(true);
                }
                serde_json::to_string(&doc).unwrap_or_default()
            }
            ChatFormat::AmazonQ => amazon_q::notification(n, budget).to_string(),
        };
        let message = json!({
            "default": text,
            "email": text,
            "sms": n.sms,
            "sqs": machine,
            "lambda": machine,
            "http": machine,
            "https": machine,
        })
        .to_string();
        if message.len() <= limit || budget == 0 {
            return message;
        }
        if with_document && n.document.policy_document.is_some() {
            with_document = false;
            continue;
        }
        // Shrink the text in proportion to the overshoot (it appears six times, escaped
        // once or twice), a little more each round so that this ends.
        let scaled = (budget as u128 * limit as u128 * 97 / (message.len() as u128 * 100)) as usize;
        budget = scaled.min(budget.saturating_sub(64));
    }
}

/// The body cut to `budget` bytes, saying so when cut.
fn shortened_text(n: &Notification, budget: usize) -> String {
    let (kept, cut) = cut_utf8(&n.body, budget);
    if cut {
        format!(
            "{kept}\n[message cut to fit the SNS message limit with every delivery protocol; \
             the full record is in CloudTrail, event ID {}]",
            one_line(n.event_id.as_deref().unwrap_or("(not recorded)"))
        )
    } else {
        kept.to_string()
    }
}

/// SNS message attributes subscribers can filter on (`{"severity": ["critical"]}`). Empty
/// values are left out (SNS rejects them).
pub fn attributes(n: &Notification) -> Vec<(&'static str, String)> {
    [
        ("eventName", n.event_name.clone()),
        ("severity", n.severity.word().to_string()),
        ("outcome", n.outcome.word().to_string()),
        ("account", n.account.clone().unwrap_or_default()),
        ("actorType", n.actor_type.clone()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect()
}
