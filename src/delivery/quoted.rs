//! A JSON document written straight as the JSON string that carries it: what
//! `serde_json::to_string(&serde_json::to_string(value)?)` gives, in one pass and without the
//! intermediate text. The per-protocol message carries the machine document as a string
//! (four times); escaping its text after writing it was a second pass over every byte.

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};
use serde_json::value::RawValue;
use std::io::{self, Write};

/// `value` as JSON, itself as a JSON string literal (quotes included), written into a buffer
/// of `capacity` bytes to begin with (the caller's estimate: growing it copies what is
/// written so far).
pub fn to_string<T: Serialize + ?Sized>(value: &T, capacity: usize) -> serde_json::Result<String> {
    to_string_with(value, capacity, Slots::default())
}

/// [`to_string`] of a value that writes [`text_slot`] or [`policy_slot`] where a text or a
/// policy document goes that is already written (`slots`): the text's string literal as
/// written inside a string (see `escape::quoted_twice`), the document's JSON (escaped in its
/// place, eight bytes at a time). Not serde_json escaping the text twice byte by byte, nor
/// checking the document's JSON again to write it as a raw value.
pub fn to_string_with<T: Serialize + ?Sized>(
    value: &T,
    capacity: usize,
    slots: Slots<'_>,
) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(capacity);
    out.push(b'"');
    value.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out,
        InString { slots },
    ))?;
    out.push(b'"');
    // Only whole UTF-8 text was written (serde_json writes str fragments and ASCII).
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

/// What is written in place of [`text_slot`] (the text's string literal, as written inside
/// a string) and of [`policy_slot`] (the policy document's JSON, escaped there).
#[derive(Debug, Clone, Copy, Default)]
pub struct Slots<'t> {
    pub text: Option<&'t str>,
    pub policy: Option<&'t str>,
}

/// What a value serialises in place of a text whose literal [`to_string_with`] is given: a
/// raw JSON string no other raw value can be (the only other raw values are policy
/// documents, never strings, and the policy slot).
pub fn text_slot() -> Option<&'static RawValue> {
    serde_json::from_str(TEXT_SLOT).ok()
}

/// What a value serialises in place of a policy document whose JSON [`to_string_with`] is
/// given.
pub fn policy_slot() -> Option<&'static RawValue> {
    serde_json::from_str(POLICY_SLOT).ok()
}

const TEXT_SLOT: &str = "\"iam-notify: the text\"";
const POLICY_SLOT: &str = "\"iam-notify: the policy document\"";

/// serde_json's compact output with every byte that a JSON string must escape escaped once
/// more. What the compact formatter writes outside strings (`{}[],:`, numbers, `true`,
/// `false`, `null`) needs no escaping, nor do string fragments (serde_json hands over the
/// characters that need escaping separately, as [`CharEscape`]s): only the quotes around
/// strings and the escapes within them change.
struct InString<'t> {
    slots: Slots<'t>,
}

impl Formatter for InString<'_> {
    fn begin_string<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b"\\\"")
    }

    fn end_string<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b"\\\"")
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        // The escape as the compact formatter writes it (`\n`, `\"`, `\u001f`), escaped for
        // the outer string: its backslash doubled, a quote escaped.
        let twice: &[u8] = match escape {
            CharEscape::Quote => b"\\\\\\\"",
            CharEscape::ReverseSolidus => b"\\\\\\\\",
            CharEscape::Solidus => b"\\\\/",
            CharEscape::Backspace => b"\\\\b",
            CharEscape::FormFeed => b"\\\\f",
            CharEscape::LineFeed => b"\\\\n",
            CharEscape::CarriageReturn => b"\\\\r",
            CharEscape::Tab => b"\\\\t",
            CharEscape::AsciiControl(byte) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let digit = |d: u8| HEX.get(usize::from(d & 0xf)).copied().unwrap_or(b'0');
                return w.write_all(&[
                    b'\\',
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    digit(byte >> 4),
                    digit(byte),
                ]);
            }
        };
        w.write_all(twice)
    }

    fn write_raw_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        match (fragment, self.slots) {
            // Written for inside a string already.
            (
                TEXT_SLOT,
                Slots {
                    text: Some(text), ..
                },
            ) => w.write_all(text.as_bytes()),
            (
                POLICY_SLOT,
                Slots {
                    policy: Some(policy),
                    ..
                },
            ) => write_escaped(w, policy),
            _ => write_escaped(w, fragment),
        }
    }
}

/// `text` escaped as serde_json escapes a string's contents.
fn write_escaped<W: ?Sized + Write>(w: &mut W, text: &str) -> io::Result<()> {
    let mut out = Vec::new();
    super::escape::push_escaped(&mut out, text);
    w.write_all(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn twice<T: Serialize>(value: &T) -> String {
        serde_json::to_string(&serde_json::to_string(value).unwrap()).unwrap()
    }

    #[test]
    fn it_is_the_json_text_quoted() {
        for value in [
            json!(null),
            json!({"a": "line\n\"quoted\" \\ \u{7} \u{1f} \u{7f} \u{202e} é 😀", "n": [1, -2, 2.5, 1e300, true, false, null]}),
            json!({"": {"": []}, "k\"ey\n": {}}),
            json!("just a string"),
        ] {
            assert_eq!(to_string(&value, 0).unwrap(), twice(&value), "{value}");
        }
    }

    proptest! {
        /// A text written through its slot is written as if the value held it.
        #[test]
        fn a_text_in_its_slot_is_the_text(text in any::<String>(), other in any::<String>()) {
            #[derive(Serialize)]
            struct Doc<'a, T: Serialize> {
                a: &'a str,
                text: T,
                n: serde_json::Value,
            }
            let n = json!([1, {"policy": {"x": [true]}}]);
            let with_slot = Doc { a: &other, text: text_slot().unwrap(), n: n.clone() };
            let with_text = Doc { a: &other, text: &text, n };
            let (_, inside) = super::super::escape::quoted_twice(&text);
            let slots = Slots { text: Some(&inside), policy: None };
            prop_assert_eq!(to_string_with(&with_slot, 0, slots).unwrap(), twice(&with_text));
        }

        #[test]
        fn any_text_in_any_place(key in any::<String>(), text in any::<String>(), n in any::<i64>(), x in any::<f64>()) {
            let value = json!({key.clone(): [text.clone(), n, x], "text": {key: text}});
            prop_assert_eq!(to_string(&value, 0).unwrap(), twice(&value));
        }
    }
}
