//! The heartbeat: a schedule tags a canary role the stack owns (`iam:TagRole`), the write
//! travels CloudTrail → EventBridge → the function like any IAM change, and the function
//! counts it instead of sending an alert. An alarm fires when the count stays at zero.
//!
//! A heartbeat is recognised by what AWS writes, never by a name a caller chooses: the
//! role's ARN (its name in its account) and the ARN of the role the schedule calls IAM as.
//! Anything else done to the canary (a policy attached, its trust changed, a tag put by
//! someone else) is an ordinary alert.

use crate::arn::Arn;
use crate::event::Event;
use serde_json::json;

/// The canary role and the role the schedule acts as, both checked IAM role ARNs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canary {
    role_arn: String,
    role_name: String,
    account: String,
    caller_arn: String,
}

impl Canary {
    /// Both must be IAM role ARNs (`arn:<partition>:iam::<account>:role/<path><name>`).
    pub fn new(role_arn: &str, caller_arn: &str) -> Result<Canary, String> {
        let role = Arn::parse(role_arn)
            .filter(|a| a.service == "iam" && a.resource_type() == "role")
            .ok_or_else(|| format!("{role_arn:?} is not an IAM role ARN"))?;
        Arn::parse(caller_arn)
            .filter(|a| a.service == "iam" && a.resource_type() == "role")
            .ok_or_else(|| format!("{caller_arn:?} is not an IAM role ARN"))?;
        Ok(Canary {
            role_arn: role_arn.to_string(),
            role_name: role.name().unwrap_or_default().to_string(),
            account: role.account.to_string(),
            caller_arn: caller_arn.to_string(),
        })
    }

    pub fn role_arn(&self) -> &str {
        &self.role_arn
    }

    /// `event` is the schedule's successful TagRole of the canary.
    pub fn is_heartbeat(&self, event: &Event<'_>) -> bool {
        let d = &event.detail;
        d.event_source.as_deref() == Some(crate::calls::IAM)
            && d.event_name.as_deref() == Some("TagRole")
            && d.error_code.is_none()
            && event.account() == Some(self.account.as_str())
            && event.request("roleName").as_deref() == Some(self.role_name.as_str())
            && event.session_issuer_arn() == Some(self.caller_arn.as_str())
    }

    /// A CloudWatch embedded-metric-format line counting one heartbeat (metric
    /// `iam-notify/Heartbeats`, dimension `Canary` = the role's ARN: what the alarm watches).
    pub fn metric_line(&self, event_id: Option<&str>, timestamp_ms: u128) -> String {
        crate::emf::count_line(
            "Heartbeats",
            ("Canary", &self.role_arn),
            timestamp_ms,
            &[("eventID", json!(event_id))],
        )
    }
}

/// The role forwarder.yaml's heartbeat tags in a member account (`Name` of its canary).
pub const MEMBER_CANARY_ROLE: &str = "iam-notify-forwarder-canary";
/// The role a member account's heartbeat schedule acts as (forwarder.yaml names it).
pub const MEMBER_SCHEDULER_ROLE: &str = "iam-notify-forwarder-heartbeat";

/// In an organization's central stack: the account whose forwarder heartbeat `event` is —
/// its schedule's successful TagRole of its canary, both roles named by forwarder.yaml and in
/// the account the event was recorded in (the caller's role ARN is AWS-written).
pub fn member_heartbeat<'e>(event: &'e Event<'_>) -> Option<&'e str> {
    let d = &event.detail;
    let account = event.account()?;
    let issuer = Arn::parse(event.session_issuer_arn()?)?;
    let ok = d.event_source.as_deref() == Some(crate::calls::IAM)
        && d.event_name.as_deref() == Some("TagRole")
        && d.error_code.is_none()
        && event.request("roleName").as_deref() == Some(MEMBER_CANARY_ROLE)
        && issuer.service == "iam"
        && issuer.account == account
        && issuer.resource == format!("role/{MEMBER_SCHEDULER_ROLE}");
    ok.then_some(account)
}

/// A CloudWatch embedded-metric-format line counting one member account's heartbeat
/// (metric `iam-notify/MemberHeartbeats`, dimension `Account`).
pub fn member_metric_line(account: &str, event_id: Option<&str>, timestamp_ms: u128) -> String {
    crate::emf::count_line(
        "MemberHeartbeats",
        ("Account", account),
        timestamp_ms,
        &[("eventID", json!(event_id))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const ROLE: &str = "arn:aws:iam::111122223333:role/iam-notify-heartbeat";
    const CALLER: &str = "arn:aws:iam::111122223333:role/iam-notify-heartbeat-scheduler";

    fn tag_role(role: &str, account: &str, issuer: &str, extra: Value) -> Event<'static> {
        let mut v = json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
            "account": account,
            "detail": {"eventSource": "iam.amazonaws.com", "eventName": "TagRole",
                "recipientAccountId": account,
                "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/x/s",
                    "sessionContext": {"sessionIssuer": {"type": "Role", "arn": issuer}}},
                "requestParameters": {"roleName": role, "tags": [{"key": "iam-notify-heartbeat", "value": "t"}]}}});
        if let (Some(d), Value::Object(extra)) = (v["detail"].as_object_mut(), extra) {
            d.extend(extra);
        }
        Event::parse(&v).unwrap()
    }

    #[test]
    fn only_the_schedules_successful_tag_of_the_canary_is_a_heartbeat() {
        let c = Canary::new(ROLE, CALLER).unwrap();
        let account = "111122223333";
        assert!(c.is_heartbeat(&tag_role(
            "iam-notify-heartbeat",
            account,
            CALLER,
            json!({})
        )));
        // Someone else tags the canary: an alert.
        let other = "arn:aws:iam::111122223333:role/admin";
        assert!(!c.is_heartbeat(&tag_role("iam-notify-heartbeat", account, other, json!({}))));
        // Same names, another account.
        assert!(!c.is_heartbeat(&tag_role(
            "iam-notify-heartbeat",
            "444455556666",
            CALLER,
            json!({})
        )));
        // Another role, a failed call, another call.
        assert!(!c.is_heartbeat(&tag_role(
            "iam-notify-heartbeat-2",
            account,
            CALLER,
            json!({})
        )));
        assert!(!c.is_heartbeat(&tag_role(
            "iam-notify-heartbeat",
            account,
            CALLER,
            json!({"errorCode": "AccessDenied"})
        )));
        assert!(!c.is_heartbeat(&tag_role(
            "iam-notify-heartbeat",
            account,
            CALLER,
            json!({"eventName": "UntagRole"})
        )));
    }

    #[test]
    fn canary_and_caller_must_be_role_arns() {
        assert!(Canary::new("iam-notify-heartbeat", CALLER).is_err());
        assert!(Canary::new(ROLE, "arn:aws:iam::111122223333:user/bob").is_err());
        assert!(Canary::new("arn:aws:sns:us-east-1:111122223333:role/x", CALLER).is_err());
    }

    #[test]
    fn metric_line_is_embedded_metric_format() {
        let c = Canary::new(ROLE, CALLER).unwrap();
        let line: Value =
            serde_json::from_str(&c.metric_line(Some("e-1"), 1_700_000_000_000)).unwrap();
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "iam-notify"
        );
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Canary"]])
        );
        assert_eq!(line["Canary"], ROLE);
        assert_eq!(line["Heartbeats"], 1);
    }
}
