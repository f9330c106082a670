//! Secrets never leave (issue 30): a secret of any supported shape, put into any string field
//! of any sample (at any position between its characters), into a tag's value or a tag named
//! like a secret, into a policy document URL-encoded as CloudTrail records it or as JSON in a
//! string, never appears in any output: the subject, the text, the machine document, every
//! protocol's body and the Amazon Q message, in both formats. And what admins need stays:
//! ARNs, account ids, access key ids, names and request ids of every sample and real record.

mod common;

use iam_notify::delivery::{ChatFormat, publish_request};
use iam_notify::{Format, render_json};
use proptest::prelude::*;
use proptest::string::string_regex;
use serde_json::{Value, json};

/// A secret as it may be written, and the part of it that must never be seen.
#[derive(Debug, Clone)]
struct Secret {
    written: String,
    core: Vec<String>,
}

fn shaped(pattern: &str) -> BoxedStrategy<Secret> {
    string_regex(pattern)
        .unwrap()
        .prop_map(|s| Secret {
            core: vec![s.clone()],
            written: s,
        })
        .boxed()
}

fn secret() -> impl Strategy<Value = Secret> {
    prop_oneof![
        // An AWS secret access key: 40 of A-Z a-z 0-9 / +, with each kind of character.
        string_regex("[A-Z][a-z][0-9][A-Za-z0-9/+]{37}")
            .unwrap()
            .prop_map(|s| Secret {
                core: vec![s.clone()],
                written: s
            }),
        shaped("IQoJb3JpZ2luX2VjE[A-Za-z0-9/+]{120}"),
        shaped("gh[pousr]_[A-Za-z0-9]{36}"),
        shaped("github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}"),
        shaped("glpat-[A-Za-z0-9_]{20}"),
        shaped("xox[bp]-[0-9]{11}-[0-9]{12}-[A-Za-z0-9]{24}"),
        shaped("[sr]k_live_[0-9a-zA-Z]{24}"),
        shaped("AIza[0-9A-Za-z_]{35}"),
        shaped("eyJ[A-Za-z0-9_]{16}\\.eyJ[A-Za-z0-9_]{24}\\.[A-Za-z0-9_]{43}"),
        shaped("SG\\.[a-zA-Z0-9_]{22}\\.[a-zA-Z0-9_]{43}"),
        shaped("npm_[A-Za-z0-9]{36}").prop_map(|s| Secret {
            written: format!("//registry.npmjs.org/:_authToken={}", s.written),
            core: s.core,
        }),
        // A private key block, its body lines each a secret.
        proptest::collection::vec(string_regex("[A-Za-z0-9+/]{64}").unwrap(), 2..4).prop_map(
            |lines| Secret {
                written: format!(
                    "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
                    lines.join("\n")
                ),
                core: lines,
            }
        ),
        // `name=secret`, in any of the names' spellings.
        (
            proptest::sample::select(vec![
                "password",
                "aws_secret_access_key",
                "DB_PASSWORD",
                "apiKey",
                "client-secret",
                "token",
            ]),
            proptest::sample::select(vec!["=", ": ", "="]),
            string_regex("[A-Za-z0-9!@#%^*]{10,20}").unwrap()
        )
            .prop_map(|(name, sep, value)| Secret {
                written: format!("{name}{sep}{value}"),
                core: vec![value],
            }),
    ]
}

/// Every string leaf of `v`, by its path.
fn string_paths(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::String(_) => out.push(path.clone()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(json!(i));
                string_paths(item, path, out);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                path.push(json!(k));
                string_paths(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |v, step| match step {
        Value::String(k) => &mut v[k.as_str()],
        Value::Number(i) => &mut v[i.as_u64().unwrap() as usize],
        _ => unreachable!(),
    })
}

/// Everything the function would send for `event`, in both formats and every chat format.
fn everything_sent(event: &Value) -> String {
    let mut all = String::new();
    for format in [Format::Rich, Format::Classic] {
        let Ok(n) = render_json(&event.to_string(), format) else {
            continue;
        };
        for chat in ChatFormat::ALL {
            let r = publish_request(&n, chat);
            all.push_str(&serde_json::to_string(&r.subject).unwrap());
            all.push_str(&r.message);
            all.push_str(&serde_json::to_string(&r.attributes).unwrap());
        }
    }
    all
}

/// The secret's core, in none of the forms an output may carry it.
fn assert_gone(sent: &str, secret: &Secret, how: &str) -> Result<(), TestCaseError> {
    for core in &secret.core {
        let escaped = serde_json::to_string(core).unwrap();
        let escaped = escaped.trim_matches('"');
        let twice = serde_json::to_string(escaped).unwrap();
        for form in [core.as_str(), escaped, twice.trim_matches('"')] {
            prop_assert!(
                !sent.contains(form),
                "{how}: {:?} leaked ({form:?})",
                secret.written
            );
        }
    }
    Ok(())
}

const SEPARATORS: &[&str] = &[" ", ", ", "\n", " (", "\t", "; "];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn no_secret_of_any_shape_leaves_from_any_field(
        which in any::<prop::sample::Index>(),
        field in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        sep in proptest::sample::select(SEPARATORS),
        secret in secret(),
    ) {
        let samples = common::samples();
        let (name, mut event) = samples[which.index(samples.len())].clone();
        let mut paths = Vec::new();
        string_paths(&event, &mut Vec::new(), &mut paths);
        let path = &paths[field.index(paths.len())];
        let slot = at(&mut event, path);
        let old = slot.as_str().unwrap().to_string();
        let mut i = cut.index(old.len() + 1);
        while !old.is_char_boundary(i) {
            i -= 1;
        }
        *slot = json!(format!("{}{sep}{}{sep}{}", &old[..i], secret.written, &old[i..]));
        assert_gone(&everything_sent(&event), &secret, &format!("{name} at {path:?}"))?;
    }

    #[test]
    fn no_secret_leaves_from_a_tag_or_a_policy_document(
        secret in secret(),
        tag_name in proptest::sample::select(vec!["password", "DbPassword", "api-key", "Notes", "PrivateKeyPem"]),
        encoded in any::<bool>(),
    ) {
        // A tag whose value is the secret (named like one or not), and a tag named like a
        // secret whose value is a plain word.
        let mut tagged = common::sample("CreateUser");
        tagged["detail"]["requestParameters"]["tags"] = json!([
            {"key": "team", "value": format!("data {} end", secret.written)},
            {"key": tag_name, "value": secret.written},
        ]);
        assert_gone(&everything_sent(&tagged), &secret, "a tag's value")?;
        // The secret in a policy's condition, the document URL-encoded (as CloudTrail records
        // it) or JSON in a string.
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/note": secret.written}}}]})
        .to_string();
        let mut policy = common::sample("PutRolePolicy");
        policy["detail"]["requestParameters"]["policyDocument"] = if encoded {
            json!(urlencoding::encode(&doc))
        } else {
            json!(doc)
        };
        assert_gone(&everything_sent(&policy), &secret, "a policy document")?;
    }
}

