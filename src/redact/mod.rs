//! What the function takes from a record, before anything reads it.
//!
//! Secrets never travel in an alert. CloudTrail usually redacts passwords, keys and tokens
//! itself, but not always, and other sources do not: every value under a secret-like key
//! (case-insensitive, at any depth) becomes `(redacted)`, and any text shaped like an AWS
//! secret access key is masked wherever it appears, error messages included. Identifiers
//! (access key IDs, ARNs, names) stay.
//!
//! Nothing is unbounded either: every text is cut to [`MAX_TEXT_BYTES`] (policy documents to
//! [`MAX_DOCUMENT_BYTES`]) at a character boundary with a visible marker, and objects and
//! arrays keep their first [`MAX_ITEMS`] entries, saying how many more there were.

use crate::text::cut_utf8;
use serde_json::Value;

pub mod shapes;

/// What a secret is replaced with.
pub const REDACTED: &str = "(redacted)";

/// Words that make a key name a secret's wherever they stand in it (`newPassword`,
/// `PrivateKeyPem`, `clientSecretValue`, `passwordData`, `secretAccessKey`, `Authorization`),
/// judged on the name lower-cased without `_`, `-`, `.` and spaces, after its last `:` or `/`
/// (a condition key's service prefix or a tag key's path says nothing).
pub const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "privatekey",
    "apikey",
    "credential",
    "authorization",
    "cookie",
];

/// Endings that make a key name a secret's (`sessionToken`, `tokenCode`, `pwd`, the MFA codes).
pub const SECRET_ENDINGS: &[&str] = &[
    "token",
    "tokens",
    "tokencode",
    "authenticationcode1",
    "authenticationcode2",
    "pwd",
    "passcode",
];

/// Endings of names that name, count or describe a secret rather than hold it (`secretId`,
/// `tokenType`, `maxPasswordAge`, `passwordReusePrevention`, `sessionCredentialFromConsole`).
pub const DESCRIBING_ENDINGS: &[&str] = &[
    "id",
    "ids",
    "arn",
    "arns",
    "name",
    "names",
    "type",
    "types",
    "length",
    "age",
    "required",
    "enabled",
    "count",
    "status",
    "date",
    "time",
    "version",
    "versions",
    "expiration",
    "reuseprevention",
    "lastused",
    "fromconsole",
    "policy",
    "format",
    "rotation",
];

/// `true` when values under `key` are secrets: see [`SECRET_WORDS`], [`SECRET_ENDINGS`] and
/// [`DESCRIBING_ENDINGS`].
pub fn is_secret_key(key: &str) -> bool {
    let normal = normal_key(key);
    (SECRET_WORDS.iter().any(|w| normal.contains(w))
        || SECRET_ENDINGS.iter().any(|e| normal.ends_with(e)))
        && !describes(&normal)
}

