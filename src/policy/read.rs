//! A document's statements read from its JSON text by typed visitors that borrow from it,
//! leniently: an element of the wrong type counts as absent (IAM would reject such a
//! document; the alert still reports what it can). The text is a [`super::Json`]'s, which
//! has no repeated keys.

use super::Statement;
use super::json::Text;
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use std::borrow::Cow;
use std::fmt;

/// The statements of a document: `Statement` as a list or a single object; none in a
/// document that is not an object.
pub(super) struct Statements<'a>(pub Vec<Statement<'a>>);

/// Visitor methods for the JSON types a visitor does not read: each is `$value` (a list or
/// an object read and skipped).
macro_rules! otherwise {
    ($value:expr; $($kind:ident),*) => { $( otherwise!(@ $kind $value); )* };
    (@ bool $v:expr) => { fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> { Ok($v) } };
    (@ i64 $v:expr) => { fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> { Ok($v) } };
    (@ u64 $v:expr) => { fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> { Ok($v) } };
    (@ f64 $v:expr) => { fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> { Ok($v) } };
    (@ unit $v:expr) => { fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> { Ok($v) } };
    (@ str $v:expr) => { fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> { Ok($v) } };
    (@ seq $v:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            IgnoredAny.visit_seq(seq).map(|_| $v)
        }
    };
    (@ map $v:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            IgnoredAny.visit_map(map).map(|_| $v)
        }
    };
}

/// Reads a value with a visitor (`deserialize_any`).
macro_rules! read_with {
    ($seed:ident, $visitor:ident, $value:ty) => {
        impl<'de> DeserializeSeed<'de> for $seed {
            type Value = $value;

            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any($visitor)
            }
        }
    };
}

impl<'de> Deserialize<'de> for Statements<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DocumentVisitor).map(Statements)
    }
}

/// An object's key (keys are strings).
fn key<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Cow<'de, str>>, A::Error> {
    Ok(map.next_key_seed(AnyText)?.flatten())
}

struct AnyText;
read_with!(AnyText, Text, Option<Cow<'de, str>>);

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = Vec<Statement<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a policy document")
    }

    otherwise!(Vec::new(); bool, i64, u64, f64, unit, str, seq);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = Vec::new();
        while let Some(k) = key(&mut map)? {
            if k == "Statement" {
                found = map.next_value_seed(StatementList)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// A list of statements (an element that is not an object is a statement of nothing), or
/// one statement.
struct StatementList;
read_with!(StatementList, StatementListVisitor, Vec<Statement<'de>>);

struct StatementListVisitor;

impl<'de> Visitor<'de> for StatementListVisitor {
    type Value = Vec<Statement<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("statements")
    }

    otherwise!(Vec::new(); bool, i64, u64, f64, unit, str);

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(s) = seq.next_element_seed(OneStatement)? {
            out.push(s);
        }
        Ok(out)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        StatementVisitor.visit_map(map).map(|s| vec![s])
    }
}

struct OneStatement;
read_with!(OneStatement, StatementVisitor, Statement<'de>);

struct StatementVisitor;

impl<'de> Visitor<'de> for StatementVisitor {
    type Value = Statement<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a statement")
    }

    otherwise!(Statement::default(); bool, i64, u64, f64, unit, str, seq);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut s = Statement::default();
        while let Some(k) = key(&mut map)? {
            match k.as_ref() {
                "Effect" => s.allow = map.next_value_seed(AnyText)?.as_deref() == Some("Allow"),
                "Action" => s.actions = map.next_value_seed(OneOrMany)?,
                "NotAction" => s.not_action = map.next_value::<IgnoredAny>().map(|_| true)?,
                "Resource" => s.resources = map.next_value_seed(OneOrMany)?,
                "NotResource" => s.not_resource = map.next_value::<IgnoredAny>().map(|_| true)?,
                "Principal" => {
                    let p = map.next_value_seed(PrincipalOf)?;
                    (s.aws_principals, s.federated, s.services) = (p.aws, p.federated, p.services);
                }
                "NotPrincipal" => s.not_principal = map.next_value::<IgnoredAny>().map(|_| true)?,
                "Condition" => {
                    s.has_condition = true;
                    s.condition_keys = map.next_value_seed(ConditionKeys)?;
                }
                _ => map.next_value::<IgnoredAny>().map(|_| ())?,
            }
        }
        Ok(s)
    }
}

