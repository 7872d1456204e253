/**
 * The treasury transparency report (docs/transparency.md): folds the treasury program's events
 * into the totals an auditor, the CLI and the web page show. A port of
 * sdk/client/src/treasury_report.rs: the same events, the same totals.
 *
 * Events come from `emit_cpi!`: each is the data of an inner instruction to the treasury
 * program, `EVENT_IX_TAG_LE || event discriminator || borsh fields`; {@link decodeTreasuryEvent}
 * reads one with the generated decoders.
 */
import { getAddressEncoder, type Address, type ReadonlyUint8Array } from '@solana/kit';

import {
  getBuybackExecutedDecoder,
  getCreditsConsumedDecoder,
  getCreditsMintedDecoder,
  getOperationsSweptDecoder,
  getRevenueReceivedDecoder,
  getStakersRoutedDecoder,
  type BuybackExecuted,
  type CreditsConsumed,
  type CreditsMinted,
  type OperationsSwept,
  type RevenueReceived,
  type StakersRouted,
} from './generated/treasury/types/index.js';

/** Anchor's tag before an `emit_cpi!` event: `sha256("anchor:event")[..8]`, little-endian. */
export const EVENT_IX_TAG_LE = Uint8Array.of(0xe4, 0x45, 0xa5, 0x2e, 0x51, 0xcb, 0x9a, 0x1d);

/** The events that move value, as the fold takes them. */
export type TreasuryEvent =
  | { readonly kind: 'Revenue'; readonly event: RevenueReceived }
  | { readonly kind: 'Buyback'; readonly event: BuybackExecuted }
  | { readonly kind: 'StakersRouted'; readonly event: StakersRouted }
  | { readonly kind: 'OperationsSwept'; readonly event: OperationsSwept }
  | { readonly kind: 'CreditsMinted'; readonly event: CreditsMinted }
  | { readonly kind: 'CreditsConsumed'; readonly event: CreditsConsumed };

/** Each kind's discriminator (idl/treasury.json `events`, checked by a test) and decoder. */
const DECODERS = [
  { kind: 'Revenue', disc: [194, 10, 115, 158, 29, 194, 157, 65], decoder: getRevenueReceivedDecoder },
  { kind: 'Buyback', disc: [150, 109, 157, 10, 124, 24, 38, 189], decoder: getBuybackExecutedDecoder },
  { kind: 'StakersRouted', disc: [113, 221, 154, 63, 5, 228, 150, 97], decoder: getStakersRoutedDecoder },
  { kind: 'OperationsSwept', disc: [18, 23, 31, 21, 47, 6, 206, 160], decoder: getOperationsSweptDecoder },
  { kind: 'CreditsMinted', disc: [156, 94, 140, 137, 170, 35, 173, 244], decoder: getCreditsMintedDecoder },
  { kind: 'CreditsConsumed', disc: [220, 125, 34, 34, 123, 171, 155, 83], decoder: getCreditsConsumedDecoder },
] as const;

/** The discriminators the fold reads, by event name (for the test against the IDL). */
export const TREASURY_EVENT_DISCRIMINATORS: Readonly<Record<string, readonly number[]>> = {
  RevenueReceived: DECODERS[0].disc,
  BuybackExecuted: DECODERS[1].disc,
  StakersRouted: DECODERS[2].disc,
  OperationsSwept: DECODERS[3].disc,
  CreditsMinted: DECODERS[4].disc,
  CreditsConsumed: DECODERS[5].disc,
};

function startsWith(bytes: ReadonlyUint8Array, prefix: ArrayLike<number>, at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i += 1) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * Decodes the data of an `emit_cpi!` inner instruction; null for anything else (other
 * instructions, events that move no value, or bytes too short for the event).
 */
