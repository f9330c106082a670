//! What a permissions policy grants that matters. Each Allow statement's actions are expanded
//! against the catalogue of AWS actions ([`super::catalogue`]): `*`, `iam:*`, `i?m:Put*` and
//! `NotAction` mean the actions they really cover, less what an unconditional Deny of the same
//! document takes back. From those sets: full control (of everything, or of IAM), a service's
//! every action on all its resources, PassRole on every role not pinned to named services,
//! the privilege-escalation paths (straight to administrator, or through another service),
//! and the rest of the Permissions management access level.

use super::catalogue::{ActionSet, Budget, Catalogue, catalogue};
use super::{Findings, Statement};
use crate::arn::Arn;
use crate::severity::{Finding, Rule};
use crate::wildcard;
use std::collections::HashMap;
use std::ops::Range;

/// A privilege-escalation path: the actions it needs together, and what they let the holder
/// do. Paths marked `straight` give their holder administrator by themselves when granted on
/// every IAM resource (attach AdministratorAccess to itself, become another user, ...). From
/// Rhino Security Labs' list of IAM escalation methods and Datadog's pathfinding.cloud.
pub(super) struct Path {
    pub needs: &'static [&'static str],
    pub straight: bool,
    pub how: &'static str,
}

const fn path(needs: &'static [&'static str], straight: bool, how: &'static str) -> Path {
    Path {
        needs,
        straight,
        how,
    }
}

/// Every path the analysis knows (each action is in the catalogue: a test says so).
#[rustfmt::skip]
pub(super) const PATHS: &[Path] = &[
    path(&["iam:CreatePolicyVersion"], true, "rewrite a managed policy"),
    path(&["iam:AttachUserPolicy"], true, "attach any policy to a user"),
    path(&["iam:AttachGroupPolicy"], true, "attach any policy to a group"),
    path(&["iam:AttachRolePolicy"], true, "attach any policy to a role"),
    path(&["iam:PutUserPolicy"], true, "write a user's inline policy"),
    path(&["iam:PutGroupPolicy"], true, "write a group's inline policy"),
    path(&["iam:PutRolePolicy"], true, "write a role's inline policy"),
    path(&["iam:AddUserToGroup"], true, "join any group"),
    path(&["iam:UpdateAssumeRolePolicy"], true, "let itself assume a role"),
    path(&["iam:CreateAccessKey"], true, "create another user's keys"),
    path(&["iam:CreateLoginProfile"], true, "give another user a password"),
    path(&["iam:UpdateLoginProfile"], true, "reset another user's password"),
    path(&["iam:SetDefaultPolicyVersion"], false, "restore an older policy version"),
    path(&["iam:DeleteRolePermissionsBoundary"], false, "remove a role's boundary"),
    path(&["iam:DeleteUserPermissionsBoundary"], false, "remove a user's boundary"),
    path(&["iam:PutRolePermissionsBoundary"], false, "replace a role's boundary"),
    path(&["iam:PutUserPermissionsBoundary"], false, "replace a user's boundary"),
    path(&["iam:PassRole", "lambda:CreateFunction"], false, "run code as a role in a new function"),
    path(&["iam:PassRole", "ec2:RunInstances"], false, "run code as a role on a new instance"),
    path(&["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"], false, "run a container as a role"),
    path(&["iam:PassRole", "cloudformation:CreateStack"], false, "create anything as a role through a stack"),
    path(&["iam:PassRole", "glue:CreateDevEndpoint"], false, "open a Glue endpoint as a role"),
    path(&["iam:PassRole", "glue:CreateJob"], false, "run a Glue job as a role"),
    path(&["iam:PassRole", "sagemaker:CreateNotebookInstance"], false, "open a notebook as a role"),
    path(&["iam:PassRole", "sagemaker:CreateTrainingJob"], false, "run a training job as a role"),
    path(&["iam:PassRole", "sagemaker:CreateProcessingJob"], false, "run a processing job as a role"),
    path(&["iam:PassRole", "codebuild:CreateProject"], false, "run a build as a role"),
    path(&["iam:PassRole", "datapipeline:CreatePipeline"], false, "run a pipeline as a role"),
    path(&["iam:PassRole", "apprunner:CreateService"], false, "run a service as a role"),
    path(&["iam:PassRole", "bedrock-agentcore:CreateCodeInterpreter"], false, "run code as a role in a code interpreter"),
    path(&["lambda:UpdateFunctionCode"], false, "replace a function's code, run as its role"),
    path(&["lambda:UpdateFunctionConfiguration"], false, "add a layer to a function, run as its role"),
    path(&["glue:UpdateDevEndpoint"], false, "add an SSH key to a Glue endpoint"),
    path(&["cloudformation:UpdateStack"], false, "change a stack as its role"),
    path(&["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"], false, "change a stack as its role"),
    path(&["sagemaker:CreatePresignedNotebookInstanceUrl"], false, "open a notebook as its role"),
    path(&["codebuild:StartBuild"], false, "run a build as its project's role"),
    path(&["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"], false, "rewrite an instance's user data and restart it"),
    path(&["ssm:SendCommand"], false, "run commands on instances as their roles"),
    path(&["ssm:StartSession"], false, "open a shell on instances"),
    path(&["ec2-instance-connect:SendSSHPublicKey"], false, "sign in to instances over SSH"),
    path(&["ecs:ExecuteCommand"], false, "open a shell in running containers"),
];

