//! The handler with a recording fake publisher: what reaches SNS, what comes back, and that
//! every failure is reported, never swallowed.

mod common;

use common::{TOPIC, sample};
use iam_notify::config::Config;
use iam_notify::handler::handle;
use iam_notify::publish::{PublishError, PublishErrorKind, RecordingPublisher};
use serde_json::json;

fn config(dry_run: bool) -> Config {
    common::config(dry_run, Default::default())
}

#[tokio::test]
async fn topic_subject_and_message_reach_the_publisher() {
    let publisher = RecordingPublisher::new();
    let out = handle(&sample("AttachRolePolicy"), &config(false), &publisher)
        .await
        .unwrap();
    let sent = publisher.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].topic_arn, TOPIC);
    assert_eq!(
        sent[0].request.subject,
        "[IAM] AttachRolePolicy deploy-permissions -> role ci-deploy by ci-deploy/GitHubActions"
    );
    assert!(sent[0].message.starts_with(
        "ci-deploy/GitHubActions attached managed policy deploy-permissions to role ci-deploy."
    ));
    assert_eq!(out["messageId"], "recorded-1");
    assert_eq!(out["subject"], sent[0].request.subject.as_str());
}

#[tokio::test]
async fn a_publish_error_is_a_handler_error() {
    let publisher = RecordingPublisher::failing(PublishError::new(
        PublishErrorKind::Denied,
        "AuthorizationError: not allowed",
    ));
    let err = handle(&sample("CreatePolicy"), &config(false), &publisher)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "notification not delivered: AuthorizationError: not allowed"
    );
    let diagnostic: lambda_runtime::Diagnostic = err.into();
    assert_eq!(diagnostic.error_type, "PublishDenied", "the kind survives");
}

#[tokio::test]
async fn dry_run_publishes_nothing_and_returns_the_notification() {
    let publisher = RecordingPublisher::new();
    let out = handle(&sample("DeleteRole"), &config(true), &publisher)
        .await
        .unwrap();
    assert!(publisher.sent().is_empty());
    assert_eq!(out["dryRun"], true);
    assert_eq!(
        out["notification"]["subject"],
        "[IAM] DeleteRole role old-batch-role by cfn-exec/AWSCloudFormation"
    );
    assert_eq!(out["notification"]["outcome"], "succeeded");
}

#[tokio::test]
async fn input_that_is_not_an_eventbridge_event_is_an_error_saying_why() {
    let publisher = RecordingPublisher::new();
    for (input, expected) in [
        (
            json!("hello"),
            "not an EventBridge event: expected a JSON object, got a string",
        ),
        (
            json!({"source": "aws.iam", "detail-type": "x"}),
            "missing field `detail`",
        ),
        (json!({"detail": {}}), "missing field `detail-type`"),
    ] {
        let err = handle(&input, &config(false), &publisher)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(expected), "{input}: {err}");
        let diagnostic: lambda_runtime::Diagnostic = err.into();
        assert_eq!(diagnostic.error_type, "InvalidEvent");
    }
    assert!(publisher.sent().is_empty());
}

#[tokio::test]
async fn odd_events_still_notify() {
    let publisher = RecordingPublisher::new();
    let insight = json!({"detail-type": "AWS Insight via CloudTrail", "source": "aws.cloudtrail",
        "detail": {"eventVersion": "1.08", "eventType": "AwsCloudTrailInsight",
                   "eventID": "i-1", "insightDetails": {"state": "Start"}}});
    let misshapen = json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
        "detail": {"eventName": "CreateUser", "userIdentity": ["not", "an", "object"]}});
    for event in [insight, misshapen] {
        handle(&event, &config(false), &publisher).await.unwrap();
    }
    let sent = publisher.sent();
    assert_eq!(
        sent[0].request.subject,
        "[AWS] AWS Insight via CloudTrail from aws.cloudtrail"
    );
    // The misshapen field degrades only itself: the call keeps its own words.
    assert!(
        sent[1]
            .message
            .starts_with("unknown caller called CreateUser"),
        "{}",
        sent[1].message
    );
    assert!(
        sent[1].message.contains(
            "Note: detail.userIdentity is not shaped like a CloudTrail record's (expected an object); received: [\"not\",\"an\",\"object\"]"
        ),
        "{}",
        sent[1].message
    );
}
