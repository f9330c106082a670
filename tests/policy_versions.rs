//! What a change means, read from IAM: a new policy version compared statement by statement
//! with the one it replaces (each finding marked new or already granted), who holds the policy
//! now, and who may assume a role whose permissions changed. Rendered from IAM's answers
//! (snapshots), and through the handler against a fake IAM on 127.0.0.1: every failure
//! (denied, gone, throttled, silent) still publishes the alert within the budget and says
//! what could not be looked up.

mod common;

use common::fake::{Answer, by_action, fake_endpoint, fake_endpoint_by, sdk_config};
use common::handle;
use iam_notify::accounts::Accounts;
use iam_notify::enrich::{BUDGET, Basis, Holders, Read, RoleTrust, Versions};
use iam_notify::handler::Shell;
use iam_notify::lookups::iam::IamPolicies;
use iam_notify::publish::RecordingPublisher;
use iam_notify::render::{LookedUp, render, render_named};
use iam_notify::severity::Severity;
use iam_notify::{Event, Format, Notification};
use proptest::prelude::*;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The stack's own account (the tests' topic is in it).
const OWN: &str = "123456789012";
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
/// What `billing-read` granted before its new version: billing reads, and reports in S3.
const BILLING_V2: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Sid":"ReadBilling","Effect":"Allow","Action":["ce:Get*","budgets:ViewBudget"],"Resource":"*"},
  {"Sid":"Reports","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::billing-reports/*"}]}"#;

fn own(name: &str) -> Value {
    let text = common::sample(name)
        .to_string()
        .replace("111122223333", OWN);
    serde_json::from_str(&text).unwrap()
}

fn rendered(name: &str, read: &Read) -> Notification<'static> {
    let e = Event::parse(&own(name)).unwrap();
    let looked_up = LookedUp {
        account_name: None,
        iam: read,
    };
    let n = render_named(&e, Format::Rich, &Accounts::NONE, looked_up);
    common::assert_valid(&n, name);
    n.into_owned()
}

fn document(n: &Notification<'_>) -> Value {
    serde_json::from_str(
        &n.document
            .to_json(&n.body, iam_notify::render::document::Fit::Whole),
    )
    .unwrap()
}

fn holders() -> Holders {
    Holders::Listed {
        roles: vec!["finance-reporting".into(), "ci-deploy".into()],
        users: vec!["alice".into()],
        groups: vec![],
        more: false,
    }
}

#[test]
fn a_new_default_version_says_what_it_changed_and_who_holds_the_policy() {
    let read = Read {
        versions: Some(Versions::Compared {
            version: "v3".into(),
            document: None,
            against: "v2".into(),
            against_document: BILLING_V2.into(),
            basis: Basis::Older,
        }),
        holders: Some(holders()),
        ..Read::default()
    };
    let n = rendered("CreatePolicyVersion", &read);
    insta::assert_snapshot!("create-policy-version-compared", n.to_text());
    assert!(n.body.contains(
        "\nCompared with:  v2, the version created before v3 (IAM does not keep which version was the default before)\n"
    ));
    assert!(n.body.contains(
        "\nHeld by:        2 roles (finance-reporting, ci-deploy), 1 user (alice), no groups\n"
    ));
    assert!(
        n.body
            .contains("\n  ~ changed statement \"ReadBilling\": actions added: ce:Describe*\n")
    );
    assert!(n.body.contains(
        "\n  - removed: \"Reports\": Allow s3:GetObject on arn:aws:s3:::billing-reports/*"
    ));
    let doc = document(&n);
    assert_eq!(doc["lookedUp"]["changes"].as_array().unwrap().len(), 2);
    assert_eq!(
        doc["lookedUp"]["heldBy"],
        "2 roles (finance-reporting, ci-deploy), 1 user (alice), no groups"
    );
    // Nothing read: the alert as before, byte for byte.
    assert_eq!(
        rendered("CreatePolicyVersion", &Read::default()),
        render(
            &Event::parse(&own("CreatePolicyVersion")).unwrap(),
            Format::Rich
        )
    );
}

