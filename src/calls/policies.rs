//! Managed policies, their versions, inline policies and attachments (the article's
//! policy-monitor rule).

use super::context::{Context, label};
use super::{Change, Direction, Kind, PolicyRef, Target};
use crate::policy::DocKind;
use crate::severity::Rule;
use serde_json::Value;

/// CreatePolicy / DeletePolicy.
pub(super) fn managed_policy(cx: &Context, change: Change) -> Target {
    let arn = cx
        .response(&["policy", "arn"])
        .or_else(|| cx.request("policyArn"))
        .or_else(|| cx.denied_arn(Kind::Policy))
        .or_else(|| {
            (change == Change::Create)
                .then(|| cx.built_arn("policy", cx.principal_name(Kind::Policy)))?
        });
    let name = cx
        .request("policyName")
        .or_else(|| cx.response(&["policy", "policyName"]))
        .or_else(|| arn.as_deref().and_then(crate::arn::name).map(String::from));
    let n = label(&name);
    let summary = match change {
        Change::Create => format!("created managed policy {n}"),
        _ => format!("deleted managed policy {n}"),
    };
    let mut t = Target::new(Kind::Policy, summary, n);
    t.gone = change == Change::Delete && !cx.failed;
    t.not_created = change == Change::Create && cx.failed;
    t.name = name;
    t.arn = arn;
    if change == Change::Create {
        t.document = cx.document("policyDocument", DocKind::Permissions);
        if let Some(d) = cx.request("description") {
            t.facts.push(("Description", d));
        }
    }
    t
}

/// CreatePolicyVersion / DeletePolicyVersion.
pub(super) fn policy_version(cx: &Context, change: Change) -> Target {
    let policy = cx
        .request("policyArn")
        .or_else(|| cx.denied_arn(Kind::Policy))
        .map(PolicyRef::from_arn);
    let pname = policy.as_ref().map(|p| p.name.clone());
    let version = cx
        .response(&["policyVersion", "versionId"])
        .or_else(|| cx.request("versionId"));
    let n = label(&pname);
    let mut t = Target::new(Kind::Policy, String::new(), String::new());
    t.section = Some("versions");
    match change {
        Change::Create => {
            let default = set_as_default(cx.event);
            let version_words = match &version {
                Some(v) => format!("policy version {v}"),
                None => "a new policy version".to_string(),
            };
            let default_words = match default {
                Some(true) => " (set as default)",
                Some(false) => " (not set as default)",
                None => "",
            };
            t.summary = format!("created {version_words} of policy {n}{default_words}");
            t.headline = format!(
                "{n} {}{}",
                version.as_deref().unwrap_or("new version"),
                if default == Some(true) {
                    " (default)"
                } else {
                    ""
                }
            );
            if let Some(d) = default {
                t.facts
                    .push(("Set as default", if d { "yes" } else { "no" }.into()));
            }
            if default == Some(true) && !cx.failed {
                t.flags.push(Rule::DefaultVersionChanged);
            }
            t.document = cx.document("policyDocument", DocKind::Permissions);
        }
        _ => {
            let v = version.as_deref().unwrap_or("(version not recorded)");
            t.summary = format!("deleted policy version {v} of policy {n}");
            t.headline = format!("{n} {v}");
        }
    }
    if let Some(v) = version {
        t.facts.push(("Policy version", v));
    }
    t.name = pname;
    t.arn = policy.and_then(|p| p.arn);
    t
}

/// Whether a CreatePolicyVersion made the new version the default: the request's
/// `setAsDefault` (a boolean or its text), else the response's `isDefaultVersion`.
pub fn set_as_default(event: &crate::event::Event) -> Option<bool> {
    event
        .request_value("setAsDefault")
        .and_then(|v| match v {
            Value::Bool(b) => Some(*b),
            Value::String(s) => Some(s.eq_ignore_ascii_case("true")),
            _ => None,
        })
        .or_else(|| {
            event
                .response_value(&["policyVersion", "isDefaultVersion"])
                .and_then(Value::as_bool)
        })
}

/// Put/Delete{Role,User,Group}Policy.
pub(super) fn inline_policy(cx: &Context, change: Change, kind: Kind) -> Target {
    let principal = cx.principal_name(kind);
    let pname = cx.request("policyName");
    let (p, n) = (label(&pname), label(&principal));
    let k = kind.noun();
    let (summary, headline) = match change {
        Change::Delete => (
            format!("deleted inline policy {p} from {k} {n}"),
            format!("{p} from {k} {n}"),
        ),
        _ => (
            format!("put inline policy {p} on {k} {n}"),
            format!("{p} on {k} {n}"),
        ),
    };
    let mut t = Target::new(kind, summary, headline);
    t.name = principal;
    t.section = Some("permissions");
    // Named like an AWS managed policy, it is still the caller's own words.
    let inline = if crate::policy::managed::aws_managed(&p).is_some() {
        format!("{p} (inline: the caller's own, not AWS's policy of that name)")
    } else {
        p
    };
    t.facts.push(("Inline policy", inline));
    if change != Change::Delete {
        t.document = cx.document("policyDocument", DocKind::Permissions);
    }
    t
}

/// Attach{Role,User,Group}Policy / Detach….
pub(super) fn attachment(cx: &Context, direction: Direction, kind: Kind) -> Target {
    let principal = cx.principal_name(kind);
    let policy = cx.request("policyArn").map(PolicyRef::from_arn);
    let (n, k) = (label(&principal), kind.noun());
    let (verb, prep, arrow) = match direction {
        Direction::Add => ("attached", "to", "->"),
        Direction::Remove => ("detached", "from", "from"),
    };
    let (summary, headline) = match policy.as_ref().map(|p| &p.name) {
        Some(p) => (
            format!("{verb} managed policy {p} {prep} {k} {n}"),
            format!("{p} {arrow} {k} {n}"),
        ),
        None => (
            format!("{verb} a managed policy (not recorded) {prep} {k} {n}"),
            format!("{k} {n}"),
        ),
    };
    let mut t = Target::new(kind, summary, headline);
    t.name = principal;
    t.section = Some("permissions");
    t.policy = policy;
    t
}

/// SetDefaultPolicyVersion: another version of the policy now says what it grants.
pub(super) fn default_policy_version(cx: &Context) -> Target {
    let policy = cx
        .request("policyArn")
        .or_else(|| cx.denied_arn(Kind::Policy))
        .map(PolicyRef::from_arn);
    let n = label(&policy.as_ref().map(|p| p.name.clone()));
    let version = cx
        .request("versionId")
        .or_else(|| cx.denied().and_then(|d| d.version.clone()));
    let v = version.as_deref().unwrap_or("(version not recorded)");
    // What the change does, said only when it happened.
    let effect = if cx.failed {
        ""
    } else {
        ": it now grants what that version says"
    };
    let mut t = Target::new(
        Kind::Policy,
        format!("made version {v} the default of policy {n}{effect}"),
        format!("{n} {v} (default)"),
    );
    t.section = Some("versions");
    if let Some(v) = version {
        // Refused or failed, v is only what was asked for.
        t.facts.push((
            if cx.failed {
                "Version asked"
            } else {
                "Default version"
            },
            v,
        ));
    }
    t.name = policy.as_ref().map(|p| p.name.clone());
    t.arn = policy.and_then(|p| p.arn);
    t
}
