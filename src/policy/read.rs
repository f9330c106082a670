//! A document's statements, read from its tree leniently: an element of the wrong type
//! counts as absent (IAM would reject such a document; the alert still reports what it can).

use super::{Condition, Statement};
use serde_json::Value;
use std::borrow::Cow;

/// The statements of a document's tree: `Statement` as a list (an element that is not an
/// object is a statement of nothing) or one object.
pub(super) fn statements(doc: &Value) -> Vec<Statement<'_>> {
    fn one_or_many(v: Option<&Value>) -> Vec<Cow<'_, str>> {
        match v {
            Some(Value::String(s)) => vec![Cow::Borrowed(s.as_str())],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(Cow::Borrowed)
                .collect(),
            _ => Vec::new(),
        }
    }
    fn read(v: &Value) -> Statement<'_> {
        let mut s = Statement::default();
        for (key, value) in v.as_object().into_iter().flatten() {
            match key.as_str() {
                "Effect" => s.allow = value.as_str() == Some("Allow"),
                "Action" => s.actions = one_or_many(Some(value)),
                "NotAction" => {
                    s.not_action = true;
                    s.not_actions = one_or_many(Some(value));
                }
                "Resource" => s.resources = one_or_many(Some(value)),
                "NotResource" => s.not_resource = true,
                "Principal" => match value {
                    Value::String(p) => s.aws_principals = vec![Cow::Borrowed(p.as_str())],
                    Value::Object(o) => {
                        s.aws_principals = one_or_many(o.get("AWS"));
                        s.federated = one_or_many(o.get("Federated"));
                        s.services = one_or_many(o.get("Service"));
                    }
                    _ => {}
                },
                "NotPrincipal" => s.not_principal = true,
                "Condition" => {
                    s.has_condition = true;
                    s.conditions = conditions(value);
                }
                _ => {}
            }
        }
        s
    }
    match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().map(read).collect(),
        Some(one @ Value::Object(_)) => vec![read(one)],
        _ => Vec::new(),
    }
}

/// A `Condition` block: each operator's keys and their values (strings; numbers and booleans
/// as written), in order. An operator whose value is not an object tests nothing readable.
fn conditions(block: &Value) -> Vec<Condition<'_>> {
    block
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(operator, keys)| Some((operator, keys.as_object()?)))
        .flat_map(|(operator, keys)| {
            keys.iter().map(move |(key, v)| Condition {
                operator: Cow::Borrowed(operator.as_str()),
                key: Cow::Borrowed(key.as_str()),
                values: condition_values(v),
            })
        })
        .collect()
}

/// A condition's values: a string or a list (numbers and booleans as written).
fn condition_values(v: &Value) -> Vec<Cow<'_, str>> {
    fn one(v: &Value) -> Option<Cow<'_, str>> {
        match v {
            Value::String(s) => Some(Cow::Borrowed(s.as_str())),
            Value::Number(_) | Value::Bool(_) => Some(Cow::Owned(v.to_string())),
            _ => None,
        }
    }
    match v {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}
