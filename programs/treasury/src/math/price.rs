//! The oracle price the treasury trusts, and what it buys.
//!
//! A Pyth price is `mantissa x 10^exponent` US dollars per whole token. The treasury never uses
//! the spot price: it takes the EMA and subtracts `k` times the EMA's confidence interval, so the
//! token is valued low. Both uses then round against the caller:
//! - the buyback values what it receives at that low price, so the pool must deliver at least
//!   `min_tokens_out` (rounded up) for the stablecoin it is paid;
//! - a burn for service credits gets `credits_for_burn` (rounded down) for the tokens burned;
//! - a claim taken in stablecoin gets `claim_quote` (rounded down): the claimed tokens' value at
//!   the lower of the bound and the pinned pool's spot price.
//!
//! Stablecoins are valued at exactly 1 USD per whole unit (governance allows only USD
//! stablecoins).

use depin_common::bps::{self, Bps};

/// The largest exponent magnitude accepted; Pyth feeds use -12..=0.
pub const MAX_EXPONENT_ABS: u32 = 18;

/// Why a price is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceError {
    /// The EMA (or the EMA after the confidence deduction) is zero or negative.
    NonPositive,
    /// The confidence interval is wider than allowed relative to the price.
    ConfidenceTooWide,
    /// The exponent is outside +-`MAX_EXPONENT_ABS`.
    Exponent,
    /// An intermediate exceeded u128, or the result exceeds u64.
    Overflow,
    /// The pool quotes no price: one of its reserves is empty.
    EmptyPool,
}

/// The conservative price: `mantissa x 10^exponent` USD per whole token, mantissa > 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceBound {
    pub mantissa: u64,
    pub exponent: i32,
}

/// `ema - ceil(ema_conf x k_bps / 10,000)`, after checking `ema_conf / ema <= max_conf_bps`.
/// The deduction rounds up, so the bound is never above its exact value.
pub fn conservative_price(
    ema: i64,
    ema_conf: u64,
    exponent: i32,
    conf_multiple_bps: u32,
    max_conf_bps: u16,
) -> Result<PriceBound, PriceError> {
    if exponent.unsigned_abs() > MAX_EXPONENT_ABS {
        return Err(PriceError::Exponent);
    }
    let ema = u64::try_from(ema).map_err(|_| PriceError::NonPositive)?;
    if ema == 0 {
        return Err(PriceError::NonPositive);
    }
    // conf / ema <= max_conf_bps / 10,000, compared exactly.
    if !Bps::new(u32::from(max_conf_bps)).admits(ema_conf, ema) {
        return Err(PriceError::ConfidenceTooWide);
    }
    let deduction = Bps::new(conf_multiple_bps).apply_ceil_wide(ema_conf);
    let mantissa = u128::from(ema)
        .checked_sub(deduction)
        .filter(|m| *m > 0)
        .ok_or(PriceError::NonPositive)?;
    Ok(PriceBound {
        mantissa: u64::try_from(mantissa).map_err(|_| PriceError::Overflow)?,
        exponent,
    })
}

fn pow10(exp: u32) -> Result<u128, PriceError> {
    10u128.checked_pow(exp).ok_or(PriceError::Overflow)
}

/// `num / den`, rounded up or down, as u64.
fn ratio(num: u128, den: u128, round_up: bool) -> Result<u64, PriceError> {
    if den == 0 {
        return Err(PriceError::NonPositive);
    }
    let q = if round_up {
        num.div_ceil(den)
    } else {
        num / den
    };
    u64::try_from(q).map_err(|_| PriceError::Overflow)
}

/// The fewest network tokens (base units) the buyback accepts for `quote_in` stablecoin base
/// units: their USD value at `bound`, less `max_slippage_bps`, rounded up.
///
/// `tokens = quote_in / 10^qd x (10,000 - slippage) / 10,000 / (m x 10^e) x 10^td`.
pub fn min_tokens_out(
    quote_in: u64,
    quote_decimals: u8,
    token_decimals: u8,
    bound: PriceBound,
    max_slippage_bps: u16,
) -> Result<u64, PriceError> {
    // One division at the end, so the slippage's 1 - bps is a factor of the fraction, not
    // applied (and rounded) on its own.
    let keep = u128::from(Bps::new(u32::from(max_slippage_bps)).complement().get());
    let mut num = u128::from(quote_in)
        .checked_mul(keep)
        .and_then(|n| n.checked_mul(pow10(u32::from(token_decimals)).ok()?))
        .ok_or(PriceError::Overflow)?;
    let mut den = u128::from(bps::ONE)
        .checked_mul(pow10(u32::from(quote_decimals))?)
        .and_then(|d| d.checked_mul(u128::from(bound.mantissa)))
        .ok_or(PriceError::Overflow)?;
    let scale = pow10(bound.exponent.unsigned_abs())?;
    if bound.exponent < 0 {
        num = num.checked_mul(scale).ok_or(PriceError::Overflow)?;
    } else {
        den = den.checked_mul(scale).ok_or(PriceError::Overflow)?;
    }
    ratio(num, den, true)
}

