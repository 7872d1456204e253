/**
 * The network view (`#/network`), all from the chain: the rewards `Network` account (final
 * root, epochs minted, dispute window), every `RootProposal` (votes, dispute and contest
 * windows, status), every `Probe` (the fraud-proof challenges), the `OracleSet`, and the
 * devices counted by kind and status (a getProgramAccounts that returns 2 bytes per device).
 * The latest final epoch's published files come from the API.
 */
import { getBase58Decoder, getBase64Encoder, type Address, type ReadonlyUint8Array } from '@solana/kit';
import { REWARDS_PROGRAM_ADDRESS, oracleSetPda } from '@depin/client';
import * as rewards from '@depin/client/rewards';

import { apiJson, fetchNetwork, type Ctx } from './app.ts';
import { amount, errorText, h, hex, int, key, mount, status, table, time, type Column } from './dom.ts';

/** Every account of the rewards program with `discriminator`, decoded (or only a slice of each). */
async function programAccounts<T>(
  ctx: Ctx,
  discriminator: ReadonlyUint8Array,
  decode: (bytes: ReadonlyUint8Array) => T,
  dataSlice?: { offset: number; length: number },
): Promise<{ address: Address; data: T }[]> {
  const list = await ctx.rpc
    .getProgramAccounts(REWARDS_PROGRAM_ADDRESS, {
      encoding: 'base64',
      commitment: 'confirmed',
      ...(dataSlice ? { dataSlice } : {}),
      filters: [{ memcmp: { offset: 0n, bytes: getBase58Decoder().decode(discriminator) as never, encoding: 'base58' } }],
    })
    .send();
  const b64 = getBase64Encoder();
  return list.map((a) => ({ address: a.pubkey, data: decode(b64.encode(a.account.data[0])) }));
}

/** A proposal's voters: its first `votes` seats (the rest of the fixed array is the default key). */
const voters = (p: rewards.RootProposal) => p.voters.slice(0, p.votes).filter((v) => v !== '11111111111111111111111111111111');

const now = () => BigInt(Math.floor(Date.now() / 1000));

function windowCell(ends: bigint): HTMLElement {
  if (ends === 0n) return h('span', { class: 'muted' }, '—');
  const left = ends - now();
  return h('span', null, time(ends), left > 0n ? h('span', { class: 'badge warn' }, ` open, ${left}s left`) : h('span', { class: 'badge' }, ' closed'));
}

