//! Text that came from the record, made safe to show: one line that cannot forge another,
//! indented multi-line documents, printable ASCII for subjects, and cuts at character
//! boundaries.

/// One line of attacker-controlled text, with every hidden character ([`is_hidden`])
/// escaped (`\n`, `\u{202e}`, `\u{2028}`), so it cannot break, reorder or hide the body's
/// lines in any mail client.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_one_line(&mut out, s);
    out
}

/// [`one_line`], borrowing `s` when it has nothing to escape.
pub fn one_line_cow(s: &str) -> std::borrow::Cow<'_, str> {
    if has_hidden(s) {
        std::borrow::Cow::Owned(one_line(s))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// [`one_line`] of a text the caller gives up: itself when it has nothing to escape.
pub fn one_line_owned(s: String) -> String {
    if has_hidden(&s) { one_line(&s) } else { s }
}

/// [`one_line`], appended to `out`.
fn push_one_line(out: &mut String, s: &str) {
    if !has_hidden(s) {
        out.push_str(s);
        return;
    }
    out.reserve(16);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
}

/// Multi-line text (a policy document), indented so that none of its lines can pass for
/// one of ours: keeps line breaks and tabs, escapes the rest.
pub fn multi_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8 + 16);
    push_multi_line(&mut out, s);
    out
}

/// [`multi_line`], appended to `out`.
fn push_multi_line(out: &mut String, s: &str) {
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str("  ");
        for (j, part) in line.split('\t').enumerate() {
            if j > 0 {
                out.push('\t');
            }
            push_one_line(out, part.trim_end_matches('\r'));
        }
    }
}

/// A character a reader cannot see for what it is: Unicode categories Cc (controls), Cf
/// (format: direction overrides, zero-width characters, the soft hyphen, tag characters, …),
/// Zl and Zp (line and paragraph separators, which some mail clients break lines on), and
/// the blank "fillers" that look like nothing (Hangul fillers, the braille blank, the
/// combining grapheme joiner).
pub fn is_hidden(c: char) -> bool {
    // Printable ASCII, nearly every character of a record: nothing to look up.
    if (' '..='~').contains(&c) {
        return false;
    }
    c.is_control()
        || matches!(
            c,
            // Cf (Unicode 15.1)
            '\u{ad}'
                | '\u{600}'..='\u{605}'
                | '\u{61c}'
                | '\u{6dd}'
                | '\u{70f}'
                | '\u{890}'..='\u{891}'
                | '\u{8e2}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{110bd}'
                | '\u{110cd}'
                | '\u{13430}'..='\u{1343f}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0001}'
                | '\u{e0020}'..='\u{e007f}'
                // Zl, Zp
                | '\u{2028}'
                | '\u{2029}'
                // fillers
                | '\u{34f}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{3164}'
                | '\u{ffa0}'
                | '\u{2800}'
        )
}

/// Whether `s` holds a character [`is_hidden`] finds.
pub fn has_hidden(s: &str) -> bool {
    s.chars().any(is_hidden)
}

/// The scripts of the letters of `s` when it mixes two or more (Latin and Cyrillic: a name
/// written with look-alikes of another's letters, `аdmin` for `admin`); `None` for text in
/// one script. Digits, punctuation and combining marks belong to none (Unicode's Common and
/// Inherited).
pub fn mixed_scripts(s: &str) -> Option<Vec<&'static str>> {
    use unicode_script::{Script, UnicodeScript};
    if s.is_ascii() {
        return None;
    }
    let mut scripts: Vec<Script> = Vec::new();
    for c in s.chars().filter(|c| c.is_alphabetic()) {
        let script = c.script();
        if !matches!(script, Script::Common | Script::Inherited | Script::Unknown)
            && !scripts.contains(&script)
        {
            scripts.push(script);
        }
    }
    (scripts.len() > 1).then(|| scripts.iter().map(|s| s.full_name()).collect())
}

/// The mark a name of [`mixed_scripts`] carries where it is shown (empty for the others).
pub fn look_alike_mark(s: &str) -> String {
    match mixed_scripts(s) {
        Some(scripts) => format!(" [LOOK-ALIKE: mixes {} letters]", scripts.join(" and ")),
        None => String::new(),
    }
}

/// The column labelled values start after (`Label:` padded to it, then a space).
const LABEL_WIDTH: usize = 15;

/// `Label:` padded to a column, then the value.
pub fn labelled(label: &str, value: &str) -> String {
    let mut out = String::with_capacity(LABEL_WIDTH + 2 + label.len() + value.len());
    push_label(&mut out, label);
    out.push_str(value);
    out
}

/// `Label:` padded to [`LABEL_WIDTH`] characters and a space, appended to `out`.
pub fn push_label(out: &mut String, label: &str) {
    out.push_str(label);
    out.push(':');
    let width = label.chars().count() + 1;
    for _ in width..LABEL_WIDTH {
        out.push(' ');
    }
    out.push(' ');
}

/// A line of [`labelled`] appended to `out`, after a line break unless `out` is empty.
pub fn push_labelled(out: &mut String, label: &str, value: &str) {
    if !out.is_empty() {
        out.push('\n');
    }
    push_label(out, label);
    out.push_str(value);
}

