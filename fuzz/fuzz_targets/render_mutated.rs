//! Real sample events with fuzzer-chosen text in the fields an attacker controls (names,
//! policy text, user agent, error message, event name), rendered and checked.
#![no_main]
use iam_notify::{Format, render_payload};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

#[path = "common.rs"]
mod common;

const SAMPLES: &[&str] = &[
    include_str!("../../events/AttachRolePolicy.json"),
    include_str!("../../events/CreatePolicyVersion.json"),
    include_str!("../../events/PutUserPolicy.json"),
    include_str!("../../events/UpdateUser.json"),
    include_str!("../../events/CreateRole.json"),
    include_str!("../../events/UpdateAssumeRolePolicy.json"),
    include_str!("../../events/AttachRolePolicy-denied.json"),
    include_str!("../../events/CreateUser-by-root-via-sso.json"),
    include_str!("../../events/ConsoleLogin.json"),
    include_str!("../../events/CreateOpenIDConnectProvider.json"),
];

const FIELDS: &[&[&str]] = &[
    &["detail", "requestParameters", "roleName"],
    &["detail", "requestParameters", "userName"],
    &["detail", "requestParameters", "policyName"],
    &["detail", "requestParameters", "policyArn"],
    &["detail", "requestParameters", "policyDocument"],
    &["detail", "requestParameters", "newUserName"],
    &["detail", "userAgent"],
    &["detail", "errorMessage"],
    &["detail", "eventName"],
    &["detail", "userIdentity", "arn"],
    &["detail", "userIdentity", "type"],
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(mut event) = serde_json::from_str::<Value>(SAMPLES[pick as usize % SAMPLES.len()]) else { return };
    // The rest is text for the fields, separated by 0xff bytes, lossily decoded as UTF-8.
    for (chunk, path) in rest.split(|b| *b == 0xff).zip(FIELDS.iter().cycle().skip(pick as usize % FIELDS.len())) {
        let text = String::from_utf8_lossy(chunk).into_owned();
        let mut v = &mut event;
        for key in &path[..path.len() - 1] {
            v = &mut v[*key];
        }
        if let Some(obj) = v.as_object_mut() {
            obj.insert(path[path.len() - 1].to_string(), json!(text));
        }
    }
    for format in [Format::Rich, Format::Classic] {
        let n = render_payload(&event, format).expect("a sample event stays an EventBridge event");
        common::check(&n);
    }
});
