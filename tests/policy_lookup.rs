//! What an attached customer-managed policy grants: the renderer shows the default version
//! IAM gives and makes the same findings on it as on a policy a request carries (an
//! allow-all attach is critical); against a fake IAM on 127.0.0.1 every failure (denied,
//! gone, throttled, silent) still publishes the alert, saying what could not be read, within
//! the budget; nothing is read in dry-run, with ENRICH=false, for another account's policy or
//! an AWS managed one.

mod common;

use common::fake::{Answer, FakeEndpoint, by_action, fake_endpoint, fake_endpoint_by, sdk_config};
use common::handle;
use iam_notify::accounts::Accounts;
use iam_notify::config::Config;
use iam_notify::enrich::{Attached, BUDGET, MAX_BUDGET, Read};
use iam_notify::handler::Shell;
use iam_notify::lookups::iam::IamPolicies;
use iam_notify::publish::RecordingPublisher;
use iam_notify::render::{LookedUp, render, render_named};
use iam_notify::severity::Severity;
use iam_notify::{Event, Format};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The stack's own account (the tests' topic is in it).
const OWN: &str = "123456789012";
const POLICY: &str = "arn:aws:iam::123456789012:policy/deploy-permissions";
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// AttachRolePolicy of the customer-managed `deploy-permissions`, in the stack's account, to
/// another role than the caller's (a role changing itself is `self-change`'s own test: here
/// only what the policy grants rates the alert).
fn attach() -> Value {
    let mut event: Value = serde_json::from_str(
        &common::sample("AttachRolePolicy")
            .to_string()
            .replace("111122223333", OWN),
    )
    .unwrap();
    event["detail"]["requestParameters"]["roleName"] = "app-runtime".into();
    event
}

fn read(document: &str) -> Attached {
    Attached::Read {
        arn: POLICY.into(),
        version: "v3".into(),
        document: document.into(),
    }
}

fn rendered(attached: Option<&Attached>) -> iam_notify::Notification<'static> {
    let e = Event::parse(&attach()).unwrap();
    let read = Read {
        attached: attached.cloned(),
        ..Read::default()
    };
    let looked_up = LookedUp {
        account_name: None,
        iam: &read,
    };
    render_named(&e, Format::Rich, &Accounts::NONE, looked_up).into_owned()
}

#[test]
fn attaching_a_customer_managed_allow_all_policy_is_critical_and_shows_what_it_grants() {
    let n = rendered(Some(&read(ALLOW_ALL)));
    insta::assert_snapshot!("attach-allow-all-read-from-iam", n.to_text());
    assert_eq!(n.severity, Severity::Critical);
    assert!(
        n.body
            .contains("\nPolicy version: v3 (its default version, read from IAM)\n")
    );
    common::assert_valid(&n, "enriched");
    // The iam-notify/1 document gains the version (fields only added) and carries the text.
    let doc: Value = serde_json::from_str(
        &n.document
            .to_json(&n.body, iam_notify::render::document::Fit::Whole),
    )
    .unwrap();
    assert_eq!(doc["policy"]["versionRead"], "v3");
    assert_eq!(doc["policyDocument"]["Statement"][0]["Action"], "*");
    // The same attach, unread: as before.
    let event = Event::parse(&attach()).unwrap();
    let plain = render(&event, Format::Rich);
    assert_eq!(plain.severity, Severity::Info);
    assert_eq!(rendered(None), plain);
}

#[test]
fn a_narrow_policy_read_from_iam_stays_info_and_is_shown() {
    let narrow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}]}"#;
    let n = rendered(Some(&read(narrow)));
    assert_eq!(n.severity, Severity::Info);
    assert!(n.body.contains("s3:GetObject"), "{}", n.body);
}

#[test]
fn what_could_not_be_read_is_said_in_one_line() {
    let n = rendered(Some(&Attached::NotRead {
        arn: POLICY.into(),
        why: "the policy no longer exists (NoSuchEntity)".into(),
    }));
    assert!(
        n.body.contains(
            "\nNot looked up:  what the policy grants: the policy no longer exists (NoSuchEntity)\n"
        ),
        "{}",
        n.body
    );
    assert_eq!(n.severity, Severity::Info);
    let doc: Value = serde_json::from_str(
        &n.document
            .to_json(&n.body, iam_notify::render::document::Fit::Whole),
    )
    .unwrap();
    assert_eq!(
        doc["policy"]["notRead"],
        "the policy no longer exists (NoSuchEntity)"
    );
    assert!(doc["policy"].get("versionRead").is_none());
}

