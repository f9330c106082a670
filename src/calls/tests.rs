//! Words and targets per call family, from hand-made records.

use super::*;
use crate::event::Event;
use serde_json::{Value, json};

fn ev(name: &str, detail_extra: Value) -> Event<'static> {
    let mut detail = json!({"eventSource":"iam.amazonaws.com","eventName":name,
        "recipientAccountId":"111122223333",
        "userIdentity":{"type":"IAMUser","userName":"alice","arn":"arn:aws:iam::111122223333:user/alice"}});
    if let (Some(d), Value::Object(extra)) = (detail.as_object_mut(), detail_extra) {
        d.extend(extra);
    }
    Event::parse(
        &json!({"detail-type":"AWS API Call via CloudTrail","source":"aws.iam",
                         "detail":detail}),
    )
    .unwrap()
}

fn summary(name: &str, extra: Value) -> String {
    let e = ev(name, extra);
    resolve(&e, lookup(IAM, name).unwrap()).summary
}

#[test]
fn the_article_lists_25_calls_in_two_rules() {
    let policy = CALLS
        .iter()
        .filter(|c| c.group == RuleGroup::Policy)
        .count();
    let principal = CALLS
        .iter()
        .filter(|c| c.group == RuleGroup::Principal)
        .count();
    assert_eq!((policy, principal), (16, 9));
}

#[test]
fn every_change_to_the_monitor_is_in_a_group_that_watches_it_and_only_those() {
    for c in CALLS {
        assert_eq!(
            matches!(c.shape, Shape::Monitor(..)),
            c.group.watches_the_monitor(),
            "{} {}: a change to the monitor goes to the ops topic too, nothing else does",
            c.source,
            c.name
        );
    }
}

#[test]
fn calls_are_unique_by_service_and_name() {
    for (i, c) in CALLS.iter().enumerate() {
        assert!(
            CALLS[i + 1..]
                .iter()
                .all(|o| (o.source, o.name) != (c.source, c.name)),
            "{}",
            c.name
        );
    }
}

