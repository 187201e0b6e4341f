//! The characters that let text take over a terminal or reorder what people read: control
//! characters (escape sequences start with ESC or a C1 control) and the bidi embeddings,
//! overrides and isolates ("Trojan Source"). Feed names refuse them; the command line shows
//! them escaped. One definition, so the two never disagree about what is hostile.

/// U+202A-U+202E and U+2066-U+2069: they make text display in an order other than its own.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Any Unicode `Cc` (C0, DEL, C1) or a bidi control.
pub fn is_hostile(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hostile_set() {
        for c in
            ['\x1b', '\x07', '\r', '\n', '\t', '\x7f', '\u{85}', '\u{9b}', '\u{202e}', '\u{2066}']
        {
            assert!(is_hostile(c), "{c:?}");
        }
        // Letters of right-to-left scripts, joiners and marks are ordinary text.
        for c in ['a', 'é', 'א', '\u{200d}', '\u{200f}', '✓', ' '] {
            assert!(!is_hostile(c), "{c:?}");
        }
    }
}
