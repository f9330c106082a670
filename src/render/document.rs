//! The machine-readable alert, schema `iam-notify/1` (README, "Per-protocol delivery"), for
//! sqs, lambda, http and https subscribers. Stable: fields are only ever added.

use super::{Facts, Outcome};
use crate::actor::user_agent_kind;
use crate::policy;
use crate::redact::{shorten, shorten_cow, shorten_cow_opt, shorten_opt};
use crate::severity::{Finding, Severity};
use crate::text::{one_line, one_line_cow, one_line_owned};
use serde::Serialize;
use std::borrow::Cow;

/// How much of an alert travels, each step smaller than the one before: whole; without its
/// policy document (`policyDocumentOmitted`); compacted (see [`AlertDocument::compact`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    Whole,
    WithoutPolicyDocument,
    Compact,
}

/// What machines receive: one alert's document, or a digest's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Document<'a> {
    Alert(Box<AlertDocument<'a>>),
    Digest(Box<super::digest_document::DigestDocument>),
}

impl<'a> Document<'a> {
    /// The document owning every text.
    pub fn into_owned(self) -> Document<'static> {
        match self {
            Document::Alert(d) => Document::Alert(Box::new(d.into_owned())),
            Document::Digest(d) => Document::Digest(d),
        }
    }

    /// One line saying what happened.
    pub fn summary(&self) -> &str {
        match self {
            Document::Alert(d) => &d.summary,
            Document::Digest(d) => &d.summary,
        }
    }

    /// The ARNs the alert is about (Amazon Q's related resources).
    pub fn related_arns(&self) -> Vec<&str> {
        match self {
            Document::Alert(d) => [
                d.resource.arn.as_deref(),
                d.policy.as_ref().and_then(|p| p.arn.as_deref()),
            ]
            .into_iter()
            .flatten()
            .collect(),
            Document::Digest(d) => d
                .changes
                .iter()
                .filter_map(|c| c.resource.arn.as_deref())
                .take(RELATED_ARNS)
                .collect(),
        }
    }

    /// Whether a policy document is in it (the first thing left out when the message is too
    /// large).
    pub fn has_policy_document(&self) -> bool {
        matches!(self, Document::Alert(d) if d.policy_document.is_some())
    }

    /// The document as JSON text carrying `text` as its body, as much of it as `fit` says.
    pub fn to_json(&self, text: &str, fit: Fit) -> String {
        let carried = match self {
            Document::Alert(d) => {
                let mut doc = d.as_ref().clone();
                doc.text = text.to_string();
                match fit {
                    Fit::Whole => {}
                    Fit::WithoutPolicyDocument => {
                        if doc.policy_document.take().is_some() {
                            doc.policy_document_omitted = Some(true);
                        }
                    }
                    Fit::Compact => doc.compact(),
                }
                Document::Alert(Box::new(doc))
            }
            Document::Digest(d) => {
                let mut doc = d.as_ref().clone();
                doc.text = text.to_string();
                if fit == Fit::Compact {
                    doc.compact();
                }
                Document::Digest(Box::new(doc))
            }
        };
        serde_json::to_string(&carried)
            .expect("invariant: a document serialises (string keys, no custom errors)")
    }
}

/// The related resources a digest names (Amazon Q shows a few).
const RELATED_ARNS: usize = 10;

/// The `iam-notify/1` document. Field order is the wire order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertDocument<'a> {
    pub schema: &'static str,
    pub subject: String,
    pub summary: String,
    pub severity: Severity,
    pub findings: Vec<Finding>,
    pub outcome: Outcome,
    pub event: EventFields<'a>,
    pub actor: ActorFields<'a>,
    pub resource: ResourceFields,
    pub policy: Option<PolicyFields>,
    /// What was read from IAM about the change (enrichment): absent when nothing was.
    #[serde(rename = "lookedUp", skip_serializing_if = "Option::is_none")]
    pub looked_up: Option<super::looked_up::Said>,
    /// The decoded policy document the call carried (JSON, or the text as recorded).
    pub policy_document: Option<policy::Document>,
    pub console_url: String,
    /// The full text body (as email subscribers read it).
    pub text: String,
    /// Set when the policy document was left out to fit SNS's limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_document_omitted: Option<bool>,
    /// Set when findings were left out to fit SNS's limit: how many (the most severe stay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings_omitted: Option<usize>,
    /// Set when long fields were cut to fit SNS's limit (each cut says so).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields_cut: Option<bool>,
}

/// Findings a compacted document keeps (the most severe: findings are sorted).
const COMPACT_FINDINGS: usize = 5;
/// The longest text field of a compacted document.
const COMPACT_FIELD_BYTES: usize = 256;

