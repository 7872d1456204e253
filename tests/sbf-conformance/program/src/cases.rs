//! The pure computations of the conformance suite, shared verbatim by both sides.
//!
//! The SBF program runs [`run`] inside an instruction and writes the records into an output
//! account; the host test runs the very same function, compiled natively, and compares the bytes
//! exactly. Inputs come from [`Rng`] (a fixed-seed xorshift) after a table of edge cases, and
//! every record starts with its inputs, so a mismatch names the input that broke.
//!
//! Casts here are deliberate: truncating and saturating `as` conversions are what is tested.
#![allow(clippy::cast_possible_truncation)]

use core::hint::black_box;

/// One conformance case: which computation [`run`] performs.
pub mod case {
    pub const U64: u8 = 0;
    pub const U128: u8 = 1;
    pub const I128: u8 = 2;
    pub const SHIFT: u8 = 3;
    pub const F64_ARITH: u8 = 4;
    pub const F64_CONV: u8 = 5;
    pub const SQRT: u8 = 6;
    pub const MANY_ARGS: u8 = 7;
    pub const BIG_RETURN: u8 = 8;
    pub const DYN_TRAIT: u8 = 9;
    pub const MEM: u8 = 10;
    pub const HASH: u8 = 11;
    pub const I64_DIV: u8 = 12;
    pub const F64_NARROW: u8 = 13;
}

/// Why [`run`] produced no records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseError {
    /// No such case.
    UnknownCase,
    /// The output buffer is too small for the records asked for.
    OutputFull,
    /// The case has fewer inputs than `start + count`.
    OutOfRange,
}

/// A byte writer over a fixed buffer (an account's data on SBF, a `Vec` on the host).
pub struct Out<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Out<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.pos == 0
    }

    pub fn bytes(&mut self, b: &[u8]) -> Result<(), CaseError> {
        let end = self.pos.checked_add(b.len()).ok_or(CaseError::OutputFull)?;
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(CaseError::OutputFull)?;
        dst.copy_from_slice(b);
        self.pos = end;
        Ok(())
    }
    pub fn u8(&mut self, v: u8) -> Result<(), CaseError> {
        self.bytes(&[v])
    }
    pub fn bool(&mut self, v: bool) -> Result<(), CaseError> {
        self.u8(v as u8)
    }
    pub fn u64(&mut self, v: u64) -> Result<(), CaseError> {
        self.bytes(&v.to_le_bytes())
    }
    pub fn i64(&mut self, v: i64) -> Result<(), CaseError> {
        self.bytes(&v.to_le_bytes())
    }
    pub fn u128(&mut self, v: u128) -> Result<(), CaseError> {
        self.bytes(&v.to_le_bytes())
    }
    pub fn i128(&mut self, v: i128) -> Result<(), CaseError> {
        self.bytes(&v.to_le_bytes())
    }
    /// An `f64` by its bits, except that every NaN is written as one canonical NaN: Rust and
    /// IEEE 754 leave the payload and sign of a produced NaN unspecified (x86 makes
    /// 0xfff8..., soft-float makes 0x7ff8...), so only NaN-ness is a contract.
    pub fn f64(&mut self, v: f64) -> Result<(), CaseError> {
        let bits = if v.is_nan() {
            0x7ff8_0000_0000_0000
        } else {
            v.to_bits()
        };
        self.u64(bits)
    }
    pub fn opt_u64(&mut self, v: Option<u64>) -> Result<(), CaseError> {
        self.bool(v.is_some())?;
        self.u64(v.unwrap_or(0))
    }
    pub fn opt_i64(&mut self, v: Option<i64>) -> Result<(), CaseError> {
        self.bool(v.is_some())?;
        self.i64(v.unwrap_or(0))
    }
    pub fn opt_u128(&mut self, v: Option<u128>) -> Result<(), CaseError> {
        self.bool(v.is_some())?;
        self.u128(v.unwrap_or(0))
    }
    pub fn opt_i128(&mut self, v: Option<i128>) -> Result<(), CaseError> {
        self.bool(v.is_some())?;
        self.i128(v.unwrap_or(0))
    }
}

/// xorshift64* with a fixed seed: the same sequence on every machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub const fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }
    /// The generator for input `i` of a case: inputs are independent of batching.
    pub fn for_input(case: u8, i: u32) -> Self {
        let mut r = Self::new(
            0x5eed_0000_0000_0000 ^ ((case as u64) << 40) ^ (i as u64).wrapping_mul(0x2545_f491),
        );
        r.next_u64();
        r.next_u64();
        r
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// A random value, shifted right by a random amount half the time so small values appear.
    pub fn spread(&mut self) -> u64 {
        let v = self.next_u64();
        let s = self.next_u64();
        if s & 1 == 0 { v } else { v >> ((s >> 1) % 64) }
    }
    pub fn spread128(&mut self) -> u128 {
        let v = ((self.next_u64() as u128) << 64) | self.next_u64() as u128;
        let s = self.next_u64();
        if s & 1 == 0 { v } else { v >> ((s >> 1) % 128) }
    }
}

