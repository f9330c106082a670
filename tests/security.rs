//! Hostile records: whoever is watched writes most of the event. No input may make the alert
//! carry a secret, forge a line, or stop it from being delivered. The records here are made by
//! hand to attack one point each; they are not usage samples (those live in `events/`).

mod common;

use common::config;
use common::handle;
use iam_notify::delivery::{ChatFormat, sns_message};
use iam_notify::publish::RecordingPublisher;
use iam_notify::severity::Rule;
use iam_notify::{Format, render_payload};
use serde_json::{Value, json};

/// An API call record of `name` with these request parameters, by an IAM user.
fn call(name: &str, source: &str, request: Value) -> Value {
    json!({"version": "0", "id": "e", "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
        "account": "111122223333", "time": "2026-11-24T09:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"eventVersion": "1.09", "eventSource": source, "eventName": name,
            "eventTime": "2026-11-24T09:00:00Z", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.9",
            "userAgent": "aws-cli/2", "eventID": "hostile-1", "requestID": "r", "recipientAccountId": "111122223333",
            "userIdentity": {"type": "IAMUser", "userName": "mallory", "accountId": "111122223333",
                             "arn": "arn:aws:iam::111122223333:user/mallory"},
            "requestParameters": request, "responseElements": null}})
}

/// Everything the function puts out for `event`: the rendered text, both SNS messages, the
/// dry-run response and the log lines of a dry-run and of a publish.
async fn every_output(event: &Value) -> String {
    let mut out = String::new();
    for format in [Format::Rich, Format::Classic] {
        let n = render_payload(event, format).unwrap();
        out.push_str(&n.to_text());
        out.push_str(&n.sms);
        out.push_str(&serde_json::to_string(&n).unwrap());
        for chat in ChatFormat::ALL {
            out.push_str(&sns_message(&n, chat));
        }
    }
    let captured = common::LogCapture::start();
    for dry_run in [true, false] {
        let publisher = RecordingPublisher::new();
        let response = handle(event, &config(dry_run, Default::default()), &publisher).await;
        out.push_str(&format!("{response:?}"));
        for p in publisher.sent() {
            out.push_str(&format!("{p:?}"));
        }
    }
    out.push_str(&captured.text());
    out
}

const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