/// A key name as judged: after its last `:` or `/`, lower-cased, without `_ - .` and spaces.
fn normal_key(key: &str) -> String {
    let last = key.rsplit([':', '/']).next().unwrap_or(key);
    last.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A normalised key name that names, counts or describes ([`DESCRIBING_ENDINGS`]).
fn describes(normal: &str) -> bool {
    DESCRIBING_ENDINGS.iter().any(|e| normal.ends_with(e))
}

/// The members of a name/value pair (`{"key": "password", "value": "hunter2"}`, a tag, a
/// parameter, an environment variable): the name's members and the value's.
const PAIR_NAMES: &[&str] = &["key", "Key", "name", "Name", "parameterKey", "ParameterKey"];
const PAIR_VALUES: &[&str] = &["value", "Value", "parameterValue", "ParameterValue"];

/// Whether `map` is a name/value pair whose name is a secret's: its value is one.
fn is_secret_pair(map: &serde_json::Map<String, Value>) -> bool {
    PAIR_NAMES
        .iter()
        .filter_map(|k| map.get(*k).and_then(Value::as_str))
        .any(is_secret_key)
        && PAIR_VALUES.iter().any(|k| map.contains_key(*k))
}

/// The longest text kept from a record (names, user agents, error messages, …). IAM's own
/// limits are far below: names 64–128 characters, paths 512, descriptions 1,000.
pub const MAX_TEXT_BYTES: usize = 2_048;
/// The longest policy document kept: several times what IAM accepts (10,240 characters for
/// a role's inline policy, 6,144 for a managed one, before URL-encoding), so that every real
/// document is read whole and its findings computed on all of it.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;
/// Entries kept of one object or array.
pub const MAX_ITEMS: usize = 1_000;

/// `value` with secrets redacted and every part bounded (see the module documentation).
pub fn value(v: &Value) -> Value {
    let mut copy = v.clone();
    value_in_place(&mut copy);
    copy
}

/// [`value`] done to `v` itself: only what changes is written (the typed reading's raw
/// parts, which nothing else holds).
pub fn value_in_place(v: &mut Value) {
    walk_in_place(v, MAX_TEXT_BYTES);
}

fn walk_in_place(v: &mut Value, max_text: usize) {
    match v {
        Value::String(s) => bound(s, max_text),
        Value::Array(items) => {
            let more = items.len().saturating_sub(MAX_ITEMS);
            items.truncate(MAX_ITEMS);
            items.iter_mut().for_each(|i| walk_in_place(i, max_text));
            if more > 0 {
                items.push(Value::String(format!("(and {more} more items, cut)")));
            }
        }
        Value::Object(map) => {
            if is_secret_pair(map) {
                for k in PAIR_VALUES {
                    if let Some(v) = map.get_mut(*k) {
                        secret_in_place(v);
                    }
                }
            }
            let more = map.len().saturating_sub(MAX_ITEMS);
            if more > 0 || map.keys().any(|k| !is_bounded(k, MAX_TEXT_BYTES)) {
                // Keys cannot change in place: the map is written anew, each value judged by
                // its key as recorded, then the key bounded.
                *map = std::mem::take(map)
                    .into_iter()
                    .take(MAX_ITEMS)
                    .map(|(k, mut value)| {
                        entry_in_place(&k, &mut value, max_text);
                        (bounded(&k, MAX_TEXT_BYTES), value)
                    })
                    .collect();
            } else {
                for (k, value) in map.iter_mut() {
                    entry_in_place(k, value, max_text);
                }
            }
            if more > 0 {
                map.insert(
                    "(cut)".into(),
                    Value::String(format!("{more} more entries")),
                );
            }
        }
        _ => {}
    }
}

/// The value under `key` of an object: a secret under a secret key ([`secret_in_place`]),
/// bounded as a document under a document key, else bounded as text.
fn entry_in_place(key: &str, value: &mut Value, max_text: usize) {
    match value {
        _ if is_secret_key(key) => secret_in_place(value),
        _ if is_document_key(key) => walk_in_place(value, MAX_DOCUMENT_BYTES),
        _ => walk_in_place(value, max_text),
    }
    // An object under a secret key was walked: its own keys judge its values.
}

/// A value that is a secret: a string or number redacted; each item of a list a secret; in
/// an object, every value a secret but those whose keys name or describe one
/// ([`DESCRIBING_ENDINGS`]: `credentials` keeps its `accessKeyId` and `expiration`, a
/// `privateKey` object loses all of its `pem`); a boolean or null kept (they say nothing
/// secret).
fn secret_in_place(value: &mut Value) {
    match value {
        Value::Null | Value::Bool(_) => {}
        Value::Array(items) => {
            items.truncate(MAX_ITEMS);
            items.iter_mut().for_each(secret_in_place);
        }
        Value::Object(map) => {
            let more = map.len().saturating_sub(MAX_ITEMS);
            if more > 0 {
                *map = std::mem::take(map).into_iter().take(MAX_ITEMS).collect();
            }
            for (k, v) in map.iter_mut() {
                if describes(&normal_key(k)) {
                    entry_in_place(k, v, MAX_TEXT_BYTES);
                } else {
                    secret_in_place(v);
                }
            }
        }
        _ => *value = Value::String(REDACTED.into()),
    }
}

/// Keys holding a policy document (`policyDocument`, `assumeRolePolicyDocument`).
fn is_document_key(key: &str) -> bool {
    const END: &[u8] = b"policydocument";
    key.len()
        .checked_sub(END.len())
        .and_then(|start| key.as_bytes().get(start..))
        .is_some_and(|end| end.eq_ignore_ascii_case(END))
}

/// `s` cut to at most `max` bytes (plus the marker) at a character boundary, saying so.
pub fn cap(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max) + 48);
    push_capped(&mut out, s, max);
    out
}

