//! What the shell read from IAM, turned into what the alert says (pure): an attached policy's
//! text, what a new policy version changed and whether its risks are new, who holds the
//! policy, who may assume the role, who the person is. Every text read from IAM or Identity
//! Store is treated like record text: documents come masked (`policy_lookup`), names are
//! masked and bounded here, and everything is escaped where it is shown.

use crate::calls::{self, Target};
use crate::enrich::Person;
use crate::enrich::{
    Attached, Basis, GroupGrants, GroupPolicy, Holders, Read, RoleTrust, Versions,
};
use crate::policy::{self, DocKind, Document};
use crate::severity::Finding;
use serde::Serialize;

/// What the shell looked up for an alert (nothing, by default).
#[derive(Debug, Clone, Copy)]
pub struct LookedUp<'a> {
    /// The account's name (AWS Organizations, the alias): wins over `accounts`' own.
    pub account_name: Option<&'a str>,
    /// What IAM answered about the change.
    pub iam: &'a Read,
}

static NOTHING_READ: Read = Read {
    attached: None,
    versions: None,
    holders: None,
    trust: None,
    person: None,
    inline: false,
    group: None,
};

impl Default for LookedUp<'_> {
    fn default() -> Self {
        LookedUp {
            account_name: None,
            iam: &NOTHING_READ,
        }
    }
}

/// Names listed per kind of holder; the rest are counted.
const NAMES_SHOWN: usize = 5;
/// Principals listed as able to assume a role; the rest are counted.
const PRINCIPALS_SHOWN: usize = 8;
/// The longest name or principal shown.
const NAME_BYTES: usize = 128;

/// What the alert says about the lookups, ready to print.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Said {
    /// "v2, the version created before v3 (…)".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared_with: Option<String>,
    /// The statement-level diff (`policy::diff`), when two versions were compared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<String>>,
    /// "2 roles (a, b), 1 user (alice), no groups".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_by: Option<String>,
    /// "account 999988887777 (outside this account), service lambda.amazonaws.com".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumable_by: Option<String>,
    /// "Maria Garcia (user name maria, maria@example.com; IAM Identity Center user 9067…)".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// "what changed: <why>", one per lookup that failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_looked_up: Vec<String>,
}

impl Said {
    pub fn is_empty(&self) -> bool {
        *self == Said::default()
    }
}

/// The version a new one was compared with and its document, for the findings and the diff.
pub(super) struct Previous {
    version: String,
    document: Document,
}

/// What IAM's answers add to an alert, besides the target's document.
pub(super) struct Applied {
    /// The earlier version to compare the new one with (its findings marked new or not).
    pub previous: Option<Previous>,
    /// What the alert says.
    pub said: Said,
    /// Findings made from what was read (a role's trust policy).
    pub findings: Vec<Finding>,
}

/// Applies what IAM answered to `t` (an attached policy's or a new default version's text
/// becomes the document shown and assessed), for an alert about `own_account`.
pub(super) fn apply(t: &mut Target, read: &Read, own_account: Option<&str>) -> Applied {
    let mut said = Said::default();
    let mut findings = Vec::new();
    if let Some(attached) = &read.attached {
        with_attached_policy(t, attached);
    }
    let previous = read
        .versions
        .as_ref()
        .and_then(|v| with_versions(t, v, &mut said));
    if read.inline {
        said.compared_with = Some(
            "nothing: IAM keeps no earlier text of an inline policy (if this one replaced \
             another of the same name, its text is in that earlier call's CloudTrail record)"
                .into(),
        );
    }
    if let (Some(p), Some(new)) = (&previous, &t.document) {
        said.changes = Some(policy::diff::diff(&p.document, &new.document));
    }
    match &read.holders {
        Some(Holders::Listed {
            roles,
            users,
            groups,
            more,
        }) => {
            let mut s = [("role", roles), ("user", users), ("group", groups)]
                .iter()
                .map(|(noun, names)| holders(noun, names))
                .collect::<Vec<_>>()
                .join(", ");
            if *more {
                s.push_str(" (IAM listed more: these are the first)");
            }
            said.held_by = Some(s);
        }
        Some(Holders::NotRead { why }) => said
            .not_looked_up
            .push(format!("who holds the policy: {why}")),
        None => {}
    }
    if let Some(person) = &read.person {
        with_person(person, &mut said);
    }
    match &read.trust {
        Some(RoleTrust::Read { role, document }) => {
            let doc = policy::decode_text(document);
            said.assumable_by = Some(assumable_by(&doc, own_account));
            findings = trust_findings(role, &doc, own_account);
        }
        Some(RoleTrust::NotRead { role, why }) => said.not_looked_up.push(format!(
            "who may assume role {}: {why}",
            crate::redact::cap(role, NAME_BYTES)
        )),
        None => {}
    }
    if let Some(grants) = &read.group {
        findings.extend(group_findings(grants, own_account, &mut said));
    }
    Applied {
        previous,
        said,
        findings,
    }
}

