//! Where the lines of a chunk end: every CR and LF, in order. On x86-64 a 64-byte block at a
//! time becomes a bit mask (SSE2, which every x86-64 CPU has), and each line end is then a bit
//! to clear: for lines of a few dozen bytes (small events) that is cheaper than a search
//! started afresh for each line (make bench: tiny events 12-17% faster). A block without a
//! line end hands the search to memchr, faster on long lines. Elsewhere, memchr alone.

/// The positions of every CR and LF in `bytes`, in order.
#[cfg(target_arch = "x86_64")]
pub(super) fn line_ends(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    LineEnds { bytes, next: 0, base: 0, mask: 0 }
}

#[cfg(not(target_arch = "x86_64"))]
pub(super) fn line_ends(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr2_iter(b'\n', b'\r', bytes)
}

#[cfg(target_arch = "x86_64")]
struct LineEnds<'a> {
    bytes: &'a [u8],
    /// Where the next block to look at starts.
    next: usize,
    /// Where the block of `mask` starts.
    base: usize,
    /// The line ends of that block not handed out yet, a bit each.
    mask: u64,
}

#[cfg(target_arch = "x86_64")]
impl Iterator for LineEnds<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.mask == 0 {
            if self.next >= self.bytes.len() {
                return None;
            }
            self.base = self.next;
            self.next += BLOCK;
            self.mask = self.block_mask();
            if self.mask == 0 {
                // A whole block without one: a long line, whose end memchr's wider search
                // finds faster; the blocks go on from there.
                let rest = self.bytes.get(self.next..)?;
                self.base = self.next + memchr::memchr2(b'\n', b'\r', rest)?;
                self.next = self.base + BLOCK;
                self.mask = self.block_mask();
            }
        }
        let at = self.base + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

#[cfg(target_arch = "x86_64")]
const BLOCK: usize = 64;

#[cfg(target_arch = "x86_64")]
impl LineEnds<'_> {
    /// The mask of the block at `base`.
    #[inline(always)]
    fn block_mask(&self) -> u64 {
        match self.bytes[self.base..].first_chunk::<BLOCK>() {
            Some(block) => x86::mask_of(block),
            // The last bytes: the mask of the last 64 bytes of all, which overlap the block
            // before, shifted so that the first bit is `base`. (Copied into a block of zeros
            // instead, reading them back stalled on the copy: a twentieth of the parser's time
            // on ntfy-size events.)
            None if let Some(last) = self.bytes.last_chunk::<BLOCK>() => {
                x86::mask_of(last) >> (BLOCK - (self.bytes.len() - self.base))
            }
            None => short_mask(&self.bytes[self.base..]),
        }
    }
}

/// The mask of fewer than 64 bytes in all: with zeros after them (no line end there).
#[cfg(target_arch = "x86_64")]
#[cold]
#[inline(never)]
fn short_mask(rest: &[u8]) -> u64 {
    let mut block = [0; BLOCK];
    block[..rest.len()].copy_from_slice(rest);
    x86::mask_of(&block)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    /// A bit for each CR or LF among the 64 bytes.
    #[inline]
    pub fn mask_of(block: &[u8; 64]) -> u64 {
        // SAFETY: `mask` needs SSE2, which is part of the x86-64 baseline: every x86-64 CPU
        // has it (the compiler itself assumes it on this target).
        #[allow(unsafe_code)]
        unsafe {
            mask(block)
        }
    }

    #[target_feature(enable = "sse2")]
    fn mask(block: &[u8; 64]) -> u64 {
        let (lf, cr) = (_mm_set1_epi8(b'\n' as i8), _mm_set1_epi8(b'\r' as i8));
        let mut mask = 0;
        for (i, part) in block.as_chunks::<16>().0.iter().enumerate() {
            // SAFETY: an unaligned load of exactly the 16 bytes of `part`. (Built from two
            // 64-bit halves instead, to need no pointer, it cost a tenth of the parser's time
            // on ntfy-size events.)
            #[allow(unsafe_code)]
            let v = unsafe { _mm_loadu_si128(part.as_ptr().cast::<__m128i>()) };
            let ends = _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr));
            mask |= u64::from(_mm_movemask_epi8(ends) as u16) << (16 * i);
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_memchr_finds_at_every_length_and_position() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        // Dense line ends (several per block) and sparse ones (blocks without any: the search
        // then goes on with memchr).
        for (len, sparse) in (0..300).map(|l| (l, 10)).chain((0..40).map(|l| (l * 37, 300))) {
            for _ in 0..20 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        match rng % sparse {
                            0 => b'\n',
                            1 => b'\r',
                            2 => 0,
                            _ => b'a' + (rng % 26) as u8,
                        }
                    })
                    .collect();
                let ours: Vec<usize> = line_ends(&bytes).collect();
                let theirs: Vec<usize> = memchr::memchr2_iter(b'\n', b'\r', &bytes).collect();
                assert_eq!(ours, theirs, "{bytes:?}");
            }
        }
    }
}
