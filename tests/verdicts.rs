//! Verdicts true to what the record says: AWS's own quarantine, MFA as recorded, and routine
//! Identity Center provisioning said in words (issue 10's points 2, 3 and 11; points 1 and 4
//! are in tests/severity.rs).

mod common;

use common::sample;
use iam_notify::severity::{Rule, Severity};
use iam_notify::{Format, render_payload};
use serde_json::json;

#[test]
fn aws_quarantine_of_an_exposed_key_is_critical_with_next_steps_and_only_when_it_is_awss() {
    let attached = render_payload(
        &sample("AttachUserPolicy-AWSCompromisedKeyQuarantineV3-by-aws-internal"),
        Format::Rich,
    )
    .unwrap();
    assert_eq!(attached.severity, Severity::Critical);
    assert!(
        attached
            .body
            .starts_with("AWS itself (AWS Internal, an AWS-internal caller) attached")
    );
    assert!(
        attached.body.contains("[AWS internal]"),
        "aws-internal/ is not an SDK"
    );
    assert!(attached.body.contains(
        "NEXT STEPS (key-quarantined): deactivate the exposed access key of user deploy-bot"
    ));
    // AWS attaches its managed policy; an inline policy of that name is the caller's own
    // words, judged by its document (here iam:* on everything) and said to be a look-alike.
    for version in [
        "AWSCompromisedKeyQuarantine",
        "AWSCompromisedKeyQuarantineV2",
    ] {
        let mut inline = sample("PutUserPolicy");
        inline["detail"]["requestParameters"]["policyName"] = json!(version);
        inline["detail"]["requestParameters"]["policyDocument"] = json!(
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]})
                .to_string()
        );
        let n = render_payload(&inline, Format::Rich).unwrap();
        let rules: Vec<Rule> = n.findings.iter().map(|f| f.rule).collect();
        assert!(!rules.contains(&Rule::KeyQuarantined), "{version}");
        assert!(rules.contains(&Rule::AllowIamAll), "{version}: {rules:?}");
        assert!(
            n.body.contains(&format!(
                "{version} (inline: the caller's own, not AWS's policy of that name)"
            )),
            "{}",
            n.body
        );
    }
    // A policy of the same name in the customer's account is not AWS's.
    let mut lookalike = sample("AttachUserPolicy-AWSCompromisedKeyQuarantineV3-by-aws-internal");
    lookalike["detail"]["requestParameters"]["policyArn"] =
        json!("arn:aws:iam::111122223333:policy/AWSCompromisedKeyQuarantineV3");
    let n = render_payload(&lookalike, Format::Rich).unwrap();
    assert!(!n.findings.iter().any(|f| f.rule == Rule::KeyQuarantined));
}

#[test]
fn mfa_is_said_on_the_who_line_and_a_root_session_without_it_plainly() {
    let mut event = sample("CreateUser-by-root-via-sso");
    event["detail"]["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"] =
        json!("false");
    let n = render_payload(&event, Format::Rich).unwrap();
    assert!(n.body.contains("[root session WITHOUT MFA]"), "{}", n.body);
    assert!(n.body.contains("signed in WITHOUT MFA"), "{}", n.body);
    let signed_in = render_payload(&sample("ConsoleLogin"), Format::Rich).unwrap();
    assert!(
        signed_in.body.contains("[root session WITHOUT MFA]"),
        "MFAUsed: No"
    );
    // Where no person could have used MFA, the flag means nothing and is not shown: a CI
    // session from an OpenID Connect token, an IAM Identity Center session (MFA is asked at
    // Identity Center's own sign-in), a service acting for someone.
    for file in [
        "AttachRolePolicy",
        "AttachRolePolicy-aws-managed-AdministratorAccess-by-sso-user",
        "DeleteRole",
    ] {
        let n = render_payload(&sample(file), Format::Rich).unwrap();
        assert!(!n.body.contains("[MFA: "), "{file}: {}", n.body);
    }
    // An instance's role credentials neither; a role assumed by a person (no token, no
    // Identity Center, no instance) keeps it.
    let mut instance = sample("AttachUserPolicy-long-session-name-keeps-target");
    let n = render_payload(&instance, Format::Rich).unwrap();
    assert!(!n.body.contains("[MFA: "), "{}", n.body);
    let context = &mut instance["detail"]["userIdentity"]["sessionContext"];
    context.as_object_mut().unwrap().remove("ec2RoleDelivery");
    let person = render_payload(&instance, Format::Rich).unwrap();
    assert!(person.body.contains("[MFA: no]"), "{}", person.body);
    let refused = render_payload(
        &sample("ConsoleLogin-root-failed-authentication"),
        Format::Rich,
    )
    .unwrap();
    assert!(
        !refused.body.contains("MFA]"),
        "a refused sign-in opened no session"
    );
}

#[test]
fn identity_center_provisioning_is_said_as_routine_only_for_its_service_linked_role() {
    let removal = sample("DetachRolePolicy-AdministratorAccess-by-identity-center");
    let n = render_payload(&removal, Format::Rich).unwrap();
    assert!(n.body.starts_with(
        "IAM Identity Center removed permission set AdministratorAccess from role AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b (routine provisioning by AWSServiceRoleForSSO/SSO)."
    ), "{}", n.body);
    let mut provisioning = removal.clone();
    provisioning["detail"]["eventName"] = json!("AttachRolePolicy");
    let n = render_payload(&provisioning, Format::Rich).unwrap();
    assert!(
        n.body.starts_with(
            "IAM Identity Center provisioned permission set AdministratorAccess on role"
        ),
        "{}",
        n.body
    );
    // A role that only bears the name, outside the path only AWS can use, is not routine.
    let mut lookalike = removal;
    lookalike["detail"]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] =
        json!("arn:aws:iam::111122223333:role/AWSServiceRoleForSSO");
    let n = render_payload(&lookalike, Format::Rich).unwrap();
    assert!(!n.body.contains("IAM Identity Center"), "{}", n.body);
}