pub const U64_EDGES: [u64; 14] = [
    0,
    1,
    2,
    3,
    7,
    10,
    u64::MAX,
    u64::MAX - 1,
    1 << 63,
    (1 << 63) - 1,
    1 << 32,
    (1 << 32) - 1,
    0x5555_5555_5555_5555,
    0xdead_beef,
];

pub const U128_EDGES: [u128; 14] = [
    0,
    1,
    2,
    3,
    10,
    u128::MAX,
    u128::MAX - 1,
    1 << 127,
    (1 << 127) - 1,
    1 << 64,
    (1 << 64) - 1,
    (1 << 64) + 1,
    u64::MAX as u128 * 3,
    0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
];

pub const I128_EDGES: [i128; 16] = [
    0,
    1,
    -1,
    2,
    -2,
    3,
    -10,
    i128::MIN,
    i128::MIN + 1,
    i128::MAX,
    i128::MAX - 1,
    1 << 64,
    -(1 << 64),
    i64::MIN as i128,
    i64::MAX as i128,
    -0x0123_4567_89ab_cdef_fedc_ba98,
];

/// Random pairs after the edge × edge grid.
const RANDOM_PAIRS: u32 = 400;

/// The edge × edge grid, then random pairs.
fn pair<T: Copy>(edges: &[T], i: u32, random: impl FnOnce(&mut Rng) -> (T, T), case: u8) -> (T, T) {
    let n = edges.len() as u32;
    if i < n * n {
        (edges[(i / n) as usize], edges[(i % n) as usize])
    } else {
        random(&mut Rng::for_input(case, i))
    }
}

/// How many inputs each case has.
pub fn input_count(case: u8) -> Option<u32> {
    Some(match case {
        case::U64 => (U64_EDGES.len() * U64_EDGES.len()) as u32 + RANDOM_PAIRS,
        case::U128 => (U128_EDGES.len() * U128_EDGES.len()) as u32 + RANDOM_PAIRS,
        case::I128 => (I128_EDGES.len() * I128_EDGES.len()) as u32 + RANDOM_PAIRS,
        case::SHIFT => U128_EDGES.len() as u32 + 34,
        case::F64_ARITH => (F64_EDGES.len() * F64_EDGES.len()) as u32 + RANDOM_PAIRS,
        case::F64_CONV => F64_EDGES.len() as u32 + U64_EDGES.len() as u32 + RANDOM_PAIRS,
        case::SQRT => F64_EDGES.len() as u32 + RANDOM_PAIRS,
        case::MANY_ARGS => 200,
        case::BIG_RETURN => 100,
        case::DYN_TRAIT => 200,
        case::MEM => (MEM_SIZES.len() * MEM_OFFSETS.len()) as u32,
        case::HASH => HASH_LENS.len() as u32 + 24,
        case::I64_DIV => (U64_EDGES.len() * U64_EDGES.len()) as u32 + RANDOM_PAIRS,
        case::F64_NARROW => F64_EDGES.len() as u32 + U64_EDGES.len() as u32 + RANDOM_PAIRS,
        _ => return None,
    })
}

