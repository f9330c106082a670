//! `MESSAGE_FORMAT=classic` reproduces the article's InputTransformer messages.

mod common;

use common::{fixture, load};
use iam_notify::classic::{POLICY_TEMPLATE, PRINCIPAL_TEMPLATE};
use iam_notify::{Format, render_payload};
use serde_json::{Value, json};

/// The article's two rules' InputTemplates, from its CloudFormation template.
fn article_templates() -> Vec<String> {
    let template = load(&fixture("article/template.json"));
    ["EventRulePolicyMonitor", "EventRulePrincipalsMonitor"]
        .iter()
        .map(|rule| {
            template["Resources"][rule]["Properties"]["Targets"][0]["InputTransformer"]
                ["InputTemplate"]
                .as_str()
                .unwrap_or_else(|| panic!("{rule} has an InputTemplate"))
                .to_string()
        })
        .collect()
}

#[test]
fn our_templates_are_the_articles_byte_for_byte() {
    assert_eq!(
        article_templates(),
        vec![POLICY_TEMPLATE.to_string(), PRINCIPAL_TEMPLATE.to_string()]
    );
}

fn event(name: &str, request: Value) -> Value {
    json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "detail": {
        "eventSource": "iam.amazonaws.com", "eventName": name, "eventTime": "2020-11-13T00:00:00Z",
        "sourceIPAddress": "X.Y.Z.T", "requestParameters": request,
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/your-role"}}})
}

/// The article's sample email: CreatePolicy of 'test-policy' with no policyArn. (The article
/// shows the text wrapped and without its quotes; the words are the same.)
#[test]
fn policy_rule_matches_the_articles_sample_email() {
    let n = render_payload(
        &event("CreatePolicy", json!({"policyName": "test-policy"})),
        Format::Classic,
    )
    .unwrap();
    assert_eq!(
        n.body,
        "\"API Call 'CreatePolicy' was issued on policy 'test-policy'. This occurred at '2020-11-13T00:00:00Z' \
and was initiated by 'arn:aws:sts::123456789012:assumed-role/your-role' from IP 'X.Y.Z.T'. \
Please review the details here: https://console.aws.amazon.com/iam/home?region=us-east-1#/policies/$jsonEditor?section=attached_entities .\"\n"
    );
    let sample = std::fs::read_to_string(fixture("article/sample-email.txt")).unwrap();
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let sample = flat(&sample);
    let ours = flat(n.body.trim_matches(|c| c == '"' || c == '\n'));
    assert!(
        sample.starts_with(ours.split(" Please review").next().unwrap()),
        "{sample}\n{ours}"
    );
    assert!(sample.contains("#/policies/$jsonEditor?section=attached_entities"));
}

#[test]
fn principal_rule_concatenates_the_names_it_finds() {
    let n = render_payload(
        &event("DeleteRole", json!({"roleName": "old"})),
        Format::Classic,
    )
    .unwrap();
    assert_eq!(
        n.body,
        "\"API Call 'DeleteRole' was issued on 'old'. This occurred at '2020-11-13T00:00:00Z' and was initiated by \
'arn:aws:sts::123456789012:assumed-role/your-role' from IP 'X.Y.Z.T'. \"\n"
    );
}

#[test]
fn missing_null_and_odd_values_follow_eventbridge() {
    // null request: every request placeholder is empty.
    let n = render_payload(&event("AttachRolePolicy", Value::Null), Format::Classic).unwrap();
    assert!(
        n.body
            .starts_with("\"API Call 'AttachRolePolicy' was issued on policy ''."),
        "{}",
        n.body
    );
    // quotes are escaped (the value sits in a JSON string); a value naming a placeholder stays as is.
    let n = render_payload(
        &event("PutRolePolicy", json!({"policyName": "a\"<policyArn>"})),
        Format::Classic,
    )
    .unwrap();
    assert!(
        n.body.contains("on policy 'a\\\"<policyArn>'"),
        "{}",
        n.body
    );
}

#[test]
fn calls_outside_the_articles_rules_keep_the_rich_body() {
    let n = render_payload(&event("TagRole", json!({"roleName": "r"})), Format::Classic).unwrap();
    assert!(
        n.body.starts_with("arn:aws:sts::123456789012:assumed-role/your-role called TagRole on iam.amazonaws.com.\n"),
        "{}",
        n.body
    );
}
