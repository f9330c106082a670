//! The EventBridge envelope and a lenient CloudTrail `detail`.
//!
//! The envelope is `aws_lambda_events`' typed [`EventBridgeEvent`]. The `detail` is our own
//! struct rather than the crate's `AWSAPICall`, which drops `errorCode`, `errorMessage`,
//! `recipientAccountId` and `readOnly`, and insists on fields that real records omit
//! (`userAgent`, `sessionContext.attributes`, an `mfaAuthenticated` string, a typed
//! `creationDate`). Here every field is optional, unknown fields are ignored, scalar fields
//! accept whatever JSON type AWS wrote, and `requestParameters` / `responseElements` stay raw
//! JSON that each call reads for itself (see `calls/`).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Why an input cannot be treated as an EventBridge event at all. Lambda records the failure
/// and the event goes to the async retries and the on-failure destination.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an EventBridge event: {0}")]
pub struct InputError(pub String);

/// An EventBridge event whose `detail` has been read as leniently as possible.
#[derive(Debug, Clone)]
pub struct Event {
    pub detail_type: String,
    pub source: String,
    pub id: Option<String>,
    pub account: Option<String>,
    /// The envelope's time, already normalised to RFC 3339 UTC by the typed envelope.
    pub time: Option<String>,
    pub region: Option<String>,
    pub detail: CloudTrailDetail,
    /// Set when `detail` is an object but not shaped like a CloudTrail record (a field of a
    /// type no record has). The notification is still sent, from the envelope, and says this.
    pub detail_error: Option<String>,
    /// The raw `detail`, kept only when it could not be read as a CloudTrail record, so the
    /// notification can show what arrived.
    pub raw_detail: Option<Value>,
}

impl Event {
    /// Reads a Lambda payload. Fails only when the payload is not an EventBridge event at all.
    pub fn parse(payload: &Value) -> Result<Event, InputError> {
        // Secrets are gone before anything reads the event (see `redact`).
        let payload = &crate::redact::value(payload);
        Event::parse_redacted(payload).map_err(|e| {
            // A parser's message may quote the input: no secrets, and short.
            InputError(crate::redact::cap(&crate::redact::text(&e.0), 1_024))
        })
    }

    fn parse_redacted(payload: &Value) -> Result<Event, InputError> {
        if !payload.is_object() {
            return Err(InputError(format!(
                "expected a JSON object, got {}",
                json_kind(payload)
            )));
        }
        // Fast path: envelope and record in one pass, without copying `detail`.
        let detail_is_object = payload.get("detail").is_some_and(Value::is_object);
        if detail_is_object {
            if let Ok(envelope) = EventBridgeEvent::<CloudTrailDetail>::deserialize(payload) {
                return Ok(Event::from_envelope(envelope, None, None));
            }
        }
        // Slow path: say what is wrong with the envelope, or keep a misshapen record as is.
        let envelope: EventBridgeEvent<Value> =
            EventBridgeEvent::deserialize(payload).map_err(|e| InputError(e.to_string()))?;
        if !envelope.detail.is_object() {
            return Err(InputError(format!(
                "`detail` must be a JSON object, got {}",
                json_kind(&envelope.detail)
            )));
        }
        let (detail, error, raw) = match CloudTrailDetail::deserialize(&envelope.detail) {
            Ok(d) => (d, None, None),
            Err(e) => (
                CloudTrailDetail::default(),
                Some(e.to_string()),
                Some(envelope.detail.clone()),
            ),
        };
        let EventBridgeEvent {
            version,
            id,
            detail_type,
            source,
            account,
            time,
            region,
            resources,
            ..
        } = envelope;
        let mut typed = EventBridgeEvent::<CloudTrailDetail>::default();
        (typed.version, typed.id, typed.detail_type, typed.source) =
            (version, id, detail_type, source);
        (typed.account, typed.time, typed.region, typed.resources) =
            (account, time, region, resources);
        typed.detail = detail;
        Ok(Event::from_envelope(typed, error, raw))
    }

