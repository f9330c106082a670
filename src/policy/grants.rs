//! What a permissions policy grants that matters, statement by statement: full control
//! (every action, or every IAM action, on every resource or every IAM resource of an
//! account), a service's every action on all its resources, PassRole on every role not
//! pinned to named services, and the privilege-escalation paths; `NotAction` grants all it
//! does not list.

use super::{Findings, Statement};
use crate::arn::Arn;
use crate::severity::{Finding, Rule};
use crate::wildcard;
use std::borrow::Cow;
use std::collections::HashMap;

/// Every action of every service (`*`, `*:*`), for a lower-cased action pattern.
fn is_all_actions(lower: &str) -> bool {
    ["s3:getobject", "iam:createuser", "ec2:runinstances", "zz:x"]
        .iter()
        .all(|a| wildcard::matches(lower, a))
}

/// The service every action of which a lower-cased pattern matches (`iam:*` → `iam`).
fn service_wide(lower: &str) -> Option<&str> {
    let (service, _) = lower.split_once(':')?;
    if service.is_empty() || service.contains(['*', '?']) {
        return None;
    }
    ["a", "list", "createsomething", "zzzz"]
        .iter()
        .all(|a| wildcard::matches(lower, &format!("{service}:{a}")))
        .then_some(service)
}

/// Whether a lower-cased action pattern can match some `iam:` action: its text before the
/// first wildcard is a prefix of `iam:`, or starts with it.
pub(super) fn may_match_iam(lower: &str) -> bool {
    let literal = lower.split(['*', '?']).next().unwrap_or_default();
    "iam:".starts_with(literal) || literal.starts_with("iam:")
}

/// Actions that let their holder raise its own privileges (matched with IAM's wildcards).
/// (All of IAM: see [`may_match_iam`].)
pub(super) const ESCALATION: &[&str] = &[
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AddUserToGroup",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
];

/// Escalation paths seen across a document's statements.
#[derive(Default)]
pub(super) struct Escalation {
    paths: Vec<String>,
    pass_role: bool,
    create_function: bool,
}

impl Escalation {
    fn add(&mut self, path: &str) {
        if !self.paths.iter().any(|x| x == path) {
            self.paths.push(path.to_string());
        }
    }

    pub(super) fn finding(mut self) -> Option<Finding> {
        if self.pass_role
            && self.create_function
            && !self.paths.iter().any(|x| x.starts_with("lambda"))
        {
            self.paths
                .push("lambda:CreateFunction with iam:PassRole".into());
        }
        (!self.paths.is_empty()).then(|| {
            Finding::new(
                Rule::PrivilegeEscalation,
                format!(
                    "grants privilege escalation paths: {}",
                    self.paths.join(", ")
                ),
            )
        })
    }
}

/// What one Allow statement of a permissions policy grants that matters. Actions match
/// case-insensitively, as IAM matches them.
pub(super) fn permission_findings(s: &Statement, out: &mut Findings, escalation: &mut Escalation) {
    if s.not_action || s.not_resource {
        out.push(Finding::new(
            Rule::AllowNotAction,
            "Allow with NotAction/NotResource grants everything not listed",
        ));
    }
    if s.not_principal {
        out.push(Finding::of(Rule::AllowNotPrincipal));
    }
    let mut scope = Scope::of(s);
    if s.not_action {
        not_action_findings(s, &mut scope, out, escalation);
    }
    for a in &s.actions {
        action_findings(s, a, &mut scope, out, escalation);
    }
}

/// Where one Allow statement applies, worked out once per statement (each test builds canary
/// ARNs, and a policy may list thousands of actions): every resource, every IAM resource, every
/// role, and each service's every resource as it is asked.
struct Scope<'s> {
    statement: &'s Statement<'s>,
    everything: Option<bool>,
    iam: Option<bool>,
    roles: Option<bool>,
    /// Some IAM resource may be among those it names (an escalation path needs one).
    touches_iam: Option<bool>,
    services: HashMap<String, bool>,
}

impl<'s> Scope<'s> {
    fn of(statement: &'s Statement<'s>) -> Scope<'s> {
        Scope {
            statement,
            everything: None,
            iam: None,
            roles: None,
            touches_iam: None,
            services: HashMap::new(),
        }
    }

    /// Every resource of every service (asked once, when first needed).
    fn everything(&mut self) -> bool {
        let s = self.statement;
        *self.everything.get_or_insert_with(|| s.on_everything(None))
    }

    /// Every IAM resource of some account.
    fn iam(&mut self) -> bool {
        let s = self.statement;
        *self.iam.get_or_insert_with(|| s.on_everything(Some("iam")))
    }

    /// Some IAM resource may be among those it names.
    fn touches_iam(&mut self) -> bool {
        let s = self.statement;
        *self.touches_iam.get_or_insert_with(|| {
            s.not_resource || s.resources.iter().any(|r| may_name_iam_resource(r))
        })
    }

    /// Every role of some account.
    fn roles(&mut self) -> bool {
        let s = self.statement;
        *self.roles.get_or_insert_with(|| s.on_every_role())
    }

    /// The statement applies to every resource of `service`.
    fn service(&mut self, service: &str) -> bool {
        if let Some(known) = self.services.get(service) {
            return *known;
        }
        let on = self.statement.on_everything(Some(service));
        self.services.insert(service.to_string(), on);
        on
    }
}

/// Whether a `Resource` pattern may name an IAM resource: `*`, an ARN whose service part
/// matches `iam`, or a pattern that is no ARN but has a wildcard (`*:*`).
fn may_name_iam_resource(pattern: &str) -> bool {
    match Arn::parse(pattern) {
        Some(arn) => wildcard::matches(arn.service, "iam"),
        None => pattern.contains('*'),
    }
}

