//! An Amazon Q Developer in chat applications custom notification (`version` 1.0, `source`
//! custom, client-markdown) with the alert's title, findings and next steps.

use crate::redact::cap;
use crate::render::document::Fit;
use crate::render::{Notification, Outcome};
use crate::severity::Severity;
use crate::text::{cut_utf8, one_line};
use serde_json::{Value, json};

/// Amazon Q renders descriptions up to about 8,000 characters; we stay under that in bytes.
const DESCRIPTION_BYTES: usize = 7_500;

/// The longest other field of a compact notification.
const COMPACT_FIELD_BYTES: usize = 256;

/// The findings listed in the description stop here (the rest are counted).
const FINDINGS_BYTES: usize = 3_000;

/// The notification, with as much of `text` (the alert's text as this message carries it)
/// as its description holds. Every value from the record is one line with markdown escaped,
/// the text sits in a code fence longer than any backtick run inside it, and the description
/// stays under its cap. [`Fit::Compact`] also shortens the other fields (see
/// `message_within`).
pub fn notification(n: &Notification<'_>, text: &str, fit: Fit) -> Value {
    let compact = fit == Fit::Compact;
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
        markdown(doc.summary())
    );
    let findings_end = description.len() + FINDINGS_BYTES;
    for (i, f) in n.findings.iter().enumerate() {
        let line = format!("\n• {} ({})", markdown(&f.reason), f.rule);
        if description.len() + line.len() > findings_end {
            description.push_str(&format!("\n• … and {} more findings", n.findings.len() - i));
            break;
        }
        description.push_str(&line);
    }
    let fence = "`".repeat(longest_backtick_run(text).max(2) + 1);
    let room = DESCRIPTION_BYTES.saturating_sub(description.len() + 2 * fence.len() + 4);
    let (body, _) = cut_utf8(text, room);
    let short = |s: &str| {
        let line = one_line(s);
        if compact {
            cap(&line, COMPACT_FIELD_BYTES)
        } else {
            line
        }
    };
    description.push_str(&format!("\n{fence}\n{body}\n{fence}"));
    let related: Vec<String> = doc.related_arns().into_iter().map(short).collect();
    let mut next_steps = vec![format!("Review it in the console: {}", n.link)];
    if let Some(id) = &n.event_id {
        next_steps.push(format!(
            "Find the CloudTrail record: event ID {}",
            markdown(id)
        ));
    }
    json!({
        "version": "1.0",
        "source": "custom",
        "id": n.event_id,
        "content": {
            "textType": "client-markdown",
            "title": format!("{emoji} {}", plain_title(&n.subject)),
            "description": description,
            "nextSteps": next_steps,
            "keywords": [n.severity.word(), short(&n.event_name), short(n.account.as_deref().unwrap_or_default()), short(&n.actor_type)],
        },
        "metadata": {
            "summary": n.subject,
            "eventType": short(&n.event_name),
            "relatedResources": related,
            "additionalContext": {
                "severity": n.severity.word(),
                "outcome": n.outcome,
            },
        },
    })
}

/// A value from the record as markdown text: one line, hidden characters escaped, and the
/// characters that start formatting, code, links or HTML backslash-escaped.
fn markdown(value: &str) -> String {
    let line = one_line(value);
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '~' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The subject (printable ASCII already) without what could make a link in a title.
fn plain_title(subject: &str) -> String {
    // `->` is ours and stays; `<` opens an autolink or HTML, `](` a link.
    subject.replace("](", "] (").replace('<', "(")
}

fn longest_backtick_run(s: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}
