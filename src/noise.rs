//! Noise control: which alerts are not sent, and why. Suppressed alerts are never dropped
//! without trace: the handler logs each one with its reason and counts it in a CloudWatch
//! embedded-metric-format line. Critical alerts are never suppressed.

use crate::arn::Arn;
use crate::event::{CLOUDFORMATION, Event};
use crate::severity::Severity;
use crate::wildcard;
use serde_json::json;

/// What to leave out (all off by default). Every rule reads only fields AWS writes
/// (`userIdentity` as authenticated, `invokedBy`, the session issuer's ARN with its path,
/// `sourceIPAddress` when it is a service's name), never the user agent or anything else the
/// caller chooses, so a caller cannot make its own change look like routine automation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoiseRules {
    /// ARN patterns (`*` any run, `?` one character, case-sensitive) of callers whose changes
    /// are not sent, matched against the caller's ARN and its session issuer's (a role's
    /// pattern covers every session of the role).
    pub ignore_principals: Vec<String>,
    /// Calls made by AWS services: `userIdentity.type` AWSService, an `invokedBy` service, or
    /// a service-linked role (its path `/aws-service-role/`, which customers cannot use).
    pub ignore_aws_services: bool,
    /// Calls made through CloudFormation: `invokedBy` or `sourceIPAddress`
    /// `cloudformation.amazonaws.com`, both written by AWS.
    pub ignore_cloudformation: bool,
}

/// Why the alert of `event`, rated `severity`, is not sent, or `None` to send it. Critical
/// alerts are always sent.
pub fn suppressed(event: &Event<'_>, severity: Severity, rules: &NoiseRules) -> Option<String> {
    if severity == Severity::Critical {
        return None;
    }
    let identity = event.detail.user_identity.as_ref();
    let arn = identity.and_then(|u| u.arn.as_deref());
    let issuer = event.session_issuer_arn();
    for pattern in &rules.ignore_principals {
        for candidate in [arn, issuer].into_iter().flatten() {
            if wildcard::matches(pattern, candidate) {
                return Some(format!(
                    "caller {candidate} matches IGNORE_PRINCIPALS pattern {pattern}"
                ));
            }
        }
    }
    let invoked_by = identity.and_then(|u| u.invoked_by.as_deref());
    if rules.ignore_cloudformation && event.through_cloudformation() {
        return Some("made through CloudFormation (IGNORE_CLOUDFORMATION)".into());
    }
    if rules.ignore_aws_services {
        let service_linked = issuer
            .and_then(Arn::parse)
            .is_some_and(|a| a.service_linked_role_service().is_some());
        let kind = identity.and_then(|u| u.kind.as_deref());
        if kind == Some("AWSService") || service_linked {
            return Some("made by an AWS service (IGNORE_AWS_SERVICES)".into());
        }
        if let Some(service) = invoked_by.filter(|s| s.ends_with(".amazonaws.com")) {
            // CloudFormation has its own switch.
            if service != CLOUDFORMATION {
                return Some(format!(
                    "invoked by the AWS service {service} (IGNORE_AWS_SERVICES)"
                ));
            }
        }
    }
    None
}