#[test]
fn making_an_allow_all_version_the_default_is_critical_and_new() {
    let read = Read {
        versions: Some(Versions::Compared {
            version: "v2".into(),
            document: Some(ALLOW_ALL.into()),
            against: "v1".into(),
            against_document: BILLING_V2.into(),
            basis: Basis::OnlyOther,
        }),
        holders: Some(holders()),
        ..Read::default()
    };
    let n = rendered("SetDefaultPolicyVersion", &read);
    insta::assert_snapshot!("set-default-allow-all-compared", n.to_text());
    assert_eq!(n.severity, Severity::Critical);
    assert!(n.body.contains("[critical: allow-all]"));
    assert!(
        n.findings
            .iter()
            .any(|f| f.reason.ends_with("(new: v1 did not grant this)"))
    );
    assert!(
        n.body
            .contains("v1, the policy's only other version (so the default before)")
    );
    // The same change back: the risk was already there.
    let back = Read {
        versions: Some(Versions::Compared {
            version: "v1".into(),
            document: Some(ALLOW_ALL.into()),
            against: "v2".into(),
            against_document: ALLOW_ALL.into(),
            basis: Basis::OnlyOther,
        }),
        ..Read::default()
    };
    let n = rendered("SetDefaultPolicyVersion", &back);
    assert!(
        n.findings
            .iter()
            .any(|f| f.reason.ends_with("(already granted by v2)")),
        "{:?}",
        n.findings
    );
    assert!(
        n.body.contains("\n  nothing: both versions grant the same"),
        "{}",
        n.body
    );
}

#[test]
fn a_version_that_is_not_the_default_is_compared_with_the_default() {
    let read = Read {
        versions: Some(Versions::Compared {
            version: "v3".into(),
            document: None,
            against: "v1".into(),
            against_document: BILLING_V2.into(),
            basis: Basis::Default,
        }),
        ..Read::default()
    };
    let n = rendered("CreatePolicyVersion", &read);
    assert!(n.body.contains("v1, the policy's default version (v3 is not the default: what the policy grants has not changed yet)"));
    let alone = Read {
        versions: Some(Versions::Alone {
            version: "v3".into(),
        }),
        ..Read::default()
    };
    let n = rendered("CreatePolicyVersion", &alone);
    assert!(
        n.body
            .contains("\nCompared with:  nothing: the policy has no other version\n")
    );
}

#[test]
fn an_inline_policy_put_says_there_is_nothing_to_compare_with() {
    let read = Read {
        inline: true,
        ..Read::default()
    };
    for sample in ["PutRolePolicy", "PutUserPolicy", "PutGroupPolicy"] {
        let n = rendered(sample, &read);
        assert!(
            n.body.contains(
                "\nCompared with:  nothing: IAM keeps no earlier text of an inline policy (if this \
                 one replaced another of the same name, its text is in that earlier call's \
                 CloudTrail record)\n"
            ),
            "{sample}: {}",
            n.body
        );
        assert!(!n.body.contains("What changed"), "no diff is guessed");
    }
}

