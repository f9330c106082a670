//! iam-notify: IAM change alerts from CloudTrail events, rendered for people and published
//! to SNS.
//!
//! Functional core, imperative shell: [`event`], [`actor`], [`resource`], [`console_url`],
//! [`policy`], [`classic`] and [`message`] are pure (an event in, a notification out);
//! [`publish`] and [`handler`] do the I/O; `main.rs` only wires them.

// No panics on input: event data is never unwrapped or indexed blindly (tests may).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod actor;
pub mod classic;
pub mod config;
pub mod console_url;
pub mod event;
pub mod handler;
pub mod message;
pub mod noise;
pub mod policy;
pub mod publish;
pub mod resource;
pub mod severity;

pub use event::Event;
pub use message::{Format, Notification, render};

/// Parses and renders a payload in one step (preview, tests, benchmarks).
pub fn render_payload(
    payload: &serde_json::Value,
    format: Format,
) -> Result<Notification, event::InputError> {
    Event::parse(payload).map(|e| render(&e, format))
}
