//! A document's statements, read from its compact JSON text (a [`super::Json`]'s: no
//! whitespace, no repeated keys) by hand, borrowing from it; and from its tree, which says
//! what they are (and reads a text the hand reader does not take, which never happens to
//! text serde_json wrote). Leniently: an element of the wrong type counts as absent (IAM
//! would reject such a document; the alert still reports what it can).
//!
//! serde_json's reader, with a visitor per element, took a large document twice as long.

use super::Statement;
use super::json::string_end;
use serde_json::Value;
use std::borrow::Cow;

/// The statements of a document's compact text, or none when it is not such text.
pub(super) fn by_hand(text: &str) -> Option<Vec<Statement<'_>>> {
    let mut found = Vec::new();
    each_by_hand(text, &mut |s| found.push(s))?;
    Some(found)
}

/// Each statement of a document's compact text in turn, as it is read (none collected, none
/// moved); none when it is not such text (then the statements read before it was found not
/// to be have been given).
pub(super) fn each_by_hand<'a>(text: &'a str, each: &mut dyn FnMut(Statement<'a>)) -> Option<()> {
    let mut c = Cursor { text, i: 0 };
    if c.peek() == Some(b'{') {
        c.object(|c, key| {
            if key == "Statement" {
                c.statements(each)
            } else {
                c.skip()
            }
        })?;
    } else {
        c.skip()?;
    }
    (c.i == text.len()).then_some(())
}

/// The statements of a document's tree: `Statement` as a list (an element that is not an
/// object is a statement of nothing) or one object.
pub(super) fn from_the_tree(doc: &Value) -> Vec<Statement<'_>> {
    fn one_or_many(v: Option<&Value>) -> Vec<Cow<'_, str>> {
        match v {
            Some(Value::String(s)) => vec![Cow::Borrowed(s.as_str())],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(Cow::Borrowed)
                .collect(),
            _ => Vec::new(),
        }
    }
    fn read(v: &Value) -> Statement<'_> {
        let mut s = Statement::default();
        for (key, value) in v.as_object().into_iter().flatten() {
            match key.as_str() {
                "Effect" => s.allow = value.as_str() == Some("Allow"),
                "Action" => s.actions = one_or_many(Some(value)),
                "NotAction" => s.not_action = true,
                "Resource" => s.resources = one_or_many(Some(value)),
                "NotResource" => s.not_resource = true,
                "Principal" => match value {
                    Value::String(p) => s.aws_principals = vec![Cow::Borrowed(p.as_str())],
                    Value::Object(o) => {
                        s.aws_principals = one_or_many(o.get("AWS"));
                        s.federated = one_or_many(o.get("Federated"));
                        s.services = one_or_many(o.get("Service"));
                    }
                    _ => {}
                },
                "NotPrincipal" => s.not_principal = true,
                "Condition" => {
                    s.has_condition = true;
                    s.condition_keys = value
                        .as_object()
                        .map(|ops| {
                            ops.values()
                                .filter_map(Value::as_object)
                                .flat_map(|keys| keys.keys().map(|k| Cow::Borrowed(k.as_str())))
                                .collect()
                        })
                        .unwrap_or_default();
                }
                _ => {}
            }
        }
        s
    }
    match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().map(read).collect(),
        Some(one @ Value::Object(_)) => vec![read(one)],
        _ => Vec::new(),
    }
}

