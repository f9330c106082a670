//! Publishing a notification: the [`Publisher`] trait, the SNS implementation and a recording
//! fake for tests.

use crate::config::SdkSettings;
use crate::message::{ChatFormat, Notification, sns_message};
use aws_sdk_sns::config::retry::RetryConfig;
use aws_sdk_sns::config::timeout::TimeoutConfig;
use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::types::MessageAttributeValue;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

/// A failed publish, with the whole cause chain in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishError(pub String);

impl std::fmt::Display for PublishError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PublishError {}

/// Sends a notification somewhere and returns its message id.
pub trait Publisher: Send + Sync {
    fn publish(
        &self,
        topic_arn: &str,
        notification: &Notification,
    ) -> impl Future<Output = Result<String, PublishError>> + Send;
}

/// Publishes to Amazon SNS (or anything that speaks its API, such as moto on loopback).
#[derive(Debug, Clone)]
pub struct SnsPublisher {
    client: aws_sdk_sns::Client,
    chat: ChatFormat,
}

impl SnsPublisher {
    pub fn new(client: aws_sdk_sns::Client, chat: ChatFormat) -> Self {
        SnsPublisher { client, chat }
    }

    /// A client from the standard AWS configuration (environment, `AWS_ENDPOINT_URL`, the
    /// Lambda role), with our retry and timeout settings.
    pub async fn from_env(settings: &SdkSettings, chat: ChatFormat) -> Self {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let builder = aws_sdk_sns::config::Builder::from(&shared);
        SnsPublisher::new(
            aws_sdk_sns::Client::from_conf(with_settings(builder, settings)),
            chat,
        )
    }
}

/// Applies retries and timeouts deliberately: standard retry mode with `max_attempts`
/// (retrying throttling, 5xx, timeouts and connection errors; not 4xx such as
/// AuthorizationError or NotFound), a per-attempt timeout and an overall operation timeout.
pub fn with_settings(
    builder: aws_sdk_sns::config::Builder,
    s: &SdkSettings,
) -> aws_sdk_sns::Config {
    builder
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(s.max_attempts)
                .with_initial_backoff(Duration::from_millis(200))
                .with_max_backoff(Duration::from_secs(2)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(s.connect_timeout)
                .operation_attempt_timeout(s.attempt_timeout)
                .operation_timeout(s.operation_timeout)
                .build(),
        )
        .build()
}

/// SNS message attributes subscribers can filter on (`{"severity": ["critical"]}`). Empty
/// values are left out (SNS rejects them).
pub fn attributes(n: &Notification) -> Vec<(&'static str, String)> {
    let word = |v: serde_json::Result<serde_json::Value>| {
        v.ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    };
    [
        ("eventName", n.event_name.clone()),
        ("severity", n.severity.word().to_string()),
        ("outcome", word(serde_json::to_value(n.outcome))),
        ("account", n.account.clone().unwrap_or_default()),
        ("actorType", n.actor_type.clone()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect()
}

impl Publisher for SnsPublisher {
    async fn publish(&self, topic_arn: &str, n: &Notification) -> Result<String, PublishError> {
        let mut request = self
            .client
            .publish()
            .topic_arn(topic_arn)
            .subject(&n.subject)
            .message_structure("json")
            .message(sns_message(n, self.chat));
        for (name, value) in attributes(n) {
            let attr = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| PublishError(format!("message attribute {name}: {e}")))?;
            request = request.message_attributes(name, attr);
        }
        let out = request.send().await.map_err(|e| {
            PublishError(format!("SNS Publish failed: {}", DisplayErrorContext(&e)))
        })?;
        Ok(out
            .message_id()
            .unwrap_or("(no message id returned)")
            .to_string())
    }
}

/// What a [`RecordingPublisher`] was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub topic_arn: String,
    pub subject: String,
    /// The text body (what email subscribers read).
    pub message: String,
    /// The `MessageStructure=json` message SNS would get.
    pub structured: String,
    pub attributes: Vec<(&'static str, String)>,
}

/// A fake publisher that records what it is given, and fails on demand.
#[derive(Debug, Default)]
pub struct RecordingPublisher {
    sent: Mutex<Vec<Published>>,
    fail_with: Option<String>,
}

impl RecordingPublisher {
    pub fn new() -> Self {
        RecordingPublisher::default()
    }

    /// A publisher whose every publish fails with `error`.
    pub fn failing(error: &str) -> Self {
        RecordingPublisher {
            sent: Mutex::new(Vec::new()),
            fail_with: Some(error.to_string()),
        }
    }

    pub fn sent(&self) -> Vec<Published> {
        self.sent.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Publisher for RecordingPublisher {
    async fn publish(&self, topic_arn: &str, n: &Notification) -> Result<String, PublishError> {
        if let Some(e) = &self.fail_with {
            return Err(PublishError(e.clone()));
        }
        let mut sent = self
            .sent
            .lock()
            .map_err(|_| PublishError("recording publisher poisoned".into()))?;
        sent.push(Published {
            topic_arn: topic_arn.to_string(),
            subject: n.subject.clone(),
            message: n.body.clone(),
            structured: sns_message(n, ChatFormat::None),
            attributes: attributes(n),
        });
        Ok(format!("recorded-{}", sent.len()))
    }
}
