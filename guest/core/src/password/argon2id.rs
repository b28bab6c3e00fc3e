//! Argon2id, version 0x13, as specified by RFC 9106, single-threaded.
//!
//! The lanes of a slice are filled one after another, which gives the same
//! result as filling them in parallel: within a slice a lane references
//! only its own current segment and other lanes' finished slices. The
//! compression function is in [`super::blamka`] (SIMD on wasm).

use blake2::digest::{Digest, Update, VariableOutput};
use blake2::{Blake2b512, Blake2bVar};

use super::blamka::{self, Block, Lanes};
use crate::error::{Result, invalid};

/// Argon2 version 0x13 (RFC 9106 §3.2: v).
const VERSION: u32 = 0x13;
/// Argon2id (RFC 9106 §3.2: y).
const TYPE_ID: u32 = 2;
/// Slices per pass (synchronisation points).
const SLICES: usize = 4;
/// Reference addresses in one address block.
const ADDRESSES: usize = 128;

/// The smallest and largest tag accepted, in bytes. (RFC 9106 allows up to
/// 2³² − 1; nothing here needs more than a PHC output's 64.)
const MIN_OUT: usize = 4;
const MAX_OUT: usize = 1024;
/// The shortest salt accepted (RFC 9106 recommends 16 bytes).
const MIN_SALT: usize = 8;

/// Argon2id tag of `password` into `out` (its length is the tag length T).
/// `m_kib` is the memory in KiB (≥ 8·p), `t` the passes (≥ 1) and `p`
/// the lanes (1..=2²⁴−1); `secret` (K) and `ad` (X) may be empty.
#[allow(clippy::too_many_arguments)]
pub(crate) fn hash_into(
    password: &[u8],
    salt: &[u8],
    secret: &[u8],
    ad: &[u8],
    m_kib: u32,
    t: u32,
    p: u32,
    out: &mut [u8],
) -> Result<()> {
    if !(1..(1 << 24)).contains(&p) {
        return Err(invalid("argon2 parallelism must be 1..=16777215"));
    }
    if t < 1 {
        return Err(invalid("argon2 iterations must be at least 1"));
    }
    if m_kib < 8 * p {
        return Err(invalid("argon2 memory must be at least 8 KiB per lane"));
    }
    if !(MIN_OUT..=MAX_OUT).contains(&out.len()) {
        return Err(invalid("argon2 output must be 4..=1024 bytes"));
    }
    if salt.len() < MIN_SALT {
        return Err(invalid("argon2 salt must be at least 8 bytes"));
    }
    let len = |s: &[u8]| u32::try_from(s.len()).map_err(|_| invalid("argon2 input too long"));

    // H0 (§3.2 step 1).
    let mut h = Blake2b512::new();
    for word in [p, out.len() as u32, m_kib, t, VERSION, TYPE_ID] {
        Digest::update(&mut h, word.to_le_bytes());
    }
    for input in [password, salt, secret, ad] {
        Digest::update(&mut h, len(input)?.to_le_bytes());
        Digest::update(&mut h, input);
    }
    let h0 = h.finalize();

    // m' = 4·p·⌊m / 4p⌋ blocks in p lanes of q = m'/p columns.
    let lanes = p as usize;
    let segment = m_kib as usize / (SLICES * lanes);
    let lane_len = segment * SLICES;
    let mut memory = vec![blamka::ZERO; lane_len * lanes];

    // The first two blocks of each lane (§3.2 steps 3–4).
    let mut bytes = [0u8; 1024];
    for lane in 0..lanes {
        for column in 0..2u32 {
            hash_long(
                &[&h0, &column.to_le_bytes(), &(lane as u32).to_le_bytes()],
                &mut bytes,
            );
            memory[lane * lane_len + column as usize] = block_from_bytes(&bytes);
        }
    }

    let geometry = Geometry {
        lanes,
        segment,
        lane_len,
        blocks: memory.len(),
        passes: t as usize,
    };
    for pass in 0..geometry.passes {
        for slice in 0..SLICES {
            for lane in 0..lanes {
                geometry.fill_segment(&mut memory, pass, slice, lane);
            }
        }
    }

    // The final block C is the XOR of each lane's last block (§3.2 step 7).
    let mut last = memory[lane_len - 1];
    for lane in 1..lanes {
        for (c, w) in last.iter_mut().zip(&memory[lane * lane_len + lane_len - 1]) {
            *c = c.xor(*w);
        }
    }
    for (chunk, pair) in bytes
        .as_chunks_mut::<8>()
        .0
        .iter_mut()
        .zip(last.iter().flat_map(|l| l.words()))
    {
        *chunk = pair.to_le_bytes();
    }
    hash_long(&[&bytes], out);
    Ok(())
}

/// A block from 1024 little-endian bytes.
fn block_from_bytes(bytes: &[u8; 1024]) -> Block {
    let words = bytes.as_chunks::<8>().0;
    core::array::from_fn(|k| {
        Lanes::from_words(
            u64::from_le_bytes(words[2 * k]),
            u64::from_le_bytes(words[2 * k + 1]),
        )
    })
}

/// Word `i` (0..128) of `block`.
fn word(block: &Block, i: usize) -> u64 {
    block[i / 2].words()[i % 2]
}

/// The sizes of one run's memory.
struct Geometry {
    lanes: usize,
    segment: usize,
    lane_len: usize,
    blocks: usize,
    passes: usize,
}