#[tokio::test]
async fn passwords_keys_tokens_and_mfa_codes_are_redacted_in_every_output() {
    let cases = [
        call(
            "ChangePassword",
            "iam.amazonaws.com",
            json!({"oldPassword": "Old-Secret-1", "newPassword": "New-Secret-2"}),
        ),
        call(
            "EnableMFADevice",
            "iam.amazonaws.com",
            json!({"userName": "bob", "serialNumber": "arn:aws:iam::111122223333:mfa/bob",
                   "authenticationCode1": "918273", "authenticationCode2": "564738"}),
        ),
        call(
            "CreateUser",
            "iam.amazonaws.com",
            json!({"userName": "bob", "tags": [{"key": "k", "nested": {"Password": "Nested-Secret-3"}}]}),
        ),
        // An STS-shaped record, misshapen (userIdentity a string), whose credentials reach
        // the alert's parameter lines: secrets excepted.
        {
            let credentials = json!({
                "accessKeyId": "ASIAEXAMPLEKEYID1234", "secretAccessKey": "Sts-Secret-4",
                "sessionToken": "FwoGZXIvYXdzEXAMPLE-Session-Token-5"});
            let mut e = call(
                "AssumeRole",
                "sts.amazonaws.com",
                json!({"roleArn": "arn:aws:iam::1:role/r", "credentials": credentials}),
            );
            e["detail"]["userIdentity"] = json!("not an object");
            e["detail"]["responseElements"] = json!({ "credentials": credentials });
            e
        },
        {
            let mut e = call(
                "CreateAccessKey",
                "iam.amazonaws.com",
                json!({"userName": "bob"}),
            );
            e["detail"]["errorCode"] = json!("InvalidInput");
            e["detail"]["errorMessage"] = json!(format!("key {SECRET_KEY} rejected"));
            e["detail"]["userAgent"] = json!(format!("aws-cli/2 {SECRET_KEY}"));
            e
        },
    ];
    let secrets = [
        "Old-Secret-1",
        "New-Secret-2",
        "918273",
        "564738",
        "Nested-Secret-3",
        "Sts-Secret-4",
        "Session-Token-5",
        SECRET_KEY,
    ];
    for event in &cases {
        let all = every_output(event).await;
        for secret in secrets {
            assert!(
                !all.contains(secret),
                "{secret} leaked for {}",
                event["detail"]["eventName"]
            );
        }
    }
    // Where the alert shows the parameters (a generic call), it says that something was there.
    let change = every_output(&cases[0]).await;
    assert!(change.contains("oldPassword = (redacted)"), "{change}");
    let sts = every_output(&cases[3]).await;
    assert!(sts.contains(r#""secretAccessKey":"(redacted)""#), "{sts}");
    assert!(
        sts.contains("ASIAEXAMPLEKEYID1234"),
        "access key IDs are identifiers and stay"
    );
}

/// Characters a reader cannot see for what they are.
const HIDDEN: &[char] = &[
    '\u{2028}',
    '\u{2029}',
    '\u{2060}',
    '\u{ad}',
    '\u{61c}',
    '\u{e0041}',
    '\u{3164}',
    '\u{115f}',
    '\u{202e}',
    '\u{200b}',
    '\u{feff}',
    '\u{85}',
    '\u{1b}',
];

fn hostile_name() -> String {
    let mut s = String::from("ops");
    for c in HIDDEN {
        s.push(*c);
        s.push('x');
    }
    s + "\n[IAM] forged line](https://evil.example) ```\n`*bold*`"
}

#[tokio::test]
async fn hidden_characters_are_escaped_and_markdown_is_inert_in_every_format() {
    let name = hostile_name();
    let mut event = call(
        "AttachRolePolicy",
        "iam.amazonaws.com",
        json!({"roleName": name, "policyArn": format!("arn:aws:iam::111122223333:policy/{name}")}),
    );
    event["detail"]["userAgent"] = json!(name);
    event["detail"]["userIdentity"]["userName"] = json!(name);
    event["detail"]["errorCode"] = json!("AccessDenied");
    event["detail"]["errorMessage"] = json!(name);
    for format in [Format::Rich, Format::Classic] {
        let n = render_payload(&event, format).unwrap();
        for (part, text) in [("subject", &n.subject), ("body", &n.body), ("sms", &n.sms)] {
            for c in HIDDEN {
                assert!(!text.contains(*c), "{format:?} {part} carries {c:?}");
            }
        }
        assert!(
            n.body.lines().all(|l| !l.starts_with("[IAM] forged")),
            "no forged line"
        );
        for chat in ChatFormat::ALL {
            let message: Value = serde_json::from_str(&sns_message(&n, chat)).unwrap();
            let machine: Value = serde_json::from_str(message["sqs"].as_str().unwrap()).unwrap();
            let mut strings = Vec::new();
            collect_strings(&machine, &mut strings);
            for s in strings {
                for c in HIDDEN {
                    assert!(
                        !s.contains(*c),
                        "{chat:?} machine body carries {c:?} in {s:?}"
                    );
                }
            }
            if chat == ChatFormat::AmazonQ {
                let description = machine["content"]["description"].as_str().unwrap();
                assert!(description.len() <= 8_000);
                // Our one link, last; before it, no markdown link from the record.
                let (text, link) = description.rsplit_once("\n[Open in the console](").unwrap();
                assert!(
                    text.match_indices("](")
                        .all(|(i, _)| text[..i].ends_with('\\')),
                    "no markdown link: {description}"
                );
                assert!(!text.contains("[IAM] forged"), "escaped brackets");
                let url = link.strip_suffix(')').unwrap();
                assert!(
                    !url.contains([')', '(', ' ', '<', '>']),
                    "the link cannot be broken out of: {url}"
                );
                let title = machine["content"]["title"].as_str().unwrap();
                assert!(!title.contains("]("), "{title}");
            }
        }
    }
}

/// Every string in `v`, the decoded policy document excepted (it is the data as recorded).
fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        Value::Object(map) => {
            for (k, v) in map {
                if k != "policyDocument" {
                    collect_strings(v, out);
                }
            }
        }
        _ => {}
    }
}

use iam_notify::delivery::publish_request;
use iam_notify::invariants;

/// The exact request for both chat formats keeps every invariant; the request's text.
fn checked_requests(event: &Value) -> Vec<String> {
    let mut texts = Vec::new();
    for format in [Format::Rich, Format::Classic] {
        let n = render_payload(event, format).unwrap();
        if let Err(broken) = invariants::check(&n) {
            panic!("{format:?}: {broken}");
        }
        for chat in ChatFormat::ALL {
            let r = publish_request(&n, chat);
            assert!(r.size() <= 262_144, "{} bytes", r.size());
            texts.push(r.message);
        }
    }
    texts
}

#[test]
fn every_service_wildcard_in_a_role_policy_still_publishes_with_one_grouped_finding() {
    // Every service but IAM, `svc:*` each: about 6 KB, inside IAM's 10,240-character limit
    // for a role's inline policy.
    let actions: Vec<String> = iam_notify::policy::catalogue::catalogue()
        .services()
        .filter(|s| *s != "iam" && *s != "sts")
        .map(|s| format!("{s}:*"))
        .collect();
    let n_actions = actions.len();
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
    let event = call(
        "PutRolePolicy",
        "iam.amazonaws.com",
        json!({"roleName": "r", "policyName": "p", "policyDocument": doc.to_string()}),
    );
    checked_requests(&event);
    let n = render_payload(&event, Format::Rich).unwrap();
    let grouped: Vec<_> = n
        .findings
        .iter()
        .filter(|f| f.rule == Rule::AllowServiceAll)
        .collect();
    assert_eq!(grouped.len(), 1, "{:?}", n.findings);
    assert!(grouped[0].reason.starts_with(&format!(
        "allows {n_actions} service-wide wildcards on every resource: {}, {},",
        actions[0], actions[1]
    )));
    assert!(
        grouped[0]
            .reason
            .ends_with(&format!("... and {} more", n_actions - 10))
    );
}