/// What joining a group gives: each finding of each policy the group holds (AWS managed ones
/// from AWS's own document), said to come through the group; what could not be read, said.
fn group_findings(
    grants: &GroupGrants,
    own_account: Option<&str>,
    said: &mut Said,
) -> Vec<Finding> {
    let (group, policies, more) = match grants {
        GroupGrants::Read {
            group,
            policies,
            more,
        } => (crate::redact::cap(group, NAME_BYTES), policies, *more),
        GroupGrants::NotRead { group, why } => {
            said.not_looked_up.push(format!(
                "what group {} grants: {why}",
                crate::redact::cap(group, NAME_BYTES)
            ));
            return Vec::new();
        }
    };
    if more {
        said.not_looked_up.push(format!(
            "what group {group} grants: it holds more than {} policies; the first were read",
            crate::enrich::GROUP_POLICIES_READ
        ));
    }
    let mut out = Vec::new();
    for p in policies {
        // Each policy's words and its document, or why it could not be read.
        let (label, read) = match p {
            GroupPolicy::AwsManaged { name } => match policy::managed::aws_managed(name) {
                Some(aws) => (
                    format!("{} (AWS managed, {})", aws.name, aws.version),
                    Ok(aws.document()),
                ),
                None => continue,
            },
            GroupPolicy::Customer {
                name,
                version,
                document,
            } => {
                let label = match version {
                    Some(v) => format!("{} (customer managed, {v})", cap(name)),
                    None => format!("{} (customer managed)", cap(name)),
                };
                (label, document.as_deref().map(policy::decode_text))
            }
            GroupPolicy::Inline { name, document } => (
                format!("inline policy {}", cap(name)),
                document.as_deref().map(policy::decode_text),
            ),
        };
        let document = match read {
            Ok(document) => document,
            Err(why) => {
                said.not_looked_up
                    .push(format!("{label} of group {group}: {why}"));
                continue;
            }
        };
        out.extend(
            policy::findings(&document, DocKind::Permissions, own_account)
                .into_iter()
                .map(|f| Finding {
                    reason: format!("through group {group}, {label}: {}", f.reason),
                    ..f
                }),
        );
    }
    out
}

fn cap(name: &str) -> String {
    crate::redact::cap(name, NAME_BYTES)
}

/// What was read about a new version: the version compared with (and the new version's text
/// when the record does not carry it), said in `said`; the earlier version, to diff.
fn with_versions(t: &mut Target, versions: &Versions, said: &mut Said) -> Option<Previous> {
    match versions {
        Versions::Compared {
            version,
            document,
            against,
            against_document,
            basis,
        } => {
            if let (Some(text), None) = (document, &t.document) {
                t.document = Some(decoded(text, DocKind::Permissions));
            }
            said.compared_with = Some(compared_with(version, against, *basis));
            Some(Previous {
                version: against.clone(),
                document: decoded(against_document, DocKind::Permissions).document,
            })
        }
        Versions::Alone { .. } => {
            said.compared_with = Some("nothing: the policy has no other version".into());
            None
        }
        Versions::NotRead { why } => {
            said.not_looked_up
                .push(format!("what changed from the earlier version: {why}"));
            None
        }
    }
}

/// The person behind the session, said in `said` (or why not).
fn with_person(person: &Person, said: &mut Said) {
    match person {
        Person::Found {
            user_id,
            display_name,
            user_name,
            email,
        } => {
            let short =
                |s: &Option<String>| s.as_deref().map(|s| crate::redact::bounded(s, NAME_BYTES));
            let mut about: Vec<String> = Vec::new();
            if let Some(n) = short(user_name) {
                about.push(format!("user name {n}"));
            }
            if let Some(e) = short(email).filter(|e| Some(e) != short(user_name).as_ref()) {
                about.push(e);
            }
            let id = format!(
                "IAM Identity Center user {}",
                crate::redact::bounded(user_id, NAME_BYTES)
            );
            said.person = Some(match short(display_name) {
                Some(name) if !about.is_empty() => format!("{name} ({}; {id})", about.join(", ")),
                Some(name) => format!("{name} ({id})"),
                None if !about.is_empty() => format!("{} ({id})", about.join(", ")),
                None => id,
            });
        }
        Person::NotRead { who, why } => said.not_looked_up.push(format!(
            "the person behind the session ({}): {why}",
            crate::redact::cap(who, NAME_BYTES * 2)
        )),
    }
}

