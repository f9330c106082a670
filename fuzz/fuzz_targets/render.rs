//! Raw bytes -> JSON -> parse -> render -> invariants (subject, body, SMS, link, SNS message).
#![no_main]
use iam_notify::{Format, render_payload};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    for format in [Format::Rich, Format::Classic] {
        if let Ok(n) = render_payload(&payload, format) {
            common::check(&n);
        }
    }
});