/// Paths named in one finding; the rest are counted.
const PATHS_NAMED: usize = 6;

/// What the statements of a permissions policy grant that matters, into `out`.
pub(super) fn permissions(statements: &[Statement], out: &mut Findings) {
    let cat = catalogue();
    let mut budget = Budget::new();
    let denied = denied(statements, cat, &mut budget);
    let iam = cat.service("iam").unwrap_or_default();
    let mut held = Held {
        anywhere: ActionSet::empty(cat.len()),
        on_all_iam: ActionSet::empty(cat.len()),
        managed_everywhere: ActionSet::empty(cat.len()),
        full_control: false,
        whole_services: Vec::new(),
        on_a_path: ActionSet::empty(cat.len()),
        allows: false,
    };
    let mut impossible = None;
    for s in statements.iter().filter(|s| s.allow) {
        held.allows = true;
        // A statement whose conditions no request can meet grants nothing.
        if let Some(why) = s.impossible() {
            impossible.get_or_insert(why);
            continue;
        }
        let mut granted = granted(s, cat, &mut budget);
        granted.subtract(&denied);
        statement_findings(s, &granted, &iam, &mut held, out);
    }
    if held.full_control {
        return note_budget(&budget, out);
    }
    escalation(cat, &mut held, out);
    permissions_management(cat, &held, out);
    let denies = statements.iter().any(|s| !s.allow);
    if (denies || impossible.is_some()) && held.anywhere.is_empty() && !out.any() {
        out.push(Finding::new(
            Rule::GrantsNothing,
            match (impossible, held.allows) {
                (Some(why), _) => {
                    format!("grants nothing: no request can meet its conditions ({why})")
                }
                (None, true) => {
                    "grants nothing: its Deny statements take back every action it allows".into()
                }
                (None, false) => "grants nothing: it only denies (a guardrail)".into(),
            },
        ));
    }
    note_budget(&budget, out);
}

/// What the Allow statements hold together.
struct Held {
    /// Every action granted on some resource (IAM's where a statement may name an IAM one).
    anywhere: ActionSet,
    /// Actions granted on every IAM resource of an account.
    on_all_iam: ActionSet,
    /// Actions granted on every resource of their service.
    managed_everywhere: ActionSet,
    /// Some statement gives full control (everything else is said by it).
    full_control: bool,
    /// Services said to be granted whole, on every resource (allow-service-all).
    whole_services: Vec<String>,
    /// Actions named by an escalation path that fired.
    on_a_path: ActionSet,
    allows: bool,
}

fn note_budget(budget: &Budget, out: &mut Findings) {
    if budget.exceeded {
        out.push(Finding::new(
            Rule::NotAnalysed,
            format!(
                "has more wildcard patterns than can be expanded exactly ({} comparisons): \
                 the rest were taken as granting every action they could match",
                Budget::COMPARISONS
            ),
        ));
    }
}

/// The actions a statement lists (`Action`), or all it does not (`NotAction`).
fn granted(s: &Statement, cat: &Catalogue, budget: &mut Budget) -> ActionSet {
    let mut set = ActionSet::empty(cat.len());
    let patterns = if s.not_action {
        &s.not_actions
    } else {
        &s.actions
    };
    for p in patterns {
        cat.expand(&p.to_ascii_lowercase(), &mut set, budget);
    }
    if s.not_action {
        let mut all = ActionSet::full(cat.len());
        all.subtract(&set);
        return all;
    }
    set
}

