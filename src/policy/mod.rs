//! Policy documents as CloudTrail records them: URL-encoded JSON (`%7B%22Version…`), JSON in
//! a string (sometimes pretty-printed), or a JSON object. Decoded for display only.

use crate::arn::{Arn, is_account_id};
use crate::severity::{Finding, Rule};
use crate::wildcard;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

pub mod diff;
mod json;
mod read;

pub use json::Json;

/// A decoded policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    /// JSON, as compact text (see [`Json`]).
    Json(Json),
    /// Text that is not JSON, even after URL-decoding: shown as recorded.
    Text(String),
}

/// The document in the machine document: the JSON itself, or the text as a string.
impl serde::Serialize for Document {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Document::Json(json) => json.serialize(s),
            Document::Text(text) => s.serialize_str(text),
        }
    }
}

/// Decodes a recorded policy document.
pub fn decode(raw: &Value) -> Document {
    match raw {
        Value::String(s) => decode_text(s),
        other => Document::Json(Json::of(other)),
    }
}

/// Decodes a policy document's text (as IAM returns it, or as a request carries it).
pub fn decode_text(s: &str) -> Document {
    if let Some(json) = Json::read(s) {
        return Document::Json(json);
    }
    if s.contains('%')
        && let Ok(decoded) = urlencoding::decode(s)
    {
        if let Some(json) = Json::read(&decoded) {
            return Document::Json(json);
        }
        return Document::Text(decoded.into_owned());
    }
    Document::Text(s.to_string())
}

/// The document as indented text, ready for a plain-text body.
pub fn pretty(doc: &Document) -> String {
    match doc {
        Document::Json(json) => json.pretty(),
        Document::Text(t) => t.clone(),
    }
}

/// Whether a document grants permissions or says who may assume a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Permissions,
    Trust,
}

/// One statement of a policy, read leniently: an element of the wrong type counts as
/// absent (IAM would reject such a document; the alert still reports what it can).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statement<'a> {
    /// `Effect` is exactly `Allow`.
    pub allow: bool,
    /// `Action`: a string or a list of strings (non-strings in a list are skipped).
    pub actions: Vec<Cow<'a, str>>,
    pub not_action: bool,
    /// `Resource`, like `Action`.
    pub resources: Vec<Cow<'a, str>>,
    pub not_resource: bool,
    /// The `AWS` principals of a trust statement (`"Principal": "*"` counts as `["*"]`).
    pub aws_principals: Vec<Cow<'a, str>>,
    /// `Federated` principals (OIDC and SAML providers).
    pub federated: Vec<Cow<'a, str>>,
    /// `Service` principals.
    pub services: Vec<Cow<'a, str>>,
    /// The statement names its principals with `NotPrincipal`.
    pub not_principal: bool,
    pub has_condition: bool,
    /// The condition keys under every operator, as written.
    pub condition_keys: Vec<Cow<'a, str>>,
}

impl Statement<'_> {
    /// The statement applies to every resource of `service` (every service for `None`): a
    /// resource pattern that matches all of them counts as `"*"` (`arn:*:*:*:*:*`,
    /// `arn:aws:iam::*:*`, `*:*`), and so does `NotResource`.
    fn on_everything(&self, service: Option<&str>) -> bool {
        self.not_resource
            || self
                .resources
                .iter()
                .any(|r| covers_every_resource(r, service))
    }

    /// The statement applies to every IAM role (`arn:aws:iam::*:role/*` included).
    fn on_every_role(&self) -> bool {
        self.not_resource
            || self.resources.iter().any(|r| {
                matches_every_canary(r, |p| {
                    vec![
                        format!("arn:{p}:iam::123456789012:role/a"),
                        format!("arn:{p}:iam::210987654321:role/path/b"),
                    ]
                })
            })
    }

    fn has_condition_key(&self, key: &str) -> bool {
        self.condition_keys
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
    }
}

