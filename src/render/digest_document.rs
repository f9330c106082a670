//! The `iam-notify-digest/1` document: what machines receive for a digest (built by
//! `crate::digest`). Field order is the wire order.

use super::Outcome;
use super::document::{ActorFields, AlertDocument, PolicyFields, ResourceFields};
use crate::redact::{shorten, shorten_opt};
use crate::severity::{Finding, Severity};
use serde::Serialize;

/// The `iam-notify-digest/1` document. Field order is the wire order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestDocument {
    pub schema: &'static str,
    pub subject: String,
    pub summary: String,
    /// The highest severity among the changes.
    pub severity: Severity,
    /// How many changes the session made in this batch (listed or not).
    pub count: usize,
    pub actor: ActorFields<'static>,
    pub account: Option<String>,
    /// The account's name from the stack's `AccountNames` (absent when it has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    /// The CloudTrail event history of the session.
    pub console_url: String,
    /// The changes listed, highest severity first, grouped by resource (the digest's
    /// text lists them; CloudTrail keeps the records).
    pub changes: Vec<DigestChange>,
    /// How many changes are not listed (in the text or `changes`) to fit SNS's limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes_omitted: Option<usize>,
    /// The full text body (as email subscribers read it).
    pub text: String,
}

/// One change of a digest: the fields of its `iam-notify/1` document that differ from change
/// to change (the caller, account and session are the digest's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestChange {
    pub subject: String,
    pub summary: String,
    pub severity: Severity,
    pub findings: Vec<Finding>,
    pub outcome: Outcome,
    pub event: ChangeEvent,
    pub resource: ResourceFields,
    pub policy: Option<PolicyFields>,
    pub console_url: String,
}

/// What CloudTrail recorded about one change of a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeEvent {
    pub name: Option<String>,
    pub id: Option<String>,
    pub time: Option<String>,
    pub region: Option<String>,
    pub error_code: Option<String>,
}

impl DigestChange {
    pub(crate) fn of(d: &AlertDocument<'_>) -> DigestChange {
        DigestChange {
            subject: d.subject.clone(),
            summary: d.summary.clone(),
            severity: d.severity,
            findings: d.findings.clone(),
            outcome: d.outcome,
            event: ChangeEvent {
                name: d.event.name.as_deref().map(str::to_string),
                id: d.event.id.as_deref().map(str::to_string),
                time: d.event.time.as_deref().map(str::to_string),
                region: d.event.region.as_deref().map(str::to_string),
                error_code: d.event.error_code.as_deref().map(str::to_string),
            },
            resource: d.resource.clone(),
            policy: d.policy.clone(),
            console_url: d.console_url.clone(),
        }
    }

    /// Every text field short, the most severe findings only.
    fn compact(&mut self) {
        let short = |s: &mut String| shorten(s, COMPACT_FIELD_BYTES);
        let short_opt = |s: &mut Option<String>| shorten_opt(s, COMPACT_FIELD_BYTES);
        short(&mut self.subject);
        short(&mut self.summary);
        self.findings.truncate(FINDINGS_PER_CHANGE);
        for f in &mut self.findings {
            short(&mut f.reason);
        }
        for field in [
            &mut self.event.name,
            &mut self.event.id,
            &mut self.event.time,
            &mut self.event.region,
            &mut self.event.error_code,
            &mut self.resource.name,
            &mut self.resource.arn,
        ] {
            short_opt(field);
        }
        if let Some(p) = &mut self.policy {
            short(&mut p.name);
            short_opt(&mut p.arn);
        }
    }
}

/// The longest text field of a compacted digest.
const COMPACT_FIELD_BYTES: usize = 256;

/// Findings listed under each change (its document has them all).
pub(crate) const FINDINGS_PER_CHANGE: usize = 3;

/// Changes a compacted document keeps.
const COMPACT_CHANGES: usize = 5;

impl DigestDocument {
    /// The document made small whatever the changes held: the first few changes, compacted.
    pub fn compact(&mut self) {
        if self.changes.len() > COMPACT_CHANGES {
            let dropped = self.changes.len() - COMPACT_CHANGES;
            self.changes.truncate(COMPACT_CHANGES);
            self.changes_omitted = Some(self.changes_omitted.unwrap_or(0) + dropped);
        }
        for c in &mut self.changes {
            c.compact();
        }
        for field in [
            &mut self.summary,
            &mut self.actor.name,
            &mut self.actor.description,
        ] {
            shorten(field, COMPACT_FIELD_BYTES);
        }
        crate::redact::shorten_cow_opt(&mut self.actor.arn, COMPACT_FIELD_BYTES);
    }
}
