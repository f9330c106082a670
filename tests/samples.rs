//! Every file in events/ renders to the notification recorded in its snapshot, and the ten
//! real CloudTrail records in tests/fixtures/real-cloudtrail render with the right resource.

mod common;

use common::{fixture, load, samples};
use iam_notify::calls::{self, RuleGroup};
use iam_notify::delivery::{ChatFormat, publish_request};
use iam_notify::severity::Severity;
use iam_notify::{Format, render_payload};
use serde_json::Value;

/// The article's rule (policy or principals) that delivers `event`, if any.
fn article_group(event: &Value) -> Option<RuleGroup> {
    let d = &event["detail"];
    calls::lookup(d["eventSource"].as_str()?, d["eventName"].as_str()?)
        .map(|c| c.group)
        .filter(|g| matches!(g, RuleGroup::Policy | RuleGroup::Principal))
}

/// The full rendered message (subject, link, body) of every sample, rich and classic.
#[test]
fn every_sample_event_renders_as_its_snapshot() {
    insta::glob!("../events", "*.json", |path| {
        let n = render_payload(&load(path), Format::Rich)
            .expect("sample events are EventBridge events");
        insta::assert_snapshot!(n.to_text());
    });
}

/// The exact Publish request of every sample: subject, message attributes, the SMS line and
/// the machine document sqs, lambda, http and https subscribers receive (the text body that
/// `default` and `email` carry is the snapshot above).
#[test]
fn every_sample_publishes_its_snapshot_request() {
    insta::glob!("../events", "*.json", |path| {
        let n = render_payload(&load(path), Format::Rich)
            .expect("sample events are EventBridge events");
        let request = publish_request(&n, ChatFormat::None);
        let message: Value = serde_json::from_str(&request.message).unwrap();
        assert_eq!(message["default"], n.body.as_str());
        assert_eq!(message["email"], n.body.as_str());
        let machine = message["sqs"].as_str().unwrap();
        for protocol in ["lambda", "http", "https"] {
            assert_eq!(message[protocol], machine, "{protocol}");
        }
        let mut document: Value = serde_json::from_str(machine).unwrap();
        assert_eq!(document["text"], n.body.as_str());
        document["text"] = Value::from("(the text body)");
        let attributes: Vec<String> = request
            .attributes
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        insta::assert_snapshot!(format!(
            "Subject: {}\nAttributes: {}\nSMS: {}\n\n{}",
            request.subject,
            attributes.join(", "),
            message["sms"].as_str().unwrap(),
            serde_json::to_string_pretty(&document).unwrap()
        ));
    });
}

/// The file as the function reads Lambda's bytes (typed, from the text) is the same event as
/// the parsed tree: for every sample, burst record and real CloudTrail record.
#[test]
fn every_sample_reads_the_same_from_its_text() {
    let real = fixture("real-cloudtrail");
    let mut files: Vec<(String, Value)> = samples();
    files.extend(common::json_files(&real));
    let burst = load(&common::root().join("events/burst/terraform-apply.json"));
    for r in burst["Records"].as_array().unwrap() {
        let body = r["body"].as_str().unwrap();
        files.push(("burst record".into(), serde_json::from_str(body).unwrap()));
    }
    for (file, v) in files {
        let text = std::fs::read_to_string(common::root().join("events").join(&file))
            .unwrap_or_else(|_| v.to_string());
        assert_eq!(
            iam_notify::Event::parse_json(&text),
            iam_notify::Event::parse(&v),
            "{file}"
        );
    }
}

/// The article's calls in classic format: its InputTransformer text.
#[test]
fn every_article_sample_in_classic_format_matches_its_snapshot() {
    insta::glob!("../events", "*.json", |path| {
        let event = load(path);
        if article_group(&event).is_none() {
            return;
        }
        let n =
            render_payload(&event, Format::Classic).expect("sample events are EventBridge events");
        insta::assert_snapshot!(n.body);
    });
}

/// Every other event keeps the rich body in classic format: the article has no words for it.
#[test]
fn classic_format_is_the_rich_body_outside_the_articles_rules() {
    let mut others = 0;
    for (file, event) in samples() {
        let classic = render_payload(&event, Format::Classic).unwrap();
        let rich = render_payload(&event, Format::Rich).unwrap();
        if article_group(&event).is_some() {
            assert_ne!(classic.body, rich.body, "{file}");
        } else {
            others += 1;
            assert_eq!(classic, rich, "{file}");
        }
    }
    assert!(others > 10, "samples beyond the article exist: {others}");
}

#[test]
fn every_listed_call_has_a_sample_event() {
    for call in calls::CALLS {
        let file = common::call_sample_file(call);
        assert!(
            file.exists(),
            "no sample event for {}: add {}",
            call.name,
            file.display()
        );
        let event = load(&file);
        assert_eq!(
            event["detail"]["eventName"],
            call.name,
            "{}",
            file.display()
        );
        assert_eq!(event["detail"]["eventSource"], call.source);
        let n = render_payload(&event, Format::Rich).unwrap();
        let tag = match n.severity {
            Severity::Info => "[IAM]".to_string(),
            s => format!("[IAM {}]", s.word().to_ascii_uppercase()),
        };
        assert!(
            n.subject
                .starts_with(&format!("{tag} {}", calls::unversioned(call.name))),
            "{}",
            n.subject
        );
        assert!(
            !n.body.contains("(name not recorded)"),
            "{}: {}",
            call.name,
            n.body
        );
    }
}

fn real_dir() -> std::path::PathBuf {
    fixture("real-cloudtrail")
}

