//! Missing fields, hostile text and huge documents: rendering never fails on an EventBridge
//! event, subjects stay valid SNS subjects, bodies stay under SNS's limit, links stay URLs.

mod common;

use common::{assert_valid, samples};
use iam_notify::delivery::{ChatFormat, publish_request};
use iam_notify::{Format, render_payload};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Removes (or nulls) the field at a `/`-separated path.
fn without(mut v: Value, path: &str, null: bool) -> Value {
    let (parent, key) = path.rsplit_once('/').unwrap_or(("", path));
    let target = if parent.is_empty() {
        Some(&mut v)
    } else {
        v.pointer_mut(&format!("/{parent}"))
    };
    if let Some(Value::Object(map)) = target {
        if null {
            if map.contains_key(key) {
                map.insert(key.to_string(), Value::Null);
            }
        } else {
            map.remove(key);
        }
    }
    v
}

const FIELDS: &[&str] = &[
    "detail/userIdentity",
    "detail/userIdentity/type",
    "detail/userIdentity/arn",
    "detail/userIdentity/userName",
    "detail/userIdentity/accountId",
    "detail/userIdentity/sessionContext",
    "detail/userIdentity/sessionContext/sessionIssuer",
    "detail/userIdentity/sessionContext/attributes",
    "detail/userIdentity/invokedBy",
    "detail/requestParameters",
    "detail/responseElements",
    "detail/eventName",
    "detail/eventSource",
    "detail/eventTime",
    "detail/sourceIPAddress",
    "detail/userAgent",
    "detail/eventID",
    "detail/requestID",
    "detail/recipientAccountId",
    "detail/awsRegion",
    "detail/errorCode",
    "detail/errorMessage",
    "detail/readOnly",
    "detail/tlsDetails",
    "account",
    "time",
    "region",
    "id",
    "resources",
    "version",
];

#[test]
fn every_sample_with_any_field_removed_or_null_still_renders() {
    for (file, event) in samples() {
        for field in FIELDS {
            for null in [false, true] {
                let v = without(event.clone(), field, null);
                let context = format!("{file} {} {field}", if null { "null" } else { "without" });
                let n =
                    render_payload(&v, Format::Rich).unwrap_or_else(|e| panic!("{context}: {e}"));
                assert_valid(&n, &context);
                let c = render_payload(&v, Format::Classic)
                    .unwrap_or_else(|e| panic!("{context}: {e}"));
                assert_valid(&c, &context);
            }
        }
    }
}

#[test]
fn missing_fields_are_said_not_hidden() {
    let (_, event) = samples()
        .into_iter()
        .find(|(f, _)| f == "AttachRolePolicy.json")
        .unwrap();
    let n = render_payload(
        &without(event.clone(), "detail/userIdentity", false),
        Format::Rich,
    )
    .unwrap();
    assert!(n.subject.ends_with("by unknown caller"), "{}", n.subject);
    assert!(
        n.body
            .contains("Who:            unknown caller (the record has no userIdentity)"),
        "{}",
        n.body
    );
    let n = render_payload(
        &without(event.clone(), "detail/eventID", false),
        Format::Rich,
    )
    .unwrap();
    assert!(
        n.body.contains("Event ID:       (not recorded)"),
        "{}",
        n.body
    );
    let n = render_payload(
        &without(event, "detail/requestParameters", true),
        Format::Rich,
    )
    .unwrap();
    assert!(
        n.body.contains("Resource:       role (name not recorded)"),
        "{}",
        n.body
    );
    assert_eq!(n.link, "https://console.aws.amazon.com/iam/home#/roles");
}

fn attach_event(role: &str, policy_arn: &str, user_agent: &str, user: &str) -> Value {
    json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "detail": {
        "eventSource": "iam.amazonaws.com", "eventName": "AttachRolePolicy",
        "userAgent": user_agent, "eventID": "e-1",
        "userIdentity": {"type": "IAMUser", "userName": user, "arn": format!("arn:aws:iam::1:user/{user}")},
        "requestParameters": {"roleName": role, "policyArn": policy_arn}}})
}

#[test]
fn a_300_character_role_name_keeps_the_subject_valid_and_the_actor_readable() {
    let role = "r".repeat(300);
    let n = render_payload(
        &attach_event(
            &role,
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "aws-cli/2",
            "bob",
        ),
        Format::Rich,
    )
    .unwrap();
    assert_valid(&n, "300-char role");
    assert!(n.subject.ends_with("... by bob"), "{}", n.subject);
    assert!(n.body.contains(&role), "the body keeps the whole name");
    assert!(
        n.link
            .ends_with(&format!("/roles/details/{role}?section=permissions"))
    );
}

