//! Every severity rule fires on an event that shows it, and the subject carries the severity.

mod common;

use common::sample;
use iam_notify::severity::{Rule, Severity};
use iam_notify::{Format, render_payload};
use serde_json::{Value, json};

fn with(mut event: Value, path: &[&str], value: Value) -> Value {
    let mut v = &mut event;
    for key in &path[..path.len() - 1] {
        v = &mut v[*key];
    }
    v[path[path.len() - 1]] = value;
    event
}

fn policy(doc: Value) -> Value {
    with(
        sample("PutRolePolicy"),
        &["detail", "requestParameters", "policyDocument"],
        json!(doc.to_string()),
    )
}

fn trust(principal: Value) -> Value {
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]});
    with(
        sample("UpdateAssumeRolePolicy"),
        &["detail", "requestParameters", "policyDocument"],
        json!(doc.to_string()),
    )
}

fn allow(action: &str) -> Value {
    policy(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}),
    )
}

/// (rule, an event that fires it).
fn cases() -> Vec<(Rule, Value)> {
    vec![
        (Rule::MonitorChanged, sample("SetTopicAttributes")),
        (Rule::MonitorMuted, sample("DisableRule")),
        (Rule::RootUser, sample("CreateUser-by-root-via-sso")),
        (Rule::RootConsoleSignIn, sample("ConsoleLogin")),
        (
            Rule::RootSignInFailed,
            sample("ConsoleLogin-root-failed-authentication"),
        ),
        (
            Rule::KeyQuarantined,
            sample("AttachUserPolicy-AWSCompromisedKeyQuarantineV3-by-aws-internal"),
        ),
        (
            Rule::PrivilegedPolicyDetached,
            sample("DetachRolePolicy-AdministratorAccess-by-identity-center"),
        ),
        (Rule::AllowAll, allow("*")),
        (Rule::AllowIamAll, allow("iam:*")),
        (Rule::AllowServiceAll, allow("s3:*")),
        (Rule::PassRoleAny, allow("iam:PassRole")),
        (
            Rule::AllowNotAction,
            policy(
                json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}),
            ),
        ),
        (
            Rule::NotAnalysed,
            with(
                sample("PutRolePolicy"),
                &["detail", "requestParameters", "policyDocument"],
                json!(
                    "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": 1e400}]}"
                ),
            ),
        ),
        (
            Rule::AllowNotPrincipal,
            policy(
                json!({"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}),
            ),
        ),
        (Rule::EscalationToAdmin, allow("iam:AttachUserPolicy")),
        (
            Rule::PrivilegeEscalation,
            allow("iam:SetDefaultPolicyVersion"),
        ),
        (Rule::PermissionsManagement, allow("s3:PutBucketPolicy")),
        (
            Rule::GrantsNothing,
            policy(json!({"Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]})),
        ),
        (Rule::TrustAnyone, trust(json!({"AWS": "*"}))),
        (
            Rule::TrustAnyOidcSubject,
            sample("UpdateAssumeRolePolicy-github-oidc-any-repository"),
        ),
        (
            Rule::TrustFederationUnpinned,
            trust(json!({"Federated": "arn:aws:iam::111122223333:saml-provider/Okta"})),
        ),
        (
            Rule::TrustServiceUnscoped,
            trust(json!({"Service": "lambda.amazonaws.com"})),
        ),
        (
            Rule::TrustOtherAccount,
            trust(json!({"AWS": "arn:aws:iam::999988887777:root"})),
        ),
        (Rule::DefaultVersionChanged, sample("CreatePolicyVersion")),
        (Rule::NewCredential, sample("CreateAccessKey")),
        (
            Rule::PasswordPolicyRemoved,
            sample("DeleteAccountPasswordPolicy"),
        ),
        (
            Rule::PasswordPolicyWeak,
            sample("UpdateAccountPasswordPolicy"),
        ),
        (Rule::KeyReactivated, sample("UpdateAccessKey-reactivated")),
        (Rule::SelfChange, sample("PutRolePolicy-role-grants-itself")),
        (Rule::MfaRemoved, sample("DeactivateMFADevice")),
        (
            Rule::BoundaryRemoved,
            sample("DeleteRolePermissionsBoundary"),
        ),
        (
            Rule::IdentityProviderChanged,
            sample("CreateOpenIDConnectProvider"),
        ),
        (Rule::Denied, sample("AttachRolePolicy-denied")),
    ]
}

#[test]
fn every_rule_fires_and_sets_the_subject() {
    let cases = cases();
    let tested: Vec<Rule> = cases.iter().map(|(r, _)| *r).collect();
    assert_eq!(tested, Rule::ALL, "one case per rule, in the table's order");
    for (rule, event) in cases {
        let severity = rule.severity();
        let n = render_payload(&event, Format::Rich).unwrap();
        assert!(
            n.findings.iter().any(|f| f.rule == rule),
            "{rule}: {:?}",
            n.findings
        );
        let line = format!("[{}: {rule}]", severity.word());
        assert!(
            n.body.contains(&line),
            "{rule}: the body lists it\n{}",
            n.body
        );
        let tag = match (rule, severity) {
            (Rule::Denied, _) => "[IAM DENIED]",
            (Rule::RootSignInFailed, _) => "[IAM FAILED]",
            (_, Severity::Critical) => "CRITICAL]",
            (_, Severity::Warning) => "WARNING]",
            (_, Severity::Info) => "]",
        };
        assert!(n.subject.contains(tag), "{rule}: {}", n.subject);
    }
}

#[test]
fn plain_changes_are_info() {
    for name in [
        "CreateGroup",
        "DeletePolicy",
        "DetachRolePolicy",
        "UpdateUser",
        "RemoveUserFromGroup",
    ] {
        let n = render_payload(&sample(name), Format::Rich).unwrap();
        assert_eq!(n.severity, Severity::Info, "{name}: {:?}", n.findings);
        assert!(
            n.subject.starts_with(&format!("[IAM] {name}")),
            "{}",
            n.subject
        );
    }
}

#[test]
fn a_denied_call_is_at_most_a_warning_whatever_it_tried() {
    let event = with(
        sample("AttachRolePolicy-denied"),
        &["detail", "requestParameters"],
        json!({"roleName": "ci-deploy", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    );
    let n = render_payload(&event, Format::Rich).unwrap();
    assert!(
        n.findings.iter().any(|f| f.rule == Rule::AllowAll),
        "what it tried is said"
    );
    assert_eq!(n.severity, Severity::Warning);
}

/// The README's table is the rule table: same ids, severities and words, same order.
#[test]
fn the_readme_lists_every_rule_with_its_severity_and_reason() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let rows: Vec<(String, String, String)> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim_end_matches('|').split(" | ").collect();
            let id = cells.first()?.strip_suffix('`')?;
            Rule::ALL.iter().any(|r| r.id() == id).then(|| {
                (
                    id.to_string(),
                    cells.get(1).unwrap_or(&"").trim().to_string(),
                    // The README sets code in backticks; the rule's own text is plain.
                    cells.get(2).unwrap_or(&"").trim().replace('`', ""),
                )
            })
        })
        .collect();
    let want: Vec<(String, String, String)> = Rule::ALL
        .iter()
        .map(|r| {
            (
                r.id().to_string(),
                r.severity().word().to_string(),
                r.description().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows, want,
        "README.md's severity table and src/severity.rs differ"
    );
}

/// Every call that adds access and the call that removes it again, given the same record:
/// the removal is never rated above the addition. The exceptions stay serious on purpose and
/// are named rules of their own (a removed MFA device or permissions boundary).
#[test]
fn removing_access_is_never_rated_above_adding_it() {
    const PAIRS: &[(&str, &str)] = &[
        ("AttachRolePolicy", "DetachRolePolicy"),
        ("AttachUserPolicy", "DetachUserPolicy"),
        ("AttachGroupPolicy", "DetachGroupPolicy"),
        ("PutRolePolicy", "DeleteRolePolicy"),
        ("PutUserPolicy", "DeleteUserPolicy"),
        ("PutGroupPolicy", "DeleteGroupPolicy"),
        ("CreatePolicy", "DeletePolicy"),
        ("CreatePolicyVersion", "DeletePolicyVersion"),
        ("AddUserToGroup", "RemoveUserFromGroup"),
        ("CreateUser", "DeleteUser"),
        ("CreateRole", "DeleteRole"),
        ("CreateGroup", "DeleteGroup"),
        ("CreateAccessKey", "DeleteAccessKey"),
        ("CreateLoginProfile", "DeleteLoginProfile"),
        ("EnableMFADevice", "DeactivateMFADevice"),
        (
            "PutRolePermissionsBoundary",
            "DeleteRolePermissionsBoundary",
        ),
        (
            "PutUserPermissionsBoundary",
            "DeleteUserPermissionsBoundary",
        ),
        ("CreateSAMLProvider", "DeleteSAMLProvider"),
        ("CreateOpenIDConnectProvider", "DeleteOpenIDConnectProvider"),
    ];
    const SERIOUS_REMOVALS: &[Rule] = &[Rule::MfaRemoved, Rule::BoundaryRemoved];
    let everything = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}).to_string();
    let params = json!({
        "roleName": "r", "userName": "u", "groupName": "g", "policyName": "p",
        "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
        "policyDocument": everything, "assumeRolePolicyDocument": json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}).to_string(),
        "permissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess", "setAsDefault": true,
        "versionId": "v2", "serialNumber": "arn:aws:iam::111122223333:mfa/u",
        "url": "https://token.actions.githubusercontent.com", "name": "idp",
        "sAMLProviderArn": "arn:aws:iam::111122223333:saml-provider/idp",
        "openIDConnectProviderArn": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    });
    let render = |name: &str| {
        let mut event = sample("AttachRolePolicy");
        event["detail"]["eventName"] = json!(name);
        event["detail"]["requestParameters"] = params.clone();
        render_payload(&event, Format::Rich).unwrap()
    };
    for (add, remove) in PAIRS {
        let (added, removed) = (render(add), render(remove));
        let exempt = removed
            .findings
            .iter()
            .any(|f| SERIOUS_REMOVALS.contains(&f.rule));
        // Taking away what made the addition critical is not itself critical.
        let strictly = added.severity != Severity::Critical || removed.severity < added.severity;
        assert!(
            (removed.severity <= added.severity && strictly) || exempt,
            "{remove} ({:?}: {:?}) is rated above {add} ({:?})",
            removed.severity,
            removed.findings,
            added.severity
        );
    }
    // The detach says what happened, and Identity Center's routine removal is no page.
    let n = render_payload(
        &sample("DetachRolePolicy-AdministratorAccess-by-identity-center"),
        Format::Rich,
    )
    .unwrap();
    assert_eq!(n.severity, Severity::Info);
    assert_eq!(
        n.findings[0].reason,
        "AdministratorAccess (AWS managed, v1) was detached: role \
         AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b no longer has what it allowed: \
         every action (\"*\") on every resource"
    );
}