/// PassRole confined by `iam:PassedToService` to named services (see [`Condition::pins`]):
/// not "any role to anything". A wildcard, a negated operator or no such condition confines
/// nothing.
fn pass_role_pinned(s: &Statement) -> bool {
    s.conditions.iter().any(|c| c.pins("iam:PassedToService"))
}

/// What one action pattern `a` of an Allow statement `s` grants that matters.
fn action_findings(
    s: &Statement,
    a: &str,
    scope: &mut Scope,
    out: &mut Findings,
    escalation: &mut Escalation,
) {
    // A pattern without wildcards is one action: neither every action nor a service's,
    // and it matches an action by equality in any case (lower-cased only with wildcards).
    let literal = !a.contains(['*', '?']);
    let lower = if literal {
        Cow::Borrowed(a)
    } else {
        Cow::Owned(a.to_ascii_lowercase())
    };
    let is = |action: &str| {
        if literal {
            a.eq_ignore_ascii_case(action)
        } else {
            wildcard::matches(&lower, action)
        }
    };
    let all = !literal && is_all_actions(&lower);
    let service = if all || literal {
        None
    } else {
        service_wide(&lower)
    };
    if full_control(all, service, scope, out) {
        return;
    }
    if let Some(svc) = service.filter(|svc| *svc != "iam")
        && scope.service(svc)
    {
        out.push_item(
            Rule::AllowServiceAll,
            a,
            format!("allows {a} on every resource"),
        );
    }
    // Every action or every IAM action on fewer resources: what it grants on roles and the
    // escalation paths it opens are said below, as for any other pattern.
    let pass_role = is("iam:passrole");
    if pass_role && !pass_role_pinned(s) && scope.roles() {
        out.push_item(
            Rule::PassRoleAny,
            a,
            format!("allows {a} (iam:PassRole) on every role"),
        );
    }
    // PassRole matters where it names roles.
    escalation.pass_role |= pass_role && scope.touches_iam();
    escalation.create_function |= is("lambda:createfunction");
    // Every escalation action is IAM's: a pattern whose literal start rules out `iam:`
    // (most actions of most policies) matches none of them.
    let maybe_iam = if literal {
        a.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("iam:"))
    } else {
        may_match_iam(&lower)
    };
    if maybe_iam && scope.touches_iam() {
        for e in ESCALATION {
            if wildcard::matches_ci(&lower, e) {
                escalation.add(e);
            }
        }
    }
    if is("sts:assumerole") && scope.iam() {
        escalation.add("sts:AssumeRole on *");
    }
}

/// Every action on every resource, or every IAM action on every IAM resource: said, and
/// true (nothing more to find in the pattern).
fn full_control(all: bool, service: Option<&str>, scope: &mut Scope, out: &mut Findings) -> bool {
    if all && scope.everything() {
        out.push(Finding::new(
            Rule::AllowAll,
            "allows every action (\"*\") on every resource",
        ));
        return true;
    }
    if (all || service == Some("iam")) && scope.iam() {
        let everything = scope.everything();
        out.push(Finding::new(
            Rule::AllowIamAll,
            match (all, everything) {
                (true, _) => {
                    "allows every action (\"*\") on every IAM resource: full control of IAM"
                }
                (false, true) => "allows iam:* on every resource: full control of IAM",
                (false, false) => "allows iam:* on every IAM resource: full control of IAM",
            },
        ));
        return true;
    }
    false
}

/// An Allow with `NotAction` grants every action none of its patterns matches: with no
/// pattern that can match an IAM action, on every IAM resource, that is full control of IAM;
/// else what it leaves of PassRole and the escalation paths.
fn not_action_findings(
    s: &Statement,
    scope: &mut Scope,
    out: &mut Findings,
    escalation: &mut Escalation,
) {
    let patterns: Vec<String> = s
        .not_actions
        .iter()
        .map(|p| p.to_ascii_lowercase())
        .collect();
    let granted = |action: &str| !patterns.iter().any(|p| wildcard::matches_ci(p, action));
    let listed = {
        let named: Vec<&str> = s.not_actions.iter().take(3).map(|p| p.as_ref()).collect();
        let more = s.not_actions.len().saturating_sub(3);
        let mut list = named.join(", ");
        if more > 0 {
            list.push_str(&format!(" and {more} more"));
        }
        if list.is_empty() {
            "nothing".to_string()
        } else {
            list
        }
    };
    let iam_untouched = !patterns.iter().any(|p| may_match_iam(p));
    if iam_untouched && scope.iam() {
        out.push(Finding::new(
            Rule::AllowIamAll,
            format!(
                "allows every action but {listed} (NotAction) on every IAM resource: full control of IAM"
            ),
        ));
        return;
    }
    let pass_role = granted("iam:PassRole");
    if pass_role && !pass_role_pinned(s) && scope.roles() {
        out.push_item(
            Rule::PassRoleAny,
            "NotAction",
            format!("allows every action but {listed} (NotAction), iam:PassRole among them, on every role"),
        );
    }
    escalation.pass_role |= pass_role && scope.touches_iam();
    escalation.create_function |= granted("lambda:CreateFunction");
    let touches_iam = scope.touches_iam();
    for e in ESCALATION.iter().filter(|_| touches_iam) {
        if granted(e) {
            escalation.add(e);
        }
    }
    if granted("sts:AssumeRole") && scope.iam() {
        escalation.add("sts:AssumeRole on *");
    }
}
