//! Text that came from a server (event data, titles, error texts) or from a database written
//! before names were checked, made safe to print on a terminal. A raw ESC or C1 control lets a
//! server clear the screen, retitle the window, plant a link or write the clipboard (OSC 52);
//! a bidi override makes the text read differently from what it is. Every human-readable
//! printer goes through `escape`; `--json` output needs nothing, JSON escapes them already.

use std::borrow::Cow;
use std::fmt::Write;

use herald_api::control_chars::is_hostile;

/// Shows every control character (and bidi control) as a visible escape: `\x1b` for C0 and
/// DEL, `\u{9b}` for the rest. Line feeds and tabs stay, as multi-line data is printed line by
/// line; a bare CR does not, as it would let a later part overwrite an earlier one. Backslashes
/// are left alone, so `\x1b` in the output may also be those four characters in the data:
/// `--json` is the exact form.
pub fn escape(text: &str) -> Cow<'_, str> {
    let needs = |c: char| is_hostile(c) && c != '\n' && c != '\t';
    if !text.contains(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match u32::from(c) {
            _ if !needs(c) => out.push(c),
            n @ (0..=0x1f | 0x7f) => {
                let _ = write!(out, "\\x{n:02x}");
            }
            n => {
                let _ = write!(out, "\\u{{{n:x}}}");
            }
        }
    }
    Cow::Owned(out)
}

/// Errors can quote a server or a stored name, so they are escaped like any other output.
pub fn print_error(err: &anyhow::Error) {
    to_stderr(&format!("herald: {}\n", escape(&format!("{err:#}"))));
}

/// Writes `text` (already escaped) to stderr. When stderr is gone (`2>&1 | head -1`, once
/// `head` has its line) there is no one to tell: `eprint!` would panic, and the process abort.
pub fn to_stderr(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_sequences_become_visible() {
        let cases = [
            ("\x1b[2J", "\\x1b[2J"),
            ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),
            (
                "\x1b]8;;https://evil.example\x1b\\here\x1b]8;;\x1b\\",
                "\\x1b]8;;https://evil.example\\x1b\\here\\x1b]8;;\\x1b\\",
            ),
            ("\x1b]52;c;cm0gLXJmIH4=\x07", "\\x1b]52;c;cm0gLXJmIH4=\\x07"),
            ("\u{9b}31m\u{90}q\u{9c}", "\\u{9b}31m\\u{90}q\\u{9c}"),
            ("\u{85}", "\\u{85}"),
            ("admin\u{202e}txt.exe", "admin\\u{202e}txt.exe"),
            ("\u{202a}\u{202b}\u{202c}\u{202d}", "\\u{202a}\\u{202b}\\u{202c}\\u{202d}"),
            ("\u{2066}a\u{2067}b\u{2068}c\u{2069}", "\\u{2066}a\\u{2067}b\\u{2068}c\\u{2069}"),
            ("progress 10%\rdone", "progress 10%\\x0ddone"),
            ("\0\x7f\x08", "\\x00\\x7f\\x08"),
        ];
        for (hostile, shown) in cases {
            assert_eq!(escape(hostile), shown, "{hostile:?}");
        }
    }

    #[test]
    fn ordinary_text_is_untouched_and_not_copied() {
        for text in ["deploy ok", "two\nlines", "a\tb", "Déploiement ✓ 🚀 עברית", "C:\\path\\x1b"]
        {
            assert!(matches!(escape(text), Cow::Borrowed(t) if t == text), "{text:?}");
        }
    }
}
