//! A document's statements, read from its tree leniently: an element of the wrong type
//! counts as absent (IAM would reject such a document; the alert still reports what it can).

use super::Statement;
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
                "NotAction" => s.not_action = true,
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
                    s.condition_keys = value
                        .as_object()
                        .map(|ops| {
                            ops.values()
                                .filter_map(Value::as_object)
                                .flat_map(|keys| keys.keys().map(|k| Cow::Borrowed(k.as_str())))
                                .collect()
                        })
                        .unwrap_or_default();
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
