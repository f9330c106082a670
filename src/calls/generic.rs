//! Every call without a specific rendering: other IAM calls, other services.

use super::context::Context;
use super::{IAM, Kind, Target};
use crate::event::{Event, scalar_text};
use serde_json::Value;

/// How many request parameters a generic alert lists.
const MAX_REQUEST_FACTS: usize = 12;

/// A notification for a call we have no words for: its name, its source, its parameters.
pub fn generic(event: &Event<'_>) -> Target {
    let cx = Context::new(event);
    let name = event
        .detail
        .event_name
        .as_deref()
        .unwrap_or("(no eventName)");
    let source = event
        .detail
        .event_source
        .as_deref()
        .unwrap_or(&event.source);
    // An IAM call we have no words for: its name says enough. Another service: say which.
    let headline = if source == IAM {
        String::new()
    } else {
        source.to_string()
    };
    let mut t = Target::new(Kind::Other, format!("called {name} on {source}"), headline);
    if let Some(Value::Object(params)) = event.detail.request_parameters.as_deref() {
        // A value the request leaves empty ("", [""], null) says nothing: no line for it.
        let said = |v: &&Value| match v {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            Value::Array(items) => items.iter().any(|i| i.as_str() != Some("") && !i.is_null()),
            _ => true,
        };
        for (k, v) in params
            .iter()
            .filter(|(_, v)| said(v))
            .take(MAX_REQUEST_FACTS)
        {
            let text = scalar_text(v).unwrap_or_else(|| v.to_string());
            t.facts.push(("Request", format!("{k} = {text}")));
        }
    }
    // A refused call names its target only in the error message: take it from there.
    if let Some(d) = cx.denied() {
        t.kind = d.kind;
        t.name = Some(d.name.clone());
        t.arn = d.arn.clone();
    }
    t
}
