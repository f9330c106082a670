//! The EventBridge envelope and a lenient CloudTrail `detail`.
//!
//! A well-formed event's text is read straight into [`Event`], whose texts borrow from the
//! payload (an allocation only for text with JSON escapes in it, or that redaction changes):
//! the function reads every field of every alert once, and allocating each was a third of the
//! reading. The envelope is read as `aws_lambda_events`' [`EventBridgeEvent`] reads it (same
//! fields, same types, the time normalised by chrono); that struct itself takes only a `detail`
//! that owns its data (`DeserializeOwned`), so it reads the trees of misshapen payloads
//! ([`Event::parse`]), and a property test holds both readings equal. The `detail` is our own
//! struct rather than the crate's `AWSAPICall`, which drops `errorCode`, `errorMessage`,
//! `recipientAccountId` and `readOnly`, and insists on fields that real records omit
//! (`userAgent`, `sessionContext.attributes`, an `mfaAuthenticated` string, a typed
//! `creationDate`). Here every field is optional, unknown fields are ignored, scalar fields
//! accept whatever JSON type AWS wrote, and `requestParameters` / `responseElements` stay raw
//! JSON that each call reads for itself (see `calls/`).

mod detail;

pub use detail::{
    CloudTrailDetail, OnBehalfOf, SessionAttributes, SessionContext, SessionIssuer, UserIdentity,
};
use detail::{DROPPED, Envelope, OwnedDetail, malformed_fields, shown};

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::borrow::Cow;

/// A text field of the record: borrowed from the payload's text, owned when it had escapes,
/// was given as a number or boolean, or was changed by redaction. Absent when null or empty.
pub type Text<'a> = Option<Cow<'a, str>>;

/// Why an input cannot be treated as an EventBridge event at all. Lambda records the failure
/// and the event goes to the async retries and the on-failure destination.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an EventBridge event: {0}")]
pub struct InputError(pub String);

/// The service name AWS records for calls CloudFormation makes.
pub const CLOUDFORMATION: &str = "cloudformation.amazonaws.com";

/// An EventBridge event whose `detail` has been read as leniently as possible.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    pub detail_type: Cow<'a, str>,
    pub source: Cow<'a, str>,
    pub id: Text<'a>,
    pub account: Text<'a>,
    /// The envelope's time, already normalised to RFC 3339 UTC by the typed envelope.
    pub time: Option<String>,
    pub region: Text<'a>,
    pub detail: CloudTrailDetail<'a>,
    /// Fields not shaped as AWS writes them (an object given as text, a time without a
    /// zone). Each degrades only itself: the rest of the record keeps its meaning, and the
    /// alert shows what arrived.
    pub malformed: Vec<Malformed>,
}

/// A field of the record that is not shaped as AWS writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// Where it is: `detail.userIdentity.onBehalfOf`, `time`.
    pub field: String,
    /// What it should have been: `an object`, `an RFC 3339 time`.
    pub expected: &'static str,
    /// What arrived, as JSON text (cut).
    pub received: String,
}

/// The nested records of a CloudTrail detail that must be JSON objects.
const OBJECT_FIELDS: &[&[&str]] = &[
    &["userIdentity"],
    &["userIdentity", "sessionContext"],
    &["userIdentity", "sessionContext", "sessionIssuer"],
    &["userIdentity", "sessionContext", "attributes"],
    &["userIdentity", "onBehalfOf"],
    &["additionalEventData"],
];

