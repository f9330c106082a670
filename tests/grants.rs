//! Grants of IAM control are rated by what IAM lets them do (issue 29, first part): a
//! resource pattern naming one account covers every resource there; every action on fewer
//! resources than all still opens PassRole and the escalation paths; NotAction grants all it
//! does not list; PassRole is pinned only by a concrete `iam:PassedToService`; a document IAM
//! took that cannot be read is said, not taken for harmless; widening a policy never lowers
//! its severity (a property test over generated policies). Each through the function's own
//! reading of the event's text (bytes in) and the full render.

mod common;

use common::sample;
use iam_notify::Format;
use iam_notify::render_json;
use iam_notify::severity::{Rule, Severity};
use proptest::prelude::*;
use serde_json::{Value, json};

/// PutRolePolicy carrying `statements` as its document, rendered from the event's text.
fn rendered(statements: Value) -> (Severity, Vec<Rule>) {
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    rendered_text(&doc.to_string())
}

fn rendered_text(document: &str) -> (Severity, Vec<Rule>) {
    let mut event = sample("PutRolePolicy");
    event["detail"]["requestParameters"]["policyDocument"] = json!(document);
    let n = render_json(&event.to_string(), Format::Rich).unwrap();
    (n.severity, n.findings.iter().map(|f| f.rule).collect())
}

fn allow(action: Value, resource: Value) -> Value {
    json!([{"Effect": "Allow", "Action": action, "Resource": resource}])
}

#[test]
fn every_grant_of_iam_control_is_critical_however_it_is_written() {
    let own = "111122223333";
    let pass_to_any = |operator: &str, value: Value| {
        json!([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
                "Condition": {operator: {"iam:PassedToService": value}}}])
    };
    for (name, statements, rule) in [
        (
            "iam:* on the account's own ARN",
            allow(json!("iam:*"), json!(format!("arn:aws:iam::{own}:*"))),
            Rule::AllowIamAll,
        ),
        (
            "* on every IAM resource",
            allow(json!("*"), json!("arn:aws:iam::*:*")),
            Rule::AllowIamAll,
        ),
        (
            "iam:* on every role",
            allow(json!("iam:*"), json!("arn:aws:iam::*:role/*")),
            Rule::PassRoleAny,
        ),
        (
            "* on every role of the account",
            allow(json!("*"), json!(format!("arn:aws:iam::{own}:role/*"))),
            Rule::PassRoleAny,
        ),
        (
            "PassRole on the account's roles",
            allow(
                json!("iam:PassRole"),
                json!(format!("arn:aws:iam::{own}:role/*")),
            ),
            Rule::PassRoleAny,
        ),
        (
            "PassRole to any service (StringLike *)",
            pass_to_any("StringLike", json!("*")),
            Rule::PassRoleAny,
        ),
        (
            "PassRole to *.amazonaws.com",
            pass_to_any("StringLike", json!("*.amazonaws.com")),
            Rule::PassRoleAny,
        ),
        (
            "PassRole to all but one service",
            pass_to_any("StringNotEquals", json!("ec2.amazonaws.com")),
            Rule::PassRoleAny,
        ),
        (
            "PassRole with ForAllValues",
            pass_to_any("ForAllValues:StringEquals", json!("ec2.amazonaws.com")),
            Rule::PassRoleAny,
        ),
        (
            "everything but one action",
            json!([{"Effect": "Allow", "NotAction": "s3:GetObject", "Resource": "*"}]),
            Rule::AllowIamAll,
        ),
    ] {
        let (severity, rules) = rendered(statements);
        assert_eq!(severity, Severity::Critical, "{name}: {rules:?}");
        assert!(rules.contains(&rule), "{name}: {rules:?}");
    }
    // Pinned to a named service, PassRole is not "any role to anything".
    for (operator, value) in [
        ("StringEquals", json!("lambda.amazonaws.com")),
        (
            "StringLike",
            json!(["lambda.amazonaws.com", "ec2.amazonaws.com"]),
        ),
        ("ForAnyValue:StringEquals", json!("ecs-tasks.amazonaws.com")),
    ] {
        let (_, rules) = rendered(pass_to_any(operator, value.clone()));
        assert!(
            !rules.contains(&Rule::PassRoleAny),
            "{operator} {value}: {rules:?}"
        );
    }
    // Narrower than any IAM resource stays out.
    let (severity, rules) = rendered(allow(json!("*"), json!("arn:aws:s3:::bucket/*")));
    assert_eq!(severity, Severity::Info, "{rules:?}");
}

