//! The characters that let text take over a terminal or reorder what people read: control
//! characters (escape sequences start with ESC or a C1 control) and the bidi embeddings,
//! overrides and isolates ("Trojan Source"). Feed names refuse them; the command line shows
//! them escaped. One definition, so the two never disagree about what is hostile.

/// The embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which make text
/// display in an order other than its own; the directional marks (U+061C, U+200E, U+200F),
/// which nudge it; the line and paragraph separators (U+2028, U+2029), which break a line where
/// none shows; and the deprecated format controls (U+206A-U+206F).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{206f}'
            | '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Characters that show as nothing (zero width space, BOM, soft hyphen, Mongolian vowel
/// separator): two feed names that look the same must not be two names.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}' | '\u{feff}' | '\u{ad}' | '\u{180e}')
}

/// Any Unicode `Cc` (C0, DEL, C1), a bidi control, or an invisible character.
pub fn is_hostile(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || is_invisible(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hostile_set() {
        for c in [
            '\x1b', '\x07', '\r', '\n', '\t', '\x7f', '\u{85}', '\u{9b}', '\u{202e}', '\u{2066}',
            '\u{200e}', '\u{200f}', '\u{061c}', '\u{2028}', '\u{2029}', '\u{206a}', '\u{200b}',
            '\u{feff}', '\u{ad}', '\u{180e}',
        ] {
            assert!(is_hostile(c), "{c:?}");
        }
        // Letters of right-to-left scripts, joiners and marks are ordinary text.
        for c in ['a', 'é', 'א', '\u{200d}', '✓', ' '] {
            assert!(!is_hostile(c), "{c:?}");
        }
    }
}