/// A line of [`labelled_line`] appended to `out`, after a line break unless `out` is empty.
pub fn push_labelled_line(out: &mut String, label: &str, value: &str) {
    push_labelled_parts(out, label, &[value]);
}

/// [`push_labelled_line`] of the value `parts` make one after the other (escaping works
/// character by character: the parts escaped one by one are the whole escaped), without
/// joining them first.
pub fn push_labelled_parts(out: &mut String, label: &str, parts: &[&str]) {
    if !out.is_empty() {
        out.push('\n');
    }
    push_label(out, label);
    for part in parts {
        push_one_line(out, part);
    }
}

/// Printable ASCII with single spaces: other whitespace and controls become spaces, other
/// characters `?`.
pub fn clean_ascii(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len().min(128));
    for c in raw.chars() {
        let c = match c {
            c if c.is_ascii_graphic() => c,
            c if c.is_whitespace() || c.is_control() => ' ',
            _ => '?',
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    let len = out.trim_end().len();
    out.truncate(len);
    out
}

/// Cuts ASCII text (from [`clean_ascii`]) to at most `max` bytes, ending in `...` when cut.
pub fn ellipsize(text: &mut String, max: usize) {
    if text.len() > max {
        // ASCII only: byte index == char index.
        text.truncate(max.saturating_sub(3));
        let keep = text.trim_end().len();
        text.truncate(keep);
        text.push_str("...");
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn cut_utf8(s: &str, max: usize) -> (&str, bool) {
    if s.len() <= max {
        return (s, false);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let kept = s
        .get(..end)
        .expect("invariant: end is a character boundary within s");
    (kept, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_pad_as_format_did() {
        for label in [
            "Who",
            "Resource ARN",
            "Policy console",
            "A label longer than the column",
        ] {
            for value in ["", "v", "a\nb"] {
                let padded = format!("{:<15}", format!("{label}:"));
                assert_eq!(labelled(label, value), format!("{padded} {value}"));
                let (mut plain, mut one) = (String::new(), String::new());
                push_labelled(&mut plain, label, value);
                push_labelled_line(&mut one, label, value);
                assert_eq!(plain, format!("{padded} {value}"));
                assert_eq!(one, format!("{padded} {}", one_line(value)));
                // After a first line, each is one more line.
                push_labelled(&mut plain, label, value);
                assert_eq!(plain, format!("{padded} {value}\n{padded} {value}"));
            }
        }
    }

    #[test]
    fn one_line_escapes_forged_lines_and_bidi() {
        assert_eq!(
            one_line("evil\nConsole: https://x\u{202e}"),
            "evil\\nConsole: https://x\\u{202e}"
        );
    }

    #[test]
    fn cut_utf8_never_splits_a_character() {
        let s = "ab\u{20ac}cd"; // the euro sign is 3 bytes: 2..5
        assert_eq!(cut_utf8(s, 3), ("ab", true));
        assert_eq!(cut_utf8(s, 4), ("ab", true));
        assert_eq!(cut_utf8(s, 5), ("ab\u{20ac}", true));
        assert_eq!(cut_utf8(s, 100), (s, false));
    }

    #[test]
    fn every_hidden_character_is_escaped() {
        for c in [
            '\u{2028}',
            '\u{2029}',
            '\u{2060}',
            '\u{ad}',
            '\u{61c}',
            '\u{e0041}',
            '\u{3164}',
            '\u{115f}',
            '\u{ffa0}',
            '\u{200b}',
            '\u{202e}',
            '\u{feff}',
            '\u{7f}',
            '\u{85}',
        ] {
            let shown = one_line(&format!("a{c}b"));
            assert_eq!(shown, format!("a\\u{{{:x}}}b", c as u32), "{c:?}");
        }
        assert_eq!(one_line("é 日本 😀"), "é 日本 😀", "visible text stays");
    }

    #[test]
    fn multi_line_indents_every_line() {
        assert_eq!(multi_line("a\n\tb\r\nc\u{7}"), "  a\n  \tb\n  c\\u{7}");
        // Line breaks at the edges too.
        for (text, shown) in [
            ("", "  "),
            ("a", "  a"),
            ("a\nb", "  a\n  b"),
            ("a\n", "  a\n  "),
            ("\n\n", "  \n  \n  "),
        ] {
            assert_eq!(multi_line(text), shown, "{text:?}");
        }
    }
}

#[cfg(test)]
mod look_alike_tests {
    use super::{look_alike_mark, mixed_scripts};

    #[test]
    fn mixed_scripts_are_marked_and_one_script_is_not() {
        // A Cyrillic а (U+0430) in a Latin name.
        assert_eq!(
            mixed_scripts("\u{430}dmin"),
            Some(vec!["Cyrillic", "Latin"])
        );
        assert_eq!(
            look_alike_mark("ci-d\u{435}ploy"),
            " [LOOK-ALIKE: mixes Latin and Cyrillic letters]"
        );
        for one in [
            "admin",
            "José",
            "Ωμέγα-1",
            "админ",
            "maria.garcia@example.com",
            "日本",
        ] {
            assert_eq!(mixed_scripts(one), None, "{one}");
        }
    }
}