impl Geometry {
    /// Fill one segment (§3.4): the blocks of `lane` in `slice` of `pass`.
    fn fill_segment(&self, memory: &mut [Block], pass: usize, slice: usize, lane: usize) {
        // Argon2id: data-independent addresses in the first half of the
        // first pass, data-dependent ones otherwise.
        let independent = pass == 0 && slice < SLICES / 2;
        // Z (§3.4.1.2): the position, the sizes, the type, then a counter.
        let mut input = blamka::ZERO;
        input[0] = Lanes::from_words(pass as u64, lane as u64);
        input[1] = Lanes::from_words(slice as u64, self.blocks as u64);
        input[2] = Lanes::from_words(self.passes as u64, u64::from(TYPE_ID));
        let mut counter = 0;
        let mut addresses = blamka::ZERO;
        // The first two blocks of the first pass are already there.
        let first = if pass == 0 && slice == 0 { 2 } else { 0 };
        let lane_start = lane * self.lane_len;

        for index in first..self.segment {
            let column = slice * self.segment + index;
            let cur = lane_start + column;
            let prev = if column == 0 {
                lane_start + self.lane_len - 1
            } else {
                cur - 1
            };

            // J1 ‖ J2: from the address block, or the previous block's first word.
            let rand = if independent {
                if index == first || index % ADDRESSES == 0 {
                    // Address block = G(0, G(0, Z)) with Z's counter bumped.
                    counter += 1;
                    input[3] = Lanes::from_words(counter, 0);
                    let mut once = blamka::ZERO;
                    blamka::compress::<false>(&blamka::ZERO, &input, &mut once);
                    blamka::compress::<false>(&blamka::ZERO, &once, &mut addresses);
                }
                word(&addresses, index % ADDRESSES)
            } else {
                word(&memory[prev], 0)
            };
            let reference = self.reference(rand, pass, slice, lane, index);

            // Compress into the current block, borrowing it apart from the
            // two inputs (neither is ever the current block).
            let (before, rest) = memory.split_at_mut(cur);
            let (out, after) = rest.split_first_mut().expect("cur is in memory");
            let block = |i: usize| {
                if i < cur {
                    &before[i]
                } else {
                    &after[i - cur - 1]
                }
            };
            if pass == 0 {
                blamka::compress::<false>(block(prev), block(reference), out);
            } else {
                blamka::compress::<true>(block(prev), block(reference), out);
            }
        }
    }

    /// The index into memory of the block referenced from block `index` of
    /// the segment, given the pseudo-random `rand` = J2 ‖ J1 (§3.4.1–3.4.2).
    fn reference(&self, rand: u64, pass: usize, slice: usize, lane: usize, index: usize) -> usize {
        let (j1, j2) = (rand & 0xffff_ffff, rand >> 32);
        let ref_lane = if pass == 0 && slice == 0 {
            lane
        } else {
            (j2 % self.lanes as u64) as usize
        };
        // W: the blocks that may be referenced. The finished slices of the
        // pass (in the first pass, only those so far), plus, in our own
        // lane, this segment up to the previous block. From another lane,
        // never that lane's last finished block when this is a segment's
        // first block (it may still be being written in parallel).
        let finished = if pass == 0 {
            slice * self.segment
        } else {
            self.lane_len - self.segment
        };
        let area = if ref_lane == lane {
            finished + index - 1
        } else {
            finished - usize::from(index == 0)
        };
        let x = (j1 * j1) >> 32;
        let y = (area as u64 * x) >> 32;
        let relative = area - 1 - y as usize;
        // Counted from the start of the next slice (the oldest finished
        // block), except in the first pass and in the last slice.
        let start = if pass != 0 && slice != SLICES - 1 {
            (slice + 1) * self.segment
        } else {
            0
        };
        ref_lane * self.lane_len + (start + relative) % self.lane_len
    }
}

/// The variable-length hash H' (§3.3) of the concatenated `inputs`, whose
/// length is `out.len()` (1..=2³²−1).
fn hash_long(inputs: &[&[u8]], out: &mut [u8]) {
    let prefix = (out.len() as u32).to_le_bytes();
    if out.len() <= 64 {
        let mut h = Blake2bVar::new(out.len()).expect("1..=64 bytes");
        Update::update(&mut h, &prefix);
        for input in inputs {
            Update::update(&mut h, input);
        }
        h.finalize_variable(out).expect("sized at new");
        return;
    }
    // r = ⌈T/32⌉ − 2 full 64-byte hashes V1..Vr, each contributing its first
    // 32 bytes, then V(r+1) of the remaining T − 32r bytes, all of it.
    let mut h = Blake2b512::new();
    Digest::update(&mut h, prefix);
    for input in inputs {
        Digest::update(&mut h, input);
    }
    let mut v = h.finalize();
    let r = out.len().div_ceil(32) - 2;
    out[..32].copy_from_slice(&v[..32]);
    for i in 1..r {
        v = Blake2b512::digest(v);
        out[32 * i..32 * (i + 1)].copy_from_slice(&v[..32]);
    }
    let rest = &mut out[32 * r..];
    let mut h = Blake2bVar::new(rest.len()).expect("33..=64 bytes");
    Update::update(&mut h, &v);
    h.finalize_variable(rest).expect("sized at new");
}
