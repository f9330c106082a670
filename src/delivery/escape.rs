//! Text written inside a JSON string exactly as serde_json writes it (`\"`, `\\`, `\b`, `\f`,
//! `\n`, `\r`, `\t`, other controls as `\u00xx`; everything else as it is), eight bytes at a
//! time.
//!
//! serde_json looks up every byte and hands each run between escapes to the writer on its
//! own: in a re-indented policy document (a quote every few bytes) that is a copy call per
//! few bytes, and escaping the alert's large texts was most of the cost of a large Publish.
//! Here eight bytes are checked at once and stored at once, and the run ends at the first
//! byte that needs an escape.

use crate::swar;

/// The bytes of `word` that JSON must escape in a string (see [`crate::swar`]).
fn must_escape(word: u64) -> u64 {
    swar::below(word, 0x20) | swar::equal(word, b'"') | swar::equal(word, b'\\')
}

/// Room for `s` escaped, to begin with: most text escapes a few line breaks, and the last
/// eight-byte store may pass the end by up to eight bytes.
fn room(s: &str) -> usize {
    s.len() + s.len() / 8 + 8
}

/// Input bytes escaped into the local buffer at a time.
const BLOCK: usize = 64;
/// The block's buffer: room for a block escaped (seven bytes a byte at most, escaped twice),
/// rounded up to a power of two so that a position masked to it is provably in range, and
/// eight more for the last store.
const BUF: usize = 512 + 8;

/// What each byte is written as: up to eight bytes as a word (the first lowest), and how
/// many of them.
struct Table {
    words: [u64; 256],
    lengths: [u8; 256],
}

/// Appends `s` to `out` as serde_json writes it between a string's quotes.
pub fn push_escaped(out: &mut Vec<u8>, s: &str) {
    escape([out], [&ONCE], s);
}

/// Appends `s` to `once` as serde_json writes it between a string's quotes, and to `twice`
/// as that is written inside another JSON string (escaped again), in one pass.
pub fn push_escaped_twice(once: &mut Vec<u8>, twice: &mut Vec<u8>, s: &str) {
    escape([once, twice], [&ONCE, &TWICE], s);
}

/// Appends `s` to each of `outs` as its table writes it. Each block is written into a
/// buffer on the stack, its position kept in a register, then appended at once: growing a
/// vector byte by byte kept its length in memory, and every byte waited for the last one's
/// store.
fn escape<const N: usize>(outs: [&mut Vec<u8>; N], tables: [&Table; N], s: &str) {
    let mut outs = outs;
    for out in outs.iter_mut() {
        out.reserve(room(s));
    }
    let mut bufs = [[0u8; BUF]; N];
    for block in s.as_bytes().chunks(BLOCK) {
        let mut lens = [0usize; N];
        let mut chunks = block.chunks_exact(8);
        for chunk in chunks.by_ref() {
            let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
                continue;
            };
            if must_escape(swar::word(chunk)) == 0 {
                for (buf, len) in bufs.iter_mut().zip(lens.iter_mut()) {
                    store(buf, *len, chunk);
                    *len += 8;
                }
                continue;
            }
            // Escapes nearby (a quoted text has one every few bytes): each byte's table
            // entry stored whole and the position moved by its length, without a branch per
            // byte to mispredict.
            for b in chunk {
                for ((buf, len), table) in bufs.iter_mut().zip(lens.iter_mut()).zip(tables) {
                    *len = put(buf, *len, table, b);
                }
            }
        }
        for &b in chunks.remainder() {
            for ((buf, len), table) in bufs.iter_mut().zip(lens.iter_mut()).zip(tables) {
                *len = put(buf, *len, table, b);
            }
        }
        for ((out, buf), len) in outs.iter_mut().zip(&bufs).zip(lens) {
            out.extend_from_slice(buf.get(..len).unwrap_or_default());
        }
    }
}

/// `s` as a JSON string literal, quotes included.
pub fn quoted(s: &str) -> String {
    let mut out = Vec::with_capacity(room(s) + 2);
    out.push(b'"');
    push_escaped(&mut out, s);
    out.push(b'"');
    utf8(out)
}

/// `s` as a JSON string literal, and that literal as it is written inside another JSON string
/// (escaped again, without the other string's quotes).
pub fn quoted_twice(s: &str) -> (String, String) {
    let (mut once, mut twice) = (
        Vec::with_capacity(room(s) + 2),
        Vec::with_capacity(room(s) + s.len() / 8 + 4),
    );
    once.push(b'"');
    twice.extend_from_slice(b"\\\"");
    push_escaped_twice(&mut once, &mut twice, s);
    once.push(b'"');
    twice.extend_from_slice(b"\\\"");
    (utf8(once), utf8(twice))
}

