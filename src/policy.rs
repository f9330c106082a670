//! Policy documents as CloudTrail records them: URL-encoded JSON (`%7B%22Version…`), JSON in
//! a string (sometimes pretty-printed), or a JSON object. Decoded for display only.

use serde_json::Value;

/// A decoded policy document.
#[derive(Debug, Clone, PartialEq)]
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