/// Service credits for burning `tokens` (base units) at `bound`, with `credits_per_usd` credits
/// per US dollar; rounded down.
///
/// `credits = tokens / 10^td x m x 10^e x credits_per_usd`.
pub fn credits_for_burn(
    tokens: u64,
    token_decimals: u8,
    bound: PriceBound,
    credits_per_usd: u64,
) -> Result<u64, PriceError> {
    let mut num = u128::from(tokens)
        .checked_mul(u128::from(bound.mantissa))
        .and_then(|n| n.checked_mul(u128::from(credits_per_usd)))
        .ok_or(PriceError::Overflow)?;
    let mut den = pow10(u32::from(token_decimals))?;
    let scale = pow10(bound.exponent.unsigned_abs())?;
    if bound.exponent < 0 {
        den = den.checked_mul(scale).ok_or(PriceError::Overflow)?;
    } else {
        num = num.checked_mul(scale).ok_or(PriceError::Overflow)?;
    }
    ratio(num, den, false)
}

/// What the treasury pays for claimed tokens (`claim_quote`), in stablecoin base units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimQuote {
    /// The tokens' value at the oracle bound, rounded down.
    pub at_bound: u64,
    /// The tokens' value at the pool's spot price (`quote_reserve / token_reserve`), rounded down
    /// (saturated at `u64::MAX`).
    pub at_pool: u64,
    /// What is paid: the lower of the two.
    pub out: u64,
}