impl AlertDocument<'_> {
    /// The document owning every text.
    pub fn into_owned(self) -> AlertDocument<'static> {
        let e = self.event;
        let owned = |v: Option<Cow<'_, str>>| v.map(|v| Cow::Owned(v.into_owned()));
        AlertDocument {
            schema: self.schema,
            subject: self.subject,
            summary: self.summary,
            severity: self.severity,
            findings: self.findings,
            outcome: self.outcome,
            event: EventFields {
                name: owned(e.name),
                source: Cow::Owned(e.source.into_owned()),
                detail_type: Cow::Owned(e.detail_type.into_owned()),
                id: owned(e.id),
                request_id: owned(e.request_id),
                time: owned(e.time),
                account: owned(e.account),
                account_name: e.account_name,
                region: owned(e.region),
                source_ip_address: owned(e.source_ip_address),
                user_agent: owned(e.user_agent),
                user_agent_kind: e.user_agent_kind,
                error_code: owned(e.error_code),
                error_message: owned(e.error_message),
            },
            actor: self.actor.into_owned(),
            resource: self.resource,
            policy: self.policy,
            looked_up: self.looked_up,
            policy_document: self.policy_document,
            console_url: self.console_url,
            text: self.text,
            policy_document_omitted: self.policy_document_omitted,
            findings_omitted: self.findings_omitted,
            fields_cut: self.fields_cut,
        }
    }

    /// The document made small enough to travel whatever the record held: no policy
    /// document, the most severe findings only, every text field short. Saying so in
    /// `policyDocumentOmitted`, `findingsOmitted` and `fieldsCut`.
    pub fn compact(&mut self) {
        self.looked_up = None;
        if self.policy_document.take().is_some() {
            self.policy_document_omitted = Some(true);
        }
        if self.findings.len() > COMPACT_FINDINGS {
            self.findings_omitted = Some(self.findings.len() - COMPACT_FINDINGS);
            self.findings.truncate(COMPACT_FINDINGS);
        }
        let short = |s: &mut String| shorten(s, COMPACT_FIELD_BYTES);
        let short_opt = |s: &mut Option<String>| shorten_opt(s, COMPACT_FIELD_BYTES);
        let short_cow = |s: &mut Cow<'_, str>| shorten_cow(s, COMPACT_FIELD_BYTES);
        let short_cow_opt = |s: &mut Option<Cow<'_, str>>| shorten_cow_opt(s, COMPACT_FIELD_BYTES);
        short(&mut self.summary);
        for f in &mut self.findings {
            short(&mut f.reason);
        }
        let e = &mut self.event;
        for field in [
            &mut e.name,
            &mut e.id,
            &mut e.request_id,
            &mut e.time,
            &mut e.account,
            &mut e.region,
            &mut e.source_ip_address,
            &mut e.user_agent,
            &mut e.error_code,
            &mut e.error_message,
        ] {
            short_cow_opt(field);
        }
        short_cow(&mut e.source);
        short_cow(&mut e.detail_type);
        let a = &mut self.actor;
        for field in [&mut a.kind, &mut a.name, &mut a.description] {
            short(field);
        }
        short_cow_opt(&mut a.arn);
        short_opt(&mut self.resource.name);
        short_opt(&mut self.resource.arn);
        if let Some(p) = &mut self.policy {
            short(&mut p.name);
            short_opt(&mut p.arn);
            short_opt(&mut p.not_read);
        }
        self.fields_cut = Some(true);
    }
}

/// What CloudTrail recorded about the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventFields<'a> {
    pub name: Option<Cow<'a, str>>,
    pub source: Cow<'a, str>,
    pub detail_type: Cow<'a, str>,
    pub id: Option<Cow<'a, str>>,
    pub request_id: Option<Cow<'a, str>>,
    pub time: Option<Cow<'a, str>>,
    pub account: Option<Cow<'a, str>>,
    /// The account's name from the stack's `AccountNames` (absent when it has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    pub region: Option<Cow<'a, str>>,
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: Option<Cow<'a, str>>,
    pub user_agent: Option<Cow<'a, str>>,
    pub user_agent_kind: Option<&'static str>,
    pub error_code: Option<Cow<'a, str>>,
    pub error_message: Option<Cow<'a, str>>,
}

/// Who made the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActorFields<'a> {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub description: String,
    pub arn: Option<Cow<'a, str>>,
    pub root: bool,
}

impl ActorFields<'_> {
    /// The fields owning their texts (a digest outlives the records it lists).
    pub fn into_owned(self) -> ActorFields<'static> {
        ActorFields {
            kind: self.kind,
            name: self.name,
            description: self.description,
            arn: self.arn.map(|a| Cow::Owned(a.into_owned())),
            root: self.root,
        }
    }
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
    /// The default version whose text was read from IAM (then in `policyDocument`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_read: Option<String>,
    /// Why the policy's text could not be read, when that was tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_read: Option<String>,
}

