//! A policy document's JSON, held as the compact text serde_json writes for the tree it
//! reads (keys in document order; strings, numbers and whitespace re-written; of repeated
//! keys, the last value in the first one's place), and read without building that tree.
//!
//! The tree (`serde_json::Value` with its ordered maps) cost a large document half its
//! render: a map and a hashed key per object, an allocation per string. Text already in that
//! form (what programs write) is checked in one pass and kept; indented text is checked
//! without its whitespace; other text is written in one pass from what serde_json reads. The
//! statements are read from the text by hand (`read.rs`); it is indented from the text. The
//! tree is still built where it is the answer (a document with a repeated key; comparing two
//! versions).

use crate::swar;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

/// A JSON policy document (usually an object), as compact text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json(String);

impl Json {
    /// The document `text` holds when it is a JSON object or array (whitespace around it
    /// allowed), as serde_json would write its tree.
    pub fn read(text: &str) -> Option<Json> {
        let first = text.trim_start_matches([' ', '\t', '\n', '\r']).as_bytes();
        if !matches!(first.first(), Some(b'{' | b'[')) {
            return None;
        }
        // Text already as serde_json writes it (a document written by a program) is kept;
        // other text is written in one pass; a repeated key (or a text that is not JSON)
        // takes the tree's way, which keeps the last value of a repeated key in the first
        // one's place.
        if canonical(text.as_bytes()) {
            return Some(Json(text.to_string()));
        }
        // Indented by a person or an editor, and otherwise as serde_json writes it: the text
        // without its whitespace.
        if let Some(compact) = without_whitespace(text) {
            if canonical(compact.as_bytes()) {
                return Some(Json(compact));
            }
        }
        if let Some(json) = Self::transcoded(text) {
            return Some(json);
        }
        let tree: Value = serde_json::from_str(text).ok()?;
        Some(Self::of(&tree))
    }

    /// The document of a tree (of any JSON value: a request may carry one as an object).
    pub fn of(tree: &Value) -> Json {
        // Writing a tree of strings, numbers, maps and lists into memory cannot fail.
        Json(serde_json::to_string(tree).unwrap_or_else(|_| "null".into()))
    }

    fn transcoded(text: &str) -> Option<Json> {
        let keys = RefCell::new(Vec::new());
        let mut de = serde_json::Deserializer::from_str(text);
        let written = serde_json::to_string(&Transcoder {
            de: RefCell::new(Some(&mut de)),
            keys: &keys,
        })
        .ok()?;
        de.end().ok()?;
        Some(Json(written))
    }

    /// The compact text.
    pub fn text(&self) -> &str {
        &self.0
    }

    /// The tree, for what compares documents.
    pub fn tree(&self) -> Value {
        serde_json::from_str(self.text()).unwrap_or(Value::Null)
    }

    /// The document indented as `serde_json::to_string_pretty` indents its tree (two spaces
    /// a level, `"key": value`, `{}` and `[]` when empty), from the compact text.
    pub fn pretty(&self) -> String {
        self.indented(0)
    }

