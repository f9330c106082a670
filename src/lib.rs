//! iam-notify: IAM change alerts from CloudTrail events, rendered for people and published
//! to SNS. `docs/ARCHITECTURE.md` is the map.
//!
//! Functional core, imperative shell. Pure (an event in, a notification out): [`event`]
//! (the record), [`calls`] (what each call did to which resource), [`actor`] (who),
//! [`policy`] and [`severity`] (how risky), [`render`] (subject, body, SMS, document),
//! [`classic`] (the article's text), [`delivery`] (the SNS message within its limits) and
//! [`noise`] (what is not sent). The shell: [`publish`] (SNS), [`handler`] (one invocation)
//! and `main.rs`, which only wires [`config`], the client and the handler.

pub mod actor;
pub mod arn;
pub mod calls;
pub mod classic;
pub mod config;
pub mod console_url;
pub mod delivery;
pub mod emf;
pub mod event;
pub mod handler;
pub mod heartbeat;
pub mod invariants;
pub mod logging;
pub mod noise;
pub mod policy;
pub mod publish;
pub mod redact;
pub mod render;
pub mod severity;
pub mod strict;
pub mod wildcard;

pub use event::Event;
pub use render::{Format, Notification, render};

/// Parses and renders a payload in one step (preview, tests, benchmarks).
pub fn render_payload(
    payload: &serde_json::Value,
    format: Format,
) -> Result<Notification, event::InputError> {
    Event::parse(payload).map(|e| render(&e, format))
}
