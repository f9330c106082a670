//! The text body email subscribers read: a sentence, the severity and its findings, one
//! labelled line per fact, the console links, notes, and the policy document.

use super::{ATTRIBUTE_ROOM, SNS_MAX_MESSAGE_BYTES};
use super::{Facts, Outcome};
use crate::calls::Kind;
use crate::console_url;
use crate::policy;
use crate::redact::{cap, push_capped};
use crate::severity::Rule;
use crate::text::{
    cut_utf8, multi_line, one_line, one_line_cow, push_label, push_labelled, push_labelled_parts,
};
use std::borrow::Cow;

/// Our body limit: SNS's, less room for message attributes.
pub const MAX_BODY_BYTES: usize = SNS_MAX_MESSAGE_BYTES - ATTRIBUTE_ROOM;

/// A body, how long its header is (everything before the policy document: shortening from
/// the end keeps it whole down to this length), whether it had to be cut, and the essential
/// lines that travel when even the header cannot.
pub(super) struct Body {
    pub text: String,
    pub header_len: usize,
    pub truncated: bool,
    pub essentials: String,
}

/// The rich body's parts that the essentials share, each rendered once.
struct Parts {
    /// The first sentence, one line.
    sentence: String,
    /// The labelled fact lines (Action … Request ID), one per line.
    facts: String,
    /// The console link lines, one per line.
    links: String,
}

impl Parts {
    fn of(f: &Facts) -> Parts {
        let mut facts = String::with_capacity(1_024);
        fact_lines(f, &mut facts);
        let mut links = String::with_capacity(256);
        console_lines(f, &mut links);
        Parts {
            sentence: one_line(&sentence(f)),
            facts,
            links,
        }
    }
}

/// The rich body, written into one buffer: the sentence, the severity and its findings, the
/// facts, the links, the notes, then the policy document.
pub(super) fn rich_body(f: &Facts) -> Body {
    let parts = Parts::of(f);
    let essentials = essentials(f, &parts);
    let mut body =
        String::with_capacity(parts.sentence.len() + parts.facts.len() + parts.links.len() + 1_024);
    body.push_str(&parts.sentence);
    body.push_str("\n\n");
    severity_lines(f, &mut body, usize::MAX, usize::MAX);
    body.push_str("\n\n");
    body.push_str(&parts.facts);
    body.push('\n');
    body.push_str(&parts.links);
    note_lines(f, &mut body);
    change_lines(f, &mut body);
    let header_len = body.len();
    append_document(f, &mut body);
    let (text, truncated) = fit_body(body);
    Body {
        header_len: header_len.min(text.len()),
        text,
        truncated,
        essentials,
    }
}

/// The article's text (classic format) as the body; the essentials are the rich ones.
pub(super) fn classic_body(f: &Facts, classic: String) -> Body {
    let (text, truncated) = fit_body(classic);
    Body {
        header_len: text.len(),
        text,
        truncated,
        essentials: essentials(f, &Parts::of(f)),
    }
}

/// Findings listed in the essentials; the rest are counted.
const ESSENTIAL_FINDINGS: usize = 5;
/// The longest value on an essential line.
const ESSENTIAL_VALUE_BYTES: usize = 512;
/// The fact lines the essentials keep.
const ESSENTIAL_FACTS: &[&str] = &[
    "Action:",
    "Outcome:",
    "Resource:",
    "Who:",
    "Person:",
    "Account:",
    "Time:",
    "Event ID:",
];

