/**
 * The treasury's books (`#/treasury`):
 * - the ledger from accounts, exactly what `depin treasury report --json` prints: the split,
 *   every accepted coin's payments, received, buckets, bought back, routed and swept (the
 *   `Stablecoin` accounts), the treasury's burn total, and the supply story (minted, each
 *   burn, supply, untracked burns: rewards `Network`, `Treasury`, staking `StakingConfig`, the
 *   mint's supply);
 * - every event behind it (treasuryEvents.ts), each row linking to its transaction: payments by
 *   coin and by invoice reference with their split, buybacks with their price bound and pool,
 *   stakers' routing and sweeps, credits, and the supply after each burn; folded by
 *   `foldTreasuryEvents` and checked against the ledger;
 * - charts (uPlot) of revenue and supply over time, and a CSV of every table.
 */
import { getBase58Decoder, getBase64Encoder, type Address } from '@solana/kit';
import { TREASURY_PROGRAM_ADDRESS, foldTreasuryEvents, stakingConfigPda, treasuryPda } from '@depin/client';
import * as staking from '@depin/client/staking';
import * as treasury from '@depin/client/treasury';

import { fetchNetwork, txHref, type Ctx } from './app.ts';
import { amount, errorText, h, hex, int, key, mount, reference, status, table, time, type Column } from './dom.ts';
import { fetchTreasuryEvents, type SourcedEvent } from './treasuryEvents.ts';

type Coin = { address: Address; data: treasury.Stablecoin };

async function fetchCoins(ctx: Ctx): Promise<Coin[]> {
  const list = await ctx.rpc
    .getProgramAccounts(TREASURY_PROGRAM_ADDRESS, {
      encoding: 'base64',
      commitment: 'confirmed',
      filters: [{ memcmp: { offset: 0n, bytes: getBase58Decoder().decode(treasury.STABLECOIN_DISCRIMINATOR) as never, encoding: 'base58' } }],
    })
    .send();
  const b64 = getBase64Encoder();
  const dec = treasury.getStablecoinDecoder();
  return list.map((a) => ({ address: a.pubkey, data: dec.decode(b64.encode(a.account.data[0])) })).sort((a, b) => (a.data.mint < b.data.mint ? -1 : 1));
}

const sig = (ctx: Ctx, s: string) => h('a', { href: txHref(ctx, s), class: 'sig', title: s }, `${s.slice(0, 8)}…`);

/** The supply story, as sdk/client/src/supply.rs reads it. */
export type Supply = { minted: bigint; onboarding: bigint; buybacks: bigint; credits: bigint; slashes: bigint; supply: bigint };
const burned = (s: Supply) => s.onboarding + s.buybacks + s.credits + s.slashes;