#[test]
fn a_role_whose_permissions_changed_says_who_may_assume_it() {
    let trust = r#"{"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole"},
      {"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"sts:AssumeRole",
       "Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}},
      {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/admin"},"Action":"sts:AssumeRole"}]}"#;
    let read = Read {
        trust: Some(RoleTrust::Read {
            role: "ci-deploy".into(),
            document: trust.into(),
        }),
        ..Read::default()
    };
    let n = rendered("AttachRolePolicy", &read);
    insta::assert_snapshot!("attach-role-policy-assumable-by", n.to_text());
    assert!(n.body.contains(
        "\nAssumable by:   account 999988887777 (outside this account: arn:aws:iam::999988887777:root), \
         service codebuild.amazonaws.com (with conditions), this account's arn:aws:iam::123456789012:role/admin\n"
    ), "{}", n.body);
    assert!(n.findings.iter().any(|f| {
        f.reason
            .starts_with("role ci-deploy's trust policy (read from IAM): ")
    }));
    assert_eq!(n.severity, Severity::Warning);
}

#[test]
fn each_lookup_that_failed_is_one_line() {
    let read = Read {
        versions: Some(Versions::NotRead {
            why: "it no longer exists (NoSuchEntity)".into(),
        }),
        holders: Some(Holders::NotRead {
            why: "IAM is throttling the function's calls (Throttling)".into(),
        }),
        trust: Some(RoleTrust::NotRead {
            role: "x".into(),
            why: "never asked".into(),
        }),
        ..Read::default()
    };
    let n = rendered("SetDefaultPolicyVersion", &read);
    for line in [
        "\nNot looked up:  what changed from the earlier version: it no longer exists (NoSuchEntity)\n",
        "\nNot looked up:  who holds the policy: IAM is throttling the function's calls (Throttling)\n",
        "\nNot looked up:  who may assume role x: never asked\n",
    ] {
        assert!(n.body.contains(line), "{line}: {}", n.body);
    }
    assert_eq!(
        document(&n)["lookedUp"]["notLookedUp"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever IAM holds (names and documents are written by the person being watched), the
    /// alert keeps its shape: no forged line, nothing hidden, within SNS's limits.
    #[test]
    fn what_iam_holds_cannot_forge_lines(
        name in "[a-z]{1,8}(\n|\r|\u{2028}|\u{1b}\\[2J|Subject: x|\nConsole: https://evil){0,3}",
        count in 0usize..400,
        action in "[a-z]{1,5}:[A-Za-z*]{1,10}(\nSeverity: INFO)?",
    ) {
        let doc = |n: usize| serde_json::json!({"Version": "2012-10-17", "Statement":
            (0..n).map(|i| serde_json::json!({"Sid": format!("{name}{i}"), "Effect": "Allow",
                "Action": [action.clone()], "Resource": format!("arn:aws:s3:::{name}/{i}")}))
                .collect::<Vec<_>>()}).to_string();
        let read = Read {
            versions: Some(Versions::Compared { version: "v9".into(), document: Some(doc(count)),
                against: "v8".into(), against_document: doc(count / 2), basis: Basis::Older }),
            holders: Some(Holders::Listed { roles: vec![name.clone(); count % 50], users: vec![name.clone()],
                groups: vec![], more: true }),
            trust: Some(RoleTrust::Read { role: name.clone(), document: format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":{:?}}}}}]}}"#, name) }),
            ..Read::default()
        };
        for sample in ["SetDefaultPolicyVersion", "AttachRolePolicy"] {
            let n = rendered(sample, &read);
            let text = n.to_text();
            for label in ["Console:", "Subject:", "Severity:", "Who:"] {
                prop_assert_eq!(text.lines().filter(|l| l.starts_with(label)).count(), 1, "{}", label);
            }
            let hidden = n.body.contains('\u{1b}') || n.body.contains('\r');
            prop_assert!(!hidden, "hidden characters in the body");
        }
    }
}

#[tokio::test]
async fn every_failure_still_publishes_within_the_budget_and_says_why() {
    let config = common::config(false, Default::default());
    // What each failure says, and how many requests the two lookups made: throttling and
    // server errors are tried twice (the SDK's retry settings), the rest once.
    for (answer, says, requests) in [
        (
            Answer::query_error(403, "AccessDenied"),
            "denied: the function may not read it (AccessDenied: its role needs iam:ListPolicyVersions)",
            2,
        ),
        (
            Answer::query_error(404, "NoSuchEntity"),
            "not found: it no longer exists (NoSuchEntity)",
            2,
        ),
        (
            Answer::query_error(400, "Throttling"),
            "throttled: IAM is throttling the function's calls (Throttling)",
            4,
        ),
        (
            Answer::query_error(503, "ServiceUnavailable"),
            "service error: IAM answered HTTP 503 ServiceUnavailable",
            4,
        ),
        (
            Answer::silence(Duration::from_secs(10)),
            "timed out: no answer within 2000 ms",
            2,
        ),
    ] {
        let server = fake_endpoint(answer).await;
        let shell = Shell {
            publisher: RecordingPublisher::new(),
            names: (),
            policies: Some(IamPolicies::with_config(sdk_config(&server.url).await)),
        };
        let started = Instant::now();
        let out = handle(&own("SetDefaultPolicyVersion"), &config, &shell)
            .await
            .unwrap();
        let took = started.elapsed();
        assert!(out["messageId"].is_string(), "published: {out}");
        let text = shell.publisher.sent()[0].message.clone();
        assert!(
            text.contains("Not looked up:  what changed from the earlier version: "),
            "{text}"
        );
        assert!(
            text.contains("Not looked up:  who holds the policy: "),
            "{text}"
        );
        assert!(text.contains(says), "{says}: {text}");
        assert!(took < BUDGET + Duration::from_millis(500), "{took:?}");
        assert_eq!(
            server.hits(),
            requests,
            "ListPolicyVersions and ListEntitiesForPolicy, side by side: {says}"
        );
    }
}

#[tokio::test]
async fn a_member_account_is_read_through_its_read_role_or_says_why_not() {
    // Central mode: the record is a member's; STS refuses the member's read role.
    let server = fake_endpoint(Answer::query_error(403, "AccessDenied")).await;
    let shell = Shell {
        publisher: RecordingPublisher::new(),
        names: (),
        policies: Some(IamPolicies::with_config_for(
            sdk_config(&server.url).await,
            "210987654321",
            true,
        )),
    };
    let config = iam_notify::config::Config {
        accounts: Accounts::parse(None, Some("o-a1b2c3d4e5")).unwrap(),
        delivery: iam_notify::config::Delivery::Publish(
            iam_notify::config::TopicArn::parse("arn:aws:sns:us-east-1:210987654321:iam-notify")
                .unwrap(),
        ),
        ..common::config(false, Default::default())
    };
    let started = Instant::now();
    handle(&own("SetDefaultPolicyVersion"), &config, &shell)
        .await
        .unwrap();
    assert!(started.elapsed() < BUDGET + Duration::from_millis(500));
    let text = shell.publisher.sent()[0].message.clone();
    assert!(
        text.contains(
            "Not looked up:  what changed from the earlier version: denied: the function may not \
             read account 123456789012 (assuming its iam-notify-central-read role: "
        ),
        "{text}"
    );
    assert!(text.contains("deploy forwarder.yaml there with CentralFunctionRoleArn)"));
    // Without central mode, another account's record asks nothing.
    let single = IamPolicies::with_config_for(sdk_config(&server.url).await, "210987654321", false);
    let hits = server.hits();
    let shell = Shell {
        publisher: RecordingPublisher::new(),
        names: (),
        policies: Some(single),
    };
    let single_config = iam_notify::config::Config {
        accounts: Accounts::NONE,
        ..config
    };
    handle(&own("SetDefaultPolicyVersion"), &single_config, &shell)
        .await
        .unwrap();
    assert_eq!(server.hits(), hits);
}

#[tokio::test]
async fn iams_answers_become_the_comparison_the_holders_and_the_trust() {
    // IAM's answers as IAM writes them: ListPolicyVersions (v1, v2), GetPolicyVersion (the
    // allow-all document), ListEntitiesForPolicy (one role, one user).
    let server = fake_endpoint_by(by_action(vec![
        (
            "ListPolicyVersions",
            Answer::iam(
                "ListPolicyVersions",
                "<Versions><member><VersionId>v1</VersionId><IsDefaultVersion>false</IsDefaultVersion>\
                 <CreateDate>2026-01-01T00:00:00Z</CreateDate></member><member><VersionId>v2</VersionId>\
                 <IsDefaultVersion>true</IsDefaultVersion><CreateDate>2026-02-01T00:00:00Z</CreateDate></member>\
                 </Versions><IsTruncated>false</IsTruncated>",
            ),
        ),
        (
            "GetPolicyVersion",
            Answer::iam(
                "GetPolicyVersion",
                &format!(
                    "<PolicyVersion><Document>{}</Document></PolicyVersion>",
                    urlencoding::encode(ALLOW_ALL)
                ),
            ),
        ),
        (
            "ListEntitiesForPolicy",
            Answer::iam(
                "ListEntitiesForPolicy",
                "<PolicyRoles><member><RoleName>ci-deploy</RoleName><RoleId>AROA1</RoleId></member></PolicyRoles>\
                 <PolicyUsers><member><UserName>alice</UserName><UserId>AIDA1</UserId></member></PolicyUsers>\
                 <PolicyGroups/><IsTruncated>false</IsTruncated>",
            ),
        ),
    ]))
    .await;
    let shell = Shell {
        publisher: RecordingPublisher::new(),
        names: (),
        policies: Some(IamPolicies::with_config(sdk_config(&server.url).await)),
    };
    let config = common::config(false, Default::default());
    handle(&own("SetDefaultPolicyVersion"), &config, &shell)
        .await
        .unwrap();
    let text = shell.publisher.sent()[0].message.clone();
    assert!(
        text.contains(
            "\nCompared with:  v1, the policy's only other version (so the default before)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("\nHeld by:        1 role (ci-deploy), 1 user (alice), no groups\n"),
        "{text}"
    );
    assert!(
        text.contains("nothing: both versions grant the same"),
        "{text}"
    );
    // ListPolicyVersions, two GetPolicyVersion, ListEntitiesForPolicy.
    assert_eq!(server.hits(), 4);
}
