//! An Amazon Q Developer in chat applications custom notification (`version` 1.0, `source`
//! custom, client-markdown): who did what to what, the findings, the facts that place it, a
//! link, and the next steps.

use crate::redact::cap;
use crate::render::document::Fit;
use crate::render::{Notification, Outcome};
use crate::severity::Severity;
use crate::text::one_line;
use serde_json::{Value, json};

/// Amazon Q renders descriptions up to about 8,000 characters; we stay under that in bytes.
const DESCRIPTION_BYTES: usize = 7_500;

/// The longest other field of a compact notification.
const COMPACT_FIELD_BYTES: usize = 256;

/// The findings listed in the description stop here (the rest are counted).
const FINDINGS_BYTES: usize = 3_000;

/// The longest title: chat has no subject limit, but a title is one line.
const TITLE_BYTES: usize = 250;

/// The longest sentence, fact or next step in the description.
const LINE_BYTES: usize = 1_000;

/// The body's facts a chat reader needs, in this order (the rest is one click away).
const FACTS: &[&str] = &["Who", "Account", "Region", "Time", "Source IP", "Event ID"];

/// The notification a chat reader reads in five seconds, from `text` (the alert's text as
/// this message carries it): the title and the first line say who did what to what (the
/// body's first sentence, uncut by SNS's subject limit), then the findings as a short list,
/// the facts that place it, a link to click; the next steps are the body's own (NEXT STEPS,
/// the root warning) and the console. No email pasted in. Every value from the record is one
/// line with markdown escaped, and the description stays under its cap. [`Fit::Compact`]
/// also shortens the other fields (see `message_within`).
pub fn notification(n: &Notification<'_>, text: &str, fit: Fit) -> Value {
    let compact = fit == Fit::Compact;
    let emoji = match (n.outcome, n.severity) {
        (Outcome::Denied | Outcome::Failed, _) => ":no_entry:",
        (_, Severity::Critical) => ":rotating_light:",
        (_, Severity::Warning) => ":warning:",
        _ => ":information_source:",
    };
    let doc = &n.document;
    let sentence = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(&n.subject);
    let mut description = format!(
        "*{}* | {}",
        n.severity.word().to_ascii_uppercase(),
        markdown(&cap(sentence, LINE_BYTES))
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
    push_facts(&mut description, text);
    description.push_str(&format!("\n[Open in the console]({})", link(&n.link)));
    let short = |s: &str| {
        let line = one_line(s);
        if compact {
            cap(&line, COMPACT_FIELD_BYTES)
        } else {
            line
        }
    };
    let related: Vec<String> = doc.related_arns().into_iter().map(short).collect();
    let next_steps = next_steps(n, text);
    let title = cap(&plain_title(&one_line(sentence)), TITLE_BYTES);
    json!({
        "version": "1.0",
        "source": "custom",
        "id": n.event_id,
        "content": {
            "textType": "client-markdown",
            "title": format!("{emoji} {title}"),
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

/// The body's facts a chat reader needs ([`FACTS`]), one line each, while the description
/// has room.
fn push_facts(description: &mut String, text: &str) {
    for label in FACTS {
        let prefix = format!("{label}:");
        if let Some(value) = text.lines().find_map(|l| l.strip_prefix(&prefix)) {
            let line = format!("\n*{label}:* {}", markdown(&cap(value.trim(), LINE_BYTES)));
            if description.len() + line.len() < DESCRIPTION_BYTES - LINE_BYTES {
                description.push_str(&line);
            }
        }
    }
}

/// The body's own next steps (NEXT STEPS, the root warning) first, then where to look.
fn next_steps(n: &Notification<'_>, text: &str) -> Vec<String> {
    let mut steps: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("NEXT STEPS") || l.starts_with("WARNING:"))
        .map(|l| cap(&one_line(l), LINE_BYTES))
        .collect();
    steps.push(format!("Review it in the console: {}", n.link));
    if let Some(id) = &n.event_id {
        steps.push(format!(
            "Find the CloudTrail record: event ID {}",
            markdown(id)
        ));
    }
    steps
}

/// A link as markdown can carry it: the characters that would end or break a markdown link
/// percent-encoded (console links are ours, with names from the record in them).
fn link(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in one_line(url).chars() {
        match c {
            ' ' | '(' | ')' | '<' | '>' | '[' | ']' | '`' | '\\' | '"' => {
                out.push_str(&format!("%{:02X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
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
