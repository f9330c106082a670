//! SNS failures against a fake SNS endpoint on 127.0.0.1 that this test controls: every one
//! makes the handler return an error (after the SDK's own retries where the error is
//! retryable, with the number of attempts counted), logs one line with the eventID and the
//! cause, and never reports success.

use aws_sdk_sns::config::{BehaviorVersion, Credentials, Region};
mod common;

use common::TOPIC;
use common::fake::{Answer, FakeEndpoint, fake_endpoint};
use common::handle;
use iam_notify::config::{Config, SdkSettings};
use iam_notify::delivery::ChatFormat;
use iam_notify::handler::HandlerError;
use iam_notify::publish::{PublishErrorKind, SnsPublisher, with_settings};
use serde_json::Value;
use std::time::Duration;

#[derive(Clone, Copy)]
enum Reply {
    /// An SNS error response: HTTP status, error type and code.
    Error(u16, &'static str, &'static str),
    /// A good response, after a delay.
    SlowOk(Duration),
    Ok,
    /// HTTP 200 whose PublishResult has no MessageId.
    OkWithoutMessageId,
}

/// A fake SNS endpoint on loopback answering every request with `reply`.
async fn fake_sns(reply: Reply) -> FakeEndpoint {
    let xml = |status, body| Answer::new(status, "text/xml", body);
    fake_endpoint(match reply {
        Reply::Error(status, kind, code) => xml(
            status,
            format!(
                "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error>\
                 <Type>{kind}</Type><Code>{code}</Code><Message>fake {code}</Message></Error>\
                 <RequestId>fake-request</RequestId></ErrorResponse>"
            ),
        ),
        Reply::SlowOk(delay) => xml(200, publish_ok()).after(delay),
        Reply::Ok => xml(200, publish_ok()),
        Reply::OkWithoutMessageId => xml(
            200,
            publish_ok().replace("<MessageId>fake-message-id</MessageId>", ""),
        ),
    })
    .await
}

fn publish_ok() -> String {
    "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult>\
     <MessageId>fake-message-id</MessageId></PublishResult><ResponseMetadata>\
     <RequestId>fake-request</RequestId></ResponseMetadata></PublishResponse>"
        .to_string()
}

/// Short timeouts so the slow case runs in about a second; the same retry policy as production.
fn settings() -> SdkSettings {
    SdkSettings::new(3, Duration::from_millis(300), Duration::from_millis(300))
}

fn publisher(url: &str) -> SnsPublisher {
    let builder = aws_sdk_sns::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"));
    SnsPublisher::new(
        aws_sdk_sns::Client::from_conf(with_settings(builder, &settings())),
        ChatFormat::None,
    )
}

fn config() -> Config {
    Config {
        sdk: settings(),
        ..common::config(false, Default::default())
    }
}

fn sample() -> Value {
    common::sample("CreatePolicy")
}

fn event_id(event: &Value) -> String {
    event["detail"]["eventID"].as_str().unwrap().to_string()
}

/// Runs the handler once against `url`, capturing its log lines.
async fn run(url: &str) -> (Result<Value, HandlerError>, Vec<String>) {
    let logs = common::LogCapture::start();
    let result = handle(&sample(), &config(), &publisher(url)).await;
    let text = logs.text();
    (result, text.lines().map(String::from).collect())
}

/// The handler failed, said why in one log line with the eventID, and reported no success.
fn assert_failed_clearly(
    result: Result<Value, HandlerError>,
    logs: &[String],
    cause: &str,
    kind: PublishErrorKind,
) {
    let err = match result {
        Ok(v) => panic!("a failed publish was reported as success: {v}"),
        Err(e) => e,
    };
    assert!(
        matches!(&err, HandlerError::Publish(p) if p.kind == kind),
        "{err:?} is not of kind {kind:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(cause),
        "error {message:?} does not say {cause:?}"
    );
    let id = event_id(&sample());
    let failures: Vec<&String> = logs
        .iter()
        .filter(|l| l.contains("publish-failed"))
        .collect();
    assert_eq!(failures.len(), 1, "one failure line: {logs:?}");
    let line: Value = serde_json::from_str(failures[0]).unwrap();
    assert_eq!(line["eventID"], id.as_str());
    assert_eq!(line["eventName"], "CreatePolicy");
    assert_eq!(line["level"], "ERROR");
    assert!(line["error"].as_str().unwrap().contains(cause), "{line}");
    assert!(
        !logs.iter().any(|l| l.contains("\"outcome\":\"published\"")),
        "{logs:?}"
    );
}

#[tokio::test]
async fn http_500_is_retried_then_reported() {
    let sns = fake_sns(Reply::Error(500, "Receiver", "InternalError")).await;
    let (result, logs) = run(&sns.url).await;
    assert_eq!(sns.hits(), 3, "3 attempts");
    assert_failed_clearly(result, &logs, "InternalError", PublishErrorKind::Other);
}

