//! Secrets never travel in an alert. CloudTrail usually redacts passwords, keys and tokens
//! itself, but not always, and other sources do not: before anything reads an event, every
//! value under a secret-like key (case-insensitive, at any depth) becomes `(redacted)`, and any
//! text shaped like an AWS secret access key is masked wherever it appears, error messages
//! included. Identifiers (access key IDs, ARNs, names) stay.

use serde_json::Value;

/// What a secret is replaced with.
pub const REDACTED: &str = "(redacted)";

/// Keys (lower-cased, without `_` and `-`) ending in one of these hold secrets: `oldPassword`,
/// `newPassword`, `secretAccessKey`, `sessionToken`, `tokenCode`, `authenticationCode1`,
/// `privateKey`, `clientSecret`, … A boolean under such a key (`passwordResetRequired` does not
/// end in one anyway) says nothing secret and is kept.
pub const SECRET_KEY_ENDINGS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "secretkey",
    "secretaccesskey",
    "secretstring",
    "secretbinary",
    "token",
    "tokencode",
    "authenticationcode1",
    "authenticationcode2",
    "privatekey",
    "apikey",
];

/// `true` when values under `key` are secrets.
pub fn is_secret_key(key: &str) -> bool {
    let normal: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_KEY_ENDINGS.iter().any(|end| normal.ends_with(end))
}

/// `value` with secrets redacted (see the module documentation).
pub fn value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(text(s)),
        Value::Array(items) => Value::Array(items.iter().map(value).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let kept = match v {
                        Value::Null | Value::Bool(_) => v.clone(),
                        _ if is_secret_key(k) => Value::String(REDACTED.into()),
                        _ => value(v),
                    };
                    (text(k), kept)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `s` with every run shaped like an AWS secret access key masked: exactly 40 characters of
/// `A-Z a-z 0-9 / +` (with any `=` padding) holding upper case, lower case and a digit.
/// Hex digests (OIDC thumbprints) and UUIDs do not have that shape.
pub fn text(s: &str) -> String {
    let bytes = s.as_bytes();
    let in_run = |b: u8| b.is_ascii_alphanumeric() || b == b'/' || b == b'+' || b == b'=';
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes.get(i).copied().is_some_and(in_run) {
            i += 1;
            continue;
        }
        let start = i;
        while bytes.get(i).copied().is_some_and(in_run) {
            i += 1;
        }
        let run = s.get(start..i).unwrap_or_default();
        if looks_like_secret_key(run) {
            let buf = out.get_or_insert_with(|| String::with_capacity(s.len()));
            buf.push_str(s.get(copied..start).unwrap_or_default());
            buf.push_str(REDACTED);
            copied = i;
        }
    }
    match out {
        Some(mut buf) => {
            buf.push_str(s.get(copied..).unwrap_or_default());
            buf
        }
        None => s.to_string(),
    }
}

fn looks_like_secret_key(run: &str) -> bool {
    let body = run.trim_end_matches('=');
    body.len() == 40
        && !body.contains('=')
        && body.bytes().any(|b| b.is_ascii_uppercase())
        && body.bytes().any(|b| b.is_ascii_lowercase())
        && body.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        assert_eq!(v["list"][0]["privateKey"], REDACTED);
        assert_eq!(v["minimumPasswordLength"], 14);
        assert_eq!(v["secretId"], "prod/db");
        assert_eq!(v["userName"], "bob");
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
