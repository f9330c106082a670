//! Policy documents as CloudTrail records them: URL-encoded JSON (`%7B%22Version…`), JSON in
//! a string (sometimes pretty-printed), or a JSON object. Decoded for display only.

use crate::severity::Finding;
use serde_json::Value;

/// A decoded policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    /// Parsed JSON.
    Json(Value),
    /// Text that is not JSON, even after URL-decoding: shown as recorded.
    Text(String),
}

/// Decodes a recorded policy document.
pub fn decode(raw: &Value) -> Document {
    match raw {
        Value::String(s) => decode_text(s),
        other => Document::Json(other.clone()),
    }
}

fn decode_text(s: &str) -> Document {
    if let Ok(v) = serde_json::from_str::<Value>(s) {
        if v.is_object() || v.is_array() {
            return Document::Json(v);
        }
    }
    if s.contains('%') {
        if let Ok(decoded) = urlencoding::decode(s) {
            if let Ok(v) = serde_json::from_str::<Value>(&decoded) {
                if v.is_object() || v.is_array() {
                    return Document::Json(v);
                }
            }
            return Document::Text(decoded.into_owned());
        }
    }
    Document::Text(s.to_string())
}

/// The document as indented text, ready for a plain-text body.
pub fn pretty(doc: &Document) -> String {
    match doc {
        Document::Json(v) => serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string()),
        Document::Text(t) => t.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

    #[test]
    fn url_encoded_json_string_and_object_decode_alike() {
        let expected = Document::Json(serde_json::from_str(POLICY).unwrap());
        let encoded = urlencoding::encode(POLICY).into_owned();
        assert_eq!(decode(&json!(encoded)), expected);
        assert_eq!(decode(&json!(POLICY)), expected);
        assert_eq!(decode(&serde_json::from_str(POLICY).unwrap()), expected);
        let pretty_string = "{\n\t\"Version\": \"2012-10-17\",\n\t\"Statement\": [{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]\n}";
        assert_eq!(decode(&json!(pretty_string)), expected);
    }

    #[test]
    fn non_json_is_kept_as_text() {
        assert_eq!(
            decode(&json!("not json")),
            Document::Text("not json".into())
        );
        assert_eq!(
            decode(&json!("100%25 text")),
            Document::Text("100% text".into())
        );
        assert_eq!(decode(&json!("%ZZ")), Document::Text("%ZZ".into()));
    }

    #[test]
    fn pretty_prints_with_indentation() {
        let text = pretty(&decode(&json!(POLICY)));
        assert!(
            text.starts_with("{\n  \"Version\": \"2012-10-17\""),
            "{text}"
        );
    }
}

/// Whether a document grants permissions or says who may assume a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Permissions,
    Trust,
}

/// Actions that let their holder raise its own privileges (matched with IAM's wildcards).
const ESCALATION: &[&str] = &[
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AddUserToGroup",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
];

/// Conditions that keep another account's trust to a known caller.
const TRUST_GUARDS: &[&str] = &[
    "sts:externalid",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceorgid",
];