    /// [`Json::pretty`] with `base` more spaces at the start of every line.
    pub fn indented(&self, base: usize) -> String {
        let text = self.text().as_bytes();
        let mut out = Vec::with_capacity(text.len() * 2 + base);
        let mut depth = 0usize;
        let newline = |out: &mut Vec<u8>, depth: usize| {
            out.push(b'\n');
            out.resize(out.len() + base + 2 * depth, b' ');
        };
        out.resize(base, b' ');
        let mut i = 0;
        while let Some(&b) = text.get(i) {
            i += 1;
            match b {
                b'{' | b'[' => {
                    let close = if b == b'{' { b'}' } else { b']' };
                    if text.get(i) == Some(&close) {
                        out.extend_from_slice(&[b, close]);
                        i += 1;
                        continue;
                    }
                    out.push(b);
                    depth += 1;
                    newline(&mut out, depth);
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                    out.push(b);
                }
                b',' => {
                    out.push(b',');
                    newline(&mut out, depth);
                }
                b':' => out.extend_from_slice(b": "),
                b'"' => {
                    let end = string_end(text, i).map_or(text.len(), |(end, _)| end);
                    out.extend_from_slice(text.get(i - 1..end).unwrap_or_default());
                    i = end;
                }
                _ => out.push(b),
            }
        }
        // Only whole characters were copied: the text is UTF-8 and every cut is at an ASCII byte.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// Where the string whose contents start at `from` ends (after its closing quote; an escaped
/// quote does not close it), and whether it has escapes; none when it does not end. Eight
/// bytes at a time: a byte-by-byte scan waits on each byte to know where the next one is.
pub(super) fn string_end(text: &[u8], mut from: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    while let Some(chunk) = text
        .get(from..from + 8)
        .and_then(|c| <[u8; 8]>::try_from(c).ok())
    {
        let w = swar::word(chunk);
        let found = swar::equal(w, b'"') | swar::equal(w, b'\\');
        if found == 0 {
            from += 8;
            continue;
        }
        let at = from + swar::first(found);
        if chunk.get(at - from) == Some(&b'"') {
            return Some((at + 1, escaped));
        }
        // A backslash and the character it escapes.
        escaped = true;
        from = at + 2;
    }
    while let Some(&c) = text.get(from) {
        from += 1;
        match c {
            b'"' => return Some((from, escaped)),
            b'\\' => {
                escaped = true;
                from += 1;
            }
            _ => {}
        }
    }
    None
}

/// The JSON itself (checked again on the way: the message's writer puts the text in place
/// itself, see `delivery::quoted`).
impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::from_str::<&RawValue>(&self.0)
            .map_err(ser::Error::custom)?
            .serialize(s)
    }
}

