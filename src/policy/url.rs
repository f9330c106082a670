//! URL-decoding a policy document as CloudTrail records it (`%7B%22Version%22…`): what
//! `urlencoding::decode` does (`%` and two hex digits is a byte; any other `%` stays; `+`
//! stays), byte by byte into a buffer on the stack whose position stays in a register, a
//! lookup per digit. The crate's decoder splits the text at each `%` and copies each piece
//! on its own: in a URL-encoded document, a copy call every few bytes (15 us for the largest
//! inline policy; this, 10.5 us).

use std::borrow::Cow;

/// The value of each hex digit; 16 for any other byte.
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index out of range fails the build"
)]
const HEX: [u8; 256] = {
    let mut table = [16u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => 16,
        };
        b += 1;
    }
    table
};

fn hex(byte: Option<&u8>) -> u8 {
    byte.and_then(|&b| HEX.get(usize::from(b)))
        .copied()
        .unwrap_or(16)
}

/// `s` URL-decoded (borrowed when it holds no `%`), or none when the bytes decoded are not
/// UTF-8.
pub fn decoded(s: &str) -> Option<Cow<'_, str>> {
    let bytes = s.as_bytes();
    let Some(first) = memchr::memchr(b'%', bytes) else {
        return Some(Cow::Borrowed(s));
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(bytes.get(..first).unwrap_or_default());
    let mut buf = [0u8; 256];
    let mut n = 0usize;
    let mut i = first;
    while let Some(&c) = bytes.get(i) {
        let mut byte = c;
        i += 1;
        if c == b'%' {
            let (high, low) = (hex(bytes.get(i)), hex(bytes.get(i + 1)));
            if high < 16 && low < 16 {
                byte = (high << 4) | low;
                i += 2;
            }
        }
        if let Some(slot) = buf.get_mut(n & 255) {
            *slot = byte;
        }
        n += 1;
        if n == buf.len() {
            out.extend_from_slice(&buf);
            n = 0;
        }
    }
    out.extend_from_slice(buf.get(..n).unwrap_or_default());
    String::from_utf8(out).ok().map(Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

        /// Any text decodes as `urlencoding::decode` decodes it.
        #[test]
        fn it_decodes_as_urlencoding_does(s in "[%%%0-9a-fA-Fg+é\u{0}x]{0,40}", long in "[%0-9a-f]{0,600}") {
            for text in [s.clone(), long.clone(), format!("{long}{s}")] {
                let expected = urlencoding::decode(&text).ok();
                prop_assert_eq!(decoded(&text), expected);
            }
        }
    }

    #[test]
    fn a_document_decodes() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]} é 😀 100%"#;
        let encoded = urlencoding::encode(doc);
        assert_eq!(decoded(&encoded).as_deref(), Some(doc));
        assert_eq!(decoded("%ff%fe"), None);
        assert!(matches!(decoded("no escapes"), Some(Cow::Borrowed(_))));
    }
}
