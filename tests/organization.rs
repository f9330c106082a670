//! An organization's central stack (`ORGANIZATION_ID`, `ACCOUNT_NAMES`): alerts name the
//! account they happened in, member accounts' heartbeats are counted by account, and the
//! names (the administrators' text) can break no limit and forge no line.

mod common;

use common::handle;
use common::{assert_valid, load, root, sample};
use iam_notify::accounts::Accounts;
use iam_notify::config::Config;
use iam_notify::delivery::{ChatFormat, publish_request};
use iam_notify::publish::RecordingPublisher;
use iam_notify::render::{Document, render_in};
use iam_notify::{Event, Format, render, render_batch_in};
use proptest::prelude::*;
use serde_json::{Value, json};

const ORG: &str = "o-a1b2c3d4e5";
const MEMBER: &str = "444455556666";

fn member(name: &str) -> Value {
    load(&root().join(format!("events/organization/{name}.json")))
}

fn named(names: &str) -> Accounts {
    Accounts::parse(Some(names), Some(ORG)).unwrap()
}

fn central(dry_run: bool, names: &str) -> Config {
    Config {
        accounts: named(names),
        ..common::config(dry_run, Default::default())
    }
}

fn parse(v: &Value) -> Event<'static> {
    Event::parse(v).unwrap()
}

#[test]
fn a_member_accounts_alert_names_the_account_in_subject_body_and_document() {
    let e = parse(&member("AttachRolePolicy-in-member-account"));
    let n = render_in(&e, Format::Rich, &named("444455556666=prod-payments"));
    insta::assert_snapshot!("member-alert-named", n.to_text());
    assert!(
        n.subject
            .starts_with("[IAM WARNING] prod-payments: AttachRolePolicy ")
    );
    assert!(
        n.body
            .contains("\nAccount:        444455556666 (prod-payments)\n")
    );
    let Document::Alert(doc) = &n.document else {
        panic!("an alert")
    };
    assert_eq!(doc.event.account.as_deref(), Some(MEMBER));
    assert_eq!(doc.event.account_name.as_deref(), Some("prod-payments"));
    let r = publish_request(&n, ChatFormat::None);
    assert!(r.attributes.contains(&("account", MEMBER.to_string())));
    assert_valid(&n, "member alert");
}

#[test]
fn without_a_name_the_central_subject_gives_the_account_id() {
    let e = parse(&member("AttachRolePolicy-in-member-account"));
    let n = render_in(&e, Format::Rich, &named("111122223333=central"));
    assert!(
        n.subject
            .starts_with("[IAM WARNING] 444455556666: AttachRolePolicy "),
        "{}",
        n.subject
    );
    assert!(n.body.contains("\nAccount:        444455556666\n"));
    let Document::Alert(doc) = &n.document else {
        panic!("an alert")
    };
    assert_eq!(doc.event.account_name, None);
    let json = n
        .document
        .to_json(&n.body, iam_notify::render::document::Fit::Compact)
        .to_string();
    assert!(!json.contains("accountName"), "fields only when known");
}

#[test]
fn a_single_account_stack_renders_exactly_as_before() {
    for (file, v) in common::samples() {
        let e = parse(&v);
        assert_eq!(
            render_in(&e, Format::Rich, &Accounts::NONE),
            render(&e, Format::Rich),
            "{file}"
        );
    }
}

#[test]
fn a_long_name_is_cut_in_the_subject_and_kept_whole_in_the_body() {
    let name = "Payments Platform Production EU-West (PCI)";
    let e = parse(&member("AttachRolePolicy-in-member-account"));
    let n = render_in(&e, Format::Rich, &named(&format!("{MEMBER}={name}")));
    assert!(
        n.subject
            .starts_with("[IAM WARNING] Payments Platform Pro...: AttachRolePolicy"),
        "{}",
        n.subject
    );
    assert!(n.body.contains(&format!("({name})")));
    assert_valid(&n, "long name");
}

