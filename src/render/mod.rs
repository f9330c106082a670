//! The notification: an [`Event`] in, a [`Notification`] out. Pure: no I/O, no clock, no
//! environment.
//!
//! Every event field is treated as attacker-controlled text: subjects are cut to printable
//! ASCII ([`subject`]), single-line fields have their control and bidirectional-override
//! characters escaped so a crafted name cannot forge a "Console:" line ([`text`]), and the
//! body is cut at a UTF-8 boundary under SNS's message limit ([`body`]).

pub mod body;
pub mod digest_document;
pub mod document;
pub mod looked_up;
pub mod sms;
pub mod subject;

use crate::accounts::Accounts;
use crate::actor::{Actor, actor};
use crate::calls::{self, Call, Direction, Kind, Shape, Target};
use crate::classic;
use crate::console_url;
use crate::event::Event;
use crate::policy;
use crate::severity::{self, Finding, Rule, Severity};
use serde::Serialize;

pub use body::MAX_BODY_BYTES;
pub use document::{AlertDocument, Document};
pub use sms::MAX_SMS_BYTES;

/// SNS's message size limit (256 KiB), which message attributes count towards too.
pub const SNS_MAX_MESSAGE_BYTES: usize = 262_144;
/// Room kept for message attributes within SNS's message limit.
pub const ATTRIBUTE_ROOM: usize = 6_144;

pub use subject::{MAX_SUBJECT_CHARS, sanitize_subject};

/// How the body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// iam-notify's own message.
    Rich,
    /// The article's InputTransformer sentences, for parity while migrating.
    Classic,
}

impl Format {
    /// Every format, the default first (`MESSAGE_FORMAT`, `preview --format`).
    pub const ALL: [Format; 2] = [Format::Rich, Format::Classic];

    /// Its name in `MESSAGE_FORMAT` and the template's `MessageFormat` parameter.
    pub fn name(self) -> &'static str {
        match self {
            Format::Rich => "rich",
            Format::Classic => "classic",
        }
    }
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

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
            Outcome::Event => "event",
        }
    }
}

/// A rendered notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification<'a> {
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
    /// In an organization's central stack, the account as subjects name it (its name, else
    /// its id); `None` in a single-account stack.
    #[serde(skip)]
    pub account_label: Option<String>,
    /// `userIdentity.type` of the caller (`missing` without one).
    pub actor_type: String,
    /// The machine-readable alert (schema `iam-notify/1`, or `iam-notify-digest/1` for a
    /// digest; both documented in the README) for sqs, lambda, http and https subscribers.
    pub document: Document<'a>,
    /// A change to the monitor itself: also sent to the operations topic, if there is one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ops: bool,
    /// The lines the alert never goes without, short (see `body::essentials`): what
    /// subscribers get when the whole body cannot travel within SNS's limit.
    #[serde(skip)]
    pub essentials: String,
    /// The body's length before its policy document: cutting from the end down to here
    /// keeps every labelled line.
    #[serde(skip)]
    pub header_len: usize,
}

impl Notification<'_> {
    /// The notification owning every text (for one that outlives its event).
    pub fn into_owned(self) -> Notification<'static> {
        Notification {
            subject: self.subject,
            body: self.body,
            link: self.link,
            event_name: self.event_name,
            event_id: self.event_id,
            outcome: self.outcome,
            truncated: self.truncated,
            severity: self.severity,
            findings: self.findings,
            sms: self.sms,
            account: self.account,
            account_label: self.account_label,
            actor_type: self.actor_type,
            document: self.document.into_owned(),
            ops: self.ops,
            essentials: self.essentials,
            header_len: self.header_len,
        }
    }

    /// Subject, body and link as a person reads them (preview, demo, snapshots).
    pub fn to_text(&self) -> String {
        format!(
            "Subject: {}\nLink: {}\n\n{}",
            self.subject, self.link, self.body
        )
    }
}