    fn from_envelope(
        envelope: EventBridgeEvent<CloudTrailDetail>,
        detail_error: Option<String>,
        raw_detail: Option<Value>,
    ) -> Event {
        Event {
            detail_type: envelope.detail_type,
            source: envelope.source,
            id: envelope.id,
            account: envelope.account,
            time: envelope
                .time
                .map(|t| t.to_rfc3339_opts(chrono_secs(), true)),
            region: envelope.region,
            detail: envelope.detail,
            detail_error,
            raw_detail,
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
        let mut v = self.detail.response_elements.as_ref()?;
        for key in path {
            v = v.get(key)?;
        }
        (!v.is_null()).then_some(v)
    }
}

fn chrono_secs() -> chrono::SecondsFormat {
    chrono::SecondsFormat::AutoSi
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

/// A CloudTrail record (`detail` of "AWS API Call via CloudTrail" and its siblings).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CloudTrailDetail {
    #[serde(deserialize_with = "text")]
    pub event_version: Option<String>,
    #[serde(deserialize_with = "text")]
    pub event_source: Option<String>,
    #[serde(deserialize_with = "text")]
    pub event_name: Option<String>,
    #[serde(deserialize_with = "text")]
    pub event_time: Option<String>,
    #[serde(deserialize_with = "text")]
    pub event_type: Option<String>,
    #[serde(deserialize_with = "text")]
    pub event_category: Option<String>,
    #[serde(deserialize_with = "text")]
    pub aws_region: Option<String>,
    #[serde(rename = "sourceIPAddress", deserialize_with = "text")]
    pub source_ip_address: Option<String>,
    #[serde(deserialize_with = "text")]
    pub user_agent: Option<String>,
    #[serde(deserialize_with = "object")]
    pub user_identity: Option<UserIdentity>,
    pub request_parameters: Option<Value>,
    pub response_elements: Option<Value>,
    #[serde(deserialize_with = "text")]
    pub error_code: Option<String>,
    #[serde(deserialize_with = "text")]
    pub error_message: Option<String>,
    #[serde(rename = "eventID", deserialize_with = "text")]
    pub event_id: Option<String>,
    #[serde(rename = "requestID", deserialize_with = "text")]
    pub request_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub recipient_account_id: Option<String>,
    #[serde(deserialize_with = "flag")]
    pub read_only: Option<bool>,
    #[serde(deserialize_with = "flag")]
    pub management_event: Option<bool>,
    /// Sign-in events put `MFAUsed`, `LoginTo` here.
    pub additional_event_data: Option<Value>,
}

/// `userIdentity`: who made the call.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserIdentity {
    #[serde(rename = "type", deserialize_with = "text")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "text")]
    pub principal_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub arn: Option<String>,
    #[serde(deserialize_with = "text")]
    pub account_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub access_key_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub user_name: Option<String>,
    #[serde(deserialize_with = "text")]
    pub invoked_by: Option<String>,
    #[serde(deserialize_with = "text")]
    pub identity_provider: Option<String>,
    #[serde(deserialize_with = "text")]
    pub credential_id: Option<String>,
    #[serde(deserialize_with = "object")]
    pub session_context: Option<SessionContext>,
    #[serde(deserialize_with = "object")]
    pub on_behalf_of: Option<OnBehalfOf>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionContext {
    #[serde(deserialize_with = "object")]
    pub session_issuer: Option<SessionIssuer>,
    #[serde(deserialize_with = "object")]
    pub attributes: Option<SessionAttributes>,
    #[serde(deserialize_with = "text")]
    pub source_identity: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionIssuer {
    #[serde(rename = "type", deserialize_with = "text")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "text")]
    pub principal_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub arn: Option<String>,
    #[serde(deserialize_with = "text")]
    pub account_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub user_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionAttributes {
    /// Kept as text: ISO 8601 in new records, other shapes in old ones.
    #[serde(deserialize_with = "text")]
    pub creation_date: Option<String>,
    /// `"true"` / `"false"` in most records, a real boolean in some.
    #[serde(deserialize_with = "flag")]
    pub mfa_authenticated: Option<bool>,
}

/// Identity Center (`IdentityCenterUser`) callers.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OnBehalfOf {
    #[serde(deserialize_with = "text")]
    pub user_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub identity_store_arn: Option<String>,
}

/// Any JSON scalar as text; null, empty strings, objects and arrays as absent. A visitor
/// rather than a `Value` round trip: no intermediate allocation per field.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Text;
    impl<'de> serde::de::Visitor<'de> for Text {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok((!v.is_empty()).then(|| v.to_string()))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok((!v.is_empty()).then_some(v))
        }
        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(
                serde_json::Number::from_f64(v)
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            ))
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(Text)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            while map
                .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                .is_some()
            {}
            Ok(None)
        }
    }
    d.deserialize_any(Text)
}

/// A nested record, which must be a JSON object (serde would otherwise also read a struct
/// from an array) or null.
fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v @ Value::Object(_) => T::deserialize(v)
            .map(Some)
            .map_err(serde::de::Error::custom),
        other => Err(serde::de::Error::custom(format!(
            "expected an object, got {}",
            json_kind(&other)
        ))),
    }
}

/// A boolean written as `true` or as `"true"`; anything else is absent.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    })
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
        assert!(e.detail_error.is_none());
        assert!(e.detail.event_name.is_none());
        assert_eq!(e.account(), Some("111122223333"));
        assert_eq!(e.time(), Some("2024-08-01T13:37:41Z"));
    }

    #[test]
    fn misshapen_detail_is_kept_with_the_reason() {
        let e = Event::parse(&envelope(json!({"userIdentity": "root"}))).unwrap();
        let err = e.detail_error.unwrap();
        assert!(err.contains("expected an object, got a string"), "{err}");
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
