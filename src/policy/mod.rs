//! Policy documents as CloudTrail records them: URL-encoded JSON (`%7B%22Version…`), JSON in
//! a string (sometimes pretty-printed), or a JSON object. Decoded for display only.

use crate::arn::{Arn, is_account_id};
use crate::severity::{Finding, Rule};
use crate::wildcard;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

pub mod catalogue;
pub mod diff;
mod grants;
mod json;
pub mod managed;
mod read;
mod trust;

use trust::trust_findings;

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
        // Decoded, a secret may have a shape it did not have encoded (`%2F` for `/`).
        return Document::Text(crate::redact::text(&decoded));
    }
    Document::Text(crate::redact::text(s))
}

/// Why a document cannot be analysed, when it is not JSON: serde_json's reason (a lone
/// surrogate, a number out of range, text that is no JSON at all), cut to one short line.
pub fn unreadable(doc: &Document) -> Option<String> {
    let Document::Text(text) = doc else {
        return None;
    };
    let why = match serde_json::from_str::<Value>(text) {
        Err(e) => e.to_string(),
        Ok(_) => "it is not a JSON object".to_string(),
    };
    Some(crate::redact::cap(&why, 160))
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
    /// `NotAction`'s list: the statement grants every action none of these matches.
    pub not_actions: Vec<Cow<'a, str>>,
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
    /// Every condition: operator, key and values.
    pub conditions: Vec<Condition<'a>>,
}

/// One condition of a statement: `{"StringLike": {"iam:PassedToService": ["lambda.amazonaws.com"]}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Condition<'a> {
    pub operator: Cow<'a, str>,
    pub key: Cow<'a, str>,
    pub values: Vec<Cow<'a, str>>,
}

impl Condition<'_> {
    /// The operator without its set prefix (`ForAnyValue:`) and `IfExists` suffix,
    /// and whether it was `ForAllValues:` (true of a request without the key).
    fn base(&self) -> (&str, bool) {
        let op = self.operator.as_ref();
        let for_all = op.starts_with("ForAllValues:");
        let op = op
            .strip_prefix("ForAnyValue:")
            .or_else(|| op.strip_prefix("ForAllValues:"))
            .unwrap_or(op);
        (op.strip_suffix("IfExists").unwrap_or(op), for_all)
    }

    /// A positive string or ARN operator (`StringEquals`, `StringLike`, their `IgnoreCase`
    /// and `IfExists` forms, `ForAnyValue:`), with values: it lets in only what its values
    /// match. Negated operators, `ForAllValues` (true when the key is absent) and the rest do
    /// not.
    pub fn positive(&self) -> bool {
        let (op, for_all) = self.base();
        !for_all
            && !self.values.is_empty()
            && matches!(
                op,
                "StringEquals" | "StringEqualsIgnoreCase" | "StringLike" | "ArnEquals" | "ArnLike"
            )
    }

    /// The condition holds only for requests whose `key` is one of a few concrete values: a
    /// positive string operator whose every value names one thing (`StringLike` without a
    /// wildcard). A negated operator, a wildcard, an empty list, `ForAllValues` (true when
    /// the key is absent) or any other operator does not pin it.
    pub fn pins(&self, key: &str) -> bool {
        if !self.key.eq_ignore_ascii_case(key) || self.values.is_empty() {
            return false;
        }
        let (op, for_all) = self.base();
        let concrete = |v: &Cow<'_, str>| !v.is_empty() && !v.contains(['*', '?']);
        !for_all
            && match op {
                "StringEquals" | "StringEqualsIgnoreCase" | "ArnEquals" => true,
                "StringLike" | "ArnLike" => self.values.iter().all(concrete),
                _ => false,
            }
    }
}

