//! The CloudTrail record inside an event (`detail`) and the lenient readers of its fields:
//! every field optional, unknown fields ignored, scalars of any JSON type, a field of the
//! wrong type degrading only itself.

use super::*;

/// A CloudTrail record (`detail` of "AWS API Call via CloudTrail" and its siblings).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default, bound(deserialize = "'de: 'a"))]
pub struct CloudTrailDetail<'a> {
    #[serde(deserialize_with = "text")]
    pub event_version: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub event_source: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub event_name: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub event_time: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub event_type: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub event_category: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub aws_region: Text<'a>,
    #[serde(rename = "sourceIPAddress", deserialize_with = "text")]
    pub source_ip_address: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub user_agent: Text<'a>,
    #[serde(deserialize_with = "object")]
    pub user_identity: Option<Box<UserIdentity<'a>>>,
    pub request_parameters: Option<Box<Value>>,
    pub response_elements: Option<Box<Value>>,
    #[serde(deserialize_with = "text")]
    pub error_code: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub error_message: Text<'a>,
    #[serde(rename = "eventID", deserialize_with = "text")]
    pub event_id: Text<'a>,
    #[serde(rename = "requestID", deserialize_with = "text")]
    pub request_id: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub recipient_account_id: Text<'a>,
    #[serde(deserialize_with = "flag")]
    pub read_only: Option<bool>,
    #[serde(deserialize_with = "flag")]
    pub management_event: Option<bool>,
    /// Sign-in events put `MFAUsed`, `LoginTo` here.
    pub additional_event_data: Option<Box<Value>>,
}

/// `userIdentity`: who made the call.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default, bound(deserialize = "'de: 'a"))]
pub struct UserIdentity<'a> {
    #[serde(rename = "type", deserialize_with = "text")]
    pub kind: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub principal_id: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub arn: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub account_id: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub access_key_id: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub user_name: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub invoked_by: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub identity_provider: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub credential_id: Text<'a>,
    #[serde(deserialize_with = "object")]
    pub session_context: Option<SessionContext<'a>>,
    #[serde(deserialize_with = "object")]
    pub on_behalf_of: Option<OnBehalfOf<'a>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default, bound(deserialize = "'de: 'a"))]
pub struct SessionContext<'a> {
    #[serde(deserialize_with = "object")]
    pub session_issuer: Option<SessionIssuer<'a>>,
    #[serde(deserialize_with = "object")]
    pub attributes: Option<SessionAttributes<'a>>,
    #[serde(deserialize_with = "text")]
    pub source_identity: Text<'a>,
    /// Set for an EC2 instance's role credentials (`2.0`).
    #[serde(deserialize_with = "text")]
    pub ec2_role_delivery: Text<'a>,
    /// A session from an OpenID Connect or Cognito token (AssumeRoleWithWebIdentity).
    #[serde(deserialize_with = "object")]
    pub web_id_federation_data: Option<WebIdFederationData<'a>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default, bound(deserialize = "'de: 'a"))]
pub struct WebIdFederationData<'a> {
    #[serde(deserialize_with = "text")]
    pub federated_provider: Text<'a>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default, bound(deserialize = "'de: 'a"))]
pub struct SessionIssuer<'a> {
    #[serde(rename = "type", deserialize_with = "text")]
    pub kind: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub principal_id: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub arn: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub account_id: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub user_name: Text<'a>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default, bound(deserialize = "'de: 'a"))]
pub struct SessionAttributes<'a> {
    /// Kept as text: ISO 8601 in new records, other shapes in old ones.
    #[serde(deserialize_with = "text")]
    pub creation_date: Text<'a>,
    /// `"true"` / `"false"` in most records, a real boolean in some.
    #[serde(deserialize_with = "flag")]
    pub mfa_authenticated: Option<bool>,
}

/// Identity Center (`IdentityCenterUser`) callers.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default, bound(deserialize = "'de: 'a"))]
pub struct OnBehalfOf<'a> {
    #[serde(deserialize_with = "text")]
    pub user_id: Text<'a>,
    #[serde(deserialize_with = "text")]
    pub identity_store_arn: Text<'a>,
}

/// Any JSON scalar as text; null, empty strings, objects and arrays as absent. A visitor
/// rather than a `Value` round trip: text without escapes is borrowed from the payload, and
/// only numbers, booleans and escaped text are written anew.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Text<'de>, D::Error> {
    struct Scalar;
    impl<'de> serde::de::Visitor<'de> for Scalar {
        type Value = Text<'de>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok((!v.is_empty()).then_some(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok((!v.is_empty()).then(|| Cow::Owned(v.to_string())))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok((!v.is_empty()).then_some(Cow::Owned(v)))
        }
        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(if v { "true" } else { "false" })))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(
                serde_json::Number::from_f64(v)
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            )))
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(Scalar)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            skip_seq(seq).map(|()| None)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            skip_map(map).map(|()| None)
        }
    }
    d.deserialize_any(Scalar)
}

/// A JSON string (borrowed when it has no escapes) or null, as `String` and `Option<String>`
/// fields read: anything else is an error (the typed reading then defers to the tree's).
fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct Str;
    impl<'de> serde::de::Visitor<'de> for Str {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(Str)
        }
    }
    d.deserialize_any(Str)
}