export function decodeTreasuryEvent(ixData: ReadonlyUint8Array): TreasuryEvent | null {
  if (!startsWith(ixData, EVENT_IX_TAG_LE)) return null;
  const rest = ixData.slice(EVENT_IX_TAG_LE.length);
  for (const { kind, disc, decoder } of DECODERS) {
    if (!startsWith(rest, disc)) continue;
    try {
      return { kind, event: decoder().decode(rest) } as TreasuryEvent;
    } catch {
      return null; // A known discriminator with a body that does not decode, as Rust's `.ok()`.
    }
  }
  return null;
}

/** Revenue and its uses in one stablecoin, in its base units. */
export type CoinTotals = {
  payments: bigint;
  received: bigint;
  toBuyback: bigint;
  toStakers: bigint;
  toOperations: bigint;
  /** Spent on buybacks. */
  boughtBack: bigint;
  routedToStakers: bigint;
  sweptToOperations: bigint;
};

/** One buyback, as the report lists it. */
export type BuybackLine = {
  readonly timestamp: bigint;
  readonly stableMint: Address;
  readonly quoteSpent: bigint;
  readonly tokensBurned: bigint;
  /** The oracle bound checked against: mantissa x 10^exponent USD per token. */
  readonly priceBound: bigint;
  readonly priceExponent: number;
};

/** The folded report. Maps iterate in insertion order; {@link reportJson} sorts like Rust's BTreeMaps. */
export type TreasuryReport = {
  /** Per stablecoin mint. */
  readonly coins: Map<Address, CoinTotals>;
  /** Revenue per (reference hex, stablecoin mint), keyed `${referenceHex}:${mint}`. */
  readonly byReference: Map<string, { reference: string; mint: Address; received: bigint }>;
  readonly buybacks: BuybackLine[];
  /** Network tokens burned by buybacks and for credits. */
  burnedByBuyback: bigint;
  burnedForCredits: bigint;
  creditsMinted: bigint;
  creditsConsumed: bigint;
  /** Network token supply after each burn, in event order. */
  readonly supply: { readonly timestamp: bigint; readonly supply: bigint }[];
};

const emptyCoin = (): CoinTotals => ({
  payments: 0n,
  received: 0n,
  toBuyback: 0n,
  toStakers: 0n,
  toOperations: 0n,
  boughtBack: 0n,
  routedToStakers: 0n,
  sweptToOperations: 0n,
});

function coin(report: TreasuryReport, mint: Address): CoinTotals {
  let c = report.coins.get(mint);
  if (!c) {
    c = emptyCoin();
    report.coins.set(mint, c);
  }
  return c;
}