#[test]
fn plain_words_for_each_shape() {
    assert_eq!(
        summary(
            "AttachRolePolicy",
            json!({"requestParameters":{"roleName":"ci-deploy",
            "policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}})
        ),
        "attached managed policy AdministratorAccess to role ci-deploy"
    );
    assert_eq!(
        summary(
            "CreatePolicyVersion",
            json!({"requestParameters":{
            "policyArn":"arn:aws:iam::111122223333:policy/billing-read","setAsDefault":true},
            "responseElements":{"policyVersion":{"versionId":"v3"}}})
        ),
        "created policy version v3 of policy billing-read (set as default)"
    );
    assert_eq!(
        summary(
            "UpdateUser",
            json!({"requestParameters":{"userName":"bob","newUserName":"robert"}})
        ),
        "renamed user bob to robert"
    );
    assert_eq!(
        summary(
            "PutGroupPolicy",
            json!({"requestParameters":{"groupName":"devs","policyName":"s3-write"}})
        ),
        "put inline policy s3-write on group devs"
    );
    assert_eq!(
        summary(
            "UpdateRole",
            json!({"requestParameters":{"roleName":"r","maxSessionDuration":7200}})
        ),
        "updated role r: maximum session duration set to 7200 s"
    );
    assert_eq!(
        summary(
            "CreateAccessKey",
            json!({"requestParameters":{"userName":"u"},
            "responseElements":{"accessKey":{"accessKeyId":"AKIAX","userName":"u"}}})
        ),
        "created access key AKIAX for user u"
    );
}

#[test]
fn denied_call_takes_the_target_from_the_error_message() {
    let e = ev(
        "AttachRolePolicy",
        json!({"errorCode":"AccessDenied",
        "errorMessage":"User: arn:aws:iam::1:user/x is not authorized to perform: iam:AttachRolePolicy on resource: role ci-deploy because no identity-based policy allows the iam:AttachRolePolicy action",
        "requestParameters":null,"responseElements":null}),
    );
    let t = resolve(&e, lookup(IAM, "AttachRolePolicy").unwrap());
    assert_eq!(t.name.as_deref(), Some("ci-deploy"));
    assert_eq!(t.kind, Kind::Role);
}

#[test]
fn denied_call_targets_in_aws_words_keep_their_name() {
    for (call, resource, name, kind) in [
        (
            "SetDefaultPolicyVersion",
            "policy arn:aws:iam::1:policy/billing-read version v2",
            "billing-read",
            Kind::Policy,
        ),
        (
            "AttachRolePolicy",
            "arn:aws:iam::1:role/ci-deploy with an explicit deny",
            "ci-deploy",
            Kind::Role,
        ),
    ] {
        let message = format!(
            "User: arn:aws:iam::1:user/x is not authorized to perform: iam:{call} on resource: {resource} because no identity-based policy allows it"
        );
        let e = ev(
            call,
            json!({"errorCode":"AccessDenied", "errorMessage": message, "requestParameters":null}),
        );
        let t = resolve(&e, lookup(IAM, call).unwrap());
        assert_eq!(t.name.as_deref(), Some(name), "{resource}");
        assert_eq!(t.kind, kind, "{resource}");
    }
    // An instance profile, as the message words it (two words, no hyphen).
    let e = ev(
        "AddRoleToInstanceProfile",
        json!({"errorCode":"AccessDenied", "requestParameters":null,
        "errorMessage":"User: arn:aws:iam::1:user/x is not authorized to perform: iam:AddRoleToInstanceProfile on resource: instance profile web-profile because no identity-based policy allows it"}),
    );
    let t = resolve(&e, lookup(IAM, "AddRoleToInstanceProfile").unwrap());
    assert!(t.summary.contains("web-profile"), "{}", t.summary);
}

#[test]
fn denied_call_with_an_arn_resource() {
    let e = ev(
        "DeleteUser",
        json!({"errorCode":"AccessDenied",
        "errorMessage":"User: arn:aws:iam::1:user/x is not authorized to perform: iam:DeleteUser on resource: arn:aws:iam::1:user/ops/carol",
        "requestParameters":null}),
    );
    let t = resolve(&e, lookup(IAM, "DeleteUser").unwrap());
    assert_eq!(t.name.as_deref(), Some("carol"));
    assert_eq!(t.arn.as_deref(), Some("arn:aws:iam::1:user/ops/carol"));
    assert!(!t.gone, "a failed delete leaves the user in place");
}

#[test]
fn arns_are_built_only_for_creates_with_path() {
    let e = ev(
        "CreateUser",
        json!({"errorCode":"EntityAlreadyExists",
        "requestParameters":{"userName":"u","path":"/eng/"}}),
    );
    let t = resolve(&e, lookup(IAM, "CreateUser").unwrap());
    assert_eq!(
        t.arn.as_deref(),
        Some("arn:aws:iam::111122223333:user/eng/u")
    );
    let e = ev("DeleteRole", json!({"requestParameters":{"roleName":"r"}}));
    assert_eq!(resolve(&e, lookup(IAM, "DeleteRole").unwrap()).arn, None);
}

#[test]
fn everything_missing_still_says_what_happened() {
    for c in CALLS {
        let e = ev(
            c.name,
            json!({"requestParameters":null,"responseElements":null}),
        );
        let t = resolve(&e, c);
        let headline_ok = !t.headline.is_empty() || c.shape == Shape::ConsoleSignIn;
        assert!(!t.summary.is_empty() && headline_ok, "{}", c.name);
    }
}

#[test]
fn lambda_calls_are_known_under_any_api_version() {
    use super::unversioned;
    assert_eq!(
        unversioned("UpdateFunctionConfiguration20150331v2"),
        "UpdateFunctionConfiguration"
    );
    assert_eq!(unversioned("DeleteFunction20150331"), "DeleteFunction");
    assert_eq!(
        unversioned("PutFunctionEventInvokeConfig"),
        "PutFunctionEventInvokeConfig"
    );
    assert_eq!(unversioned("CreateRolev2"), "CreateRolev2");
    assert_eq!(unversioned("20150331"), "20150331");
    let later = super::lookup("lambda.amazonaws.com", "UpdateFunctionCode20991231v7").unwrap();
    assert_eq!(later.name, "UpdateFunctionCode20150331v2");
    assert!(super::lookup("iam.amazonaws.com", "UpdateFunctionCode20150331v2").is_none());
}

/// What a change to the monitor fires: (flags, muting reasons).
fn monitor_change(
    source: &str,
    name: &str,
    request: Value,
    extra: Value,
) -> (Vec<Rule>, Vec<String>) {
    let mut detail = json!({"eventSource": source, "requestParameters": request});
    if let (Some(d), Value::Object(extra)) = (detail.as_object_mut(), extra) {
        d.extend(extra);
    }
    let e = ev(name, detail);
    let call = lookup(source, name).unwrap();
    let t = resolve(&e, call);
    (t.flags, t.findings.into_iter().map(|f| f.reason).collect())
}

#[test]
fn a_change_to_the_monitor_says_whether_it_mutes_it() {
    let lambda = "lambda.amazonaws.com";
    let config = "UpdateFunctionConfiguration20150331v2";
    let vars = |v: Value| json!({"functionName": "iam-notify-1", "environment": {"variables": v}});
    // Variables named: the muting ones are said, their values never.
    let (flags, muted) = monitor_change(
        lambda,
        config,
        vars(json!({"DRY_RUN": "true", "WEBHOOK": "https://hooks.example/secret-path"})),
        json!({}),
    );
    assert_eq!(flags, [Rule::MonitorChanged]);
    assert_eq!(muted.len(), 1);
    assert!(
        muted[0].contains("DRY_RUN") && !muted[0].contains("secret-path"),
        "{muted:?}"
    );
    // Harmless variables: changed, not muted. Hidden ones: may be muting, said so.
    assert!(
        monitor_change(
            lambda,
            config,
            vars(json!({"RUST_LOG": "debug"})),
            json!({})
        )
        .1
        .is_empty()
    );
    let hidden = monitor_change(
        lambda,
        config,
        vars(json!("HIDDEN_DUE_TO_SECURITY_REASONS")),
        json!({}),
    )
    .1;
    assert!(hidden[0].contains("hides them"), "{hidden:?}");
    // Concurrency 0 throttles every alert; 5 does not.
    let concurrency = |n: u64| {
        monitor_change(
            lambda,
            "PutFunctionConcurrency20171031",
            json!({"functionName": "f", "reservedConcurrentExecutions": n}),
            json!({}),
        )
        .1
    };
    assert_eq!(concurrency(0).len(), 1);
    assert!(concurrency(5).is_empty());
    // A rule put back ENABLED, a trail logging writes: changes, not muting.
    let events = "events.amazonaws.com";
    assert!(
        monitor_change(
            events,
            "PutRule",
            json!({"name": "r", "state": "ENABLED"}),
            json!({})
        )
        .1
        .is_empty()
    );
    assert_eq!(
        monitor_change(
            events,
            "PutRule",
            json!({"name": "r", "state": "DISABLED"}),
            json!({})
        )
        .1
        .len(),
        1
    );
    let trail = "cloudtrail.amazonaws.com";
    let selectors = |rw: &str, mgmt: bool| {
        monitor_change(
            trail,
            "PutEventSelectors",
            json!({"trailName": "t", "eventSelectors": [
            {"readWriteType": rw, "includeManagementEvents": mgmt}]}),
            json!({}),
        )
        .1
    };
    assert!(selectors("All", true).is_empty() && selectors("WriteOnly", true).is_empty());
    assert_eq!(selectors("ReadOnly", true).len(), 1);
    assert_eq!(selectors("All", false).len(), 1);
    // A refused change changed nothing: no monitor finding (the denial is its own finding).
    let (flags, muted) = monitor_change(
        events,
        "DisableRule",
        json!({"name": "r"}),
        json!({"errorCode": "AccessDeniedException"}),
    );
    assert!(flags.is_empty() && muted.is_empty());
    // Any API version of a Lambda call, and a function named by ARN with a qualifier.
    let e = ev(
        "UpdateFunctionCode20991231v9",
        json!({"eventSource": lambda,
        "requestParameters": {"functionName": "arn:aws:lambda:us-east-1:1:function:iam-notify-1:$LATEST"}}),
    );
    let t = resolve(&e, lookup(lambda, "UpdateFunctionCode20991231v9").unwrap());
    assert_eq!(t.name.as_deref(), Some("iam-notify-1"));
    assert_eq!(t.flags, [Rule::MonitorChanged]);
}

#[test]
fn a_generic_alert_has_no_line_for_an_empty_request_value() {
    let raw = json!({"source": "aws.s3", "detail-type": "AWS API Call via CloudTrail",
        "detail": {"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy",
            "requestParameters": {"empty": "", "blank": [""], "none": null, "bucketName": "b"}}});
    let e = Event::parse(&raw).expect("an EventBridge event");
    let t = generic(&e);
    let lines: Vec<&str> = t.facts.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(lines, ["bucketName = b"]);
}
