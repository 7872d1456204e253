//! Property test over random sequences of payments, buybacks and routing, against the built
//! program and the real pool: no stablecoin unit is lost and every token burned leaves supply.
use harness::builders::treasury_ix::*;
use harness::*;
use proptest::prelude::*;

use super::fixture::*;

#[derive(Clone, Debug)]
enum Op {
    Pay(u64),
    Buyback(u64),
    RouteStakers,
    Warp,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u64..5_000 * UNIT).prop_map(Op::Pay),
        4 => (1u64..3_000 * UNIT).prop_map(Op::Buyback),
        1 => Just(Op::RouteStakers),
        1 => Just(Op::Warp),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn stablecoin_and_supply_are_conserved(ops in prop::collection::vec(op(), 1..10)) {
        let mut fx = fixture(TokenProgram::SplToken);
        let supply0 = fx.supply();
        let customer0 = fx.balance(&fx.customer_tokens);
        let mut paid = 0u64;
        for op in ops {
            match op {
                Op::Pay(amount) => {
                    fx.pay(amount);
                    paid += amount;
                }
                Op::Buyback(quote) => {
                    let s = fx.stablecoin();
                    let room = s.buckets.buyback.min(CAP - s.spent_in_epoch.min(CAP));
                    let quote = quote.min(room);
                    if quote > 0 {
                        let ix = fx.buyback_ix(quote);
                        expect_ok(fx.env.send_fresh(&[ix], &[]));
                    }
                }
                Op::RouteStakers => {
                    if fx.stablecoin().buckets.stakers > 0 {
                        let ix = route_to_stakers(fx.stable, fx.stable_tp, fx.stakers_destination);
                        expect_ok(fx.env.send_fresh(&[ix], &[]));
                    }
                }
                Op::Warp => {
                    let t = fx.env.now() + 86_400;
                    fx.env.warp_to_timestamp(t);
                    fx.set_price(|_| {});
                }
            }
            let s = fx.stablecoin();
            // Every unit the customer paid is in the vault or has left through a recorded use.
            prop_assert_eq!(customer0 - fx.balance(&fx.customer_tokens), paid);
            prop_assert_eq!(s.total_received, paid);
            prop_assert_eq!(
                fx.balance(&s.vault),
                s.buckets.buyback + s.buckets.stakers + s.buckets.operations
            );
            prop_assert_eq!(
                paid,
                fx.balance(&s.vault) + s.total_bought_back + s.total_routed_to_stakers
                    + s.total_swept_to_operations
            );
            prop_assert_eq!(fx.balance(&fx.stakers_destination), s.total_routed_to_stakers);
            // Every token bought was burned: supply fell by exactly the treasury's total.
            prop_assert_eq!(supply0 - fx.supply(), fx.treasury().total_bought_burned);
            prop_assert_eq!(fx.balance(&s.bought), 0);
            prop_assert!(s.spent_in_epoch <= CAP);
        }
    }
}