/// A CloudWatch embedded-metric-format log line counting one suppressed alert
/// (namespace `iam-notify`, metric `SuppressedAlerts`, dimension `EventName`: the call's name
/// as the alert gives it).
pub fn metric_line(
    event_name: &str,
    event_id: Option<&str>,
    reason: &str,
    timestamp_ms: u128,
) -> String {
    crate::emf::count_line(
        "SuppressedAlerts",
        ("EventName", event_name),
        timestamp_ms,
        &[("eventID", json!(event_id)), ("reason", json!(reason))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, render};
    use serde_json::{Value, json};

    fn event(identity: Value, user_agent: &str, policy_arn: &str) -> Event<'static> {
        Event::parse(&json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
            "detail": {"eventSource": "iam.amazonaws.com", "eventName": "AttachRolePolicy", "eventID": "e",
                       "userAgent": user_agent, "userIdentity": identity,
                       "requestParameters": {"roleName": "r", "policyArn": policy_arn}}}))
        .unwrap()
    }

    fn why(e: &Event<'_>, rules: &NoiseRules) -> Option<String> {
        suppressed(e, render(e, Format::Rich).severity, rules)
    }

    const READ: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

    fn ci() -> Value {
        json!({"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/ci-deploy/run-7",
               "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::1:role/ci-deploy", "userName": "ci-deploy"}}})
    }

    #[test]
    fn principal_patterns_match_the_caller_or_its_role() {
        let rules = NoiseRules {
            ignore_principals: vec!["arn:aws:iam::*:role/ci-*".into()],
            ..Default::default()
        };
        let reason = why(&event(ci(), "aws-cli/2", READ), &rules).unwrap();
        assert_eq!(
            reason,
            "caller arn:aws:iam::1:role/ci-deploy matches IGNORE_PRINCIPALS pattern arn:aws:iam::*:role/ci-*"
        );
        let alice = json!({"type": "IAMUser", "arn": "arn:aws:iam::1:user/alice"});
        assert_eq!(why(&event(alice, "aws-cli/2", READ), &rules), None);
    }

    #[test]
    fn critical_alerts_are_never_suppressed() {
        let rules = NoiseRules {
            ignore_principals: vec!["*".into()],
            ..Default::default()
        };
        assert_eq!(
            why(
                &event(
                    ci(),
                    "aws-cli/2",
                    "arn:aws:iam::aws:policy/AdministratorAccess"
                ),
                &rules
            ),
            None
        );
    }

    #[test]
    fn aws_services_and_cloudformation_are_opt_in() {
        let cfn = json!({"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/cfn/AWSCloudFormation",
                         "invokedBy": "cloudformation.amazonaws.com"});
        let e = event(cfn, "cloudformation.amazonaws.com", READ);
        assert_eq!(why(&e, &NoiseRules::default()), None);
        assert_eq!(
            why(
                &e,
                &NoiseRules {
                    ignore_aws_services: true,
                    ..Default::default()
                }
            ),
            None
        );
        let only_cfn = NoiseRules {
            ignore_cloudformation: true,
            ..Default::default()
        };
        assert_eq!(
            why(&e, &only_cfn).unwrap(),
            "made through CloudFormation (IGNORE_CLOUDFORMATION)"
        );
        let slr = json!({"type": "AssumedRole",
            "arn": "arn:aws:sts::1:assumed-role/AWSServiceRoleForSSO/sso",
            "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::1:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO"}}});
        let services = NoiseRules {
            ignore_aws_services: true,
            ..Default::default()
        };
        assert_eq!(
            why(&event(slr, "sso.amazonaws.com", READ), &services).unwrap(),
            "made by an AWS service (IGNORE_AWS_SERVICES)"
        );
        let svc = json!({"type": "AWSService", "invokedBy": "access-analyzer.amazonaws.com"});
        assert!(
            why(
                &event(svc, "access-analyzer.amazonaws.com", READ),
                &services
            )
            .is_some()
        );
    }

    #[test]
    fn fields_the_caller_writes_cannot_silence_an_alert() {
        let all = NoiseRules {
            ignore_aws_services: true,
            ignore_cloudformation: true,
            ..Default::default()
        };
        // A user agent is whatever the caller's client sends.
        let user = json!({"type": "IAMUser", "arn": "arn:aws:iam::1:user/mallory"});
        for ua in [
            "cloudformation.amazonaws.com",
            "aws-cli/2 cloudformation.amazonaws.com",
            "AWS Internal",
        ] {
            assert_eq!(why(&event(user.clone(), ua, READ), &all), None, "{ua}");
        }
        // A role may be named like a service-linked role; only AWS can put one under the
        // /aws-service-role/ path.
        let lookalike = json!({"type": "AssumedRole",
            "arn": "arn:aws:sts::1:assumed-role/AWSServiceRoleForSSO/s",
            "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::1:role/AWSServiceRoleForSSO"}}});
        assert_eq!(
            why(&event(lookalike, "sso.amazonaws.com", READ), &all),
            None
        );
        // CloudFormation as AWS records it: invokedBy, or the service as source address.
        let stack = json!({"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/deployer/s"});
        let mut e = event(stack, "aws-cli/2", READ);
        e.detail.source_ip_address = Some(CLOUDFORMATION.into());
        assert!(why(&e, &all).is_some());
    }

    #[test]
    fn the_metric_line_is_embedded_metric_format() {
        let line: Value = serde_json::from_str(&metric_line(
            "AttachRolePolicy",
            Some("e"),
            "why",
            1_700_000_000_000,
        ))
        .unwrap();
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            "SuppressedAlerts"
        );
        assert_eq!(line["SuppressedAlerts"], 1);
        assert_eq!(line["EventName"], "AttachRolePolicy");
        assert_eq!(line["eventID"], "e");
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000u64);
    }
}