#[test]
fn a_policy_document_near_the_sns_limit_is_cut_cleanly_and_says_so() {
    let statement = json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket-\u{e9}t\u{e9}/*"});
    let doc = json!({"Version": "2012-10-17", "Statement": vec![statement; 4000]});
    let raw = urlencoding::encode(&doc.to_string()).into_owned();
    assert!(raw.len() > 262_144);
    let event = json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "detail": {
        "eventSource": "iam.amazonaws.com", "eventName": "PutRolePolicy", "eventID": "e-big",
        "requestParameters": {"roleName": "r", "policyName": "p", "policyDocument": raw}}});
    let n = render_payload(&event, Format::Rich).unwrap();
    assert_valid(&n, "big document");
    assert!(
        n.body.len() > 200_000,
        "most of the budget is used: {}",
        n.body.len()
    );
    assert!(
        n.body
            .contains("[Policy document cut to fit the SNS message limit: "),
        "cut is said"
    );
    assert!(n.body.contains("event ID e-big]"));
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[\\PC\\n\\r\\t\\u{202e}\\u{0}]{0,200}",
        "[a-z]{250,400}",
        Just("\u{1F600}\u{e9}\n[IAM] forged\r\nConsole: https://evil.example".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_text_in_any_field_renders_a_valid_notification(
        role in any_text(), policy in any_text(), ua in any_text(), user in any_text(),
        document in any_text(), error in proptest::option::of(any_text()), name in any_text(),
    ) {
        let mut event = attach_event(&role, &format!("arn:aws:iam::1:policy/{policy}"), &ua, &user);
        event["detail"]["requestParameters"]["policyDocument"] = json!(document);
        if let Some(e) = error {
            event["detail"]["errorCode"] = json!("AccessDenied");
            event["detail"]["errorMessage"] = json!(e);
        }
        for event_name in ["AttachRolePolicy", "PutRolePolicy", "UpdateUser", "CreateRole", name.as_str()] {
            event["detail"]["eventName"] = json!(event_name);
            for format in [Format::Rich, Format::Classic] {
                let n = render_payload(&event, format).unwrap();
                assert_valid(&n, event_name);
                // Hostile text cannot add lines: no line of the body, the indented policy
                // document included, starts with what the input tried to forge.
                for line in n.body.lines() {
                    prop_assert!(!line.starts_with("[IAM] forged"), "{line}");
                    prop_assert!(!line.starts_with("Console: https://evil"), "{line}");
                }
            }
        }
    }

    #[test]
    fn any_json_detail_never_panics(detail in any_json(3)) {
        let event = json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "detail": detail});
        match render_payload(&event, Format::Rich) {
            Ok(n) => assert_valid(&n, "any json"),
            Err(e) => prop_assert!(e.to_string().contains("`detail` must be a JSON object")),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The typed reading from the text (what the function does with the bytes Lambda hands
    /// over) is exactly the reading of the parsed tree, whatever the record holds: secrets,
    /// hidden characters, fields of any type or shape.
    #[test]
    fn reading_the_text_is_reading_the_tree(detail in any_json(3), text in any_size_text(), user in any_text()) {
        let mut samples = vec![
            json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "detail": detail}),
        ];
        let mut event = attach_event("r", "arn:aws:iam::1:policy/p", &text, &user);
        event["detail"]["errorMessage"] = json!(text);
        event["detail"]["requestParameters"]["newPassword"] = json!(text);
        samples.push(event);
        for v in samples {
            let payload = v.to_string();
            let from_text = iam_notify::Event::parse_json(&payload);
            let from_tree = iam_notify::Event::parse(&v);
            prop_assert_eq!(from_text, from_tree);
        }
    }
}

/// What an envelope field may hold: any JSON, empty and escaped text, times in and out of
/// RFC 3339, lists of strings and of other things.
fn any_envelope_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any_json(1),
        Just(json!("")),
        Just(json!("esc\"aped\\ \u{e9}\n")),
        Just(json!("2024-08-01T13:37:41Z")),
        Just(json!("2024-08-01T13:37:41.250+02:00")),
        Just(json!("2024-08-01 13:37:41Z")),
        Just(json!("2024-08-01T13:37:41")),
        Just(json!(["arn:aws:iam::1:role/x", "y"])),
        Just(json!(["x", 1])),
        Just(json!(111_122_223_333u64)),
    ]
}

/// The envelope's fields, as EventBridge writes them.
const ENVELOPE_KEYS: [&str; 8] = [
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// The typed reading's envelope is `aws_lambda_events`' `EventBridgeEvent` (what the tree
    /// reading uses, with its field-by-field fallback): any envelope field of any type, or
    /// left out, reads the same from the text as from the tree, or fails the same way.
    #[test]
    fn reading_the_envelope_from_text_is_reading_it_from_the_tree(
        changes in proptest::collection::vec((0usize..8, proptest::option::of(any_envelope_value())), 0..6)
    ) {
        let mut event = json!({"version": "0", "id": "e1", "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.iam", "account": "111122223333", "time": "2024-08-01T13:37:41Z",
            "region": "us-east-1", "resources": [], "detail": {"eventName": "CreateUser"}});
        for (i, value) in changes {
            let key = ENVELOPE_KEYS[i];
            match value {
                Some(v) => event[key] = v,
                None => {
                    event.as_object_mut().unwrap().remove(key);
                }
            }
        }
        let payload = event.to_string();
        prop_assert_eq!(iam_notify::Event::parse_json(&payload), iam_notify::Event::parse(&event));
    }
}

/// Text from a few bytes to hundreds of kilobytes, hidden characters and secrets included.
fn any_size_text() -> impl Strategy<Value = String> {
    (any_text(), 1usize..40_000).prop_map(|(piece, times)| {
        let piece = if piece.is_empty() {
            "x".to_string()
        } else {
            piece
        };
        let mut s = piece.repeat(times.min(300_000 / piece.len().max(1)).max(1));
        s.push_str(" wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY \u{2028}");
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Adversarial records (huge names, user agents and error messages, many findings,
    /// secrets): the exact Publish request always keeps the invariants (size as SNS counts
    /// it, the essential lines, no escape or hidden characters) and carries no secret.
    #[test]
    fn the_exact_publish_request_is_bounded_and_clean_for_any_record(
        name in any_size_text(), ua in any_size_text(), error in any_size_text(),
        wildcards in 0usize..2_000, accounts in 0usize..300, password in "[A-Za-z0-9]{12,20}",
    ) {
        let actions: Vec<String> = (0..wildcards).map(|i| format!("svc{i}:*")).collect();
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": actions, "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]});
        let principals: Vec<String> = (0..accounts).map(|i| format!("{:012}", 100_000_000_000u64 + i as u64)).collect();
        let trust = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}]});
        for (call, params) in [
            ("PutRolePolicy", json!({"roleName": name, "policyName": name, "policyDocument": policy.to_string(), "newPassword": password})),
            ("CreateRole", json!({"roleName": name, "assumeRolePolicyDocument": trust.to_string(), "password": password})),
        ] {
            let mut event = attach_event(&name, "arn:aws:iam::1:policy/p", &ua, &name);
            event["detail"]["eventName"] = json!(call);
            event["detail"]["requestParameters"] = params;
            event["detail"]["errorCode"] = json!("AccessDenied");
            event["detail"]["errorMessage"] = json!(error);
            for format in [Format::Rich, Format::Classic] {
                let n = render_payload(&event, format).unwrap();
                assert_valid(&n, call);
                for chat in ChatFormat::ALL {
                    let r = publish_request(&n, chat);
                    prop_assert!(!r.message.contains(&password), "a password leaked");
                    prop_assert!(!r.message.contains("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
                }
            }
        }
    }
}

fn any_json(depth: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any_text().prop_map(Value::String),
        prop_oneof![
            Just("userIdentity"),
            Just("requestParameters"),
            Just("eventName"),
            Just("IAMUser"),
            Just("AssumedRole"),
            Just("iam.amazonaws.com")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(depth, 64, 8, |inner| {
        let keys = prop_oneof![
            Just("eventName".to_string()),
            Just("eventSource".to_string()),
            Just("userIdentity".to_string()),
            Just("type".to_string()),
            Just("arn".to_string()),
            Just("userName".to_string()),
            Just("requestParameters".to_string()),
            Just("responseElements".to_string()),
            Just("roleName".to_string()),
            Just("policyArn".to_string()),
            Just("errorCode".to_string()),
            Just("errorMessage".to_string()),
            Just("sessionContext".to_string()),
            Just("sessionIssuer".to_string()),
            "[a-zA-Z]{1,8}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// A change to the monitor names its rule, function, topic or trail: any text there (and
    /// in the environment variables a caller sets) renders a valid, bounded alert that forges
    /// no line and shows no variable's value.
    #[test]
    fn any_text_in_a_change_to_the_monitor_renders_a_valid_alert(
        name in any_size_text(), var in any_text(), value in any_text(),
    ) {
        for call in iam_notify::calls::CALLS.iter().filter(|c| c.group.watches_the_monitor()) {
            let mut event = common::load(&common::call_sample_file(call));
            let params = json!({"name": name, "rule": name, "functionName": name, "topicArn": name,
                "subscriptionArn": name, "trailName": name, "state": "DISABLED", "keyId": name,
                "alarmName": name, "alarmNames": [name, name], "resourceArn": name, "eventBusName": name,
                "environment": {"variables": {var.clone(): format!("secret-value-{value}"), "DRY_RUN": "true"}}});
            event["detail"]["requestParameters"] = params;
            let n = render_payload(&event, Format::Rich).unwrap();
            assert_valid(&n, call.name);
            prop_assert!(n.severity == iam_notify::severity::Severity::Critical, "{}", call.name);
            for line in n.body.lines() {
                prop_assert!(!line.starts_with("[IAM] forged"), "{line}");
                prop_assert!(!line.starts_with("Console: https://evil"), "{line}");
            }
            let r = publish_request(&n, ChatFormat::None);
            prop_assert!(!r.message.contains("secret-value-"), "a variable's value is shown");
            prop_assert!(r.size() <= iam_notify::delivery::SNS_MAX_MESSAGE_BYTES);
        }
    }
}