/// The lines an alert never goes without, each value short: the first sentence, the severity
/// and its main findings, Action, Outcome, Resource, Who, Account, Time, Event ID and the
/// console link. Bounded whatever the record holds (a few KiB); used when the whole body
/// cannot travel in one SNS message.
fn essentials(f: &Facts, parts: &Parts) -> String {
    use std::fmt::Write;
    // One buffer, line after line (each line after the first begins with its line break).
    let mut out = String::with_capacity(1_024);
    push_capped(&mut out, &parts.sentence, ESSENTIAL_VALUE_BYTES);
    out.push_str("\n\n");
    severity_lines(f, &mut out, ESSENTIAL_FINDINGS, ESSENTIAL_VALUE_BYTES);
    if f.findings.len() > ESSENTIAL_FINDINGS {
        let _ = write!(
            out,
            "\n  - ... and {} more findings",
            f.findings.len() - ESSENTIAL_FINDINGS
        );
    }
    out.push('\n');
    for line in parts
        .facts
        .split('\n')
        .filter(|l| ESSENTIAL_FACTS.iter().any(|w| l.starts_with(w)))
    {
        out.push('\n');
        push_capped(&mut out, line, ESSENTIAL_VALUE_BYTES + 16);
    }
    out.push('\n');
    out.push_str(parts.links.split('\n').next().unwrap_or_default());
    out
}

