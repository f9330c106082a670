//! Decoding recorded documents, and the findings of what they grant.

use super::*;
use serde_json::{Value, json};

/// A JSON document of a tree.
fn json_doc(tree: Value) -> Document {
    Document::Json(Json::of(&tree))
}

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

#[test]
fn url_encoded_json_string_and_object_decode_alike() {
    let expected = json_doc(serde_json::from_str(POLICY).unwrap());
    let encoded = urlencoding::encode(POLICY).into_owned();
    assert_eq!(decode(&json!(encoded)), expected);
    assert_eq!(decode(&json!(POLICY)), expected);
    assert_eq!(decode(&serde_json::from_str(POLICY).unwrap()), expected);
    let pretty_string = "{\n\t\"Version\": \"2012-10-17\",\n\t\"Statement\": [{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]\n}";
    assert_eq!(decode(&json!(pretty_string)), expected);
}

#[test]
fn non_json_is_kept_as_text() {
    assert_eq!(
        decode(&json!("not json")),
        Document::Text("not json".into())
    );
    assert_eq!(
        decode(&json!("100%25 text")),
        Document::Text("100% text".into())
    );
    assert_eq!(decode(&json!("%ZZ")), Document::Text("%ZZ".into()));
}

#[test]
fn pretty_prints_with_indentation() {
    let text = pretty(&decode(&json!(POLICY)));
    assert!(
        text.starts_with("{\n  \"Version\": \"2012-10-17\""),
        "{text}"
    );
}

fn rules(doc: Value, kind: DocKind) -> Vec<&'static str> {
    findings(&json_doc(doc), kind, Some("111122223333"))
        .into_iter()
        .map(|f| f.rule.id())
        .collect()
}

fn allow(action: Value, resource: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
}

#[test]
fn allow_all_iam_all_and_service_wildcards() {
    assert_eq!(
        rules(allow(json!("*"), json!("*")), DocKind::Permissions),
        ["allow-all"]
    );
    assert_eq!(
        rules(allow(json!(["iam:*"]), json!("*")), DocKind::Permissions),
        ["allow-iam-all"]
    );
    assert_eq!(
        rules(allow(json!("s3:*"), json!("*")), DocKind::Permissions),
        ["allow-service-all"]
    );
    assert!(
        rules(
            allow(json!("s3:*"), json!("arn:aws:s3:::b/*")),
            DocKind::Permissions
        )
        .is_empty()
    );
    let deny = json!({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}});
    assert!(rules(deny, DocKind::Permissions).is_empty());
}

#[test]
fn pass_role_on_everything() {
    assert_eq!(
        rules(
            allow(json!("iam:PassRole"), json!("*")),
            DocKind::Permissions
        ),
        ["pass-role-any"]
    );
    assert_eq!(
        rules(allow(json!("iam:Pass*"), json!("*")), DocKind::Permissions),
        ["pass-role-any"]
    );
    assert!(
        rules(
            allow(json!("iam:PassRole"), json!("arn:aws:iam::1:role/app")),
            DocKind::Permissions
        )
        .is_empty()
    );
}

#[test]
fn not_action_with_allow() {
    // Everything but IAM: sts:AssumeRole on every role is still an escalation path.
    let doc = json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]});
    assert_eq!(
        rules(doc, DocKind::Permissions),
        ["allow-not-action", "privilege-escalation"]
    );
    // Everything but one action is every IAM action: full control of IAM.
    let doc =
        json!({"Statement": [{"Effect": "Allow", "NotAction": "s3:GetObject", "Resource": "*"}]});
    assert_eq!(
        rules(doc, DocKind::Permissions),
        ["allow-not-action", "allow-iam-all"]
    );
    // Everything but IAM and STS on one bucket: nothing of IAM.
    let doc = json!({"Statement": [{"Effect": "Allow", "NotAction": ["iam:*", "sts:*"],
        "Resource": "arn:aws:s3:::bucket/*"}]});
    assert_eq!(rules(doc, DocKind::Permissions), ["allow-not-action"]);
}

