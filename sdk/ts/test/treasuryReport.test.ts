/** The treasury fold on hand-built events, with exact totals, and its decoding of event bytes. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

import { address, type Address, type ReadonlyUint8Array } from '@solana/kit';

import {
  getBuybackExecutedEncoder,
  getChangeAppliedEncoder,
  getCreditsConsumedEncoder,
  getCreditsMintedEncoder,
  getOperationsSweptEncoder,
  getRevenueReceivedEncoder,
  getStakersRoutedEncoder,
} from '../src/generated/treasury/types/index.js';
import {
  decodeTreasuryEvent,
  EVENT_IX_TAG_LE,
  foldTreasuryEvents,
  held,
  reportJson,
  TREASURY_EVENT_DISCRIMINATORS,
  type TreasuryEvent,
} from '../src/treasuryReport.js';
import { repoFile } from './fixtures.js';

// Two mints: USDC sorts after the other by bytes (E... base58 starts higher than 2...).
const USDC = address('EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v');
const PYUSD = address('2b1kV6DkPAnxd5ixfnxCpjxmKwqjjaYmCZfHsFu24GXo');
const ANY = address('11111111111111111111111111111112');
const BIG = 18_000_000_000_000_000_000n; // near u64::MAX: sums of two exceed it

const wrap = (bytes: ReadonlyUint8Array) => Uint8Array.from([...EVENT_IX_TAG_LE, ...bytes]);
const buckets = { buyback: 0n, stakers: 0n, operations: 0n };

function revenue(mint: Address, amount: bigint, ref: number) {
  const toBuyback = (amount * 5000n) / 10000n;
  const toStakers = (amount * 3000n) / 10000n;
  const toOperations = amount - toBuyback - toStakers;
  return wrap(getRevenueReceivedEncoder().encode({
    reference: new Uint8Array(32).fill(ref), payer: ANY, byOperator: false, customer: ANY, mint,
    amount, toBuyback, toStakers, toOperations, bucketsBefore: buckets, bucketsAfter: buckets,
    totalReceivedAfter: 0n, timestamp: 100n,
  }));
}

function buyback(quoteSpent: bigint, tokensBurned: bigint, supplyAfter: bigint, timestamp: bigint) {
  return wrap(getBuybackExecutedEncoder().encode({
    stableMint: USDC, quoteSpent, tokensBought: tokensBurned, tokensBurned, minTokensOut: 0n,
    priceBound: 123_456n, priceExponent: -8, emaPrice: 0n, emaConf: 0n, publishTime: 0n,
    ammProgram: ANY, buybackBucketBefore: 0n, buybackBucketAfter: 0n, epoch: 0n,
    spentInEpochAfter: 0n, supplyBefore: 0n, supplyAfter, timestamp,
  }));
}

const moved = { destination: ANY, bucketBefore: 0n, bucketAfter: 0n, timestamp: 0n };

function events(): TreasuryEvent[] {
  const bytes = [
    revenue(USDC, 1_000_001n, 7),
    revenue(USDC, 2_000_000n, 7),
    revenue(USDC, BIG, 8),
    revenue(PYUSD, 10n, 7),
    buyback(400_000n, 55n, 999_945n, 200n),
    wrap(getStakersRoutedEncoder().encode({ mint: USDC, amount: 900_000n, ...moved })),
    wrap(getOperationsSweptEncoder().encode({ mint: USDC, amount: 600_000n, ...moved })),
    wrap(getCreditsMintedEncoder().encode({
      owner: ANY, tokensBurned: 45n, credits: 4_500n, priceBound: 1n, priceExponent: 0,
      publishTime: 0n, tokenSupplyBefore: 999_945n, tokenSupplyAfter: 999_900n,
      creditsMintedAfter: 4_500n, timestamp: 300n,
    })),
    wrap(getCreditsConsumedEncoder().encode({
      owner: ANY, credits: 1_200n, usageReference: new Uint8Array(32), balanceBefore: 0n,
      balanceAfter: 0n, creditsConsumedAfter: 1_200n, timestamp: 400n,
    })),
    // Moves no value: not an event of the fold.
    wrap(getChangeAppliedEncoder().encode({
      change: ANY, id: 1n, update: { __kind: 'TimelockSecs', fields: [60n] }, timestamp: 0n,
    })),
  ];
  const decoded = bytes.map(decodeTreasuryEvent);
  assert.equal(decoded.at(-1), null);
  return decoded.filter((e): e is TreasuryEvent => e !== null);
}

test('the fold gives exact totals per coin, per reference, and for burns and credits', () => {
  const evs = events();
  assert.deepEqual(evs.map((e) => e.kind), [
    'Revenue', 'Revenue', 'Revenue', 'Revenue', 'Buyback', 'StakersRouted', 'OperationsSwept',
    'CreditsMinted', 'CreditsConsumed',
  ]);
  const r = foldTreasuryEvents(evs);
  const usdc = r.coins.get(USDC);
  assert.deepEqual(usdc, {
    payments: 3n,
    // Past u64::MAX: the totals are exact (Rust: u128).
    received: 3_000_001n + BIG,
    toBuyback: 500_000n + 1_000_000n + BIG / 2n,
    toStakers: 300_000n + 600_000n + (BIG * 3000n) / 10000n,
    toOperations: 200_001n + 400_000n + (BIG - BIG / 2n - (BIG * 3000n) / 10000n),
    boughtBack: 400_000n,
    routedToStakers: 900_000n,
    sweptToOperations: 600_000n,
  });
  assert.equal(held(r, USDC), 3_000_001n + BIG - 1_900_000n);
  assert.equal(held(r, PYUSD), 10n);
  assert.equal(held(r, ANY), 0n);
  assert.equal(r.burnedByBuyback, 55n);
  assert.equal(r.burnedForCredits, 45n);
  assert.equal(r.creditsMinted, 4_500n);
  assert.equal(r.creditsConsumed, 1_200n);
  assert.deepEqual(r.supply, [{ timestamp: 200n, supply: 999_945n }, { timestamp: 300n, supply: 999_900n }]);
  assert.deepEqual(r.buybacks, [{
    timestamp: 200n, stableMint: USDC, quoteSpent: 400_000n, tokensBurned: 55n,
    priceBound: 123_456n, priceExponent: -8,
  }]);
  assert.deepEqual([...r.byReference.values()].map((l) => [l.reference.slice(0, 2), l.mint, l.received]), [
    ['07', USDC, 3_000_001n], ['08', USDC, BIG], ['07', PYUSD, 10n],
  ]);
});

test('the JSON uses the CLI\'s and the Rust fold\'s names, sorted like BTreeMaps, amounts exact', () => {
  const json = reportJson(foldTreasuryEvents(events()));
  assert.deepEqual(json.coins.map((c) => c.mint), [PYUSD, USDC]);
  assert.deepEqual(json.coins[1], {
    mint: USDC,
    payments: '3',
    received: (3_000_001n + BIG).toString(),
    to_buyback: '9000000000001500000',
    to_stakers: '5400000000000900000',
    to_operations: '3600000000000600001',
    buckets: { buyback: '9000000000001100000', stakers: '5400000000000000000', operations: '3600000000000000001' },
    bought_back: '400000',
    routed_to_stakers: '900000',
    swept_to_operations: '600000',
    held: '18000000000001100001',
  });
  assert.deepEqual(json.by_reference.map((r) => [r.reference.slice(0, 2), r.mint]), [['07', PYUSD], ['07', USDC], ['08', USDC]]);
  assert.equal(json.total_bought_burned, '55');
  assert.equal(json.burned_for_credits, '45');
  assert.deepEqual(json.supply_after_burns, [{ timestamp: '200', supply: '999945' }, { timestamp: '300', supply: '999900' }]);
});

test('missing events are refused, not printed as negative amounts', () => {
  const [, , , , bb] = events();
  assert.ok(bb);
  assert.throws(() => reportJson(foldTreasuryEvents([bb])), /more spent than received/);
});

test('decoding refuses other bytes: no tag, a short body, another program\'s instruction', () => {
  const ok = revenue(USDC, 1n, 1);
  assert.equal(decodeTreasuryEvent(ok.slice(8)), null);
  assert.equal(decodeTreasuryEvent(ok.slice(0, ok.length - 1)), null);
  assert.equal(decodeTreasuryEvent(new Uint8Array(0)), null);
  assert.equal(decodeTreasuryEvent(ok)?.kind, 'Revenue');
});

test('the discriminators are the IDL\'s, which are sha256("event:<Name>")[..8]', () => {
  const idl = JSON.parse(repoFile('idl/treasury.json')) as { events: { name: string; discriminator: number[] }[] };
  for (const [name, disc] of Object.entries(TREASURY_EVENT_DISCRIMINATORS)) {
    assert.deepEqual(idl.events.find((e) => e.name === name)?.discriminator, [...disc], name);
    assert.deepEqual([...createHash('sha256').update(`event:${name}`).digest().subarray(0, 8)], [...disc]);
  }
  const tag = createHash('sha256').update('anchor:event').digest().subarray(0, 8);
  assert.deepEqual([...EVENT_IX_TAG_LE], [...tag].reverse());
});
