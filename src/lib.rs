//! iam-notify: IAM change alerts from CloudTrail events, rendered for people and published
//! to SNS. `docs/ARCHITECTURE.md` is the map.
//!
//! Functional core, imperative shell. Pure (an event in, a notification out): [`event`]
//! (the record), [`calls`] (what each call did to which resource), [`actor`] (who),
//! [`policy`] and [`severity`] (how risky), [`render`] (subject, body, SMS, document),
//! [`classic`] (the article's text), [`delivery`] (the SNS message within its limits) and
//! [`noise`] (what is not sent). The shell: [`publish`] (SNS), [`handler`] (one invocation)
//! and `main.rs`, which only wires [`config`], the client and the handler.

pub mod account_alias;
pub mod accounts;
pub mod actor;
pub mod arn;
pub mod calls;
pub mod classic;
pub mod config;
pub mod console_url;
pub mod delivery;
pub mod digest;
pub mod emf;
pub mod event;
pub mod handler;
pub mod heap;
pub mod heartbeat;
pub mod identity_store;
pub mod invariants;
pub mod logging;
pub mod noise;
pub mod organizations;
pub mod policy;
pub mod policy_lookup;
pub mod publish;
pub mod redact;
pub mod render;
pub mod severity;
pub mod signed_call;
pub mod strict;
pub mod wildcard;

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
