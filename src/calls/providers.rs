//! SAML and OpenID Connect identity providers.

use super::context::{Context, label};
use super::{Change, Kind, Protocol, Target};
use crate::event::scalar_text;
use serde_json::Value;

/// `verb` the SAML or OpenID Connect provider X.
pub(super) fn provider(cx: &Context, change: Change, verb: &str, protocol: Protocol) -> Target {
    let (arn_key, marker, what, name_key) = match protocol {
        Protocol::OpenIdConnect => (
            "openIDConnectProviderArn",
            ":oidc-provider/",
            "OpenID Connect provider",
            "url",
        ),
        Protocol::Saml => (
            "sAMLProviderArn",
            ":saml-provider/",
            "SAML provider",
            "name",
        ),
    };
    let arn = cx
        .request(arn_key)
        .or_else(|| cx.response(&[arn_key]))
        .or_else(|| cx.denied_arn(Kind::IdentityProvider));
    // The provider's name may itself hold `/` (an OIDC URL path): all after the marker.
    let name = arn
        .as_deref()
        .and_then(|a| a.split_once(marker).map(|(_, n)| n.to_string()))
        .or_else(|| cx.request(name_key));
    let n = label(&name);
    let mut t = Target::new(Kind::IdentityProvider, format!("{verb} {what} {n}"), n);
    if let Some(client) = cx.request("clientID") {
        t.facts.push(("Client ID", client));
    }
    for (key, label) in [
        ("thumbprintList", "Thumbprints"),
        ("clientIDList", "Client IDs"),
    ] {
        if let Some(Value::Array(items)) = cx.event.request_value(key) {
            let list: Vec<String> = items.iter().filter_map(scalar_text).collect();
            t.facts.push((label, list.join(", ")));
        }
    }
    t.gone = change == Change::Delete && !cx.failed;
    t.not_created = change == Change::Create && cx.failed;
    t.name = name;
    t.arn = arn;
    t
}