impl Statement<'_> {
    /// The statement applies to every resource of `service` (every service for `None`) in
    /// some account: a resource pattern that matches all of them counts as `"*"`
    /// (`arn:*:*:*:*:*`, `arn:aws:iam::*:*`, `*:*`, and `arn:aws:iam::111122223333:*`: every
    /// IAM resource of that account is every one the policy's holder can reach there), and
    /// so does `NotResource`.
    fn on_everything(&self, service: Option<&str>) -> bool {
        self.not_resource
            || self
                .resources
                .iter()
                .any(|r| covers_every_resource(r, service))
    }

    /// The statement applies to every IAM role of some account (`arn:aws:iam::*:role/*` and
    /// `arn:aws:iam::111122223333:role/*` included).
    fn on_every_role(&self) -> bool {
        self.not_resource
            || self.resources.iter().any(|r| {
                matches_every_canary(r, |p, account| {
                    vec![
                        format!("arn:{p}:iam::{}:role/a", account.unwrap_or("123456789012")),
                        format!(
                            "arn:{p}:iam::{}:role/path/b",
                            account.unwrap_or("210987654321")
                        ),
                    ]
                })
            })
    }

    /// Why no request can meet the statement's conditions together, when none can: a key
    /// required absent (`Null` "true") that another condition requires to have a value, or a
    /// key required equal to values (`StringEquals`, `ArnEquals`, without `IfExists`) that
    /// another requires to differ from every one of them.
    pub fn impossible(&self) -> Option<String> {
        let same = |a: &Condition, b: &Condition| a.key.eq_ignore_ascii_case(&b.key);
        let plain =
            |c: &Condition| !c.operator.ends_with("IfExists") && !c.operator.starts_with("For");
        for c in &self.conditions {
            let (op, _) = c.base();
            if op == "Null"
                && plain(c)
                && c.values.iter().any(|v| v.eq_ignore_ascii_case("true"))
                && let Some(other) = self
                    .conditions
                    .iter()
                    .find(|o| same(c, o) && o.positive() && !o.operator.ends_with("IfExists"))
            {
                return Some(format!(
                    "{} must be absent (Null) and have a value ({})",
                    c.key, other.operator
                ));
            }
            if matches!(op, "StringEquals" | "ArnEquals") && plain(c) && !c.values.is_empty() {
                let negated = self.conditions.iter().find(|o| {
                    let (oop, _) = o.base();
                    same(c, o)
                        && matches!(oop, "StringNotEquals" | "ArnNotEquals")
                        && plain(o)
                        && c.values.iter().all(|v| o.values.contains(v))
                });
                if let Some(o) = negated {
                    return Some(format!(
                        "{} must equal one of its values ({}) and differ from every one ({})",
                        c.key, c.operator, o.operator
                    ));
                }
            }
        }
        None
    }

    /// Some condition, under any operator, tests `key` (any case).
    fn has_condition_key(&self, key: &str) -> bool {
        self.conditions
            .iter()
            .any(|c| c.key.eq_ignore_ascii_case(key))
    }
}

/// Resources of every shape a service's ARNs take in one partition (IAM's have no region,
/// S3 buckets no region and no account), in `account` when a pattern names one, else in
/// two: a pattern matching all of them matches every resource of the service there.
fn canary_resources(partition: &str, service: &str, account: Option<&str>) -> Vec<String> {
    let p = partition;
    let (one, two) = (
        account.unwrap_or("123456789012"),
        account.unwrap_or("210987654321"),
    );
    match service {
        "iam" => vec![
            format!("arn:{p}:iam::{one}:role/a"),
            format!("arn:{p}:iam::{two}:user/x/y"),
            format!("arn:{p}:iam::{one}:policy/p"),
        ],
        "s3" => vec![
            format!("arn:{p}:s3:::bucket"),
            format!("arn:{p}:s3:::bucket/key/x"),
        ],
        s => vec![
            format!("arn:{p}:{s}:us-east-1:{one}:thing/a"),
            format!("arn:{p}:{s}:eu-west-3:{two}:x:y/z"),
        ],
    }
}

/// `pattern` (a `Resource` element) matches every resource of `service` (of every service
/// for `None`) in some partition and account.
pub fn covers_every_resource(pattern: &str, service: Option<&str>) -> bool {
    let services: &[&str] = match service {
        Some(s) => &[s][..],
        None => &["s3", "iam", "ec2", "lambda"],
    };
    matches_every_canary(pattern, |partition, account| {
        services
            .iter()
            .flat_map(|s| canary_resources(partition, s, account))
            .collect()
    })
}

/// `pattern` is `*`, or a wildcard pattern matching every ARN `canaries` gives for some
/// partition, in the account the pattern names (a 12-digit id) or in any.
fn matches_every_canary(
    pattern: &str,
    canaries: impl Fn(&str, Option<&str>) -> Vec<String>,
) -> bool {
    if pattern == "*" {
        return true;
    }
    if !pattern.contains('*') {
        return false;
    }
    let account = Arn::parse(pattern)
        .map(|a| a.account)
        .filter(|a| is_account_id(a));
    ["aws", "aws-cn", "aws-us-gov"].iter().any(|partition| {
        canaries(partition, account)
            .iter()
            .all(|arn| wildcard::matches(pattern, arn))
    })
}

/// The statements of a document: `Statement` as a list or a single object.
pub fn statements(doc: &Json) -> Vec<Statement<'_>> {
    read::statements(doc.tree())
}

/// Findings of one rule beyond this many are said in one grouped finding.
pub const GROUP_AFTER: usize = 5;
/// Items named in a grouped finding; the rest are counted.
const GROUP_NAMES: usize = 10;

/// Findings without repeats (same rule, same reason), in the order first seen; rules with
/// many findings (one per action or per account) are grouped into one. Linear in the input.
#[derive(Default)]
pub(super) struct Findings {
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

    /// Some finding was made.
    fn any(&self) -> bool {
        !self.out.is_empty()
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
    let statements = statements(v);
    match kind {
        DocKind::Permissions => grants::permissions(&statements, &mut out),
        DocKind::Trust => {
            for s in statements.iter().filter(|s| s.allow) {
                trust_findings(s, &mut out, own_account);
            }
        }
    }
    out.finish()
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