#[test]
fn escalation_actions_are_named() {
    let f = findings(
        &json_doc(allow(
            json!([
                "iam:CreatePolicyVersion",
                "iam:Put*Policy",
                "sts:AssumeRole"
            ]),
            json!("*"),
        )),
        DocKind::Permissions,
        None,
    );
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule, Rule::PrivilegeEscalation);
    assert_eq!(
        f[0].reason,
        "grants privilege escalation paths: iam:CreatePolicyVersion, iam:PutRolePolicy, iam:PutUserPolicy, iam:PutGroupPolicy, sts:AssumeRole on *"
    );
    let lambda = json!({"Statement": [
        {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/fn"}]});
    let f = findings(&json_doc(lambda), DocKind::Permissions, None);
    assert_eq!(
        f[0].reason,
        "grants privilege escalation paths: lambda:CreateFunction with iam:PassRole"
    );
}

#[test]
fn trust_anyone_and_other_accounts() {
    let trust = |principal: Value, condition: Option<Value>| {
        let mut s = json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"});
        if let Some(c) = condition {
            s["Condition"] = c;
        }
        json!({"Statement": [s]})
    };
    assert_eq!(
        rules(trust(json!("*"), None), DocKind::Trust),
        ["trust-anyone"]
    );
    assert_eq!(
        rules(trust(json!({"AWS": "*"}), None), DocKind::Trust),
        ["trust-anyone"]
    );
    assert_eq!(
        rules(
            trust(json!({"AWS": "arn:aws:iam::999988887777:root"}), None),
            DocKind::Trust
        ),
        ["trust-other-account"]
    );
    let external = json!({"StringEquals": {"sts:ExternalId": "x"}});
    assert!(
        rules(
            trust(json!({"AWS": "999988887777"}), Some(external)),
            DocKind::Trust
        )
        .is_empty()
    );
    assert!(
        rules(
            trust(json!({"AWS": "arn:aws:iam::111122223333:root"}), None),
            DocKind::Trust
        )
        .is_empty()
    );
    assert_eq!(
        rules(
            trust(json!({"Service": "lambda.amazonaws.com"}), None),
            DocKind::Trust
        ),
        ["trust-service-unscoped"]
    );
    let source = json!({"StringEquals": {"aws:SourceAccount": "111122223333"}});
    assert!(
        rules(
            trust(json!({"Service": "lambda.amazonaws.com"}), Some(source)),
            DocKind::Trust
        )
        .is_empty()
    );
}

#[test]
fn many_findings_of_one_kind_are_grouped() {
    // (The cost per action is shown by benches/render.rs, not timed here.)
    let actions: Vec<String> = (0..50_000).map(|i| format!("svc{i}:*")).collect();
    let f = findings(
        &json_doc(allow(json!(actions), json!("*"))),
        DocKind::Permissions,
        None,
    );
    assert_eq!(
        f.len(),
        1,
        "{:?}",
        f.iter().map(|x| x.rule).collect::<Vec<_>>()
    );
    assert_eq!(f[0].rule, Rule::AllowServiceAll);
    assert!(
        f[0].reason
            .starts_with("allows 50000 service-wide wildcards on every resource: svc0:*, svc1:*, ")
            && f[0].reason.ends_with(", ... and 49990 more"),
        "{}",
        f[0].reason
    );
    // Up to five stay separate, each with its own words.
    let few = findings(
        &json_doc(allow(json!(["s3:*", "ec2:*"]), json!("*"))),
        DocKind::Permissions,
        None,
    );
    assert_eq!(few.len(), 2);
    assert_eq!(few[1].reason, "allows ec2:* on every resource");
}

/// IAM matches actions in any case: an action written in another case finds what it finds
/// in IAM's own (with wildcards or without).
#[test]
fn actions_in_any_case_find_the_same() {
    let cases = [
        json!(["iam:PassRole"]),
        json!(["iam:CreatePolicyVersion", "sts:AssumeRole"]),
        json!(["lambda:CreateFunction", "iam:PassRole"]),
        json!(["iam:AttachRolePolicy", "iam:Put*Policy", "iam:pass?ole"]),
    ];
    let respelled = |v: &Value, f: fn(&str) -> String| {
        json!(
            v.as_array()
                .unwrap()
                .iter()
                .map(|a| f(a.as_str().unwrap()))
                .collect::<Vec<_>>()
        )
    };
    for actions in cases {
        let reasons = |actions: Value| {
            let rules = rules(allow(actions.clone(), json!("*")), DocKind::Permissions);
            let text = findings(
                &json_doc(allow(actions, json!("*"))),
                DocKind::Permissions,
                None,
            )
            .into_iter()
            .map(|f| f.reason.to_ascii_lowercase())
            .collect::<Vec<_>>();
            (rules, text)
        };
        let expected = reasons(actions.clone());
        assert!(!expected.0.is_empty(), "{actions}");
        for f in [str::to_ascii_uppercase as fn(&str) -> String, |a: &str| {
            a.chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect()
        }] {
            assert_eq!(reasons(respelled(&actions, f)), expected, "{actions}");
        }
    }
}

#[test]
fn effective_admin_in_any_spelling_is_admin() {
    for (action, resource, rule) in [
        ("*", "arn:*:*:*:*:*", "allow-all"),
        ("*", "arn:aws:*:*:*:*", "allow-all"),
        ("*:*", "*", "allow-all"),
        ("*", "*:*", "allow-all"),
        ("iam:*", "arn:aws:iam::*:*", "allow-iam-all"),
        ("IAM:*", "*", "allow-iam-all"),
        ("S3:*", "arn:*:s3:::*", "allow-service-all"),
        ("iam:PassRole", "arn:aws:iam::*:role/*", "pass-role-any"),
    ] {
        assert_eq!(
            rules(allow(json!(action), json!(resource)), DocKind::Permissions),
            [rule],
            "{action} on {resource}"
        );
    }
    // Narrower than everything stays out.
    assert!(
        rules(
            allow(json!("*"), json!("arn:aws:s3:::bucket/*")),
            DocKind::Permissions
        )
        .is_empty()
    );
    // PassRole confined to a service is not "any role to anything".
    let confined = json!({"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
        "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}]});
    assert!(rules(confined, DocKind::Permissions).is_empty());
}

#[test]
fn linter_grants_in_trust_policies() {
    let t = |statement: Value| json!({"Statement": [statement]});
    let github = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
    let any_repo = t(
        json!({"Effect": "Allow", "Principal": {"Federated": github},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}),
    );
    assert_eq!(rules(any_repo, DocKind::Trust), ["trust-any-oidc-subject"]);
    let one_repo = t(
        json!({"Effect": "Allow", "Principal": {"Federated": github},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/app:*"}}}),
    );
    assert!(rules(one_repo, DocKind::Trust).is_empty());
    let any_account = t(
        json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, "Action": "sts:AssumeRole"}),
    );
    assert_eq!(rules(any_account, DocKind::Trust), ["trust-anyone"]);
    let not_principal = t(
        json!({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}),
    );
    assert_eq!(
        rules(not_principal, DocKind::Trust),
        ["allow-not-principal"]
    );
}

#[test]
fn only_patterns_that_can_match_an_iam_action_are_checked_for_escalation() {
    use super::grants::may_match_iam;
    for yes in [
        "iam:createpolicyversion",
        "iam:*",
        "*",
        "i*",
        "ia?:attach*",
        "*:put*",
        "?am:x",
    ] {
        assert!(may_match_iam(yes), "{yes}");
    }
    for no in [
        "s3:getobject",
        "s3:*",
        "ec2:*",
        "lambda:createfunction",
        "iamx:*",
    ] {
        assert!(!may_match_iam(no), "{no}");
    }
    // And nothing it skips could have matched.
    for e in super::grants::ESCALATION {
        let lower = e.to_ascii_lowercase();
        assert!(may_match_iam(&lower));
    }
}
