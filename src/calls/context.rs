//! What every resolver reads about a record besides its own parameters: whether the call
//! failed, what an AccessDenied message names, the partition and the account.

use super::Kind;
use crate::arn::{self, Arn};
use crate::event::{Event, scalar_text};
use crate::policy::{self, DocKind};

/// Shown where the record does not name the resource.
pub(super) const UNRECORDED: &str = "(name not recorded)";

/// The record, with the facts every call family needs worked out once.
pub(super) struct Context<'a> {
    pub event: &'a Event<'a>,
    /// The call failed (any `errorCode`): the change did not happen.
    pub failed: bool,
    denied: Option<Denied>,
    partition: String,
    account: Option<&'a str>,
}

impl<'a> Context<'a> {
    pub fn new(event: &'a Event<'a>) -> Context<'a> {
        Context {
            event,
            failed: event.detail.error_code.is_some(),
            denied: denied_resource(event),
            partition: partition(event),
            account: event.account(),
        }
    }

    /// `requestParameters.<key>` as text.
    pub fn request(&self, key: &str) -> Option<String> {
        self.event.request(key)
    }

    /// `responseElements.<a>.<b>…` as text.
    pub fn response(&self, path: &[&str]) -> Option<String> {
        self.event.response(path)
    }

    /// The name of a principal of `kind`: the request's, else what the error message says.
    pub fn principal_name(&self, kind: Kind) -> Option<String> {
        self.request(kind.name_key()).or_else(|| {
            self.denied
                .as_ref()
                .filter(|d| d.kind == kind)
                .map(|d| d.name.clone())
        })
    }

    /// The ARN an AccessDenied message gives for a target of `kind`.
    pub fn denied_arn(&self, kind: Kind) -> Option<String> {
        self.denied
            .as_ref()
            .filter(|d| d.kind == kind)
            .and_then(|d| d.arn.clone())
    }

    /// The ARN a Create call's request names exactly: the request gives the name and the path
    /// (or none, which IAM takes as `/` for what it creates), the record gives partition and
    /// account. A create that failed created nothing: an entity of that name that already
    /// exists may have another path, so without a path in the request no ARN is built.
    pub fn built_arn(&self, kind_word: &str, name: Option<String>) -> Option<String> {
        let account = self.account?;
        let name = name?;
        let path = match self.request("path") {
            Some(path) => path,
            None if self.failed => return None,
            None => "/".into(),
        };
        Some(format!(
            "arn:{}:iam::{account}:{kind_word}{path}{name}",
            self.partition
        ))
    }

    /// The request's policy document under `key`, decoded, governing `kind`.
    pub fn document(&self, key: &str, kind: DocKind) -> Option<super::CarriedDocument> {
        self.event
            .request_value(key)
            .map(|v| super::CarriedDocument {
                kind,
                document: policy::decode(v),
            })
    }

    /// The name of a resource of type `word` (`instance-profile`) the AccessDenied message names.
    pub fn denied_named(&self, word: &str) -> Option<String> {
        self.denied
            .as_ref()
            .filter(|d| d.word == word)
            .map(|d| d.name.clone())
    }

    /// What the AccessDenied message names, for calls that fall back on it.
    pub fn denied(&self) -> Option<&Denied> {
        self.denied.as_ref()
    }
}

/// A name, or the words saying the record has none.
pub(super) fn label(name: &Option<String>) -> String {
    name.clone().unwrap_or_else(|| UNRECORDED.to_string())
}

/// The partition of the account the event is in, from the first ARN the record has.
pub fn partition(event: &Event<'_>) -> String {
    let d = &event.detail;
    let identity = d.user_identity.as_ref();
    // The caller's ARN is borrowed; the others are read as text.
    let arn: Option<std::borrow::Cow<'_, str>> = identity
        .and_then(|u| u.arn.as_deref())
        .map(std::borrow::Cow::Borrowed)
        .or_else(|| event.request("policyArn").map(std::borrow::Cow::Owned))
        .or_else(|| {
            d.response_elements
                .as_ref()
                .and_then(|r| r.as_object())
                .and_then(|o| o.values().find_map(|v| v.get("arn")))
                .and_then(scalar_text)
                .map(std::borrow::Cow::Owned)
        });
    arn.as_deref()
        .and_then(arn::partition)
        .unwrap_or("aws")
        .to_string()
}

/// What an AccessDenied `errorMessage` says the target was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Denied {
    pub kind: Kind,
    /// The resource type as the message words it (`instance-profile`, `policy`, …).
    pub word: String,
    pub name: String,
    pub arn: Option<String>,
    /// A policy version the message names after it (`policy arn:… version v2`).
    pub version: Option<String>,
}

/// The resource types AccessDenied messages name in words, as they word them, and the word
/// an ARN uses for each.
const DENIED_WORDS: &[(&str, &str)] = &[
    ("instance profile", "instance-profile"),
    ("instance-profile", "instance-profile"),
    ("policy", "policy"),
    ("role", "role"),
    ("user", "user"),
    ("group", "group"),
];

/// Reads `… on resource: <ARN or "kind name"> because …` from the error message. The name (or
/// ARN) ends at the first space: IAM names have none, and what follows is more words
/// (`policy arn:…:policy/X version v2`).
fn denied_resource(event: &Event<'_>) -> Option<Denied> {
    let message = event.detail.error_message.as_deref()?;
    let rest = message.split_once(" on resource: ")?.1;
    let resource = rest.split(" because ").next().unwrap_or(rest).trim();
    let resource = resource.trim_end_matches('.');
    if resource.starts_with("arn:") {
        let mut words = resource.split_whitespace();
        let arn_text = words.next()?;
        let parsed = Arn::parse(arn_text)?;
        Some(Denied {
            kind: Kind::from_word(parsed.resource_type()).unwrap_or(Kind::Other),
            word: parsed.resource_type().to_string(),
            name: parsed.name().unwrap_or(arn_text).to_string(),
            arn: Some(arn_text.to_string()),
            version: version_after(words),
        })
    } else {
        // `policy arn:aws:iam::…:policy/X`, `instance profile X`, `user X`.
        let (word, named) = DENIED_WORDS
            .iter()
            .find_map(|(words, word)| {
                Some((*word, resource.strip_prefix(words)?.strip_prefix(' ')?))
            })
            .or_else(|| resource.split_once(' '))?;
        let mut words = named.split_whitespace();
        let name = words.next()?;
        let arn = Arn::parse(name);
        Some(Denied {
            kind: Kind::from_word(word).unwrap_or(Kind::Other),
            word: word.to_string(),
            name: arn.and_then(|a| a.name()).unwrap_or(name).to_string(),
            arn: arn.map(|_| name.to_string()),
            version: version_after(words),
        })
    }
}

/// `version v2` after a policy's name or ARN in an AccessDenied message: the version id, if
/// it has IAM's shape (`v` and digits).
fn version_after<'m>(mut words: impl Iterator<Item = &'m str>) -> Option<String> {
    (words.next()? == "version").then_some(())?;
    let v = words.next()?.trim_end_matches(['.', ',']);
    v.strip_prefix('v')
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .then(|| v.to_string())
}