/// What the document's Deny statements take back from every statement: those without a
/// condition (a conditional Deny may not apply) and without `NotPrincipal`, for the services
/// whose every resource they cover.
fn denied(statements: &[Statement], cat: &Catalogue, budget: &mut Budget) -> ActionSet {
    let mut out = ActionSet::empty(cat.len());
    for s in statements
        .iter()
        .filter(|s| !s.allow && !s.has_condition && !s.not_principal)
    {
        let set = granted(s, cat, budget);
        if s.on_everything(None) {
            out.union(&set);
            continue;
        }
        let mut scope = Scope::of(s);
        for (svc, range) in cat.service_ranges() {
            if set.any_in(range.clone()) && scope.service(svc) {
                out.union_range(&set, range.clone());
            }
        }
    }
    out
}

/// What one Allow statement `s`, granting `granted`, says on its own; what it holds goes
/// into `held` for the paths that need several actions.
fn statement_findings(
    s: &Statement,
    granted: &ActionSet,
    iam: &Range<usize>,
    held: &mut Held,
    out: &mut Findings,
) {
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
    let what = described(s, granted, iam);
    if granted.is_full() && scope.everything() {
        held.full_control = true;
        return out.push(Finding::new(
            Rule::AllowAll,
            format!("allows {what} on every resource"),
        ));
    }
    if granted.covers(iam.clone()) && scope.iam() {
        held.full_control = true;
        let on = if scope.everything() {
            "every resource"
        } else {
            "every IAM resource"
        };
        return out.push(Finding::new(
            Rule::AllowIamAll,
            format!("allows {what} on {on}: full control of IAM"),
        ));
    }
    let cat = catalogue();
    for a in s.actions.iter().filter(|_| !s.not_action) {
        let lower = a.to_ascii_lowercase();
        if let Some(svc) = service_wide(&lower).filter(|svc| *svc != "iam")
            && cat.service(svc).is_some_and(|r| granted.covers(r))
            && scope.service(svc)
        {
            out.push_item(
                Rule::AllowServiceAll,
                a,
                format!("allows {a} on every resource"),
            );
            held.whole_services.push(svc.to_string());
        }
    }
    let pass_role = cat
        .index("iam:PassRole")
        .is_some_and(|i| granted.contains(i));
    if pass_role && !pass_role_pinned(s) && scope.roles() {
        let by = granting(s, "iam:passrole");
        out.push_item(
            Rule::PassRoleAny,
            &by,
            if by == "iam:PassRole" {
                "allows iam:PassRole on every role".to_string()
            } else {
                format!("allows {by} (iam:PassRole among them) on every role")
            },
        );
    }
    hold(granted, &mut scope, held);
}

/// What one statement adds to what the document holds: an action where the statement may
/// name one of its service's resources, Permissions management where it covers every
/// resource of its service, and every action on every IAM resource.
fn hold(granted: &ActionSet, scope: &mut Scope, held: &mut Held) {
    let cat = catalogue();
    let services: Vec<(&str, Range<usize>)> = match scope.named_services() {
        Some(named) => named
            .into_iter()
            .filter_map(|svc| cat.service_entry(svc))
            .collect(),
        None => cat.service_ranges().map(|(s, r)| (s, r.clone())).collect(),
    };
    for (svc, range) in services {
        if !granted.any_in(range.clone()) || !scope.touches(svc) {
            continue;
        }
        held.anywhere.union_range(granted, range.clone());
        if granted.any_of_in(cat.permissions_management(), range.clone()) && scope.service(svc) {
            held.managed_everywhere.union_range(granted, range.clone());
        }
    }
    if scope.iam() {
        held.on_all_iam.union(granted);
    }
}

/// How a statement's actions are named in a finding: `every action ("*")`, `iam:*`, `every
/// action but X (NotAction)`, or `every IAM action`.
fn described(s: &Statement, granted: &ActionSet, iam: &Range<usize>) -> String {
    if s.not_action {
        let named: Vec<&str> = s.not_actions.iter().take(3).map(|p| p.as_ref()).collect();
        let more = s.not_actions.len().saturating_sub(3);
        let mut list = named.join(", ");
        if more > 0 {
            list.push_str(&format!(" and {more} more"));
        }
        if list.is_empty() {
            list = "nothing".to_string();
        }
        return format!("every action but {list} (NotAction)");
    }
    let all_stars = |p: &str| p.bytes().all(|b| b == b'*') || p == "*:*";
    if granted.is_full() {
        return if s.actions.iter().any(|p| all_stars(p)) {
            "every action (\"*\")".to_string()
        } else {
            "every action".to_string()
        };
    }
    match s.actions.iter().find(|p| p.eq_ignore_ascii_case("iam:*")) {
        Some(_) if granted.covers(iam.clone()) => "iam:*".to_string(),
        _ => "every IAM action".to_string(),
    }
}