#[test]
fn another_policys_text_is_not_taken_for_this_one() {
    let other = Attached::Read {
        arn: "arn:aws:iam::123456789012:policy/other".into(),
        version: "v1".into(),
        document: ALLOW_ALL.into(),
    };
    assert_eq!(rendered(Some(&other)), rendered(None));
}

async fn policies(url: &str) -> IamPolicies {
    IamPolicies::with_config(sdk_config(url).await)
}

/// Handles `event` once through IAM at `server`: the subject and text published, the time.
async fn through(
    server: &FakeEndpoint,
    event: &Value,
    config: &Config,
) -> (String, String, Duration) {
    let shell = Shell {
        publisher: RecordingPublisher::new(),
        names: (),
        policies: Some(policies(&server.url).await),
    };
    let started = Instant::now();
    let out = handle(event, config, &shell).await.unwrap();
    let took = started.elapsed();
    assert!(
        out["messageId"].is_string(),
        "the alert is published: {out}"
    );
    let sent = shell.publisher.sent();
    (
        sent[0].request.subject.clone(),
        sent[0].message.clone(),
        took,
    )
}

#[tokio::test]
async fn the_default_version_is_read_from_iam_and_makes_the_alert_critical() {
    // GetPolicy's default version, GetPolicyVersion's document, as IAM writes them.
    let server = fake_endpoint_by(by_action(vec![
        (
            "GetPolicy",
            Answer::iam(
                "GetPolicy",
                "<Policy><PolicyName>deploy-permissions</PolicyName><DefaultVersionId>v3</DefaultVersionId></Policy>",
            ),
        ),
        (
            "GetPolicyVersion",
            Answer::iam(
                "GetPolicyVersion",
                &format!(
                    "<PolicyVersion><Document>{}</Document><VersionId>v3</VersionId>\
                     <IsDefaultVersion>true</IsDefaultVersion></PolicyVersion>",
                    urlencoding::encode(ALLOW_ALL)
                ),
            ),
        ),
        (
            "GetRole",
            Answer::iam(
                "GetRole",
                &format!(
                    "<Role><RoleName>ci-deploy</RoleName><AssumeRolePolicyDocument>{}</AssumeRolePolicyDocument></Role>",
                    urlencoding::encode(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
                ),
            ),
        ),
    ]))
    .await;
    let config = common::config(false, Default::default());
    let (subject, text, _) = through(&server, &attach(), &config).await;
    assert!(
        subject.starts_with("[IAM CRITICAL] AttachRolePolicy"),
        "{subject}"
    );
    assert!(
        text.contains("v3 (its default version, read from IAM)"),
        "{text}"
    );
    assert_eq!(
        server.hits(),
        3,
        "GetPolicy, then GetPolicyVersion; GetRole for who may assume the role"
    );
}

#[tokio::test]
async fn every_failure_still_publishes_and_says_why() {
    let config = common::config(false, Default::default());
    for (answer, says) in [
        (
            Answer::query_error(403, "AccessDenied"),
            "denied: the function may not read it (AccessDenied: its role needs iam:GetPolicy)",
        ),
        (
            Answer::query_error(404, "NoSuchEntity"),
            "not found: it no longer exists (NoSuchEntity)",
        ),
        (
            Answer::query_error(400, "Throttling"),
            "throttled: IAM is throttling the function's calls (Throttling)",
        ),
        (
            Answer::query_error(500, "ServiceFailure"),
            "service error: IAM answered HTTP 500 ServiceFailure",
        ),
        (
            Answer::iam("GetPolicy", "<Policy><PolicyName>p</PolicyName></Policy>"),
            "malformed answer: iam:GetPolicy answered without a default version",
        ),
        (
            Answer::silence(Duration::from_secs(10)),
            "timed out: no answer within 2000 ms",
        ),
    ] {
        let server = fake_endpoint(answer).await;
        let (subject, text, took) = through(&server, &attach(), &config).await;
        assert!(subject.starts_with("[IAM] AttachRolePolicy"), "{subject}");
        assert!(
            text.contains("Not looked up:  what the policy grants: "),
            "{text}"
        );
        assert!(text.contains(says), "{says}: {text}");
        assert!(took < BUDGET + Duration::from_millis(500), "{took:?}");
    }
}

#[tokio::test]
async fn nothing_is_read_where_it_should_not_be() {
    let server = fake_endpoint(Answer::query_error(403, "AccessDenied")).await;
    let publishing = common::config(false, Default::default());
    // Another account's policy, an AWS managed one (to a user: a role's trust would be read),
    // a failed attach, a detach, an attach in another account.
    let to_user = |mut e: Value| {
        e["detail"]["eventName"] = "AttachUserPolicy".into();
        e["detail"]["requestParameters"]["userName"] = "alice".into();
        e
    };
    let mut elsewhere = attach();
    elsewhere["detail"]["recipientAccountId"] = "999988887777".into();
    let mut other = to_user(attach());
    other["detail"]["requestParameters"]["policyArn"] = "arn:aws:iam::999988887777:policy/x".into();
    let mut managed = to_user(attach());
    managed["detail"]["requestParameters"]["policyArn"] =
        "arn:aws:iam::aws:policy/AdministratorAccess".into();
    let mut failed = attach();
    failed["detail"]["errorCode"] = "AccessDenied".into();
    let mut detach = attach();
    detach["detail"]["eventName"] = "DetachRolePolicy".into();
    for event in [other, managed, failed, detach, elsewhere] {
        through(&server, &event, &publishing).await;
    }
    // ENRICH=false.
    let off = Config {
        enrich: false,
        ..common::config(false, Default::default())
    };
    through(&server, &attach(), &off).await;
    assert_eq!(server.hits(), 0);
    // Dry-run reads nothing either (no account to read in, nothing published).
    let shell = Shell {
        publisher: RecordingPublisher::new(),
        names: (),
        policies: Some(policies(&server.url).await),
    };
    handle(&attach(), &common::config(true, Default::default()), &shell)
        .await
        .unwrap();
    assert_eq!(server.hits(), 0);
}

#[test]
fn the_budget_parameter_is_the_codes_range_and_default() {
    // That the largest budget fits the function's timeout: tests/faults.rs
    // (production_retries_fit_inside_the_template_timeout).
    let template = std::fs::read_to_string(common::root().join("template.yaml")).unwrap();
    let block = template.split("  EnrichBudgetMs:\n").nth(1).unwrap();
    let lines: Vec<&str> = block
        .lines()
        .take_while(|l| l.starts_with("    "))
        .map(str::trim)
        .collect();
    let max = format!("MaxValue: {}", MAX_BUDGET.as_millis());
    let default = format!("Default: {}", BUDGET.as_millis());
    for line in [max.as_str(), default.as_str(), "MinValue: 100"] {
        assert!(lines.contains(&line), "{line}: {lines:?}");
    }
    assert!(template.contains("          ENRICH_BUDGET_MS: !Ref EnrichBudgetMs\n"));
    let read = |v: &str| {
        Config::from_lookup(|k| match k {
            "DRY_RUN" => Some("true".into()),
            "ENRICH_BUDGET_MS" => Some(v.into()),
            _ => None,
        })
    };
    assert_eq!(
        read("100").unwrap().enrich_budget,
        Duration::from_millis(100)
    );
    assert_eq!(read("5000").unwrap().enrich_budget, MAX_BUDGET);
    for bad in ["99", "5001", "2s"] {
        let e = read(bad).unwrap_err().to_string();
        assert!(
            e.contains("ENRICH_BUDGET_MS must be a whole number from 100 to 5000"),
            "{e}"
        );
    }
}

#[tokio::test]
async fn the_configured_budget_bounds_the_lookups() {
    let server = fake_endpoint(Answer::silence(Duration::from_secs(10))).await;
    let shell = Shell {
        publisher: RecordingPublisher::new(),
        names: (),
        policies: Some(
            IamPolicies::with_config(sdk_config(&server.url).await)
                .with_budget(Duration::from_millis(300)),
        ),
    };
    let started = Instant::now();
    handle(
        &attach(),
        &common::config(false, Default::default()),
        &shell,
    )
    .await
    .unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_millis(800), "{took:?}");
    assert!(
        shell.publisher.sent()[0]
            .message
            .contains("what the policy grants: timed out: no answer within 300 ms"),
        "{}",
        shell.publisher.sent()[0].message
    );
}
