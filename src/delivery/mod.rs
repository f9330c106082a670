//! What SNS receives: the `MessageStructure=json` message with a body per protocol, the
//! message attributes subscribers filter on, and the whole kept under SNS's size limit.

pub mod amazon_q;

use crate::redact::{cap, shorten};
use crate::render::Notification;
use crate::render::document::Fit;
use crate::text::{cut_utf8, one_line};
use serde::Serialize;
use serde_json::json;
use std::borrow::Cow;

pub use crate::render::{ATTRIBUTE_ROOM, SNS_MAX_MESSAGE_BYTES};

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

impl ChatFormat {
    /// Every format, the default first: what `CHAT_FORMAT`, `preview --chat`, the size checks
    /// and the invariants go through (a format added here reaches them all).
    pub const ALL: [ChatFormat; 2] = [ChatFormat::None, ChatFormat::AmazonQ];

    /// Its name in `CHAT_FORMAT` and the template's `ChatFormat` parameter.
    pub fn name(self) -> &'static str {
        match self {
            ChatFormat::None => "none",
            ChatFormat::AmazonQ => "amazon-q",
        }
    }
}

/// Exactly what one SNS Publish carries (besides the topic): the request the SNS publisher
/// sends, `preview --sns` prints and the tests check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishRequest {
    pub subject: String,
    /// The `MessageStructure=json` message: a body per protocol.
    pub message: String,
    pub message_structure: &'static str,
    /// Message attributes, all of data type `String`.
    pub attributes: Vec<(&'static str, String)>,
}

/// The data type of every message attribute.
pub const ATTRIBUTE_TYPE: &str = "String";

impl PublishRequest {
    /// The size SNS holds against its 256 KiB limit: the message, the subject, and every
    /// attribute's name, data type and value.
    pub fn size(&self) -> usize {
        self.message.len() + self.subject.len() + attributes_size(&self.attributes)
    }

    /// The request as JSON with the API's parameter names (what `preview --sns` prints).
    pub fn to_json(&self) -> serde_json::Value {
        let attributes: serde_json::Map<String, serde_json::Value> = self
            .attributes
            .iter()
            .map(|(name, value)| {
                (
                    (*name).to_string(),
                    json!({"DataType": ATTRIBUTE_TYPE, "StringValue": value}),
                )
            })
            .collect();
        json!({
            "Subject": self.subject,
            "Message": self.message,
            "MessageStructure": self.message_structure,
            "MessageAttributes": attributes,
        })
    }
}

