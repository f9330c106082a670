//! The Lambda handler: parse, render, publish (or log in dry-run), one log line per event.

use crate::config::{Config, ConfigError, Delivery, TopicArn};
use crate::event::{Event, InputError};
use crate::noise::{metric_line, suppressed};
use crate::publish::{PublishError, Publisher};
use crate::redact::cap;
use crate::render::{Notification, render};
use serde_json::{Value, json};

/// CloudWatch Logs takes events of up to 256 KB: a logged body is cut well below that (JSON
/// escaping can double it), other logged texts shorter still.
const MAX_LOGGED_BODY_BYTES: usize = 64 * 1024;
const MAX_LOGGED_TEXT_BYTES: usize = 4 * 1024;

/// Why an invocation failed. Lambda records it, retries async invocations, then sends the
/// event to the on-failure destination.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("notification not delivered: {0}")]
    Publish(#[source] PublishError),
    /// The function started without a usable configuration: every invocation says why.
    #[error("notification not delivered: the function is misconfigured: {0}")]
    Configuration(#[source] ConfigError),
}

/// The reason a stand-in payload from [`checked_body`] carries.
fn unreadable_reason(payload: &Value) -> Option<&str> {
    let fields = payload.as_object().filter(|o| o.len() == 1)?;
    fields.get(UNREADABLE)?.as_str()
}

/// Answers an invocation of a function that could not read its configuration: the event is
/// not lost (Lambda retries it, then keeps it in the failure queue) and whoever invoked it
/// reads the reason, instead of a runtime that exits at start-up with the reason only in its
/// log.
pub fn unconfigured(payload: &Value, error: &ConfigError) -> HandlerError {
    let event_id = payload
        .pointer("/detail/eventID")
        .and_then(Value::as_str)
        .unwrap_or("-");
    tracing::error!(
        eventID = %event_id, outcome = "unconfigured", error = %error,
        "notification NOT rendered: fix the function's configuration"
    );
    HandlerError::Configuration(error.clone())
}

/// The one key of the payload that stands for input the runtime could not read as one JSON
/// document (see [`checked_body`]).
pub const UNREADABLE: &str = "iam-notify:unreadable-input";

/// The body the handler receives for the bytes Lambda hands over: `None` when they are one
/// JSON document, else a stand-in payload that says why they are not. The runtime would
/// otherwise fail such input before the handler saw it (no `rejected` log line) and would
/// accept a JSON document followed by garbage.
pub fn checked_body(body: &[u8]) -> Option<String> {
    let error = serde_json::from_slice::<serde::de::IgnoredAny>(body).err()?;
    let reason = format!("the payload is not one JSON document: {error}");
    Some(json!({ UNREADABLE: reason }).to_string())
}

/// Handles one Lambda payload. Returns the SNS message id (or, in dry-run, the notification).
pub async fn handle<P: Publisher>(
    payload: &Value,
    config: &Config,
    publisher: &P,
) -> Result<Value, HandlerError> {
    let parsed = match unreadable_reason(payload) {
        Some(reason) => Err(InputError(reason.to_string())),
        None => Event::parse(payload),
    };
    let event = match parsed {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(
                outcome = "rejected", error = %cap(&e.to_string(), MAX_LOGGED_TEXT_BYTES),
                "input is not an EventBridge event"
            );
            return Err(HandlerError::Input(e));
        }
    };
    if let Some(canary) = config.heartbeat.as_ref().filter(|c| c.is_heartbeat(&event)) {
        let event_id = event.detail.event_id.as_deref();
        tracing::info!(
            eventID = %event_id.unwrap_or("-"), outcome = "heartbeat", canary = %canary.role_arn(),
            "heartbeat received: the path from CloudTrail to this function works"
        );
        println!("{}", canary.metric_line(event_id, now_ms()));
        return Ok(json!({"heartbeat": true, "eventID": event_id}));
    }
    let n = render(&event, config.format);
    let event_id = n.event_id.as_deref().unwrap_or("-");
    if let Some(reason) = suppressed(&event, &n, &config.noise) {
        tracing::info!(
            eventName = %n.event_name, eventID = %event_id, outcome = "suppressed",
            reason = %reason, subject = %n.subject, "notification suppressed by the noise rules"
        );
        // One embedded-metric-format line on stdout: CloudWatch counts it as a metric.
        println!("{}", metric_line(&n, &reason, now_ms()));
        return Ok(json!({"suppressed": true, "reason": reason, "subject": n.subject}));
    }
    let topic = match &config.delivery {
        Delivery::DryRun => {
            tracing::info!(
                eventName = %n.event_name, eventID = %event_id, outcome = "dry-run",
                subject = %n.subject, body = %cap(&n.body, MAX_LOGGED_BODY_BYTES),
                "notification rendered, not published (DRY_RUN)"
            );
            return Ok(json!({"dryRun": true, "notification": n}));
        }
        Delivery::Publish(topic) => topic,
    };
    let main = publish_to(publisher, topic, &n, "main").await;
    // A change to the monitor also goes to the operations topic, whatever became of the
    // main one: muting one path must not mute both.
    let ops = match config.ops_topic.as_ref().filter(|_| n.ops) {
        Some(ops) => Some(publish_to(publisher, ops, &n, "ops").await),
        None => None,
    };
    let message_id = main?;
    let ops_message_id = ops.transpose()?;
    let mut out = json!({"messageId": message_id, "subject": n.subject,
                         "eventID": n.event_id, "severity": n.severity});
    if let (Some(id), Some(fields)) = (ops_message_id, out.as_object_mut()) {
        fields.insert("opsMessageId".into(), Value::String(id));
    }
    Ok(out)
}

/// Publishes `n` to `topic` and logs the outcome; `which` names the topic in the log.
async fn publish_to<P: Publisher>(
    publisher: &P,
    topic: &TopicArn,
    n: &Notification,
    which: &str,
) -> Result<String, HandlerError> {
    let event_id = n.event_id.as_deref().unwrap_or("-");
    match publisher.publish(topic.as_str(), n).await {
        Ok(message_id) => {
            tracing::info!(
                eventName = %n.event_name, eventID = %event_id, outcome = "published",
                topic = %which, messageId = %message_id, subject = %n.subject,
                "notification published"
            );
            Ok(message_id)
        }
        Err(e) => {
            tracing::error!(
                eventName = %n.event_name, eventID = %event_id, outcome = "publish-failed",
                topic = %which, error = %cap(&e.to_string(), MAX_LOGGED_TEXT_BYTES),
                "notification NOT published"
            );
            Err(HandlerError::Publish(e))
        }
    }
}

/// Milliseconds since the Unix epoch, for metric lines.
fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// How Lambda reports the failure (`errorType` in the invoke response and the logs).
impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(e: HandlerError) -> Self {
        let error_type = match &e {
            HandlerError::Input(_) => "InvalidEvent",
            HandlerError::Publish(p) => p.kind.error_type(),
            HandlerError::Configuration(_) => "ConfigurationError",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}
