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
use crate::resource::{self, Call, Kind, Target};
use crate::severity::{self, Finding, Severity};
use serde::Serialize;
use serde_json::{Value, json};

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

/// What sqs, lambda, http and https subscribers receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChatFormat {
    /// iam-notify's own JSON document (schema `iam-notify/1`).
    None,
    /// An Amazon Q Developer in chat applications (AWS Chatbot) custom notification, for a
    /// topic mapped to a Slack or Teams channel.
    AmazonQ,
}

/// SMS subscribers get one line of at most this many bytes.
pub const MAX_SMS_BYTES: usize = 140;

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
    pub severity: Severity,
    pub findings: Vec<Finding>,
    /// One line of at most 140 bytes, for SMS subscribers.
    pub sms: String,
    /// The account the change happened in.
    pub account: Option<String>,
    /// `userIdentity.type` of the caller (`missing` without one).
    pub actor_type: String,
    /// The machine-readable alert (schema `iam-notify/1`, documented in the README) for
    /// sqs, lambda, http and https subscribers.
    pub document: Value,
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

/// What the parts of a notification are written from.
struct Facts<'a> {
    event: &'a Event,
    /// A call of our table, or any IAM call: the subject says `[IAM …]`.
    is_iam: bool,
    target: Target,
    who: Actor,
    outcome: Outcome,
    severity: Severity,
    findings: Vec<Finding>,
    link: String,
    event_name: String,
}

/// Renders `event` as a notification.
pub fn render(event: &Event, format: Format) -> Notification {
    let call = event
        .detail
        .event_name
        .as_deref()
        .and_then(|name| resource::lookup(event.detail.event_source.as_deref()?, name));
    let target = match call {
        Some(c) => resource::resolve(event, c),
        None => resource::generic(event),
    };
    let who = actor(event);
    let outcome = outcome(event);
    let findings = assess(event, call, &target, &who, outcome);
    let severity = severity::overall(
        &findings,
        matches!(outcome, Outcome::Denied | Outcome::Failed),
    );
    let partition = resource::partition(event);
    let link = link(event, &target, &partition);
    let event_name = event
        .detail
        .event_name
        .clone()
        .unwrap_or_else(|| event.detail_type.clone());
    let f = Facts {
        event,
        is_iam: call.is_some() || event.is_iam_call(),
        target,
        who,
        outcome,
        severity,
        findings,
        link,
        event_name,
    };
    let subject = sanitize_subject(&subject(&f));
    let (body, truncated) = match (format, call.map(|c| c.group)) {
        (Format::Classic, Some(group)) => match classic::render(event, group) {
            Some(text) => fit_body(text),
            None => rich_body(&f),
        },
        _ => rich_body(&f),
    };
    let sms = sms(&f);
    let document = document(&f, &subject, &body);
    let Facts {
        who,
        outcome,
        severity,
        findings,
        link,
        event_name,
        ..
    } = f;
    Notification {
        subject,
        body,
        link,
        event_name,
        event_id: event.detail.event_id.clone(),
        outcome,
        truncated,
        severity,
        findings,
        sms,
        account: event.account().map(String::from),
        actor_type: who.kind.clone(),
        document,
    }
}