/// The document of an alert whose subject and text body are already written. Every text
/// from the record is one line with hidden characters escaped, as in the body; the policy
/// document stays the JSON it was (data for machines).
///
/// `policy_document` is the call's decoded document, moved in: the renderer has no further use
/// for it, and a large one is costly to copy.
pub(super) fn document<'e>(
    f: &mut Facts<'e, '_>,
    subject: &str,
    text: &str,
    policy_document: Option<policy::Document>,
) -> AlertDocument<'e> {
    let event = f.event;
    // The renderer's own texts that nothing reads after the document are moved into it.
    let (t, who) = (&mut f.target, &mut f.who);
    let taken = |s: &mut String| one_line_owned(std::mem::take(s));
    let taken_opt = |s: &mut Option<String>| s.take().map(one_line_owned);
    let d = &event.detail;
    let line = |v: Option<&str>| v.map(one_line);
    // The record's own texts, borrowed from the event unless escaping changes them.
    let borrowed = |v: Option<&'e str>| v.map(one_line_cow);
    AlertDocument {
        schema: "iam-notify/1",
        subject: subject.to_string(),
        summary: taken(&mut t.summary),
        severity: f.severity,
        findings: f
            .findings
            .iter()
            .map(|x| Finding {
                rule: x.rule,
                severity: x.severity,
                reason: one_line(&x.reason),
            })
            .collect(),
        outcome: f.outcome,
        event: event_fields(event, f.account_name),
        actor: ActorFields {
            kind: one_line(&who.kind),
            name: taken(&mut who.short),
            description: taken(&mut who.long),
            arn: borrowed(d.user_identity.as_ref().and_then(|u| u.arn.as_deref())),
            root: who.is_root,
        },
        resource: ResourceFields {
            kind: t.kind.noun(),
            name: taken_opt(&mut t.name),
            arn: taken_opt(&mut t.arn),
            deleted: t.gone,
        },
        policy: t.policy.as_mut().map(|p| {
            let aws_managed = p.is_aws_managed();
            PolicyFields {
                name: taken(&mut p.name),
                arn: taken_opt(&mut p.arn),
                aws_managed,
                version_read: line(p.version_read.as_deref()),
                not_read: line(p.not_read.as_deref()),
            }
        }),
        looked_up: (!f.said.is_empty()).then(|| said(&f.said)),
        policy_document,
        console_url: f.link.clone(),
        text: text.to_string(),
        policy_document_omitted: None,
        findings_omitted: None,
        fields_cut: None,
    }
}

/// What CloudTrail recorded, each text one line, borrowed from the event unless escaping
/// changes it.
fn event_fields<'e>(
    event: &'e crate::event::Event<'_>,
    account_name: Option<&str>,
) -> EventFields<'e> {
    let d = &event.detail;
    let borrowed = |v: Option<&'e str>| v.map(one_line_cow);
    EventFields {
        name: borrowed(d.event_name.as_deref()),
        source: one_line_cow(d.event_source.as_deref().unwrap_or(&event.source)),
        detail_type: one_line_cow(&event.detail_type),
        id: borrowed(d.event_id.as_deref()),
        request_id: borrowed(d.request_id.as_deref()),
        time: borrowed(event.time()),
        account: borrowed(event.account()),
        account_name: account_name.map(one_line),
        region: borrowed(event.region()),
        source_ip_address: borrowed(d.source_ip_address.as_deref()),
        user_agent: borrowed(d.user_agent.as_deref()),
        user_agent_kind: d.user_agent.as_deref().map(user_agent_kind),
        error_code: borrowed(d.error_code.as_deref()),
        error_message: borrowed(d.error_message.as_deref()),
    }
}

/// What was read from AWS, each line one line.
fn said(s: &super::looked_up::Said) -> super::looked_up::Said {
    let line = |v: Option<&str>| v.map(one_line);
    let lines = |v: &Vec<String>| v.iter().map(|l| one_line(l)).collect();
    super::looked_up::Said {
        compared_with: line(s.compared_with.as_deref()),
        changes: s.changes.as_ref().map(lines),
        held_by: line(s.held_by.as_deref()),
        assumable_by: line(s.assumable_by.as_deref()),
        person: line(s.person.as_deref()),
        not_looked_up: lines(&s.not_looked_up),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What travels is the document itself with the text it carries and, without its policy
    /// document, `policyDocumentOmitted`: for every sample (those with policy documents
    /// included).
    #[test]
    fn what_travels_is_the_document_with_its_text() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let n = crate::render_json(&text, crate::Format::Rich).unwrap();
            let Document::Alert(d) = &n.document else {
                panic!("an alert")
            };
            for (body, fit) in [
                (d.text.as_str(), Fit::Whole),
                ("other text", Fit::Whole),
                ("x", Fit::WithoutPolicyDocument),
            ] {
                let mut copy = (**d).clone();
                copy.text = body.to_string();
                if fit == Fit::WithoutPolicyDocument && copy.policy_document.take().is_some() {
                    copy.policy_document_omitted = Some(true);
                }
                assert_eq!(
                    n.document.to_json(body, fit),
                    serde_json::to_string(&copy).unwrap(),
                    "{}",
                    path.display()
                );
            }
            seen += 1;
        }
        assert!(seen > 50);
    }
}
