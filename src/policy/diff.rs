//! What changed between two versions of a policy, statement by statement (pure): the
//! statements added and removed, and for a statement that was edited, the actions, resources
//! and conditions it gained and lost. Statements are compared by meaning, not by text: the
//! order of a list, a single value written as a one-element list and the case of an action
//! do not count as changes.

use super::Document;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The most lines a diff has; the rest are counted on one last line.
pub const MAX_LINES: usize = 40;
/// The most items of one list a line names; the rest are counted.
const MAX_ITEMS: usize = 8;
/// The longest condition shown, in bytes.
const MAX_CONDITION: usize = 200;

/// One statement, in the terms the diff compares.
#[derive(Debug, PartialEq, Eq)]
struct Canon {
    sid: Option<String>,
    effect: String,
    /// `Action`, or `NotAction`.
    action_key: &'static str,
    /// Lower-cased (IAM actions are case-insensitive) to as written.
    actions: BTreeMap<String, String>,
    /// `Resource`, or `NotResource`.
    resource_key: &'static str,
    resources: BTreeSet<String>,
    /// The `Condition` block as compact JSON with sorted keys, empty without one.
    condition: String,
}

impl Canon {
    fn read(v: &Value) -> Canon {
        let (action_key, actions) = match v.get("NotAction") {
            Some(a) => ("NotAction", one_or_many(Some(a))),
            None => ("Action", one_or_many(v.get("Action"))),
        };
        let (resource_key, resources) = match v.get("NotResource") {
            Some(r) => ("NotResource", one_or_many(Some(r))),
            None => ("Resource", one_or_many(v.get("Resource"))),
        };
        Canon {
            sid: v.get("Sid").and_then(Value::as_str).map(String::from),
            effect: v
                .get("Effect")
                .and_then(Value::as_str)
                .unwrap_or("(no effect)")
                .to_string(),
            action_key,
            actions: actions
                .iter()
                .map(|a| (a.to_ascii_lowercase(), a.to_string()))
                .collect(),
            resource_key,
            resources: resources.iter().map(|r| r.to_string()).collect(),
            condition: v.get("Condition").map(sorted_json).unwrap_or_default(),
        }
    }

    /// Equal but for the statement id.
    fn same_grant(&self, other: &Canon) -> bool {
        self.effect == other.effect
            && self.action_key == other.action_key
            && self.actions == other.actions
            && self.resource_key == other.resource_key
            && self.resources == other.resources
            && self.condition == other.condition
    }

    /// "Allow s3:getobject, s3:putobject on arn:aws:s3:::b/* when {…}".
    fn describe(&self) -> String {
        let negated =
            |key: &str, word: &'static str| if key.starts_with("Not") { word } else { "" };
        let mut s = format!(
            "{}{} {}{} on {}{}",
            self.sid
                .as_deref()
                .map(|sid| format!("{sid:?}: "))
                .unwrap_or_default(),
            self.effect,
            negated(self.action_key, "every action except "),
            items(self.actions.values()),
            negated(self.resource_key, "every resource except "),
            items(&self.resources)
        );
        if !self.condition.is_empty() {
            s.push_str(" when ");
            s.push_str(&crate::redact::cap(&self.condition, MAX_CONDITION));
        }
        s
    }

    /// How strongly `other` looks like an edit of this statement (0: not at all).
    fn kinship(&self, other: &Canon) -> u8 {
        if self.sid.is_some() && self.sid == other.sid {
            return 4;
        }
        if self.effect != other.effect
            || self.action_key != other.action_key
            || self.resource_key != other.resource_key
        {
            return 0;
        }
        let same_actions = self.actions == other.actions;
        let same_resources = self.resources == other.resources;
        let same_condition = self.condition == other.condition;
        match (same_actions, same_resources, same_condition) {
            (_, true, true) | (true, _, true) => 3,
            (true, true, false) => 2,
            _ if self.actions.keys().any(|a| other.actions.contains_key(a)) => 1,
            _ => 0,
        }
    }
}