/// [`cap`], appended to `out`.
pub fn push_capped(out: &mut String, s: &str, max: usize) {
    use std::fmt::Write;
    let (kept, cut) = cut_utf8(s, max);
    out.push_str(kept);
    if cut {
        let _ = write!(out, "[... cut: {} of {} bytes shown]", kept.len(), s.len());
    }
}

/// `s` cut in place to at most `max` bytes (plus the marker, as [`cap`]) when longer.
pub fn shorten(s: &mut String, max: usize) {
    if s.len() > max {
        *s = cap(s, max);
    }
}

/// [`shorten`] for a field that may be absent.
pub fn shorten_opt(s: &mut Option<String>, max: usize) {
    if let Some(s) = s {
        shorten(s, max);
    }
}

/// [`shorten`] for text that may be borrowed.
pub fn shorten_cow(s: &mut std::borrow::Cow<'_, str>, max: usize) {
    if s.len() > max {
        *s = std::borrow::Cow::Owned(cap(s, max));
    }
}

/// [`shorten_cow`] for a field that may be absent.
pub fn shorten_cow_opt(s: &mut Option<std::borrow::Cow<'_, str>>, max: usize) {
    if let Some(s) = s {
        shorten_cow(s, max);
    }
}

/// `s` with every secret masked: runs shaped like an AWS secret access key (exactly 40
/// characters of `A-Z a-z 0-9 / +`, with any `=` padding, holding upper case, lower case and
/// a digit; hex digests such as OIDC thumbprints and UUIDs do not have that shape), and every
/// shape of [`shapes`] (tokens, private keys, `name=secret` assignments, ...).
pub fn text(s: &str) -> String {
    masked(s).into_owned()
}

/// [`text`], borrowed when nothing is masked.
pub fn masked_text(s: &str) -> std::borrow::Cow<'_, str> {
    masked(s)
}

/// The characters of a secret access key's run: `A-Z a-z 0-9 / +` and `=` padding (a table:
/// every byte of every record is looked up). Built at compile time; `b` stays below 256.
#[allow(clippy::indexing_slicing)]
static IN_RUN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'/' || c == b'+' || c == b'=';
        b += 1;
    }
    table
};

/// [`text`] without a copy when nothing is masked (nearly always): runs shaped like an AWS
/// secret access key, then every shape of [`shapes`].
fn masked(s: &str) -> std::borrow::Cow<'_, str> {
    match key_runs_masked(s) {
        std::borrow::Cow::Borrowed(s) => shapes::mask(s, REDACTED),
        std::borrow::Cow::Owned(o) => {
            std::borrow::Cow::Owned(shapes::mask(&o, REDACTED).into_owned())
        }
    }
}

/// Runs shaped like an AWS secret access key, masked.
fn key_runs_masked(s: &str) -> std::borrow::Cow<'_, str> {
    let bytes = s.as_bytes();
    let in_run = |i: usize| {
        bytes
            .get(i)
            .is_some_and(|b| IN_RUN.get(usize::from(*b)).copied().unwrap_or(false))
    };
    let mut out: Option<String> = None;
    let mut copied = 0;
    // Only a run of at least SECRET_RUN characters can be a key. From `from` on (where the
    // byte before, if any, is not in a run), such a run would hold the byte SECRET_RUN - 1
    // further: when that byte is not in a run, the next SECRET_RUN bytes hold none, and the
    // search moves past them without reading them.
    let mut from: usize = 0;
    while let Some(probe) = from
        .checked_add(SECRET_RUN - 1)
        .filter(|p| *p < bytes.len())
    {
        if !in_run(probe) {
            from = probe + 1;
            continue;
        }
        let mut start = probe;
        while start > from && in_run(start - 1) {
            start -= 1;
        }
        let mut end = probe + 1;
        while in_run(end) {
            end += 1;
        }
        let run = s
            .get(start..end)
            .expect("invariant: a run of ASCII key characters lies on character boundaries");
        if looks_like_secret_key(run) {
            let buf = out.get_or_insert_with(|| String::with_capacity(s.len()));
            buf.push_str(
                s.get(copied..start)
                    .expect("invariant: runs are found in order, on character boundaries"),
            );
            buf.push_str(REDACTED);
            copied = end;
        }
        from = end + 1;
    }
    match out {
        Some(mut buf) => {
            buf.push_str(
                s.get(copied..)
                    .expect("invariant: the last run ends on a character boundary within s"),
            );
            std::borrow::Cow::Owned(buf)
        }
        None => std::borrow::Cow::Borrowed(s),
    }
}