#[test]
fn the_superset_is_never_rated_below_its_subset() {
    let four = json!([
        "iam:AttachRolePolicy",
        "iam:PutRolePolicy",
        "iam:CreatePolicyVersion",
        "iam:PassRole"
    ]);
    for resource in [
        "*",
        "arn:aws:iam::111122223333:*",
        "arn:aws:iam::*:role/*",
        "arn:aws:iam::111122223333:role/*",
    ] {
        let (subset, _) = rendered(allow(four.clone(), json!(resource)));
        let (superset, rules) = rendered(allow(json!("iam:*"), json!(resource)));
        assert!(
            superset >= subset,
            "iam:* on {resource}: {superset:?} < {subset:?} ({rules:?})"
        );
        let (everything, rules) = rendered(allow(json!("*"), json!(resource)));
        assert!(everything >= superset, "* on {resource}: {rules:?}");
    }
}

#[test]
fn a_document_iam_took_that_cannot_be_read_is_said_not_taken_for_harmless() {
    for document in [
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:x":"\ud800"}}}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"aws:x":1e400}}}]}"#,
        "not a policy at all",
    ] {
        let (severity, rules) = rendered_text(document);
        assert!(severity >= Severity::Warning, "{document}: {rules:?}");
        assert!(rules.contains(&Rule::NotAnalysed), "{document}: {rules:?}");
    }
}

// ----- widening never lowers the severity -----

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:*",
    "ec2:RunInstances",
    "lambda:CreateFunction",
    "iam:PassRole",
    "iam:GetRole",
    "iam:AttachRolePolicy",
    "iam:Put*",
    "iam:*",
    "sts:AssumeRole",
    "*",
    "ssm:SendCommand",
    "s3:PutBucketPolicy",
    "lambda:Update*",
    "*:Put*",
    "i?m:Attach*",
    "*Policy*",
    "kms:*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:iam::aws:policy/*",
    "arn:aws:lambda:*:*:function:*",
    "arn:aws:s3:::*",
    "arn:aws:s3:::bucket/*",
    "arn:aws:iam::111122223333:role/app",
    "arn:aws:iam::111122223333:role/*",
    "arn:aws:iam::111122223333:*",
    "arn:aws:iam::*:user/*",
    "arn:aws:iam::*:*",
    "*",
];

/// A statement: effect, actions (or NotAction), resources, a PassedToService condition.
#[derive(Debug, Clone)]
struct Written {
    deny: bool,
    not_action: bool,
    actions: Vec<usize>,
    resources: Vec<usize>,
    pinned: bool,
}

