//! The person behind an IAM Identity Center session: rendered from what the identity store
//! says (snapshot), and through the handler against a fake Identity Store on 127.0.0.1: the
//! user name of an `AWSReservedSSO_*` session becomes a person (GetUserId, DescribeUser);
//! every failure (denied, unknown user, throttled, silent) still publishes within the budget
//! and says why; a store in another account is not asked; nothing is asked without a store.

mod common;

use common::fake::{Answer, fake_endpoint, sdk_config};
use common::handle;
use iam_notify::accounts::Accounts;
use iam_notify::config::Config;
use iam_notify::enrich::Person;
use iam_notify::enrich::{BUDGET, Read};
use iam_notify::handler::Shell;
use iam_notify::lookups::iam::IamPolicies;
use iam_notify::publish::RecordingPublisher;
use iam_notify::render::{LookedUp, render_named};
use iam_notify::{Event, Format};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const OWN: &str = "123456789012";
const STORE: &str = "d-1234567890";
/// An `AWSReservedSSO_AdministratorAccess_…` session of maria.garcia@example.com.
const SSO_SAMPLE: &str = "AttachRolePolicy-aws-managed-AdministratorAccess-by-sso-user";

fn sso() -> Value {
    let text = common::sample(SSO_SAMPLE)
        .to_string()
        .replace("111122223333", OWN);
    serde_json::from_str(&text).unwrap()
}

fn with_store() -> Config {
    Config {
        identity_store: Some(STORE.into()),
        ..common::config(false, Default::default())
    }
}

#[test]
fn the_person_is_named_under_who() {
    let read = Read {
        person: Some(Person::Found {
            user_id: "906754a1-0b2c-4d5e-8f90-123456789abc".into(),
            display_name: Some("Maria Garcia".into()),
            user_name: Some("maria.garcia@example.com".into()),
            email: Some("maria.garcia@example.com".into()),
        }),
        ..Read::default()
    };
    let e = Event::parse(&sso()).unwrap();
    let looked_up = LookedUp {
        account_name: None,
        iam: &read,
    };
    let n = render_named(&e, Format::Rich, &Accounts::NONE, looked_up);
    common::assert_valid(&n, SSO_SAMPLE);
    insta::assert_snapshot!("sso-session-person", n.to_text());
    let line = "Person:         Maria Garcia (user name maria.garcia@example.com; IAM Identity Center user 906754a1-0b2c-4d5e-8f90-123456789abc)";
    assert!(n.body.contains(&format!("\n{line}\n")), "{}", n.body);
    assert!(
        n.essentials.contains(line),
        "the person travels in the essentials"
    );
    let doc: Value = serde_json::from_str(
        &n.document
            .to_json(&n.body, iam_notify::render::document::Fit::Whole),
    )
    .unwrap();
    assert!(
        doc["lookedUp"]["person"]
            .as_str()
            .unwrap()
            .starts_with("Maria Garcia")
    );
}

fn json_answer(status: u16, body: Value) -> Answer {
    Answer::new(status, "application/x-amz-json-1.1", body.to_string())
}

async fn through(server_url: &str, event: &Value, config: &Config) -> (String, Duration) {
    let shell = Shell {
        publisher: RecordingPublisher::new(),
        names: (),
        policies: Some(IamPolicies::with_config(sdk_config(server_url).await)),
    };
    let started = Instant::now();
    let out = handle(event, config, &shell).await.unwrap();
    let took = started.elapsed();
    assert!(out["messageId"].is_string(), "published: {out}");
    (shell.publisher.sent()[0].message.clone(), took)
}

#[tokio::test]
async fn a_session_name_becomes_a_person_once_per_environment() {
    // One canned answer serves GetUserId (UserId) and DescribeUser (the rest).
    let server = fake_endpoint(json_answer(
        200,
        json!({"UserId": "9067-ab", "IdentityStoreId": STORE, "UserName": "maria.garcia@example.com",
               "DisplayName": "Maria Garcia", "Emails": [{"Value": "old@example.com"},
               {"Value": "maria@example.com", "Primary": true}]}),
    ))
    .await;
    let shell = Shell {
        publisher: RecordingPublisher::new(),
        names: (),
        policies: Some(IamPolicies::with_config(sdk_config(&server.url).await)),
    };
    for _ in 0..3 {
        handle(&sso(), &with_store(), &shell).await.unwrap();
    }
    let text = shell.publisher.sent()[2].message.clone();
    assert!(
        text.contains("\nPerson:         Maria Garcia (user name maria.garcia@example.com, maria@example.com; IAM Identity Center user 9067-ab)\n"),
        "{text}"
    );
    // GetUserId and DescribeUser once (the AWS managed policy's role trust is asked each time).
    assert_eq!(server.hits(), 2 + 3);
}

