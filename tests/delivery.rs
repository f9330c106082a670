//! Per-protocol delivery: the `MessageStructure=json` message, SMS, the machine-readable
//! document, the Amazon Q format, message attributes, size limits, and suppression.

mod common;

use common::handle;
use common::sample;
use iam_notify::config::Config;
use iam_notify::delivery::{ChatFormat, SNS_MAX_MESSAGE_BYTES, sns_message};
use iam_notify::noise::NoiseRules;
use iam_notify::publish::RecordingPublisher;
use iam_notify::render::{Format, MAX_SMS_BYTES};
use iam_notify::render_payload;
use serde_json::{Value, json};

fn structured(name: &str, chat: ChatFormat) -> (iam_notify::Notification<'static>, Value) {
    let n = render_payload(&sample(name), Format::Rich).unwrap();
    let message: Value = serde_json::from_str(&sns_message(&n, chat)).unwrap();
    (n, message)
}

#[test]
fn each_protocol_gets_its_own_body() {
    let (n, m) = structured(
        "AttachRolePolicy-aws-managed-AdministratorAccess-by-sso-user",
        ChatFormat::None,
    );
    assert_eq!(m["default"], n.body.as_str());
    assert_eq!(m["email"], n.body.as_str());
    let sms = m["sms"].as_str().unwrap();
    assert!(sms.len() <= MAX_SMS_BYTES && !sms.contains('\n'), "{sms}");
    assert!(
        sms.starts_with("CRITICAL IAM AttachRolePolicy AdministratorAccess -> role ci-deploy by "),
        "{sms}"
    );
    for key in ["sqs", "lambda", "http", "https"] {
        assert_eq!(m[key], m["sqs"], "{key}");
    }
    let doc: Value = serde_json::from_str(m["sqs"].as_str().unwrap()).unwrap();
    assert_eq!(doc["schema"], "iam-notify/1");
    assert_eq!(doc["severity"], "critical");
    assert_eq!(doc["findings"][0]["rule"], "allow-all");
    assert_eq!(doc["event"]["name"], "AttachRolePolicy");
    assert_eq!(doc["actor"]["type"], "AssumedRole");
    assert_eq!(
        doc["resource"],
        json!({"kind": "role", "name": "ci-deploy", "arn": null, "deleted": false})
    );
    assert_eq!(doc["policy"]["awsManaged"], true);
    assert_eq!(doc["consoleUrl"], n.link.as_str());
    assert_eq!(doc["text"], n.body.as_str());
    assert_eq!(doc["subject"], n.subject.as_str());
}

#[test]
fn the_machine_document_carries_the_decoded_policy() {
    let (_, m) = structured("PutUserPolicy-allow-all", ChatFormat::None);
    let doc: Value = serde_json::from_str(m["sqs"].as_str().unwrap()).unwrap();
    assert_eq!(doc["policyDocument"]["Statement"][0]["Action"], "*");
    assert_eq!(doc["findings"][0]["rule"], "allow-all");
}

#[test]
fn amazon_q_format_reads_like_chat_and_follows_the_custom_notification_schema() {
    let (n, m) = structured("UpdateAssumeRolePolicy-trust-anyone", ChatFormat::AmazonQ);
    assert_eq!(m["default"], n.body.as_str(), "email keeps the text");
    let q: Value = serde_json::from_str(m["sqs"].as_str().unwrap()).unwrap();
    assert_eq!(q["version"], "1.0");
    assert_eq!(q["source"], "custom");
    assert_eq!(q["content"]["textType"], "client-markdown");
    // Who did what to what, in the title and first, uncut by SNS's subject limit.
    let sentence = n.body.lines().next().unwrap();
    let title = q["content"]["title"].as_str().unwrap();
    assert_eq!(title, format!(":rotating_light: {sentence}"));
    let description = q["content"]["description"].as_str().unwrap();
    assert!(
        description.starts_with("*CRITICAL* | alice replaced the trust policy of role ci-deploy"),
        "{description}"
    );
    assert!(description.contains("trust-anyone"));
    assert!(description.len() <= 8_000);
    // The facts that place it, a link to click, and no email pasted in.
    for fact in [
        "\n*Who:* ",
        "\n*Account:* 111122223333",
        "\n*Time:* ",
        "\n*Event ID:* ",
    ] {
        assert!(description.contains(fact), "{fact}: {description}");
    }
    assert!(description.contains(&format!("\n[Open in the console]({})", n.link)));
    assert!(
        !description.contains("```") && !description.contains("Severity:"),
        "{description}"
    );
    assert!(
        q["content"]["nextSteps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().contains(&n.link))
    );
    assert_eq!(q["content"]["keywords"][0], "critical");
    assert_eq!(q["metadata"]["eventType"], "UpdateAssumeRolePolicy");
}

#[test]
fn a_huge_document_still_fits_every_protocol_under_the_sns_limit() {
    let statement = json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b\"\u{e9}/*"});
    let doc = json!({"Version": "2012-10-17", "Statement": vec![statement; 5000]}).to_string();
    let mut event = sample("PutRolePolicy");
    event["detail"]["requestParameters"]["policyDocument"] = json!(doc);
    let n = render_payload(&event, Format::Rich).unwrap();
    for chat in ChatFormat::ALL {
        let message = sns_message(&n, chat);
        assert!(
            message.len() <= SNS_MAX_MESSAGE_BYTES - 6_144,
            "{}",
            message.len()
        );
        let m: Value = serde_json::from_str(&message).unwrap();
        let text = m["default"].as_str().unwrap();
        assert!(
            text.contains("cut to fit the SNS message limit"),
            "the cut is said"
        );
        assert!(
            text.len() > 20_000,
            "as much as fits is kept: {}",
            text.len()
        );
    }
}