/// The first of a statement's patterns that matches a lower-cased action, or `NotAction`.
fn granting(s: &Statement, action: &str) -> String {
    if s.not_action {
        return "NotAction".to_string();
    }
    s.actions
        .iter()
        .find(|p| wildcard::matches_ci(&p.to_ascii_lowercase(), action))
        .map(|p| {
            if p.contains(['*', '?']) {
                p.to_string()
            } else {
                "iam:PassRole".to_string()
            }
        })
        .unwrap_or_else(|| "iam:PassRole".to_string())
}

/// The escalation paths the document opens: straight ones on every IAM resource are
/// critical, every other one a warning.
fn escalation(cat: &Catalogue, held: &mut Held, out: &mut Findings) {
    let has = |set: &ActionSet, action: &str| cat.index(action).is_some_and(|i| set.contains(i));
    let mut straight = Vec::new();
    let mut other = Vec::new();
    for p in PATHS {
        let name = p.needs.join(" with ");
        let fired = if p.straight && p.needs.iter().all(|a| has(&held.on_all_iam, a)) {
            &mut straight
        } else if p.needs.iter().all(|a| has(&held.anywhere, a)) {
            &mut other
        } else {
            continue;
        };
        fired.push(format!("{name} ({})", p.how));
        for i in p.needs.iter().filter_map(|a| cat.index(a)) {
            held.on_a_path.insert(i);
        }
    }
    if has(&held.on_all_iam, "sts:AssumeRole") {
        other.push("sts:AssumeRole on * (assume any role that trusts the account)".to_string());
    }
    if !straight.is_empty() {
        out.push(Finding::new(
            Rule::EscalationToAdmin,
            format!(
                "grants a straight path to administrator on every IAM resource: {}",
                listed(&straight)
            ),
        ));
    }
    if !other.is_empty() {
        out.push(Finding::new(
            Rule::PrivilegeEscalation,
            format!("grants privilege escalation paths: {}", listed(&other)),
        ));
    }
}

