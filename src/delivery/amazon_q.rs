//! An Amazon Q Developer in chat applications custom notification (`version` 1.0, `source`
//! custom, client-markdown) with the alert's title, findings and next steps.

use crate::render::text::cut_utf8;
use crate::render::{Notification, Outcome};
use crate::severity::Severity;
use serde_json::{Value, json};

/// Amazon Q renders descriptions up to about 8,000 characters; we stay under that in bytes.
const DESCRIPTION_BYTES: usize = 7_500;

/// The notification, with at most `text_budget` bytes of the text body in its description.
pub fn notification(n: &Notification, text_budget: usize) -> Value {
    let emoji = match (n.outcome, n.severity) {
        (Outcome::Denied | Outcome::Failed, _) => ":no_entry:",
        (_, Severity::Critical) => ":rotating_light:",
        (_, Severity::Warning) => ":warning:",
        _ => ":information_source:",
    };
    let doc = &n.document;
    let mut description = format!(
        "*{}* | {}",
        n.severity.word().to_ascii_uppercase(),
        doc.summary
    );
    for f in &n.findings {
        description.push_str(&format!("\n• {} ({})", f.reason, f.rule));
    }
    let (body, _) = cut_utf8(
        &n.body,
        text_budget.min(DESCRIPTION_BYTES.saturating_sub(description.len() + 16)),
    );
    description.push_str(&format!("\n```\n{body}\n```"));
    let related: Vec<&String> = [
        doc.resource.arn.as_ref(),
        doc.policy.as_ref().and_then(|p| p.arn.as_ref()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut next_steps = vec![format!("Review it in the console: {}", n.link)];
    if let Some(id) = &n.event_id {
        next_steps.push(format!("Find the CloudTrail record: event ID {id}"));
    }
    json!({
        "version": "1.0",
        "source": "custom",
        "id": n.event_id,
        "content": {
            "textType": "client-markdown",
            "title": format!("{emoji} {}", n.subject),
            "description": description,
            "nextSteps": next_steps,
            "keywords": [n.severity.word(), n.event_name, n.account.clone().unwrap_or_default(), n.actor_type],
        },
        "metadata": {
            "summary": n.subject,
            "eventType": n.event_name,
            "relatedResources": related,
            "additionalContext": {
                "severity": n.severity.word(),
                "outcome": n.outcome,
            },
        },
    })
}