/// JSON's whitespace.
fn whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// `text` without the whitespace between its tokens, when each run of it is next to a
/// `{`, `}`, `[`, `]`, `,` or `:`, the start or the end: then the text without it has the same
/// tokens, so reads as the same tree (or fails as it would). Whitespace between two other
/// tokens (`1 2`, `"a" "b"`, `tr ue`) would join them: none.
fn without_whitespace(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let structural =
        |b: Option<&u8>| matches!(b, None | Some(b'{' | b'}' | b'[' | b']' | b',' | b':'));
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'"' {
            let (end, _) = string_end(bytes, i + 1)?;
            out.extend_from_slice(bytes.get(i..end)?);
            i = end;
        } else if whitespace(b) {
            let end = i + bytes
                .get(i..)?
                .iter()
                .take_while(|&&c| whitespace(c))
                .count();
            if !structural(out.last()) && !structural(bytes.get(end)) {
                return None;
            }
            i = end;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Containers deeper than this are not taken as written (serde_json reads at most 128).
const DEEPEST: usize = 100;

/// Whether `text` is exactly what serde_json writes for the tree it reads from it: no
/// whitespace, strings escaped only as serde_json escapes them, integers in the range it
/// reads as integers, no floats (their shortest form is serde_json's to choose), no
/// repeated key in an object, no deeper than [`DEEPEST`]. False when in doubt: the text is
/// then written from what it reads.
fn canonical(text: &[u8]) -> bool {
    // Open containers (true for an object) and the keys of the open objects.
    let mut open: Vec<(bool, usize)> = Vec::new();
    let mut keys: Vec<&[u8]> = Vec::new();
    let mut i = 0;
    loop {
        // A value.
        match text.get(i) {
            Some(&c @ (b'{' | b'[')) => {
                let object = c == b'{';
                i += 1;
                if text.get(i) == Some(if object { &b'}' } else { &b']' }) {
                    i += 1;
                } else {
                    if open.len() >= DEEPEST {
                        return false;
                    }
                    let from = keys.len();
                    open.push((object, from));
                    if object && !canonical_key(text, &mut i, &mut keys, from) {
                        return false;
                    }
                    continue;
                }
            }
            Some(b'"') => match canonical_string(text, i + 1) {
                Some(end) => i = end,
                None => return false,
            },
            Some(b'-' | b'0'..=b'9') => match canonical_integer(text, i) {
                Some(end) => i = end,
                None => return false,
            },
            Some(_) => {
                let rest = text.get(i..).unwrap_or_default();
                match ["true", "false", "null"]
                    .iter()
                    .find(|w| rest.starts_with(w.as_bytes()))
                {
                    Some(word) => i += word.len(),
                    None => return false,
                }
            }
            None => return false,
        }
        // What follows a value: the end, a separator, or the end of its container.
        loop {
            let Some(&(object, from)) = open.last() else {
                return i == text.len();
            };
            match text.get(i) {
                Some(b',') => {
                    i += 1;
                    if object && !canonical_key(text, &mut i, &mut keys, from) {
                        return false;
                    }
                    break;
                }
                Some(b'}') if object => {
                    let these = keys.get(from..).unwrap_or_default();
                    if these.len() >= 16 {
                        let mut sorted = these.to_vec();
                        sorted.sort_unstable();
                        if sorted.windows(2).any(|w| w.first() == w.get(1)) {
                            return false;
                        }
                    }
                    keys.truncate(from);
                    open.pop();
                    i += 1;
                }
                Some(b']') if !object => {
                    open.pop();
                    i += 1;
                }
                _ => return false,
            }
        }
    }
}

/// A key and its colon at `i` (moved past them), the key added to those of its object
/// (`keys` from `from`); false when there is none or it repeats one (objects of many keys
/// are checked at their end).
fn canonical_key<'t>(text: &'t [u8], i: &mut usize, keys: &mut Vec<&'t [u8]>, from: usize) -> bool {
    let start = *i + 1;
    let Some(end) = (text.get(*i) == Some(&b'"'))
        .then(|| canonical_string(text, start))
        .flatten()
    else {
        return false;
    };
    let k = text.get(start..end - 1).unwrap_or_default();
    let these = keys.get(from..).unwrap_or_default();
    if these.len() < 16 && these.contains(&k) {
        return false;
    }
    keys.push(k);
    *i = end + 1;
    text.get(end) == Some(&b':')
}

/// The end (after the closing quote) of the string whose contents start at `from`, if it is
/// escaped as serde_json escapes: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and `\u00xx`
/// (lower-case) for the other controls, nothing else.
fn canonical_string(text: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let at = match text
            .get(from..from + 8)
            .and_then(|c| <[u8; 8]>::try_from(c).ok())
        {
            Some(chunk) => {
                let w = swar::word(chunk);
                let found = swar::equal(w, b'"') | swar::equal(w, b'\\') | swar::below(w, 0x20);
                if found == 0 {
                    from += 8;
                    continue;
                }
                from + swar::first(found)
            }
            None => {
                from + text
                    .get(from..)?
                    .iter()
                    .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?
            }
        };
        match text.get(at)? {
            b'"' => return Some(at + 1),
            b'\\' => match text.get(at + 1)? {
                b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => from = at + 2,
                b'u' => {
                    let hex = text.get(at + 2..at + 6)?;
                    let digit = |d: u8| match d {
                        b'0'..=b'9' => Some(d - b'0'),
                        b'a'..=b'f' => Some(d - b'a' + 10),
                        _ => None,
                    };
                    let [b'0', b'0', high, low] = <[u8; 4]>::try_from(hex).ok()? else {
                        return None;
                    };
                    let (Some(high), Some(low)) = (digit(high), digit(low)) else {
                        return None;
                    };
                    let byte = high * 16 + low;
                    if byte >= 0x20 || matches!(byte, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                        return None;
                    }
                    from = at + 6;
                }
                _ => return None,
            },
            _ => return None,
        }
    }
}

/// The end of the integer at `from` if serde_json reads it as an integer and writes it as it
/// is: no leading zero, no `-0`, within `u64` (or `i64` when negative); no fraction or
/// exponent.
fn canonical_integer(text: &[u8], from: usize) -> Option<usize> {
    let negative = text.get(from) == Some(&b'-');
    let digits_from = from + usize::from(negative);
    let digits = text
        .get(digits_from..)?
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let end = digits_from + digits;
    let number = text.get(digits_from..end)?;
    let fits = match (negative, number) {
        (_, []) => false,
        (false, [b'0']) => true,
        (_, [b'0', ..]) => false,
        (false, n) => n.len() < 20 || (n.len() == 20 && n <= b"18446744073709551615".as_slice()),
        (true, n) => n.len() < 19 || (n.len() == 19 && n <= b"9223372036854775808".as_slice()),
    };
    (fits && !matches!(text.get(end), Some(b'.' | b'e' | b'E'))).then_some(end)
}