fn listed(items: &[String]) -> String {
    let mut text = items
        .iter()
        .take(PATHS_NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let more = items.len().saturating_sub(PATHS_NAMED);
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

/// Services named in the Permissions management finding; the rest are counted.
const SERVICES_NAMED: usize = 4;

/// The Permissions management actions the document grants on every resource of their service
/// (who may do what: policies, resource policies, grants), by service: those no other finding has named already (a
/// service granted whole, an escalation path's actions).
fn permissions_management(cat: &Catalogue, held: &Held, out: &mut Findings) {
    let mut pm = held.managed_everywhere.clone();
    pm.intersect(cat.permissions_management());
    pm.subtract(&held.on_a_path);
    let mut by_service: Vec<(&str, usize, &str)> = Vec::new();
    for i in pm.iter() {
        let Some(a) = cat.action(i) else { continue };
        if held.whole_services.iter().any(|s| s == a.service) {
            continue;
        }
        match by_service.last_mut() {
            Some((svc, n, example)) if *svc == a.service => {
                *n += 1;
                let rank = |n: &str| (telling(n), std::cmp::Reverse(n.len()));
                if rank(a.name) > rank(example) {
                    *example = a.name;
                }
            }
            _ => by_service.push((a.service, 1, a.name)),
        }
    }
    if by_service.is_empty() {
        return;
    }
    by_service.sort_by_key(|(svc, n, _)| (std::cmp::Reverse(*n), *svc));
    let mut text: Vec<String> = by_service
        .iter()
        .take(SERVICES_NAMED)
        .map(|(svc, n, first)| match n {
            1 => format!("{svc} ({svc}:{first})"),
            n => format!("{svc} ({n} actions, e.g. {svc}:{first})"),
        })
        .collect();
    let more = by_service.len().saturating_sub(SERVICES_NAMED);
    if more > 0 {
        text.push(format!("and {more} more services"));
    }
    out.push(Finding::new(
        Rule::PermissionsManagement,
        format!("grants Permissions management on {}", text.join(", ")),
    ));
}

/// How well an action's name shows what Permissions management means, for the example a
/// finding gives: a policy written, then a permission or grant, then any other (the shorter
/// name among equals).
fn telling(name: &str) -> u8 {
    let writes = ["Put", "Set", "Attach", "Create", "Add", "Update"]
        .iter()
        .any(|v| name.starts_with(v));
    match (
        writes,
        name.contains("Policy"),
        name.contains("Permission") || name.contains("Grant"),
    ) {
        (true, true, _) => 3,
        (_, true, _) | (_, _, true) => 2,
        (true, _, _) => 1,
        _ => 0,
    }
}

/// The service every action of which a lower-cased pattern names (`iam:*` → `iam`).
fn service_wide(lower: &str) -> Option<&str> {
    let (service, rest) = lower.split_once(':')?;
    (!service.is_empty() && !service.contains(['*', '?']) && rest.bytes().all(|b| b == b'*'))
        .then_some(service)
}

/// Where one Allow statement applies, worked out when asked (each test builds canary ARNs):
/// every resource, every IAM resource, every role, each service's every resource, and the
/// services some resource it names may belong to.
struct Scope<'s> {
    statement: &'s Statement<'s>,
    everything: Option<bool>,
    iam: Option<bool>,
    roles: Option<bool>,
    /// Each resource pattern's service part (`None`: it may be any service's).
    resource_services: Option<Vec<Option<&'s str>>>,
    services: HashMap<String, bool>,
}

impl<'s> Scope<'s> {
    fn of(statement: &'s Statement<'s>) -> Scope<'s> {
        Scope {
            statement,
            everything: None,
            iam: None,
            roles: None,
            resource_services: None,
            services: HashMap::new(),
        }
    }

    fn everything(&mut self) -> bool {
        let s = self.statement;
        *self.everything.get_or_insert_with(|| s.on_everything(None))
    }

    fn iam(&mut self) -> bool {
        let s = self.statement;
        *self.iam.get_or_insert_with(|| s.on_everything(Some("iam")))
    }

    fn roles(&mut self) -> bool {
        let s = self.statement;
        *self.roles.get_or_insert_with(|| s.on_every_role())
    }

    /// The statement applies to every resource of `service`.
    fn service(&mut self, service: &str) -> bool {
        if !self.touches(service) {
            return false;
        }
        if let Some(known) = self.services.get(service) {
            return *known;
        }
        let on = self.statement.on_everything(Some(service));
        self.services.insert(service.to_string(), on);
        on
    }

    /// The services of the resources the statement names, when each names its service
    /// without wildcards (`None`: some resource may be any service's).
    fn named_services(&mut self) -> Option<Vec<&'s str>> {
        if self.statement.not_resource {
            return None;
        }
        let mut named: Vec<&'s str> = Vec::new();
        for p in self.resource_services() {
            match p {
                Some(p) if !p.contains(['*', '?']) => {
                    if !named.contains(p) {
                        named.push(p);
                    }
                }
                _ => return None,
            }
        }
        Some(named)
    }

    /// Each resource pattern's service part (`None`: it may be any service's); resources
    /// under AWS's own account in IAM (`arn:aws:iam::aws:policy/…`, AWS managed: only AWS
    /// writes them) are left out.
    fn resource_services(&mut self) -> &[Option<&'s str>] {
        let s = self.statement;
        self.resource_services.get_or_insert_with(|| {
            s.resources
                .iter()
                .filter_map(|r| match Arn::parse(r) {
                    Some(arn) if arn.service == "iam" && arn.account == "aws" => None,
                    Some(arn) => Some(Some(arn.service)),
                    None => r.contains('*').then_some(None),
                })
                .collect()
        })
    }

    /// Some resource the statement names may be one of `service`'s that a customer can
    /// change: `*`, `NotResource`, a pattern that is no ARN, or an ARN whose service part
    /// matches.
    fn touches(&mut self, service: &str) -> bool {
        self.statement.not_resource
            || self.resource_services().iter().any(|p| match p {
                None => true,
                Some(p) => wildcard::matches(p, service),
            })
    }
}

/// PassRole confined by `iam:PassedToService` to named services (see `Condition::pins`):
/// not "any role to anything". A wildcard, a negated operator or no such condition confines
/// nothing.
fn pass_role_pinned(s: &Statement) -> bool {
    s.conditions.iter().any(|c| c.pins("iam:PassedToService"))
}
