//! The 16-bytes-at-a-time part of the escaper, for x86-64 CPUs with SSSE3 (checked when it
//! runs). Each 8 input bytes become up to 16 output bytes in one shuffle: a table indexed by
//! which of the 8 are quotes or backslashes says where each byte goes, leaving a byte before
//! each of those for its backslash. Elsewhere `blocks` takes nothing and the byte-at-a-time
//! escaper does all.

/// Whether `blocks` does anything on this CPU.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("ssse3")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `Lines::push_event` with this escaper; on other CPUs, with none.
pub fn push_event(lines: &mut super::Lines, event: &herald_sse::EventRef<'_>) {
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: the one requirement of `x86::push_event` is a CPU with SSSE3, checked just
        // above.
        #[allow(unsafe_code)]
        return unsafe { x86::push_event(lines, event) };
    }
    super::plain(lines, event);
}

/// Escapes `bytes` 16 at a time until a block holds a control character, into `buf` from `at`,
/// which must have room for twice the input and 32 bytes more. Returns how many input bytes it
/// took and where the output ends.
#[cfg(test)]
pub fn blocks(bytes: &[u8], buf: &mut [u8], at: usize) -> (usize, usize) {
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: as in `push_event`.
        #[allow(unsafe_code)]
        return unsafe { x86::blocks(bytes, buf, at) };
    }
    let _ = (bytes, &buf);
    (0, at)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cvtsi128_si64, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set_epi64x, _mm_set1_epi8, _mm_shuffle_epi8, _mm_srli_si128,
    };

    /// For each set of marked bytes among 8 (a bit each): the shuffle that spreads the 8 so that
    /// each marked one has a free byte before it (0x80: a zero byte there), the backslashes
    /// that go into those bytes, and how many marked bytes there are (a table rather than
    /// POPCNT, which not every CPU with SSSE3 has).
    struct Spread {
        shuffle: [[u8; 16]; 256],
        backslashes: [[u8; 16]; 256],
        marked: [u8; 256],
    }

    static SPREAD: Spread = {
        let mut spread =
            Spread { shuffle: [[0x80; 16]; 256], backslashes: [[0; 16]; 256], marked: [0; 256] };
        let mut marks = 0;
        while marks < 256 {
            let mut out = 0;
            let mut i = 0;
            while i < 8 {
                if marks & (1 << i) != 0 {
                    spread.backslashes[marks][out] = b'\\';
                    spread.marked[marks] += 1;
                    out += 1;
                }
                spread.shuffle[marks][out] = i as u8;
                out += 1;
                i += 1;
            }
            marks += 1;
        }
        spread
    };

    /// For each k: the shuffle that moves 16 bytes down by k, zeros coming in at the top.
    static SHIFT: [[u8; 16]; 16] = {
        let mut shift = [[0x80; 16]; 16];
        let mut k = 0;
        while k < 16 {
            let mut i = 0;
            while i + k < 16 {
                shift[k][i] = (i + k) as u8;
                i += 1;
            }
            k += 1;
        }
        shift
    };

    /// How many of the 16 bytes `marks` has a bit for.
    #[inline]
    fn marked(marks: u32) -> usize {
        usize::from(SPREAD.marked[(marks & 0xff) as usize])
            + usize::from(SPREAD.marked[((marks >> 8) & 0xff) as usize])
    }

    // Loads and stores go through two 64-bit halves, which needs no pointer (and so no
    // unsafe); the compiler makes them single 16-byte moves.
    #[target_feature(enable = "ssse3")]
    #[inline]
    fn load(bytes: &[u8; 16]) -> __m128i {
        let [lo, hi] = [&bytes[..8], &bytes[8..]]
            .map(|half| i64::from_le_bytes(half.try_into().unwrap_or([0; 8])));
        _mm_set_epi64x(hi, lo)
    }

    #[target_feature(enable = "ssse3")]
    #[inline]
    fn store(v: __m128i, out: &mut [u8]) {
        let lo = _mm_cvtsi128_si64(v).to_le_bytes();
        let hi = _mm_cvtsi128_si64(_mm_srli_si128::<8>(v)).to_le_bytes();
        out[..8].copy_from_slice(&lo);
        out[8..16].copy_from_slice(&hi);
    }

    /// Eight bytes (the low half of `v`) with a backslash before each marked one; returns how
    /// many bytes it wrote (16 are stored).
    #[target_feature(enable = "ssse3")]
    #[inline]
    fn spread(v: __m128i, marks: u32, out: &mut [u8]) -> usize {
        let marks = (marks & 0xff) as usize;
        let spread = _mm_shuffle_epi8(v, load(&SPREAD.shuffle[marks]));
        store(_mm_or_si128(spread, load(&SPREAD.backslashes[marks])), out);
        8 + usize::from(SPREAD.marked[marks])
    }

    /// The whole of `push_event`, compiled for SSSE3, `blocks` inlined into it.
    #[target_feature(enable = "ssse3")]
    pub fn push_event(lines: &mut super::super::Lines, event: &herald_sse::EventRef<'_>) {
        lines.push_event_with(event, &|bytes: &[u8], buf: &mut [u8], at| blocks(bytes, buf, at));
    }

    #[target_feature(enable = "ssse3")]
    #[inline]
    pub fn blocks(bytes: &[u8], buf: &mut [u8], mut at: usize) -> (usize, usize) {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let below_space = _mm_set1_epi8(0x1f);
        let mut used = 0;
        while used < bytes.len() {
            let left = bytes.len() - used;
            let (v, real) = match (bytes[used..].first_chunk::<16>(), bytes.last_chunk::<16>()) {
                (Some(block), _) => (load(block), 16),
                // The last few bytes: the string's last 16, moved down so that the ones not
                // done yet come first (zeros after them, whose output is not kept).
                (None, Some(last)) => (_mm_shuffle_epi8(load(last), load(&SHIFT[16 - left])), left),
                // A string shorter than a block goes byte by byte.
                (None, None) => break,
            };
            let keep = (1u32 << real) - 1;
            // min(v, 0x1f) == v exactly where v <= 0x1f (unsigned).
            let control = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, below_space), v));
            if control as u32 & keep != 0 {
                break;
            }
            let marks = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash));
            let marks = _mm_movemask_epi8(marks) as u32;
            let out = &mut buf[at..at + 32];
            if marks == 0 {
                store(v, out);
            } else {
                let low = spread(v, marks, out);
                spread(_mm_srli_si128::<8>(v), marks >> 8, &mut out[low..]);
            }
            at += real + marked(marks & keep);
            used += real;
        }
        (used, at)
    }
}