/// Records AWS wrote (Stratus Red Team detonation logs): (file, subject, console link).
const REAL: &[(&str, &str, &str)] = &[
    (
        "stratus-AttachRolePolicy-1.json",
        "[IAM CRITICAL] AttachRolePolicy AdministratorAccess -> role stratus-red-team-malic... by christophe",
        "https://console.aws.amazon.com/iam/home#/roles/details/stratus-red-team-malicious-iam-role?section=permissions",
    ),
    (
        "stratus-AttachUserPolicy-1.json",
        "[IAM CRITICAL] AttachUserPolicy AdministratorAccess -> user malicious-iam-user by christophe",
        "https://console.aws.amazon.com/iam/home#/users/details/malicious-iam-user?section=permissions",
    ),
    (
        "stratus-CreateAccessKey-1.json",
        "[IAM WARNING] CreateAccessKey user stratus-red-team-backdoor-u-user by christophe",
        "https://console.aws.amazon.com/iam/home#/users/details/stratus-red-team-backdoor-u-user?section=security_credentials",
    ),
    (
        "stratus-CreateAccessKey-2.json",
        "[IAM WARNING] CreateAccessKey user malicious-iam-user by christophe",
        "https://console.aws.amazon.com/iam/home#/users/details/malicious-iam-user?section=security_credentials",
    ),
    (
        "stratus-CreateLoginProfile-1.json",
        "[IAM WARNING] CreateLoginProfile user stratus-red-team-login-profile-user by christophe",
        "https://console.aws.amazon.com/iam/home#/users/details/stratus-red-team-login-profile-user?section=security_credentials",
    ),
    (
        "stratus-CreateRole-1.json",
        "[IAM WARNING] CreateRole role stratus-red-team-malicious-iam-role by christophe",
        "https://console.aws.amazon.com/iam/home#/roles/details/stratus-red-team-malicious-iam-role",
    ),
    (
        "stratus-CreateUser-1.json",
        "[IAM] CreateUser user malicious-iam-user by christophe",
        "https://console.aws.amazon.com/iam/home#/users/details/malicious-iam-user",
    ),
    (
        "stratus-DeleteLoginProfile-1.json",
        "[IAM FAILED] DeleteLoginProfile user stratus-red-team-login-profile-user by christophe",
        "https://console.aws.amazon.com/iam/home#/users/details/stratus-red-team-login-profile-user?section=security_credentials",
    ),
    (
        "stratus-UpdateAssumeRolePolicy-1.json",
        "[IAM WARNING] UpdateAssumeRolePolicy role stratus-red-team-backdoor-r-role by christophe",
        "https://console.aws.amazon.com/iam/home#/roles/details/stratus-red-team-backdoor-r-role?section=trust_relationships",
    ),
    (
        "stratus-UpdateLoginProfile-1.json",
        "[IAM WARNING] UpdateLoginProfile user stratus-red-team-update-login-profile-user by christophe",
        "https://console.aws.amazon.com/iam/home#/users/details/stratus-red-team-update-login-profile-user?section=security_credentials",
    ),
];

#[test]
fn real_cloudtrail_records_render_with_the_right_resource() {
    let dir = real_dir();
    let files: Vec<String> = common::json_files(&dir)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    let expected: Vec<&str> = REAL.iter().map(|(f, _, _)| *f).collect();
    assert_eq!(files, expected, "every real record has an expectation here");
    for (file, subject, link) in REAL {
        let event = load(&dir.join(file));
        let n = render_payload(&event, Format::Rich).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(&n.subject, subject, "{file}");
        assert_eq!(&n.link, link, "{file}");
        assert!(
            !n.body.contains("(name not recorded)"),
            "{file}: {}",
            n.body
        );
        assert!(n.body.contains("Account:        "), "{file}");
    }
}

#[test]
fn real_records_decode_their_policy_documents() {
    let dir = real_dir();
    let n = render_payload(
        &load(&dir.join("stratus-UpdateAssumeRolePolicy-1.json")),
        Format::Rich,
    )
    .unwrap();
    assert!(
        n.body
            .contains("Trust policy:\n  {\n    \"Version\": \"2012-10-17\""),
        "{}",
        n.body
    );
    assert!(
        n.body
            .contains("\"AWS\": \"arn:aws:iam::193672423079:root\""),
        "{}",
        n.body
    );
    let n = render_payload(
        &load(&dir.join("stratus-DeleteLoginProfile-1.json")),
        Format::Rich,
    )
    .unwrap();
    assert!(
        n.body.starts_with("FAILED: the change did NOT happen."),
        "{}",
        n.body
    );
    assert!(
        n.body.contains("EntityTemporarilyUnmodifiableException"),
        "{}",
        n.body
    );
}

/// A subject names the call as people do and spends no room on what the record left
/// unknown: no API version suffix (`…20150331v2`), no `(not recorded)` placeholder. Every
/// sample and every real record, from their bytes.
#[test]
fn no_subject_carries_an_api_version_or_a_placeholder() {
    let real: Vec<(String, Value)> = common::json_files(&real_dir());
    for (file, event) in samples().into_iter().chain(real) {
        let n = render_payload(&event, Format::Rich).unwrap_or_else(|e| panic!("{file}: {e}"));
        // An API name (capitalised) ending in a date (eight digits), with or without `vN`.
        let versioned = n.subject.split(' ').any(|w| {
            let base = w.trim_end_matches(|c: char| c.is_ascii_digit());
            let base = base.strip_suffix('v').unwrap_or(w);
            let digits = base.len() - base.trim_end_matches(|c: char| c.is_ascii_digit()).len();
            w.starts_with(|c: char| c.is_ascii_uppercase()) && digits >= 8
        });
        assert!(!versioned, "{file}: {}", n.subject);
        assert!(
            !n.subject.contains("not recorded)"),
            "{file}: {}",
            n.subject
        );
    }
}
