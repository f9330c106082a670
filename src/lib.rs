//! iam-notify: IAM change alerts from CloudTrail events, rendered for people and published
//! to SNS. `docs/ARCHITECTURE.md` is the map.
//!
//! Functional core, imperative shell, in four layers; each module uses only its own layer and
//! the ones above it (`tests/source_rules.rs` fails on an import cycle):
//!
//! - input: [`event`] (the record), [`arn`], [`wildcard`], [`redact`] (secrets masked),
//!   [`text`] (what came from the record made safe to show) and [`emf`] (the metric line);
//! - meaning: [`calls`] (what each call did to which resource), [`actor`] (who),
//!   [`policy`] and [`severity`] (how risky), [`enrich`] (what to ask AWS and what its
//!   answers are), [`noise`] (what is not sent), [`heartbeat`], [`console_url`];
//! - words: [`render`] (subject, body, SMS, documents), [`classic`] (the article's text),
//!   [`accounts`] (names of accounts), [`delivery`] (the SNS message within its limits),
//!   [`digest`], [`invariants`] (what every output keeps);
//! - shell: [`config`], [`lookups`] (IAM, Identity Store, Organizations through the SDK),
//!   [`publish`] (SNS), [`handler`] (one invocation), [`strict`], [`logging`], [`heap`],
//!   and `main.rs`, which only wires them.

// input
pub mod arn;
pub mod emf;
pub mod event;
pub mod redact;
pub mod text;
pub mod wildcard;
// meaning
pub mod actor;
pub mod calls;
pub mod console_url;
pub mod enrich;
pub mod heartbeat;
pub mod noise;
pub mod policy;
pub mod severity;
// words
pub mod accounts;
pub mod classic;
pub mod delivery;
pub mod digest;
pub mod invariants;
pub mod render;
// shell
pub mod config;
pub mod handler;
pub mod heap;
pub mod logging;
pub mod lookups;
pub mod publish;
pub mod strict;

pub use event::Event;
pub use render::{Format, Notification, render};

/// Parses and renders a payload in one step, from its JSON text as the function reads the
/// bytes Lambda hands over (preview, tests, benchmarks).
pub fn render_json(text: &str, format: Format) -> Result<Notification<'static>, event::InputError> {
    render_json_in(text, format, &accounts::Accounts::NONE)
}

/// [`render_json`] naming accounts as an organization's central stack does.
pub fn render_json_in(
    text: &str,
    format: Format,
    accounts: &accounts::Accounts,
) -> Result<Notification<'static>, event::InputError> {
    Event::parse_json(text).map(|e| render::render_in(&e, format, accounts).into_owned())
}

/// [`render_json`] of a parsed payload (its text is read again: the tests that use this go
/// through the function's own reading).
pub fn render_payload(
    payload: &serde_json::Value,
    format: Format,
) -> Result<Notification<'static>, event::InputError> {
    render_json(&payload.to_string(), format)
}

/// What digest mode sends for an SQS batch payload, without noise rules or heartbeats (no
/// configuration): the alerts sent at once, then a digest (or the one alert) per session. See
/// [`digest::plan`]. Fails on the first message that is not an EventBridge event.
pub fn render_batch(
    payload: &serde_json::Value,
    format: Format,
) -> Result<Vec<Notification<'static>>, event::InputError> {
    render_batch_in(payload, format, &accounts::Accounts::NONE)
}

/// [`render_batch`] naming accounts as an organization's central stack does.
pub fn render_batch_in(
    payload: &serde_json::Value,
    format: Format,
    accounts: &accounts::Accounts,
) -> Result<Vec<Notification<'static>>, event::InputError> {
    let batch = handler::read_batch(payload)?;
    let events = batch
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            handler::record_event(r.body.as_deref())
                .map_err(|e| event::InputError(format!("message {}: {}", i + 1, e.0)))
        })
        .collect::<Result<Vec<Event>, _>>()?;
    let alerts: Vec<Notification> = events
        .iter()
        .map(|e| render::render_in(e, format, accounts))
        .collect();
    let changes: Vec<digest::Change> = events
        .iter()
        .zip(&alerts)
        .map(|(event, notification)| digest::Change {
            event,
            notification,
        })
        .collect();
    Ok(digest::plan(&changes)
        .into_iter()
        .map(|o| o.message.notification().clone().into_owned())
        .collect())
}

/// Whether a payload is a batch from an SQS event source mapping (digest mode) rather than
/// one EventBridge event.
pub fn is_sqs_batch(payload: &serde_json::Value) -> bool {
    handler::is_sqs_batch(payload)
}