export function renderTreasury(ctx: Ctx, main: HTMLElement): void {
  const body = h('div');
  mount(main, h('h1', null, 'Treasury transparency'), body);
  void (async () => {
    mount(body, status('Reading the treasury’s accounts…'));
    try {
      const [net, tr, coins, cfg] = await Promise.all([
        fetchNetwork(ctx),
        treasuryPda().then(([a]) => treasury.fetchMaybeTreasury(ctx.rpc, a, { commitment: 'confirmed' })),
        fetchCoins(ctx),
        stakingConfigPda().then(([a]) => staking.fetchMaybeStakingConfig(ctx.rpc, a, { commitment: 'confirmed' })),
      ]);
      if (!net || !tr.exists) {
        mount(body, status('No treasury on this chain yet (run `depin migrate`).', 'error'));
        return;
      }
      const t = tr.data;
      const tokDec = net.decimals;
      const { value: mintSupply } = await ctx.rpc.getTokenSupply(net.mint, { commitment: 'confirmed' }).send();
      const supply: Supply = {
        minted: net.totalMinted,
        onboarding: net.totalBurned,
        buybacks: t.totalBoughtBurned,
        credits: t.totalCreditBurned,
        slashes: cfg.exists ? cfg.data.totalSlashed : 0n,
        supply: BigInt(mintSupply.amount),
      };
      const coinDec = new Map(coins.map((c) => [c.data.mint as string, c.data.decimals]));
      const cd = (mint: string) => coinDec.get(mint) ?? 0;

      // ---- the ledger (accounts) ----
      const ledgerCols: Column<Coin>[] = [
        { title: 'mint', cell: (c) => key(c.data.mint), csv: (c) => c.data.mint },
        { title: 'payments', num: true, cell: (c) => int(c.data.payments), csv: (c) => c.data.payments },
        { title: 'received', num: true, cell: (c) => amount(c.data.totalReceived, c.data.decimals), csv: (c) => c.data.totalReceived },
        { title: 'buckets.buyback', num: true, cell: (c) => amount(c.data.buckets.buyback, c.data.decimals), csv: (c) => c.data.buckets.buyback },
        { title: 'buckets.stakers', num: true, cell: (c) => amount(c.data.buckets.stakers, c.data.decimals), csv: (c) => c.data.buckets.stakers },
        { title: 'buckets.operations', num: true, cell: (c) => amount(c.data.buckets.operations, c.data.decimals), csv: (c) => c.data.buckets.operations },
        { title: 'bought_back', num: true, cell: (c) => amount(c.data.totalBoughtBack, c.data.decimals), csv: (c) => c.data.totalBoughtBack },
        { title: 'routed_to_stakers', num: true, cell: (c) => amount(c.data.totalRoutedToStakers, c.data.decimals), csv: (c) => c.data.totalRoutedToStakers },
        { title: 'swept_to_operations', num: true, cell: (c) => amount(c.data.totalSweptToOperations, c.data.decimals), csv: (c) => c.data.totalSweptToOperations },
      ];
      const ledger = table('Revenue by coin (Stablecoin accounts; the fields of depin treasury report --json)', ledgerCols, coins, 'revenue-by-coin');
      ledger.querySelectorAll('tbody tr').forEach((row, i) => coins[i] && row.setAttribute('data-mint', coins[i].data.mint));
      const split = t.split;
      const supplyRows = [
        { what: 'minted', v: supply.minted },
        { what: 'burned.onboarding_fees', v: supply.onboarding },
        { what: 'burned.buybacks', v: supply.buybacks },
        { what: 'burned.credits', v: supply.credits },
        { what: 'burned.slashes', v: supply.slashes },
        { what: 'burned.total', v: burned(supply) },
        { what: 'supply', v: supply.supply },
        { what: 'untracked_burns', v: supply.minted - burned(supply) - supply.supply },
      ];
      const supplyTable = table('The network token’s supply story (accounts and the mint)', [
        { title: 'figure', cell: (r) => h('code', null, r.what), csv: (r) => r.what },
        { title: 'base units', num: true, cell: (r) => amount(r.v, tokDec), csv: (r) => r.v },
      ], supplyRows, 'supply');
      supplyTable.querySelectorAll('tbody tr').forEach((row, i) => supplyRows[i] && row.setAttribute('data-figure', supplyRows[i].what));

      const eventsBox = h('div', { id: 'events' }, status('Reading the treasury’s transactions…'));
      mount(
        body,
        h('section', { class: 'card', 'aria-labelledby': 'split-h', id: 'split' },
          h('h2', { id: 'split-h' }, 'The split'),
          h('p', null, 'Every payment is split: ',
            h('data', { id: 'split-buyback', value: split.buybackBps }, `${split.buybackBps / 100}%`), ' buyback and burn, ',
            h('data', { id: 'split-stakers', value: split.stakersBps }, `${split.stakersBps / 100}%`), ' to stakers, ',
            h('data', { id: 'split-operations', value: split.operationsBps }, `${split.operationsBps / 100}%`), ' to operations. ',
            'Bought back and burned in all: ', h('span', { id: 'total-bought-burned' }, amount(t.totalBoughtBurned, tokDec)), '.')),
        h('section', { class: 'card', 'aria-labelledby': 'ledger-h', id: 'ledger' }, h('h2', { id: 'ledger-h' }, 'Revenue by coin'), ledger),
        h('section', { class: 'card', 'aria-labelledby': 'supply-h', id: 'supply' }, h('h2', { id: 'supply-h' }, 'Supply'), supplyTable, h('div', { id: 'supply-chart', class: 'chart' })),
        eventsBox,
      );

      // ---- the events ----
      let events: SourcedEvent[];
      try {
        events = await fetchTreasuryEvents(ctx, (done, of) => mount(eventsBox, status(`Reading the treasury’s transactions: ${done} of ${of}…`)));
      } catch (e) {
        mount(eventsBox, status(`The treasury’s transactions could not be read: ${errorText(e)}`, 'error'));
        return;
      }
      const report = foldTreasuryEvents(events);
      const mismatches: string[] = [];
      for (const c of coins) {
        const f = report.coins.get(c.data.mint);
        const pairs: [string, bigint, bigint][] = [
          ['payments', c.data.payments, f?.payments ?? 0n],
          ['received', c.data.totalReceived, f?.received ?? 0n],
          ['bought_back', c.data.totalBoughtBack, f?.boughtBack ?? 0n],
          ['routed_to_stakers', c.data.totalRoutedToStakers, f?.routedToStakers ?? 0n],
          ['swept_to_operations', c.data.totalSweptToOperations, f?.sweptToOperations ?? 0n],
        ];
        for (const [what, acct, fold] of pairs) if (acct !== fold) mismatches.push(`${c.data.mint} ${what}: account ${acct}, events ${fold}`);
      }
      if (report.burnedByBuyback !== t.totalBoughtBurned) mismatches.push(`bought and burned: account ${t.totalBoughtBurned}, events ${report.burnedByBuyback}`);
      if (report.burnedForCredits !== t.totalCreditBurned) mismatches.push(`burned for credits: account ${t.totalCreditBurned}, events ${report.burnedForCredits}`);

      const ev = <K extends SourcedEvent['kind']>(k: K) => events.filter((e): e is Extract<SourcedEvent, { kind: K }> => e.kind === k);
      const txCol = <T extends SourcedEvent>(): Column<T> => ({ title: 'transaction', cell: (e) => sig(ctx, e.signature), csv: (e) => e.signature });
      const tsCol = <T extends SourcedEvent & { event: { timestamp: bigint } }>(): Column<T> => ({ title: 'time', cell: (e) => time(e.event.timestamp), csv: (e) => e.event.timestamp });

      const revenue = ev('Revenue');
      const revCols: Column<(typeof revenue)[number]>[] = [
        tsCol(),
        { title: 'mint', cell: (e) => key(e.event.mint), csv: (e) => e.event.mint },
        { title: 'reference', cell: (e) => reference(hex(e.event.reference)), csv: (e) => hex(e.event.reference) },
        { title: 'amount', num: true, cell: (e) => amount(e.event.amount, cd(e.event.mint)), csv: (e) => e.event.amount },
        { title: 'to_buyback', num: true, cell: (e) => amount(e.event.toBuyback, cd(e.event.mint)), csv: (e) => e.event.toBuyback },
        { title: 'to_stakers', num: true, cell: (e) => amount(e.event.toStakers, cd(e.event.mint)), csv: (e) => e.event.toStakers },
        { title: 'to_operations', num: true, cell: (e) => amount(e.event.toOperations, cd(e.event.mint)), csv: (e) => e.event.toOperations },
        { title: 'payer', cell: (e) => key(e.event.payer), csv: (e) => e.event.payer },
        txCol(),
      ];
      const refs = [...report.byReference.values()].sort((a, b) => a.reference.localeCompare(b.reference) || (a.mint < b.mint ? -1 : 1));
      const refSigs = new Map<string, string[]>();
      for (const e of revenue) {
        const k = `${hex(e.event.reference)}:${e.event.mint}`;
        refSigs.set(k, [...(refSigs.get(k) ?? []), e.signature]);
      }
      const refCols: Column<(typeof refs)[number]>[] = [
        { title: 'reference', cell: (r) => reference(r.reference), csv: (r) => r.reference },
        { title: 'mint', cell: (r) => key(r.mint), csv: (r) => r.mint },
        { title: 'received', num: true, cell: (r) => amount(r.received, cd(r.mint)), csv: (r) => r.received },
        { title: 'transactions', cell: (r) => h('span', null, (refSigs.get(`${r.reference}:${r.mint}`) ?? []).map((s) => [sig(ctx, s), ' '])), csv: (r) => (refSigs.get(`${r.reference}:${r.mint}`) ?? []).join(' ') },
      ];
      const buybacks = ev('Buyback');
      const poolOf = (e: (typeof buybacks)[number]) => {
        const coin = coins.find((c) => c.data.mint === e.event.stableMint);
        const accts = e.ixAccounts ?? [];
        if (coin && accts.includes(coin.data.venue.pool)) return coin.data.venue.pool as string;
        return accts[7] ? `reserves ${accts[7]} / ${accts[8]}` : 'unknown';
      };
      const bound = (m: bigint, x: number) => `${m} × 10^${x} USD/token`;
      const bbCols: Column<(typeof buybacks)[number]>[] = [
        tsCol(),
        { title: 'stable_mint', cell: (e) => key(e.event.stableMint), csv: (e) => e.event.stableMint },
        { title: 'quote_spent', num: true, cell: (e) => amount(e.event.quoteSpent, cd(e.event.stableMint)), csv: (e) => e.event.quoteSpent },
        { title: 'tokens_burned', num: true, cell: (e) => amount(e.event.tokensBurned, tokDec), csv: (e) => e.event.tokensBurned },
        { title: 'min_tokens_out', num: true, cell: (e) => amount(e.event.minTokensOut, tokDec), csv: (e) => e.event.minTokensOut },
        { title: 'price_bound', cell: (e) => bound(e.event.priceBound, e.event.priceExponent), csv: (e) => `${e.event.priceBound}e${e.event.priceExponent}` },
        { title: 'pool', cell: (e) => { const p = poolOf(e); return p.startsWith('reserves') ? p : key(p); }, csv: poolOf },
        { title: 'amm_program', cell: (e) => key(e.event.ammProgram), csv: (e) => e.event.ammProgram },
        txCol(),
      ];
      type Flow = { kind: string; mint: Address; destination: Address; amount: bigint; timestamp: bigint; signature: string };
      const flows: Flow[] = events.flatMap((e) =>
        e.kind === 'StakersRouted' || e.kind === 'OperationsSwept'
          ? [{ kind: e.kind === 'StakersRouted' ? 'to stakers' : 'to operations', mint: e.event.mint, destination: e.event.destination, amount: e.event.amount, timestamp: e.event.timestamp, signature: e.signature }]
          : [],
      );
      const flowCols: Column<Flow>[] = [
        { title: 'time', cell: (f) => time(f.timestamp), csv: (f) => f.timestamp },
        { title: 'kind', cell: (f) => f.kind, csv: (f) => f.kind },
        { title: 'mint', cell: (f) => key(f.mint), csv: (f) => f.mint },
        { title: 'amount', num: true, cell: (f) => amount(f.amount, cd(f.mint)), csv: (f) => f.amount },
        { title: 'destination', cell: (f) => key(f.destination), csv: (f) => f.destination },
        { title: 'transaction', cell: (f) => sig(ctx, f.signature), csv: (f) => f.signature },
      ];
      type Credit = { kind: string; owner: Address; credits: bigint; burned: bigint; timestamp: bigint; signature: string };
      const credits: Credit[] = events.flatMap((e) =>
        e.kind === 'CreditsMinted'
          ? [{ kind: 'minted', owner: e.event.owner, credits: e.event.credits, burned: e.event.tokensBurned, timestamp: e.event.timestamp, signature: e.signature }]
          : e.kind === 'CreditsConsumed'
            ? [{ kind: 'consumed', owner: e.event.owner, credits: e.event.credits, burned: 0n, timestamp: e.event.timestamp, signature: e.signature }]
            : [],
      );
      const creditCols: Column<Credit>[] = [
        { title: 'time', cell: (c) => time(c.timestamp), csv: (c) => c.timestamp },
        { title: 'kind', cell: (c) => c.kind, csv: (c) => c.kind },
        { title: 'owner', cell: (c) => key(c.owner), csv: (c) => c.owner },
        { title: 'credits', num: true, cell: (c) => int(c.credits), csv: (c) => c.credits },
        { title: 'tokens_burned', num: true, cell: (c) => amount(c.burned, tokDec), csv: (c) => c.burned },
        { title: 'transaction', cell: (c) => sig(ctx, c.signature), csv: (c) => c.signature },
      ];
      const burns = events.flatMap((e) =>
        e.kind === 'Buyback'
          ? [{ why: 'buyback', t: e.event.timestamp, burned: e.event.tokensBurned, before: e.event.supplyBefore, supply: e.event.supplyAfter, signature: e.signature }]
          : e.kind === 'CreditsMinted'
            ? [{ why: 'credits', t: e.event.timestamp, burned: e.event.tokensBurned, before: e.event.tokenSupplyBefore, supply: e.event.tokenSupplyAfter, signature: e.signature }]
            : [],
      );
      const burnCols: Column<(typeof burns)[number]>[] = [
        { title: 'time', cell: (b) => time(b.t), csv: (b) => b.t },
        { title: 'why', cell: (b) => b.why, csv: (b) => b.why },
        { title: 'burned', num: true, cell: (b) => amount(b.burned, tokDec), csv: (b) => b.burned },
        { title: 'supply_after', num: true, cell: (b) => amount(b.supply, tokDec), csv: (b) => b.supply },
        { title: 'transaction', cell: (b) => sig(ctx, b.signature), csv: (b) => b.signature },
      ];
      const totals = [
        { what: 'total_bought_burned', v: report.burnedByBuyback, d: tokDec },
        { what: 'burned_for_credits', v: report.burnedForCredits, d: tokDec },
        { what: 'credits_minted', v: report.creditsMinted, d: 0 },
        { what: 'credits_consumed', v: report.creditsConsumed, d: 0 },
      ];
      const revChart = h('div', { class: 'chart', id: 'revenue-chart' });
      mount(
        eventsBox,
        h('section', { class: 'card', 'aria-labelledby': 'check-h', id: 'reconcile' }, h('h2', { id: 'check-h' }, 'Events against the ledger'),
          mismatches.length === 0
            ? status(`The ${events.length} events of ${new Set(events.map((e) => e.signature)).size} transactions fold to exactly the accounts’ totals.`, 'ok')
            : h('div', null, status('The events do not fold to the accounts’ totals (the node may have pruned old transactions):', 'warn'), h('ul', null, mismatches.map((m) => h('li', null, m))))),
        h('section', { class: 'card', 'aria-labelledby': 'rev-h', id: 'revenue' }, h('h2', { id: 'rev-h' }, 'Revenue, payment by payment'), revChart, table('Every payment and its split', revCols, revenue, 'payments')),
        h('section', { class: 'card', 'aria-labelledby': 'ref-h', id: 'by-reference' }, h('h2', { id: 'ref-h' }, 'Revenue by invoice reference'), table('Received per (reference, coin)', refCols, refs, 'revenue-by-reference')),
        h('section', { class: 'card', 'aria-labelledby': 'bb-h', id: 'buybacks' }, h('h2', { id: 'bb-h' }, 'Buybacks'), table('Every buyback, its price bound and pool', bbCols, buybacks, 'buybacks')),
        h('section', { class: 'card', 'aria-labelledby': 'burn-h', id: 'burns' }, h('h2', { id: 'burn-h' }, 'Burns and supply after each'), table('Every burn by the treasury', burnCols, burns, 'burns')),
        h('section', { class: 'card', 'aria-labelledby': 'flow-h', id: 'routed' }, h('h2', { id: 'flow-h' }, 'Routed to stakers and swept to operations'), table('Every routing and sweep', flowCols, flows, 'routed-and-swept')),
        h('section', { class: 'card', 'aria-labelledby': 'cred-h', id: 'credits' }, h('h2', { id: 'cred-h' }, 'Service credits'), table('Credits minted (tokens burned) and consumed', creditCols, credits, 'credits')),
        h('section', { class: 'card', 'aria-labelledby': 'tot-h', id: 'event-totals' }, h('h2', { id: 'tot-h' }, 'Event totals'),
          table('Folded from the events (foldTreasuryEvents)', [
            { title: 'figure', cell: (r) => h('code', null, r.what), csv: (r) => r.what },
            { title: 'base units', num: true, cell: (r) => amount(r.v, r.d), csv: (r) => r.v },
          ], totals, 'event-totals')),
      );

      // Charts, after the tables: uPlot is its own chunk.
      const { lineChart } = await import('./chart.ts');
      const toNum = (v: bigint, d: number) => Number(v) / 10 ** d;
      const byCoin = new Map<string, { t: number; v: number }[]>();
      const run = new Map<string, bigint>();
      for (const e of revenue) {
        const m = e.event.mint as string;
        const acc = (run.get(m) ?? 0n) + e.event.amount;
        run.set(m, acc);
        byCoin.set(m, [...(byCoin.get(m) ?? []), { t: Number(e.event.timestamp), v: toNum(acc, cd(m)) }]);
      }
      if (byCoin.size) lineChart(revChart, 'Revenue received, cumulative, by coin', [...byCoin.entries()].map(([m, points]) => ({ label: `${m.slice(0, 6)}…`, points })));
      else revChart.append(h('p', { class: 'muted' }, 'No revenue yet: no chart.'));
      const supplyChart = body.querySelector<HTMLElement>('#supply-chart')!;
      if (burns.length) lineChart(supplyChart, 'Network token supply after each burn', [{ label: 'supply', points: [
          // The supply just before the first burn, then after each (a burn is one instant).
          { t: Number(burns[0]!.t) - 1, v: toNum(burns[0]!.before, tokDec) },
          ...burns.map((b) => ({ t: Number(b.t), v: toNum(b.supply, tokDec) })),
        ] }]);
      else supplyChart.append(h('p', { class: 'muted' }, 'No burn yet: no chart.'));
    } catch (e) {
      mount(body, status(`The treasury could not be read: ${errorText(e)}`, 'error'));
    }
  })();
}