/// Reads the next JSON value from `de` and writes it to the serializer it is serialised to:
/// what building the tree and writing it would write, without the tree. Fails on a repeated
/// key in an object (the tree would keep one).
struct Transcoder<'k, 'de, D> {
    de: RefCell<Option<D>>,
    /// The keys of the objects being written, innermost last.
    keys: &'k RefCell<Vec<Cow<'de, str>>>,
}

impl<'de, D: Deserializer<'de>> Serialize for Transcoder<'_, 'de, D> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let de = self
            .de
            .borrow_mut()
            .take()
            .ok_or_else(|| ser::Error::custom("a value is read once"))?;
        de.deserialize_any(Writing { s, keys: self.keys })
            .map_err(ser::Error::custom)
    }
}

/// Writes each value it visits to `s`.
struct Writing<'k, 'de, S> {
    s: S,
    keys: &'k RefCell<Vec<Cow<'de, str>>>,
}

/// Objects with more keys than this are checked for repeats by sorting them, at their end.
const KEYS_SCANNED: usize = 16;

impl<'k, 'de, S: Serializer> Visitor<'de> for Writing<'k, 'de, S> {
    type Value = S::Ok;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<S::Ok, E> {
        self.s.serialize_bool(v).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<S::Ok, E> {
        self.s.serialize_i64(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<S::Ok, E> {
        self.s.serialize_u64(v).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<S::Ok, E> {
        self.s.serialize_f64(v).map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<S::Ok, E> {
        self.s.serialize_str(v).map_err(E::custom)
    }

    fn visit_unit<E: de::Error>(self) -> Result<S::Ok, E> {
        self.s.serialize_unit().map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<S::Ok, A::Error> {
        let mut out = self.s.serialize_seq(None).map_err(de::Error::custom)?;
        while seq
            .next_element_seed(Element {
                out: &mut out,
                keys: self.keys,
            })?
            .is_some()
        {}
        out.end().map_err(de::Error::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<S::Ok, A::Error> {
        let mut out = self.s.serialize_map(None).map_err(de::Error::custom)?;
        let start = self.keys.borrow().len();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            {
                let mut keys = self.keys.borrow_mut();
                let these = keys.get(start..).unwrap_or_default();
                if these.len() < KEYS_SCANNED && these.contains(&key.0) {
                    return Err(de::Error::custom("a repeated key"));
                }
                out.serialize_key(key.0.as_ref())
                    .map_err(de::Error::custom)?;
                keys.push(key.0);
            }
            map.next_value_seed(Entry {
                out: &mut out,
                keys: self.keys,
            })?;
        }
        let mut keys = self.keys.borrow_mut();
        if keys.len() - start > KEYS_SCANNED {
            let mut these: Vec<&str> = keys
                .get(start..)
                .unwrap_or_default()
                .iter()
                .map(|k| k.as_ref())
                .collect();
            these.sort_unstable();
            if these.windows(2).any(|w| w.first() == w.get(1)) {
                return Err(de::Error::custom("a repeated key"));
            }
        }
        keys.truncate(start);
        drop(keys);
        out.end().map_err(de::Error::custom)
    }
}

/// An element of a list being written.
struct Element<'o, 'k, 'de, O> {
    out: &'o mut O,
    keys: &'k RefCell<Vec<Cow<'de, str>>>,
}

impl<'de, O: SerializeSeq> DeserializeSeed<'de> for Element<'_, '_, 'de, O> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.out
            .serialize_element(&Transcoder {
                de: RefCell::new(Some(d)),
                keys: self.keys,
            })
            .map_err(de::Error::custom)
    }
}

/// The value of an object's entry being written.
struct Entry<'o, 'k, 'de, O> {
    out: &'o mut O,
    keys: &'k RefCell<Vec<Cow<'de, str>>>,
}

impl<'de, O: SerializeMap> DeserializeSeed<'de> for Entry<'_, '_, 'de, O> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.out
            .serialize_value(&Transcoder {
                de: RefCell::new(Some(d)),
                keys: self.keys,
            })
            .map_err(de::Error::custom)
    }
}