/// Runs inputs `start..start + count` of `case`, writing one record per input.
pub fn run(case: u8, start: u32, count: u32, out: &mut Out) -> Result<(), CaseError> {
    let total = input_count(case).ok_or(CaseError::UnknownCase)?;
    let end = start.checked_add(count).ok_or(CaseError::OutOfRange)?;
    if end > total {
        return Err(CaseError::OutOfRange);
    }
    for i in start..end {
        match case {
            case::U64 => u64_record(i, out)?,
            case::U128 => u128_record(i, out)?,
            case::I128 => i128_record(i, out)?,
            case::SHIFT => shift_record(i, out)?,
            case::F64_ARITH => f64_arith_record(i, out)?,
            case::F64_CONV => f64_conv_record(i, out)?,
            case::SQRT => sqrt_record(i, out)?,
            case::MANY_ARGS => many_args_record(i, out)?,
            case::BIG_RETURN => big_return_record(i, out)?,
            case::DYN_TRAIT => dyn_record(i, out)?,
            case::MEM => mem_record(i, out)?,
            case::HASH => hash_record(i, out)?,
            case::I64_DIV => i64_div_record(i, out)?,
            case::F64_NARROW => f64_narrow_record(i, out)?,
            _ => return Err(CaseError::UnknownCase),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Integers

#[inline(never)]
fn u64_record(i: u32, out: &mut Out) -> Result<(), CaseError> {
    let (a, b) = pair(&U64_EDGES, i, |r| (r.spread(), r.spread()), case::U64);
    let (a, b) = (black_box(a), black_box(b));
    out.u64(a)?;
    out.u64(b)?;
    out.u64(a.wrapping_mul(b))?;
    out.opt_u64(a.checked_mul(b))?;
    let (m, o) = a.overflowing_mul(b);
    out.u64(m)?;
    out.bool(o)?;
    out.u64(a.saturating_mul(b))?;
    out.opt_u64(a.checked_div(b))?;
    out.opt_u64(a.checked_rem(b))?;
    out.u64(a.wrapping_add(b))?;
    out.opt_u64(a.checked_sub(b))?;
    out.u128(a as u128 * b as u128)?;
    // The same bits as i64.
    let (x, y) = (a as i64, b as i64);
    out.i64(x.wrapping_mul(y))?;
    out.opt_i64(x.checked_mul(y))?;
    let (m, o) = x.overflowing_mul(y);
    out.i64(m)?;
    out.bool(o)?;
    Ok(())
}

/// i64 (signed 64-bit) division and remainder. FINDING: the chain cannot compile these (LLVM's
/// BPF backend: "unsupported signed division, please convert to unsigned div/mod"), so the SBF
/// build leaves them out unless the `i64-signed-div` feature asks for them (the build then
/// fails), and the host test for them is ignored.
#[cfg(any(not(target_os = "solana"), feature = "i64-signed-div"))]
#[inline(never)]
fn i64_div_record(i: u32, out: &mut Out) -> Result<(), CaseError> {
    let (a, b) = pair(&U64_EDGES, i, |r| (r.spread(), r.spread()), case::I64_DIV);
    let (x, y) = (black_box(a as i64), black_box(b as i64));
    out.i64(x)?;
    out.i64(y)?;
    out.opt_i64(x.checked_div(y))?;
    out.opt_i64(x.checked_rem(y))?;
    if y != 0 {
        let (q, qo) = x.overflowing_div(y);
        let (r, ro) = x.overflowing_rem(y);
        out.i64(q)?;
        out.bool(qo)?;
        out.i64(r)?;
        out.bool(ro)?;
        out.i64(x.wrapping_div(y))?;
        out.i64(x.wrapping_rem(y))?;
    } else {
        out.bytes(&[0xee; 34])?;
    }
    Ok(())
}

#[cfg(not(any(not(target_os = "solana"), feature = "i64-signed-div")))]
fn i64_div_record(_i: u32, _out: &mut Out) -> Result<(), CaseError> {
    Err(CaseError::UnknownCase)
}

#[inline(never)]
fn u128_record(i: u32, out: &mut Out) -> Result<(), CaseError> {
    let (a, b) = pair(
        &U128_EDGES,
        i,
        |r| (r.spread128(), r.spread128()),
        case::U128,
    );
    let (a, b) = (black_box(a), black_box(b));
    out.u128(a)?;
    out.u128(b)?;
    out.u128(a.wrapping_mul(b))?;
    out.opt_u128(a.checked_mul(b))?;
    let (m, o) = a.overflowing_mul(b);
    out.u128(m)?;
    out.bool(o)?;
    out.u128(a.saturating_mul(b))?;
    out.opt_u128(a.checked_div(b))?;
    out.opt_u128(a.checked_rem(b))?;
    out.u128(a.wrapping_add(b))?;
    let (s, so) = a.overflowing_sub(b);
    out.u128(s)?;
    out.bool(so)?;
    out.u8(a.leading_zeros() as u8)?;
    out.u8(b.trailing_zeros() as u8)?;
    out.u8(a.count_ones() as u8)?;
    // u64 × u64 → u128 and the u128 / u64 that fee math does.
    let (lo_a, lo_b) = (a as u64, b as u64);
    out.u128(lo_a as u128 * lo_b as u128)?;
    out.opt_u128(
        (a >> 64)
            .checked_mul(lo_b as u128)
            .and_then(|p| p.checked_div(lo_a as u128)),
    )?;
    Ok(())
}

#[inline(never)]
fn i128_record(i: u32, out: &mut Out) -> Result<(), CaseError> {
    let (a, b) = pair(
        &I128_EDGES,
        i,
        |r| {
            let (a, b) = (r.spread128() as i128, r.spread128() as i128);
            // Keep some of them small and negative.
            let sa = if r.next_u64() & 1 == 0 { a } else { a >> 64 };
            (sa, if r.next_u64() & 1 == 0 { b } else { -(b >> 70) })
        },
        case::I128,
    );
    let (a, b) = (black_box(a), black_box(b));
    out.i128(a)?;
    out.i128(b)?;
    out.i128(a.wrapping_mul(b))?;
    out.opt_i128(a.checked_mul(b))?;
    let (m, o) = a.overflowing_mul(b);
    out.i128(m)?;
    out.bool(o)?;
    out.i128(a.saturating_mul(b))?;
    out.opt_i128(a.checked_div(b))?;
    out.opt_i128(a.checked_rem(b))?;
    out.opt_i128(a.checked_div_euclid(b))?;
    out.opt_i128(a.checked_rem_euclid(b))?;
    if b != 0 {
        let (q, qo) = a.overflowing_div(b);
        let (r, ro) = a.overflowing_rem(b);
        out.i128(q)?;
        out.bool(qo)?;
        out.i128(r)?;
        out.bool(ro)?;
        out.i128(a.wrapping_div(b))?;
        out.i128(a.wrapping_rem(b))?;
    } else {
        out.bytes(&[0xee; 66])?;
    }
    out.opt_i128(a.checked_neg())?;
    out.opt_i128(a.checked_abs())?;
    out.i128(a.wrapping_sub(b))?;
    out.bool(a < b)?;
    out.i64(a as i64)?;
    out.i128((a as i64) as i128 * ((b as i32) as i128))?;
    Ok(())
}

#[inline(never)]
fn shift_record(i: u32, out: &mut Out) -> Result<(), CaseError> {
    let n = U128_EDGES.len() as u32;
    let x = if i < n {
        U128_EDGES[i as usize]
    } else {
        Rng::for_input(case::SHIFT, i).spread128()
    };
    let x = black_box(x);
    let y = x as i128;
    out.u128(x)?;
    for s in 0..128u32 {
        let s = black_box(s);
        out.u128(x << s)?;
        out.u128(x >> s)?;
        out.i128(y << s)?;
        out.i128(y >> s)?;
    }
    out.opt_u128(x.checked_shl(black_box(128)))?;
    out.opt_i128(y.checked_shr(black_box(200)))?;
    out.u128(x.wrapping_shl(black_box(131)))?;
    out.i128(y.wrapping_shr(black_box(255)))?;
    out.u128(x.rotate_left(black_box(37)))?;
    out.u128(x.rotate_right(black_box(91)))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// f64

pub const F64_EDGES: [f64; 30] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    3.0,
    -2.5,
    0.1,
    1e-300,
    1e300,
    f64::MAX,
    f64::MIN,
    f64::MIN_POSITIVE,
    f64::from_bits(1),                     // smallest subnormal
    f64::from_bits(0x800f_ffff_ffff_ffff), // largest negative subnormal
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    f64::EPSILON,
    9007199254740992.0,     // 2^53
    9007199254740993.0,     // rounds to 2^53
    18446744073709551615.0, // 2^64 (u64::MAX rounds up)
    18446744073709549568.0, // largest f64 below 2^64
    -9223372036854775808.0, // -2^63
    9223372036854775807.0,  // 2^63
    1.7014118346046923e38,  // 2^127
    3.402823669209385e38,   // 2^128
    255.5,
    -0.75,
];

fn random_f64(r: &mut Rng) -> f64 {
    let kind = r.next_u64() % 4;
    let bits = r.next_u64();
    match kind {
        // Any bit pattern (NaNs, infinities, subnormals included).
        0 => f64::from_bits(bits),
        // Exponent within ±80 of 1.0: ordinary values, integers around 2^64 and 2^127.
        1 | 2 => {
            let exp = 1023 - 80 + (r.next_u64() % 161);
            f64::from_bits((bits & 0x800f_ffff_ffff_ffff) | (exp << 52))
        }
        // Small integers and halves (exact ties for rounding).
        // (Widened through black_box so this case exercises the 64-bit helper; the 32-bit
        // ones are covered by `f64_narrow_record`.)
        _ => black_box((bits as i16) as i64) as f64 / 2.0,
    }
}

#[inline(never)]
fn f64_arith_record(i: u32, out: &mut Out) -> Result<(), CaseError> {
    let (a, b) = pair(
        &F64_EDGES,
        i,
        |r| (random_f64(r), random_f64(r)),
        case::F64_ARITH,
    );
    let (a, b) = (black_box(a), black_box(b));
    out.u64(a.to_bits())?;
    out.u64(b.to_bits())?;
    out.f64(a + b)?;
    out.f64(a - b)?;
    out.f64(a * b)?;
    out.f64(a / b)?;
    out.f64(-a)?;
    out.f64(a.abs())?;
    out.f64(a.copysign(b))?;
    let cmp = [
        a < b,
        a <= b,
        a > b,
        a >= b,
        a == b,
        a != b,
        a.is_nan(),
        b.is_finite(),
    ];
    for c in cmp {
        out.bool(c)?;
    }
    out.u8(match a.partial_cmp(&b) {
        None => 9,
        Some(core::cmp::Ordering::Less) => 0,
        Some(core::cmp::Ordering::Equal) => 1,
        Some(core::cmp::Ordering::Greater) => 2,
    })?;
    out.u8(a.total_cmp(&b) as i8 as u8)?;
    // A small dependent chain: (a * 3 - b) / 7, then back.
    out.f64((a * 3.0 - b) / 7.0 * 7.0)?;
    Ok(())
}

/// The inputs of the f64 conversion cases: an f64, a u128 and an i128.
fn conv_inputs(case: u8, i: u32) -> (f64, u128, i128) {
    let nf = F64_EDGES.len() as u32;
    let nu = U64_EDGES.len() as u32;
    let mut r = Rng::for_input(case, i);
    let x = if i < nf {
        F64_EDGES[i as usize]
    } else {
        random_f64(&mut r)
    };
    let n = if i >= nf && i < nf + nu {
        U64_EDGES[(i - nf) as usize] as u128
    } else {
        r.spread128()
    };
    let sn = if r.next_u64() & 1 == 0 {
        n as i128
    } else {
        (n as i128).wrapping_neg()
    };
    (black_box(x), black_box(n), black_box(sn))
}

/// f64 <-> 8/16/32-bit integers. LLVM 23 narrows these to the 32-bit helpers `__floatsidf`,
/// `__floatunsidf`, `__fixdfsi` and `__fixunsdfsi`, which the builtins patch adds (the upstream
/// crate lacks them; this case found that).
#[inline(never)]
fn f64_narrow_record(i: u32, out: &mut Out) -> Result<(), CaseError> {
    let (x, n, sn) = conv_inputs(case::F64_NARROW, i);
    out.u64(x.to_bits())?;
    out.u128(n)?;
    out.i128(sn)?;
    out.u8(x as u8)?;
    out.bytes(&(x as u32).to_le_bytes())?;
    out.bytes(&(x as i32).to_le_bytes())?;
    out.bytes(&(x as i16).to_le_bytes())?;
    out.f64(n as u32 as f64)?;
    out.f64(sn as i32 as f64)?;
    out.f64(n as u8 as f64)?;
    out.f64(sn as i16 as f64)?;
    Ok(())
}

#[inline(never)]
fn f64_conv_record(i: u32, out: &mut Out) -> Result<(), CaseError> {
    let nf = F64_EDGES.len() as u32;
    let nu = U64_EDGES.len() as u32;
    let mut r = Rng::for_input(case::F64_CONV, i);
    let x = if i < nf {
        F64_EDGES[i as usize]
    } else {
        random_f64(&mut r)
    };
    let n = if i >= nf && i < nf + nu {
        U64_EDGES[(i - nf) as usize] as u128
    } else {
        r.spread128()
    };
    // A random sign for the signed integer conversions.
    let sn = if r.next_u64() & 1 == 0 {
        n as i128
    } else {
        (n as i128).wrapping_neg()
    };
    let (x, n, sn) = (black_box(x), black_box(n), black_box(sn));
    out.u64(x.to_bits())?;
    out.u128(n)?;
    out.i128(sn)?;
    // f64 -> integer: saturating, NaN -> 0.
    out.u64(x as u64)?;
    out.i64(x as i64)?;
    out.u128(x as u128)?;
    out.i128(x as i128)?;
    // integer -> f64: round to nearest, ties to even.
    out.f64(n as u64 as f64)?;
    out.f64(sn as i64 as f64)?;
    out.f64(n as f64)?;
    out.f64(sn as f64)?;
    // And back: integer-valued f64 round trip.
    out.i64((sn as i64 as f64) as i64)?;
    Ok(())
}

/// Square root by integers, correctly rounded (round to nearest, ties to even), as IEEE 754
/// requires of `sqrt`. Used on SBF, where `f64::sqrt` would need libm's `sqrt`.
pub fn soft_sqrt(x: f64) -> f64 {
    let bits = x.to_bits();
    if x.is_nan() || (x < 0.0) {
        return f64::NAN;
    }
    if x == 0.0 || x.is_infinite() {
        return x; // keeps the sign of -0.0
    }
    // x = m * 2^e with m an integer in [2^52, 2^53).
    let mut exp = ((bits >> 52) & 0x7ff) as i64;
    let mut m = bits & 0x000f_ffff_ffff_ffff;
    if exp == 0 {
        // Subnormal: normalise.
        let shift = m.leading_zeros() as i64 - 11;
        m <<= shift;
        exp = 1 - shift;
    } else {
        m |= 1 << 52;
    }
    let mut e = exp - 1075;
    let mut m = m as u128;
    if e & 1 != 0 {
        m <<= 1;
        e -= 1;
    }
    // s = floor(sqrt(m * 2^54)) = floor(sqrt(m) * 2^27), in [2^53, 2^54).
    let n = m << 54;
    let s = isqrt(n);
    let mut result = (s >> 1) as u64;
    let round = s & 1 == 1;
    let sticky = s * s != n;
    if round && (sticky || result & 1 == 1) {
        result += 1;
    }
    // sqrt(x) = result * 2^(e/2 - 26)
    let mut scale = e / 2 - 26;
    if result == 1 << 53 {
        result >>= 1;
        scale += 1;
    }
    let biased = (scale + 52 + 1023) as u64;
    f64::from_bits((biased << 52) | (result & 0x000f_ffff_ffff_ffff))
}

/// floor(sqrt(n)), digit by digit.
pub fn isqrt(n: u128) -> u128 {
    let mut rem = n;
    let mut root = 0u128;
    let mut bit = 1u128 << 126;
    while bit > n {
        bit >>= 2;
    }
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    root
}

#[inline(never)]
fn sqrt_record(i: u32, out: &mut Out) -> Result<(), CaseError> {
    let n = F64_EDGES.len() as u32;
    let x = if i < n {
        F64_EDGES[i as usize]
    } else {
        random_f64(&mut Rng::for_input(case::SQRT, i)).abs()
    };
    let x = black_box(x);
    out.u64(x.to_bits())?;
    out.f64(soft_sqrt(x))?;
    out.u128(isqrt(x.to_bits() as u128 * 0x1_0000_0001))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Calling convention: many arguments, large returns, vtables

#[inline(never)]
pub fn args7(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64) -> u64 {
    a.wrapping_mul(3)
        ^ b.rotate_left(5)
        ^ c.wrapping_mul(0x1000_0000_01b3)
        ^ d.rotate_left(17)
        ^ e.wrapping_add(0x9e37_79b9)
        ^ f.rotate_right(29)
        ^ g.wrapping_mul(0xff51_afd7_ed55_8ccd)
}

#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub fn args9(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64, i: u64) -> u64 {
    let x = args7(a, b, c, d, e, f, g);
    x.wrapping_sub(h.rotate_left(41)).wrapping_mul(i | 1) ^ (h >> 3) ^ i.wrapping_mul(7)
}

/// Mixed widths, including two i128 (register pairs) and stack-passed narrow ones.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub fn args_mixed(a: u8, b: u128, c: i32, d: u64, e: i128, f: u16, g: bool, h: u64) -> i128 {
    (b as i128)
        .wrapping_mul(a as i128 + 1)
        .wrapping_add(c as i128 * 1_000_003)
        .wrapping_sub(d as i128)
        ^ e.wrapping_mul(f as i128 + 3)
        ^ if g { h as i128 } else { -(h as i128) }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Big64 {
    pub w: [u64; 8],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Big256 {
    pub w: [u64; 32],
}

#[inline(never)]
pub fn make64(seed: u64, k: u32) -> Big64 {
    let mut r = Rng::new(seed ^ k as u64);
    let mut w = [0u64; 8];
    for (j, x) in w.iter_mut().enumerate() {
        *x = r.next_u64() ^ (j as u64);
    }
    Big64 { w }
}

/// A large return (hidden pointer) together with stack-passed arguments.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub fn make256(seed: u64, a: u64, b: u64, c: u64, d: u64, e: u64, f: u64) -> Big256 {
    let mut r = Rng::new(seed);
    let mut w = [0u64; 32];
    let extra = [a, b, c, d, e, f];
    for (j, x) in w.iter_mut().enumerate() {
        *x = r
            .next_u64()
            .wrapping_add(extra[j % 6].rotate_left(j as u32));
    }
    Big256 { w }
}

/// A by-value large argument and a large return.
#[inline(never)]
pub fn fold256(v: Big256, with: Big64) -> Big64 {
    let mut w = with.w;
    for (j, x) in v.w.iter().enumerate() {
        w[j % 8] = w[j % 8].rotate_left(7) ^ x;
    }
    Big64 { w }
}

#[inline(never)]
fn many_args_record(i: u32, out: &mut Out) -> Result<(), CaseError> {
    let mut r = Rng::for_input(case::MANY_ARGS, i);
    let v: [u64; 9] = core::array::from_fn(|_| r.spread());
    let v = black_box(v);
    for x in v {
        out.u64(x)?;
    }
    let f7: fn(u64, u64, u64, u64, u64, u64, u64) -> u64 = black_box(args7);
    out.u64(f7(v[0], v[1], v[2], v[3], v[4], v[5], v[6]))?;
    out.u64(args9(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]))?;
    out.i128(args_mixed(
        v[0] as u8,
        ((v[1] as u128) << 64) | v[2] as u128,
        v[3] as i32,
        v[4],
        ((v[5] as i128) << 64) | v[6] as i128,
        v[7] as u16,
        v[8] & 1 == 1,
        v[8],
    ))?;
    Ok(())
}

#[inline(never)]
fn big_return_record(i: u32, out: &mut Out) -> Result<(), CaseError> {
    let mut r = Rng::for_input(case::BIG_RETURN, i);
    let seed = black_box(r.next_u64());
    let b64 = make64(seed, i);
    let args: [u64; 6] = core::array::from_fn(|_| r.next_u64());
    let b256 = make256(seed, args[0], args[1], args[2], args[3], args[4], args[5]);
    let folded = fold256(b256, b64);
    out.u64(seed)?;
    for x in b64.w.iter().chain(b256.w.iter()).chain(folded.w.iter()) {
        out.u64(*x)?;
    }
    Ok(())
}

/// Called only through `dyn Op`.
pub trait Op {
    fn apply(&self, x: u64) -> u64;
    /// Six arguments besides `self`: the vtable call needs a stack argument too.
    fn wide(&self, x: u128, a: u64, b: u64, c: u64, d: u64, e: u64) -> u128;
    fn id(&self) -> u8;
}

struct AddOp(u64);
struct MulOp(u64);
struct XorOp(u128);
struct Chain(alloc::boxed::Box<dyn Op>, alloc::boxed::Box<dyn Op>);

impl Op for AddOp {
    fn apply(&self, x: u64) -> u64 {
        x.wrapping_add(self.0)
    }
    fn wide(&self, x: u128, a: u64, b: u64, c: u64, d: u64, e: u64) -> u128 {
        x.wrapping_add((a ^ b ^ c ^ d ^ e ^ self.0) as u128)
    }
    fn id(&self) -> u8 {
        1
    }
}
impl Op for MulOp {
    fn apply(&self, x: u64) -> u64 {
        x.wrapping_mul(self.0 | 1)
    }
    fn wide(&self, x: u128, a: u64, b: u64, c: u64, d: u64, e: u64) -> u128 {
        x.wrapping_mul((self.0 | 1) as u128)
            ^ ((a as u128) << 64 | b as u128)
            ^ c.wrapping_add(d / 3).wrapping_add(e / 5) as u128
    }
    fn id(&self) -> u8 {
        2
    }
}
impl Op for XorOp {
    fn apply(&self, x: u64) -> u64 {
        x ^ (self.0 as u64) ^ ((self.0 >> 64) as u64)
    }
    fn wide(&self, x: u128, a: u64, b: u64, c: u64, d: u64, e: u64) -> u128 {
        (x ^ self.0).rotate_left((a % 128) as u32) ^ (b as u128 * c as u128) ^ (d ^ e) as u128
    }
    fn id(&self) -> u8 {
        3
    }
}
impl Op for Chain {
    fn apply(&self, x: u64) -> u64 {
        self.1.apply(self.0.apply(x))
    }
    fn wide(&self, x: u128, a: u64, b: u64, c: u64, d: u64, e: u64) -> u128 {
        self.1.wide(self.0.wide(x, a, b, c, d, e), e, d, c, b, a)
    }
    fn id(&self) -> u8 {
        self.0
            .id()
            .wrapping_mul(8)
            .wrapping_add(self.1.id().wrapping_mul(64))
            .wrapping_add(4)
    }
}

fn make_op(r: &mut Rng, depth: u32) -> alloc::boxed::Box<dyn Op> {
    use alloc::boxed::Box;
    let k = r.next_u64();
    match (k % 4, depth) {
        (0, _) => Box::new(AddOp(r.next_u64())),
        (1, _) => Box::new(MulOp(r.next_u64())),
        (2, _) | (3, 1) => Box::new(XorOp(r.spread128())),
        _ => Box::new(Chain(make_op(r, depth + 1), make_op(r, depth + 1))),
    }
}

#[inline(never)]
fn dyn_record(i: u32, out: &mut Out) -> Result<(), CaseError> {
    let mut r = Rng::for_input(case::DYN_TRAIT, i);
    let op = black_box(make_op(&mut r, 0));
    let x = r.spread();
    let w = r.spread128();
    let a: [u64; 5] = core::array::from_fn(|_| r.spread());
    out.u8(op.id())?;
    out.u64(x)?;
    out.u64(op.apply(x))?;
    out.u128(op.wide(w, a[0], a[1], a[2], a[3], a[4]))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// memcpy / memmove

pub const MEM_SIZES: [usize; 8] = [1, 3, 7, 13, 31, 33, 255, 1023];
/// (source offset, destination offset, memmove distance).
pub const MEM_OFFSETS: [(usize, usize, usize); 3] = [(1, 3, 1), (3, 0, 5), (7, 5, 13)];
const MEM_BUF: usize = 1024 + 32;

#[inline(never)]
fn mem_record(i: u32, out: &mut Out) -> Result<(), CaseError> {
    let n = black_box(MEM_SIZES[i as usize / MEM_OFFSETS.len()]);
    let (so, dof, dist) = black_box(MEM_OFFSETS[i as usize % MEM_OFFSETS.len()]);
    let mut r = Rng::for_input(case::MEM, i);
    let mut src = [0u8; MEM_BUF];
    for b in src.iter_mut() {
        *b = r.next_u64() as u8;
    }
    out.u64(n as u64)?;
    // Non-overlapping copy at odd offsets; the bytes around the window must be untouched.
    // (One second buffer, reused: each frame has only 4 KiB of stack.)
    let mut buf = [0xa5u8; MEM_BUF];
    buf[dof + 1..dof + 1 + n].copy_from_slice(&src[so..so + n]);
    out.bytes(&buf[dof..dof + n + 3])?;
    // Overlapping, destination after the source (memmove must copy backwards).
    buf.copy_from_slice(&src);
    buf.copy_within(so..so + n, so + dist);
    out.bytes(&buf[so.saturating_sub(1)..so + dist + n + 1])?;
    // Overlapping, destination before the source (copies forwards).
    buf.copy_from_slice(&src);
    buf.copy_within(so + dist..so + dist + n, so);
    out.bytes(&buf[so.saturating_sub(1)..so + dist + n + 1])?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// sol_sha256 / sol_keccak256 (the syscalls on SBF, the sha2 / sha3 crates on the host)

pub const HASH_LENS: [usize; 16] = [
    0, 1, 3, 31, 32, 55, 56, 63, 64, 65, 119, 127, 128, 129, 136, 1000,
];

#[inline(never)]
fn hash_record(i: u32, out: &mut Out) -> Result<(), CaseError> {
    let mut r = Rng::for_input(case::HASH, i);
    let len = match HASH_LENS.get(i as usize) {
        Some(l) => *l,
        None => (r.next_u64() % 700) as usize,
    };
    let mut data = alloc::vec![0u8; len];
    for b in data.iter_mut() {
        *b = r.next_u64() as u8;
    }
    let cut1 = if len == 0 {
        0
    } else {
        (r.next_u64() as usize) % len
    };
    let cut2 = cut1
        + if len == cut1 {
            0
        } else {
            (r.next_u64() as usize) % (len - cut1)
        };
    let parts: [&[u8]; 3] = [&data[..cut1], &data[cut1..cut2], &data[cut2..]];
    out.u64(len as u64)?;
    out.bytes(&solana_sha256_hasher::hash(&data).to_bytes())?;
    out.bytes(&solana_sha256_hasher::hashv(&parts).to_bytes())?;
    out.bytes(&solana_keccak_hasher::hash(&data).to_bytes())?;
    out.bytes(&solana_keccak_hasher::hashv(&parts).to_bytes())?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Heap and stack

/// Allocates `total` bytes in `chunk`-byte `Vec`s, all alive at once, fills them with
/// pseudo-random bytes and returns a checksum over all of them.
pub fn heap_checksum(total: u32, chunk: u32) -> u64 {
    let chunk = chunk.max(1) as usize;
    let n = (total as usize).div_ceil(chunk);
    let mut vecs: alloc::vec::Vec<alloc::vec::Vec<u8>> = alloc::vec::Vec::with_capacity(n);
    let mut r = Rng::new(0x4ea9);
    let mut left = total as usize;
    while left > 0 {
        let len = left.min(chunk);
        let mut v = alloc::vec::Vec::with_capacity(len);
        for _ in 0..len {
            v.push(r.next_u64() as u8);
        }
        vecs.push(black_box(v));
        left -= len;
    }
    let mut sum = 0xcbf2_9ce4_8422_2325u64;
    for v in &vecs {
        for b in v {
            sum = (sum ^ *b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    sum ^ vecs.len() as u64
}

/// Recursion `depth` frames deep (not a tail call: the result is mixed after the call returns).
#[inline(never)]
pub fn recurse(depth: u32, acc: u64) -> u64 {
    if depth == 0 {
        return black_box(acc);
    }
    let below = recurse(black_box(depth - 1), acc.rotate_left(3) ^ depth as u64);
    below.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ depth as u64
}