const hex = (bytes: ReadonlyUint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function apply(r: TreasuryReport, e: TreasuryEvent): void {
  switch (e.kind) {
    case 'Revenue': {
      const c = coin(r, e.event.mint);
      c.payments += 1n;
      c.received += e.event.amount;
      c.toBuyback += e.event.toBuyback;
      c.toStakers += e.event.toStakers;
      c.toOperations += e.event.toOperations;
      const reference = hex(e.event.reference);
      const k = `${reference}:${e.event.mint}`;
      const line = r.byReference.get(k) ?? { reference, mint: e.event.mint, received: 0n };
      line.received += e.event.amount;
      r.byReference.set(k, line);
      return;
    }
    case 'Buyback': {
      const b = e.event;
      coin(r, b.stableMint).boughtBack += b.quoteSpent;
      r.burnedByBuyback += b.tokensBurned;
      r.supply.push({ timestamp: b.timestamp, supply: b.supplyAfter });
      r.buybacks.push({
        timestamp: b.timestamp,
        stableMint: b.stableMint,
        quoteSpent: b.quoteSpent,
        tokensBurned: b.tokensBurned,
        priceBound: b.priceBound,
        priceExponent: b.priceExponent,
      });
      return;
    }
    case 'StakersRouted':
      coin(r, e.event.mint).routedToStakers += e.event.amount;
      return;
    case 'OperationsSwept':
      coin(r, e.event.mint).sweptToOperations += e.event.amount;
      return;
    case 'CreditsMinted':
      r.burnedForCredits += e.event.tokensBurned;
      r.creditsMinted += e.event.credits;
      r.supply.push({ timestamp: e.event.timestamp, supply: e.event.tokenSupplyAfter });
      return;
    case 'CreditsConsumed':
      r.creditsConsumed += e.event.credits;
      return;
  }
}

/** Folds events in the order they happened. */
export function foldTreasuryEvents(events: Iterable<TreasuryEvent>): TreasuryReport {
  const report: TreasuryReport = {
    coins: new Map(),
    byReference: new Map(),
    buybacks: [],
    burnedByBuyback: 0n,
    burnedForCredits: 0n,
    creditsMinted: 0n,
    creditsConsumed: 0n,
    supply: [],
  };
  for (const event of events) apply(report, event);
  return report;
}

function spent(received: bigint, uses: bigint, what: string): bigint {
  const left = received - uses;
  if (left < 0n) throw new RangeError(`${what}: more spent than received (events are missing)`);
  return left;
}

/** Stablecoin still held for a coin: received minus every use (0 for a coin never seen). */
export function held(report: TreasuryReport, mint: Address): bigint {
  const c = report.coins.get(mint);
  if (!c) return 0n;
  return spent(c.received, c.boughtBack + c.routedToStakers + c.sweptToOperations, mint);
}

const addressBytes = (a: Address) => getAddressEncoder().encode(a);

function compareBytes(a: ReadonlyUint8Array, b: ReadonlyUint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

const byMint = (a: Address, b: Address) => compareBytes(addressBytes(a), addressBytes(b));

/**
 * The report as JSON, amounts as decimal strings (exact beyond 2^53). Per coin, the names are
 * those of `depin treasury report --json` (`mint`, `payments`, `received`, `buckets`,
 * `bought_back`, `routed_to_stakers`, `swept_to_operations`; `buckets` is what each bucket still
 * holds), plus the Rust fold's `to_buyback`, `to_stakers`, `to_operations` and `held`; the
 * CLI's `total_bought_burned` is the fold's `burned_by_buyback`. Coins are sorted by mint bytes
 * and references by (reference, mint), as the Rust `BTreeMap`s are.
 */
export function reportJson(report: TreasuryReport) {
  const coins = [...report.coins.entries()].sort(([a], [b]) => byMint(a, b));
  const references = [...report.byReference.values()].sort(
    (a, b) => a.reference.localeCompare(b.reference) || byMint(a.mint, b.mint),
  );
  return {
    coins: coins.map(([mint, c]) => ({
      mint,
      payments: c.payments.toString(),
      received: c.received.toString(),
      to_buyback: c.toBuyback.toString(),
      to_stakers: c.toStakers.toString(),
      to_operations: c.toOperations.toString(),
      buckets: {
        buyback: spent(c.toBuyback, c.boughtBack, `${mint} buyback bucket`).toString(),
        stakers: spent(c.toStakers, c.routedToStakers, `${mint} stakers bucket`).toString(),
        operations: spent(c.toOperations, c.sweptToOperations, `${mint} operations bucket`).toString(),
      },
      bought_back: c.boughtBack.toString(),
      routed_to_stakers: c.routedToStakers.toString(),
      swept_to_operations: c.sweptToOperations.toString(),
      held: held(report, mint).toString(),
    })),
    by_reference: references.map((r) => ({
      reference: r.reference,
      mint: r.mint,
      received: r.received.toString(),
    })),
    buybacks: report.buybacks.map((b) => ({
      timestamp: b.timestamp.toString(),
      stable_mint: b.stableMint,
      quote_spent: b.quoteSpent.toString(),
      tokens_burned: b.tokensBurned.toString(),
      price_bound: b.priceBound.toString(),
      price_exponent: b.priceExponent,
    })),
    total_bought_burned: report.burnedByBuyback.toString(),
    burned_for_credits: report.burnedForCredits.toString(),
    credits_minted: report.creditsMinted.toString(),
    credits_consumed: report.creditsConsumed.toString(),
    supply_after_burns: report.supply.map((s) => ({
      timestamp: s.timestamp.toString(),
      supply: s.supply.toString(),
    })),
  };
}
