//! A deterministic input generator for running the targets on stable:
//! random bytes of varied lengths, biased towards the bytes and strings
//! that parsers and the targets' own input formats care about.

/// How many generated inputs a test feeds its target: `FUZZ_INPUTS`, else
/// `default`. Set it for a longer random run on stable.
pub fn budget(default: usize) -> usize {
    std::env::var("FUZZ_INPUTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// The generator a test uses: seeded by `FUZZ_SEED` (default 0) and the
/// test's own number, so that runs repeat unless asked not to.
pub fn generator(test: u64) -> Gen {
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Gen::new(seed.wrapping_mul(0x1000_0000_01B3) ^ test)
}

/// SplitMix64: small, fast and the same everywhere.
pub struct Gen(u64);

const INTERESTING: &[&[u8]] = &[
    b"moth_",
    b"\0",
    b"\xff\xfe",
    b"\xc3\xa9",
    b"\xf0\x9f\x98\x80",
    b"\xed\xa0\x80",
    b"\xc0\x80",
    b"{\"username\":\"ann\",\"password\":\"pw\"}",
    b"%00",
    b"%ZZ",
    b"/t/",
    b"null",
    b"18446744073709551615",
    b"-1",
    b"1e400",
    b"[]",
    b"{}",
];

impl Gen {
    /// A generator whose stream depends only on `seed`.
    pub fn new(seed: u64) -> Self {
        Gen(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (which must not be 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// An input of up to `max` bytes: runs of random bytes, small numbers,
    /// repeated bytes and interesting strings.
    pub fn input(&mut self, max: usize) -> Vec<u8> {
        let len = match self.below(4) {
            0 => self.below(16),
            1 => self.below(128),
            _ => self.below(max + 1),
        };
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            match self.below(6) {
                0 => out.extend(INTERESTING[self.below(INTERESTING.len())]),
                1 => {
                    let b = self.next_u64() as u8;
                    let n = self.below(64);
                    out.extend(std::iter::repeat_n(b, n));
                }
                2 => out.push(self.below(8) as u8),
                _ => {
                    let n = self.below(16);
                    out.extend((0..n).map(|_| self.next_u64() as u8));
                }
            }
        }
        out.truncate(len);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_bounded() {
        let (mut a, mut b) = (Gen::new(7), Gen::new(7));
        for _ in 0..100 {
            let x = a.input(300);
            assert!(x.len() <= 300);
            assert_eq!(x, b.input(300));
        }
    }
}