impl Written {
    fn json(&self) -> Value {
        let actions: Vec<&str> = self.actions.iter().map(|&i| ACTIONS[i]).collect();
        let resources: Vec<&str> = self.resources.iter().map(|&i| RESOURCES[i]).collect();
        let mut s =
            json!({"Effect": if self.deny { "Deny" } else { "Allow" }, "Resource": resources});
        s[if self.not_action {
            "NotAction"
        } else {
            "Action"
        }] = json!(actions);
        if self.pinned {
            s["Condition"] =
                json!({"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}});
        }
        s
    }
}

fn statement() -> impl Strategy<Value = Written> {
    (
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.15),
        prop::collection::vec(0..ACTIONS.len(), 1..4),
        prop::collection::vec(0..RESOURCES.len(), 1..3),
        any::<bool>(),
    )
        .prop_map(|(deny, not_action, actions, resources, pinned)| Written {
            deny,
            not_action,
            actions,
            resources,
            pinned,
        })
}

fn severity(policy: &[Written]) -> Severity {
    rendered(Value::Array(policy.iter().map(Written::json).collect())).0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// An action more, a resource more, a condition less, a statement more or a Deny less:
    /// the policy grants at least what it did, and its alert is rated at least as high.
    #[test]
    fn widening_a_policy_never_lowers_its_severity(
        policy in prop::collection::vec(statement(), 1..4),
        which in any::<prop::sample::Index>(),
        action in 0..ACTIONS.len(),
        resource in 0..RESOURCES.len(),
        extra in statement(),
    ) {
        let before = severity(&policy);
        let i = which.index(policy.len());
        let mut wider: Vec<Vec<Written>> = Vec::new();
        if !policy[i].deny {
            let mut w = policy.clone();
            if w[i].not_action {
                // NotAction widens by listing less.
                if w[i].actions.len() > 1 { w[i].actions.pop(); }
            } else {
                w[i].actions.push(action);
            }
            wider.push(w);
            let mut w = policy.clone();
            w[i].resources.push(resource);
            wider.push(w);
            let mut w = policy.clone();
            w[i].pinned = false;
            wider.push(w);
        } else {
            let mut w = policy.clone();
            w.remove(i);
            if !w.is_empty() { wider.push(w); }
        }
        let mut w = policy.clone();
        if !extra.deny { w.push(extra); wider.push(w); }
        for w in wider {
            let after = severity(&w);
            prop_assert!(after >= before, "{:?} -> {:?}: {before:?} > {after:?}", policy, w);
        }
    }
}

// ----- trust by provider -----

fn trust(principal: Value, condition: Option<Value>) -> (Severity, Vec<Rule>) {
    let mut statement = json!({"Effect": "Allow", "Principal": principal,
        "Action": ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"]});
    if let Some(c) = condition {
        statement["Condition"] = c;
    }
    let doc = json!({"Version": "2012-10-17", "Statement": [statement]});
    let mut event = sample("UpdateAssumeRolePolicy");
    event["detail"]["requestParameters"]["policyDocument"] = json!(doc.to_string());
    let n = render_json(&event.to_string(), Format::Rich).unwrap();
    (n.severity, n.findings.iter().map(|f| f.rule).collect())
}

#[test]
fn trust_is_pinned_by_what_each_provider_needs() {
    let github = json!({"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"});
    let sub = |operator: &str, value: &str| {
        let aud = json!({"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"});
        let mut condition = json!({"StringEquals": aud});
        condition[operator]["token.actions.githubusercontent.com:sub"] = json!(value);
        Some(condition)
    };
    for (name, principal, condition) in [
        (
            "GitHub, any repository of any owner",
            github.clone(),
            sub("StringLike", "repo:*"),
        ),
        (
            "GitHub, a negated subject",
            github.clone(),
            sub("StringNotEquals", "repo:octo-org/app:ref:refs/heads/main"),
        ),
        (
            "GitHub, an owner wildcard",
            github.clone(),
            sub("StringLike", "repo:*/app:*"),
        ),
        ("GitHub, no subject", github.clone(), None),
        (
            "Google without aud",
            json!({"Federated": "accounts.google.com"}),
            None,
        ),
        (
            "Cognito without aud",
            json!({"Federated": "cognito-identity.amazonaws.com"}),
            Some(
                json!({"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}),
            ),
        ),
        (
            "Google, aud a wildcard",
            json!({"Federated": "accounts.google.com"}),
            Some(json!({"StringLike": {"accounts.google.com:aud": "*"}})),
        ),
    ] {
        let (severity, rules) = trust(principal, condition);
        assert_eq!(severity, Severity::Critical, "{name}: {rules:?}");
        assert!(
            rules.contains(&Rule::TrustAnyOidcSubject),
            "{name}: {rules:?}"
        );
    }
    for (name, principal, condition) in [
        (
            "GitHub, one owner's repositories",
            github.clone(),
            sub("StringLike", "repo:octo-org/*"),
        ),
        (
            "GitHub, one branch",
            github.clone(),
            sub("StringEquals", "repo:octo-org/app:ref:refs/heads/main"),
        ),
        (
            "Google, one application",
            json!({"Federated": "accounts.google.com"}),
            Some(
                json!({"StringEquals": {"accounts.google.com:aud": "1234.apps.googleusercontent.com"}}),
            ),
        ),
        (
            "Cognito, one pool",
            json!({"Federated": "cognito-identity.amazonaws.com"}),
            Some(
                json!({"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:0000-1111"}}),
            ),
        ),
    ] {
        let (_, rules) = trust(principal, condition);
        assert!(
            !rules.contains(&Rule::TrustAnyOidcSubject),
            "{name}: {rules:?}"
        );
    }
    // SAML needs its audience; a Cognito pool, authenticated identities: at least a warning
    // without, nothing with.
    let saml = json!({"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"});
    let pool = json!({"Federated": "cognito-identity.amazonaws.com"});
    let aud = json!({"cognito-identity.amazonaws.com:aud": "us-east-1:0000-1111"});
    for (name, principal, condition, open) in [
        ("SAML without aud", saml.clone(), None, true),
        (
            "SAML, aud a wildcard",
            saml.clone(),
            Some(json!({"StringLike": {"SAML:aud": "*"}})),
            true,
        ),
        (
            "SAML, AWS's sign-in endpoint",
            saml.clone(),
            Some(json!({"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}})),
            false,
        ),
        (
            "Cognito, one pool, guests too",
            pool.clone(),
            Some(json!({"StringEquals": aud})),
            true,
        ),
        (
            "Cognito, one pool, authenticated",
            pool.clone(),
            Some(json!({"StringEquals": aud,
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}})),
            false,
        ),
    ] {
        let (severity, rules) = trust(principal, condition);
        assert_eq!(
            rules.contains(&Rule::TrustFederationUnpinned),
            open,
            "{name}: {rules:?}"
        );
        if open {
            assert!(severity >= Severity::Warning, "{name}");
        }
    }
    // Another account: an ExternalId or organization condition guards only with a value.
    let other = json!({"AWS": "arn:aws:iam::999988887777:root"});
    for (operator, key, value) in [
        ("StringLike", "sts:ExternalId", "*"),
        ("StringNotEquals", "sts:ExternalId", "x"),
        ("StringLike", "aws:PrincipalOrgID", "o-*"),
    ] {
        let (_, rules) = trust(other.clone(), Some(json!({operator: {key: value}})));
        assert!(
            rules.contains(&Rule::TrustOtherAccount),
            "{operator} {key} {value}: {rules:?}"
        );
    }
    for (operator, key, value) in [
        ("StringEquals", "sts:ExternalId", "f3a9c1d2"),
        ("StringEquals", "aws:PrincipalOrgID", "o-a1b2c3d4e5"),
        (
            "ForAnyValue:StringLike",
            "aws:PrincipalOrgPaths",
            "o-a1b2c3d4e5/r-ab12/ou-*",
        ),
    ] {
        let (_, rules) = trust(other.clone(), Some(json!({operator: {key: value}})));
        assert!(
            !rules.contains(&Rule::TrustOtherAccount),
            "{operator} {key} {value}: {rules:?}"
        );
    }
}

#[test]
fn names_that_mix_scripts_are_marked_where_they_are_shown() {
    // A Cyrillic а (U+0430) and е (U+0435) standing in for Latin letters.
    let mut event = sample("CreateUser");
    event["detail"]["userIdentity"]["userName"] = json!("\u{430}lice");
    event["detail"]["userIdentity"]["arn"] = json!("arn:aws:iam::111122223333:user/\u{430}lice");
    event["detail"]["requestParameters"]["userName"] = json!("d\u{435}ploy-bot");
    let n = render_json(&event.to_string(), Format::Rich).unwrap();
    let line = |label: &str| {
        n.body
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("Who:").ends_with("[LOOK-ALIKE: mixes Cyrillic and Latin letters]"),
        "{}",
        n.body
    );
    assert!(
        line("Resource:").ends_with("[LOOK-ALIKE: mixes Latin and Cyrillic letters]"),
        "{}",
        n.body
    );
    // Plain names carry no mark, nor does a name in one script other than Latin.
    let mut cyrillic = sample("CreateUser");
    cyrillic["detail"]["requestParameters"]["userName"] =
        json!("\u{430}\u{434}\u{43c}\u{438}\u{43d}");
    let n = render_json(&cyrillic.to_string(), Format::Rich).unwrap();
    assert!(!n.body.contains("LOOK-ALIKE"), "{}", n.body);
    let plain = render_json(&sample("CreateUser").to_string(), Format::Rich).unwrap();
    assert!(!plain.body.contains("LOOK-ALIKE"));
}
