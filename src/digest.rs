//! Digest mode: the changes one session made within a batch, in one message.
//!
//! Pure, like [`render`](crate::render): the changes in (each already rendered), one
//! [`Notification`] out, kept within SNS's limit however many changes there are. Which
//! changes are held for a digest and which are sent at once is the handler's decision
//! (see `handler::handle_batch`): warning and critical alerts never wait for one.
//!
//! Changes are grouped by the session that made them ([`session_key`]), read only from fields
//! AWS writes (`userIdentity`), never from a caller-chosen user agent.

use crate::actor::user_agent_kind;
use crate::calls;
use crate::console_url;
use crate::delivery::{ChatFormat, SNS_MAX_MESSAGE_BYTES, whole_size};
use crate::event::Event;
use crate::redact::cap;
use crate::render::digest_document::{DigestChange, DigestDocument, FINDINGS_PER_CHANGE};
use crate::render::{Document, MAX_SUBJECT_CHARS, Notification, Outcome, sanitize_subject};
use crate::severity::Severity;
use crate::text::{clean_ascii, ellipsize, labelled, one_line};

/// The schema of a digest's machine document.
pub const DIGEST_SCHEMA: &str = "iam-notify-digest/1";

/// The `eventName` message attribute of a digest (subscribers filtering on a call name get
/// that call's warning and critical alerts, which are never held for a digest).
pub const DIGEST_EVENT_NAME: &str = "Digest";

/// One change of a digest: the record and its rendered alert.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub event: &'a Event<'a>,
    pub notification: &'a Notification<'a>,
}

/// The session a change was made in: the same person, pipeline or role session gives the
/// same key. Built from `userIdentity` (written by AWS): the account, the caller's type and
/// ARN (an assumed role's ARN names its session), the access key the call was signed with
/// (one per session), else the principal id or the service that made it.
pub fn session_key(event: &Event<'_>) -> String {
    let account = event.account().unwrap_or("-");
    let Some(u) = event.detail.user_identity.as_ref() else {
        return format!("{account}|no-identity");
    };
    let who = u
        .arn
        .as_deref()
        .or(u.principal_id.as_deref())
        .or(u.invoked_by.as_deref())
        .unwrap_or("-");
    format!(
        "{account}|{}|{who}|{}",
        u.kind.as_deref().unwrap_or("-"),
        u.access_key_id.as_deref().unwrap_or("-")
    )
}

/// Whether an alert is sent at once, never held for a digest: warning and critical alerts,
/// and every change to the monitor itself.
pub fn sent_at_once(n: &Notification<'_>) -> bool {
    n.severity >= Severity::Warning || n.ops
}

/// One message a batch sends, and the alerts it stands for (indexes into the batch's
/// alerts).
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub members: Vec<usize>,
    pub message: Message<'a>,
}

/// An alert sent as it is, or a digest of several.
#[derive(Debug, Clone)]
pub enum Message<'a> {
    Alert(&'a Notification<'a>),
    Digest(Box<Notification<'static>>),
}

impl Message<'_> {
    pub fn notification(&self) -> &Notification<'_> {
        match self {
            Message::Alert(n) => n,
            Message::Digest(n) => n,
        }
    }
}

