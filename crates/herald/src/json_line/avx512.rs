//! The 32-bytes-at-a-time part of the escaper, for x86-64 CPUs with AVX-512 (BW, VL and VBMI2,
//! and BMI2 and POPCNT; checked when it runs: Intel since Ice Lake, AMD since Zen 4). Each of 32 bytes is
//! widened to two: a quote or backslash becomes the pair `\` and itself, any other byte itself
//! and a spare byte; one byte compress then squeezes the spares out. The 16-byte SSSE3 escaper
//! spreads 8 bytes per table lookup and shuffle; this does 32 with no table.

/// Whether `blocks` does anything on this CPU: asked once (it is asked for every string).
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVAILABLE: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
            std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vl")
                && std::is_x86_feature_detected!("avx512vbmi2")
                && std::is_x86_feature_detected!("bmi2")
                && std::is_x86_feature_detected!("popcnt")
        });
        *AVAILABLE
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
        // SAFETY: the one requirement of `x86::push_event` is a CPU with these features,
        // checked just above.
        #[allow(unsafe_code)]
        return unsafe { x86::push_event(lines, event) };
    }
    super::plain(lines, event);
}

/// Escapes `bytes` 32 at a time (the last block as long as what is left) until a block holds
/// a control character, into `buf` from `at`, which must have room for twice the input and 32
/// bytes more. Returns how many input bytes it took and where the output ends.
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
        __m256i, __m512i, _mm256_cmpeq_epi8_mask, _mm256_cmplt_epu8_mask, _mm256_loadu_si256,
        _mm256_maskz_loadu_epi8, _mm256_set1_epi8, _mm512_cvtepu8_epi16, _mm512_mask_mov_epi16,
        _mm512_mask_storeu_epi8, _mm512_maskz_compress_epi8, _mm512_or_si512, _mm512_set1_epi16,
        _mm512_slli_epi16, _mm512_storeu_si512, _pdep_u64,
    };

    /// The even bytes of 64: the first byte of each widened pair, always kept.
    const FIRSTS: u64 = 0x5555_5555_5555_5555;
    /// The odd bytes: the second of each pair, kept only after a backslash.
    const SECONDS: u64 = 0xaaaa_aaaa_aaaa_aaaa;

    /// The low `n` bits of 32 (n <= 32).
    fn low_bits(n: usize) -> u32 {
        if n >= 32 { u32::MAX } else { (1u32 << n) - 1 }
    }

    /// The low `n` bits of 64 (n <= 64).
    fn low_bits64(n: usize) -> u64 {
        if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
    }

    /// The whole of `push_event`, compiled for these features, `blocks` inlined into it.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi2,bmi2,popcnt")]
    pub fn push_event(lines: &mut super::super::Lines, event: &herald_sse::EventRef<'_>) {
        lines.push_event_with(event, &|bytes: &[u8], buf: &mut [u8], at| blocks(bytes, buf, at));
    }

    // POPCNT: without it, counting the marks of a block (where its output ends, which the next
    // block waits for) took a dozen instructions, and the escaper ran 5.5 GB/s instead of 6.4.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi2,bmi2,popcnt")]
    #[inline]
    pub fn blocks(bytes: &[u8], buf: &mut [u8], mut at: usize) -> (usize, usize) {
        let quote = _mm256_set1_epi8(b'"' as i8);
        let backslash = _mm256_set1_epi8(b'\\' as i8);
        let space = _mm256_set1_epi8(0x20);
        let lead = _mm512_set1_epi16(i16::from(b'\\'));
        // Each byte widened to a 16-bit lane: (byte, spare); for a marked byte the lane
        // becomes (backslash, byte); the compress keeps the first of each pair and the second
        // of the marked ones.
        let escape = |v: __m256i, marks: u32| -> __m512i {
            let wide = _mm512_cvtepu8_epi16(v);
            let escaped = _mm512_or_si512(_mm512_slli_epi16::<8>(wide), lead);
            let pairs = _mm512_mask_mov_epi16(wide, marks, escaped);
            let keep = FIRSTS | _pdep_u64(u64::from(marks), SECONDS);
            _mm512_maskz_compress_epi8(keep, pairs)
        };
        let mut used = 0;
        // Whole blocks, in a loop of their own: one that also took the last, shorter block
        // carried its masks through every turn, and ran a third slower on long strings.
        while let Some(block) = bytes[used..].first_chunk::<32>() {
            // SAFETY: 32 bytes of a slice, read unaligned (the intrinsic's documented use).
            #[allow(unsafe_code)]
            let v = unsafe { _mm256_loadu_si256(block.as_ptr().cast::<__m256i>()) };
            if _mm256_cmplt_epu8_mask(v, space) != 0 {
                return (used, at);
            }
            let marks = _mm256_cmpeq_epi8_mask(v, quote) | _mm256_cmpeq_epi8_mask(v, backslash);
            let out = escape(v, marks);
            // The block's 64 bytes, stored whole (the caller's room covers them: twice what is
            // left and 32 more); those past the output's end are scratch. A masked store,
            // which writes only the output, is slower where it crosses a cache line.
            let dst = &mut buf[at..at + 64];
            // SAFETY: 64 bytes of a slice, written unaligned (the intrinsic's documented use).
            #[allow(unsafe_code)]
            unsafe {
                _mm512_storeu_si512(dst.as_mut_ptr().cast::<__m512i>(), out);
            }
            at += 32 + marks.count_ones() as usize;
            used += 32;
        }
        // The last bytes: only they are read (a masked load touches nothing else; the others
        // are zeros), and only their output is stored, which is within twice the input.
        let rest = &bytes[used..];
        if rest.is_empty() {
            return (used, at);
        }
        let inside = low_bits(rest.len());
        // SAFETY: the mask selects the `rest.len()` bytes of the slice, no more.
        #[allow(unsafe_code)]
        let v = unsafe { _mm256_maskz_loadu_epi8(inside, rest.as_ptr().cast::<i8>()) };
        if _mm256_cmplt_epu8_mask(v, space) & inside != 0 {
            return (used, at);
        }
        let marks = _mm256_cmpeq_epi8_mask(v, quote) | _mm256_cmpeq_epi8_mask(v, backslash);
        let written = rest.len() + marks.count_ones() as usize;
        let dst = &mut buf[at..at + written];
        // SAFETY: the mask selects the `written` bytes of the slice, no more.
        #[allow(unsafe_code)]
        unsafe {
            _mm512_mask_storeu_epi8(
                dst.as_mut_ptr().cast::<i8>(),
                low_bits64(written),
                escape(v, marks),
            );
        }
        (bytes.len(), at + written)
    }
}