/// Every reason the alert matters: the call's own rule, the policy it attached, what its
/// policy document grants, who made it, and whether it was denied.
fn assess(
    event: &Event,
    call: Option<&Call>,
    t: &Target,
    who: &Actor,
    outcome: Outcome,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if who.is_root {
        if call.is_some_and(|c| c.shape == resource::Shape::ConsoleSignIn) {
            out.push(Finding::new(
                "root-console-sign-in",
                "the account root user signed in to the console",
            ));
        } else {
            out.push(Finding::new(
                "root-user",
                "the account root user made this call",
            ));
        }
    }
    if outcome == Outcome::Denied {
        out.push(Finding::new(
            "denied",
            "the caller tried a change it is not allowed to make",
        ));
    }
    // The call's own rule fires when the change happened; the target's are already
    // conditioned on the record (a new default version, …).
    if let Some(rule) = call
        .and_then(|c| c.flag)
        .filter(|_| outcome == Outcome::Succeeded)
    {
        out.push(Finding::of(rule));
    }
    out.extend(t.flags.iter().map(|rule| Finding::of(rule)));
    if let Some(p) = t.policy.as_ref().filter(|p| p.is_aws_managed()) {
        if ADMIN_POLICIES.contains(&p.name.as_str()) {
            out.push(Finding::new(
                "admin-policy-attached",
                format!("the AWS managed policy {} gives full control", p.name),
            ));
        } else if BROAD_POLICIES.contains(&p.name.as_str()) {
            out.push(Finding::new(
                "broad-policy-attached",
                format!("the AWS managed policy {} is broad", p.name),
            ));
        }
    }
    if let Some((label, doc)) = &t.document {
        let kind = if *label == "Trust policy" {
            policy::DocKind::Trust
        } else {
            policy::DocKind::Permissions
        };
        out.extend(policy::findings(doc, kind, event.account()));
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    out
}

/// AWS managed policies that give full control (critical when attached) ...
const ADMIN_POLICIES: &[&str] = &["AdministratorAccess", "IAMFullAccess"];
/// ... and broad ones (warning).
const BROAD_POLICIES: &[&str] = &[
    "PowerUserAccess",
    "AWSOrganizationsFullAccess",
    "AWSKeyManagementServicePowerUser",
    "AmazonS3FullAccess",
    "AmazonEC2FullAccess",
    "SecretsManagerReadWrite",
];

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
        // Provider pages are addressed by type and URL; the list is exact and one click away.
        _ if t.gone || t.not_created || t.kind == Kind::IdentityProvider => list(),
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

fn subject(f: &Facts) -> String {
    let Facts {
        event,
        is_iam,
        target: t,
        who,
        outcome,
        severity,
        event_name,
        ..
    } = f;
    let (is_iam, outcome, severity) = (*is_iam, *outcome, *severity);
    let service = if is_iam { "IAM" } else { "AWS" };
    // Failed calls say so (the change did not happen); others show their severity.
    let tag = match (outcome, severity) {
        (Outcome::Denied, _) => format!("[{service} DENIED]"),
        (Outcome::Failed, _) => format!("[{service} FAILED]"),
        (_, Severity::Critical) => format!("[{service} CRITICAL]"),
        (_, Severity::Warning) => format!("[{service} WARNING]"),
        _ => format!("[{service}]"),
    };
    if outcome == Outcome::Event {
        return format!("{tag} {} from {}", event.detail_type, event.source);
    }
    let headline = t.headline.clone();
    // When too long, the resource is shortened first: who did it stays readable. The
    // caller's `sanitize_subject` is the final guard.
    let head = clean_ascii(&format!("{tag} {event_name}"));
    let tail = clean_ascii(&format!("by {}", who.short));
    let mut middle = clean_ascii(&headline);
    let room = MAX_SUBJECT_CHARS.saturating_sub(head.len() + tail.len() + 2);
    if room >= 12 {
        ellipsize(&mut middle, room);
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
    ellipsize(&mut out, MAX_SUBJECT_CHARS);
    if out.is_empty() {
        out.push_str("[IAM] notification");
    }
    out
}

/// Cuts ASCII text (from `clean_ascii`) to at most `max` bytes, ending in `...` when cut.
fn ellipsize(text: &mut String, max: usize) {
    if text.len() > max {
        // ASCII only: byte index == char index.
        text.truncate(max.saturating_sub(3));
        let keep = text.trim_end().len();
        text.truncate(keep);
        text.push_str("...");
    }
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

fn rich_body(f: &Facts) -> (String, bool) {
    let Facts {
        event,
        target: t,
        who,
        outcome,
        severity,
        findings,
        link,
        ..
    } = f;
    let (outcome, severity) = (*outcome, *severity);
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
    lines.push(labelled("Severity", &severity.word().to_ascii_uppercase()));
    for f in findings {
        lines.push(one_line(&format!(
            "  - {} [{}: {}]",
            f.reason,
            f.severity.word(),
            f.rule
        )));
    }
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
        .map(|(label, doc)| (*label, multi_line(&policy::pretty(doc))))
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

fn sms(f: &Facts) -> String {
    let Facts {
        event,
        target: t,
        who,
        outcome,
        severity,
        event_name,
        ..
    } = f;
    let account = event.account();
    let tag = match outcome {
        Outcome::Denied => "DENIED".to_string(),
        Outcome::Failed => "FAILED".to_string(),
        _ => severity.word().to_ascii_uppercase(),
    };
    let raw = format!(
        "{tag} IAM {event_name} {} by {} in {}",
        t.headline,
        who.short,
        account.unwrap_or("?")
    );
    let mut line = clean_ascii(&raw);
    ellipsize(&mut line, MAX_SMS_BYTES);
    line
}

/// The machine-readable alert, schema `iam-notify/1` (README, "Per-protocol delivery").
fn document(f: &Facts, subject: &str, text: &str) -> Value {
    let Facts {
        event,
        target: t,
        who,
        outcome,
        severity,
        findings,
        link,
        ..
    } = f;
    let d = &event.detail;
    let identity = d.user_identity.as_ref();
    let policy_document = t.document.as_ref().map(|(_, doc)| match doc {
        policy::Document::Json(v) => v.clone(),
        policy::Document::Text(s) => Value::String(s.clone()),
    });
    json!({
        "schema": "iam-notify/1",
        "subject": subject,
        "summary": t.summary,
        "severity": severity,
        "findings": findings,
        "outcome": outcome,
        "event": {
            "name": d.event_name,
            "source": d.event_source.as_deref().unwrap_or(event.source.as_str()),
            "detailType": event.detail_type,
            "id": d.event_id,
            "requestId": d.request_id,
            "time": event.time(),
            "account": event.account(),
            "region": event.region(),
            "sourceIPAddress": d.source_ip_address,
            "userAgent": d.user_agent,
            "userAgentKind": d.user_agent.as_deref().map(user_agent_kind),
            "errorCode": d.error_code,
            "errorMessage": d.error_message,
        },
        "actor": {
            "type": who.kind,
            "name": who.short,
            "description": who.long,
            "arn": identity.and_then(|u| u.arn.clone()),
            "root": who.is_root,
        },
        "resource": {
            "kind": t.kind.noun(),
            "name": t.name,
            "arn": t.arn,
            "deleted": t.gone,
        },
        "policy": t.policy.as_ref().map(|p| json!({
            "name": p.name, "arn": p.arn, "awsManaged": p.is_aws_managed(),
        })),
        "policyDocument": policy_document,
        "consoleUrl": link,
        "text": text,
    })
}

/// An Amazon Q Developer in chat applications custom notification (`version` 1.0,
/// `source` custom, client-markdown) with the alert's title, findings and next steps.
fn amazon_q(n: &Notification, text_budget: usize) -> Value {
    let emoji = match (n.outcome, n.severity) {
        (Outcome::Denied | Outcome::Failed, _) => ":no_entry:",
        (_, Severity::Critical) => ":rotating_light:",
        (_, Severity::Warning) => ":warning:",
        _ => ":information_source:",
    };
    let summary = n
        .document
        .get("summary")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut description = format!("*{}* | {}", n.severity.word().to_ascii_uppercase(), summary);
    for f in &n.findings {
        description.push_str(&format!("\n• {} ({})", f.reason, f.rule));
    }
    let (body, _) = cut_utf8(
        &n.body,
        text_budget.min(AMAZON_Q_DESCRIPTION_BYTES.saturating_sub(description.len() + 16)),
    );
    description.push_str(&format!("\n```\n{body}\n```"));
    let title = format!("{emoji} {}", n.subject);
    let mut related: Vec<Value> = Vec::new();
    for key in ["arn"] {
        if let Some(v) = n
            .document
            .get("resource")
            .and_then(|r| r.get(key))
            .filter(|v| !v.is_null())
        {
            related.push(v.clone());
        }
    }
    if let Some(v) = n
        .document
        .get("policy")
        .and_then(|p| p.get("arn"))
        .filter(|v| !v.is_null())
    {
        related.push(v.clone());
    }
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
            "title": title,
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
                "outcome": n.document.get("outcome").cloned().unwrap_or(Value::Null),
            },
        },
    })
}

