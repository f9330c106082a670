//! Digest mode: an SQS batch of EventBridge events in, warning and critical alerts sent at
//! once, one digest per session for the rest, and only the messages of what failed returned
//! to the queue.

mod common;

use common::handle;
use common::{TOPIC, load, root, sample};
use iam_notify::config::Config;
use iam_notify::delivery::{ChatFormat, publish_request};
use iam_notify::digest::{Change, digest};
use iam_notify::publish::{PublishError, PublishErrorKind, RecordingPublisher};
use iam_notify::{Event, Format, render, render_batch};
use proptest::prelude::*;
use serde_json::{Value, json};

fn config(dry_run: bool) -> Config {
    common::config(dry_run, Default::default())
}

/// `events/burst/terraform-apply.json`: twenty info changes and one critical attach by one CI
/// session (built from the samples by `scripts/sqs_batch.py --preset terraform-apply`).
fn burst() -> Value {
    load(&root().join("events/burst/terraform-apply.json"))
}

/// An SQS batch of `events`, message ids `m0`, `m1`, …
fn batch(events: &[Value]) -> Value {
    let records: Vec<Value> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            json!({"messageId": format!("m{i}"), "body": e.to_string(), "eventSource": "aws:sqs",
                   "eventSourceARN": "arn:aws:sqs:us-east-1:111122223333:digest", "awsRegion": "us-east-1"})
        })
        .collect();
    json!({ "Records": records })
}

/// `event` as made by the caller of `session`.
fn by(session: &Value, event: &Value) -> Value {
    let mut e = event.clone();
    for key in ["userIdentity", "userAgent", "sourceIPAddress"] {
        e["detail"][key] = session["detail"][key].clone();
    }
    e
}

fn failures(out: &Value) -> Vec<String> {
    out["batchItemFailures"]
        .as_array()
        .expect("a batch answers with batchItemFailures")
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
        .collect()
}