/// A string or a list of strings (the list's other elements skipped).
struct OneOrMany;
read_with!(OneOrMany, OneOrManyVisitor, Vec<Cow<'de, str>>);

struct OneOrManyVisitor;

impl<'de> Visitor<'de> for OneOrManyVisitor {
    type Value = Vec<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or a list of strings")
    }

    otherwise!(Vec::new(); bool, i64, u64, f64, unit, map);

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(vec![Cow::Borrowed(v)])
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(vec![Cow::Owned(v.to_string())])
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(AnyText)? {
            out.extend(item);
        }
        Ok(out)
    }
}

/// A statement's principals: `"*"` (or any string) is an `AWS` principal.
#[derive(Default)]
struct Principals<'a> {
    aws: Vec<Cow<'a, str>>,
    federated: Vec<Cow<'a, str>>,
    services: Vec<Cow<'a, str>>,
}

struct PrincipalOf;
read_with!(PrincipalOf, PrincipalVisitor, Principals<'de>);

struct PrincipalVisitor;

impl<'de> Visitor<'de> for PrincipalVisitor {
    type Value = Principals<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("principals")
    }

    otherwise!(Principals::default(); bool, i64, u64, f64, unit, seq);

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Principals {
            aws: vec![Cow::Borrowed(v)],
            ..Principals::default()
        })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Principals {
            aws: vec![Cow::Owned(v.to_string())],
            ..Principals::default()
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut p = Principals::default();
        while let Some(k) = key(&mut map)? {
            match k.as_ref() {
                "AWS" => p.aws = map.next_value_seed(OneOrMany)?,
                "Federated" => p.federated = map.next_value_seed(OneOrMany)?,
                "Service" => p.services = map.next_value_seed(OneOrMany)?,
                _ => map.next_value::<IgnoredAny>().map(|_| ())?,
            }
        }
        Ok(p)
    }
}

/// The condition keys under every operator of a `Condition`, as written.
struct ConditionKeys;
read_with!(ConditionKeys, ConditionVisitor, Vec<Cow<'de, str>>);

struct ConditionVisitor;

impl<'de> Visitor<'de> for ConditionVisitor {
    type Value = Vec<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a condition")
    }

    otherwise!(Vec::new(); bool, i64, u64, f64, unit, str, seq);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys = Vec::new();
        while key(&mut map)?.is_some() {
            map.next_value_seed(KeysOf(&mut keys))?;
        }
        Ok(keys)
    }
}

/// Adds the keys of an object (of an operator) to a list; any other value adds none.
struct KeysOf<'k, 'de>(&'k mut Vec<Cow<'de, str>>);

impl<'de> DeserializeSeed<'de> for KeysOf<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeysOf<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("condition keys")
    }

    otherwise!((); bool, i64, u64, f64, unit, str, seq);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = key(&mut map)? {
            self.0.push(k);
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::json::tests::{Node, node, word, written};
    use super::super::{Json, statements};
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// The statements read from the tree, as they were read before the text was: the
    /// meaning the typed reading must keep.
    fn from_the_tree(doc: &Value) -> Vec<Statement<'_>> {
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Any document, however written, has the statements its tree had.
        #[test]
        fn the_statements_are_the_trees(doc in document(), choices in prop::collection::vec(any::<u8>(), 1..64)) {
            let tree: Value = serde_json::from_str(&written(&doc, &choices)).unwrap();
            let json = Json::of(&tree);
            prop_assert_eq!(statements(&json), from_the_tree(&tree));
        }
    }
}