/// An object's key, borrowed from the text unless it was escaped there.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v.to_string())))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A JSON value to be written out as text in any of the ways JSON allows.
    #[derive(Debug, Clone)]
    pub enum Node {
        Null,
        Bool(bool),
        /// A number as written (`-0`, `1e2`, `1.50`, a 20-digit integer, …).
        Number(&'static str),
        Text(String),
        List(Vec<Node>),
        /// Entries in order; keys may repeat.
        Object(Vec<(String, Node)>),
    }

    /// Policy words, and texts with what JSON escapes or may escape.
    pub fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "Version",
                "Statement",
                "Effect",
                "Allow",
                "Deny",
                "Action",
                "NotAction",
                "Resource",
                "NotResource",
                "Principal",
                "NotPrincipal",
                "AWS",
                "Federated",
                "Service",
                "Condition",
                "StringEquals",
                "sts:ExternalId",
                "aws:SourceAccount",
                "Sid",
                "*",
                "iam:*",
                "s3:GetObject",
                "iam:PassRole",
                "arn:aws:iam::111122223333:root",
                "lambda.amazonaws.com",
            ])
            .prop_map(str::to_string),
            "[ -~]{0,6}",
            "[\"\\\\/\u{0}-\u{1f}\u{7f}é😀\u{202e}a]{0,4}",
        ]
    }

    pub fn node() -> impl Strategy<Value = Node> {
        let leaf = prop_oneof![
            Just(Node::Null),
            any::<bool>().prop_map(Node::Bool),
            prop::sample::select(vec![
                "0",
                "-0",
                "7",
                "-12",
                "1e2",
                "1E-3",
                "1.50",
                "0.1",
                "-2.5e+3",
                "18446744073709551615",
                "18446744073709551616",
                "-9223372036854775809",
                "123456789012",
            ])
            .prop_map(Node::Number),
            word().prop_map(Node::Text),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Node::List),
                prop::collection::vec((word(), inner), 0..6).prop_map(Node::Object),
            ]
        })
    }

    /// `node` with every character that is not printable ASCII made `?`.
    pub fn printable(node: Node) -> Node {
        let clean = |s: String| {
            s.chars()
                .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
                .collect::<String>()
        };
        match node {
            Node::Text(s) => Node::Text(clean(s)),
            Node::List(items) => Node::List(items.into_iter().map(printable).collect()),
            Node::Object(entries) => Node::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (clean(k), printable(v)))
                    .collect(),
            ),
            other => other,
        }
    }

    /// `node` written as JSON text, each choice (whitespace, escaping a character or not,
    /// an optional escape of `/`) taken from `choices` in turn.
    pub fn written(node: &Node, choices: &[u8]) -> String {
        let mut at = 0usize;
        let mut choose = |n: u8| {
            let c = choices.get(at % choices.len().max(1)).copied().unwrap_or(0);
            at += 1;
            c % n
        };
        let mut out = String::new();
        write_node(node, &mut out, &mut choose);
        out
    }

    fn space(out: &mut String, choose: &mut impl FnMut(u8) -> u8) {
        out.push_str(["", "", " ", "\n  ", "\t", "\r\n"][usize::from(choose(6))]);
    }

    fn write_text(s: &str, out: &mut String, choose: &mut impl FnMut(u8) -> u8) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '/' if choose(2) == 0 => out.push_str("\\/"),
                c if (c as u32) < 0x20 || choose(8) == 0 => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }

    fn write_node(node: &Node, out: &mut String, choose: &mut impl FnMut(u8) -> u8) {
        space(out, choose);
        match node {
            Node::Null => out.push_str("null"),
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::Number(n) => out.push_str(n),
            Node::Text(s) => write_text(s, out, choose),
            Node::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_node(item, out, choose);
                }
                space(out, choose);
                out.push(']');
            }
            Node::Object(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    space(out, choose);
                    write_text(k, out, choose);
                    space(out, choose);
                    out.push(':');
                    write_node(v, out, choose);
                }
                space(out, choose);
                out.push('}');
            }
        }
        space(out, choose);
    }

    /// Whether a tree holds a float.
    fn floats(tree: &Value) -> bool {
        match tree {
            Value::Number(n) => n.is_f64(),
            Value::Array(items) => items.iter().any(floats),
            Value::Object(entries) => entries.values().any(floats),
            _ => false,
        }
    }

    #[test]
    fn texts_serde_json_would_write_otherwise_are_not_taken_as_written() {
        for text in [
            r#"{"a":1 }"#,
            r#"{ "a":1}"#,
            r#"{"a":-0}"#,
            r#"{"a":1.0}"#,
            r#"{"a":1e2}"#,
            r#"{"a":01}"#,
            r#"{"a":18446744073709551616}"#,
            r#"{"a":-9223372036854775809}"#,
            r#"{"a":"\/"}"#,
            r#"{"a":"\u0041"}"#,
            r#"{"a":"\u0008"}"#,
            r#"{"a":"\u001F"}"#,
            r#"{"a":1,"a":2}"#,
            r#"["a",]"#,
            r#"{"a":tru}"#,
            "{\"a\":\"\u{1}\"}",
        ] {
            assert!(!canonical(text.as_bytes()), "{text}");
        }
        for text in [
            r#"{"a":[],"b":{},"c":[1,-2,"x\"y\\z\n\u001f",true,false,null]}"#,
            "{\"a\":18446744073709551615,\"b\":-9223372036854775808,\"é\":\"😀\u{7f}\"}",
        ] {
            assert!(canonical(text.as_bytes()), "{text}");
            assert_eq!(through_the_tree(text).as_deref(), Some(text));
        }
        let deep = format!("{}1{}", "[".repeat(DEEPEST + 1), "]".repeat(DEEPEST + 1));
        assert!(!canonical(deep.as_bytes()));
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        assert!(canonical(format!("{{{}}}", many.join(",")).as_bytes()));
        assert!(!canonical(
            format!("{{{},\"k7\":1}}", many.join(",")).as_bytes()
        ));
    }

    /// What reading a document meant when it was read as a tree.
    fn through_the_tree(text: &str) -> Option<String> {
        let tree: Value = serde_json::from_str(text).ok()?;
        (tree.is_object() || tree.is_array()).then(|| serde_json::to_string(&tree).unwrap())
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_in_its_first_place() {
        let json = Json::read(r#"{"a": 1, "b": {"x": [], "x": {}}, "a": 2}"#).unwrap();
        assert_eq!(json.text(), r#"{"a":2,"b":{"x":{}}}"#);
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        let text = format!("{{{}, \"k3\": true}}", many.join(", "));
        assert_eq!(
            Some(Json::read(&text).unwrap().text().to_string()),
            through_the_tree(&text)
        );
        assert!(Json::read(&text).unwrap().text().contains("\"k3\":true"));
    }

    #[test]
    fn whitespace_between_two_tokens_that_are_not_punctuation_is_not_taken_away() {
        for text in [
            "[1 2]",
            "{\"a\":tr ue}",
            "[\"a\" \"b\"]",
            "{\"a\":1 2}",
            "[1\n2]",
            "[null\tnull]",
        ] {
            assert_eq!(Json::read(text), None, "{text}");
        }
        let indented = "{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [ { \"Effect\" : \"Allow\" } ]\n}\n";
        assert_eq!(
            Json::read(indented).unwrap().text(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}"#
        );
        assert_eq!(
            without_whitespace(" [ \"a b\" , 1 ] ").as_deref(),
            Some(r#"["a b",1]"#)
        );
    }

    #[test]
    fn a_string_ends_at_its_first_quote_not_escaped() {
        for (text, end) in [
            (r#""abc"x"#, Some((5, false))),
            (r#""a\"b"x"#, Some((6, true))),
            (r#""a\\"x"#, Some((5, true))),
            (r#""abcdefghijklmnop\"q\\r" "#, Some((24, true))),
            (r#""abc\""#, None),
            (r#""abcdefghijk"#, None),
        ] {
            assert_eq!(string_end(text.as_bytes(), 1), end, "{text}");
        }
    }

    #[test]
    fn what_is_not_a_json_object_or_list_is_not_read() {
        for text in [
            "",
            "  ",
            "\"a\"",
            "12",
            "null",
            "{",
            "[1,]",
            "{} x",
            "{\"a\" 1}",
            "%7B%7D",
        ] {
            assert_eq!(Json::read(text), None, "{text}");
        }
        assert_eq!(Json::read(" [] ").unwrap().text(), "[]");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Any JSON text, however written (whitespace, escapes, number forms, repeated
        /// keys), reads as the text serde_json writes for its tree; any text that is not
        /// JSON (cut or with a byte changed) is not read, as the tree would not be.
        #[test]
        fn reading_the_text_is_writing_its_tree(node in node(), choices in prop::collection::vec(any::<u8>(), 1..64), cut in any::<prop::sample::Index>(), damage in any::<Option<(prop::sample::Index, u8)>>()) {
            let text = written(&node, &choices);
            prop_assert_eq!(Json::read(&text).map(|j| j.text().to_string()), through_the_tree(&text));
            // Written as serde_json writes, but for its repeated keys and number forms.
            let compact = written(&node, &[1]);
            prop_assert_eq!(Json::read(&compact).map(|j| j.text().to_string()), through_the_tree(&compact));
            let mut bytes = text.as_bytes().to_vec();
            bytes.truncate(cut.index(bytes.len() + 1));
            if let Some((at, b)) = damage {
                if !bytes.is_empty() {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
            }
            if let Ok(damaged) = String::from_utf8(bytes) {
                prop_assert_eq!(Json::read(&damaged).map(|j| j.text().to_string()), through_the_tree(&damaged));
            }
        }

        /// What serde_json writes for a tree is taken as written (floats aside: their form
        /// is serde_json's to choose), and read as it is.
        #[test]
        fn what_serde_json_writes_is_taken_as_written(node in node(), choices in prop::collection::vec(any::<u8>(), 1..64)) {
            let tree: Value = serde_json::from_str(&written(&node, &choices)).unwrap();
            prop_assume!(tree.is_object() || tree.is_array());
            let text = serde_json::to_string(&tree).unwrap();
            prop_assert_eq!(canonical(text.as_bytes()), !floats(&tree), "{}", text);
            prop_assert_eq!(Json::read(&text).map(|j| j.text().to_string()), Some(text));
        }

        /// Text is taken as written only when serde_json writes its tree back as that text:
        /// whatever one byte more, less or changed does to a text serde_json wrote.
        #[test]
        fn text_is_taken_as_written_only_when_it_is(node in node(), edit in any::<prop::sample::Index>(), byte in prop::sample::select(b" \t\n,:{}[]\"\\/-.0123456789eEtfnuabx\x00\x1f\x7f".to_vec()), how in 0u8..3) {
            let tree: Value = serde_json::from_str(&written(&node, &[0])).unwrap();
            let mut bytes = serde_json::to_string(&tree).unwrap().into_bytes();
            let at = edit.index(bytes.len() + 1);
            match how {
                0 => bytes.insert(at, byte),
                1 if at < bytes.len() => { bytes.remove(at); }
                _ if at < bytes.len() => bytes[at] = byte,
                _ => bytes.push(byte),
            }
            if let Ok(text) = String::from_utf8(bytes) {
                if canonical(text.as_bytes()) {
                    let tree = serde_json::from_str::<Value>(&text).ok();
                    prop_assert_eq!(tree.map(|t| serde_json::to_string(&t).unwrap()), Some(text.clone()));
                }
                prop_assert_eq!(Json::read(&text).map(|j| j.text().to_string()), through_the_tree(&text));
            }
        }

        /// Indented for the body, a document of printable ASCII is its pretty text with the
        /// body's indent added to every line (what `multi_line` does to it).
        #[test]
        fn indenting_for_the_body_is_indenting_each_line(node in node(), choices in prop::collection::vec(any::<u8>(), 1..64)) {
            let tree: Value = serde_json::from_str(&written(&printable(node), &choices)).unwrap();
            let json = Json::of(&tree);
            prop_assert!(json.text().bytes().all(|b| (b' '..=b'~').contains(&b)));
            prop_assert_eq!(json.indented(2), crate::render::text::multi_line(&json.pretty()));
        }

        /// The document indented from its text is the tree indented by serde_json.
        #[test]
        fn indenting_the_text_is_indenting_the_tree(node in node(), choices in prop::collection::vec(any::<u8>(), 1..64)) {
            let tree: Value = serde_json::from_str(&written(&node, &choices)).unwrap();
            let json = Json::of(&tree);
            prop_assert_eq!(json.pretty(), serde_json::to_string_pretty(&tree).unwrap());
        }
    }
}