/// The opposite calls stay quiet: a key deactivated, a policy at the baseline, a role changing
/// another role, a user changing another user.
#[test]
fn the_new_rules_fire_only_on_what_they_name() {
    let mut off = sample("UpdateAccessKey-reactivated");
    off["detail"]["requestParameters"]["status"] = json!("Inactive");
    let n = render_payload(&off, Format::Rich).unwrap();
    assert!(n.findings.is_empty(), "{:?}", n.findings);
    assert!(n.body.contains("deactivated access key"), "{}", n.body);
    let mut strong = sample("UpdateAccountPasswordPolicy");
    strong["detail"]["requestParameters"]["minimumPasswordLength"] = json!(14);
    strong["detail"]["requestParameters"]["passwordReusePrevention"] = json!(24);
    let n = render_payload(&strong, Format::Rich).unwrap();
    assert!(
        n.findings
            .iter()
            .all(|f| f.rule != Rule::PasswordPolicyWeak),
        "{:?}",
        n.findings
    );
    let mut other = sample("PutRolePolicy-role-grants-itself");
    other["detail"]["requestParameters"]["roleName"] = json!("app-runtime");
    let n = render_payload(&other, Format::Rich).unwrap();
    assert!(
        n.findings.iter().all(|f| f.rule != Rule::SelfChange),
        "{:?}",
        n.findings
    );
    // Same name in another account: not itself.
    let mut elsewhere = sample("PutRolePolicy-role-grants-itself");
    elsewhere["detail"]["userIdentity"]["sessionContext"]["sessionIssuer"]["accountId"] =
        json!("999988887777");
    let n = render_payload(&elsewhere, Format::Rich).unwrap();
    assert!(
        n.findings.iter().all(|f| f.rule != Rule::SelfChange),
        "{:?}",
        n.findings
    );
}