/// A JSON value as compact text with object keys sorted (so key order does not count).
/// A string or a list of strings.
fn one_or_many(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn sorted_json(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(o) => {
                let mut keys: Vec<_> = o.iter().collect();
                keys.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    keys.into_iter()
                        .map(|(k, v)| (k.clone(), sort(v)))
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(v).to_string()
}

/// Up to [`MAX_ITEMS`] of a list, the rest counted; `(none)` for an empty one.
fn items<'a>(list: impl IntoIterator<Item = &'a String>) -> String {
    let all: Vec<&String> = list.into_iter().collect();
    if all.is_empty() {
        return "(none)".into();
    }
    let shown: Vec<&str> = all.iter().take(MAX_ITEMS).map(|s| s.as_str()).collect();
    let mut s = shown.join(", ");
    if all.len() > MAX_ITEMS {
        s.push_str(&format!(" and {} more", all.len() - MAX_ITEMS));
    }
    s
}

fn statements(doc: &Value) -> Vec<Canon> {
    match doc.get("Statement") {
        Some(Value::Array(list)) => list.iter().map(Canon::read).collect(),
        Some(one @ Value::Object(_)) => vec![Canon::read(one)],
        _ => Vec::new(),
    }
}

/// The lines that say what changed from `old` to `new`: `+ ` a statement added, `- ` one
/// removed, `~ ` one edited (what it gained and lost). Empty when both grant the same. At
/// most [`MAX_LINES`] lines. The lines hold policy text as written (the caller escapes them
/// for display).
pub fn diff(old: &Document, new: &Document) -> Vec<String> {
    let (Document::Json(old), Document::Json(new)) = (old, new) else {
        return if old == new {
            Vec::new()
        } else {
            vec!["~ the documents differ, but one of them is not JSON: compare them in the IAM console".into()]
        };
    };
    let mut old: Vec<Option<Canon>> = statements(old.tree()).into_iter().map(Some).collect();
    let mut new: Vec<Option<Canon>> = statements(new.tree()).into_iter().map(Some).collect();
    // The same grant in both (its id may have changed): no change.
    for n in new.iter_mut() {
        let Some(nc) = n.as_ref() else { continue };
        if let Some(o) = old
            .iter_mut()
            .find(|o| o.as_ref().is_some_and(|oc| oc.same_grant(nc)))
        {
            *o = None;
            *n = None;
        }
    }
    let mut lines = Vec::new();
    for n in new.iter_mut() {
        let Some(nc) = n.take() else { continue };
        let partner = old
            .iter()
            .enumerate()
            .filter_map(|(i, o)| Some((i, o.as_ref()?.kinship(&nc))))
            .filter(|(_, k)| *k > 0)
            .max_by_key(|(i, k)| (*k, std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        match partner.and_then(|i| old.get_mut(i)?.take()) {
            Some(oc) => edited(&oc, &nc, &mut lines),
            None => lines.push(format!("+ added: {}", nc.describe())),
        }
    }
    for oc in old.into_iter().flatten() {
        lines.push(format!("- removed: {}", oc.describe()));
    }
    if lines.len() > MAX_LINES {
        let more = lines.len() - (MAX_LINES - 1);
        lines.truncate(MAX_LINES - 1);
        lines.push(format!(
            "… and {more} more changes: compare the versions in the IAM console"
        ));
    }
    lines
}

/// What an edited statement gained and lost.
fn edited(old: &Canon, new: &Canon, lines: &mut Vec<String>) {
    let name = match &new.sid {
        Some(sid) => format!("statement {sid:?}"),
        None => format!("the {} statement on {}", new.effect, items(&new.resources)),
    };
    let mut changes = Vec::new();
    if old.effect != new.effect {
        changes.push(format!("effect was {}, now {}", old.effect, new.effect));
    }
    let mut sets = |what: &str,
                    key_old: &str,
                    key_new: &str,
                    o: &BTreeMap<String, String>,
                    n: &BTreeMap<String, String>| {
        if key_old != key_new {
            changes.push(format!(
                "{what} were {key_old} {}, now {key_new} {}",
                items(o.values()),
                items(n.values())
            ));
            return;
        }
        let added: Vec<&String> = n
            .iter()
            .filter(|(k, _)| !o.contains_key(*k))
            .map(|(_, v)| v)
            .collect();
        let removed: Vec<&String> = o
            .iter()
            .filter(|(k, _)| !n.contains_key(*k))
            .map(|(_, v)| v)
            .collect();
        if !added.is_empty() {
            changes.push(format!("{what} added: {}", items(added)));
        }
        if !removed.is_empty() {
            changes.push(format!("{what} removed: {}", items(removed)));
        }
    };
    sets(
        "actions",
        old.action_key,
        new.action_key,
        &old.actions,
        &new.actions,
    );
    let keyed = |r: &BTreeSet<String>| r.iter().map(|x| (x.clone(), x.clone())).collect();
    sets(
        "resources",
        old.resource_key,
        new.resource_key,
        &keyed(&old.resources),
        &keyed(&new.resources),
    );
    let condition = |c: &str| match c {
        "" => "none".to_string(),
        c => crate::redact::cap(c, MAX_CONDITION),
    };
    if old.condition != new.condition {
        changes.push(format!(
            "condition was {}, now {}",
            condition(&old.condition),
            condition(&new.condition)
        ));
    }
    if old.sid != new.sid && changes.is_empty() {
        return;
    }
    lines.push(format!("~ changed {name}: {}", changes.join("; ")));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(statements: Value) -> Document {
        Document::Json(super::super::Json::of(
            &json!({"Version": "2012-10-17", "Statement": statements}),
        ))
    }

    #[test]
    fn the_same_grants_written_differently_are_no_change() {
        let old = doc(
            json!([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]),
        );
        let new = doc(
            json!({"Sid": "Read", "Effect": "Allow", "Action": ["S3:ListBucket", "s3:GetObject"],
            "Resource": ["*"], "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "Bool": {"aws:SecureTransport": "true"}}}),
        );
        assert_eq!(diff(&old, &new), Vec::<String>::new());
    }

    #[test]
    fn an_edited_statement_says_what_it_gained_and_lost() {
        let old = doc(
            json!([{"Sid": "Deploy", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::artifacts/*"}]),
        );
        let new = doc(
            json!([{"Sid": "Deploy", "Effect": "Allow", "Action": ["s3:GetObject", "iam:PassRole"],
            "Resource": ["arn:aws:s3:::artifacts/*", "*"], "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]),
        );
        assert_eq!(
            diff(&old, &new),
            vec![
                "~ changed statement \"Deploy\": actions added: iam:PassRole; actions removed: s3:PutObject; \
                 resources added: *; condition was none, now {\"StringEquals\":{\"aws:RequestedRegion\":\"eu-west-1\"}}"
            ]
        );
    }

    #[test]
    fn statements_without_a_counterpart_are_added_or_removed() {
        let old = doc(json!([
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a/*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}
        ]));
        let new = doc(json!([
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a/*"},
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
        ]));
        assert_eq!(
            diff(&old, &new),
            vec![
                "+ added: Allow every action except iam:* on *",
                "- removed: Deny iam:* on *"
            ]
        );
    }

    #[test]
    fn a_resource_change_pairs_statements_with_the_same_actions() {
        let old = doc(
            json!([{"Effect": "Allow", "Action": "ec2:*", "Resource": "arn:aws:ec2:*:*:instance/i-1"}]),
        );
        let new = doc(json!([{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]));
        assert_eq!(
            diff(&old, &new),
            vec![
                "~ changed the Allow statement on *: resources added: *; resources removed: arn:aws:ec2:*:*:instance/i-1"
            ]
        );
    }

    #[test]
    fn long_lists_and_many_changes_are_bounded() {
        let actions: Vec<String> = (0..100).map(|i| format!("svc:Action{i}")).collect();
        let old = doc(json!([]));
        let new = doc(Value::Array(
            (0..100)
                .map(|i| json!({"Effect": "Allow", "Action": actions, "Resource": format!("arn:x:{i}")}))
                .collect(),
        ));
        let lines = diff(&old, &new);
        assert_eq!(lines.len(), MAX_LINES);
        assert!(lines[0].contains("and 92 more"), "{}", lines[0]);
        assert!(lines.iter().all(|l| l.len() < 1_000));
        assert_eq!(
            lines.last().unwrap(),
            "… and 61 more changes: compare the versions in the IAM console"
        );
    }

    #[test]
    fn text_that_is_not_json_is_said_not_guessed() {
        let old = Document::Text("not json".into());
        assert_eq!(diff(&old, &old), Vec::<String>::new());
        assert_eq!(diff(&old, &doc(json!([]))).len(), 1);
    }
}