/// The characters of a secret access key (before any `=` padding).
const SECRET_RUN: usize = 40;

/// `s` masked ([`text`]) and cut to `max` bytes ([`cap`]), in one allocation when neither
/// changes it.
pub fn bounded(s: &str, max: usize) -> String {
    let m = masked(s);
    if m.len() <= max {
        m.into_owned()
    } else {
        cap(&m, max)
    }
}

/// [`bounded`] done to `s` itself: written only when masking or cutting changes it.
pub fn bound(s: &mut String, max: usize) {
    if !is_bounded(s, max) {
        *s = bounded(s, max);
    }
}

/// [`bound`] for text that may be borrowed: a copy is made only when masking or cutting
/// changes it.
pub fn bound_cow(s: &mut std::borrow::Cow<'_, str>, max: usize) {
    if !is_bounded(s, max) {
        *s = std::borrow::Cow::Owned(bounded(s, max));
    }
}

/// Whether [`bounded`] leaves `s` as it is.
fn is_bounded(s: &str, max: usize) -> bool {
    s.len() <= max && matches!(masked(s), std::borrow::Cow::Borrowed(_))
}

fn looks_like_secret_key(run: &str) -> bool {
    let body = run.trim_end_matches('=');
    body.len() == SECRET_RUN
        && !body.contains('=')
        && body.bytes().any(|b| b.is_ascii_uppercase())
        && body.bytes().any(|b| b.is_ascii_lowercase())
        && body.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// Keys and texts that exercise every rule: secret keys in any spelling, document keys,
    /// secret-shaped and over-long keys and texts, hidden characters.
    fn tricky_text() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("newPassword".to_string()),
            Just("Secret_Access-KEY".to_string()),
            Just("assumeRolePOLICYDocument".to_string()),
            Just("policyDocument".to_string()),
            Just(KEY.to_string()),
            Just(format!("x {KEY}== y")),
            Just("é".repeat(1_100)),
            "[a-zA-Z_-]{0,20}",
            ".{0,30}",
        ]
    }

    fn tricky_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            tricky_text().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((tricky_text(), inner), 0..6)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    /// Whether no string, number or list of them under a secret-named key is left shown.
    fn nothing_secret_shown(v: &Value) -> bool {
        match v {
            Value::Array(items) => items.iter().all(nothing_secret_shown),
            Value::Object(map) => map.iter().all(|(k, v)| match v {
                Value::String(s) if is_secret_key(k) => s == REDACTED,
                Value::Number(_) => !is_secret_key(k),
                _ => nothing_secret_shown(v),
            }),
            _ => true,
        }
    }

    proptest! {
        /// Nothing under a secret key is left shown.
        #[test]
        fn redaction_is_complete(v in tricky_json()) {
            let once = value(&v);
            prop_assert!(nothing_secret_shown(&once), "{}", once);
        }
    }

    /// Every run of key characters looked at one by one: what `masked` skips through.
    fn masked_run_by_run(s: &str) -> String {
        let bytes = s.as_bytes();
        let in_run = |b: u8| b.is_ascii_alphanumeric() || b == b'/' || b == b'+' || b == b'=';
        let (mut out, mut copied, mut i) = (String::new(), 0, 0);
        while i < bytes.len() {
            if !in_run(bytes[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && in_run(bytes[i]) {
                i += 1;
            }
            if looks_like_secret_key(&s[start..i]) {
                out.push_str(&s[copied..start]);
                out.push_str(REDACTED);
                copied = i;
            }
        }
        out.push_str(&s[copied..]);
        out
    }

    proptest! {
        #[test]
        fn skipping_finds_every_key_run_by_run_does(
            parts in proptest::collection::vec(prop_oneof![
                Just(KEY.to_string()),
                Just(format!("{KEY}==")),
                Just(format!("A{KEY}")),
                "[A-Za-z0-9/+=]{30,45}",
                "[A-Za-z0-9/+=%é ]{0,12}",
                "[ %:\"é]{1,3}",
            ], 0..8)
        ) {
            let s = parts.concat();
            prop_assert_eq!(key_runs_masked(&s).into_owned(), masked_run_by_run(&s));
        }
    }

    #[test]
    fn long_lists_and_maps_keep_their_first_entries_and_say_how_many_more() {
        let list = Value::Array((0..MAX_ITEMS + 3).map(|i| json!(i)).collect());
        let cut = value(&list);
        assert_eq!(cut.as_array().unwrap().len(), MAX_ITEMS + 1);
        assert_eq!(cut[MAX_ITEMS], json!("(and 3 more items, cut)"));
        let map = Value::Object(
            (0..MAX_ITEMS + 2)
                .map(|i| (format!("k{i}"), json!(i)))
                .collect(),
        );
        let cut = value(&map);
        assert_eq!(cut.as_object().unwrap().len(), MAX_ITEMS + 1);
        assert_eq!(cut["(cut)"], json!("2 more entries"));
    }

    const KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    #[test]
    fn secret_keys_at_any_depth_and_in_any_case() {
        let v = value(&json!({
            "oldPassword": "hunter2", "NEW_PASSWORD": "x", "passwordResetRequired": true,
            "credentials": {"accessKeyId": "ASIAEXAMPLE", "secretAccessKey": "s", "sessionToken": "t"},
            "tokenCode": 123456, "authenticationCode1": "1", "list": [{"privateKey": {"pem": "k"}}],
            "minimumPasswordLength": 14, "secretId": "prod/db", "userName": "bob"
        }));
        assert_eq!(v["oldPassword"], REDACTED);
        assert_eq!(v["NEW_PASSWORD"], REDACTED);
        assert_eq!(v["passwordResetRequired"], true);
        assert_eq!(
            v["credentials"]["accessKeyId"], "ASIAEXAMPLE",
            "key IDs are identifiers"
        );
        assert_eq!(v["credentials"]["secretAccessKey"], REDACTED);
        assert_eq!(v["credentials"]["sessionToken"], REDACTED);
        assert_eq!(v["tokenCode"], REDACTED);
        assert_eq!(v["authenticationCode1"], REDACTED);
        assert_eq!(v["list"][0]["privateKey"]["pem"], REDACTED);
        assert_eq!(v["minimumPasswordLength"], 14);
        assert_eq!(v["secretId"], "prod/db");
        assert_eq!(v["userName"], "bob");
    }

    #[test]
    fn every_text_and_collection_is_bounded_documents_less_so() {
        let long = "é".repeat(5_000);
        let v = value(&json!({"roleName": long, "policyDocument": long,
                              "list": vec![1; MAX_ITEMS + 5]}));
        let name = v["roleName"].as_str().unwrap();
        assert!(name.len() < MAX_TEXT_BYTES + 64 && name.ends_with("of 10000 bytes shown]"));
        assert_eq!(
            v["policyDocument"],
            long.as_str(),
            "documents are kept whole"
        );
        let list = v["list"].as_array().unwrap();
        assert_eq!(list.len(), MAX_ITEMS + 1);
        assert_eq!(list[MAX_ITEMS], "(and 5 more items, cut)");
    }

    #[test]
    fn secret_shaped_text_is_masked_anywhere() {
        assert_eq!(
            text(&format!("key {KEY} leaked")),
            format!("key {REDACTED} leaked")
        );
        let v = value(&json!({"errorMessage": format!("bad {KEY}"), KEY: 1}));
        assert_eq!(v["errorMessage"], format!("bad {REDACTED}"));
        assert!(v.get(KEY).is_none(), "keys are text too");
        // Not secrets: a hex thumbprint, a UUID, an access key ID, a 41-character run.
        for kept in [
            "9e99a48a9960b14926bb7f3b02e22da2b0ab7280",
            "ea213924-0a93-5780-a003-1e99019cddaa",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYX",
        ] {
            assert_eq!(text(kept), kept);
        }
    }
}