/// Resources of every shape a service's ARNs take in one partition (IAM's have no region,
/// S3 buckets no region and no account): a pattern matching all of them matches every
/// resource of the service there.
fn canary_resources(partition: &str, service: &str) -> Vec<String> {
    let p = partition;
    match service {
        "iam" => vec![
            format!("arn:{p}:iam::123456789012:role/a"),
            format!("arn:{p}:iam::210987654321:user/x/y"),
            format!("arn:{p}:iam::111122223333:policy/p"),
        ],
        "s3" => vec![
            format!("arn:{p}:s3:::bucket"),
            format!("arn:{p}:s3:::bucket/key/x"),
        ],
        s => vec![
            format!("arn:{p}:{s}:us-east-1:123456789012:thing/a"),
            format!("arn:{p}:{s}:eu-west-3:111122223333:x:y/z"),
        ],
    }
}

/// `pattern` (a `Resource` element) matches every resource of `service` (of every service
/// for `None`) in some partition.
pub fn covers_every_resource(pattern: &str, service: Option<&str>) -> bool {
    let services: &[&str] = match service {
        Some(s) => &[s][..],
        None => &["s3", "iam", "ec2", "lambda"],
    };
    matches_every_canary(pattern, |partition| {
        services
            .iter()
            .flat_map(|s| canary_resources(partition, s))
            .collect()
    })
}

/// `pattern` is `*`, or a wildcard pattern matching every ARN `canaries` gives for some
/// partition.
fn matches_every_canary(pattern: &str, canaries: impl Fn(&str) -> Vec<String>) -> bool {
    if pattern == "*" {
        return true;
    }
    if !pattern.contains('*') {
        return false;
    }
    ["aws", "aws-cn", "aws-us-gov"].iter().any(|partition| {
        canaries(partition)
            .iter()
            .all(|arn| wildcard::matches(pattern, arn))
    })
}

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

/// The statements of a document: `Statement` as a list or a single object.
pub fn statements(doc: &Json) -> Vec<Statement<'_>> {
    read::statements(doc.tree())
}

/// Whether a lower-cased action pattern can match some `iam:` action: its text before the
/// first wildcard is a prefix of `iam:`, or starts with it.
fn may_match_iam(lower: &str) -> bool {
    let literal = lower.split(['*', '?']).next().unwrap_or_default();
    "iam:".starts_with(literal) || literal.starts_with("iam:")
}