#[test]
fn a_pair_named_like_a_secret_has_its_value_redacted_and_its_name_kept() {
    use iam_notify::redact::value;
    let tags = json!({"tags": [
        {"key": "password", "value": "hunter2"},
        {"Key": "team", "Value": "data"},
        {"name": "DB_PASSWORD", "value": "s3cr3t!"},
        {"ParameterKey": "ApiKey", "ParameterValue": "abc123"},
    ]});
    assert_eq!(
        value(&tags),
        json!({"tags": [
            {"key": "password", "value": "(redacted)"},
            {"Key": "team", "Value": "data"},
            {"name": "DB_PASSWORD", "value": "(redacted)"},
            {"ParameterKey": "ApiKey", "ParameterValue": "(redacted)"},
        ]})
    );
    // Under a secret-named key: strings and numbers redacted, lists item by item, objects by
    // their own keys (an access key id stays), booleans kept.
    let nested = json!({"credentials": {"accessKeyId": "ASIAEXAMPLE", "secretAccessKey": "x"},
        "passwords": ["a", "b"], "passwordResetRequired": true, "pin": 1234});
    assert_eq!(
        value(&nested),
        json!({"credentials": {"accessKeyId": "ASIAEXAMPLE", "secretAccessKey": "(redacted)"},
            "passwords": ["(redacted)", "(redacted)"], "passwordResetRequired": true, "pin": 1234})
    );
    let mut event = common::sample("CreateUser");
    event["detail"]["requestParameters"]["tags"] = tags["tags"].clone();
    let sent = everything_sent(&event);
    for secret in ["hunter2", "s3cr3t!", "abc123"] {
        assert!(!sent.contains(secret), "{secret}: {sent}");
    }
}

#[test]
fn key_names_are_judged_by_pattern() {
    use iam_notify::redact::is_secret_key;
    for secret in [
        "PrivateKeyPem",
        "clientSecretValue",
        "passwordData",
        "Authorization",
        "newPassword",
        "secretAccessKey",
        "sessionToken",
        "tokenCode",
        "DB_PASSWORD",
        "x-api-key",
        "aws:RequestTag/password",
    ] {
        assert!(is_secret_key(secret), "{secret}");
    }
    for not_secret in [
        "accessKeyId",
        "secretId",
        "SecretArn",
        "tokenType",
        "maxPasswordAge",
        "passwordReusePrevention",
        "sessionCredentialFromConsole",
        "token.actions.githubusercontent.com:sub",
        "sessionContext",
        "userName",
        "policyDocument",
    ] {
        assert!(!is_secret_key(not_secret), "{not_secret}");
    }
}

/// What admins need stays readable: no sample or real record (none carries a secret:
/// CloudTrail hides passwords itself) has anything taken for one, in any output, so every
/// ARN, account id, access key id, name and request id in them is shown as recorded.
#[test]
fn identifiers_are_never_taken_for_secrets() {
    let mut records = common::samples();
    records.extend(common::json_files(&common::fixture("real-cloudtrail")));
    // The samples that carry secrets on purpose, to show them masked.
    const CARRYING_SECRETS: &[&str] = &[
        "CreateUser-tags-carrying-secrets-are-masked.json",
        "PutRolePolicy-secret-in-url-encoded-document-masked-after-decoding.json",
        "AttachRolePolicy-denied-error-message-carrying-a-token.json",
    ];
    let mut checked = 0;
    for (name, event) in records {
        let sent = everything_sent(&event);
        if sent.is_empty() || CARRYING_SECRETS.contains(&name.as_str()) {
            continue;
        }
        checked += 1;
        assert!(
            !sent.contains("(redacted)"),
            "{name}: something was redacted in a record that holds no secret"
        );
        for id in ["arn", "accountId"] {
            if let Some(v) = event["detail"]["userIdentity"][id].as_str() {
                assert!(sent.contains(v), "{name}: {id} {v} is shown as recorded");
            }
        }
    }
    assert!(checked > 100, "{checked}");
}