/// What the parts of a notification are written from: the event (whose texts the
/// machine document borrows, for `'e`) and what the stack knows (`'a`).
struct Facts<'e, 'a> {
    event: &'e Event<'e>,
    /// A call of our table, or any IAM call: the subject says `[IAM …]`.
    is_iam: bool,
    target: Target,
    who: Actor,
    outcome: Outcome,
    severity: Severity,
    findings: Vec<Finding>,
    link: String,
    event_name: String,
    /// The name the administrators gave the event's account, if any.
    account_name: Option<&'a str>,
    /// Alerts of several accounts go to the same people: the subject names the account.
    central: bool,
    /// What the lookups add (IAM's answers in words).
    said: looked_up::Said,
}

/// Renders `event` as a notification (a single-account stack: no account names).
pub fn render<'e>(event: &'e Event<'_>, format: Format) -> Notification<'e> {
    render_in(event, format, &Accounts::NONE)
}

/// Renders `event` as a notification, naming its account as `accounts` says (an
/// organization's central stack).
pub fn render_in<'e>(
    event: &'e Event<'_>,
    format: Format,
    accounts: &Accounts,
) -> Notification<'e> {
    render_named(event, format, accounts, LookedUp::default())
}

pub use looked_up::LookedUp;

/// [`render_in`] with what was looked up at run time.
pub fn render_named<'e>(
    event: &'e Event<'_>,
    format: Format,
    accounts: &Accounts,
    looked_up: LookedUp<'_>,
) -> Notification<'e> {
    let call = event
        .detail
        .event_name
        .as_deref()
        .and_then(|name| calls::lookup(event.detail.event_source.as_deref()?, name));
    let mut target = match call {
        Some(c) => calls::resolve(event, c),
        None => calls::generic(event),
    };
    let looked_up::Applied {
        previous,
        said,
        findings: read_findings,
    } = looked_up::apply(&mut target, looked_up.iam, event.account());
    let who = actor(event);
    let outcome = outcome(event);
    let findings = assess(
        event,
        call,
        &target,
        &who,
        outcome,
        previous.as_ref(),
        read_findings,
    );
    let severity = severity::overall(
        &findings,
        matches!(outcome, Outcome::Denied | Outcome::Failed),
    );
    let link = link(event, &target, &calls::partition(event));
    let event_name = event
        .detail
        .event_name
        .as_deref()
        .unwrap_or(&event.detail_type)
        .to_string();
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
        account_name: looked_up
            .account_name
            .or_else(|| event.account().and_then(|a| accounts.name(a))),
        central: accounts.central,
        said,
    };
    words(f, format, call)
}

/// The alert's words for its facts: subject, body (rich, or the article's text in classic
/// format), SMS line and machine document.
fn words<'e>(mut f: Facts<'e, '_>, format: Format, call: Option<&Call>) -> Notification<'e> {
    let event = f.event;
    let account_label = subject::account_label(&f);
    let subject = sanitize_subject(&subject::subject(&f, account_label.as_deref()));
    let classic = match (format, call) {
        (Format::Classic, Some(c)) => classic::render(event, c.group),
        _ => None,
    };
    let body::Body {
        text: body,
        header_len,
        truncated,
        essentials,
    } = match classic {
        Some(text) => body::classic_body(&f, text),
        None => body::rich_body(&f),
    };
    let sms = sms::sms(&f);
    let policy_document = f.target.document.take().map(|c| c.document);
    let document = document::document(&mut f, &subject, &body, policy_document);
    Notification {
        subject,
        body,
        event_name: f.event_name,
        event_id: event.detail.event_id.as_deref().map(str::to_string),
        outcome: f.outcome,
        truncated,
        severity: f.severity,
        findings: f.findings,
        sms,
        account: event.account().map(String::from),
        account_label,
        actor_type: f.who.kind,
        link: f.link,
        document: Document::Alert(Box::new(document)),
        essentials,
        header_len,
        // A change to the monitor, or to a role it acts as, also goes to the ops topic.
        ops: call.is_some_and(|c| c.group.watches_the_monitor())
            || calls::monitor::own_role(event).is_some(),
    }
}

