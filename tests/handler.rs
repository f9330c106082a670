//! The handler with a recording fake publisher: what reaches SNS, what comes back, and that
//! every failure is reported, never swallowed.

mod common;

use common::handle;
use common::{TOPIC, sample};
use iam_notify::config::Config;
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
        // (The role changes its own permissions: a self-change warning.)
        "[IAM WARNING] AttachRolePolicy deploy-permissions -> role ci-deploy by ci-deploy/GitHubActions"
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

const OPS_TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:iamnotify-ops";
const CANARY: &str = "arn:aws:iam::111122223333:role/iamnotify-HeartbeatCanary-A1B2C3D4E5F6";
const SCHEDULER: &str = "arn:aws:iam::111122223333:role/iam-notify-6f1c2a9e-heartbeat";

fn monitored(dry_run: bool) -> Config {
    Config {
        ops_topic: Some(iam_notify::config::TopicArn::parse(OPS_TOPIC).unwrap()),
        heartbeat: Some(iam_notify::heartbeat::Canary::new(CANARY, SCHEDULER).unwrap()),
        ..config(dry_run)
    }
}

#[tokio::test]
async fn the_schedules_heartbeat_is_counted_not_sent() {
    let publisher = RecordingPublisher::new();
    let logs = common::LogCapture::start();
    let out = handle(
        &sample("TagRole-heartbeat-by-schedule"),
        &monitored(false),
        &publisher,
    )
    .await
    .unwrap();
    assert_eq!(out["heartbeat"], true);
    assert!(publisher.sent().is_empty(), "a heartbeat sends no email");
    assert!(
        logs.text().contains(r#""outcome":"heartbeat""#),
        "{}",
        logs.text()
    );
    // Without the canary configured, the same event is an ordinary alert.
    let out = handle(
        &sample("TagRole-heartbeat-by-schedule"),
        &config(false),
        &publisher,
    )
    .await
    .unwrap();
    assert_eq!(out["messageId"], "recorded-1");
}

#[tokio::test]
async fn anything_else_done_to_the_canary_is_an_alert() {
    let publisher = RecordingPublisher::new();
    let mut by_someone_else = sample("TagRole-heartbeat-by-schedule");
    by_someone_else["detail"]["userIdentity"] =
        sample("TagRole-unlisted-iam-call")["detail"]["userIdentity"].clone();
    let mut attached = sample("AttachRolePolicy");
    attached["detail"]["requestParameters"]["roleName"] =
        json!("iamnotify-HeartbeatCanary-A1B2C3D4E5F6");
    for event in [by_someone_else, attached] {
        let out = handle(&event, &monitored(false), &publisher).await.unwrap();
        assert!(out.get("heartbeat").is_none(), "{out}");
    }
    assert_eq!(publisher.sent().len(), 2);
}

#[tokio::test]
async fn a_change_to_the_monitor_goes_to_both_topics_other_alerts_to_one() {
    let publisher = RecordingPublisher::new();
    let out = handle(&sample("DisableRule"), &monitored(false), &publisher)
        .await
        .unwrap();
    let topics: Vec<String> = publisher.sent().into_iter().map(|p| p.topic_arn).collect();
    assert_eq!(topics, [TOPIC, OPS_TOPIC]);
    assert_eq!(out["opsMessageId"], "recorded-2");
    assert_eq!(out["severity"], "critical");
    handle(&sample("CreateUser"), &monitored(false), &publisher)
        .await
        .unwrap();
    assert_eq!(
        publisher.sent().len(),
        3,
        "an IAM change goes to the main topic only"
    );
    assert_eq!(publisher.sent()[2].topic_arn, TOPIC);
}

#[tokio::test]
async fn a_broken_main_topic_does_not_keep_the_ops_topic_from_hearing_of_tampering() {
    let publisher = RecordingPublisher::failing_on(
        TOPIC,
        PublishError::new(PublishErrorKind::NotFound, "NotFound: Topic does not exist"),
    );
    let err = handle(&sample("DeleteTopic"), &monitored(false), &publisher)
        .await
        .unwrap_err();
    let sent = publisher.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].topic_arn, OPS_TOPIC, "the ops topic got it");
    let diagnostic: lambda_runtime::Diagnostic = err.into();
    assert_eq!(
        diagnostic.error_type, "PublishTopicNotFound",
        "and the failure is reported"
    );
}

#[tokio::test]
async fn dry_run_never_keeps_a_change_to_the_monitor_from_the_ops_topic() {
    // DRY_RUN is itself a way to mute the monitor: its own tamper alert must still go out.
    let publisher = RecordingPublisher::new();
    let out = handle(
        &sample("UpdateFunctionConfiguration20150331v2"),
        &monitored(true),
        &publisher,
    )
    .await
    .unwrap();
    let topics: Vec<String> = publisher.sent().into_iter().map(|p| p.topic_arn).collect();
    assert_eq!(topics, [OPS_TOPIC], "the ops copy, and only it");
    assert_eq!(out["dryRun"], true);
    assert_eq!(out["opsMessageId"], "recorded-1");
    handle(&sample("CreateUser"), &monitored(true), &publisher)
        .await
        .unwrap();
    assert_eq!(publisher.sent().len(), 1, "an IAM change stays unpublished");
}

#[tokio::test]
async fn a_change_to_a_role_the_monitor_acts_as_is_a_change_to_the_monitor() {
    let publisher = RecordingPublisher::new();
    let mut event = sample("PutRolePolicy");
    event["detail"]["requestParameters"]["roleName"] = json!("iam-notify-6f1c2a9e-function");
    let out = handle(&event, &monitored(false), &publisher).await.unwrap();
    assert_eq!(out["severity"], "critical");
    let topics: Vec<String> = publisher.sent().into_iter().map(|p| p.topic_arn).collect();
    assert_eq!(topics, [TOPIC, OPS_TOPIC]);
    // Another role of the same name's shape but not the monitor's prefix: an ordinary alert.
    event["detail"]["requestParameters"]["roleName"] = json!("notify-6f1c2a9e-function");
    handle(&event, &monitored(false), &publisher).await.unwrap();
    assert_eq!(publisher.sent().len(), 3);
}

/// What `main.rs` hands the handler is the payload's text: the same answer as for the tree,
/// for an event, a batch and input that is not an event.
#[tokio::test]
async fn the_text_of_a_payload_is_handled_as_its_tree() {
    use iam_notify::handler::handle_text;
    let batch = common::load(&common::root().join("events/burst/terraform-apply.json"));
    for (name, payload) in [
        ("an event".to_string(), sample("CreateRole")),
        (
            "a heartbeat".to_string(),
            sample("TagRole-heartbeat-by-schedule"),
        ),
        ("a batch".to_string(), batch),
        ("not an event".to_string(), json!({"source": "aws.iam"})),
    ]
    .into_iter()
    .chain(common::samples())
    {
        let (tree_publisher, text_publisher) =
            (RecordingPublisher::new(), RecordingPublisher::new());
        let tree = iam_notify::handler::handle(&payload, &config(false), &tree_publisher).await;
        let text = handle_text(&payload.to_string(), &config(false), &text_publisher, None).await;
        assert_eq!(
            format!("{tree:?}"),
            format!("{text:?}"),
            "{name}: the same answer"
        );
        assert_eq!(
            tree_publisher.sent(),
            text_publisher.sent(),
            "{name}: the same messages"
        );
    }
    let err = handle_text(
        "{\"detail\": {}} trailing",
        &config(false),
        &RecordingPublisher::new(),
        None,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("not one JSON document"), "{err}");
}
