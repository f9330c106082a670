//! Account names from AWS Organizations (and members' aliases), never at the cost of the
//! alert: against a fake endpoint on 127.0.0.1, every failure (access denied, an unknown account,
//! throttling, a server error, a slow answer, a refused connection) still publishes the alert
//! — named from `ACCOUNT_NAMES`, else by id — within the lookup's budget, and a name that
//! is found is cleaned and asked for once.

mod common;

use common::fake::{Answer, FakeEndpoint, fake_endpoint, refusing_url, sdk_config};
use common::handle;
use iam_notify::accounts::Accounts;
use iam_notify::config::Config;
use iam_notify::handler::Shell;
use iam_notify::lookups::account_alias::AliasApi;
use iam_notify::lookups::organizations::{AccountDirectory, BUDGET, Directory, OrganizationsApi};
use iam_notify::publish::RecordingPublisher;
use serde_json::Value;
use std::time::{Duration, Instant};

const MEMBER: &str = "444455556666";

/// A JSON 1.1 answer of the fake Organizations endpoint.
fn json(status: u16, body: &str) -> Answer {
    Answer::new(status, "application/x-amz-json-1.1", body)
}

async fn names(url: &str) -> Directory<OrganizationsApi> {
    Directory::new(OrganizationsApi::with_config(sdk_config(url).await))
}

fn central(mapping: &str) -> Config {
    Config {
        accounts: Accounts::parse(Some(mapping), Some("o-a1b2c3d4e5")).unwrap(),
        ..common::config(false, Default::default())
    }
}

fn member_event() -> Value {
    common::load(
        &common::root().join("events/organization/AttachRolePolicy-in-member-account.json"),
    )
}

/// Handles the member's event twice through Organizations at `server`: the subjects
/// published and the time each took.
async fn twice(server: &FakeEndpoint, mapping: &str) -> (Vec<String>, Vec<Duration>) {
    twice_through(names(&server.url).await, mapping).await
}

/// Handles the member's event twice with `names` looking the account up.
async fn twice_through<D: AccountDirectory>(
    names: D,
    mapping: &str,
) -> (Vec<String>, Vec<Duration>) {
    let shell = Shell {
        publisher: RecordingPublisher::new(),
        names,
        policies: (),
    };
    let config = central(mapping);
    let mut took = Vec::new();
    for _ in 0..2 {
        let started = Instant::now();
        let out = handle(&member_event(), &config, &shell).await.unwrap();
        took.push(started.elapsed());
        assert!(
            out["messageId"].is_string(),
            "the alert is published: {out}"
        );
    }
    let subjects = shell
        .publisher
        .sent()
        .iter()
        .map(|p| p.request.subject.clone())
        .collect();
    (subjects, took)
}

fn assert_named(subjects: &[String], label: &str) {
    assert_eq!(subjects.len(), 2);
    for s in subjects {
        assert!(
            // (The sample's role changes its own permissions: a self-change warning.)
            s.starts_with(&format!("[IAM WARNING] {label}: AttachRolePolicy")),
            "{s}"
        );
    }
}

#[tokio::test]
async fn a_name_found_is_used_cleaned_and_asked_for_once() {
    let server = fake_endpoint(json(
        200,
        r#"{"Account":{"Id":"444455556666","Name":"Payments\nProduction","Status":"ACTIVE"}}"#,
    ))
    .await;
    let (subjects, _) = twice(&server, &format!("{MEMBER}=from-the-mapping")).await;
    assert_named(&subjects, "Payments Production");
    assert_eq!(server.hits(), 1, "cached for the environment");
}

#[tokio::test]
async fn access_denied_falls_back_to_the_mapping_and_stops_asking() {
    let server = fake_endpoint(json(
        400,
        r#"{"__type":"AccessDeniedException","Message":"not the management account"}"#,
    ))
    .await;
    let logs = common::LogCapture::start();
    let (subjects, _) = twice(&server, &format!("{MEMBER}=prod-payments")).await;
    assert_named(&subjects, "prod-payments");
    assert_eq!(server.hits(), 1, "denied: not asked again");
    let text = logs.text();
    assert_eq!(
        text.matches("organizations:DescribeAccount is denied")
            .count(),
        1,
        "one warning, saying how to grant it: {text}"
    );
}