#[tokio::test]
async fn throttling_is_retried_then_reported() {
    let sns = fake_sns(Reply::Error(400, "Sender", "Throttling")).await;
    let (result, logs) = run(&sns.url).await;
    assert_eq!(sns.hits(), 3, "3 attempts");
    assert_failed_clearly(result, &logs, "Throttling", PublishErrorKind::Throttled);
}

#[tokio::test]
async fn authorization_error_is_not_retried() {
    let sns = fake_sns(Reply::Error(403, "Sender", "AuthorizationError")).await;
    let (result, logs) = run(&sns.url).await;
    assert_eq!(sns.hits(), 1, "no retry of a permanent error");
    assert_failed_clearly(
        result,
        &logs,
        "AuthorizationError",
        PublishErrorKind::Denied,
    );
}

#[tokio::test]
async fn missing_topic_is_not_retried() {
    let sns = fake_sns(Reply::Error(404, "Sender", "NotFound")).await;
    let (result, logs) = run(&sns.url).await;
    assert_eq!(sns.hits(), 1, "no retry of a permanent error");
    assert_failed_clearly(result, &logs, "NotFound", PublishErrorKind::NotFound);
}

#[tokio::test]
async fn a_response_slower_than_the_attempt_timeout_is_retried_then_reported() {
    let sns = fake_sns(Reply::SlowOk(Duration::from_secs(3))).await;
    let started = std::time::Instant::now();
    let (result, logs) = run(&sns.url).await;
    assert_eq!(sns.hits(), 3, "3 attempts");
    assert_failed_clearly(result, &logs, "timeout", PublishErrorKind::Timeout);
    assert!(started.elapsed() < settings().operation_timeout + Duration::from_secs(1));
}

#[tokio::test]
async fn connection_refused_is_reported() {
    let (result, logs) = run(&common::fake::refusing_url()).await;
    assert_failed_clearly(
        result,
        &logs,
        "dispatch failure",
        PublishErrorKind::Unreachable,
    );
}

#[tokio::test]
async fn an_answer_without_a_message_id_is_not_counted_as_delivered() {
    let sns = fake_sns(Reply::OkWithoutMessageId).await;
    let (result, logs) = run(&sns.url).await;
    assert_failed_clearly(
        result,
        &logs,
        "without a MessageId",
        PublishErrorKind::Other,
    );
}

#[tokio::test]
async fn a_good_response_is_reported_as_published() {
    let sns = fake_sns(Reply::Ok).await;
    let (result, logs) = run(&sns.url).await;
    assert_eq!(result.unwrap()["messageId"], "fake-message-id");
    assert_eq!(sns.hits(), 1);
    assert!(
        logs.iter().any(|l| l.contains("\"outcome\":\"published\"")),
        "{logs:?}"
    );
}

/// All retries fit in the Lambda timeout the template sets, with the settings it sets.
#[test]
fn production_retries_fit_inside_the_template_timeout() {
    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml")).unwrap();
    let value = |key: &str| -> u64 {
        template
            .lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .map(|v| v.trim().trim_matches('"').parse().unwrap())
            .unwrap_or_else(|| panic!("{key} not in template.yaml"))
    };
    // `Timeout: !If [Digest, 300, 45]`: the shorter one must do.
    let timeout_line = template
        .lines()
        .find_map(|l| l.trim().strip_prefix("Timeout:"))
        .expect("Timeout in template.yaml");
    let timeout = timeout_line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse::<u64>().ok())
        .min()
        .map(Duration::from_secs)
        .expect("a number of seconds");
    let attempts = value("SNS_MAX_ATTEMPTS:");
    let attempt_ms = value("SNS_ATTEMPT_TIMEOUT_MS:");
    let env = std::collections::HashMap::from([
        ("TOPIC_ARN", TOPIC.to_string()),
        ("SNS_MAX_ATTEMPTS", attempts.to_string()),
        ("SNS_ATTEMPT_TIMEOUT_MS", attempt_ms.to_string()),
    ]);
    let cfg = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    // A change to the monitor is published twice (alert topic, then ops topic). Before that
    // the account's name may be looked up (Organizations, then the alias: one after the
    // other), side by side with what IAM is asked about the change (at most the largest
    // EnrichBudgetMs the template accepts).
    let names = iam_notify::lookups::organizations::BUDGET * 2;
    let lookup = names.max(iam_notify::enrich::MAX_BUDGET);
    assert!(
        cfg.sdk.operation_timeout * 2 + lookup + Duration::from_secs(5) <= timeout,
        "twice {:?} of SDK time and {lookup:?} of lookups must fit, with start-up room, in the \
         {timeout:?} Lambda timeout",
        cfg.sdk.operation_timeout
    );
}