/// The first sentence: who did what, or that the change did not happen.
fn sentence(f: &Facts) -> String {
    let (event, t) = (f.event, &f.target);
    let d = &event.detail;
    // Names are case-sensitive: only our own words get a capital letter.
    let actor = if f.who.is_root {
        "The account root user"
    } else {
        f.who.short.as_str()
    };
    let actor = if d
        .user_agent
        .as_deref()
        .is_some_and(|ua| ua.starts_with("aws-internal/"))
    {
        Cow::Owned(format!("AWS itself ({actor}, an AWS-internal caller)"))
    } else {
        Cow::Borrowed(actor)
    };
    let event_name = d.event_name.as_deref().unwrap_or("(no eventName)");
    let sign_in = event.is_sign_in();
    match f.outcome {
        Outcome::Succeeded => match identity_center_routine(f) {
            Some(words) => format!("{words} (routine provisioning by {actor})."),
            None => [&*actor, " ", &t.summary, "."].concat(),
        },
        // Not a change that did not happen: a sign-in that was refused. Whoever tried is not
        // known to be root: they typed root's e-mail address.
        Outcome::Failed | Outcome::Denied if sign_in && f.who.is_root => {
            "Someone failed to sign in to the AWS console as the account root user.".to_string()
        }
        Outcome::Failed | Outcome::Denied if sign_in => format!("{actor} {}.", t.summary),
        Outcome::Denied if super::is_read_only(event) => format!(
            "DENIED: nothing was read. {actor} tried to read with {event_name} and was refused."
        ),
        Outcome::Denied | Outcome::Failed => {
            let word = if f.outcome == Outcome::Denied {
                "DENIED"
            } else {
                "FAILED"
            };
            // What the call would have done, without what the record left unknown; a call
            // we have no words for is not said twice ("called X, which would have called X").
            let would = t.summary.replace(" (not recorded)", "");
            let would = would.replace(" (name not recorded)", "");
            if would.starts_with("called ") {
                format!("{word}: the change did NOT happen. {actor} {would}.")
            } else {
                format!(
                    "{word}: the change did NOT happen. {actor} called {event_name}, which would have {would}."
                )
            }
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
    }
}

/// IAM Identity Center provisioning or removing a permission set: its service-linked role
/// (recognised by the `/aws-service-role/sso.amazonaws.com/` path of its ARN, which only AWS
/// can use) changing a role named `AWSReservedSSO_<permission set>_<id>`. Routine, said so.
fn identity_center_routine(f: &Facts) -> Option<String> {
    let by_sso = f
        .event
        .session_issuer_arn()
        .and_then(crate::arn::Arn::parse)
        .is_some_and(|a| a.service_linked_role_service() == Some("sso.amazonaws.com"));
    let role = f
        .target
        .name
        .as_deref()
        .filter(|_| f.target.kind == Kind::Role)?;
    let rest = role.strip_prefix("AWSReservedSSO_")?;
    let permission_set = rest.rsplit_once('_').map_or(rest, |(name, _)| name);
    if !by_sso {
        return None;
    }
    let removes = f.target.gone
        || ["Detach", "Delete", "Remove"]
            .iter()
            .any(|verb| f.event_name.starts_with(verb));
    Some(if removes {
        format!("IAM Identity Center removed permission set {permission_set} from role {role}")
    } else {
        format!("IAM Identity Center provisioned permission set {permission_set} on role {role}")
    })
}

/// The severity line and a line for each of the first `shown` findings, its reason cut to
/// `reason_bytes`, appended to `out` (no line break before): the body's (every finding,
/// uncut) and the essential lines'.
fn severity_lines(f: &Facts, out: &mut String, shown: usize, reason_bytes: usize) {
    push_label(out, "Severity");
    let at = out.len();
    out.push_str(f.severity.word());
    if let Some(word) = out.get_mut(at..) {
        word.make_ascii_uppercase();
    }
    for finding in f.findings.iter().take(shown) {
        // `  - <reason> [<severity>: <rule>]`, one line: the reason escaped (the word and
        // the rule's id are ours, lower-case ASCII).
        out.push_str("\n  - ");
        push_capped(out, &one_line_cow(&finding.reason), reason_bytes);
        for part in [" [", finding.severity.word(), ": ", finding.rule.id(), "]"] {
            out.push_str(part);
        }
    }
}

/// Action, outcome, resource, policy, the call's own facts, and the record's context.
fn fact_lines(f: &Facts, lines: &mut String) {
    what_changed_lines(f, lines);
    let (event, t) = (f.event, &f.target);
    let d = &event.detail;
    // Each value written in parts, straight into the buffer (no string per value).
    let mut field = |label: &str, parts: &[&str]| push_labelled_parts(lines, label, parts);
    fn recorded(v: Option<&str>) -> &str {
        v.unwrap_or("(not recorded)")
    }
    for (label, value) in &t.facts {
        field(label, &[value]);
    }
    let said = &f.said;
    for (label, value) in [
        ("Compared with", &said.compared_with),
        ("Held by", &said.held_by),
        ("Assumable by", &said.assumable_by),
    ] {
        if let Some(value) = value {
            field(label, &[value]);
        }
    }
    for why in &said.not_looked_up {
        field("Not looked up", &[why]);
    }
    match super::subject::root_sign_in(f) {
        // Root did nothing: someone typed root's e-mail address and was refused.
        Some((true, ..)) => field(
            "Who",
            &[
                "someone who tried to sign in as ",
                &f.who.long,
                ": not signed in",
            ],
        ),
        _ => field(
            "Who",
            &[&f.who.long, &crate::text::look_alike_mark(&f.who.short)],
        ),
    }
    if let Some(person) = &said.person {
        field("Person", &[person]);
    }
    match (event.account(), f.account_name) {
        (Some(id), Some(name)) => field("Account", &[id, " (", name, ")"]),
        (id, _) => field("Account", &[recorded(id)]),
    }
    field("Region", &[recorded(event.region())]);
    field("Time", &[recorded(event.time())]);
    field("Source IP", &[recorded(d.source_ip_address.as_deref())]);
    match d.user_agent.as_deref() {
        Some(ua) => field(
            "User agent",
            &[ua, " [", crate::actor::user_agent_kind(ua), "]"],
        ),
        None => field("User agent", &["(not recorded)"]),
    }
    field("Event ID", &[recorded(d.event_id.as_deref())]);
    field("Request ID", &[recorded(d.request_id.as_deref())]);
}

/// AWS's AccessDenied message without the caller it repeats (the Who line says who):
/// `User: <arn> is not authorized to perform: <action> on resource: <resource> because <why>`
/// as (action, resource, ": <why>"); `with an explicit deny …` kept as it is written.
fn without_caller(message: &str) -> Option<(&str, &str, String)> {
    let rest = message.split_once(" is not authorized to perform: ")?.1;
    let (action, rest) = rest.split_once(" on resource: ")?;
    Some(match rest.split_once(" because ") {
        Some((resource, why)) => (action, resource, format!(": {why}")),
        None => match rest.split_once(" with ") {
            Some((resource, how)) => (action, resource, format!(", with {how}")),
            None => (action, rest, String::new()),
        },
    })
}

/// What changed: the action, its outcome, the resource and the policy.
fn what_changed_lines(f: &Facts, lines: &mut String) {
    let (event, t) = (f.event, &f.target);
    let d = &event.detail;
    let mut field = |label: &str, parts: &[&str]| push_labelled_parts(lines, label, parts);
    let event_name = d.event_name.as_deref().unwrap_or("(no eventName)");
    let source = d.event_source.as_deref().unwrap_or(&event.source);
    field("Action", &[event_name, " (", source, ")"]);
    let (colon, message) = d.error_message.as_deref().map_or(("", ""), |m| (": ", m));
    match (&d.error_code, f.outcome) {
        (None, Outcome::Failed | Outcome::Denied) => field("Outcome", &["failed", colon, message]),
        (Some(code), outcome) => {
            let how = if outcome == Outcome::Denied {
                "denied"
            } else {
                "failed"
            };
            match without_caller(message) {
                Some((action, resource, why)) => field(
                    "Outcome",
                    &[how, " (", code, "): ", action, " on ", resource, &why],
                ),
                None => field("Outcome", &[how, " with ", code, colon, message]),
            }
        }
        (None, Outcome::Event) => {}
        (None, _) => field("Outcome", &["succeeded"]),
    }
    if t.kind != Kind::Other || t.name.is_some() {
        let state = if t.gone { " (deleted)" } else { "" };
        let name = t.name.as_deref().unwrap_or("(name not recorded)");
        let noun = t.noun.unwrap_or(t.kind.noun());
        field(
            "Resource",
            &[noun, " ", name, state, &crate::text::look_alike_mark(name)],
        );
        match &t.arn {
            Some(arn) => field("Resource ARN", &[arn]),
            // An account setting has no ARN of its own.
            None if !matches!(t.kind, Kind::Other | Kind::AccountSetting) => {
                field("Resource ARN", &["(not in the record)"])
            }
            None => {}
        }
    }
    if let Some(p) = &t.policy {
        // Who wrote it, from the ARN: a policy of the caller's own named like one of AWS's
        // is said to be so.
        let managed = if p.is_aws_managed() {
            " (AWS managed)"
        } else if crate::policy::managed::aws_managed(&p.name).is_some() {
            " (customer managed: not AWS's policy of that name)"
        } else {
            " (customer managed)"
        };
        field("Policy", &[&p.name, managed]);
        if let Some(arn) = &p.arn {
            field("Policy ARN", &[arn]);
        }
        if let Some(version) = &p.version_read {
            field(
                "Policy version",
                &[version, " (its default version, read from IAM)"],
            );
        }
        if let Some(why) = &p.not_read {
            field("Not looked up", &["what the policy grants: ", why]);
        }
    }
}

/// The console link (or the CloudTrail event), and the policy's own page when the alert is
/// about a principal.
fn console_lines(f: &Facts, lines: &mut String) {
    let (t, link) = (&f.target, &f.link);
    if t.kind == Kind::Other {
        push_labelled(lines, "CloudTrail", link);
    } else if t.gone {
        let list_of = format!("{}s", t.kind.noun()).replace("policys", "policies");
        push_labelled(
            lines,
            "Console",
            &format!(
                "{link} (the {} was deleted: this is the list of {list_of})",
                t.kind.noun()
            ),
        );
    } else {
        push_labelled(lines, "Console", link);
    }
    if let Some(p) = t.policy.as_ref().filter(|_| t.kind != Kind::Policy)
        && let Some(arn) = &p.arn
    {
        let partition = crate::arn::partition(arn).unwrap_or("aws");
        push_labelled(
            lines,
            "Policy console",
            &console_url::policy(partition, arn, None),
        );
    }
}

/// Warnings the reader must not miss: root, a record not shaped like CloudTrail's.
fn note_lines(f: &Facts, body: &mut String) {
    let mut line = |text: &str| {
        body.push('\n');
        body.push_str(text);
    };
    let failed = matches!(f.outcome, Outcome::Failed | Outcome::Denied);
    let sign_in = f.event.is_sign_in();
    if f.who.is_root && failed && sign_in {
        line("");
        line(
            "WARNING: someone who knows the account root user's e-mail address tried to sign in. \
             Confirm root has a strong password and MFA, and that the address is protected.",
        );
    } else if f.who.is_root {
        line("");
        line(match f.who.mfa {
            Some(false) => {
                "WARNING: the account root user made this call, in a session signed in \
                 WITHOUT MFA. Root should not be used for everyday work: confirm this was \
                 expected, enable MFA for root, and check that root has no access keys."
            }
            Some(true) => {
                "WARNING: the account root user made this call (signed in with MFA). \
                 Root should not be used for everyday work: confirm this was expected, and \
                 that root has no access keys."
            }
            None => {
                "WARNING: the account root user made this call. Root should not be used for \
                 everyday work: confirm this was expected, and that root has MFA and no access keys."
            }
        });
    }
    if let Some(q) = f.findings.iter().find(|x| x.rule == Rule::KeyQuarantined) {
        line("");
        let user = f.target.name.as_deref().unwrap_or("(name not recorded)");
        line(&one_line(&format!(
            "NEXT STEPS ({}): deactivate the exposed access key of user {user} and create a new \
             one (IAM console, the user's Security credentials); search CloudTrail for every call \
             made with the exposed key ID since it was exposed; remove the quarantine policy only \
             once the key is replaced and its use is understood.",
            q.rule
        )));
    }
    if !f.event.malformed.is_empty() {
        line("");
    }
    for m in &f.event.malformed {
        line(&one_line(&format!(
            "Note: {} is not shaped like a CloudTrail record's (expected {}); received: {}",
            m.field, m.expected, m.received
        )));
    }
}

/// What a new policy version changed, statement by statement (each line escaped; the diff
/// itself is bounded in lines and items).
fn change_lines(f: &Facts, body: &mut String) {
    let Some(changes) = &f.said.changes else {
        return;
    };
    body.push_str("\n\nWhat changed in what the policy grants:");
    if changes.is_empty() {
        body.push_str("\n  nothing: both versions grant the same");
    }
    for line in changes {
        body.push_str("\n  ");
        body.push_str(&one_line(&cap(line, 2_048)));
    }
}

/// The policy document, indented, cut last to fit.
fn append_document(f: &Facts, body: &mut String) {
    let event = f.event;
    let document = f
        .target
        .document
        .as_ref()
        .map(|c| (c.label(), shown(&c.document)));
    let Some((label, text)) = document else {
        return;
    };
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
            one_line(event.detail.event_id.as_deref().unwrap_or("(not recorded)"))
        ));
    }
}

