#!/usr/bin/env node
// Writes the end-to-end test's owner fixture (DEPIN_WEB_FIXTURE, see e2e.test.mjs) from an
// oracle's published epochs and the chain, for the driver around `depin-dev sim --keep-running`:
//
//   node app/web/test/fixture.mjs --epochs <oracle data dir>/epochs --owner <base58> \
//        --keypair <owner keypair file> --rpc <JSON-RPC URL> > fixture.json
//
// devices: the owner's rows of the last published devices.csv (the registry snapshot);
// rewards: the owner's rows of every published devices.csv (what /v1/wallets/{w}/rewards
// pages through); cumulative: the owner's cumulative in the final epoch's wallets.csv;
// claimable: that minus its claim record on chain. The published files are the record: the page
// must agree with them.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { createSolanaRpc } from '@solana/kit';
import { claimRecordPda, networkPda, rewards } from '@depin/client';

const { values: a } = parseArgs({
  options: { epochs: { type: 'string' }, owner: { type: 'string' }, keypair: { type: 'string' }, rpc: { type: 'string' } },
});
if (!a.epochs || !a.owner || !a.keypair || !a.rpc) {
  console.error('usage: fixture.mjs --epochs DIR --owner KEY --keypair FILE --rpc URL');
  process.exit(2);
}
const csv = (path) => {
  const [head, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
};
const epochs = readdirSync(a.epochs)
  .map((d) => /^epoch-(\d+)$/.exec(d)?.[1])
  .filter((n) => n !== undefined && existsSync(join(a.epochs, `epoch-${n}`, 'devices.csv')))
  .map(Number)
  .sort((x, y) => x - y);
if (!epochs.length) throw new Error(`no published epoch in ${a.epochs}`);
const rows = epochs.flatMap((e) =>
  csv(join(a.epochs, `epoch-${e}`, 'devices.csv'))
    .filter((r) => r.owner === a.owner)
    .map((r) => ({ epoch: e, device: r.device, score: r.score, reward: r.reward, reasons: r.reasons })),
);
const last = epochs[epochs.length - 1];
const devices = csv(join(a.epochs, `epoch-${last}`, 'devices.csv')).filter((r) => r.owner === a.owner).map((r) => r.device);

const rpc = createSolanaRpc(a.rpc);
const [net] = await networkPda();
const { data } = await rewards.fetchNetwork(rpc, net, { commitment: 'confirmed' });
let cumulative = 0n;
if (data.finalRoot.epochs > 0n) {
  const w = csv(join(a.epochs, `epoch-${data.finalRoot.epochs - 1n}`, 'wallets.csv')).find((r) => r.wallet === a.owner);
  cumulative = w ? BigInt(w.cumulative) : 0n;
}
const [record] = await claimRecordPda(a.owner);
const claim = await rewards.fetchMaybeClaimRecord(rpc, record, { commitment: 'confirmed' });
const claimed = claim.exists ? claim.data.claimed : 0n;

console.log(
  JSON.stringify(
    { owner: a.owner, keypair: a.keypair, devices, rewards: rows, cumulative: String(cumulative), claimable: String(cumulative - claimed) },
    null,
    2,
  ),
);