fn config(noise: NoiseRules) -> Config {
    common::config(false, noise)
}

#[tokio::test]
async fn attributes_let_subscribers_filter_by_severity() {
    let publisher = RecordingPublisher::new();
    handle(
        &sample("ConsoleLogin"),
        &config(NoiseRules::default()),
        &publisher,
    )
    .await
    .unwrap();
    let sent = publisher.sent();
    let attrs: std::collections::HashMap<_, _> =
        sent[0].request.attributes.iter().cloned().collect();
    assert_eq!(attrs["severity"], "critical");
    assert_eq!(attrs["eventName"], "ConsoleLogin");
    assert_eq!(attrs["account"], "111122223333");
    assert_eq!(attrs["actorType"], "Root");
    assert_eq!(attrs["outcome"], "succeeded");
    let m: Value = serde_json::from_str(&sent[0].request.message).unwrap();
    assert_eq!(m["default"], sent[0].message.as_str());
}

#[tokio::test]
async fn suppressed_alerts_are_not_sent_but_said() {
    let publisher = RecordingPublisher::new();
    let noise = NoiseRules {
        ignore_principals: vec!["arn:aws:iam::*:role/ci-deploy".into()],
        ..Default::default()
    };
    let out = handle(
        &sample("DetachRolePolicy"),
        &config(noise.clone()),
        &publisher,
    )
    .await
    .unwrap();
    assert_eq!(out["suppressed"], true);
    assert!(
        out["reason"]
            .as_str()
            .unwrap()
            .contains("IGNORE_PRINCIPALS")
    );
    assert!(publisher.sent().is_empty());
    // The same caller's critical change still goes out.
    let mut critical = sample("DetachRolePolicy");
    critical["detail"]["eventName"] = json!("AttachRolePolicy");
    critical["detail"]["requestParameters"]["policyArn"] =
        json!("arn:aws:iam::aws:policy/AdministratorAccess");
    handle(&critical, &config(noise), &publisher).await.unwrap();
    assert_eq!(publisher.sent().len(), 1);
    assert!(
        publisher.sent()[0]
            .request
            .subject
            .starts_with("[IAM CRITICAL]")
    );
}

/// The chat message's next steps are the alert's own (the quarantine's NEXT STEPS), before
/// where to look; a long title is not cut at SNS's 100 characters.
#[test]
fn amazon_q_next_steps_are_the_alerts_own_and_its_title_is_whole() {
    let (n, m) = structured(
        "AttachUserPolicy-AWSCompromisedKeyQuarantineV3-by-aws-internal",
        ChatFormat::AmazonQ,
    );
    let q: Value = serde_json::from_str(m["sqs"].as_str().unwrap()).unwrap();
    let steps = q["content"]["nextSteps"].as_array().unwrap();
    assert!(
        steps[0]
            .as_str()
            .unwrap()
            .starts_with("NEXT STEPS (key-quarantined): deactivate"),
        "{steps:?}"
    );
    assert!(steps.last().unwrap().as_str().unwrap().contains("event ID"));
    let title = q["content"]["title"].as_str().unwrap();
    assert!(
        title.len() > n.subject.len() || !n.subject.ends_with("..."),
        "{title}"
    );
}