impl Event<'static> {
    /// Reads a Lambda payload. Fails only when the payload is not an EventBridge event at all
    /// (not an object, no `detail` object, no `detail-type` or `source` text), naming the field.
    /// The event owns its texts.
    pub fn parse(payload: &Value) -> Result<Event<'static>, InputError> {
        // Secrets are gone before anything reads the event (see `redact`).
        let payload = &crate::redact::value(payload);
        Event::parse_redacted(payload).map_err(|e| {
            // A parser's message may quote the input: no secrets, and short.
            InputError(crate::redact::cap(&crate::redact::text(&e.0), 1_024))
        })
    }

    fn parse_redacted(payload: &Value) -> Result<Event<'static>, InputError> {
        let Some(fields) = payload.as_object() else {
            return Err(InputError(format!(
                "expected a JSON object, got {}",
                json_kind(payload)
            )));
        };
        let detail = match fields.get("detail") {
            Some(d @ Value::Object(_)) => d,
            Some(other) => {
                return Err(InputError(format!(
                    "`detail` must be a JSON object, got {}",
                    json_kind(other)
                )));
            }
            None => return Err(InputError("missing field `detail`".into())),
        };
        let malformed = malformed_fields(detail);
        // The typed envelope reads well-formed events in one pass.
        if let Ok(envelope) = EventBridgeEvent::<OwnedDetail>::deserialize(payload) {
            return Ok(Event {
                detail_type: Cow::Owned(envelope.detail_type),
                source: Cow::Owned(envelope.source),
                id: envelope.id.map(Cow::Owned),
                account: envelope.account.map(Cow::Owned),
                time: envelope.time.map(rfc3339),
                region: envelope.region.map(Cow::Owned),
                detail: envelope.detail.0,
                malformed,
            });
        }
        // Otherwise each envelope field on its own: one of the wrong type degrades itself.
        let required = |key: &str| match fields.get(key) {
            Some(Value::String(s)) => Ok(Cow::Owned(s.clone())),
            Some(other) => Err(InputError(format!(
                "`{key}` must be text, got {}",
                json_kind(other)
            ))),
            None => Err(InputError(format!("missing field `{key}`"))),
        };
        let optional = |key: &str| fields.get(key).and_then(scalar_text).map(Cow::Owned);
        let mut event = Event {
            detail_type: required("detail-type")?,
            source: required("source")?,
            id: optional("id"),
            account: optional("account"),
            region: optional("region"),
            time: None,
            detail: CloudTrailDetail::deserialize(detail.clone())
                .map_err(|e| InputError(format!("`detail`: {e}")))?,
            malformed,
        };
        if let Some(t) = optional("time") {
            match chrono::DateTime::parse_from_rfc3339(&t) {
                Ok(parsed) => event.time = Some(rfc3339(parsed.with_timezone(&chrono::Utc))),
                Err(_) => event.malformed.push(Malformed {
                    field: "time".into(),
                    expected: "an RFC 3339 time with a zone",
                    received: shown(fields.get("time").unwrap_or(&Value::Null)),
                }),
            }
        }
        Ok(event)
    }
}