/// The attached policy's text, as read from IAM, becomes the target's document (shown, and
/// its findings made, as for a policy a request carries); or one line says why it is missing.
fn with_attached_policy(t: &mut Target, attached: &Attached) {
    if t.document.is_some() {
        return;
    }
    let Some(p) = t
        .policy
        .as_mut()
        .filter(|p| p.arn.as_deref() == Some(attached.arn()))
    else {
        return;
    };
    match attached {
        Attached::Read {
            version, document, ..
        } => {
            p.version_read = Some(version.clone());
            t.document = Some(decoded(document, DocKind::Permissions));
        }
        Attached::NotRead { why, .. } => p.not_read = Some(why.clone()),
    }
}

fn decoded(text: &str, kind: DocKind) -> calls::CarriedDocument {
    calls::CarriedDocument {
        kind,
        document: policy::decode_text(text),
    }
}

fn compared_with(version: &str, against: &str, basis: Basis) -> String {
    match basis {
        Basis::Default => format!(
            "{against}, the policy's default version ({version} is not the default: what the \
             policy grants has not changed yet)"
        ),
        Basis::OnlyOther => {
            format!("{against}, the policy's only other version (so the default before)")
        }
        Basis::Older => format!(
            "{against}, the version created before {version} (IAM does not keep which version \
             was the default before)"
        ),
        Basis::Newer => format!(
            "{against}, the version created after {version} (none is older; IAM does not keep \
             which version was the default before)"
        ),
    }
}

/// "2 roles (a, b)", "1 user (alice)", "no groups".
fn holders(noun: &str, names: &[String]) -> String {
    let plural = if names.len() == 1 { "" } else { "s" };
    if names.is_empty() {
        return format!("no {noun}s");
    }
    let mut shown: Vec<String> = names
        .iter()
        .take(NAMES_SHOWN)
        .map(|n| crate::redact::bounded(n, NAME_BYTES))
        .collect();
    if names.len() > NAMES_SHOWN {
        shown.push(format!("and {} more", names.len() - NAMES_SHOWN));
    }
    format!("{} {noun}{plural} ({})", names.len(), shown.join(", "))
}

/// The findings of the trust policy of `role` (whose permissions changed), each reason saying
/// where it comes from.
fn trust_findings(role: &str, doc: &Document, own_account: Option<&str>) -> Vec<Finding> {
    policy::findings(doc, DocKind::Trust, own_account)
        .into_iter()
        .map(|f| Finding {
            reason: format!(
                "role {}'s trust policy (read from IAM): {}",
                crate::redact::cap(role, NAME_BYTES),
                f.reason
            ),
            ..f
        })
        .collect()
}

/// Who may assume the role, in words, those outside `own_account` marked.
fn assumable_by(doc: &Document, own_account: Option<&str>) -> String {
    let Document::Json(doc) = doc else {
        return "(the trust policy is not JSON)".into();
    };
    let mut who: Vec<String> = Vec::new();
    let mut add = |s: String| {
        if !who.contains(&s) {
            who.push(s);
        }
    };
    for s in policy::statements(doc).into_iter().filter(|s| s.allow) {
        let when = if s.has_condition {
            " (with conditions)"
        } else {
            ""
        };
        for p in &s.aws_principals {
            let p = crate::redact::cap(p, NAME_BYTES);
            match policy::principal_account(&p) {
                _ if p == "*" => add(format!("anyone (\"*\"){when}")),
                Some(a) if Some(a) == own_account => add(format!("this account's {p}{when}")),
                Some(a) => add(format!("account {a} (outside this account: {p}){when}")),
                None => add(format!("{p} (outside this account){when}")),
            }
        }
        for service in &s.services {
            add(format!(
                "service {}{when}",
                crate::redact::cap(service, NAME_BYTES)
            ));
        }
        for provider in &s.federated {
            add(format!(
                "federated {} (outside this account){when}",
                crate::redact::cap(provider, NAME_BYTES)
            ));
        }
    }
    if who.is_empty() {
        return "no one (no statement allows it)".into();
    }
    let total = who.len();
    who.truncate(PRINCIPALS_SHOWN);
    if total > PRINCIPALS_SHOWN {
        who.push(format!("and {} more", total - PRINCIPALS_SHOWN));
    }
    who.join(", ")
}

/// Marks each finding the new version's document makes as new in it or already granted by
/// the version it was compared with.
pub(super) fn marked(
    new: Vec<Finding>,
    previous: &Previous,
    own_account: Option<&str>,
) -> Vec<Finding> {
    let old = policy::findings(&previous.document, DocKind::Permissions, own_account);
    let v = crate::redact::cap(&previous.version, 32);
    new.into_iter()
        .map(|f| {
            let mark = match old.iter().find(|o| o.rule == f.rule) {
                Some(o) if o.reason == f.reason => format!("already granted by {v}"),
                Some(_) => format!("{v} granted part of this"),
                None => format!("new: {v} did not grant this"),
            };
            Finding {
                reason: format!("{} ({mark})", f.reason),
                ..f
            }
        })
        .collect()
}