/// What a batch of alerts becomes in digest mode: each alert sent at once
/// ([`sent_at_once`]) on its own, in arrival order; then, per session ([`session_key`]), in
/// the order the sessions first appear, one digest of its other alerts (the ordinary alert
/// when the session has only one).
pub fn plan<'a>(alerts: &[Change<'a>]) -> Vec<Outgoing<'a>> {
    let mut out = Vec::new();
    let mut sessions: Vec<(String, Vec<(usize, Change<'a>)>)> = Vec::new();
    for (i, c) in alerts.iter().enumerate() {
        if sent_at_once(c.notification) {
            out.push(Outgoing {
                members: vec![i],
                message: Message::Alert(c.notification),
            });
            continue;
        }
        let key = session_key(c.event);
        match sessions.iter_mut().find(|(k, _)| *k == key) {
            Some((_, held)) => held.push((i, *c)),
            None => sessions.push((key, vec![(i, *c)])),
        }
    }
    for (_, held) in sessions {
        let members = held.iter().map(|(i, _)| *i).collect();
        let changes: Vec<Change<'a>> = held.iter().map(|(_, c)| *c).collect();
        let message = match changes.as_slice() {
            [only] => Message::Alert(only.notification),
            _ => match digest(&changes) {
                Some(d) => Message::Digest(Box::new(d)),
                None => continue,
            },
        };
        out.push(Outgoing { members, message });
    }
    out
}

/// The longest value of a labelled line of a digest's header.
const HEADER_VALUE_BYTES: usize = 1_024;

/// The digest of `changes` (one session's; `None` when there are none). Lists as many
/// changes as fit in one SNS Publish with every delivery protocol and says how many it
/// leaves out.
pub fn digest(changes: &[Change]) -> Option<Notification<'static>> {
    let first = changes.first()?;
    // Each change's resource, named once. The most severe first, then in the order they
    // happened (then as they arrived): never by a name, which the caller chooses.
    let mut order: Vec<(String, &Change)> = changes
        .iter()
        .map(|c| (resource_of(c.notification), c))
        .collect();
    order.sort_by(|(_, a), (_, b)| {
        b.notification
            .severity
            .cmp(&a.notification.severity)
            .then_with(|| time_of(a).cmp(&time_of(b)))
    });
    // Resources in order of their first change in that order (linear: an index per name).
    let mut groups: Vec<(String, Vec<&Change>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (key, c) in order {
        match index.get(&key) {
            Some(&i) => groups
                .get_mut(i)
                .expect("invariant: the index names a group pushed before")
                .1
                .push(c),
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((key, vec![c]));
            }
        }
    }
    let mut listed = changes.len();
    loop {
        let n = build(first, changes, &groups, listed);
        // The larger of the two messages it may travel as (machine document or Amazon Q).
        let size = ChatFormat::ALL
            .into_iter()
            .map(|chat| whole_size(&n, chat))
            .max()
            .expect("invariant: ChatFormat::ALL is not empty");
        if size <= SNS_MAX_MESSAGE_BYTES || listed == 0 {
            return Some(n);
        }
        // Fewer lines, in proportion to the overshoot, at least one fewer each round.
        let scaled = listed * SNS_MAX_MESSAGE_BYTES * 9 / (size.max(1) * 10);
        listed = scaled.min(listed - 1);
    }
}

/// `<kind> <name>` of the resource a change is about, for grouping and headings.
fn resource_of(n: &Notification<'_>) -> String {
    match &n.document {
        Document::Alert(d) => match &d.resource.name {
            Some(name) => format!("{} {name}", d.resource.kind),
            None => format!("{} (not named in the record)", d.resource.kind),
        },
        Document::Digest(_) => "digest".into(),
    }
}

fn time_of<'a>(c: &Change<'a>) -> Option<&'a str> {
    c.event.time()
}

/// What a digest says of its session as a whole (its header).
struct Head<'c> {
    count: usize,
    severity: Severity,
    outcome: Outcome,
    actor: crate::render::document::ActorFields<'static>,
    first_time: Option<&'c str>,
    last_time: Option<&'c str>,
    account: Option<&'c str>,
    account_name: Option<String>,
    region: Option<&'c str>,
    tool: Option<&'static str>,
    access_key: Option<&'c str>,
    /// The CloudTrail event history of the session.
    history: String,
    label: Option<&'c str>,
    subject: String,
    summary: String,
}

