//! Every severity rule fires on an event that shows it, and the subject carries the severity.

use iam_notify::severity::{RULES, Severity};
use iam_notify::{Format, render_payload};
use serde_json::{Value, json};

fn sample(name: &str) -> Value {
    let path = format!("{}/events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn with(mut event: Value, path: &[&str], value: Value) -> Value {
    let mut v = &mut event;
    for key in &path[..path.len() - 1] {
        v = &mut v[*key];
    }
    v[path[path.len() - 1]] = value;
    event
}

fn policy(doc: Value) -> Value {
    with(
        sample("PutRolePolicy"),
        &["detail", "requestParameters", "policyDocument"],
        json!(doc.to_string()),
    )
}

fn trust(principal: Value) -> Value {
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]});
    with(
        sample("UpdateAssumeRolePolicy"),
        &["detail", "requestParameters", "policyDocument"],
        json!(doc.to_string()),
    )
}

fn allow(action: &str) -> Value {
    policy(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}),
    )
}

/// (rule, an event that fires it).
fn cases() -> Vec<(&'static str, Value)> {
    vec![
        ("root-user", sample("CreateUser-by-root-via-sso")),
        ("root-console-sign-in", sample("ConsoleLogin")),
        (
            "admin-policy-attached",
            sample("AttachRolePolicy-aws-managed-AdministratorAccess-by-sso-user"),
        ),
        (
            "broad-policy-attached",
            with(
                sample("AttachUserPolicy"),
                &["detail", "requestParameters", "policyArn"],
                json!("arn:aws:iam::aws:policy/PowerUserAccess"),
            ),
        ),
        ("allow-all", allow("*")),
        ("allow-iam-all", allow("iam:*")),
        ("allow-service-all", allow("s3:*")),
        ("pass-role-any", allow("iam:PassRole")),
        (
            "allow-not-action",
            policy(
                json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}),
            ),
        ),
        ("privilege-escalation", allow("iam:CreatePolicyVersion")),
        ("trust-anyone", trust(json!({"AWS": "*"}))),
        (
            "trust-other-account",
            trust(json!({"AWS": "arn:aws:iam::999988887777:root"})),
        ),
        ("default-version-changed", sample("CreatePolicyVersion")),
        ("new-credential", sample("CreateAccessKey")),
        ("mfa-removed", sample("DeactivateMFADevice")),
        ("boundary-removed", sample("DeleteRolePermissionsBoundary")),
        (
            "identity-provider-changed",
            sample("CreateOpenIDConnectProvider"),
        ),
        ("denied", sample("AttachRolePolicy-denied")),
    ]
}

#[test]
fn every_rule_fires_and_sets_the_subject() {
    let cases = cases();
    let tested: Vec<&str> = cases.iter().map(|(r, _)| *r).collect();
    let all: Vec<&str> = RULES.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(tested, all, "one case per rule, in the table's order");
    for ((rule, event), (_, severity, _)) in cases.into_iter().zip(RULES) {
        let n = render_payload(&event, Format::Rich).unwrap();
        assert!(
            n.findings.iter().any(|f| f.rule == rule),
            "{rule}: {:?}",
            n.findings
        );
        let line = format!("[{}: {rule}]", severity.word());
        assert!(
            n.body.contains(&line),
            "{rule}: the body lists it\n{}",
            n.body
        );
        let tag = match (rule, *severity) {
            ("denied", _) => "[IAM DENIED]",
            (_, Severity::Critical) => "CRITICAL]",
            (_, Severity::Warning) => "WARNING]",
            (_, Severity::Info) => "]",
        };
        assert!(n.subject.contains(tag), "{rule}: {}", n.subject);
    }
}

#[test]
fn plain_changes_are_info() {
    for name in [
        "CreateGroup",
        "DeletePolicy",
        "DetachRolePolicy",
        "UpdateUser",
        "RemoveUserFromGroup",
    ] {
        let n = render_payload(&sample(name), Format::Rich).unwrap();
        assert_eq!(n.severity, Severity::Info, "{name}: {:?}", n.findings);
        assert!(
            n.subject.starts_with(&format!("[IAM] {name}")),
            "{}",
            n.subject
        );
    }
}

#[test]
fn a_denied_call_is_at_most_a_warning_whatever_it_tried() {
    let event = with(
        sample("AttachRolePolicy-denied"),
        &["detail", "requestParameters"],
        json!({"roleName": "ci-deploy", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    );
    let n = render_payload(&event, Format::Rich).unwrap();
    assert!(
        n.findings.iter().any(|f| f.rule == "admin-policy-attached"),
        "what it tried is said"
    );
    assert_eq!(n.severity, Severity::Warning);
}

#[test]
fn the_readme_lists_every_rule_with_its_severity() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for (id, severity, _) in RULES {
        let row = format!("| `{id}` | {} |", severity.word());
        assert!(readme.contains(&row), "README.md has no row {row}");
    }
}
