//! Users, groups and roles themselves: Create, Update and Delete (the article's
//! principals-monitor rule).

use super::context::{Context, label};
use super::{Change, Kind, Target};
use crate::policy::DocKind;

/// Create/Update/Delete{User,Group,Role}.
pub(super) fn principal(cx: &Context, change: Change, kind: Kind) -> Target {
    let k = kind.noun();
    let resp = kind.response_key();
    let name = cx
        .principal_name(kind)
        .or_else(|| cx.response(&[resp, kind.name_key()]));
    let arn = cx
        .response(&[resp, "arn"])
        .or_else(|| cx.denied_arn(kind))
        .or_else(|| (change == Change::Create).then(|| cx.built_arn(k, name.clone()))?);
    let n = label(&name);
    let mut t = match change {
        Change::Create => {
            let mut t = Target::new(kind, format!("created {k} {n}"), format!("{k} {n}"));
            t.not_created = cx.failed;
            if kind == Kind::Role {
                t.document = cx.document("assumeRolePolicyDocument", DocKind::Trust);
            }
            t.arn = arn;
            t.name = name;
            t
        }
        Change::Delete => {
            let mut t = Target::new(kind, format!("deleted {k} {n}"), format!("{k} {n}"));
            t.gone = !cx.failed;
            t.arn = arn;
            t.name = name;
            t
        }
        Change::Update => update(cx, kind, name, arn),
    };
    if let Some(path) = cx.request("path").filter(|p| p != "/") {
        t.facts.push(("Path", path));
    }
    if let Some(b) = cx.request("permissionsBoundary") {
        t.facts.push(("Permissions boundary", b));
    }
    if change != Change::Update
        && let Some(d) = cx.request("description")
    {
        t.facts.push(("Description", d));
    }
    t
}

/// Update{User,Group,Role}: a rename, a move to another path, or (roles) a new description
/// or maximum session duration.
fn update(cx: &Context, kind: Kind, name: Option<String>, arn: Option<String>) -> Target {
    let (k, n) = (kind.noun(), label(&name));
    let new_name = match kind {
        Kind::User => cx.request("newUserName"),
        Kind::Group => cx.request("newGroupName"),
        _ => None,
    };
    let new_path = cx.request("newPath");
    let mut parts = Vec::new();
    if let Some(nn) = &new_name {
        parts.push(format!("renamed {k} {n} to {nn}"));
    }
    if let Some(np) = &new_path {
        parts.push(if new_name.is_some() {
            format!("moved it to path {np}")
        } else {
            format!("moved {k} {n} to path {np}")
        });
    }
    let mut changes = Vec::new();
    if let Some(d) = cx.request("description") {
        changes.push(format!("description set to \"{d}\""));
    }
    if let Some(m) = cx.request("maxSessionDuration") {
        changes.push(format!("maximum session duration set to {m} s"));
    }
    let summary = if !parts.is_empty() {
        parts.join(" and ")
    } else if !changes.is_empty() {
        format!("updated {k} {n}: {}", changes.join(", "))
    } else {
        format!("updated {k} {n}")
    };
    let headline = match &new_name {
        Some(nn) => format!("{k} {n} -> {nn}"),
        None => format!("{k} {n}"),
    };
    let mut t = Target::new(kind, summary, headline);
    t.arn = arn;
    match &new_name {
        // The rename did not happen: say what stayed.
        Some(nn) if cx.failed => t.facts.push((
            "Not changed",
            format!("rename of {k} {n} to {nn} failed: the {k} is still {n}"),
        )),
        Some(_) => {
            t.facts.push(("Previous name", n));
            // Renamed: the old ARN no longer resolves; link to the new name.
            t.arn = None;
        }
        None => {}
    }
    t.name = new_name.filter(|_| !cx.failed).or(name);
    t
}
