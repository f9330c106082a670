//! Eight bytes of text tested at once, in a `u64` (SWAR: "SIMD within a register"), for the
//! loops that write large texts (escaping a message, indenting a policy document).
//!
//! Each test sets the high bit of every byte that passes it. A set bit can also appear above
//! (never below) a byte that passes, through a borrow: the lowest set bit is always the first
//! byte that passes, and every byte that passes is set.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Eight bytes as one word, the first byte lowest.
pub fn word(bytes: [u8; 8]) -> u64 {
    u64::from_le_bytes(bytes)
}

/// The bytes of `word` equal to `byte`.
pub fn equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGH
}

/// The bytes of `word` below `limit` (at most 0x80).
pub fn below(word: u64, limit: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGH
}

/// The index (0–7) of the first byte set in a non-zero result of the tests above.
pub fn first(flags: u64) -> usize {
    (flags.trailing_zeros() / 8) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The first byte flagged is the first byte that passes, and each one that passes is
        /// flagged.
        #[test]
        fn the_first_flag_is_the_first_byte_that_passes(bytes in any::<[u8; 8]>(), byte in any::<u8>(), limit in 0u8..=0x80) {
            for (flags, passes) in [
                (equal(word(bytes), byte), &(|b: u8| b == byte) as &dyn Fn(u8) -> bool),
                (below(word(bytes), limit), &|b: u8| b < limit),
            ] {
                let expected = bytes.iter().position(|&b| passes(b));
                prop_assert_eq!((flags != 0).then(|| first(flags)), expected);
                for (i, &b) in bytes.iter().enumerate() {
                    if passes(b) {
                        prop_assert!(flags & (0x80 << (8 * i)) != 0);
                    }
                }
            }
        }
    }
}
