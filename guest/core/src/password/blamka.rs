//! Argon2's compression function G (RFC 9106 §3.5–3.6): XOR two 1 KiB
//! blocks, run the BlaMka permutation P over the 8 rows and then the 8
//! columns of the result (viewed as an 8×8 matrix of 16-byte registers),
//! and XOR the input back in.
//!
//! Why this exists: the `argon2` crate uses AVX2 natively, but compiled to
//! wasm it gets only what LLVM auto-vectorises. Here every step works on a
//! [`Lanes`] value, two 64-bit words side by side. On wasm with `simd128`
//! that is one `v128` register; elsewhere it is a `[u64; 2]` (the portable
//! fallback). Everything above `Lanes` — the register layout, the
//! (un)diagonalisation, the row/column walk — is shared, so native tests
//! exercise the same round structure the wasm build runs.

/// A 1 KiB Argon2 memory block: 128 64-bit words, held as 64 [`Lanes`]
/// (words 2k and 2k + 1 in register k), so the compression loads and
/// stores whole registers with no conversion (and no `unsafe`).
pub(super) type Block = [Lanes; 64];

/// The all-zero block (the first input of address generation).
pub(super) const ZERO: Block = [Lanes::ZERO; 64];

pub(super) use lanes::{Lanes, LowHalves};

/// Two 64-bit words in one `v128`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub(crate) struct Lanes(v128);

    /// The swizzle mask that moves the low 32-bit halves of both 64-bit
    /// lanes to 32-bit lanes 0 and 1, passed through `black_box` once per
    /// compression so that LLVM keeps it a swizzle (see [`Lanes::mul_lo`]).
    #[derive(Clone, Copy)]
    pub(crate) struct LowHalves(v128);

    impl LowHalves {
        #[inline(always)]
        pub(crate) fn new() -> Self {
            Self(core::hint::black_box(u8x16(
                0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11,
            )))
        }
    }

    impl Lanes {
        pub(crate) const ZERO: Self = Self(u64x2(0, 0));

        #[inline(always)]
        pub(crate) fn from_words(lo: u64, hi: u64) -> Self {
            Self(u64x2(lo, hi))
        }

        #[inline(always)]
        pub(crate) fn words(self) -> [u64; 2] {
            [
                u64x2_extract_lane::<0>(self.0),
                u64x2_extract_lane::<1>(self.0),
            ]
        }

        #[inline(always)]
        pub(crate) fn add(self, o: Self) -> Self {
            Self(i64x2_add(self.0, o.0))
        }

        #[inline(always)]
        pub(crate) fn xor(self, o: Self) -> Self {
            Self(v128_xor(self.0, o.0))
        }

        /// `lo32(a) · lo32(b)` per lane, as 64 bits. wasm has no direct
        /// pmuludq, but cranelift lowers `extmul_low` to pshufd + pmuludq
        /// on x86; it needs the low halves in 32-bit lanes 0 and 1 first.
        /// That move is a swizzle by a mask LLVM cannot see (see
        /// [`LowHalves`]): a constant shuffle there is folded back into
        /// `(a & 0xffffffff) * (b & 0xffffffff)`, a 64×64 `i64x2.mul`
        /// that costs three pmuludq and five more instructions.
        #[inline(always)]
        pub(crate) fn mul_lo(self, o: Self, k: LowHalves) -> Self {
            let a = i8x16_swizzle(self.0, k.0);
            let b = i8x16_swizzle(o.0, k.0);
            Self(u64x2_extmul_low_u32x4(a, b))
        }

        /// Rotate right by 32: swap the 32-bit halves (one pshufd).
        #[inline(always)]
        pub(crate) fn rotr32(self) -> Self {
            Self(i32x4_shuffle::<1, 0, 3, 2>(self.0, self.0))
        }

        /// Rotate right by 24 and 16 with shifts, not byte shuffles: LLVM
        /// emits a single-input `i8x16.shuffle` with an arbitrary second
        /// operand, which cranelift lowers to two pshufb and a por.
        #[inline(always)]
        pub(crate) fn rotr24(self) -> Self {
            Self(v128_or(u64x2_shr(self.0, 24), i64x2_shl(self.0, 40)))
        }

        #[inline(always)]
        pub(crate) fn rotr16(self) -> Self {
            Self(v128_or(u64x2_shr(self.0, 16), i64x2_shl(self.0, 48)))
        }

        /// Rotate right by 63 = left by 1: `x + x` (a cheap shift) or'd
        /// with the top bit.
        #[inline(always)]
        pub(crate) fn rotr63(self) -> Self {
            Self(v128_or(i64x2_add(self.0, self.0), u64x2_shr(self.0, 63)))
        }

        /// `(a[1], b[0])`: the (un)diagonalisation step (one palignr).
        #[inline(always)]
        pub(crate) fn hi_lo(a: Self, b: Self) -> Self {
            Self(i64x2_shuffle::<1, 2>(a.0, b.0))
        }
    }
}

