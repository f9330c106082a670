//! Credentials of users: access keys, console passwords, MFA devices, SSH keys and
//! service-specific credentials.

use super::context::Context;
use super::{CredentialId, Kind, Target};
use crate::event::scalar_text;
use crate::severity::{Finding, Rule};

/// `verb` `noun` [id] `prep` user X.
pub(super) fn user_credential(
    cx: &Context,
    verb: &str,
    noun: &str,
    prep: Option<&str>,
    id: CredentialId,
) -> Target {
    let user = cx.principal_name(Kind::User).or_else(|| {
        // Create calls name the user inside the created object only.
        cx.event
            .detail
            .response_elements
            .as_ref()
            .and_then(|r| r.as_object())
            .and_then(|o| o.values().find_map(|v| v.get("userName")))
            .and_then(scalar_text)
    });
    let id = match id {
        CredentialId::Unrecorded => None,
        CredentialId::Response(path) => cx.response(path),
        CredentialId::Request(key) => cx.request(key),
    };
    let thing = match &id {
        Some(id) => format!("{noun} {id}"),
        None => noun.to_string(),
    };
    let whose = match &user {
        Some(u) => format!("user {u}"),
        None => "the calling user".to_string(),
    };
    // A call that records only the credential (DeleteVirtualMFADevice) names no user.
    let device_only = prep.is_none() && user.is_none();
    let summary = match (&user, prep) {
        (None, None) => format!("{verb} {thing}"),
        (_, prep) => format!("{verb} {thing} {} {whose}", prep.unwrap_or("of")),
    };
    let headline = match (&id, device_only) {
        (Some(id), true) => id.clone(),
        _ => whose,
    };
    let mut t = match (id, device_only) {
        // The record names only the device: that is the resource.
        (Some(device), true) => {
            let mut t = Target::new(Kind::Other, summary, headline);
            t.arn = device.starts_with("arn:").then(|| device.clone());
            t.name = Some(device);
            t
        }
        _ => {
            let mut t = Target::new(Kind::User, summary, headline);
            t.name = user;
            t.section = Some("security_credentials");
            t
        }
    };
    key_status(cx, verb, &mut t);
    if let Some(r) = cx.request("passwordResetRequired") {
        t.facts.push(("Password reset required", r));
    }
    if let Some(service) = cx.request("serviceName") {
        t.facts.push(("Service", service));
    }
    t
}

/// An access key's status, as a fact; for UpdateAccessKey, which way it went, in words, and
/// a key made Active again said (`key-reactivated`).
fn key_status(cx: &Context, verb: &str, t: &mut Target) {
    if let Some(status) = cx
        .request("status")
        .or_else(|| cx.response(&["accessKey", "status"]))
    {
        // UpdateAccessKey: which way the status went, in words.
        if verb == "changed the status of" {
            let now = match status.as_str() {
                "Active" => Some("reactivated"),
                "Inactive" => Some("deactivated"),
                _ => None,
            };
            if let Some(now) = now {
                t.summary = t.summary.replacen(verb, now, 1);
            }
            if status == "Active" && !cx.failed {
                t.findings.push(Finding::new(
                    Rule::KeyReactivated,
                    format!(
                        "{} is Active again: a key that was turned off (perhaps because it \
                         leaked) works again",
                        t.summary.trim_start_matches("reactivated ")
                    ),
                ));
            }
        }
        t.facts.push(("Key status", status));
    }
}
