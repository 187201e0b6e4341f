//! Where the lines of a piece of the stream end, and whether it is all ASCII, found in one pass
//! over it before it is parsed: a bit for each CR or LF, 64 bytes to a word. The parser then
//! takes every line end from the bits with no search, and an ASCII piece (nearly every piece of
//! most streams) needs no UTF-8 check at all. Before, the check and the line-end search were two
//! passes over the same bytes, with a call into memchr for each long line and for a chunk's first
//! and last line end (make bench: ntfy-size and tiny events about 1.5x faster since). On x86-64
//! CPUs with AVX2 (asked once) the pass takes 32 bytes a step; elsewhere memchr finds the line
//! ends and std checks for ASCII.

/// The longest piece indexed at once (a word for each 64 bytes: 128 KiB): the parser takes
/// longer chunks in pieces of this size. A line within a piece is handed out as a slice of it;
/// one that spans pieces is copied, as one that spans chunks (with pieces of 32 KiB, 64 KiB
/// events in 1 MiB chunks were 11% slower).
pub(super) const PIECE: usize = 1024 * 1024;

/// An index grown past this many words (for a piece of over 32 KiB) is let go once its piece is
/// parsed: a feed keeps no more than this between chunks.
const KEEP_WORDS: usize = 512;

/// The line ends of one piece and whether it is ASCII.
#[derive(Debug, Default)]
pub(super) struct Index {
    /// A bit for each CR or LF; word `i` holds bytes `64 * i ..`, the first byte the low bit.
    /// Bits past the piece's end are clear.
    masks: Vec<u64>,
    ascii: bool,
}

impl Index {
    /// Indexes `bytes` (at most `PIECE` of them), reusing the index's memory.
    pub(super) fn of(&mut self, bytes: &[u8]) {
        debug_assert!(bytes.len() <= PIECE);
        self.masks.clear();
        self.masks.resize(bytes.len().div_ceil(64), 0);
        self.ascii = fill(bytes, &mut self.masks);
    }

    /// The piece is parsed: a large index is let go.
    pub(super) fn done(&mut self) {
        if self.masks.capacity() > KEEP_WORDS {
            self.masks = Vec::new();
        }
    }

    /// The words of memory the index holds.
    #[cfg(test)]
    pub(super) fn held(&self) -> usize {
        self.masks.capacity()
    }

    /// Every byte is below 0x80, so the piece is valid UTF-8.
    pub(super) fn ascii(&self) -> bool {
        self.ascii
    }

    /// The first line end at or after `from`.
    pub(super) fn first_from(&self, from: usize) -> Option<usize> {
        self.ends_from(from).next()
    }

    /// The last line end of the piece.
    pub(super) fn last(&self) -> Option<usize> {
        let (word, bits) = self.masks.iter().enumerate().rev().find(|(_, bits)| **bits != 0)?;
        Some(word * 64 + 63 - bits.leading_zeros() as usize)
    }

    /// The line ends at or after `from`, in order.
    pub(super) fn ends_from(&self, from: usize) -> Ends<'_> {
        let word = from / 64;
        let bits = self.masks.get(word).map_or(0, |bits| bits & (u64::MAX << (from % 64)));
        Ends { masks: &self.masks, word, bits }
    }
}

/// Line ends, from an index.
pub(super) struct Ends<'a> {
    masks: &'a [u64],
    /// The word `bits` came from.
    word: usize,
    /// Its line ends not handed out yet.
    bits: u64,
}

impl Iterator for Ends<'_> {
    type Item = usize;

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        while self.bits == 0 {
            self.word += 1;
            self.bits = *self.masks.get(self.word)?;
        }
        let at = self.word * 64 + self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(at)
    }
}

/// Sets the bit of every CR and LF of `bytes` in `masks` (zeroed, a word for each 64 bytes);
/// returns whether every byte is ASCII.
fn fill(bytes: &[u8], masks: &mut [u64]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if x86::has_avx2() {
        // SAFETY: `fill_avx2` needs AVX2, which this CPU has (asked just before).
        #[allow(unsafe_code)]
        return unsafe { x86::fill_avx2(bytes, masks) };
    }
    fill_any(bytes, masks)
}