/// Amazon Q renders descriptions up to about 8,000 characters; we stay under that in bytes.
const AMAZON_Q_DESCRIPTION_BYTES: usize = 7_500;

/// Room for message attributes within SNS's message limit.
const ATTRIBUTE_ROOM: usize = 6_144;

/// The `MessageStructure=json` message: `default` and `email` carry the text body, `sms` one
/// line, `sqs`, `lambda`, `http` and `https` the machine-readable document (or the Amazon Q
/// notification). Kept under SNS's limit: the policy document is left out of the machine
/// document, then the text is cut further (saying so), until it fits.
pub fn sns_message(n: &Notification, chat: ChatFormat) -> String {
    let limit = SNS_MAX_MESSAGE_BYTES - ATTRIBUTE_ROOM;
    let mut budget = n.body.len();
    let mut with_document = true;
    loop {
        let (kept, cut) = cut_utf8(&n.body, budget);
        let text = if cut {
            format!(
                "{kept}\n[message cut to fit the SNS message limit with every delivery protocol; \
                 the full record is in CloudTrail, event ID {}]",
                one_line(n.event_id.as_deref().unwrap_or("(not recorded)"))
            )
        } else {
            kept.to_string()
        };
        let machine = match chat {
            ChatFormat::None => {
                let mut doc = n.document.clone();
                if let Some(fields) = doc.as_object_mut() {
                    fields.insert("text".into(), Value::String(text.clone()));
                    if !with_document {
                        fields.insert("policyDocument".into(), Value::Null);
                        fields.insert("policyDocumentOmitted".into(), Value::Bool(true));
                    }
                }
                doc
            }
            ChatFormat::AmazonQ => amazon_q(n, budget),
        }
        .to_string();
        let message = json!({
            "default": text,
            "email": text,
            "sms": n.sms,
            "sqs": machine,
            "lambda": machine,
            "http": machine,
            "https": machine,
        })
        .to_string();
        if message.len() <= limit || budget == 0 {
            return message;
        }
        if with_document
            && n.document
                .get("policyDocument")
                .is_some_and(|d| !d.is_null())
        {
            with_document = false;
            continue;
        }
        // Shrink the text in proportion to the overshoot (it appears six times, escaped
        // once or twice), a little more each round so that this ends.
        let scaled = (budget as u128 * limit as u128 * 97 / (message.len() as u128 * 100)) as usize;
        budget = scaled.min(budget.saturating_sub(64));
    }
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
