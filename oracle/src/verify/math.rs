//! Integer-only math for scoring: a fixed-point `log10`, free-space path loss. (The multipliers,
//! [`depin_formats::params::Bps`], are part of the parameters.)
//!
//! Nothing here uses floating point, so every machine computes the same bits.

/// `log10(2)` as a Q64 fixed-point number (`floor(log10(2) * 2^64)`).
const LOG10_2_Q64: u128 = 5_553_023_288_523_357_132;
/// Fractional bits of the binary logarithm.
const LOG2_FRAC_BITS: u32 = 40;
/// Fractional bits of the normalised mantissa while squaring.
const MANTISSA_BITS: u32 = 62;

/// `log2(x)` as a Q40 fixed-point number (40 fractional bits, truncated), for `x >= 1`.
///
/// The classic digit-by-digit algorithm: normalise `x` to a mantissa `m` in `[1, 2)`, then square
/// `m` once per fractional bit; each time the square reaches 2 the bit is 1 and `m` is halved.
/// All intermediates fit a `u128` (`m < 2^63`, `m^2 < 2^126`).
#[must_use]
pub fn log2_q40(x: u64) -> Option<u128> {
    if x == 0 {
        return None;
    }
    let int_part = 63 - x.leading_zeros();
    // m = x / 2^int_part in Q62, in [2^62, 2^63).
    let mut m = (u128::from(x) << MANTISSA_BITS) >> int_part;
    let two = 1u128 << (MANTISSA_BITS + 1);
    let mut frac: u128 = 0;
    for _ in 0..LOG2_FRAC_BITS {
        m = (m * m) >> MANTISSA_BITS;
        frac <<= 1;
        if m >= two {
            m >>= 1;
            frac |= 1;
        }
    }
    Some((u128::from(int_part) << LOG2_FRAC_BITS) | frac)
}

/// `round(log10(x) * 1_000_000)` for `x >= 1`, integer-only; `None` for 0.
///
/// Exact (equal to the correctly rounded value) for every value tested in the unit tests,
/// including all powers of ten; in general within 1 of it.
#[must_use]
pub fn log10_micro(x: u64) -> Option<u64> {
    let log2 = log2_q40(x)?;
    // log2 < 2^46 and LOG10_2_Q64 < 2^63: the product fits in 2^109.
    let log10_q40 = (log2 * LOG10_2_Q64) >> 64;
    let half = 1u128 << (LOG2_FRAC_BITS - 1);
    let micro = (log10_q40 * 1_000_000 + half) >> LOG2_FRAC_BITS;
    u64::try_from(micro).ok()
}

/// The constant of the free-space path loss formula in milli-dB: `FSPL(dB) = 20 log10(d_km) +
/// 20 log10(f_MHz) + 32.44`.
pub const FSPL_CONSTANT_MDB: i64 = 32_440;

/// Free-space path loss in deci-dB (floor), for a distance in meters and a frequency in kHz.
///
/// `20 log10(d_km) + 20 log10(f_MHz) + 32.44 = 20 log10(d_m) + 20 log10(f_kHz) - 120 + 32.44`.
/// The logs are [`log10_micro`]; `20 * micro / 1000 = micro / 50` gives milli-dB (floor), and
/// the result is floored to deci-dB. Flooring the loss makes the plausibility bound on RSSI
/// more lenient, never stricter. `None` for a zero distance or frequency.
#[must_use]
pub fn fspl_ddb(distance_m: u64, frequency_khz: u32) -> Option<i64> {
    let ld = i64::try_from(log10_micro(distance_m)?).ok()?;
    let lf = i64::try_from(log10_micro(u64::from(frequency_khz))?).ok()?;
    let mdb = ld
        .checked_add(lf)?
        .checked_div(50)?
        .checked_sub(120_000)?
        .checked_add(FSPL_CONSTANT_MDB)?;
    Some(mdb.div_euclid(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log10_known_values() {
        // Reference: round(log10(x) * 1e6), computed with 60-digit decimal arithmetic.
        let cases: [(u64, u64); 14] = [
            (1, 0),
            (2, 301_030),
            (3, 477_121),
            (10, 1_000_000),
            (100, 2_000_000),
            (999, 2_999_565),
            (1000, 3_000_000),
            (5000, 3_698_970),
            (915_000, 5_961_421),
            (868_000, 5_938_520),
            (1_000_000, 6_000_000),
            (123_456_789, 8_091_515),
            (10_000_000_000_000_000_000, 19_000_000),
            (u64::MAX, 19_265_920),
        ];
        for (x, expected) in cases {
            assert_eq!(log10_micro(x), Some(expected), "log10({x})");
        }
        assert_eq!(log10_micro(0), None);
    }

    #[test]
    fn log10_powers_of_ten_are_exact() {
        let mut x = 1u64;
        for k in 0..20u64 {
            assert_eq!(log10_micro(x), Some(k * 1_000_000));
            x = x.saturating_mul(10);
        }
    }

    #[test]
    fn log2_known_values() {
        assert_eq!(log2_q40(1), Some(0));
        assert_eq!(log2_q40(2), Some(1 << 40));
        assert_eq!(log2_q40(1024), Some(10 << 40));
        assert_eq!(log2_q40(0), None);
        // log2(3) = 1.584962500721156...; Q40 truncated.
        assert_eq!(log2_q40(3), Some(1_742_684_699_131));
    }

    #[test]
    fn fspl_known_values() {
        // 1 km at 1000 MHz: 0 + 60 + 32.44 = 92.44 dB.
        assert_eq!(fspl_ddb(1000, 1_000_000), Some(924));
        // 5 km at 915 MHz: 13.9794 + 59.2284 + 32.44 = 105.6478 dB.
        assert_eq!(fspl_ddb(5000, 915_000), Some(1056));
        // 300 m at 868 MHz: -10.4576 + 58.7704 + 32.44 = 80.7528 dB.
        assert_eq!(fspl_ddb(300, 868_000), Some(807));
        // 100 km at 2400 MHz: 40 + 67.6042 + 32.44 = 140.0442 dB.
        assert_eq!(fspl_ddb(100_000, 2_400_000), Some(1400));
        // 1 m at 1 MHz: -60 + 0 + 32.44 = -27.56 dB, floored to -27.6.
        assert_eq!(fspl_ddb(1, 1000), Some(-276));
        assert_eq!(fspl_ddb(0, 915_000), None);
        assert_eq!(fspl_ddb(10, 0), None);
    }
}