/// Risky grants in a decoded document, one finding per kind of risk. Text that is not JSON
/// has none (IAM rejects it; the call failed).
pub fn findings(doc: &Document, kind: DocKind, own_account: Option<&str>) -> Vec<Finding> {
    let Document::Json(v) = doc else {
        return Vec::new();
    };
    let statements: Vec<&Value> = match v.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    let allows = statements
        .into_iter()
        .filter(|s| s.get("Effect").and_then(Value::as_str) == Some("Allow"));
    let mut out: Vec<Finding> = Vec::new();
    let mut push = |f: Finding| {
        if !out.iter().any(|o| o.rule == f.rule && o.reason == f.reason) {
            out.push(f);
        }
    };
    let mut escalation: Vec<String> = Vec::new();
    let mut any_pass_role = false;
    let mut create_function = false;
    for s in allows {
        let actions = strings(s.get("Action"));
        let resources = strings(s.get("Resource"));
        let on_everything = resources.iter().any(|r| r == "*") || s.get("NotResource").is_some();
        match kind {
            DocKind::Permissions => {
                if s.get("NotAction").is_some() || s.get("NotResource").is_some() {
                    push(Finding::new(
                        "allow-not-action",
                        "Allow with NotAction/NotResource grants everything not listed",
                    ));
                }
                for a in &actions {
                    let lower = a.to_ascii_lowercase();
                    if on_everything && lower == "*" {
                        push(Finding::new(
                            "allow-all",
                            "allows every action (\"*\") on every resource",
                        ));
                    } else if on_everything && lower == "iam:*" {
                        push(Finding::new(
                            "allow-iam-all",
                            "allows iam:* on every resource: full control of IAM",
                        ));
                    } else if on_everything && lower.ends_with(":*") && !lower.contains('?') {
                        push(Finding::new(
                            "allow-service-all",
                            format!("allows {a} on every resource"),
                        ));
                    }
                    if on_everything
                        && lower != "*"
                        && lower != "iam:*"
                        && wildcard_match(&lower, "iam:passrole")
                    {
                        push(Finding::new(
                            "pass-role-any",
                            format!("allows {a} (iam:PassRole) on every role"),
                        ));
                    }
                    // `*` and `iam:*` are already critical findings of their own.
                    if lower != "*" && lower != "iam:*" {
                        any_pass_role |= wildcard_match(&lower, "iam:passrole");
                        create_function |= wildcard_match(&lower, "lambda:createfunction");
                        for e in ESCALATION {
                            if wildcard_match_ci(&lower, e) && !escalation.iter().any(|x| x == e) {
                                escalation.push((*e).to_string());
                            }
                        }
                        if on_everything
                            && wildcard_match(&lower, "sts:assumerole")
                            && !escalation.iter().any(|x| x == "sts:AssumeRole on *")
                        {
                            escalation.push("sts:AssumeRole on *".into());
                        }
                    }
                }
            }
            DocKind::Trust => {
                let guarded = s
                    .get("Condition")
                    .and_then(Value::as_object)
                    .is_some_and(|ops| {
                        ops.values().filter_map(Value::as_object).any(|keys| {
                            keys.keys()
                                .any(|k| TRUST_GUARDS.contains(&k.to_ascii_lowercase().as_str()))
                        })
                    });
                let principal = s.get("Principal");
                let aws = match principal {
                    Some(Value::String(p)) => vec![p.clone()],
                    Some(Value::Object(o)) => strings(o.get("AWS")),
                    _ => Vec::new(),
                };
                if aws.iter().any(|p| p == "*") {
                    push(Finding::new(
                        "trust-anyone",
                        if s.get("Condition").is_some() {
                            "any principal (\"*\") may assume the role, limited only by its Condition"
                        } else {
                            "any principal (\"*\") in any account may assume the role"
                        },
                    ));
                }
                for p in aws.iter().filter(|p| *p != "*") {
                    if let Some(account) = principal_account(p) {
                        if Some(account) != own_account && !guarded {
                            push(Finding::new(
                                "trust-other-account",
                                format!(
                                    "account {account} may assume the role with no sts:ExternalId or organization condition"
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
    if any_pass_role && create_function && !escalation.iter().any(|x| x.starts_with("lambda")) {
        escalation.push("lambda:CreateFunction with iam:PassRole".into());
    }
    if !escalation.is_empty() {
        push(Finding::new(
            "privilege-escalation",
            format!(
                "grants privilege escalation paths: {}",
                escalation.join(", ")
            ),
        ));
    }
    out
}

/// `wildcard_match` of a lower-cased pattern against an action name in any case, without
/// allocating when the pattern has no wildcard (the common case).
fn wildcard_match_ci(lower_pattern: &str, action: &str) -> bool {
    if !lower_pattern.contains(['*', '?']) {
        return lower_pattern.eq_ignore_ascii_case(action);
    }
    wildcard_match(lower_pattern, &action.to_ascii_lowercase())
}

/// A string or a list of strings.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// The account of an AWS principal: a 12-digit id or the account field of an ARN.
fn principal_account(p: &str) -> Option<&str> {
    let account = if p.starts_with("arn:") {
        p.split(':').nth(4)?
    } else {
        p
    };
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// IAM's action wildcards: `*` any run of characters, `?` one character (case-insensitive
/// callers lower-case both sides). Byte-wise: action names are ASCII; no allocation.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    if !p.contains(&b'*') && !p.contains(&b'?') {
        return p == t;
    }
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(c) if *c == b'?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == b'*'))
}

#[cfg(test)]
mod risk_tests {
    use super::*;
    use serde_json::json;

    fn rules(doc: Value, kind: DocKind) -> Vec<&'static str> {
        findings(&Document::Json(doc), kind, Some("111122223333"))
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    fn allow(action: Value, resource: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
    }

    #[test]
    fn allow_all_iam_all_and_service_wildcards() {
        assert_eq!(
            rules(allow(json!("*"), json!("*")), DocKind::Permissions),
            ["allow-all"]
        );
        assert_eq!(
            rules(allow(json!(["iam:*"]), json!("*")), DocKind::Permissions),
            ["allow-iam-all"]
        );
        assert_eq!(
            rules(allow(json!("s3:*"), json!("*")), DocKind::Permissions),
            ["allow-service-all"]
        );
        assert!(
            rules(
                allow(json!("s3:*"), json!("arn:aws:s3:::b/*")),
                DocKind::Permissions
            )
            .is_empty()
        );
        let deny = json!({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}});
        assert!(rules(deny, DocKind::Permissions).is_empty());
    }

    #[test]
    fn pass_role_on_everything() {
        assert_eq!(
            rules(
                allow(json!("iam:PassRole"), json!("*")),
                DocKind::Permissions
            ),
            ["pass-role-any"]
        );
        assert_eq!(
            rules(allow(json!("iam:Pass*"), json!("*")), DocKind::Permissions),
            ["pass-role-any"]
        );
        assert!(
            rules(
                allow(json!("iam:PassRole"), json!("arn:aws:iam::1:role/app")),
                DocKind::Permissions
            )
            .is_empty()
        );
    }

    #[test]
    fn not_action_with_allow() {
        let doc =
            json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]});
        assert_eq!(rules(doc, DocKind::Permissions), ["allow-not-action"]);
    }

    #[test]
    fn escalation_actions_are_named() {
        let f = findings(
            &Document::Json(allow(
                json!([
                    "iam:CreatePolicyVersion",
                    "iam:Put*Policy",
                    "sts:AssumeRole"
                ]),
                json!("*"),
            )),
            DocKind::Permissions,
            None,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "privilege-escalation");
        assert_eq!(
            f[0].reason,
            "grants privilege escalation paths: iam:CreatePolicyVersion, iam:PutRolePolicy, iam:PutUserPolicy, iam:PutGroupPolicy, sts:AssumeRole on *"
        );
        let lambda = json!({"Statement": [
            {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/fn"}]});
        let f = findings(&Document::Json(lambda), DocKind::Permissions, None);
        assert_eq!(
            f[0].reason,
            "grants privilege escalation paths: lambda:CreateFunction with iam:PassRole"
        );
    }

    #[test]
    fn trust_anyone_and_other_accounts() {
        let trust = |principal: Value, condition: Option<Value>| {
            let mut s =
                json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"});
            if let Some(c) = condition {
                s["Condition"] = c;
            }
            json!({"Statement": [s]})
        };
        assert_eq!(
            rules(trust(json!("*"), None), DocKind::Trust),
            ["trust-anyone"]
        );
        assert_eq!(
            rules(trust(json!({"AWS": "*"}), None), DocKind::Trust),
            ["trust-anyone"]
        );
        assert_eq!(
            rules(
                trust(json!({"AWS": "arn:aws:iam::999988887777:root"}), None),
                DocKind::Trust
            ),
            ["trust-other-account"]
        );
        let external = json!({"StringEquals": {"sts:ExternalId": "x"}});
        assert!(
            rules(
                trust(json!({"AWS": "999988887777"}), Some(external)),
                DocKind::Trust
            )
            .is_empty()
        );
        assert!(
            rules(
                trust(json!({"AWS": "arn:aws:iam::111122223333:root"}), None),
                DocKind::Trust
            )
            .is_empty()
        );
        assert!(
            rules(
                trust(json!({"Service": "lambda.amazonaws.com"}), None),
                DocKind::Trust
            )
            .is_empty()
        );
    }

    #[test]
    fn wildcards_follow_iam() {
        assert!(wildcard_match("iam:*", "iam:passrole"));
        assert!(wildcard_match("iam:p?ssrole", "iam:passrole"));
        assert!(wildcard_match("*role*", "iam:passrole"));
        assert!(!wildcard_match("iam:put*", "iam:passrole"));
        assert!(!wildcard_match("iam:passrol", "iam:passrole"));
    }
}