#[tokio::test]
async fn an_unknown_account_is_shown_by_id_and_remembered() {
    let server = fake_endpoint(json(
        400,
        r#"{"__type":"AccountNotFoundException","Message":"no such account"}"#,
    ))
    .await;
    let (subjects, _) = twice(&server, "").await;
    assert_named(&subjects, MEMBER);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_once_then_the_alert_goes_without_and_lookups_rest()
 {
    for body in [
        (
            400,
            r#"{"__type":"TooManyRequestsException","Message":"slow down"}"#,
        ),
        (500, r#"{"__type":"ServiceException","Message":"oops"}"#),
    ] {
        let server = fake_endpoint(json(body.0, body.1)).await;
        let (subjects, took) = twice(&server, &format!("{MEMBER}=prod-payments")).await;
        assert_named(&subjects, "prod-payments");
        // Two attempts for the first alert; the lookups then rest (a minute), so the second
        // alert asks nothing.
        assert_eq!(server.hits(), 2, "{}", body.1);
        assert!(took.iter().all(|t| *t < BUDGET), "{took:?}");
    }
}

#[tokio::test]
async fn a_silent_endpoint_costs_at_most_the_budget() {
    let server = fake_endpoint(Answer::silence(Duration::from_secs(10))).await;
    let (subjects, took) = twice(&server, "").await;
    assert_named(&subjects, MEMBER);
    for t in took {
        assert!(t < BUDGET + Duration::from_millis(500), "{t:?}");
    }
}

#[tokio::test]
async fn a_refused_connection_still_publishes() {
    let url = refusing_url();
    let shell = Shell {
        publisher: RecordingPublisher::new(),
        names: names(&url).await,
        policies: (),
    };
    let out = handle(&member_event(), &central(""), &shell).await.unwrap();
    assert!(out["messageId"].is_string());
    assert!(
        shell.publisher.sent()[0]
            .request
            .subject
            .starts_with(&format!("[IAM WARNING] {MEMBER}: "))
    );
}

#[tokio::test]
async fn a_single_account_stack_asks_nothing() {
    let server = fake_endpoint(json(200, r#"{"Account":{"Name":"x"}}"#)).await;
    let shell = Shell {
        publisher: RecordingPublisher::new(),
        names: names(&server.url).await,
        policies: (),
    };
    handle(
        &member_event(),
        &common::config(false, Default::default()),
        &shell,
    )
    .await
    .unwrap();
    assert_eq!(server.hits(), 0);
}

/// The member's alias through a fake STS/IAM endpoint (the happy path runs against moto in
/// tests/infra/test_organization.py).
async fn aliases(url: &str) -> Directory<AliasApi> {
    Directory::new(AliasApi::with_config(sdk_config(url).await, None, true))
}

async fn twice_by_alias(server: &FakeEndpoint, mapping: &str) -> (Vec<String>, Vec<Duration>) {
    twice_through(aliases(&server.url).await, mapping).await
}

#[tokio::test]
async fn a_member_without_the_read_role_is_named_from_the_mapping_and_not_asked_again() {
    let server = fake_endpoint(Answer::new(
        403,
        "text/xml",
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
         <Message>not authorized to perform sts:AssumeRole</Message></Error></ErrorResponse>",
    ))
    .await;
    let (subjects, _) = twice_by_alias(&server, &format!("{MEMBER}=prod-payments")).await;
    assert_named(&subjects, "prod-payments");
    assert_eq!(server.hits(), 1, "no read role there: remembered");
}

#[tokio::test]
async fn a_silent_sts_costs_at_most_the_budget() {
    let server = fake_endpoint(Answer::silence(Duration::from_secs(10))).await;
    let (subjects, took) = twice_by_alias(&server, "").await;
    assert_named(&subjects, MEMBER);
    for t in took {
        assert!(t < BUDGET + Duration::from_millis(500), "{t:?}");
    }
}