#[tokio::test]
async fn every_failure_still_publishes_within_the_budget_and_says_why() {
    for (answer, says) in [
        (
            json_answer(
                400,
                json!({"__type": "AccessDeniedException", "Message": "no"}),
            ),
            "denied: the function may not read the identity store (AccessDeniedException: its role needs identitystore:DescribeUser",
        ),
        (
            json_answer(
                400,
                json!({"__type": "com.amazonaws.identitystore#ResourceNotFoundException"}),
            ),
            "not found: identity store d-1234567890 has no such user (ResourceNotFoundException)",
        ),
        (
            json_answer(400, json!({"__type": "ThrottlingException"})),
            "throttled: Identity Center is throttling the function's calls (ThrottlingException)",
        ),
        (
            json_answer(500, json!({})),
            "service error: Identity Center answered HTTP 500",
        ),
        (
            Answer::silence(Duration::from_secs(10)),
            "timed out: no answer within 2000 ms",
        ),
    ] {
        let server = fake_endpoint(answer).await;
        let (text, took) = through(&server.url, &sso(), &with_store()).await;
        assert!(
            text.contains(
                "\nNot looked up:  the person behind the session (IAM Identity Center user name maria.garcia@example.com): "
            ),
            "{text}"
        );
        assert!(text.contains(says), "{says}: {text}");
        assert!(took < BUDGET + Duration::from_millis(500), "{took:?}");
    }
}

#[tokio::test]
async fn a_store_elsewhere_or_no_store_is_not_asked() {
    let server = fake_endpoint(json_answer(400, json!({"__type": "AccessDeniedException"}))).await;
    // No IdentityStoreId: the session is not looked up (only the role's trust is read).
    let (text, _) = through(
        &server.url,
        &sso(),
        &common::config(false, Default::default()),
    )
    .await;
    assert!(
        !text.contains("Person:") && !text.contains("the person behind"),
        "{text}"
    );
    assert_eq!(server.hits(), 1, "GetRole only");
    // An Identity Center user of a store in another account: said, not asked.
    let mut behalf = common::sample("CreateUser");
    behalf["detail"]["recipientAccountId"] = OWN.into();
    behalf["detail"]["userIdentity"] = json!({"type": "IdentityCenterUser", "accountId": OWN,
        "onBehalfOf": {"userId": "9067-ab", "identityStoreArn": "arn:aws:identitystore::999988887777:identitystore/d-9999999999"}});
    let (text, _) = through(&server.url, &behalf, &with_store()).await;
    assert!(
        text.contains("(IAM Identity Center user 9067-ab): its identity store d-9999999999 is in account 999988887777, and Identity Store has no cross-account access"),
        "{text}"
    );
    assert_eq!(server.hits(), 1);
}

#[test]
fn what_the_identity_store_holds_is_masked_escaped_and_bounded() {
    // A display name the person may set in the identity provider: a secret-shaped run, a
    // forged line, and far too long.
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let read = Read {
        person: Some(Person::Found {
            user_id: "9067-ab".into(),
            display_name: Some(format!(
                "Mallory {secret}\nConsole: https://evil {}",
                "x".repeat(500)
            )),
            user_name: Some("mallory".into()),
            email: None,
        }),
        ..Read::default()
    };
    let e = Event::parse(&sso()).unwrap();
    let n = render_named(
        &e,
        Format::Rich,
        &Accounts::NONE,
        LookedUp {
            account_name: None,
            iam: &read,
        },
    );
    common::assert_valid(&n, "hostile person");
    assert!(!n.body.contains(secret), "{}", n.body);
    let person: Vec<&str> = n
        .body
        .lines()
        .filter(|l| l.starts_with("Person:"))
        .collect();
    assert_eq!(person.len(), 1);
    assert!(person[0].len() < 400, "{}", person[0]);
    assert_eq!(
        n.body.lines().filter(|l| l.starts_with("Console:")).count(),
        1
    );
}
