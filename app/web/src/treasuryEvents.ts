/**
 * The treasury's events from the chain: every successful transaction that touched the treasury
 * program (`getSignaturesForAddress`, paged back to the first), read with `getTransaction`, and
 * each `emit_cpi!` inner instruction to the program decoded by `decodeTreasuryEvent` (the port of
 * sdk/client/src/treasury_report.rs), oldest first, so `foldTreasuryEvents` gives the same totals
 * as the Rust fold. Each event keeps the signature and slot it came from, so every figure links
 * to its transaction; a buyback also keeps the accounts of the instruction that made it (its
 * pool's reserves).
 */
import { getBase58Encoder, type Address, type Signature } from '@solana/kit';
import { TREASURY_PROGRAM_ADDRESS, decodeTreasuryEvent, type TreasuryEvent } from '@depin/client';
import * as treasury from '@depin/client/treasury';

import type { Ctx } from './app.ts';

/** The parts of a `getTransaction` (encoding `json`) answer read here. */
export type RpcTransaction = {
  slot: bigint | number;
  blockTime: bigint | number | null;
  version?: number | bigint | 'legacy';
  transaction: {
    signatures: string[];
    message: { accountKeys: string[]; instructions: { programIdIndex: number | bigint; accounts: (number | bigint)[]; data: string }[] };
  };
  meta: {
    err: unknown;
    fee: bigint | number;
    logMessages?: string[] | null;
    loadedAddresses?: { writable: string[]; readonly: string[] } | null;
    innerInstructions?: { index: number | bigint; instructions: { programIdIndex: number | bigint; accounts: (number | bigint)[]; data: string }[] }[] | null;
  } | null;
};

export type SourcedEvent = TreasuryEvent & {
  readonly signature: string;
  readonly slot: bigint;
  readonly blockTime: bigint | null;
  /** For a buyback: the accounts of the `buyback` instruction that emitted it. */
  readonly ixAccounts?: readonly Address[];
};

const b58 = getBase58Encoder();

function sameBytes(a: ArrayLike<number>, b: ArrayLike<number>, n: number): boolean {
  for (let i = 0; i < n; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** The treasury events of one transaction, in execution order. */
export function eventsOfTransaction(tx: RpcTransaction, signature: string): SourcedEvent[] {
  if (!tx.meta || tx.meta.err) return [];
  const keys = [
    ...tx.transaction.message.accountKeys,
    ...(tx.meta.loadedAddresses?.writable ?? []),
    ...(tx.meta.loadedAddresses?.readonly ?? []),
  ];
  const program = TREASURY_PROGRAM_ADDRESS as string;
  const out: SourcedEvent[] = [];
  const inner = [...(tx.meta.innerInstructions ?? [])].sort((a, b) => Number(a.index) - Number(b.index));
  const top = tx.transaction.message.instructions;
  for (const group of inner) {
    // The last `buyback` instruction seen in this top-level instruction's tree (itself or inner).
    let buybackAccounts: Address[] | undefined;
    const seq = [top[Number(group.index)], ...group.instructions];
    for (const ix of seq) {
      if (!ix || keys[Number(ix.programIdIndex)] !== program) continue;
      const data = b58.encode(ix.data);
      if (data.length >= 8 && sameBytes(data, treasury.BUYBACK_DISCRIMINATOR, 8)) {
        buybackAccounts = ix.accounts.map((i) => keys[Number(i)] as Address);
        continue;
      }
      const e = decodeTreasuryEvent(data);
      if (!e) continue;
      out.push({
        ...e,
        signature,
        slot: BigInt(tx.slot),
        blockTime: tx.blockTime === null ? null : BigInt(tx.blockTime),
        ...(e.kind === 'Buyback' && buybackAccounts ? { ixAccounts: buybackAccounts } : {}),
      });
    }
  }
  return out;
}

/** Runs `f` over `items` with at most `n` at a time, keeping the order. */
async function pool<T, R>(items: readonly T[], n: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!);
      }
    }),
  );
  return out;
}

/** Every treasury event on chain, oldest first. `progress` hears how far the read is. */
export async function fetchTreasuryEvents(ctx: Ctx, progress: (done: number, of: number) => void): Promise<SourcedEvent[]> {
  const sigs: { signature: string; slot: bigint }[] = [];
  let before: Signature | undefined;
  for (;;) {
    const page = await ctx.rpc
      .getSignaturesForAddress(TREASURY_PROGRAM_ADDRESS, { limit: 1000, commitment: 'confirmed', ...(before ? { before } : {}) })
      .send();
    for (const s of page) if (s.err === null) sigs.push({ signature: s.signature, slot: BigInt(s.slot) });
    if (page.length < 1000) break;
    before = page[page.length - 1]!.signature;
  }
  // Newest first from the node: oldest first for the fold (a stable reverse keeps a slot's order).
  sigs.reverse();
  let done = 0;
  progress(0, sigs.length);
  const txs = await pool(sigs, 8, async ({ signature }) => {
    const tx = (await ctx.rpc
      .getTransaction(signature as Signature, { encoding: 'json', maxSupportedTransactionVersion: 0, commitment: 'confirmed' })
      .send()) as unknown as RpcTransaction | null;
    progress(++done, sigs.length);
    return tx ? eventsOfTransaction(tx, signature) : [];
  });
  return txs.flat();
}