#[test]
fn a_denied_call_keeps_the_target_its_error_message_names() {
    let n = render_payload(
        &sample("CreatePolicyVersion-denied-target-only-in-error-message"),
        Format::Rich,
    )
    .unwrap();
    assert!(
        n.body
            .contains("Resource ARN:   arn:aws:iam::111122223333:policy/billing/billing-read"),
        "{}",
        n.body
    );
    assert!(n.link.ends_with("/policies/details/arn%3Aaws%3Aiam%3A%3A111122223333%3Apolicy%2Fbilling%2Fbilling-read?section=versions"), "{}", n.link);
    assert!(!n.body.contains("(name not recorded)"));
    // Any kind IAM names: a generic call links to what the message names.
    let read = render_payload(&sample("GetRole-denied-read-only"), Format::Rich).unwrap();
    assert!(
        read.body.contains("Resource:       role ci-deploy"),
        "{}",
        read.body
    );
    assert_eq!(
        read.link,
        "https://console.aws.amazon.com/iam/home#/roles/details/ci-deploy"
    );
}

#[test]
fn a_denied_read_tried_to_read_not_to_change() {
    let n = render_payload(&sample("GetRole-denied-read-only"), Format::Rich).unwrap();
    assert!(
        n.body.starts_with(
            "DENIED: nothing was read. mallory tried to read with GetRole and was refused."
        ),
        "{}",
        n.body
    );
    assert!(!n.body.contains("tried a change"));
    assert!(n.findings[0].reason.contains("tried to read"));
}

#[test]
fn arns_are_never_invented() {
    // A create that failed made nothing, and the user that exists may have another path.
    let n = render_payload(&sample("CreateUser-failed-already-exists"), Format::Rich).unwrap();
    assert!(
        n.body.contains("Resource ARN:   (not in the record)"),
        "{}",
        n.body
    );
    assert!(!n.body.contains("arn:aws:iam::111122223333:user/bob"));
    // With the path in the request the ARN is exact, failed or not.
    let mut with_path = sample("CreateUser-failed-already-exists");
    with_path["detail"]["requestParameters"]["path"] = json!("/eng/");
    let n = render_payload(&with_path, Format::Rich).unwrap();
    assert!(
        n.body
            .contains("Resource ARN:   arn:aws:iam::111122223333:user/eng/bob"),
        "{}",
        n.body
    );
}

#[test]
fn a_failed_rename_says_what_did_not_change() {
    let n = render_payload(&sample("UpdateGroup-rename-failed"), Format::Rich).unwrap();
    assert!(
        n.body.contains(
            "Not changed:    rename of group devs to developers failed: the group is still devs"
        ),
        "{}",
        n.body
    );
    assert!(!n.body.contains("Previous name"));
    assert!(
        n.link.ends_with("/groups/details/devs"),
        "links to the group as it still is"
    );
}

#[test]
fn a_long_subject_keeps_the_target_and_shortens_the_caller_first() {
    let n = render_payload(
        &sample("AttachUserPolicy-long-session-name-keeps-target"),
        Format::Rich,
    )
    .unwrap();
    assert!(
        n.subject
            .contains("AdministratorAccess -> user deploy-bot by ec2-instance-rol"),
        "{}",
        n.subject
    );
    assert!(n.subject.ends_with("...") && n.subject.len() < 100);
}

#[test]
fn samples_of_each_verdict_say_it() {
    let n = render_payload(
        &sample("CreateUser-by-root-session-without-mfa"),
        Format::Rich,
    )
    .unwrap();
    assert!(
        n.body.contains("[root session WITHOUT MFA]") && n.body.contains("signed in WITHOUT MFA")
    );
    let n = render_payload(
        &sample("AttachRolePolicy-by-identity-center-provisioning"),
        Format::Rich,
    )
    .unwrap();
    assert!(n.body.starts_with("IAM Identity Center provisioned permission set ReadOnly on role AWSReservedSSO_ReadOnly_9f8e7d6c5b4a3f2e"), "{}", n.body);
    let n = render_payload(
        &sample("AddRoleToInstanceProfile-denied-profile-in-error-message"),
        Format::Rich,
    )
    .unwrap();
    assert!(
        n.body.contains("Instance profile: web-server"),
        "{}",
        n.body
    );
}

/// A root sign-in says where from, and without MFA when so, in the subject and the SMS; a
/// refused one says someone tried to sign in *as* root (root did nothing).
#[test]
fn a_root_sign_in_says_where_from_and_a_refused_one_is_not_roots_doing() {
    let ok = render_payload(&sample("ConsoleLogin"), Format::Rich).unwrap();
    let ip = sample("ConsoleLogin")["detail"]["sourceIPAddress"]
        .as_str()
        .unwrap()
        .to_string();
    for text in [&ok.subject, &ok.sms] {
        assert!(
            text.contains(&format!("by ROOT from {ip} without MFA")),
            "{text}"
        );
    }
    let refused = render_payload(
        &sample("ConsoleLogin-root-failed-authentication"),
        Format::Rich,
    )
    .unwrap();
    for text in [&refused.subject, &refused.sms] {
        assert!(
            text.contains(" as ROOT from ") && !text.contains("by ROOT"),
            "{text}"
        );
    }
    assert!(
        refused
            .body
            .contains("\nWho:            someone who tried to sign in as the account root user")
    );
}