/// A required JSON string (see [`string`]): null is an error too.
fn required<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'de, str>, D::Error> {
    string(d)?
        .ok_or_else(|| serde::de::Error::invalid_type(serde::de::Unexpected::Unit, &"a string"))
}

/// `resources`, read as `Option<Vec<String>>` reads it (a list of strings, or null) and
/// kept nowhere: the alert does not use it.
fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<(), D::Error> {
    struct Strings;
    impl<'de> serde::de::Visitor<'de> for Strings {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of strings")
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_none<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<(), D2::Error> {
            d.deserialize_any(Strings)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element::<Item>()?.is_some() {}
            Ok(())
        }
    }
    /// One string of the list.
    struct Item;
    impl<'de> Deserialize<'de> for Item {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            required(d).map(|_| Item)
        }
    }
    d.deserialize_any(Strings)
}

/// The envelope of the typed reading: `EventBridgeEvent`'s fields with its types (strings,
/// `resources` a list of strings, the time by chrono), the texts borrowed.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", bound(deserialize = "'de: 'a"))]
pub(super) struct Envelope<'a> {
    /// Read only to check its type, as `EventBridgeEvent` does (a payload that it rejects
    /// goes the tree's way, whose field-by-field reading may differ), like `resources`.
    #[serde(default, deserialize_with = "string")]
    #[allow(dead_code)]
    pub(super) version: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "string")]
    pub(super) id: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "required")]
    pub(super) detail_type: Cow<'a, str>,
    #[serde(deserialize_with = "required")]
    pub(super) source: Cow<'a, str>,
    #[serde(default, deserialize_with = "string")]
    pub(super) account: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(super) time: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default, deserialize_with = "string")]
    pub(super) region: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "strings")]
    #[allow(dead_code)]
    pub(super) resources: (),
    pub(super) detail: DetailObject<'a>,
}

/// Reads past a JSON array, for a field that does not take one.
fn skip_seq<'de, A: serde::de::SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Reads past a JSON object, for a field that does not take one.
fn skip_map<'de, A: serde::de::MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map
        .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
        .is_some()
    {}
    Ok(())
}

thread_local! {
    /// Set when [`object`] leaves out a nested record that is not an object: the typed fast
    /// path ([`Event::parse_typed`]) then defers to [`Event::parse`], which says what arrived.
    pub(super) static DROPPED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A nested record, which must be a JSON object (serde would otherwise also read a struct
/// from an array). Anything else is absent: that one field degrades, not the record
/// (`malformed_fields` says what arrived instead). Read straight from the input, without an
/// intermediate tree.
pub(super) fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Object<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Object<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(dropped())
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(dropped())
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(dropped())
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(dropped())
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(dropped())
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            skip_seq(seq).map(|()| dropped())
        }
    }
    d.deserialize_any(Object(std::marker::PhantomData))
}

/// Notes a nested record left out (see [`DROPPED`]).
fn dropped<T>() -> Option<T> {
    DROPPED.with(|d| d.set(true));
    None
}

/// The `detail` of the typed fast path: read only from a JSON object (a struct would
/// otherwise also be read from an array).
pub(super) struct DetailObject<'a>(pub(super) CloudTrailDetail<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for DetailObject<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match object::<D, CloudTrailDetail<'a>>(d)? {
            Some(detail) => Ok(DetailObject(detail)),
            None => Err(serde::de::Error::custom("`detail` must be a JSON object")),
        }
    }
}

/// The `detail` of the tree reading, owning its texts: what `EventBridgeEvent` takes.
#[derive(Debug, Default, Serialize)]
#[serde(transparent)]
pub(super) struct OwnedDetail(pub(super) CloudTrailDetail<'static>);

impl<'de> Deserialize<'de> for OwnedDetail {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Read from an owned tree, whose strings the record takes over.
        let tree = Value::deserialize(d)?;
        CloudTrailDetail::deserialize(tree)
            .map(OwnedDetail)
            .map_err(serde::de::Error::custom)
    }
}

/// The nested records of `detail` that are present but not objects.
pub(super) fn malformed_fields(detail: &Value) -> Vec<Malformed> {
    let mut out = Vec::new();
    for path in OBJECT_FIELDS {
        let mut v = Some(detail);
        for key in *path {
            v = v.and_then(|x| x.get(key));
        }
        match v {
            None | Some(Value::Null) | Some(Value::Object(_)) => {}
            Some(other) => out.push(Malformed {
                field: format!("detail.{}", path.join(".")),
                expected: "an object",
                received: shown(other),
            }),
        }
    }
    out
}

/// A value as JSON text, short.
pub(super) fn shown(v: &Value) -> String {
    crate::redact::cap(&v.to_string(), 256)
}

/// A boolean written as `true` or as `"true"`; anything else is absent.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct Flag;
    impl<'de> serde::de::Visitor<'de> for Flag {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a boolean")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(if v.eq_ignore_ascii_case("true") {
                Some(true)
            } else if v.eq_ignore_ascii_case("false") {
                Some(false)
            } else {
                None
            })
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(Flag)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            skip_seq(seq).map(|()| None)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            skip_map(map).map(|()| None)
        }
    }
    d.deserialize_any(Flag)
}