/// Escaped text as a string: only whole characters of the text and ASCII were written
/// (what is copied as it is ends before an ASCII byte).
fn utf8(out: Vec<u8>) -> String {
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Writes `byte` as `table` writes it into `buf` at `at`; where the next byte goes.
fn put(buf: &mut [u8; BUF], at: usize, table: &Table, byte: u8) -> usize {
    // (Every byte has an entry: the lookups cannot miss.)
    let i = usize::from(byte);
    let word = table.words.get(i).copied().unwrap_or(u64::from(byte));
    let len = table.lengths.get(i).copied().unwrap_or(1);
    store(buf, at, word.to_le_bytes());
    at + usize::from(len)
}

/// Stores eight bytes at `at` (below 512: a block escaped never passes it), without a bounds
/// check to wait on.
fn store(buf: &mut [u8; BUF], at: usize, bytes: [u8; 8]) {
    let at = at & 511;
    if let Some(slot) = buf.get_mut(at..at + 8) {
        slot.copy_from_slice(&bytes);
    }
}

/// Each byte as a JSON string writes it: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other
/// controls as `\u00xx`, every other byte as it is.
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index out of range fails the build"
)]
const ONCE: Table = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut table = Table {
        words: [0; 256],
        lengths: [1; 256],
    };
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        let (bytes, len): ([u8; 8], u8) = match byte {
            b'"' => ([b'\\', b'"', 0, 0, 0, 0, 0, 0], 2),
            b'\\' => ([b'\\', b'\\', 0, 0, 0, 0, 0, 0], 2),
            0x08 => ([b'\\', b'b', 0, 0, 0, 0, 0, 0], 2),
            0x0c => ([b'\\', b'f', 0, 0, 0, 0, 0, 0], 2),
            b'\n' => ([b'\\', b'n', 0, 0, 0, 0, 0, 0], 2),
            b'\r' => ([b'\\', b'r', 0, 0, 0, 0, 0, 0], 2),
            b'\t' => ([b'\\', b't', 0, 0, 0, 0, 0, 0], 2),
            0..0x20 => {
                let (high, low) = (HEX[(byte >> 4) as usize], HEX[(byte & 0xf) as usize]);
                ([b'\\', b'u', b'0', b'0', high, low, 0, 0], 6)
            }
            _ => ([byte, 0, 0, 0, 0, 0, 0, 0], 1),
        };
        table.words[b] = u64::from_le_bytes(bytes);
        table.lengths[b] = len;
        b += 1;
    }
    table
};

/// Each byte escaped twice: its escape escaped again (`"` is `\\\"`, a control `\\u001f`).
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index out of range fails the build"
)]
const TWICE: Table = {
    let mut table = Table {
        words: [0; 256],
        lengths: [1; 256],
    };
    let mut b = 0;
    while b < 256 {
        let once = ONCE.words[b].to_le_bytes();
        let mut out = [0u8; 8];
        let mut n = 0;
        let mut i = 0;
        while i < ONCE.lengths[b] as usize {
            let again = ONCE.words[once[i] as usize].to_le_bytes();
            let mut j = 0;
            while j < ONCE.lengths[once[i] as usize] as usize {
                out[n] = again[j];
                n += 1;
                j += 1;
            }
            i += 1;
        }
        table.words[b] = u64::from_le_bytes(out);
        table.lengths[b] = n as u8;
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_byte_escapes_as_serde_json_escapes_it() {
        let all: String = (0u8..=0x7f).map(char::from).collect();
        for text in [
            all.clone(),
            all.repeat(3),
            format!("{all}é😀\u{202e}\u{80}\u{7ff}\u{ffff}"),
            String::new(),
            "\"".repeat(17),
            "abcdefgh\"".repeat(5),
        ] {
            assert_eq!(quoted(&text), serde_json::to_string(&text).unwrap());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

        /// Escaped twice in one pass is the literal escaped again.
        #[test]
        fn twice_is_the_literal_escaped_again(
            text in "[\"\\\\/\u{0}-\u{1f} -~\u{7f}é😀\u{202e}\u{80}-\u{10ffff}]{0,100}",
            prefix in 0usize..8,
        ) {
            let text = format!("{}{text}", "x".repeat(prefix));
            let literal = serde_json::to_string(&text).unwrap();
            let quoted = serde_json::to_string(&literal).unwrap();
            let inside = quoted[1..quoted.len() - 1].to_string();
            prop_assert_eq!(quoted_twice(&text), (literal, inside));
        }

        /// Any text, in any alignment against the eight-byte steps, escapes as serde_json
        /// escapes it.
        #[test]
        fn any_text_escapes_as_serde_json_escapes_it(
            text in "[\"\\\\/\u{0}-\u{1f} -~\u{7f}é😀\u{202e}\u{80}-\u{10ffff}]{0,64}",
            prefix in 0usize..8,
        ) {
            let text = format!("{}{text}", "x".repeat(prefix));
            prop_assert_eq!(quoted(&text), serde_json::to_string(&text).unwrap());
        }
    }
}
