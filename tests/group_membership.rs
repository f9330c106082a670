//! Joining a group is rated by what the group grants (issue 29, point 7): the function reads
//! the group's attached policies (AWS managed ones judged from AWS's own document, customer
//! managed ones' default versions read) and its inline policies from a fake IAM on 127.0.0.1,
//! with the same analysis as any policy; what cannot be read is said, and the alert still
//! goes out.

mod common;

use common::fake::{Answer, FakeEndpoint, by_action, fake_endpoint, fake_endpoint_by, sdk_config};
use common::handle;
use iam_notify::handler::Shell;
use iam_notify::lookups::iam::IamPolicies;
use iam_notify::publish::RecordingPublisher;
use serde_json::Value;

const OWN: &str = "123456789012";

/// AddUserToGroup: bob joins devs, in the stack's own account.
fn add_to_group() -> Value {
    let text = common::sample("AddUserToGroup")
        .to_string()
        .replace("111122223333", OWN);
    serde_json::from_str(&text).unwrap()
}

async fn published(server: &FakeEndpoint) -> (String, String) {
    let shell = Shell {
        publisher: RecordingPublisher::new(),
        names: (),
        policies: Some(IamPolicies::with_config(sdk_config(&server.url).await)),
    };
    let config = common::config(false, Default::default());
    let out = handle(&add_to_group(), &config, &shell).await.unwrap();
    assert!(out["messageId"].is_string(), "published: {out}");
    let sent = shell.publisher.sent();
    (sent[0].request.subject.clone(), sent[0].message.clone())
}

fn attached(policies: &[(&str, &str)]) -> Answer {
    let members: String = policies
        .iter()
        .map(|(name, arn)| {
            format!("<member><PolicyName>{name}</PolicyName><PolicyArn>{arn}</PolicyArn></member>")
        })
        .collect();
    Answer::iam(
        "ListAttachedGroupPolicies",
        &format!("<AttachedPolicies>{members}</AttachedPolicies><IsTruncated>false</IsTruncated>"),
    )
}

fn inline_names(names: &[&str]) -> Answer {
    let members: String = names
        .iter()
        .map(|n| format!("<member>{n}</member>"))
        .collect();
    Answer::iam(
        "ListGroupPolicies",
        &format!("<PolicyNames>{members}</PolicyNames><IsTruncated>false</IsTruncated>"),
    )
}

#[tokio::test]
async fn joining_a_group_that_holds_administrator_access_is_critical() {
    let pass_any = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}"#;
    let server = fake_endpoint_by(by_action(vec![
        (
            "ListAttachedGroupPolicies",
            attached(&[(
                "AdministratorAccess",
                "arn:aws:iam::aws:policy/AdministratorAccess",
            )]),
        ),
        ("ListGroupPolicies", inline_names(&["deploy"])),
        (
            "GetGroupPolicy",
            Answer::iam(
                "GetGroupPolicy",
                &format!(
                    "<GroupName>devs</GroupName><PolicyName>deploy</PolicyName>\
                     <PolicyDocument>{}</PolicyDocument>",
                    urlencoding::encode(pass_any)
                ),
            ),
        ),
    ]))
    .await;
    let (subject, text) = published(&server).await;
    assert!(
        subject.starts_with("[IAM CRITICAL] AddUserToGroup"),
        "{subject}"
    );
    assert!(
        text.contains(
            "through group devs, AdministratorAccess (AWS managed, v1): allows every action (\"*\") on every resource [critical: allow-all]"
        ),
        "{text}"
    );
    assert!(
        text.contains("through group devs, inline policy deploy: allows iam:PassRole on every role [critical: pass-role-any]"),
        "{text}"
    );
}

#[tokio::test]
async fn a_group_that_only_reads_stays_info() {
    let server = fake_endpoint_by(by_action(vec![
        (
            "ListAttachedGroupPolicies",
            attached(&[("ReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess")]),
        ),
        ("ListGroupPolicies", inline_names(&[])),
    ]))
    .await;
    let (subject, text) = published(&server).await;
    assert!(subject.starts_with("[IAM] AddUserToGroup"), "{subject}");
    assert!(!text.contains("Not looked up"), "{text}");
}

#[tokio::test]
async fn a_group_that_cannot_be_read_is_said_and_the_alert_goes_out() {
    let server = fake_endpoint(Answer::query_error(403, "AccessDenied")).await;
    let (subject, text) = published(&server).await;
    assert!(subject.starts_with("[IAM] AddUserToGroup"), "{subject}");
    assert!(
        text.contains(
            "what group devs grants: denied: the function may not read it (AccessDenied: its role needs iam:ListAttachedGroupPolicies)"
        ),
        "{text}"
    );
}