/// The header of the digest of `changes`, `first` the first of them.
fn head<'c>(first: &Change<'c>, changes: &[Change<'c>]) -> Head<'c> {
    let count = changes.len();
    let severity = changes
        .iter()
        .map(|c| c.notification.severity)
        .max()
        .unwrap_or(Severity::Info);
    let outcome = {
        let o = first.notification.outcome;
        if changes.iter().all(|c| c.notification.outcome == o) {
            o
        } else {
            Outcome::Event
        }
    };
    let actor = match &first.notification.document {
        Document::Alert(d) => d.actor.clone().into_owned(),
        Document::Digest(d) => d.actor.clone(),
    };
    let mut times: Vec<&str> = changes.iter().filter_map(time_of).collect();
    times.sort_unstable();
    let (first_time, last_time) = (times.first().copied(), times.last().copied());
    let span = span_seconds(first_time, last_time);
    let account = first
        .event
        .account()
        .filter(|a| changes.iter().all(|c| c.event.account() == Some(a)));
    let account_name = match &first.notification.document {
        Document::Alert(d) => d.event.account_name.clone().filter(|_| account.is_some()),
        Document::Digest(_) => None,
    };
    let tool = common_tool(changes);
    let partition = calls::partition(first.event);
    let access_key = first
        .event
        .detail
        .user_identity
        .as_ref()
        .and_then(|u| u.access_key_id.as_deref());
    let history = console_url::cloudtrail_history(&partition, first.event.region(), access_key);
    // Every change of a session is in one account (the session key holds it).
    let label = first.notification.account_label.as_deref();
    let subject = subject(label, count, &actor.name, tool, span);
    let summary = format!(
        "{count} IAM changes by {}{}",
        cap(&actor.name, HEADER_VALUE_BYTES),
        span.map(|s| format!(" in {}", duration(s)))
            .unwrap_or_default()
    );
    Head {
        count,
        severity,
        outcome,
        actor,
        first_time,
        last_time,
        account,
        account_name,
        region: first.event.region(),
        tool,
        access_key,
        history,
        label,
        subject,
        summary,
    }
}

/// The header's lines: what the digest's essentials are.
fn head_lines(h: &Head) -> String {
    let mut head = vec![format!("{}.", h.summary), String::new()];
    head.push(labelled(
        "Severity",
        &h.severity.word().to_ascii_uppercase(),
    ));
    head.push(labelled("Changes", &h.count.to_string()));
    head.push(labelled(
        "Who",
        &cap(&h.actor.description, HEADER_VALUE_BYTES),
    ));
    if let Some(a) = h.account {
        let a = match &h.account_name {
            Some(n) => format!("{a} ({n})"),
            None => a.to_string(),
        };
        head.push(labelled("Account", &cap(&one_line(&a), HEADER_VALUE_BYTES)));
    }
    if let Some(r) = h.region {
        head.push(labelled("Region", &cap(&one_line(r), HEADER_VALUE_BYTES)));
    }
    if let (Some(a), Some(b)) = (h.first_time, h.last_time) {
        let t = |t: &str| cap(&one_line(t), HEADER_VALUE_BYTES);
        let when = if a == b {
            t(a)
        } else {
            format!("{} to {}", t(a), t(b))
        };
        head.push(labelled("Time", &when));
    }
    if let Some(t) = h.tool {
        head.push(labelled("Tool", t));
    }
    if let Some(k) = h.access_key {
        head.push(labelled(
            "Access key",
            &cap(&one_line(k), HEADER_VALUE_BYTES),
        ));
    }
    head.push(labelled(
        "CloudTrail",
        &cap(&h.history, 4 * HEADER_VALUE_BYTES),
    ));
    head.push(String::new());
    head.push(
        "Warning and critical alerts are never held for a digest: they are sent at once, each \
         on its own."
            .into(),
    );
    head.join("\n")
}

/// The first `listed` changes (in group order), each resource once, appended to `body`;
/// their documents.
fn list_changes(
    groups: &[(String, Vec<&Change>)],
    listed: usize,
    body: &mut String,
) -> Vec<DigestChange> {
    let mut docs = Vec::new();
    let mut left = listed;
    for (resource, list) in groups {
        if left == 0 {
            break;
        }
        let shown = list.len().min(left);
        body.push_str("\n\n");
        body.push_str(&one_line(resource));
        if list.len() > 1 {
            body.push_str(&format!(" ({} changes)", list.len()));
        }
        for c in list.iter().take(shown) {
            list_change(c, body);
            if let Document::Alert(d) = &c.notification.document {
                docs.push(DigestChange::of(d));
            }
        }
        if shown < list.len() {
            body.push_str(&format!(
                "\n  ... and {} more on this resource",
                list.len() - shown
            ));
        }
        left -= shown;
    }
    docs
}

/// One change's lines: severity, time, call, summary, link, its first findings.
fn list_change(c: &Change, body: &mut String) {
    let n = c.notification;
    body.push_str(&format!(
        "\n  {:<8} {}  {}: {}\n           {}",
        n.severity.word().to_ascii_uppercase(),
        one_line(time_of(c).unwrap_or("(no time recorded)")),
        one_line(&n.event_name),
        n.document.summary(),
        n.link
    ));
    for f in n.findings.iter().take(FINDINGS_PER_CHANGE) {
        body.push_str(&format!(
            "\n           - {} [{}: {}]",
            cap(&one_line(&f.reason), 512),
            f.severity.word(),
            f.rule
        ));
    }
    if n.findings.len() > FINDINGS_PER_CHANGE {
        body.push_str(&format!(
            "\n           - ... and {} more findings",
            n.findings.len() - FINDINGS_PER_CHANGE
        ));
    }
}

/// The digest listing the first `listed` changes (in group order).
fn build(
    first: &Change,
    changes: &[Change],
    groups: &[(String, Vec<&Change>)],
    listed: usize,
) -> Notification<'static> {
    let h = head(first, changes);
    let count = h.count;
    let essentials = head_lines(&h);
    let mut body = essentials.clone();
    let header_len = body.len();
    let docs = list_changes(groups, listed, &mut body);
    let omitted = count - listed.min(count);
    if omitted > 0 {
        body.push_str(&format!(
            "\n\n... and {omitted} more changes, not listed to fit the SNS message limit: they \
             are in CloudTrail (the link above)."
        ));
    }
    let mut sms = format!(
        "[IAM {}] {count} changes by {}",
        h.severity.word().to_ascii_uppercase(),
        clean_ascii(&h.actor.name)
    );
    ellipsize(&mut sms, crate::render::MAX_SMS_BYTES);
    let document = DigestDocument {
        schema: DIGEST_SCHEMA,
        subject: h.subject.clone(),
        summary: one_line(&h.summary),
        severity: h.severity,
        count,
        actor: h.actor.clone(),
        account: h.account.map(one_line),
        account_name: h.account_name,
        first_time: h.first_time.map(one_line),
        last_time: h.last_time.map(one_line),
        console_url: h.history.clone(),
        changes: docs,
        changes_omitted: (omitted > 0).then_some(omitted),
        text: body.clone(),
    };
    Notification {
        subject: h.subject,
        body,
        link: h.history,
        event_name: DIGEST_EVENT_NAME.into(),
        event_id: None,
        outcome: h.outcome,
        truncated: omitted > 0,
        severity: h.severity,
        findings: Vec::new(),
        sms,
        account: h.account.map(String::from),
        account_label: h.label.map(String::from),
        actor_type: h.actor.kind.clone(),
        document: Document::Digest(Box::new(document)),
        ops: false,
        essentials,
        header_len,
    }
}