/// The stablecoin paid for `tokens` claimed network tokens (base units): their value at the
/// lower of the oracle bound and the pool's spot price, rounded down (against the claimant), so
/// the treasury never pays more than the oracle allows nor more than the market.
///
/// `at_bound = tokens / 10^td x m x 10^e x 10^qd`, `at_pool = tokens x quote_reserve / token_reserve`
/// (both reserves in base units, so the decimals cancel).
pub fn claim_quote(
    tokens: u64,
    token_decimals: u8,
    quote_decimals: u8,
    bound: PriceBound,
    (quote_reserve, token_reserve): (u64, u64),
) -> Result<ClaimQuote, PriceError> {
    if quote_reserve == 0 || token_reserve == 0 {
        return Err(PriceError::EmptyPool);
    }
    let mut num = u128::from(tokens)
        .checked_mul(u128::from(bound.mantissa))
        .and_then(|n| n.checked_mul(pow10(u32::from(quote_decimals)).ok()?))
        .ok_or(PriceError::Overflow)?;
    let mut den = pow10(u32::from(token_decimals))?;
    let scale = pow10(bound.exponent.unsigned_abs())?;
    if bound.exponent < 0 {
        den = den.checked_mul(scale).ok_or(PriceError::Overflow)?;
    } else {
        num = num.checked_mul(scale).ok_or(PriceError::Overflow)?;
    }
    let at_bound = ratio(num, den, false)?;
    // u64 x u64 fits u128; a value beyond u64 (a pool priced absurdly high) is saturated, as
    // only the lower of the two is paid and `at_bound` fits u64.
    let at_pool = u128::from(tokens)
        .checked_mul(u128::from(quote_reserve))
        .map(|n| n / u128::from(token_reserve))
        .map_or(u64::MAX, |v| u64::try_from(v).unwrap_or(u64::MAX));
    Ok(ClaimQuote {
        at_bound,
        at_pool,
        out: at_bound.min(at_pool),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // 0.50 USD with exponent -8.
    const HALF: i64 = 50_000_000;

    #[test]
    fn conservative_price_deducts_k_confidences() {
        // conf 0.001 USD (0.2%), k = 2: 0.50 - 0.002 = 0.498.
        let b = conservative_price(HALF, 100_000, -8, 20_000, 100).unwrap();
        assert_eq!(
            b,
            PriceBound {
                mantissa: 49_800_000,
                exponent: -8
            }
        );
        // The deduction rounds up: conf 1, k = 1.5 -> 2.
        assert_eq!(
            conservative_price(1_000, 1, -3, 15_000, 100)
                .unwrap()
                .mantissa,
            998
        );
    }

    #[test]
    fn conservative_price_refusals() {
        assert_eq!(
            conservative_price(0, 0, -8, 0, 100),
            Err(PriceError::NonPositive)
        );
        assert_eq!(
            conservative_price(-5, 0, -8, 0, 100),
            Err(PriceError::NonPositive)
        );
        // 1% confidence against a 0.99% limit: refused; exactly 1%: accepted.
        assert_eq!(
            conservative_price(HALF, 500_000, -8, 10_000, 99),
            Err(PriceError::ConfidenceTooWide)
        );
        assert!(conservative_price(HALF, 500_000, -8, 10_000, 100).is_ok());
        // k so large the bound reaches zero.
        assert_eq!(
            conservative_price(HALF, 500_000, -8, 1_000_000, 100),
            Err(PriceError::NonPositive)
        );
        assert_eq!(
            conservative_price(HALF, 0, -19, 0, 100),
            Err(PriceError::Exponent)
        );
    }

    #[test]
    fn min_tokens_out_worked_example() {
        // 1,000 USDC (6 decimals) at 0.498 USD/token (6 decimals), 1% slippage:
        // 1000 x 0.99 / 0.498 = 1,987.951807... tokens -> 1,987,951,808 base units (rounded up).
        let bound = PriceBound {
            mantissa: 49_800_000,
            exponent: -8,
        };
        assert_eq!(
            min_tokens_out(1_000_000_000, 6, 6, bound, 100),
            Ok(1_987_951_808)
        );
        // A positive exponent: 2 x 10^1 = 20 USD per token, 100 USDC, no slippage: 5 tokens.
        let bound = PriceBound {
            mantissa: 2,
            exponent: 1,
        };
        assert_eq!(
            min_tokens_out(100_000_000, 6, 9, bound, 0),
            Ok(5_000_000_000)
        );
    }

    #[test]
    fn credits_for_burn_worked_example() {
        // 10 tokens (6 decimals) at 0.498 USD, 100,000 credits per USD: 498,000 credits.
        let bound = PriceBound {
            mantissa: 49_800_000,
            exponent: -8,
        };
        assert_eq!(credits_for_burn(10_000_000, 6, bound, 100_000), Ok(498_000));
        // 1 base unit is worth 0.0498 credits: rounds down to zero.
        assert_eq!(credits_for_burn(1, 6, bound, 100_000), Ok(0));
    }

    /// The fixture's numbers: bound 0.4975 USD (EMA 0.50 less one 0.5% confidence), a pool of
    /// 1,000,000 coins against 2,000,000 tokens (0.50 USD), 6 decimals on both sides.
    #[test]
    fn claim_quote_table() {
        let bound = PriceBound {
            mantissa: 49_750_000,
            exponent: -8,
        };
        let pool = (1_000_000_000_000, 2_000_000_000_000);
        let q = |tokens, pool| claim_quote(tokens, 6, 6, bound, pool);
        let quote = |at_bound, at_pool, out| {
            Ok(ClaimQuote {
                at_bound,
                at_pool,
                out,
            })
        };
        // 1,000 tokens: 497.5 at the bound, 500 at the pool: the bound pays.
        assert_eq!(
            q(1_000_000_000, pool),
            quote(497_500_000, 500_000_000, 497_500_000)
        );
        // A pool pushed to 0.40 USD: the pool pays 400.
        let low = (1_000_000_000_000, 2_500_000_000_000);
        assert_eq!(
            q(1_000_000_000, low),
            quote(497_500_000, 400_000_000, 400_000_000)
        );
        // 3 base units: 1.4925 and 1.5 round down to 1.
        assert_eq!(q(3, pool), quote(1, 1, 1));
        // 1 base unit is worth 0.4975 units: zero.
        assert_eq!(q(1, pool), quote(0, 0, 0));
        // Other decimals: 1 token of 9 decimals for a coin of 2 decimals at 0.4975: 49 cents;
        // the same 0.50 pool in those units (10^8 cents against 2 x 10^15): 50 cents.
        assert_eq!(
            claim_quote(
                1_000_000_000,
                9,
                2,
                bound,
                (100_000_000, 2_000_000_000_000_000)
            ),
            quote(49, 50, 49)
        );
        // A positive exponent: 2 x 10^1 = 20 USD per token, 6-decimal coin: 5 tokens = 100 coins.
        let twenty = PriceBound {
            mantissa: 2,
            exponent: 1,
        };
        assert_eq!(
            claim_quote(5_000_000, 6, 6, twenty, (1_000, 1)),
            quote(100_000_000, 5_000_000_000, 100_000_000)
        );
        // Refusals: an empty reserve; an overflowing value at the bound.
        assert_eq!(q(1, (0, 1)), Err(PriceError::EmptyPool));
        assert_eq!(q(1, (1, 0)), Err(PriceError::EmptyPool));
        let huge = PriceBound {
            mantissa: u64::MAX,
            exponent: 18,
        };
        assert_eq!(
            claim_quote(u64::MAX, 6, 6, huge, pool),
            Err(PriceError::Overflow)
        );
    }

    proptest! {
        /// A claim's pay never exceeds the tokens' value at the bound nor at the pool, and is
        /// exactly the floor of the lower one.
        #[test]
        fn claim_quote_rounds_against_the_claimant(
            tokens in 0u64..1_000_000_000_000_000,
            mantissa in 1u64..10_000_000_000,
            quote_reserve in 1u64..u64::MAX,
            token_reserve in 1u64..u64::MAX,
        ) {
            let bound = PriceBound { mantissa, exponent: -8 };
            let q = claim_quote(tokens, 6, 6, bound, (quote_reserve, token_reserve)).unwrap();
            let t = u128::from(tokens);
            // Value at the bound in units of 1e-8 coin base units.
            let exact_bound = t * u128::from(mantissa);
            prop_assert!(u128::from(q.at_bound) * 100_000_000 <= exact_bound);
            prop_assert!((u128::from(q.at_bound) + 1) * 100_000_000 > exact_bound);
            let exact_pool = t * u128::from(quote_reserve);
            let floor_pool = exact_pool / u128::from(token_reserve);
            prop_assert_eq!(u128::from(q.at_pool), floor_pool.min(u128::from(u64::MAX)));
            prop_assert_eq!(q.out, q.at_bound.min(q.at_pool));
        }

        /// The minimum output never undervalues the stablecoin spent: its value at the bound
        /// (plus the slippage allowance) covers the quote, and one token fewer would not.
        #[test]
        fn min_out_rounds_against_the_pool(
            quote_in in 1u64..1_000_000_000_000,
            mantissa in 1u64..10_000_000_000,
            slippage in 0u16..2_000,
        ) {
            let bound = PriceBound { mantissa, exponent: -8 };
            let out = min_tokens_out(quote_in, 6, 6, bound, slippage).unwrap();
            // value(out) x 10,000 >= quote_in x (10,000 - slippage), in units of 1e-14 USD.
            let lhs = u128::from(out) * u128::from(mantissa) * 10_000;
            let rhs = u128::from(quote_in) * u128::from(10_000 - slippage) * 100_000_000;
            prop_assert!(lhs >= rhs);
            if out > 0 {
                prop_assert!((u128::from(out) - 1) * u128::from(mantissa) * 10_000 < rhs);
            }
        }

        /// Credits never exceed the exact value of the tokens burned.
        #[test]
        fn credits_round_down(
            tokens in 0u64..1_000_000_000_000_000,
            mantissa in 1u64..10_000_000_000,
            per_usd in 1u64..1_000_000,
        ) {
            let bound = PriceBound { mantissa, exponent: -8 };
            let credits = credits_for_burn(tokens, 6, bound, per_usd).unwrap();
            let exact_num = u128::from(tokens) * u128::from(mantissa) * u128::from(per_usd);
            let den = 100_000_000_000_000u128;
            prop_assert!(u128::from(credits) * den <= exact_num);
            prop_assert!((u128::from(credits) + 1) * den > exact_num);
        }

        /// The bound is at most the EMA and falls as confidence or k grows.
        #[test]
        fn bound_is_monotone(ema in 1i64..i64::MAX, conf in 0u64..1_000_000, k in 0u32..50_000) {
            if let Ok(b) = conservative_price(ema, conf, -8, k, 10_000) {
                prop_assert!(u128::from(b.mantissa) <= ema as u128);
                if let Ok(b2) = conservative_price(ema, conf, -8, k + 1, 10_000) {
                    prop_assert!(b2.mantissa <= b.mantissa);
                }
            }
        }
    }
}