/// A position in compact JSON text. Each reading method returns none on anything else.
struct Cursor<'a> {
    text: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.i).copied()
    }

    /// Moves past `byte`, which must come next.
    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.i += 1)
    }

    /// The string here: borrowed unless it has escapes.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.i;
        self.expect(b'"')?;
        let (end, escaped) = string_end(self.text.as_bytes(), self.i)?;
        self.i = end;
        let literal = self.text.get(start..end)?;
        if escaped {
            serde_json::from_str::<String>(literal).ok().map(Cow::Owned)
        } else {
            literal.get(1..literal.len() - 1).map(Cow::Borrowed)
        }
    }

    /// The string here, or none for any other value (skipped).
    fn text(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.peek() == Some(b'"') {
            return self.string().map(Some);
        }
        self.skip().map(|()| None)
    }

    /// Moves past the value here.
    fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth = depth.checked_sub(1)?,
                        _ => {}
                    }
                    self.i += 1;
                    if depth == 0 {
                        return Some(());
                    }
                }
            }
            _ => {
                let rest = self.text.as_bytes().get(self.i..)?;
                let len = rest
                    .iter()
                    .position(|b| matches!(b, b',' | b'}' | b']'))
                    .unwrap_or(rest.len());
                (len > 0).then(|| self.i += len)
            }
        }
    }

    /// The object here, `each` reading each key's value.
    fn object(
        &mut self,
        mut each: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>,
    ) -> Option<()> {
        self.expect(b'{')?;
        if self.expect(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            each(self, key)?;
            if self.expect(b',').is_none() {
                return self.expect(b'}');
            }
        }
    }

    /// The list here, `each` reading each element.
    fn list(&mut self, mut each: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.expect(b'[')?;
        if self.expect(b']').is_some() {
            return Some(());
        }
        loop {
            each(self)?;
            if self.expect(b',').is_none() {
                return self.expect(b']');
            }
        }
    }

    /// `Statement`'s value, each statement given to `each`: a list of statements, one
    /// statement, or (any other value) none.
    fn statements(&mut self, each: &mut dyn FnMut(Statement<'a>)) -> Option<()> {
        match self.peek() {
            Some(b'[') => self.list(|c| {
                each(c.statement()?);
                Some(())
            }),
            Some(b'{') => {
                each(self.statement()?);
                Some(())
            }
            _ => self.skip(),
        }
    }

    /// One statement (a value that is not an object is a statement of nothing).
    fn statement(&mut self) -> Option<Statement<'a>> {
        let mut s = Statement::default();
        if self.peek() != Some(b'{') {
            self.skip()?;
            return Some(s);
        }
        self.object(|c, key| {
            match key.as_ref() {
                "Effect" => s.allow = c.text()?.as_deref() == Some("Allow"),
                "Action" => s.actions = c.one_or_many()?,
                "NotAction" => s.not_action = c.skip().map(|()| true)?,
                "Resource" => s.resources = c.one_or_many()?,
                "NotResource" => s.not_resource = c.skip().map(|()| true)?,
                "Principal" => match c.peek() {
                    Some(b'"') => s.aws_principals = vec![c.string()?],
                    Some(b'{') => c.object(|c, key| {
                        match key.as_ref() {
                            "AWS" => s.aws_principals = c.one_or_many()?,
                            "Federated" => s.federated = c.one_or_many()?,
                            "Service" => s.services = c.one_or_many()?,
                            _ => c.skip()?,
                        }
                        Some(())
                    })?,
                    _ => c.skip()?,
                },
                "NotPrincipal" => s.not_principal = c.skip().map(|()| true)?,
                "Condition" => {
                    s.has_condition = true;
                    if c.peek() == Some(b'{') {
                        let mut keys = Vec::new();
                        c.object(|c, _| {
                            if c.peek() == Some(b'{') {
                                c.object(|c, key| {
                                    keys.push(key);
                                    c.skip()
                                })
                            } else {
                                c.skip()
                            }
                        })?;
                        s.condition_keys = keys;
                    } else {
                        c.skip()?;
                    }
                }
                _ => c.skip()?,
            }
            Some(())
        })?;
        Some(s)
    }

    /// A string or a list of strings (the list's other elements skipped); none for any other
    /// value.
    fn one_or_many(&mut self) -> Option<Vec<Cow<'a, str>>> {
        match self.peek() {
            Some(b'"') => Some(vec![self.string()?]),
            Some(b'[') => {
                let mut out = Vec::new();
                self.list(|c| {
                    out.extend(c.text()?);
                    Some(())
                })?;
                Some(out)
            }
            _ => self.skip().map(|()| Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::json::tests::{Node, node, word, written};
    use super::super::{Json, statements};
    use super::*;
    use proptest::prelude::*;

    /// One of `names` mostly, else any word.
    fn name(names: &'static [&'static str]) -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(names).prop_map(str::to_string),
            1 => word(),
        ]
    }

    /// A statement's element: any value, a string or a list of them (some not strings), or
    /// an object of such lists (principals), or of objects (conditions).
    fn element() -> impl Strategy<Value = Node> {
        let strings = prop::collection::vec(
            prop_oneof![3 => word().prop_map(Node::Text), 1 => node()],
            0..4,
        )
        .prop_map(Node::List);
        let value = prop_oneof![word().prop_map(Node::Text), strings, node()];
        let principals = prop::collection::vec(
            (name(&["AWS", "Federated", "Service"]), value.clone()),
            0..4,
        );
        let condition = prop::collection::vec(
            (
                word(),
                prop_oneof![
                    3 => prop::collection::vec((word(), value.clone()), 0..3).prop_map(Node::Object),
                    1 => node(),
                ],
            ),
            0..3,
        );
        prop_oneof![
            2 => value,
            1 => principals.prop_map(Node::Object),
            1 => condition.prop_map(Node::Object),
        ]
    }

    fn statement() -> impl Strategy<Value = Node> {
        let keys: &'static [&'static str] = &[
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Principal",
            "NotPrincipal",
            "Condition",
            "Sid",
        ];
        prop_oneof![
            6 => prop::collection::vec((name(keys), element()), 0..8).prop_map(Node::Object),
            1 => node(),
        ]
    }

    fn document() -> impl Strategy<Value = Node> {
        let body = prop_oneof![
            prop::collection::vec(statement(), 0..4).prop_map(Node::List),
            statement(),
            node(),
        ];
        prop::collection::vec(
            (
                prop_oneof![3 => Just("Statement".to_string()), 1 => word()],
                body,
            ),
            0..4,
        )
        .prop_map(Node::Object)
    }

    /// Text that is not compact JSON is not read by hand (the tree reads it). (What it skips
    /// it does not check: the text is what serde_json wrote.)
    #[test]
    fn the_hand_reader_takes_compact_json_only() {
        let one = r#"{"Statement":{"Effect":"Allow","Action":"s3:*"}}"#;
        assert_eq!(by_hand(one).map(|s| s.len()), Some(1));
        for text in [" {}", "{\"Statement\": []}", "{\"a\":1", "{}x", "{\"a\"}"] {
            assert_eq!(by_hand(text), None, "{text}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Any document, however written, has the statements its tree has: read from its
        /// compact text by hand, as from the tree.
        #[test]
        fn the_statements_are_the_trees(doc in document(), choices in prop::collection::vec(any::<u8>(), 1..64)) {
            let tree: Value = serde_json::from_str(&written(&doc, &choices)).unwrap();
            let json = Json::of(&tree);
            prop_assert_eq!(by_hand(json.text()), Some(from_the_tree(&tree)));
            prop_assert_eq!(statements(&json), from_the_tree(&tree));
            let mut each = Vec::new();
            super::super::each_statement(&json, |s| each.push(s.into_owned()));
            prop_assert_eq!(each, from_the_tree(&tree));
        }
    }
}
