//! The notification: subject, plain-text body and console link, within SNS's limits.
//!
//! Pure: an [`Event`] in, a [`Notification`] out. Every event field is treated as
//! attacker-controlled text: subjects are cut to printable ASCII, single-line fields have
//! their control and bidirectional-override characters escaped (so a crafted name cannot forge
//! a "Console:" line), and the body is cut at a UTF-8 boundary under SNS's message limit.

use crate::actor::{Actor, actor, user_agent_kind};
use crate::classic;
use crate::console_url;
use crate::event::Event;
use crate::policy;
use crate::resource::{self, Kind, Target};
use serde::Serialize;

/// SNS rejects subjects of 100 characters or more ("less than 100 characters").
pub const MAX_SUBJECT_CHARS: usize = 99;
/// SNS's message size limit (256 KiB), which message attributes count towards too.
pub const SNS_MAX_MESSAGE_BYTES: usize = 262_144;
/// Our body limit: SNS's, less room for message attributes.
pub const MAX_BODY_BYTES: usize = SNS_MAX_MESSAGE_BYTES - 6_144;

/// How the body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// iam-notify's own message.
    Rich,
    /// The article's InputTransformer sentences, for parity while migrating.
    Classic,
}

/// What became of the call the event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Succeeded,
    Denied,
    Failed,
    /// Not an API call record (an Insight event, another detail type): nothing succeeded or failed.
    Event,
}

/// A rendered notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub subject: String,
    pub body: String,
    pub link: String,
    pub event_name: String,
    pub event_id: Option<String>,
    pub outcome: Outcome,
    /// The body was cut to fit SNS's limit.
    pub truncated: bool,
}

impl Notification {
    /// Subject, body and link as a person reads them (preview, demo, snapshots).
    pub fn to_text(&self) -> String {
        format!(
            "Subject: {}\nLink: {}\n\n{}",
            self.subject, self.link, self.body
        )
    }
}

/// Renders `event` as a notification.
pub fn render(event: &Event, format: Format) -> Notification {
    let call = event
        .is_iam_call()
        .then(|| {
            event
                .detail
                .event_name
                .as_deref()
                .and_then(resource::lookup)
        })
        .flatten();
    let target = match call {
        Some(c) => resource::resolve(event, c),
        None => resource::generic(event),
    };
    let who = actor(event);
    let outcome = outcome(event);
    let partition = resource::partition(event);
    let link = link(event, &target, &partition);
    let event_name = event
        .detail
        .event_name
        .clone()
        .unwrap_or_else(|| event.detail_type.clone());
    let subject = sanitize_subject(&subject(event, &target, &who, outcome, &event_name));
    let (body, truncated) = match (format, call.map(|c| c.group)) {
        (Format::Classic, Some(group)) => match classic::render(event, group) {
            Some(text) => fit_body(text),
            None => rich_body(event, &target, &who, outcome, &link),
        },
        _ => rich_body(event, &target, &who, outcome, &link),
    };
    Notification {
        subject,
        body,
        link,
        event_name,
        event_id: event.detail.event_id.clone(),
        outcome,
        truncated,
    }
}

fn outcome(event: &Event) -> Outcome {
    match event.detail.error_code.as_deref() {
        Some(code) if is_denial(code) => Outcome::Denied,
        Some(_) => Outcome::Failed,
        None if event.detail.event_name.is_none() => Outcome::Event,
        None => Outcome::Succeeded,
    }
}

fn is_denial(code: &str) -> bool {
    code.contains("AccessDenied")
        || code.contains("UnauthorizedOperation")
        || code == "Unauthorized"
}

fn link(event: &Event, t: &Target, partition: &str) -> String {
    let list = || console_url::list(partition, t.kind);
    match t.kind {
        Kind::Other => console_url::cloudtrail_event(
            partition,
            event.region(),
            event.detail.event_id.as_deref(),
            event.detail.event_name.as_deref(),
        ),
        _ if t.gone || t.not_created => list(),
        Kind::Policy => match &t.arn {
            Some(arn) => console_url::policy(partition, arn, t.section),
            None => list(),
        },
        kind => match &t.name {
            Some(name) => console_url::principal(partition, kind, name, t.section),
            None => list(),
        },
    }
}

fn subject(event: &Event, t: &Target, who: &Actor, outcome: Outcome, event_name: &str) -> String {
    let service = if event.is_iam_call() { "IAM" } else { "AWS" };
    let tag = match outcome {
        Outcome::Denied => format!("[{service} DENIED]"),
        Outcome::Failed => format!("[{service} FAILED]"),
        _ => format!("[{service}]"),
    };
    if outcome == Outcome::Event {
        return format!("{tag} {} from {}", event.detail_type, event.source);
    }
    let headline = if t.kind == Kind::Other && event.is_iam_call() {
        String::new()
    } else {
        t.headline.clone()
    };
    // When too long, the resource is shortened first: who did it stays readable. The
    // caller's `sanitize_subject` is the final guard.
    let head = clean_ascii(&format!("{tag} {event_name}"));
    let tail = clean_ascii(&format!("by {}", who.short));
    let mut middle = clean_ascii(&headline);
    let room = MAX_SUBJECT_CHARS.saturating_sub(head.len() + tail.len() + 2);
    if middle.len() > room && room >= 12 {
        middle.truncate(room - 3);
        let len = middle.trim_end().len();
        middle.truncate(len);
        middle.push_str("...");
    }
    if middle.is_empty() {
        format!("{head} {tail}")
    } else {
        format!("{head} {middle} {tail}")
    }
}