fn machine(request_message: &str) -> Value {
    let message: Value = serde_json::from_str(request_message).unwrap();
    serde_json::from_str(message["sqs"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn a_terraform_burst_is_one_digest_and_its_serious_changes_are_sent_at_once() {
    let publisher = RecordingPublisher::new();
    let out = handle(&burst(), &config(false), &publisher).await.unwrap();
    assert!(failures(&out).is_empty(), "{out}");
    let sent = publisher.sent();
    let subjects: Vec<&str> = sent.iter().map(|p| p.request.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            // The CI role changing its own permissions and trust: warnings, sent at once.
            "[IAM WARNING] AttachRolePolicy deploy-permissions -> role ci-deploy by ci-deploy/GitHubActions",
            "[IAM WARNING] UpdateAssumeRolePolicy role ci-deploy by ci-deploy/GitHubActions",
            "[IAM CRITICAL] AttachRolePolicy AdministratorAccess -> role ci-deploy by ci-deploy/GitHubActions",
            "[IAM] 18 changes by ci-deploy/GitHubActions (Terraform) in 40 s",
        ]
    );
    assert!(sent.iter().all(|p| p.topic_arn == TOPIC));
    // Every held change is in the digest's document, once.
    let doc = machine(&sent[3].request.message);
    assert_eq!(doc["schema"], "iam-notify-digest/1");
    assert_eq!(doc["count"], 18);
    let mut ids: Vec<&str> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["event"]["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 18);
    assert!(doc.get("changesOmitted").is_none());
    // The attributes subscribers filter on.
    let attributes: Vec<(&str, &str)> = sent[3]
        .request
        .attributes
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    assert!(attributes.contains(&("eventName", "Digest")));
    assert!(attributes.contains(&("severity", "info")));
    assert!(attributes.contains(&("account", "111122223333")));
}

#[test]
fn the_burst_renders_as_its_snapshot() {
    let sent = render_batch(&burst(), Format::Rich).unwrap();
    let text: Vec<String> = sent.iter().map(|n| n.to_text()).collect();
    insta::assert_snapshot!("terraform-apply-batch", text.join("\n\n=====\n\n"));
    let digest = sent.last().unwrap();
    let doc = machine(&publish_request(digest, ChatFormat::None).message);
    insta::assert_snapshot!(
        "terraform-apply-digest-document",
        serde_json::to_string_pretty(&doc).unwrap()
    );
    for n in &sent {
        common::assert_valid(n, &n.subject);
    }
}

#[tokio::test]
async fn each_session_gets_its_own_digest() {
    let ci = sample("AttachRolePolicy");
    let alice = sample("CreateUser");
    let (a, b) = (
        ["CreateRole", "UpdateRole", "PutRolePolicy"],
        ["CreateGroup", "AddUserToGroup", "UpdateUser"],
    );
    // Interleaved: ci, alice, ci, alice, …
    let events: Vec<Value> = a
        .iter()
        .zip(b)
        .flat_map(|(x, y)| [by(&ci, &sample(x)), by(&alice, &sample(y))])
        .collect();
    let publisher = RecordingPublisher::new();
    let out = handle(&batch(&events), &config(false), &publisher)
        .await
        .unwrap();
    assert!(failures(&out).is_empty());
    let sent = publisher.sent();
    assert_eq!(sent.len(), 2, "two sessions, two digests");
    for (p, session, calls) in [(&sent[0], &ci, a), (&sent[1], &alice, b)] {
        let doc = machine(&p.request.message);
        let arn = session["detail"]["userIdentity"]["arn"].as_str().unwrap();
        assert_eq!(doc["actor"]["arn"], arn);
        let mut names: Vec<&str> = doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["event"]["name"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        let mut expected = calls.to_vec();
        expected.sort_unstable();
        assert_eq!(names, expected);
    }
}

#[tokio::test]
async fn the_same_event_delivered_twice_is_sent_once() {
    let ci = sample("AttachRolePolicy");
    let events = [
        by(&ci, &sample("CreateRole")),
        by(&ci, &sample("UpdateRole")),
        by(&ci, &sample("CreateRole")),
    ];
    let publisher = RecordingPublisher::new();
    let out = handle(&batch(&events), &config(false), &publisher)
        .await
        .unwrap();
    assert!(
        failures(&out).is_empty(),
        "the copy is done with, not returned"
    );
    let sent = publisher.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(machine(&sent[0].request.message)["count"], 2);
}

#[tokio::test]
async fn a_session_with_one_change_gets_its_ordinary_alert() {
    let publisher = RecordingPublisher::new();
    handle(&batch(&[sample("CreateUser")]), &config(false), &publisher)
        .await
        .unwrap();
    let sent = publisher.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].request.subject,
        "[IAM] CreateUser user bob by alice"
    );
}

#[tokio::test]
async fn a_failed_digest_returns_only_its_own_messages_to_the_queue() {
    let publisher = RecordingPublisher::failing_for_subject(
        "changes by",
        PublishError::new(PublishErrorKind::Throttled, "Throttling: Rate exceeded"),
    );
    let mut batch = burst();
    let records = batch["Records"].as_array_mut().unwrap();
    records.push(json!({"messageId": "unreadable", "body": "{not json", "eventSource": "aws:sqs"}));
    let critical = records
        .iter()
        .find(|r| r["body"].as_str().unwrap().contains("AdministratorAccess"))
        .unwrap()["messageId"]
        .as_str()
        .unwrap()
        .to_string();
    let all: Vec<String> = records
        .iter()
        .map(|r| r["messageId"].as_str().unwrap().to_string())
        .collect();
    let out = handle(&batch, &config(false), &publisher).await.unwrap();
    let returned = failures(&out);
    // The eighteen digest members and the unreadable message; the alerts sent at once (the
    // critical one, the two warnings) were sent.
    assert_eq!(returned.len(), 19, "{returned:?}");
    assert!(returned.contains(&"unreadable".to_string()));
    assert!(!returned.contains(&critical));
    assert!(returned.iter().all(|id| all.contains(id)));
    assert_eq!(
        publisher.sent().len(),
        3,
        "the alerts sent at once went out"
    );
}

#[tokio::test]
async fn a_failed_immediate_alert_returns_only_itself() {
    let publisher = RecordingPublisher::failing_for_subject(
        "CRITICAL",
        PublishError::new(PublishErrorKind::Denied, "AuthorizationError"),
    );
    let out = handle(&burst(), &config(false), &publisher).await.unwrap();
    let returned = failures(&out);
    assert_eq!(returned.len(), 1);
    let batch = burst();
    let body = batch["Records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["messageId"] == returned[0].as_str())
        .unwrap()["body"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(body.contains("AdministratorAccess"));
    assert_eq!(
        publisher.sent().len(),
        3,
        "the digest and the two warnings went out"
    );
}

#[tokio::test]
async fn a_change_to_the_monitor_in_a_batch_goes_to_both_topics_at_once() {
    const OPS: &str = "arn:aws:sns:us-east-1:111122223333:iamnotify-ops";
    let config = Config {
        ops_topic: Some(iam_notify::config::TopicArn::parse(OPS).unwrap()),
        ..config(false)
    };
    let ci = sample("AttachRolePolicy");
    let events = [
        by(&ci, &sample("CreateRole")),
        by(&ci, &sample("DisableRule")),
        by(&ci, &sample("UpdateRole")),
    ];
    let publisher = RecordingPublisher::new();
    handle(&batch(&events), &config, &publisher).await.unwrap();
    let sent: Vec<(String, String)> = publisher
        .sent()
        .into_iter()
        .map(|p| (p.topic_arn, p.request.subject))
        .collect();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(sent[0].1.contains("CRITICAL] DisableRule"), "{}", sent[0].1);
    assert_eq!((sent[0].0.as_str(), sent[1].0.as_str()), (TOPIC, OPS));
    assert_eq!(sent[0].1, sent[1].1, "the same alert on both topics");
    assert_eq!(sent[2].0, TOPIC);
    assert!(
        sent[2]
            .1
            .starts_with("[IAM] 2 changes by ci-deploy/GitHubActions (Terraform) in "),
        "{}",
        sent[2].1
    );
}

#[tokio::test]
async fn a_heartbeat_in_a_batch_is_counted_and_sends_nothing() {
    const CANARY: &str = "arn:aws:iam::111122223333:role/iamnotify-HeartbeatCanary-A1B2C3D4E5F6";
    const SCHEDULER: &str = "arn:aws:iam::111122223333:role/iam-notify-6f1c2a9e-heartbeat";
    let config = Config {
        heartbeat: Some(iam_notify::heartbeat::Canary::new(CANARY, SCHEDULER).unwrap()),
        ..config(false)
    };
    let publisher = RecordingPublisher::new();
    let logs = common::LogCapture::start();
    let out = handle(
        &batch(&[sample("TagRole-heartbeat-by-schedule")]),
        &config,
        &publisher,
    )
    .await
    .unwrap();
    assert!(failures(&out).is_empty());
    assert!(publisher.sent().is_empty(), "a heartbeat sends no email");
    assert!(logs.text().contains(r#""outcome":"heartbeat""#));
}

#[test]
fn a_digest_lists_the_most_severe_changes_first() {
    let ci = sample("AttachRolePolicy");
    let events: Vec<Event<'static>> = ["CreateUser", "CreateAccessKey", "UpdateUser"]
        .iter()
        .map(|name| Event::parse(&by(&ci, &sample(name))).unwrap())
        .collect();
    let alerts: Vec<_> = events.iter().map(|e| render(e, Format::Rich)).collect();
    let n = digest_of(&events, &alerts);
    assert!(n.subject.starts_with("[IAM] 3 changes by"), "{}", n.subject);
    let calls: Vec<&str> = n
        .body
        .lines()
        .filter_map(|l| {
            l.trim_start()
                .strip_prefix("WARNING")
                .or(l.trim_start().strip_prefix("INFO"))
        })
        .map(|rest| rest.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(calls[0], "CreateAccessKey:", "{}", n.body);
    assert!(n.body.contains("Severity:       WARNING"));
}

#[tokio::test]
async fn with_too_little_time_left_nothing_is_sent_and_everything_returned() {
    use std::time::{Duration, SystemTime};
    let publisher = RecordingPublisher::new();
    let soon = SystemTime::now() + Duration::from_secs(2);
    let out = iam_notify::handler::handle_until(&burst(), &config(false), &publisher, Some(soon))
        .await
        .unwrap();
    assert!(publisher.sent().is_empty(), "nothing half-sent");
    assert_eq!(
        failures(&out).len(),
        21,
        "every message goes back to the queue"
    );
    // With time enough, all of it.
    let later = SystemTime::now() + Duration::from_secs(300);
    let out = iam_notify::handler::handle_until(&burst(), &config(false), &publisher, Some(later))
        .await
        .unwrap();
    assert!(failures(&out).is_empty());
    assert_eq!(publisher.sent().len(), 4);
}

#[test]
fn a_deadline_already_past_is_not_lambdas_and_is_not_enforced() {
    use iam_notify::handler::usable_deadline;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};
    let now = SystemTime::now();
    let later = now + Duration::from_secs(30);
    assert_eq!(usable_deadline(later, now), Some(later));
    // `cargo lambda watch` sends 600000 (a duration in ms, read as a time in 1970).
    assert_eq!(
        usable_deadline(UNIX_EPOCH + Duration::from_millis(600_000), now),
        None
    );
}

#[tokio::test]
async fn dry_run_sends_nothing_and_returns_nothing() {
    let publisher = RecordingPublisher::new();
    let out = handle(&burst(), &config(true), &publisher).await.unwrap();
    assert!(failures(&out).is_empty());
    assert!(publisher.sent().is_empty());
}

#[tokio::test]
async fn a_batch_that_is_not_sqs_shaped_is_rejected_saying_why() {
    let publisher = RecordingPublisher::new();
    let err = handle(
        &json!({"Records": [{"eventSource": "aws:sqs", "body": 5}]}),
        &config(false),
        &publisher,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("an SQS batch that cannot be read"),
        "{err}"
    );
}

/// `n` changes by one session, each on its own role named from `name`.
fn many(n: usize, name: &str) -> (Vec<Event<'static>>, Vec<iam_notify::Notification<'static>>) {
    let template = sample("CreateRole");
    let events: Vec<Event<'static>> = (0..n)
        .map(|i| {
            let mut e = template.clone();
            e["detail"]["requestParameters"]["roleName"] = json!(format!("{name}-{i}"));
            e["detail"]["eventID"] = json!(format!("event-{i}"));
            Event::parse(&e).unwrap()
        })
        .collect();
    let alerts = events
        .iter()
        .map(|e| render(e, Format::Rich).into_owned())
        .collect();
    (events, alerts)
}

fn digest_of(
    events: &[Event],
    alerts: &[iam_notify::Notification],
) -> iam_notify::Notification<'static> {
    let changes: Vec<Change> = events
        .iter()
        .zip(alerts)
        .map(|(event, notification)| Change {
            event,
            notification,
        })
        .collect();
    digest(&changes).unwrap()
}

#[test]
fn a_digest_of_thousands_stays_within_the_sns_limit_and_says_what_it_left_out() {
    let (events, alerts) = many(3_000, &"r".repeat(60));
    let n = digest_of(&events, &alerts);
    common::assert_valid(&n, "3,000 changes");
    let doc = machine(&publish_request(&n, ChatFormat::None).message);
    let listed = doc["changes"].as_array().unwrap().len();
    let omitted = doc["changesOmitted"].as_u64().unwrap() as usize;
    assert_eq!(doc["count"], 3_000);
    assert_eq!(listed + omitted, 3_000);
    // As many as fit are listed: the request is close to SNS's limit, not far under it.
    let size = publish_request(&n, ChatFormat::None).size();
    assert!(
        size > iam_notify::delivery::SNS_MAX_MESSAGE_BYTES * 8 / 10,
        "{listed} changes listed in {size} bytes"
    );
    assert!(
        n.body
            .contains(&format!("... and {omitted} more changes, not listed")),
        "the text says how many are left out"
    );
    assert!(
        !publish_request(&n, ChatFormat::None)
            .message
            .contains("message cut"),
        "the digest fits without the generic cut"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the callers wrote (names with line breaks, controls, bidirectional overrides,
    /// very long), the digest is one valid Publish: a one-line subject, no forged lines, every
    /// essential line, within SNS's limit.
    #[test]
    fn a_digest_is_bounded_and_clean_for_any_names(
        name in "[a-z\\n\\r\\u{7}\\u{202e}\\u{200b}:é ]{1,40}",
        repeat in 1usize..2_000,
        count in 2usize..40,
        agent in "[ -~\\n]{0,80}",
    ) {
        let long = name.repeat(repeat);
        let template = sample("UpdateRole");
        let events: Vec<Event<'static>> = (0..count)
            .map(|i| {
                let mut e = template.clone();
                e["detail"]["requestParameters"]["roleName"] = json!(format!("{long}{i}"));
                e["detail"]["requestParameters"]["description"] = json!(long.clone());
                e["detail"]["userAgent"] = json!(agent.clone());
                e["detail"]["userIdentity"]["arn"] = json!(format!("arn:aws:sts::111122223333:assumed-role/r/{long}"));
                Event::parse(&e).unwrap()
            })
            .collect();
        let alerts: Vec<_> = events.iter().map(|e| render(e, Format::Rich)).collect();
        let n = digest_of(&events, &alerts);
        common::assert_valid(&n, "hostile digest");
        for line in n.body.lines() {
            prop_assert!(!line.starts_with("Console:"), "a forged line: {line}");
        }
        prop_assert_eq!(n.body.lines().filter(|l| l.starts_with("Who:")).count(), 1);
    }
}

/// A digest lists resources by their most severe change, then in the order the session made
/// them: a name the caller chooses (`aaa-…`) never moves a change up.
#[test]
fn resources_are_listed_by_severity_then_time_never_by_name() {
    let batch = common::load(&common::root().join("events/burst/terraform-apply.json"));
    let sent = iam_notify::render_batch(&batch, iam_notify::Format::Rich).unwrap();
    let digest = sent
        .iter()
        .find(|n| n.event_name == "Digest")
        .expect("the burst makes a digest");
    // (severity, time) of each resource's first listed change, in the order listed.
    let mut firsts: Vec<(String, String)> = Vec::new();
    let lines: Vec<&str> = digest.body.lines().collect();
    for pair in lines.windows(2) {
        let (header, first) = (pair[0], pair[1]);
        if !header.is_empty() && !header.starts_with(' ') && first.starts_with("  ") {
            let mut words = first.split_whitespace();
            if let (Some(severity), Some(time)) = (words.next(), words.next()) {
                firsts.push((severity.to_string(), time.to_string()));
            }
        }
    }
    assert!(firsts.len() > 3, "{}", digest.body);
    for pair in firsts.windows(2) {
        if pair[0].0 == pair[1].0 {
            assert!(pair[0].1 <= pair[1].1, "{firsts:?}");
        }
    }
}

/// What happened, in order: each account-name lookup (one per event rendered, in central
/// mode) and each publish.
#[derive(Default)]
struct Timeline(std::sync::Mutex<Vec<String>>);

impl Timeline {
    fn log(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl iam_notify::publish::Publisher for Timeline {
    async fn publish(
        &self,
        _topic: &str,
        n: &iam_notify::Notification<'_>,
    ) -> Result<String, PublishError> {
        self.0
            .lock()
            .unwrap()
            .push(format!("publish {}", n.subject));
        Ok("id".into())
    }
}

impl iam_notify::lookups::organizations::AccountDirectory for Timeline {
    async fn account_name(&self, account: &str) -> Option<String> {
        self.0.lock().unwrap().push(format!("render {account}"));
        None
    }
}

impl iam_notify::lookups::iam::PolicyLookup for Timeline {
    async fn read(&self, _wants: &iam_notify::enrich::Wants) -> iam_notify::enrich::Read {
        iam_notify::enrich::Read::default()
    }
}

#[tokio::test]
async fn a_critical_alert_is_published_before_the_rest_of_the_batch_is_rendered() {
    // An info change, the critical attach, then nine more info changes of the same session.
    let mut events = vec![sample("CreateRole")];
    events.push(sample(
        "AttachRolePolicy-aws-managed-AdministratorAccess-by-sso-user",
    ));
    for _ in 0..9 {
        events.push(sample("CreateRole"));
    }
    for (i, e) in events.iter_mut().enumerate() {
        e["detail"]["eventID"] = json!(format!("00000000-0000-4000-8000-{i:012}"));
    }
    let mut config = config(false);
    config.accounts.central = true;
    let timeline = Timeline::default();
    let out = iam_notify::handler::handle_until(&batch(&events), &config, &timeline, None)
        .await
        .unwrap();
    assert!(failures(&out).is_empty());
    let log = timeline.log();
    let critical = log
        .iter()
        .position(|l| l.starts_with("publish [IAM CRITICAL]"))
        .expect("the critical alert is published");
    let rendered_before = log[..critical]
        .iter()
        .filter(|l| l.starts_with("render"))
        .count();
    assert_eq!(
        rendered_before, 2,
        "only the events before it were rendered first: {log:?}"
    );
    assert_eq!(
        log.iter().filter(|l| l.starts_with("render")).count(),
        11,
        "{log:?}"
    );
}
