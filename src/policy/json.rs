//! A policy document's JSON: the tree serde_json reads (keys in document order, as the
//! `preserve_order` feature keeps them; of repeated keys, the last value in the first one's
//! place), written back as serde_json writes it.

use serde::{Serialize, Serializer};
use serde_json::Value;

/// A JSON policy document (usually an object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json(Value);

impl Json {
    /// The document `text` holds when it is a JSON object or array (whitespace around it
    /// allowed).
    pub fn read(text: &str) -> Option<Json> {
        let first = text.trim_start_matches([' ', '\t', '\n', '\r']);
        if !first.starts_with(['{', '[']) {
            return None;
        }
        serde_json::from_str(text).ok().map(masked).map(Json)
    }

    /// A document AWS wrote (an AWS managed policy from the built-in dataset): read as it is,
    /// nothing in it the watched person wrote, so nothing to mask.
    pub(super) fn read_aws(text: &str) -> Option<Json> {
        serde_json::from_str(text).ok().map(Json)
    }

    /// The document of a tree (of any JSON value: a request may carry one as an object).
    pub fn of(tree: &Value) -> Json {
        Json(masked(tree.clone()))
    }

    /// The tree.
    pub fn tree(&self) -> &Value {
        &self.0
    }

    /// The document indented as `serde_json::to_string_pretty` indents it (two spaces a
    /// level, `"key": value`, `{}` and `[]` when empty).
    pub fn pretty(&self) -> String {
        serde_json::to_string_pretty(&self.0).expect(
            "invariant: a serde_json::Value always serialises (string keys, finite numbers)",
        )
    }
}

/// `tree` with every secret-shaped string masked (`redact::text`): a document is read from
/// text (URL-decoded, or JSON in a string) after the record's texts were masked, so what it
/// holds is masked once more now that it can be seen. Keys are the policy language's (and
/// condition keys such as `token.actions.githubusercontent.com:sub`): only values are.
fn masked(mut tree: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::String(s) => {
                if let std::borrow::Cow::Owned(m) = crate::redact::masked_text(s) {
                    *s = m;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            Value::Object(map) => map.values_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut tree);
    tree
}

/// The JSON itself.
impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_read_as_serde_json_reads_it_and_written_as_it_writes_it() {
        let text = "{\n  \"Version\" : \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Effect\": \"Deny\", \"N\": 1.50, \"E\": \"\\u00e9\\/\"}\n}";
        let json = Json::read(text).unwrap();
        assert_eq!(
            json.tree().to_string(),
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","N":1.5,"E":"é/"}}"#
        );
        assert_eq!(
            json.pretty(),
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(text).unwrap()).unwrap()
        );
        assert_eq!(
            Json::read("  [1]").map(|j| j.tree().to_string()).as_deref(),
            Some("[1]")
        );
        for not_a_document in ["\"text\"", "1", "{", "{} x", "null"] {
            assert_eq!(Json::read(not_a_document), None, "{not_a_document}");
        }
    }
}