export function renderNetwork(ctx: Ctx, main: HTMLElement): void {
  const body = h('div');
  mount(main, h('h1', null, 'The network'), body);
  void (async () => {
    mount(body, status('Reading the chain…'));
    try {
      const [net, proposals, probes, oracleSet, devices] = await Promise.all([
        fetchNetwork(ctx),
        programAccounts(ctx, rewards.ROOT_PROPOSAL_DISCRIMINATOR, (b) => rewards.getRootProposalDecoder().decode(b)),
        programAccounts(ctx, rewards.PROBE_DISCRIMINATOR, (b) => rewards.getProbeDecoder().decode(b)),
        oracleSetPda().then(([a]) => rewards.fetchMaybeOracleSet(ctx.rpc, a, { commitment: 'confirmed' })),
        // kind (offset 9) and status (offset 10) of every device.
        programAccounts(ctx, rewards.DEVICE_DISCRIMINATOR, (b) => ({ kind: b[0] ?? 0, status: b[1] ?? 0 }), { offset: 9, length: 2 }),
      ]);
      if (!net) {
        mount(body, status('No rewards network on this chain yet (run `depin migrate`).', 'error'));
        return;
      }
      const dec = net.decimals;
      const fr = net.finalRoot;
      const sections: HTMLElement[] = [];
      sections.push(
        h('section', { class: 'card', 'aria-labelledby': 'net-h', id: 'network' },
          h('h2', { id: 'net-h' }, 'Rewards network'),
          h('dl', { class: 'figures' },
            h('div', null, h('dt', null, 'Final epochs'), h('dd', { id: 'final-epochs' }, fr.epochs === 0n ? 'none yet' : `0–${fr.epochs - 1n}`)),
            h('div', null, h('dt', null, 'Final root'), h('dd', null, fr.epochs === 0n ? '—' : key(hex(fr.root)))),
            h('div', null, h('dt', null, 'Root total'), h('dd', null, amount(fr.total, dec))),
            h('div', null, h('dt', null, 'Manifest hash'), h('dd', null, fr.epochs === 0n ? '—' : key(hex(fr.manifestHash)))),
            h('div', null, h('dt', null, 'Epochs minted'), h('dd', null, int(net.epochsMinted))),
            h('div', null, h('dt', null, 'Minted in all'), h('dd', null, amount(net.totalMinted, dec))),
            h('div', null, h('dt', null, 'Claimed in all'), h('dd', null, amount(net.totalClaimed, dec))),
            h('div', null, h('dt', null, 'Dispute window'), h('dd', null, `${net.disputeSecs} s`)),
            h('div', null, h('dt', null, 'Voided roots'), h('dd', null, int(net.voidedRoots))),
          )),
      );

      const ps = proposals.sort((a, b) => (a.data.epoch === b.data.epoch ? Number(b.data.round - a.data.round) : a.data.epoch > b.data.epoch ? -1 : 1));
      const threshold = oracleSet.exists ? oracleSet.data.threshold : 0;
      const pCols: Column<(typeof ps)[number]>[] = [
        { title: 'Epoch', num: true, cell: (p) => int(p.data.epoch), csv: (p) => p.data.epoch },
        { title: 'Status', cell: (p) => h('span', { class: `badge s-${rewards.ProposalStatus[p.data.status]}` }, rewards.ProposalStatus[p.data.status] ?? '?'), csv: (p) => rewards.ProposalStatus[p.data.status] ?? '' },
        { title: 'Votes', num: true, cell: (p) => `${p.data.votes} / ${threshold}`, csv: (p) => p.data.votes },
        { title: 'Voters', cell: (p) => h('span', null, voters(p.data).map((v) => key(v)).flatMap((k, i) => (i ? [' ', k] : [k]))), csv: (p) => voters(p.data).join(' ') },
        { title: 'Root', cell: (p) => key(hex(p.data.root)), csv: (p) => hex(p.data.root) },
        { title: 'Total', num: true, cell: (p) => amount(p.data.total, dec), csv: (p) => p.data.total },
        { title: 'Leaves', num: true, cell: (p) => int(p.data.leaves), csv: (p) => p.data.leaves },
        { title: 'Posted', cell: (p) => time(p.data.postedAt), csv: (p) => p.data.postedAt },
        { title: 'Dispute window ends', cell: (p) => windowCell(p.data.disputeEnds), csv: (p) => p.data.disputeEnds },
        { title: 'Contested', num: true, cell: (p) => (p.data.contested ? h('span', null, int(p.data.contested), ' until ', time(p.data.contestEnds)) : '0'), csv: (p) => p.data.contested },
        { title: 'Open demands', num: true, cell: (p) => int(p.data.openDemands), csv: (p) => p.data.openDemands },
        { title: 'Account', cell: (p) => key(p.address), csv: (p) => p.address },
      ];
      sections.push(h('section', { class: 'card', 'aria-labelledby': 'prop-h', id: 'proposals' }, h('h2', { id: 'prop-h' }, 'Root proposals: votes and dispute windows'),
        table('Root proposals on chain (closed ones are gone), newest epoch first', pCols, ps, 'root-proposals')));

      const prCols: Column<(typeof probes)[number]>[] = [
        { title: 'Proposal', cell: (p) => key(p.data.proposal), csv: (p) => p.data.proposal },
        { title: 'Side', cell: (p) => rewards.ProbeSide[p.data.side] ?? '?', csv: (p) => rewards.ProbeSide[p.data.side] ?? '' },
        { title: 'Leaf index', num: true, cell: (p) => int(p.data.index), csv: (p) => p.data.index },
        { title: 'Level', num: true, cell: (p) => int(p.data.level), csv: (p) => p.data.level },
        { title: 'Opened by', cell: (p) => key(p.data.opener), csv: (p) => p.data.opener },
        { title: 'Demand', cell: (p) => (p.data.demand.__option === 'Some' ? h('span', null, key(p.data.demand.value.demander), ' until ', time(p.data.demand.value.deadline), ' deposit ', amount(p.data.demand.value.deposit, 9, 'SOL')) : 'none'), csv: (p) => (p.data.demand.__option === 'Some' ? p.data.demand.value.demander : '') },
        { title: 'Proven leaf', cell: (p) => (p.data.leaf.__option === 'Some' ? h('span', null, key(p.data.leaf.value.wallet), ' ', amount(p.data.leaf.value.amount, dec)) : '—'), csv: (p) => (p.data.leaf.__option === 'Some' ? `${p.data.leaf.value.wallet}:${p.data.leaf.value.amount}` : '') },
      ];
      sections.push(h('section', { class: 'card', 'aria-labelledby': 'probe-h', id: 'challenges' }, h('h2', { id: 'probe-h' }, 'Challenges (fraud-proof probes)'),
        table('Open probes against posted roots', prCols, probes, 'challenges')));

      if (oracleSet.exists) {
        const os = oracleSet.data;
        const seats = os.seats.slice(0, os.count).map((s, i) => ({ ...s, i }));
        sections.push(h('section', { class: 'card', 'aria-labelledby': 'oracles-h', id: 'oracles' }, h('h2', { id: 'oracles-h' }, 'Oracle set'),
          h('p', null, `Version ${os.setVersion}: ${os.count} oracle(s), ${os.threshold} vote(s) make a root; bond `, amount(os.bond, 9, 'SOL'), `; rotated `, time(os.rotatedAt), `; ${os.slashed} slashed.`),
          table('Seats', [
            { title: 'Seat', num: true, cell: (s) => s.i, csv: (s) => s.i },
            { title: 'Oracle', cell: (s) => key(s.key), csv: (s) => s.key },
            { title: 'Last vote (epoch)', num: true, cell: (s) => int(s.lastVote), csv: (s) => s.lastVote },
          ], seats, 'oracle-set')));
      }

      const counts = new Map<string, number>();
      for (const d of devices) {
        const k = `${rewards.DeviceKind[d.data.kind] ?? d.data.kind}\u0000${rewards.DeviceStatus[d.data.status] ?? d.data.status}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      const byStatus = [...counts.entries()].sort().map(([k, n]) => { const [kind, st] = k.split('\u0000'); return { kind: kind!, status: st!, n }; });
      sections.push(h('section', { class: 'card', 'aria-labelledby': 'dev-h', id: 'devices-by-status' }, h('h2', { id: 'dev-h' }, `Devices by status (${devices.length})`),
        table('Registered devices, by kind and status', [
          { title: 'Kind', cell: (r) => r.kind, csv: (r) => r.kind },
          { title: 'Status', cell: (r) => r.status, csv: (r) => r.status },
          { title: 'Devices', num: true, cell: (r) => int(r.n), csv: (r) => r.n },
        ], byStatus, 'devices-by-status')));

      const epochBox = h('section', { class: 'card', 'aria-labelledby': 'ep-h', id: 'epoch' }, h('h2', { id: 'ep-h' }, 'Latest final epoch, as this oracle published it'));
      sections.push(epochBox);
      mount(body, ...sections);
      if (fr.epochs > 0n) {
        try {
          const e = (await apiJson(ctx, `/v1/epochs/${fr.epochs - 1n}`)) as { chain?: string; files?: { name: string; sha256: string; url: string }[]; root?: { hash?: string } | null };
          epochBox.append(
            h('p', null, `Epoch ${fr.epochs - 1n}: chain status `, h('strong', null, e.chain ?? 'unknown'), '.'),
            h('ul', null, (e.files ?? []).map((f) => h('li', null, h('a', { href: `${ctx.api}${f.url}` }, f.name), ' sha256 ', key(f.sha256)))),
          );
        } catch (err) {
          epochBox.append(status(`The rewards API did not answer: ${errorText(err)}`, 'warn'));
        }
      } else epochBox.append(h('p', { class: 'muted' }, 'No final epoch yet.'));
    } catch (e) {
      mount(body, status(`The chain could not be read: ${errorText(e)}`, 'error'));
    }
  })();
}