/// Makes `raw` a valid SNS subject: printable ASCII, no line breaks or control characters,
/// single spaces, fewer than 100 characters (cut with `...`).
pub fn sanitize_subject(raw: &str) -> String {
    let mut out = clean_ascii(raw);
    if out.len() > MAX_SUBJECT_CHARS {
        // ASCII only from here on: byte index == char index.
        out.truncate(MAX_SUBJECT_CHARS - 3);
        let keep = out.trim_end().len();
        out.truncate(keep);
        out.push_str("...");
    }
    if out.is_empty() {
        out.push_str("[IAM] notification");
    }
    out
}

/// Printable ASCII with single spaces: other whitespace and controls become spaces, other
/// characters `?`.
fn clean_ascii(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len().min(128));
    for c in raw.chars() {
        let c = match c {
            c if c.is_ascii_graphic() => c,
            c if c.is_whitespace() || c.is_control() => ' ',
            _ => '?',
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    let len = out.trim_end().len();
    out.truncate(len);
    out
}

/// One line of attacker-controlled text, with control and invisible direction characters
/// escaped (`\n`, `\u{202e}`), so it cannot break or reorder the body's lines.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_invisible_format(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Multi-line text (a policy document), indented so that none of its lines can pass for
/// one of ours: keeps line breaks and tabs, escapes the rest.
fn multi_line(s: &str) -> String {
    s.split('\n')
        .map(|line| {
            let text = line
                .split('\t')
                .map(|part| one_line(part.trim_end_matches('\r')))
                .collect::<Vec<_>>()
                .join("\t");
            format!("  {text}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// `Label:` padded to a column, then the value.
fn labelled(label: &str, value: &str) -> String {
    format!("{:<15} {value}", format!("{label}:"))
}

fn rich_body(
    event: &Event,
    t: &Target,
    who: &Actor,
    outcome: Outcome,
    link: &str,
) -> (String, bool) {
    let d = &event.detail;
    // Names are case-sensitive: only our own words get a capital letter.
    let actor_words = if who.is_root {
        "The account root user".to_string()
    } else {
        who.short.clone()
    };
    let event_name = d.event_name.as_deref().unwrap_or("(no eventName)");
    let mut lines: Vec<String> = Vec::new();
    let sentence = match outcome {
        Outcome::Succeeded => format!("{actor_words} {}.", t.summary),
        Outcome::Denied | Outcome::Failed => {
            let word = if outcome == Outcome::Denied {
                "DENIED"
            } else {
                "FAILED"
            };
            format!(
                "{word}: the change did NOT happen. {actor_words} called {event_name}, which would have {}.",
                t.summary
            )
        }
        Outcome::Event => format!(
            "{} event from {}{}.",
            event.detail_type,
            event.source,
            d.event_name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ),
    };
    lines.push(one_line(&sentence));
    lines.push(String::new());

    let mut field = |label: &str, value: &str| lines.push(labelled(label, &one_line(value)));
    let source = d.event_source.as_deref().unwrap_or(event.source.as_str());
    field("Action", &format!("{event_name} ({source})"));
    match (&d.error_code, outcome) {
        (Some(code), _) => field(
            "Outcome",
            &format!(
                "{} with {code}{}",
                if outcome == Outcome::Denied {
                    "denied"
                } else {
                    "failed"
                },
                d.error_message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ),
        ),
        (None, Outcome::Event) => {}
        (None, _) => field("Outcome", "succeeded"),
    }
    if t.kind != Kind::Other || t.name.is_some() {
        let state = if t.gone { " (deleted)" } else { "" };
        field(
            "Resource",
            &format!(
                "{} {}{state}",
                t.kind.noun(),
                t.name.as_deref().unwrap_or("(name not recorded)")
            ),
        );
        match &t.arn {
            Some(arn) => field("Resource ARN", arn),
            None if t.kind != Kind::Other => field("Resource ARN", "(not in the record)"),
            None => {}
        }
    }
    if let Some(p) = &t.policy {
        let managed = if p.is_aws_managed() {
            " (AWS managed)"
        } else {
            ""
        };
        field("Policy", &format!("{}{managed}", p.name));
        if let Some(arn) = &p.arn {
            field("Policy ARN", arn);
        }
    }
    for (label, value) in &t.facts {
        field(label, value);
    }
    field("Who", &who.long);
    field("Account", event.account().unwrap_or("(not recorded)"));
    field("Region", event.region().unwrap_or("(not recorded)"));
    field("Time", event.time().unwrap_or("(not recorded)"));
    field(
        "Source IP",
        d.source_ip_address.as_deref().unwrap_or("(not recorded)"),
    );
    match d.user_agent.as_deref() {
        Some(ua) => field("User agent", &format!("{ua} [{}]", user_agent_kind(ua))),
        None => field("User agent", "(not recorded)"),
    }
    field(
        "Event ID",
        d.event_id.as_deref().unwrap_or("(not recorded)"),
    );
    field(
        "Request ID",
        d.request_id.as_deref().unwrap_or("(not recorded)"),
    );
    if t.gone {
        let list_of = format!("{}s", t.kind.noun()).replace("policys", "policies");
        lines.push(labelled(
            "Console",
            &format!(
                "{link} (the {} was deleted: this is the list of {list_of})",
                t.kind.noun()
            ),
        ));
    } else if t.kind == Kind::Other {
        lines.push(labelled("CloudTrail", link));
    } else {
        lines.push(labelled("Console", link));
    }
    if let Some(p) = t.policy.as_ref().filter(|_| t.kind != Kind::Policy) {
        if let Some(arn) = &p.arn {
            let partition = resource::arn_partition(arn).unwrap_or("aws");
            lines.push(labelled(
                "Policy console",
                &console_url::policy(partition, arn, None),
            ));
        }
    }
    if who.is_root {
        lines.push(String::new());
        lines.push(
            "WARNING: the account root user made this call. Root should not be used for \
             everyday work: confirm this was expected, and that root has MFA and no access keys."
                .into(),
        );
    }
    if let Some(err) = &event.detail_error {
        lines.push(String::new());
        lines.push(one_line(&format!(
            "Note: this event's detail is not shaped like a CloudTrail record ({err}); \
             it is shown as received below."
        )));
    }

    let mut body = lines.join("\n");
    let document = t
        .document
        .as_ref()
        .map(|(label, raw)| (*label, multi_line(&policy::pretty(&policy::decode(raw)))))
        .or_else(|| {
            event.raw_detail.as_ref().map(|raw| {
                (
                    "Detail as received",
                    multi_line(&serde_json::to_string_pretty(raw).unwrap_or_default()),
                )
            })
        });
    if let Some((label, text)) = document {
        let header = format!("\n\n{label}:\n");
        let notice_room = 256;
        let budget = MAX_BODY_BYTES.saturating_sub(body.len() + header.len() + notice_room);
        body.push_str(&header);
        let (kept, cut) = cut_utf8(&text, budget);
        body.push_str(kept);
        if cut {
            body.push_str(&format!(
                "\n[{label} cut to fit the SNS message limit: {} of {} bytes shown; \
                 the full text is in the CloudTrail record, event ID {}]",
                kept.len(),
                text.len(),
                one_line(d.event_id.as_deref().unwrap_or("(not recorded)"))
            ));
        }
    }
    fit_body(body)
}

/// Cuts `body` under [`MAX_BODY_BYTES`] at a UTF-8 boundary, saying so at the end.
fn fit_body(body: String) -> (String, bool) {
    if body.len() <= MAX_BODY_BYTES {
        return (body, false);
    }
    const NOTICE: &str = "\n[message cut to fit the SNS message limit; see the CloudTrail record]";
    let (kept, _) = cut_utf8(&body, MAX_BODY_BYTES - NOTICE.len());
    (format!("{kept}{NOTICE}"), true)
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn cut_utf8(s: &str, max: usize) -> (&str, bool) {
    if s.len() <= max {
        return (s, false);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (s.get(..end).unwrap_or_default(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_loses_line_breaks_controls_and_non_ascii() {
        assert_eq!(
            sanitize_subject("[IAM] a\nb\r\tc\u{7}d  é\u{202e}z"),
            "[IAM] a b c d ??z"
        );
    }

    #[test]
    fn long_subject_is_cut_with_an_ellipsis_under_100() {
        let s = sanitize_subject(&format!("[IAM] CreateRole role {} by bob", "r".repeat(300)));
        assert_eq!(s.len(), MAX_SUBJECT_CHARS);
        assert!(s.ends_with("..."));
        assert!(s.starts_with("[IAM] CreateRole role rrr"));
    }

    #[test]
    fn empty_subject_gets_a_default() {
        assert_eq!(sanitize_subject(" \n\t "), "[IAM] notification");
    }

    #[test]
    fn one_line_escapes_forged_lines_and_bidi() {
        assert_eq!(
            one_line("evil\nConsole: https://x\u{202e}"),
            "evil\\nConsole: https://x\\u{202e}"
        );
    }

    #[test]
    fn cut_utf8_never_splits_a_character() {
        let s = "ab\u{20ac}cd"; // the euro sign is 3 bytes: 2..5
        assert_eq!(cut_utf8(s, 3), ("ab", true));
        assert_eq!(cut_utf8(s, 4), ("ab", true));
        assert_eq!(cut_utf8(s, 5), ("ab\u{20ac}", true));
        assert_eq!(cut_utf8(s, 100), (s, false));
    }

    #[test]
    fn oversized_body_is_cut_and_says_so() {
        let (body, cut) = fit_body("\u{e9}".repeat(MAX_BODY_BYTES));
        assert!(cut);
        assert!(body.len() <= MAX_BODY_BYTES);
        assert!(body.ends_with("see the CloudTrail record]"));
    }
}
