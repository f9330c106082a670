//! Publishing a notification: the [`Publisher`] trait, the SNS implementation and a recording
//! fake for tests.

use crate::config::SdkSettings;
use crate::delivery::{ATTRIBUTE_TYPE, ChatFormat, PublishRequest, publish_request};
use crate::render::Notification;
use aws_sdk_sns::config::retry::RetryConfig;
use aws_sdk_sns::config::timeout::TimeoutConfig;
use aws_sdk_sns::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sns::types::MessageAttributeValue;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

/// Why a publish failed, as far as the caller can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishErrorKind {
    /// SNS throttled every attempt.
    Throttled,
    /// The function may not publish to the topic (AuthorizationError, KMS access).
    Denied,
    /// The topic does not exist.
    NotFound,
    /// No answer within the attempt or operation timeout.
    Timeout,
    /// SNS found the message too long.
    TooLarge,
    /// No connection to SNS (DNS, refused, TLS).
    Unreachable,
    /// Anything else SNS or the SDK reported.
    Other,
}

impl PublishErrorKind {
    /// The Lambda `errorType` of a failed invocation with this cause.
    pub fn error_type(self) -> &'static str {
        match self {
            PublishErrorKind::Throttled => "PublishThrottled",
            PublishErrorKind::Denied => "PublishDenied",
            PublishErrorKind::NotFound => "PublishTopicNotFound",
            PublishErrorKind::Timeout => "PublishTimeout",
            PublishErrorKind::TooLarge => "PublishTooLarge",
            PublishErrorKind::Unreachable => "PublishUnreachable",
            PublishErrorKind::Other => "PublishFailed",
        }
    }
}

/// A failed publish: its kind, and the whole cause chain in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PublishError {
    pub kind: PublishErrorKind,
    pub message: String,
}

impl PublishError {
    pub fn new(kind: PublishErrorKind, message: impl Into<String>) -> PublishError {
        PublishError {
            kind,
            message: message.into(),
        }
    }

    /// The kind and words of an SDK error.
    fn from_sdk<E, R>(e: &SdkError<E, R>) -> PublishError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let kind = match e {
            SdkError::TimeoutError(_) => PublishErrorKind::Timeout,
            SdkError::DispatchFailure(d) if d.is_timeout() => PublishErrorKind::Timeout,
            SdkError::DispatchFailure(_) => PublishErrorKind::Unreachable,
            SdkError::ServiceError(s) => service_error_kind(s.err().code(), s.err().message()),
            _ => PublishErrorKind::Other,
        };
        PublishError::new(
            kind,
            format!("SNS Publish failed: {}", DisplayErrorContext(e)),
        )
    }
}

/// SNS's error codes (Publish's documented errors) grouped by what the reader can do.
fn service_error_kind(code: Option<&str>, message: Option<&str>) -> PublishErrorKind {
    match code.unwrap_or_default() {
        "Throttling" | "ThrottlingException" | "ThrottledException" => PublishErrorKind::Throttled,
        "AuthorizationError" | "KMSAccessDenied" | "KMSDisabled" | "KMSInvalidState"
        | "KMSNotFound" | "InvalidSecurity" => PublishErrorKind::Denied,
        "NotFound" => PublishErrorKind::NotFound,
        "InvalidParameter" | "InvalidParameterValue"
            if message.is_some_and(|m| m.to_ascii_lowercase().contains("too long")) =>
        {
            PublishErrorKind::TooLarge
        }
        _ => PublishErrorKind::Other,
    }
}

/// Sends a notification somewhere and returns its message id.
pub trait Publisher: Send + Sync {
    fn publish(
        &self,
        topic_arn: &str,
        notification: &Notification<'_>,
    ) -> impl Future<Output = Result<String, PublishError>> + Send;
}

/// Publishes to Amazon SNS (or anything that speaks its API, such as moto on loopback).
#[derive(Debug)]
pub struct SnsPublisher {
    /// Built at the first publish (see [`SnsPublisher::from_env`]).
    client: tokio::sync::OnceCell<aws_sdk_sns::Client>,
    settings: SdkSettings,
    chat: ChatFormat,
}

impl SnsPublisher {
    /// A publisher with a ready client.
    pub fn new(client: aws_sdk_sns::Client, chat: ChatFormat) -> Self {
        SnsPublisher {
            client: tokio::sync::OnceCell::new_with(Some(client)),
            settings: SdkSettings::default(),
            chat,
        }
    }

    /// A publisher whose client comes from the standard AWS configuration (environment,
    /// `AWS_ENDPOINT_URL`, the Lambda role) with our retry and timeout settings. Nothing is
    /// read or built until the first publish: the start (Lambda's init phase) does only what
    /// every invocation needs, and a dry run never builds a client.
    pub fn from_env(settings: &SdkSettings, chat: ChatFormat) -> Self {
        SnsPublisher {
            client: tokio::sync::OnceCell::new(),
            settings: *settings,
            chat,
        }
    }

    async fn client(&self) -> &aws_sdk_sns::Client {
        self.client
            .get_or_init(|| async {
                let builder = aws_sdk_sns::config::Builder::from(shared_config().await);
                aws_sdk_sns::Client::from_conf(with_settings(builder, &self.settings))
            })
            .await
    }
}

/// The standard AWS configuration (environment, `AWS_ENDPOINT_URL`, the Lambda role), loaded
/// once per process at its first use and shared by every client (SNS, Organizations).
pub async fn shared_config() -> &'static aws_config::SdkConfig {
    static CONFIG: tokio::sync::OnceCell<aws_config::SdkConfig> =
        tokio::sync::OnceCell::const_new();
    CONFIG
        .get_or_init(|| async {
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .http_client(http_client())
                .load()
                .await
        })
        .await
}