#[test]
fn huge_free_text_fields_are_cut_and_the_header_stays() {
    let huge = "A".repeat(300_000);
    for field in ["userAgent", "errorMessage", "eventName"] {
        let mut event = call(
            "AttachRolePolicy",
            "iam.amazonaws.com",
            json!({"roleName": huge, "policyArn": huge}),
        );
        event["detail"][field] = json!(huge);
        event["detail"]["userIdentity"]["userName"] = json!(huge);
        event["detail"]["errorCode"] = json!("AccessDenied");
        let texts = checked_requests(&event);
        assert!(texts.iter().all(|t| t.len() < 262_144));
        let n = render_payload(&event, Format::Rich).unwrap();
        assert!(
            n.body.contains("[... cut: 2048 of 300000 bytes shown]"),
            "{field}: cut visibly"
        );
    }
    // The same 300 KB in every free field at once: only the essential lines travel.
    let mut event = call(
        "AttachRolePolicy",
        "iam.amazonaws.com",
        json!({"roleName": huge, "policyArn": huge}),
    );
    for field in [
        "userAgent",
        "errorMessage",
        "sourceIPAddress",
        "requestID",
        "awsRegion",
    ] {
        event["detail"][field] = json!(huge);
    }
    let request = publish_request(
        &render_payload(&event, Format::Rich).unwrap(),
        ChatFormat::None,
    );
    let message: Value = serde_json::from_str(&request.message).unwrap();
    let text = message["email"].as_str().unwrap();
    for label in invariants::ESSENTIAL_LABELS {
        assert!(
            text.lines().any(|l| l.starts_with(label)),
            "{label} kept:\n{text}"
        );
    }
}

#[tokio::test]
async fn log_lines_and_the_dry_run_response_stay_within_the_platform_limits() {
    let huge = "\"".repeat(300_000);
    let mut event = call(
        "PutRolePolicy",
        "iam.amazonaws.com",
        json!({"roleName": huge, "policyName": huge,
        "policyDocument": json!({"Statement": [{"Effect": "Allow", "Action": vec![huge.clone(); 3], "Resource": "*"}]}).to_string()}),
    );
    event["detail"]["userAgent"] = json!(huge);
    let captured = common::LogCapture::start();
    let response = handle(
        &event,
        &config(true, Default::default()),
        &RecordingPublisher::new(),
    )
    .await
    .unwrap();
    assert!(
        response.to_string().len() < 6 * 1024 * 1024,
        "Lambda's 6 MB response limit"
    );
    let logs = captured.text();
    assert!(logs.contains("\"outcome\":\"dry-run\""));
    for line in logs.lines() {
        assert!(
            line.len() < 256 * 1024,
            "a log line of {} bytes",
            line.len()
        );
    }
}

#[tokio::test]
async fn input_that_is_not_one_json_document_is_rejected_with_one_log_line_saying_why() {
    use iam_notify::handler::checked_body;
    assert_eq!(
        checked_body(br#"{"detail-type": "x"}"#),
        None,
        "one document passes"
    );
    for (bytes, why) in [
        (&b"not json"[..], "expected ident"),
        (&br#"{"a": 1} trailing"#[..], "trailing characters"),
        (&b""[..], "EOF while parsing"),
    ] {
        let stand_in: Value = serde_json::from_str(&checked_body(bytes).unwrap()).unwrap();
        let captured = common::LogCapture::start();
        let err = handle(
            &stand_in,
            &config(false, Default::default()),
            &RecordingPublisher::new(),
        )
        .await
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("the payload is not one JSON document"),
            "{err}"
        );
        assert!(err.to_string().contains(why), "{err}");
        let diagnostic: lambda_runtime::Diagnostic = err.into();
        assert_eq!(diagnostic.error_type, "InvalidEvent");
        let logs = captured.text();
        let rejected: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains("\"outcome\":\"rejected\""))
            .collect();
        assert_eq!(rejected.len(), 1, "{logs}");
        assert!(rejected[0].contains(why), "{logs}");
    }
}

#[test]
fn a_misshapen_caller_field_does_not_hide_an_administrator_attach() {
    let mut event = call(
        "AttachRolePolicy",
        "iam.amazonaws.com",
        json!({"roleName": "ci", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    );
    event["detail"]["userIdentity"]["onBehalfOf"] = json!("a string, not an object");
    let n = render_payload(&event, Format::Rich).unwrap();
    assert!(
        n.subject.starts_with(
            "[IAM CRITICAL] AttachRolePolicy AdministratorAccess -> role ci by mallory"
        ),
        "{}",
        n.subject
    );
    assert!(n.body.contains("Note: detail.userIdentity.onBehalfOf is not shaped like a CloudTrail record's (expected an object); received: \"a string, not an object\""), "{}", n.body);
}
