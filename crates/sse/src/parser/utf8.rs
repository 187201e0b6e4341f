//! UTF-8 for the parser: checked the fastest way for a run's length, and repaired piece by
//! piece exactly as a whole line would be.

/// Appends `bytes` to `text`, each invalid sequence replaced by U+FFFD exactly as
/// `String::from_utf8_lossy` does for the whole: a sequence cut at the end waits in `carry` for
/// the bytes that complete it (or show it invalid).
pub(super) fn push_repaired(text: &mut String, carry: &mut Vec<u8>, mut bytes: &[u8]) {
    while !carry.is_empty() && !bytes.is_empty() {
        // The carried start of a character and the next few bytes, decoded together.
        let joined: Vec<u8> = carry.iter().chain(bytes.iter().take(4)).copied().collect();
        let used_before = carry.len();
        carry.clear();
        match std::str::from_utf8(&joined) {
            Ok(all) => {
                text.push_str(all);
                bytes = &bytes[joined.len() - used_before..];
            }
            Err(e) if e.valid_up_to() > 0 => {
                let valid = e.valid_up_to();
                text.push_str(std::str::from_utf8(&joined[..valid]).unwrap_or_default());
                bytes = &bytes[valid.saturating_sub(used_before)..];
            }
            Err(e) => match e.error_len() {
                Some(bad) => {
                    text.push(char::REPLACEMENT_CHARACTER);
                    bytes = &bytes[bad.saturating_sub(used_before)..];
                }
                None => {
                    // Still not complete: everything so far waits.
                    carry.extend_from_slice(&joined);
                    bytes = &bytes[joined.len() - used_before..];
                }
            },
        }
    }
    // Nearly always valid: the quick check first, the one that says where only when not.
    if let Ok(all) = quick_utf8(bytes) {
        text.push_str(all);
        return;
    }
    while !bytes.is_empty() {
        match simdutf8::compat::from_utf8(bytes) {
            Ok(all) => {
                text.push_str(all);
                return;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                match e.error_len() {
                    Some(bad) => {
                        text.push(char::REPLACEMENT_CHARACTER);
                        bytes = &rest[bad..];
                    }
                    None => {
                        carry.extend_from_slice(rest);
                        return;
                    }
                }
            }
        }
    }
}

/// UTF-8 checked the fastest way for its length: SIMD pays for setting up only on longer runs
/// (measured with the parser bench: ntfy-like events cut into 1 KiB chunks).
pub(super) fn quick_utf8(bytes: &[u8]) -> Result<&str, ()> {
    if bytes.len() < SIMD_FROM {
        std::str::from_utf8(bytes).map_err(drop)
    } else {
        simdutf8::basic::from_utf8(bytes).map_err(drop)
    }
}

const SIMD_FROM: usize = 512;