/// `[IAM] 37 changes by ci-deploy/GitHubActions (Terraform) in 60 s`, the caller cut first
/// when too long.
fn subject(
    account: Option<&str>,
    count: usize,
    who: &str,
    tool: Option<&str>,
    span: Option<u64>,
) -> String {
    let head = match account {
        Some(a) => format!("[IAM] {a}: {count} changes by"),
        None => format!("[IAM] {count} changes by"),
    };
    let mut tail = String::new();
    if let Some(t) = tool {
        tail.push_str(&format!(" ({t})"));
    }
    if let Some(s) = span {
        tail.push_str(&format!(" in {}", duration(s)));
    }
    let mut who = clean_ascii(who);
    ellipsize(
        &mut who,
        MAX_SUBJECT_CHARS.saturating_sub(head.len() + tail.len() + 1),
    );
    sanitize_subject(&format!("{head} {who}{tail}"))
}

/// The tool every change was made with, when the user agents agree and say one (a label
/// only: the user agent is the caller's to write, and nothing is decided on it).
fn common_tool(changes: &[Change]) -> Option<&'static str> {
    let mut kinds = changes
        .iter()
        .map(|c| c.event.detail.user_agent.as_deref().map(user_agent_kind));
    let first = kinds.next().flatten()?;
    (first != "other" && kinds.all(|k| k == Some(first))).then_some(first)
}

/// Seconds from the first change to the last, when both times can be read.
fn span_seconds(first: Option<&str>, last: Option<&str>) -> Option<u64> {
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    let (a, b) = (parse(first?)?, parse(last?)?);
    u64::try_from((b - a).num_seconds()).ok()
}

/// `45 s`, `3 min`, `2 h`.
fn duration(seconds: u64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}