/// The SDK's HTTP client: hyper with rustls on ring (not aws-lc-rs: a smaller bootstrap).
/// It speaks plain HTTP too (moto and the fault tests on loopback). Built once per process
/// and shared (the AWS configuration's credential providers and the SNS client both use it).
pub fn http_client() -> aws_sdk_sns::config::SharedHttpClient {
    static CLIENT: std::sync::OnceLock<aws_sdk_sns::config::SharedHttpClient> =
        std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https()
        })
        .clone()
}

/// Applies retries and timeouts deliberately: standard retry mode with `max_attempts`
/// (retrying throttling, 5xx, timeouts and connection errors; not 4xx such as
/// AuthorizationError or NotFound), a per-attempt timeout and an overall operation timeout.
pub fn with_settings(
    builder: aws_sdk_sns::config::Builder,
    s: &SdkSettings,
) -> aws_sdk_sns::Config {
    builder
        .http_client(http_client())
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

impl Publisher for SnsPublisher {
    async fn publish(&self, topic_arn: &str, n: &Notification<'_>) -> Result<String, PublishError> {
        let PublishRequest {
            subject,
            message,
            message_structure,
            attributes,
        } = publish_request(n, self.chat);
        let mut request = self
            .client()
            .await
            .publish()
            .topic_arn(topic_arn)
            .subject(subject)
            .message_structure(message_structure)
            .message(message);
        for (name, value) in attributes {
            let attr = MessageAttributeValue::builder()
                .data_type(ATTRIBUTE_TYPE)
                .string_value(value)
                .build()
                .map_err(|e| {
                    PublishError::new(
                        PublishErrorKind::Other,
                        format!("message attribute {name}: {e}"),
                    )
                })?;
            request = request.message_attributes(name, attr);
        }
        let out = request
            .send()
            .await
            .map_err(|e| PublishError::from_sdk(&e))?;
        // SNS returns a MessageId for every message it accepted: without one there is no
        // proof of delivery, so the invocation fails and Lambda retries it.
        out.message_id()
            .filter(|id| !id.is_empty())
            .map(String::from)
            .ok_or_else(|| {
                PublishError::new(
                    PublishErrorKind::Other,
                    "SNS Publish answered without a MessageId: no proof the alert was accepted",
                )
            })
    }
}

/// What a [`RecordingPublisher`] was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub topic_arn: String,
    /// The text body (what email subscribers read).
    pub message: String,
    /// The whole request, as the SNS publisher would send it (subject, the
    /// `MessageStructure=json` message, attributes).
    pub request: PublishRequest,
}

/// A fake publisher that records what it is given, and fails on demand.
#[derive(Debug, Default)]
pub struct RecordingPublisher {
    sent: Mutex<Vec<Published>>,
    fail_with: Option<PublishError>,
    /// Fail only publishes to this topic (every topic when `None`).
    fail_topic: Option<String>,
    /// Fail only publishes whose subject contains this (every subject when `None`).
    fail_subject: Option<String>,
}

impl RecordingPublisher {
    pub fn new() -> Self {
        RecordingPublisher::default()
    }

    /// A publisher whose every publish fails with `error`.
    pub fn failing(error: PublishError) -> Self {
        RecordingPublisher {
            sent: Mutex::new(Vec::new()),
            fail_with: Some(error),
            fail_topic: None,
            fail_subject: None,
        }
    }

    /// A publisher whose publishes to `topic_arn` fail with `error`; others are recorded.
    pub fn failing_on(topic_arn: &str, error: PublishError) -> Self {
        RecordingPublisher {
            fail_topic: Some(topic_arn.to_string()),
            ..RecordingPublisher::failing(error)
        }
    }

    /// A publisher whose publishes of subjects containing `fragment` fail with `error`;
    /// others are recorded.
    pub fn failing_for_subject(fragment: &str, error: PublishError) -> Self {
        RecordingPublisher {
            fail_subject: Some(fragment.to_string()),
            ..RecordingPublisher::failing(error)
        }
    }

    pub fn sent(&self) -> Vec<Published> {
        self.sent.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Publisher for RecordingPublisher {
    async fn publish(&self, topic_arn: &str, n: &Notification<'_>) -> Result<String, PublishError> {
        if let Some(e) = self
            .fail_with
            .as_ref()
            .filter(|_| self.fail_topic.as_deref().is_none_or(|t| t == topic_arn))
            .filter(|_| {
                self.fail_subject
                    .as_deref()
                    .is_none_or(|f| n.subject.contains(f))
            })
        {
            return Err(e.clone());
        }
        let mut sent = self.sent.lock().map_err(|_| {
            PublishError::new(PublishErrorKind::Other, "recording publisher poisoned")
        })?;
        sent.push(Published {
            topic_arn: topic_arn.to_string(),
            message: n.body.clone(),
            request: publish_request(n, ChatFormat::None),
        });
        Ok(format!("recorded-{}", sent.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sns_error_codes_keep_their_kind() {
        use PublishErrorKind as K;
        let kind = |code: &str, message: &str| service_error_kind(Some(code), Some(message));
        assert_eq!(kind("Throttling", "Rate exceeded"), K::Throttled);
        assert_eq!(kind("AuthorizationError", "not authorized"), K::Denied);
        assert_eq!(kind("NotFound", "Topic does not exist"), K::NotFound);
        assert_eq!(kind("InvalidParameter", "Message too long"), K::TooLarge);
        assert_eq!(kind("InvalidParameter", "Invalid subject"), K::Other);
        assert_eq!(service_error_kind(None, None), K::Other);
    }
}