/// A policy document as the body shows it: [`multi_line`] of its indented text.
fn shown(document: &policy::Document) -> String {
    multi_line(&policy::pretty(document))
}

/// Cuts `body` under [`MAX_BODY_BYTES`] at a UTF-8 boundary, saying so at the end.
pub(super) fn fit_body(body: String) -> (String, bool) {
    if body.len() <= MAX_BODY_BYTES {
        return (body, false);
    }
    const NOTICE: &str = "\n[message cut to fit the SNS message limit; see the CloudTrail record]";
    let (kept, _) = cut_utf8(&body, MAX_BODY_BYTES - NOTICE.len());
    (format!("{kept}{NOTICE}"), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_body_is_cut_and_says_so() {
        let (body, cut) = fit_body("\u{e9}".repeat(MAX_BODY_BYTES));
        assert!(cut);
        assert!(body.len() <= MAX_BODY_BYTES);
        assert!(body.ends_with("see the CloudTrail record]"));
    }

    #[test]
    fn access_denied_messages_lose_the_caller_in_each_of_awss_forms() {
        let caller = "User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: iam:PutRolePolicy on resource: role x";
        assert_eq!(
            without_caller(&format!(
                "{caller} because no identity-based policy allows it"
            )),
            Some((
                "iam:PutRolePolicy",
                "role x",
                ": no identity-based policy allows it".into()
            ))
        );
        assert_eq!(
            without_caller(&format!(
                "{caller} with an explicit deny in a service control policy"
            )),
            Some((
                "iam:PutRolePolicy",
                "role x",
                ", with an explicit deny in a service control policy".into()
            ))
        );
        assert_eq!(
            without_caller(caller),
            Some(("iam:PutRolePolicy", "role x", String::new()))
        );
        assert_eq!(without_caller("Rate exceeded"), None);
    }
}