impl<'a> Event<'a> {
    /// Reads a Lambda payload from its JSON text: the same event as [`Event::parse`] of the
    /// parsed text, cheaper. A well-formed event is read straight into the typed record (no
    /// tree of the whole payload) and redacted field by field; anything else (a field of the
    /// wrong shape, not an event at all) goes through [`Event::parse`], which says what.
    pub fn parse_json(text: &'a str) -> Result<Event<'a>, InputError> {
        Event::parse_json_of(text, "the payload")
    }

    /// [`Event::parse_json`] of a text that `what` names in the error when it is not one
    /// JSON document (`the SQS message body`).
    pub fn parse_json_of(text: &'a str, what: &str) -> Result<Event<'a>, InputError> {
        match read_text(text, what)? {
            Reading::Event(event) => Ok(*event),
            Reading::Tree(payload) => Event::parse(&payload),
        }
    }

    /// The typed reading of a well-formed event, redacted; `None` when any part is not shaped
    /// as AWS writes it (then [`Event::parse`] of the tree says what).
    pub fn parse_typed(text: &'a str) -> Option<Event<'a>> {
        DROPPED.with(|d| d.set(false));
        let envelope = serde_json::from_str::<Envelope<'a>>(text).ok()?;
        if DROPPED.with(std::cell::Cell::get) {
            return None;
        }
        let mut event = Event {
            detail_type: envelope.detail_type,
            source: envelope.source,
            id: envelope.id,
            account: envelope.account,
            time: envelope.time.map(rfc3339),
            region: envelope.region,
            detail: envelope.detail.0,
            malformed: Vec::new(),
        };
        event.redact();
        Some(event)
    }

    /// What `redact::value` does to the whole payload before [`Event::parse`] reads it, done
    /// to the typed fields: every text bounded and secret-shaped text masked, the raw
    /// sub-records walked as a whole.
    fn redact(&mut self) {
        use crate::redact::{bound_cow, value_in_place};
        let text = |s: &mut Cow<'a, str>| bound_cow(s, crate::redact::MAX_TEXT_BYTES);
        let opt = |s: &mut Text<'a>| s.iter_mut().for_each(text);
        text(&mut self.detail_type);
        text(&mut self.source);
        for f in [&mut self.id, &mut self.account, &mut self.region] {
            opt(f);
        }
        let d = &mut self.detail;
        for f in [
            &mut d.event_version,
            &mut d.event_source,
            &mut d.event_name,
            &mut d.event_time,
            &mut d.event_type,
            &mut d.event_category,
            &mut d.aws_region,
            &mut d.source_ip_address,
            &mut d.user_agent,
            &mut d.error_code,
            &mut d.error_message,
            &mut d.event_id,
            &mut d.request_id,
            &mut d.recipient_account_id,
        ] {
            opt(f);
        }
        for raw in [
            &mut d.request_parameters,
            &mut d.response_elements,
            &mut d.additional_event_data,
        ]
        .into_iter()
        .flatten()
        {
            value_in_place(raw);
        }
        let Some(u) = d.user_identity.as_mut() else {
            return;
        };
        for f in [
            &mut u.kind,
            &mut u.principal_id,
            &mut u.arn,
            &mut u.account_id,
            &mut u.access_key_id,
            &mut u.user_name,
            &mut u.invoked_by,
            &mut u.identity_provider,
            &mut u.credential_id,
        ] {
            opt(f);
        }
        if let Some(b) = u.on_behalf_of.as_mut() {
            opt(&mut b.user_id);
            opt(&mut b.identity_store_arn);
        }
        let Some(c) = u.session_context.as_mut() else {
            return;
        };
        opt(&mut c.source_identity);
        if let Some(a) = c.attributes.as_mut() {
            opt(&mut a.creation_date);
        }
        if let Some(i) = c.session_issuer.as_mut() {
            for f in [
                &mut i.kind,
                &mut i.principal_id,
                &mut i.arn,
                &mut i.account_id,
                &mut i.user_name,
            ] {
                opt(f);
            }
        }
    }
    /// The account the change happened in: the record's recipient, else the caller's, else the
    /// envelope's.
    pub fn account(&self) -> Option<&str> {
        self.detail
            .recipient_account_id
            .as_deref()
            .or(self
                .detail
                .user_identity
                .as_ref()
                .and_then(|u| u.account_id.as_deref()))
            .or(self.account.as_deref())
    }

    /// The call's region as CloudTrail recorded it, else the envelope's.
    pub fn region(&self) -> Option<&str> {
        self.detail.aws_region.as_deref().or(self.region.as_deref())
    }

    /// Event time as CloudTrail recorded it (ISO 8601 UTC), else the envelope's.
    pub fn time(&self) -> Option<&str> {
        self.detail.event_time.as_deref().or(self.time.as_deref())
    }

    /// `true` when this is a CloudTrail record of a call to IAM (the only calls with a
    /// specific rendering). Other services have calls with the same names.
    pub fn is_iam_call(&self) -> bool {
        self.detail.event_source.as_deref() == Some("iam.amazonaws.com")
    }

    /// Made through CloudFormation: `invokedBy` or `sourceIPAddress` (both written by AWS)
    /// is [`CLOUDFORMATION`].
    pub fn through_cloudformation(&self) -> bool {
        let invoked_by = self
            .detail
            .user_identity
            .as_ref()
            .and_then(|u| u.invoked_by.as_deref());
        invoked_by == Some(CLOUDFORMATION)
            || self.detail.source_ip_address.as_deref() == Some(CLOUDFORMATION)
    }

    /// A console sign-in record (`signin.amazonaws.com`).
    pub fn is_sign_in(&self) -> bool {
        self.detail.event_source.as_deref() == Some("signin.amazonaws.com")
    }

    /// A console sign-in AWS refused: it says so in `responseElements.ConsoleLogin`
    /// (`Failure`), without an error code.
    pub fn is_refused_sign_in(&self) -> bool {
        self.is_sign_in()
            && self
                .response(&["ConsoleLogin"])
                .is_some_and(|r| r.eq_ignore_ascii_case("failure"))
    }

    /// The ARN of the role a session was issued by (`sessionContext.sessionIssuer.arn`).
    pub fn session_issuer_arn(&self) -> Option<&str> {
        self.detail
            .user_identity
            .as_ref()?
            .session_context
            .as_ref()?
            .session_issuer
            .as_ref()?
            .arn
            .as_deref()
    }

    /// `requestParameters.<key>` as text, when present and not null.
    pub fn request(&self, key: &str) -> Option<String> {
        self.detail
            .request_parameters
            .as_ref()
            .and_then(|v| v.get(key))
            .and_then(scalar_text)
    }

    /// The raw `requestParameters.<key>`.
    pub fn request_value(&self, key: &str) -> Option<&Value> {
        self.detail
            .request_parameters
            .as_ref()
            .and_then(|v| v.get(key))
            .filter(|v| !v.is_null())
    }

    /// `responseElements.<a>.<b>…` as text.
    pub fn response(&self, path: &[&str]) -> Option<String> {
        self.response_value(path).and_then(scalar_text)
    }

    /// The raw `responseElements.<a>.<b>…`.
    pub fn response_value(&self, path: &[&str]) -> Option<&Value> {
        let mut v: &Value = self.detail.response_elements.as_deref()?;
        for key in path {
            v = v.get(key)?;
        }
        (!v.is_null()).then_some(v)
    }
}

/// What a payload's text holds.
#[derive(Debug)]
pub enum Reading<'a> {
    /// A well-formed event, read typed and redacted ([`Event::parse_typed`]).
    Event(Box<Event<'a>>),
    /// Anything else, as a tree: an event with a misshapen field, a batch, not an event.
    Tree(Value),
}

/// Reads a payload's text: typed when it is a well-formed event, else as a tree; an error
/// (naming it `what`) when it is not one JSON document.
pub fn read_text<'a>(text: &'a str, what: &str) -> Result<Reading<'a>, InputError> {
    if let Some(event) = Event::parse_typed(text) {
        return Ok(Reading::Event(Box::new(event)));
    }
    serde_json::from_str(text).map(Reading::Tree).map_err(|e| {
        InputError(crate::redact::cap(
            &crate::redact::text(&format!("{what} is not one JSON document: {e}")),
            1_024,
        ))
    })
}

/// The envelope's time as `aws_lambda_events` gives it, written as RFC 3339 UTC (`Z`).
fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// The text of a JSON scalar; `None` for null, objects and arrays. Empty strings count as
/// absent: no IAM name or ARN is empty.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(detail: Value) -> Value {
        json!({"version":"0","id":"e1","detail-type":"AWS API Call via CloudTrail",
               "source":"aws.iam","account":"111122223333","time":"2024-08-01T13:37:41Z",
               "region":"us-east-1","resources":[],"detail":detail})
    }

    #[test]
    fn not_an_object_is_an_error_that_says_what_it_got() {
        let err = Event::parse(&json!([1, 2])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not an EventBridge event: expected a JSON object, got an array"
        );
    }

    #[test]
    fn missing_detail_is_an_error_naming_the_field() {
        let mut v = envelope(json!({}));
        v.as_object_mut().unwrap().remove("detail");
        let err = Event::parse(&v).unwrap_err().to_string();
        assert!(err.contains("missing field `detail`"), "{err}");
    }

    #[test]
    fn non_object_detail_is_an_error() {
        let err = Event::parse(&envelope(json!("text")))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`detail` must be a JSON object, got a string"),
            "{err}"
        );
    }

    #[test]
    fn string_and_real_booleans_both_read() {
        let e = Event::parse(&envelope(json!({
            "readOnly": "false", "managementEvent": true,
            "userIdentity": {"sessionContext": {"attributes": {"mfaAuthenticated": true,
                "creationDate": "Sep 26, 2017 8:27:52 PM"}}}
        })))
        .unwrap();
        assert_eq!(e.detail.read_only, Some(false));
        assert_eq!(e.detail.management_event, Some(true));
        let attrs = e
            .detail
            .user_identity
            .unwrap()
            .session_context
            .unwrap()
            .attributes
            .unwrap();
        assert_eq!(attrs.mfa_authenticated, Some(true));
        assert_eq!(
            attrs.creation_date.as_deref(),
            Some("Sep 26, 2017 8:27:52 PM")
        );
    }

    #[test]
    fn empty_detail_reads_with_everything_absent() {
        let e = Event::parse(&envelope(json!({}))).unwrap();
        assert!(e.malformed.is_empty());
        assert!(e.detail.event_name.is_none());
        assert_eq!(e.account(), Some("111122223333"));
        assert_eq!(e.time(), Some("2024-08-01T13:37:41Z"));
    }

    #[test]
    fn a_misshapen_field_degrades_only_itself() {
        let e = Event::parse(&envelope(json!({"eventName": "AttachRolePolicy",
            "userIdentity": {"type": "IAMUser", "userName": "alice", "onBehalfOf": "someone"}})))
        .unwrap();
        assert_eq!(e.detail.event_name.as_deref(), Some("AttachRolePolicy"));
        let who = e.detail.user_identity.as_ref().unwrap();
        assert_eq!(who.user_name.as_deref(), Some("alice"));
        assert!(who.on_behalf_of.is_none());
        assert_eq!(
            e.malformed,
            [Malformed {
                field: "detail.userIdentity.onBehalfOf".into(),
                expected: "an object",
                received: "\"someone\"".into()
            }]
        );
    }

    #[test]
    fn envelope_fields_of_the_wrong_type_degrade_only_themselves() {
        let mut v = envelope(json!({"eventName": "CreateUser"}));
        v["account"] = json!(111122223333u64);
        v["time"] = json!("2026-11-24T09:00:00");
        let e = Event::parse(&v).unwrap();
        assert_eq!(e.account.as_deref(), Some("111122223333"));
        assert_eq!(e.time, None);
        assert_eq!(e.malformed[0].field, "time");
        assert_eq!(e.detail.event_name.as_deref(), Some("CreateUser"));
        v["source"] = json!(7);
        let err = Event::parse(&v).unwrap_err().to_string();
        assert!(err.contains("`source` must be text, got a number"), "{err}");
    }

    #[test]
    fn null_request_and_response_are_absent() {
        let e = Event::parse(&envelope(
            json!({"requestParameters": null, "responseElements": null}),
        ))
        .unwrap();
        assert!(e.request("roleName").is_none());
        assert!(e.response(&["role", "arn"]).is_none());
    }
}