/// Two 64-bit words as a plain pair: the portable fallback.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    #[derive(Clone, Copy)]
    pub(crate) struct Lanes([u64; 2]);

    /// Nothing to carry natively (see the wasm `LowHalves`).
    #[derive(Clone, Copy)]
    pub(crate) struct LowHalves;

    impl LowHalves {
        #[inline(always)]
        pub(crate) fn new() -> Self {
            Self
        }
    }

    impl Lanes {
        #[inline(always)]
        fn map(self, f: impl Fn(u64) -> u64) -> Self {
            Self([f(self.0[0]), f(self.0[1])])
        }

        #[inline(always)]
        fn zip(self, o: Self, f: impl Fn(u64, u64) -> u64) -> Self {
            Self([f(self.0[0], o.0[0]), f(self.0[1], o.0[1])])
        }

        pub(crate) const ZERO: Self = Self([0; 2]);

        #[inline(always)]
        pub(crate) fn from_words(lo: u64, hi: u64) -> Self {
            Self([lo, hi])
        }

        #[inline(always)]
        pub(crate) fn words(self) -> [u64; 2] {
            self.0
        }

        #[inline(always)]
        pub(crate) fn add(self, o: Self) -> Self {
            self.zip(o, u64::wrapping_add)
        }

        #[inline(always)]
        pub(crate) fn xor(self, o: Self) -> Self {
            self.zip(o, |a, b| a ^ b)
        }

        #[inline(always)]
        pub(crate) fn mul_lo(self, o: Self, _: LowHalves) -> Self {
            self.zip(o, |a, b| (a & 0xffff_ffff) * (b & 0xffff_ffff))
        }

        #[inline(always)]
        pub(crate) fn rotr32(self) -> Self {
            self.map(|x| x.rotate_right(32))
        }

        #[inline(always)]
        pub(crate) fn rotr24(self) -> Self {
            self.map(|x| x.rotate_right(24))
        }

        #[inline(always)]
        pub(crate) fn rotr16(self) -> Self {
            self.map(|x| x.rotate_right(16))
        }

        #[inline(always)]
        pub(crate) fn rotr63(self) -> Self {
            self.map(|x| x.rotate_right(63))
        }

        #[inline(always)]
        pub(crate) fn hi_lo(a: Self, b: Self) -> Self {
            Self([a.0[1], b.0[0]])
        }
    }
}

/// BlaMka's multiply-add `a + b + 2·lo32(a)·lo32(b)` (RFC 9106 §3.6).
#[inline(always)]
fn blamka(a: Lanes, b: Lanes, k: LowHalves) -> Lanes {
    let m = a.mul_lo(b, k);
    a.add(b).add(m.add(m))
}

/// The quarter-round GB on two columns of the 4×4 word matrix at once.
#[inline(always)]
fn gb(a: &mut Lanes, b: &mut Lanes, c: &mut Lanes, d: &mut Lanes, k: LowHalves) {
    *a = blamka(*a, *b, k);
    *d = d.xor(*a).rotr32();
    *c = blamka(*c, *d, k);
    *b = b.xor(*c).rotr24();
    *a = blamka(*a, *b, k);
    *d = d.xor(*a).rotr16();
    *c = blamka(*c, *d, k);
    *b = b.xor(*c).rotr63();
}

/// The permutation P on 16 words held in eight registers: `at(k)` is the
/// index in `q` of register k, with words v0..v15 laid out as
/// (v0,v1) (v2,v3) (v4,v5) (v6,v7) (v8,v9) (v10,v11) (v12,v13) (v14,v15).
/// GB runs on the columns (v0,v4,v8,v12)…, then on the diagonals
/// (v0,v5,v10,v15)…, which needs the b, c and d rows rotated across the
/// register pair.
#[inline(always)]
fn permute(q: &mut [Lanes; 64], at: impl Fn(usize) -> usize, k: LowHalves) {
    let [
        mut a0,
        mut a1,
        mut b0,
        mut b1,
        mut c0,
        mut c1,
        mut d0,
        mut d1,
    ] = core::array::from_fn(|k| q[at(k)]);

    gb(&mut a0, &mut b0, &mut c0, &mut d0, k);
    gb(&mut a1, &mut b1, &mut c1, &mut d1, k);

    // Diagonalise: b → (v5,v6) (v7,v4), c → (v10,v11) (v8,v9),
    // d → (v15,v12) (v13,v14).
    (b0, b1) = (Lanes::hi_lo(b0, b1), Lanes::hi_lo(b1, b0));
    (c0, c1) = (c1, c0);
    (d0, d1) = (Lanes::hi_lo(d1, d0), Lanes::hi_lo(d0, d1));

    gb(&mut a0, &mut b0, &mut c0, &mut d0, k);
    gb(&mut a1, &mut b1, &mut c1, &mut d1, k);

    // And back.
    (b0, b1) = (Lanes::hi_lo(b1, b0), Lanes::hi_lo(b0, b1));
    (c0, c1) = (c1, c0);
    (d0, d1) = (Lanes::hi_lo(d0, d1), Lanes::hi_lo(d1, d0));

    for (k, v) in [a0, a1, b0, b1, c0, c1, d0, d1].into_iter().enumerate() {
        q[at(k)] = v;
    }
}

/// `out = G(x, y)`, or `out ^= G(x, y)` when `XOR` (passes after the first,
/// Argon2 version 0x13). `out` is neither input.
#[inline(always)]
pub(super) fn compress<const XOR: bool>(x: &Block, y: &Block, out: &mut Block) {
    let k = LowHalves::new();
    // (A loop, not `array::from_fn`, whose result LLVM builds elsewhere and
    // then copies.)
    let mut q = ZERO;
    for (q, (x, y)) in q.iter_mut().zip(x.iter().zip(y)) {
        *q = x.xor(*y);
    }
    // Rows: register j of row i is 8i + j (16 consecutive words).
    for i in 0..8 {
        permute(&mut q, |j| 8 * i + j, k);
    }
    // Columns: register j of column i is i + 8j (word pairs 2i, 2i+1 of
    // each row).
    for i in 0..8 {
        permute(&mut q, |j| i + 8 * j, k);
    }
    // Feed forward R = X ⊕ Y, recomputed from the inputs (still in cache)
    // rather than kept: a second 1 KiB copy of the state costs more.
    for (i, out) in out.iter_mut().enumerate() {
        let v = q[i].xor(x[i]).xor(y[i]);
        *out = if XOR { v.xor(*out) } else { v };
    }
}