/// Every reason the alert matters: the call's own rule, the policy it attached, what its
/// policy document grants (marked new or not against `previous`), who made it, whether it was
/// denied, and what was read about it (`read_findings`).
fn assess(
    event: &Event<'_>,
    call: Option<&Call>,
    t: &Target,
    who: &Actor,
    outcome: Outcome,
    previous: Option<&looked_up::Previous>,
    read_findings: Vec<Finding>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if who.is_root {
        let sign_in = call.is_some_and(|c| c.shape == Shape::ConsoleSignIn);
        out.push(Finding::of(match (sign_in, outcome) {
            (true, Outcome::Failed | Outcome::Denied) => Rule::RootSignInFailed,
            (true, _) => Rule::RootConsoleSignIn,
            (false, _) => Rule::RootUser,
        }));
    }
    if outcome == Outcome::Denied {
        out.push(if is_read_only(event) {
            Finding::new(
                Rule::Denied,
                "the caller tried to read something it is not allowed to read",
            )
        } else {
            Finding::of(Rule::Denied)
        });
    }
    // The call's own rule fires when the change happened; the target's are already
    // conditioned on the record (a new default version, …).
    if let Some(rule) = call
        .and_then(|c| c.flag)
        .filter(|_| outcome == Outcome::Succeeded)
    {
        out.push(Finding::of(rule));
    }
    out.extend(t.flags.iter().map(|rule| Finding::of(*rule)));
    out.extend(t.findings.iter().cloned());
    if let Some(role) = calls::monitor::own_role(event).filter(|_| outcome == Outcome::Succeeded) {
        out.push(calls::monitor::own_role_finding(&role));
    }
    out.extend(self_change(event, call, t).filter(|_| outcome == Outcome::Succeeded));
    out.extend(managed_policy(call, t));
    if let Some(policy) = quarantine(call, t) {
        let user = t.name.as_deref().unwrap_or("(name not recorded)");
        out.push(Finding::new(
            Rule::KeyQuarantined,
            format!(
                "{policy} was applied to user {user}: AWS applies it when it finds an access key \
                 of this user exposed (in a public repository, for example)"
            ),
        ));
    }
    if let Some(c) = &t.document {
        // A document IAM took (the change succeeded) that cannot be read is not "nothing
        // risky": it is unknown, and said so.
        if let Some(why) = policy::unreadable(&c.document).filter(|_| outcome == Outcome::Succeeded)
        {
            out.push(Finding::new(
                Rule::NotAnalysed,
                format!(
                    "{} could not be analysed ({why}): what it grants is unknown; read it below",
                    c.label()
                ),
            ));
        }
        let made = policy::findings(&c.document, c.kind, event.account());
        out.extend(match previous {
            Some(p) => looked_up::marked(made, p, event.account()),
            None => made,
        });
    }
    out.extend(read_findings);
    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    out
}

/// A role or user that changed its own permissions or trust: the caller AWS recorded is the
/// principal the call changed, in the same account.
fn self_change(event: &Event<'_>, call: Option<&Call>, t: &Target) -> Option<Finding> {
    let what = match call?.shape {
        Shape::InlinePolicy(calls::Change::Update, _)
        | Shape::Attachment(Direction::Add, _)
        | Shape::Boundary(Direction::Remove, _) => "permissions",
        Shape::TrustPolicy => "trust policy (who may become it)",
        _ => return None,
    };
    let (noun, name, account) = crate::actor::caller_principal(event)?;
    let same = noun == t.kind.noun()
        && t.name.as_deref() == Some(name)
        && event.account().is_none_or(|a| a == account);
    same.then(|| {
        Finding::new(
            Rule::SelfChange,
            format!("{noun} {name} changed its own {what}: it granted itself what it may do next"),
        )
    })
}