fn attributes_size(attributes: &[(&'static str, String)]) -> usize {
    attributes
        .iter()
        .map(|(name, value)| name.len() + ATTRIBUTE_TYPE.len() + value.len())
        .sum()
}

/// The Publish request for `n`: its subject, attributes and per-protocol message, the whole
/// within SNS's limit whatever the record held.
pub fn publish_request(n: &Notification<'_>, chat: ChatFormat) -> PublishRequest {
    let attributes = attributes(n);
    let fixed = n.subject.len() + attributes_size(&attributes);
    PublishRequest {
        message: message_within(n, chat, SNS_MAX_MESSAGE_BYTES.saturating_sub(fixed)),
        subject: n.subject.clone(),
        message_structure: "json",
        attributes,
    }
}

/// The size SNS would hold against its limit for `n` published whole (nothing cut, nothing
/// left out) with `chat`: what `publish_request` sends when it fits.
pub fn whole_size(n: &Notification<'_>, chat: ChatFormat) -> usize {
    let attributes = attributes(n);
    let fixed = n.subject.len() + attributes_size(&attributes);
    fixed + per_protocol(&n.body, &n.sms, &machine_body(n, chat, &n.body, Fit::Whole)).len()
}

/// The `MessageStructure=json` message with room kept for the subject and attributes (see
/// [`publish_request`] for the exact request).
pub fn sns_message(n: &Notification<'_>, chat: ChatFormat) -> String {
    message_within(n, chat, SNS_MAX_MESSAGE_BYTES - ATTRIBUTE_ROOM)
}

/// The `MessageStructure=json` message of at most `limit` bytes: `default` and `email` carry
/// the text body, `sms` one line, `sqs`, `lambda`, `http` and `https` the machine-readable
/// document (or the Amazon Q notification). The most complete message that fits: first the
/// policy document leaves the machine document, then the text is cut from its end (never
/// into its labelled lines), then the alert falls back to its essential lines and a compact
/// document. Each cut is said in the message.
fn message_within(n: &Notification<'_>, chat: ChatFormat, limit: usize) -> String {
    let mut budget = n.body.len();
    let mut fit = Fit::Whole;
    loop {
        let text = if fit == Fit::Compact {
            essentials_text(n, budget)
        } else {
            shortened_text(n, budget)
        };
        let machine = machine_body(n, chat, &text, fit);
        let message = per_protocol(&text, &n.sms, &machine);
        if message.len() <= limit || (fit == Fit::Compact && budget == 0) {
            return message;
        }
        if fit == Fit::Whole && n.document.has_policy_document() {
            fit = Fit::WithoutPolicyDocument;
            continue;
        }
        // Shrink the text in proportion to the overshoot (it appears six times, escaped
        // once or twice), a little more each round so that this ends.
        let scaled = (budget as u128 * limit as u128 * 97 / (message.len() as u128 * 100)) as usize;
        let next = scaled.min(budget.saturating_sub(64));
        if fit != Fit::Compact && next < n.header_len {
            fit = Fit::Compact;
            budget = n.essentials.len();
        } else {
            budget = next;
        }
    }
}

/// What sqs, lambda, http and https subscribers receive, carrying `text`: the
/// `iam-notify/1` document (with or without its policy document, or compacted) or the
/// Amazon Q notification.
fn machine_body(n: &Notification<'_>, chat: ChatFormat, text: &str, fit: Fit) -> String {
    match chat {
        ChatFormat::None => n.document.to_json(text, fit),
        ChatFormat::AmazonQ => serde_json::to_string(&amazon_q::notification(n, text, fit)).expect(
            "invariant: the Amazon Q notification serialises (string keys, no custom errors)",
        ),
    }
}

/// The `MessageStructure=json` message: a JSON string per protocol, in this order.
#[derive(Serialize)]
struct PerProtocol<'a> {
    default: &'a str,
    email: &'a str,
    sms: &'a str,
    sqs: &'a str,
    lambda: &'a str,
    http: &'a str,
    https: &'a str,
}

/// The `MessageStructure=json` message: `text` for default and email, `sms`, and the
/// machine document for sqs, lambda, http and https.
fn per_protocol(text: &str, sms: &str, machine: &str) -> String {
    serde_json::to_string(&PerProtocol {
        default: text,
        email: text,
        sms,
        sqs: machine,
        lambda: machine,
        http: machine,
        https: machine,
    })
    .expect("invariant: a struct of strings serialises")
}

/// The body cut to `budget` bytes, saying so when cut.
fn shortened_text<'n>(n: &'n Notification<'_>, budget: usize) -> Cow<'n, str> {
    let (kept, cut) = cut_utf8(&n.body, budget);
    if cut {
        Cow::Owned(format!(
            "{kept}\n[message cut to fit the SNS message limit with every delivery protocol; \
             the full record is in CloudTrail, event ID {}]",
            event_id(n)
        ))
    } else {
        Cow::Borrowed(kept)
    }
}

/// The essential lines (cut to `budget` bytes if even they must be), saying the rest is cut.
fn essentials_text<'n>(n: &'n Notification<'_>, budget: usize) -> Cow<'n, str> {
    let (kept, _) = cut_utf8(&n.essentials, budget);
    Cow::Owned(format!(
        "{kept}\n\n[only the essential lines of this alert fit the SNS message limit; \
         the full record is in CloudTrail, event ID {}]",
        event_id(n)
    ))
}

fn event_id(n: &Notification<'_>) -> String {
    cap(
        &one_line(n.event_id.as_deref().unwrap_or("(not recorded)")),
        256,
    )
}

/// Longest attribute value (names, account ids and caller types are far shorter).
const MAX_ATTRIBUTE_BYTES: usize = 256;

/// SNS message attributes subscribers can filter on (`{"severity": ["critical"]}`). Values
/// are one line and short; empty values are left out (SNS rejects them).
pub fn attributes(n: &Notification<'_>) -> Vec<(&'static str, String)> {
    [
        ("eventName", n.event_name.as_str()),
        ("severity", n.severity.word()),
        ("outcome", n.outcome.word()),
        ("account", n.account.as_deref().unwrap_or_default()),
        ("actorType", n.actor_type.as_str()),
    ]
    .into_iter()
    .map(|(name, value)| {
        let mut value = one_line(value);
        shorten(&mut value, MAX_ATTRIBUTE_BYTES);
        (name, value)
    })
    .filter(|(_, v)| !v.is_empty())
    .collect()
}