#[test]
fn a_digest_of_a_member_session_names_its_account() {
    let mut burst = load(&root().join("events/burst/terraform-apply.json"));
    for r in burst["Records"].as_array_mut().unwrap() {
        let body = r["body"].as_str().unwrap().replace("111122223333", MEMBER);
        r["body"] = json!(body);
    }
    let sent = render_batch_in(&burst, Format::Rich, &named("444455556666=prod-payments")).unwrap();
    let digest = sent.last().unwrap();
    assert!(
        digest
            .subject
            .starts_with("[IAM] prod-payments: 18 changes by ci-deploy/GitHubActions"),
        "{}",
        digest.subject
    );
    assert!(
        digest
            .body
            .contains("\nAccount:        444455556666 (prod-payments)\n")
    );
    let Document::Digest(doc) = &digest.document else {
        panic!("a digest")
    };
    assert_eq!(doc.account_name.as_deref(), Some("prod-payments"));
    for n in &sent {
        assert_valid(n, &n.subject);
    }
}

#[tokio::test]
async fn a_member_accounts_heartbeat_is_counted_by_account_in_central_mode() {
    let publisher = RecordingPublisher::new();
    let logs = common::LogCapture::start();
    let out = handle(
        &member("TagRole-member-heartbeat"),
        &central(false, ""),
        &publisher,
    )
    .await
    .unwrap();
    assert_eq!(out["heartbeat"], true);
    assert_eq!(out["account"], MEMBER);
    assert!(publisher.sent().is_empty(), "a heartbeat sends no email");
    assert!(logs.text().contains(r#""outcome":"heartbeat""#));
    // Outside central mode the same event is an ordinary alert.
    let out = handle(
        &member("TagRole-member-heartbeat"),
        &common::config(false, Default::default()),
        &publisher,
    )
    .await
    .unwrap();
    assert_eq!(out["messageId"], "recorded-1");
}

#[tokio::test]
async fn what_only_looks_like_a_member_heartbeat_is_an_alert() {
    let base = member("TagRole-member-heartbeat");
    let issuer = "/detail/userIdentity/sessionContext/sessionIssuer/arn";
    let forged: Vec<(&str, Value)> = vec![
        // The schedule's role of another account (a role named alike, elsewhere).
        (
            "issuer in another account",
            set(
                &base,
                issuer,
                json!("arn:aws:iam::777788889999:role/iam-notify-forwarder-heartbeat"),
            ),
        ),
        // Someone else tags the canary.
        (
            "another caller",
            set(&base, issuer, json!("arn:aws:iam::444455556666:role/admin")),
        ),
        (
            "the role under a path",
            set(
                &base,
                issuer,
                json!("arn:aws:iam::444455556666:role/x/iam-notify-forwarder-heartbeat"),
            ),
        ),
        (
            "another role tagged",
            set(
                &base,
                "/detail/requestParameters/roleName",
                json!("iam-notify-forwarder-canary2"),
            ),
        ),
        (
            "a failed call",
            set(&base, "/detail/errorCode", json!("AccessDenied")),
        ),
        (
            "another call",
            set(&base, "/detail/eventName", json!("UntagRole")),
        ),
    ];
    for (why, event) in forged {
        let publisher = RecordingPublisher::new();
        let out = handle(&event, &central(false, ""), &publisher)
            .await
            .unwrap();
        assert_eq!(out["messageId"], "recorded-1", "{why}: {out}");
    }
}

/// `v` with the field at `pointer` set (added if absent) to `value`.
fn set(v: &Value, pointer: &str, value: Value) -> Value {
    let mut v = v.clone();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    v.pointer_mut(parent).unwrap()[key] = value;
    v
}

#[test]
fn the_configuration_names_what_is_wrong() {
    let env = |pairs: &[(&str, &str)]| {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(move |k| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        })
    };
    let ok = env(&[
        ("DRY_RUN", "true"),
        ("ORGANIZATION_ID", ORG),
        ("ACCOUNT_NAMES", "444455556666=prod-payments"),
    ])
    .unwrap();
    assert!(ok.accounts.central);
    assert_eq!(ok.accounts.name(MEMBER), Some("prod-payments"));
    // The template passes both, empty when unused: a single-account stack.
    let single = env(&[
        ("DRY_RUN", "true"),
        ("ORGANIZATION_ID", ""),
        ("ACCOUNT_NAMES", ""),
    ])
    .unwrap();
    assert_eq!(single.accounts, Accounts::NONE);
    let err = env(&[("DRY_RUN", "true"), ("ORGANIZATION_ID", "org-1")]).unwrap_err();
    assert!(err.0.contains("ORGANIZATION_ID must be"), "{err}");
    let err = env(&[("DRY_RUN", "true"), ("ACCOUNT_NAMES", "prod")]).unwrap_err();
    assert!(err.0.contains("ACCOUNT_NAMES"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any name the configuration accepts (any printable text of up to 50 characters, bidi
    /// overrides and line separators included), on any sample: every limit holds, the
    /// subject stays printable ASCII, and no name adds a line to the body.
    #[test]
    fn no_account_name_breaks_a_limit_or_forges_a_line(
        name in "[^,=\\p{Cc}]{1,50}",
        which in 0usize..200,
    ) {
        let name = name.trim().to_string();
        prop_assume!(!name.is_empty());
        let samples = common::samples();
        let (file, mut v) = samples[which % samples.len()].clone();
        v["detail"]["recipientAccountId"] = json!(MEMBER);
        let e = parse(&v);
        let accounts = named(&format!("{MEMBER}={name}"));
        let n = render_in(&e, Format::Rich, &accounts);
        assert_valid(&n, &file);
        let plain = render(&e, Format::Rich);
        prop_assert_eq!(
            n.body.lines().count(),
            plain.body.lines().count(),
            "{}: the name added or removed a line", file
        );
        let account_line = n.body.lines().find(|l| l.starts_with("Account:")).unwrap();
        let wanted = format!("Account:        {MEMBER} (");
        prop_assert!(account_line.starts_with(&wanted), "{}", account_line);
        // Line separators and direction overrides arrive escaped, not raw.
        let hidden = |c: char| {
            matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        };
        prop_assert!(!n.body.chars().any(hidden), "{:?}", account_line);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A name AWS Organizations returns is text a member account's administrator may set
    /// (account:PutAccountName): whatever it holds, once cleaned as the lookup cleans it, on any
    /// sample, every limit holds and it adds no line and hides nothing.
    #[test]
    fn no_looked_up_name_breaks_a_limit_or_forges_a_line(
        raw in prop_oneof![
            ".{0,80}",
            "[\\n\\r\\t\u{2028}\u{2029}\u{202e}\u{1b}a-z=,:]{0,120}",
            "(Account: 1|\nConsole: https://evil|Subject: x){1,4}",
        ],
        which in 0usize..200,
    ) {
        let samples = common::samples();
        let (file, mut v) = samples[which % samples.len()].clone();
        v["detail"]["recipientAccountId"] = json!(MEMBER);
        let e = parse(&v);
        let name = iam_notify::lookups::organizations::clean_name(&raw);
        let looked_up = iam_notify::render::LookedUp { account_name: name.as_deref(), ..Default::default() };
        let n = iam_notify::render::render_named(&e, Format::Rich, &named(""), looked_up);
        assert_valid(&n, &file);
        let plain = render(&e, Format::Rich);
        prop_assert_eq!(n.body.lines().count(), plain.body.lines().count(), "{}", file);
        let hidden = |c: char| {
            matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{1b}')
        };
        prop_assert!(!n.body.chars().any(hidden));
        prop_assert!(n.subject.is_ascii());
    }
}

#[test]
fn the_member_heartbeat_sample_is_a_heartbeat_and_the_central_one_is_not_a_member_one() {
    let m = parse(&member("TagRole-member-heartbeat"));
    assert_eq!(iam_notify::heartbeat::member_heartbeat(&m), Some(MEMBER));
    let c = parse(&sample("TagRole-heartbeat-by-schedule"));
    assert_eq!(iam_notify::heartbeat::member_heartbeat(&c), None);
}