/// What an AWS managed policy attached or detached means, from AWS's own document of it
/// (the same analysis as any policy's): attached, what it grants; detached, what went away
/// (never rated above the attach). A policy AWS has no document of in this build is said.
fn managed_policy(call: Option<&Call>, t: &Target) -> Vec<Finding> {
    let Some(p) = t.policy.as_ref().filter(|p| p.is_aws_managed()) else {
        return Vec::new();
    };
    let detached = call.is_some_and(|c| matches!(c.shape, Shape::Attachment(Direction::Remove, _)));
    let attached = call.is_some_and(|c| matches!(c.shape, Shape::Attachment(Direction::Add, _)));
    if !attached && !detached {
        return Vec::new();
    }
    let Some(aws) = policy::managed::aws_managed(&p.name) else {
        return if attached {
            vec![Finding::new(
                Rule::NotAnalysed,
                format!(
                    "{} is not among the AWS managed policies this build knows ({}): what it \
                     grants was not analysed",
                    p.name,
                    policy::managed::source()
                ),
            )]
        } else {
            Vec::new()
        };
    };
    let grants = policy::findings(&aws.document(), policy::DocKind::Permissions, None);
    let label = format!("{} (AWS managed, {})", aws.name, aws.version);
    if detached {
        let whom = format!(
            "{} {}",
            t.kind.noun(),
            t.name.as_deref().unwrap_or("(name not recorded)")
        );
        return grants
            .iter()
            .find(|f| f.severity > Severity::Info)
            .map(|f| {
                Finding::new(
                    Rule::PrivilegedPolicyDetached,
                    format!(
                        "{label} was detached: {whom} no longer has what it {}",
                        f.reason
                            .strip_prefix("allows ")
                            .map_or_else(|| f.reason.clone(), |rest| format!("allowed: {rest}"))
                    ),
                )
            })
            .into_iter()
            .collect();
    }
    grants
        .into_iter()
        .map(|f| Finding {
            reason: format!("{label}: {}", f.reason),
            ..f
        })
        .collect()
}

/// The policies AWS puts on a user whose access key it found exposed.
const QUARANTINE_POLICIES: &[&str] = &[
    "AWSCompromisedKeyQuarantine",
    "AWSCompromisedKeyQuarantineV2",
    "AWSCompromisedKeyQuarantineV3",
];

/// The quarantine policy a successful-or-not call puts on a user: attached, AWS managed.
fn quarantine<'a>(call: Option<&Call>, t: &'a Target) -> Option<&'a str> {
    let shape = call?.shape;
    let name = match shape {
        Shape::Attachment(Direction::Add, Kind::User) => t
            .policy
            .as_ref()
            .filter(|p| p.is_aws_managed())
            .map(|p| p.name.as_str()),
        // An inline policy named like AWS's is the caller's own: judged by its document.
        _ => None,
    }?;
    QUARANTINE_POLICIES.contains(&name).then_some(name)
}

fn outcome(event: &Event<'_>) -> Outcome {
    match event.detail.error_code.as_deref() {
        Some(code) if is_denial(code) => Outcome::Denied,
        Some(_) => Outcome::Failed,
        None if event.detail.event_name.is_none() => Outcome::Event,
        // A console sign-in records its failure in its response, without an error code.
        None if event.is_refused_sign_in() => Outcome::Failed,
        None => Outcome::Succeeded,
    }
}

/// A call that only reads (`readOnly`, or a Get, List, Describe, Simulate or Generate call).
pub(crate) fn is_read_only(event: &Event<'_>) -> bool {
    event.detail.read_only == Some(true)
        || event.detail.event_name.as_deref().is_some_and(|name| {
            ["Get", "List", "Describe", "Simulate", "Generate"]
                .iter()
                .any(|verb| name.starts_with(verb))
        })
}

fn is_denial(code: &str) -> bool {
    code.contains("AccessDenied")
        || code.contains("UnauthorizedOperation")
        || code == "Unauthorized"
}

/// The page the alert links to: the resource, its list when it is gone, or the CloudTrail
/// event for calls that name no IAM resource.
fn link(event: &Event<'_>, t: &Target, partition: &str) -> String {
    let list = || console_url::list(partition, t.kind);
    match t.kind {
        Kind::Other => console_url::cloudtrail_event(
            partition,
            event.region(),
            event.detail.event_id.as_deref(),
            event.detail.event_name.as_deref(),
        ),
        // Provider pages are addressed by type and URL; the list is exact and one click away.
        _ if t.gone
            || t.not_created
            || matches!(t.kind, Kind::IdentityProvider | Kind::AccountSetting) =>
        {
            list()
        }
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
