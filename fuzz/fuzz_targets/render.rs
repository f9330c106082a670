//! Raw bytes -> the function's reading of the text -> render -> invariants (subject, body,
//! SMS, link, SNS message); and that reading is the tree's (`Event::parse`).
#![no_main]
use iam_notify::{Event, Format, render_json};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(tree) = serde_json::from_str::<serde_json::Value>(text) {
        assert_eq!(Event::parse_json(text), Event::parse(&tree), "text and tree readings differ");
    }
    for format in [Format::Rich, Format::Classic] {
        if let Ok(n) = render_json(text, format) {
            common::check(&n);
        }
    }
});
