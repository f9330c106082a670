//! Who may become or act as a principal: trust policies, permissions boundaries, group
//! membership and instance profiles.

use super::context::{Context, label};
use super::{Direction, Kind, Target};
use crate::policy::DocKind;

/// UpdateAssumeRolePolicy.
pub(super) fn trust_policy(cx: &Context) -> Target {
    let role = cx.principal_name(Kind::Role);
    let n = label(&role);
    let mut t = Target::new(
        Kind::Role,
        format!("replaced the trust policy of role {n}"),
        format!("role {n}"),
    );
    t.name = role;
    t.section = Some("trust_relationships");
    t.document = cx.document("policyDocument", DocKind::Trust);
    t
}

/// Put / Delete{Role,User}PermissionsBoundary.
pub(super) fn boundary(cx: &Context, direction: Direction, kind: Kind) -> Target {
    let principal = cx.principal_name(kind);
    let (n, k) = (label(&principal), kind.noun());
    let boundary = cx.request("permissionsBoundary");
    let b = boundary
        .as_deref()
        .and_then(crate::arn::name)
        .unwrap_or("(not recorded)");
    let (summary, headline) = match direction {
        Direction::Add => (
            format!("set the permissions boundary of {k} {n} to {b}"),
            format!("{b} -> {k} {n}"),
        ),
        Direction::Remove => (
            format!("removed the permissions boundary of {k} {n}"),
            format!("{k} {n}"),
        ),
    };
    let mut t = Target::new(kind, summary, headline);
    if let Some(arn) = boundary {
        t.facts.push(("Permissions boundary", arn));
    }
    t.name = principal;
    t.section = Some("permissions");
    t
}

/// AddUserToGroup / RemoveUserFromGroup.
pub(super) fn membership(cx: &Context, direction: Direction) -> Target {
    let group = cx.principal_name(Kind::Group);
    let user = cx.principal_name(Kind::User);
    let (g, u) = (label(&group), label(&user));
    let (summary, headline) = match direction {
        Direction::Add => (
            format!("added user {u} to group {g}"),
            format!("user {u} -> group {g}"),
        ),
        Direction::Remove => (
            format!("removed user {u} from group {g}"),
            format!("user {u} from group {g}"),
        ),
    };
    let mut t = Target::new(Kind::Group, summary, headline);
    t.facts.push(("User", u));
    t.name = group;
    t.section = Some("users");
    t
}

/// AddRoleToInstanceProfile.
pub(super) fn instance_profile_role(cx: &Context) -> Target {
    let role = cx.principal_name(Kind::Role);
    let profile = cx
        .request("instanceProfileName")
        .or_else(|| cx.denied_named("instance-profile"));
    let (r, p) = (label(&role), label(&profile));
    let mut t = Target::new(
        Kind::Role,
        format!("added role {r} to instance profile {p}"),
        format!("role {r} -> instance profile {p}"),
    );
    t.facts.push(("Instance profile", p));
    t.name = role;
    t
}
