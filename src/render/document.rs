//! The machine-readable alert, schema `iam-notify/1` (README, "Per-protocol delivery"), for
//! sqs, lambda, http and https subscribers. Stable: fields are only ever added.

use super::{Facts, Outcome};
use crate::actor::user_agent_kind;
use crate::policy;
use crate::severity::{Finding, Severity};
use serde::Serialize;
use serde_json::Value;

/// The `iam-notify/1` document. Field order is the wire order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertDocument {
    pub schema: &'static str,
    pub subject: String,
    pub summary: String,
    pub severity: Severity,
    pub findings: Vec<Finding>,
    pub outcome: Outcome,
    pub event: EventFields,
    pub actor: ActorFields,
    pub resource: ResourceFields,
    pub policy: Option<PolicyFields>,
    /// The decoded policy document the call carried (JSON, or the text as recorded).
    pub policy_document: Option<Value>,
    pub console_url: String,
    /// The full text body (as email subscribers read it).
    pub text: String,
    /// Set when the policy document was left out to fit SNS's limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_document_omitted: Option<bool>,
}

/// What CloudTrail recorded about the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventFields {
    pub name: Option<String>,
    pub source: String,
    pub detail_type: String,
    pub id: Option<String>,
    pub request_id: Option<String>,
    pub time: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub user_agent_kind: Option<&'static str>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// Who made the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActorFields {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub description: String,
    pub arn: Option<String>,
    pub root: bool,
}

/// The resource the call changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceFields {
    pub kind: &'static str,
    pub name: Option<String>,
    pub arn: Option<String>,
    pub deleted: bool,
}

/// The managed policy the call attached, detached or versioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyFields {
    pub name: String,
    pub arn: Option<String>,
    pub aws_managed: bool,
}

/// The document of an alert whose subject and text body are already written.
pub(super) fn document(f: &Facts, subject: &str, text: &str) -> AlertDocument {
    let (event, t, who) = (f.event, &f.target, &f.who);
    let d = &event.detail;
    AlertDocument {
        schema: "iam-notify/1",
        subject: subject.to_string(),
        summary: t.summary.clone(),
        severity: f.severity,
        findings: f.findings.clone(),
        outcome: f.outcome,
        event: EventFields {
            name: d.event_name.clone(),
            source: d
                .event_source
                .clone()
                .unwrap_or_else(|| event.source.clone()),
            detail_type: event.detail_type.clone(),
            id: d.event_id.clone(),
            request_id: d.request_id.clone(),
            time: event.time().map(String::from),
            account: event.account().map(String::from),
            region: event.region().map(String::from),
            source_ip_address: d.source_ip_address.clone(),
            user_agent: d.user_agent.clone(),
            user_agent_kind: d.user_agent.as_deref().map(user_agent_kind),
            error_code: d.error_code.clone(),
            error_message: d.error_message.clone(),
        },
        actor: ActorFields {
            kind: who.kind.clone(),
            name: who.short.clone(),
            description: who.long.clone(),
            arn: d.user_identity.as_ref().and_then(|u| u.arn.clone()),
            root: who.is_root,
        },
        resource: ResourceFields {
            kind: t.kind.noun(),
            name: t.name.clone(),
            arn: t.arn.clone(),
            deleted: t.gone,
        },
        policy: t.policy.as_ref().map(|p| PolicyFields {
            name: p.name.clone(),
            arn: p.arn.clone(),
            aws_managed: p.is_aws_managed(),
        }),
        policy_document: t.document.as_ref().map(|c| match &c.document {
            policy::Document::Json(v) => v.clone(),
            policy::Document::Text(s) => Value::String(s.clone()),
        }),
        console_url: f.link.clone(),
        text: text.to_string(),
        policy_document_omitted: None,
    }
}