/// The pass on any CPU (and x86-64 ones without AVX2): memchr for the line ends, std for ASCII.
fn fill_any(bytes: &[u8], masks: &mut [u64]) -> bool {
    for at in memchr::memchr2_iter(b'\n', b'\r', bytes) {
        masks[at / 64] |= 1 << (at % 64);
    }
    bytes.is_ascii()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8, _mm256_setzero_si256,
    };

    pub fn has_avx2() -> bool {
        std::is_x86_feature_detected!("avx2")
    }

    /// 32 bytes a step. Needs AVX2. The last bytes (fewer than 64) go in a block of zeros, which
    /// holds no line end and is ASCII.
    #[target_feature(enable = "avx2")]
    pub fn fill_avx2(bytes: &[u8], masks: &mut [u64]) -> bool {
        let (lf, cr) = (_mm256_set1_epi8(b'\n' as i8), _mm256_set1_epi8(b'\r' as i8));
        let mut high = _mm256_setzero_si256();
        let mut step = |block: &[u8; 64]| {
            let mut mask = 0;
            for (i, half) in block.as_chunks::<32>().0.iter().enumerate() {
                // SAFETY: an unaligned load of exactly the 32 bytes of `half`.
                #[allow(unsafe_code)]
                let v = unsafe { _mm256_loadu_si256(half.as_ptr().cast::<__m256i>()) };
                high = _mm256_or_si256(high, v);
                let ends = _mm256_or_si256(_mm256_cmpeq_epi8(v, lf), _mm256_cmpeq_epi8(v, cr));
                mask |= u64::from(_mm256_movemask_epi8(ends) as u32) << (32 * i);
            }
            mask
        };
        let (blocks, rest) = bytes.as_chunks::<64>();
        for (block, word) in blocks.iter().zip(masks.iter_mut()) {
            *word = step(block);
        }
        if !rest.is_empty()
            && let Some(word) = masks.get_mut(blocks.len())
        {
            let mut last = [0; 64];
            last[..rest.len()].copy_from_slice(rest);
            *word = step(&last);
        }
        // A byte of 0x80 or more has its top bit set.
        _mm256_movemask_epi8(high) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index by each way this CPU has, against memchr and std.
    fn each_way(bytes: &[u8]) -> Vec<(&'static str, Vec<u64>, bool)> {
        let words = bytes.len().div_ceil(64);
        let by = |name, fill: &dyn Fn(&[u8], &mut [u64]) -> bool| {
            let mut masks = vec![0; words];
            let ascii = fill(bytes, &mut masks);
            (name, masks, ascii)
        };
        #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
        let mut ways = vec![by("any", &fill_any)];
        #[cfg(target_arch = "x86_64")]
        if x86::has_avx2() {
            // SAFETY: only where the CPU has AVX2.
            #[allow(unsafe_code)]
            ways.push(by("avx2", &|b, m| unsafe { x86::fill_avx2(b, m) }));
        }
        ways
    }

    #[test]
    fn every_way_finds_what_memchr_finds_and_tells_ascii_at_every_length_and_position() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        // Dense line ends (several per block) and sparse ones (blocks without any); now and
        // then one byte of 0x80 or more, anywhere (the last bytes of a piece included).
        for (len, sparse) in (0..300).map(|l| (l, 10)).chain((0..40).map(|l| (l * 37, 300))) {
            for round in 0..20 {
                let mut bytes: Vec<u8> = (0..len)
                    .map(|_| match next() % sparse {
                        0 => b'\n',
                        1 => b'\r',
                        2 => 0,
                        _ => b'a' + (next() % 26) as u8,
                    })
                    .collect();
                if round % 2 == 1 && len > 0 {
                    let at = (next() % len as u64) as usize;
                    bytes[at] = 0x80 | (next() % 0x80) as u8;
                }
                let theirs: Vec<usize> = memchr::memchr2_iter(b'\n', b'\r', &bytes).collect();
                for (name, masks, ascii) in each_way(&bytes) {
                    assert_eq!(ascii, bytes.is_ascii(), "{name}: {bytes:?}");
                    let index = Index { masks, ascii };
                    let ours: Vec<usize> = index.ends_from(0).collect();
                    assert_eq!(ours, theirs, "{name}: {bytes:?}");
                    assert_eq!(index.last(), theirs.last().copied(), "{name}: {bytes:?}");
                    for from in [1, 63, 64, 65, len / 2] {
                        let after = theirs.iter().copied().find(|&at| at >= from);
                        assert_eq!(index.first_from(from), after, "{name} from {from}: {bytes:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_small_index_is_kept_and_a_large_one_let_go() {
        let mut index = Index::default();
        index.of(&[b'x'; 64 * KEEP_WORDS]);
        assert!(index.ascii() && index.last().is_none());
        index.done();
        let capacity = index.masks.capacity();
        index.of(b"a\nb\xc3\xa9");
        assert_eq!((index.ascii(), index.last()), (false, Some(1)));
        assert_eq!(index.masks.capacity(), capacity, "kept");
        index.of(&vec![b'\n'; PIECE]);
        assert_eq!(index.last(), Some(PIECE - 1));
        index.done();
        assert_eq!(index.masks.capacity(), 0, "let go once the piece is parsed");
    }
}