/// Actions that let their holder raise its own privileges (matched with IAM's wildcards).
/// (All of IAM: see [`may_match_iam`].)
const ESCALATION: &[&str] = &[
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

/// Conditions that keep another account's trust to a known caller.
const TRUST_GUARDS: &[&str] = &[
    "sts:externalid",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceorgid",
];

/// Findings of one rule beyond this many are said in one grouped finding.
pub const GROUP_AFTER: usize = 5;
/// Items named in a grouped finding; the rest are counted.
const GROUP_NAMES: usize = 10;

/// Findings without repeats (same rule, same reason), in the order first seen; rules with
/// many findings (one per action or per account) are grouped into one. Linear in the input.
#[derive(Default)]
struct Findings {
    out: Vec<Finding>,
    seen: HashSet<(Rule, String)>,
    /// The items (actions, accounts) of the groupable rules, in order.
    groups: HashMap<Rule, Vec<String>>,
}

impl Findings {
    fn push(&mut self, f: Finding) {
        if self.seen.insert((f.rule, f.reason.clone())) {
            self.out.push(f);
        }
    }

    /// A finding about one `item` of a rule that can fire once per item.
    fn push_item(&mut self, rule: Rule, item: &str, reason: String) {
        if !self.seen.insert((rule, reason.clone())) {
            return;
        }
        let items = self.groups.entry(rule).or_default();
        items.push(item.to_string());
        if items.len() <= GROUP_AFTER {
            self.out.push(Finding::new(rule, reason));
        }
    }

    fn finish(mut self) -> Vec<Finding> {
        // A fixed order, so that the output never depends on hashing.
        for rule in [
            Rule::AllowServiceAll,
            Rule::PassRoleAny,
            Rule::TrustOtherAccount,
        ] {
            let Some(items) = self.groups.remove(&rule) else {
                continue;
            };
            if items.len() <= GROUP_AFTER {
                continue;
            }
            let Some(first) = self.out.iter().position(|f| f.rule == rule) else {
                continue;
            };
            self.out.retain(|f| f.rule != rule);
            let named = items
                .iter()
                .take(GROUP_NAMES)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let more = items.len().saturating_sub(GROUP_NAMES);
            let list = if more > 0 {
                format!("{named}, ... and {more} more")
            } else {
                named
            };
            let n = items.len();
            let reason = match rule {
                Rule::AllowServiceAll => {
                    format!("allows {n} service-wide wildcards on every resource: {list}")
                }
                Rule::PassRoleAny => {
                    format!("allows {n} actions that include iam:PassRole on every role: {list}")
                }
                Rule::TrustOtherAccount => format!(
                    "{n} other accounts may assume the role with no sts:ExternalId or organization condition: {list}"
                ),
                Rule::TrustServiceUnscoped => format!(
                    "{n} services may assume the role on behalf of any account (no aws:SourceAccount or aws:SourceArn condition): {list}"
                ),
                _ => format!("{n} findings: {list}"),
            };
            self.out
                .insert(first.min(self.out.len()), Finding::new(rule, reason));
        }
        self.out
    }
}

/// Risky grants in a decoded document, one finding per kind of risk. Text that is not JSON
/// has none (IAM rejects it; the call failed).
pub fn findings(doc: &Document, kind: DocKind, own_account: Option<&str>) -> Vec<Finding> {
    let Document::Json(v) = doc else {
        return Vec::new();
    };
    let mut out = Findings::default();
    let allowed = statements(v).into_iter().filter(|s| s.allow);
    match kind {
        DocKind::Permissions => {
            let mut escalation = Escalation::default();
            for s in allowed {
                permission_findings(&s, &mut out, &mut escalation);
            }
            if let Some(f) = escalation.finding() {
                out.push(f);
            }
        }
        DocKind::Trust => {
            for s in allowed {
                trust_findings(&s, &mut out, own_account);
            }
        }
    }
    out.finish()
}

/// Escalation paths seen across a document's statements.
#[derive(Default)]
struct Escalation {
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

    fn finding(mut self) -> Option<Finding> {
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
fn permission_findings(s: &Statement, out: &mut Findings, escalation: &mut Escalation) {
    if s.not_action || s.not_resource {
        out.push(Finding::new(
            Rule::AllowNotAction,
            "Allow with NotAction/NotResource grants everything not listed",
        ));
    }
    if s.not_principal {
        out.push(Finding::of(Rule::AllowNotPrincipal));
    }
    for a in &s.actions {
        action_findings(s, a, out, escalation);
    }
}

/// What one action pattern `a` of an Allow statement `s` grants that matters.
fn action_findings(s: &Statement, a: &str, out: &mut Findings, escalation: &mut Escalation) {
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
    if all && s.on_everything(None) {
        out.push(Finding::new(
            Rule::AllowAll,
            "allows every action (\"*\") on every resource",
        ));
    } else if service == Some("iam") && s.on_everything(Some("iam")) {
        out.push(Finding::new(
            Rule::AllowIamAll,
            "allows iam:* on every resource: full control of IAM",
        ));
    } else if service.is_some_and(|svc| s.on_everything(Some(svc))) {
        out.push_item(
            Rule::AllowServiceAll,
            a,
            format!("allows {a} on every resource"),
        );
    }
    // Every action, or every IAM action, is already a critical finding of its own.
    if all || service == Some("iam") {
        return;
    }
    let pass_role = is("iam:passrole");
    // Confined to some services by iam:PassedToService, PassRole is not "any role to anything".
    if pass_role && s.on_every_role() && !s.has_condition_key("iam:PassedToService") {
        out.push_item(
            Rule::PassRoleAny,
            a,
            format!("allows {a} (iam:PassRole) on every role"),
        );
    }
    escalation.pass_role |= pass_role;
    escalation.create_function |= is("lambda:createfunction");
    // Every escalation action is IAM's: a pattern whose literal start rules out `iam:`
    // (most actions of most policies) matches none of them.
    let maybe_iam = if literal {
        a.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("iam:"))
    } else {
        may_match_iam(&lower)
    };
    if maybe_iam {
        for e in ESCALATION {
            if wildcard::matches_ci(&lower, e) {
                escalation.add(e);
            }
        }
    }
    // (The cheap test first: the resource test builds canary ARNs.)
    if is("sts:assumerole") && s.on_everything(Some("iam")) {
        escalation.add("sts:AssumeRole on *");
    }
}

/// Who one Allow statement of a trust policy lets in.
fn trust_findings(s: &Statement, out: &mut Findings, own_account: Option<&str>) {
    let guarded = s
        .condition_keys
        .iter()
        .any(|k| TRUST_GUARDS.contains(&k.to_ascii_lowercase().as_str()));
    if s.not_principal {
        out.push(Finding::of(Rule::AllowNotPrincipal));
    }
    // `*`, or an ARN pattern of any account (`arn:aws:iam::*:root`).
    let anyone = |p: &str| {
        p == "*" || (p.contains('*') && Arn::parse(p).is_some_and(|a| a.account.contains('*')))
    };
    if let Some(p) = s.aws_principals.iter().find(|p| anyone(p)) {
        out.push(Finding::new(
            Rule::TrustAnyone,
            match (p.as_ref(), s.has_condition) {
                ("*", true) => {
                    "any principal (\"*\") may assume the role, limited only by its Condition"
                        .to_string()
                }
                ("*", false) => {
                    "any principal (\"*\") in any account may assume the role".to_string()
                }
                (p, _) => format!("{p} lets a principal of any account assume the role"),
            },
        ));
    }
    for provider in &s.federated {
        let oidc = provider.contains(":oidc-provider/");
        let subject_bound = s
            .condition_keys
            .iter()
            .any(|k| k.to_ascii_lowercase().ends_with(":sub"));
        if oidc && !subject_bound {
            out.push(Finding::new(
                Rule::TrustAnyOidcSubject,
                format!(
                    "any identity of {provider} may assume the role: no condition on its :sub \
                     (for GitHub Actions, any repository of any owner)"
                ),
            ));
        }
    }
    let scoped = s.has_condition_key("aws:SourceAccount")
        || s.has_condition_key("aws:SourceArn")
        || s.has_condition_key("aws:SourceOrgID");
    for service in s.services.iter().filter(|_| !scoped) {
        out.push_item(
            Rule::TrustServiceUnscoped,
            service,
            format!(
                "the service {service} may assume the role on behalf of any account: no \
                 aws:SourceAccount or aws:SourceArn condition"
            ),
        );
    }
    for p in s.aws_principals.iter().filter(|p| !anyone(p)) {
        if let Some(account) = principal_account(p)
            && Some(account) != own_account
            && !guarded
        {
            out.push_item(
                    Rule::TrustOtherAccount,
                    account,
                    format!(
                        "account {account} may assume the role with no sts:ExternalId or organization condition"
                    ),
                );
        }
    }
}

/// The account of an AWS principal: a 12-digit id or the account field of an ARN.
pub(crate) fn principal_account(p: &str) -> Option<&str> {
    let account = match Arn::parse(p) {
        Some(arn) => arn.account,
        None if p.starts_with("arn:") => return None,
        None => p,
    };
    is_account_id(account).then_some(account)
}

#[cfg(test)]
mod tests;
