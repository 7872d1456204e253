/** The rewards API client: parsing, refusals, and claim arguments checked against the chain root. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { getAddressDecoder, type Address } from '@solana/kit';

import type { FinalRoot } from '../src/generated/rewards/types/index.js';
import { buildTree, encodeProof, proofOf } from '../src/merkleSum.js';
import {
  claimArgsFromSummary,
  fetchWalletSummary,
  MAX_ANSWER_BYTES,
  parseDecimalU64,
  parseWalletSummary,
  RewardsApiError,
  type RewardsApiErrorKind,
} from '../src/rewardsApi.js';
import { toHex } from './fixtures.js';

const wallets = [1, 2, 3, 4, 5].map((b) => new Uint8Array(32).fill(b));
const amounts = [100n, 250n, 375n, 500n, 1_000_000n];
const asAddress = (bytes: Uint8Array) => getAddressDecoder().decode(bytes) as Address;
const WALLET = asAddress(wallets[1] ?? new Uint8Array(32));

/** The five-leaf tree of docs/merkle-sum.md, and the summary an honest oracle serves for L1. */
async function fixture() {
  const tree = await buildTree(wallets.map((wallet, i) => ({ wallet, amount: amounts[i] ?? 0n })));
  const chain: FinalRoot = {
    epochs: 3n,
    root: tree.root.hash,
    total: tree.root.sum,
    manifestHash: new Uint8Array(32),
    leaves: 5n,
  };
  const proof = proofOf(tree, 1).map((s) => ({
    hash: toHex(s.node.hash),
    sum: s.node.sum.toString(),
    is_left: s.isLeft,
  }));
  const json = {
    wallet: WALLET,
    final_root: {
      epoch: 2, epochs: 3, root: toHex(tree.root.hash), total: '1001225', leaves: 5,
      manifest_hash: '00'.repeat(32),
    },
    cumulative: '250',
    claimed: '100',
    claimable: '150',
    leaf: { index: 1, cumulative: '250', proof },
    devices: [
      {
        epoch: 2, device: WALLET, score: '18446744073709551615', reward: '250',
        reasons: [{ code: 'no_speedtest', count: 1, meaning: 'no speed test' }], final: true,
        unknown_field: 'ignored',
      },
    ],
  };
  return { tree, chain, json };
}

async function kind(run: () => Promise<unknown>): Promise<RewardsApiErrorKind> {
  try {
    await run();
  } catch (e) {
    if (e instanceof RewardsApiError) return e.kind;
    throw e;
  }
  assert.fail('accepted');
}

test('a summary parses with exact amounts, u64::MAX included', async () => {
  const { json } = await fixture();
  const s = parseWalletSummary(json);
  assert.equal(s.claimable, 150n);
  assert.equal(s.finalRoot?.total, 1001225n);
  assert.equal(s.devices[0]?.score, 18446744073709551615n);
  assert.equal(s.leaf?.proof.length, 3);
  assert.equal(s.leaf?.proof[0]?.isLeft, true);
  assert.deepEqual(parseWalletSummary({ ...json, final_root: null, leaf: null }).leaf, null);
});

test('amounts must be canonical decimal u64 strings', () => {
  assert.equal(parseDecimalU64('0'), 0n);
  assert.equal(parseDecimalU64('18446744073709551615'), 18446744073709551615n);
  for (const bad of ['01', '-1', '', '18446744073709551616', '1e3', ' 1', 1]) {
    assert.throws(() => parseDecimalU64(bad), /not a (decimal u64|string)/, String(bad));
  }
});

test('the claim arguments of an honest summary are the leaf and its proof', async () => {
  const { tree, chain, json } = await fixture();
  const args = await claimArgsFromSummary(parseWalletSummary(json), WALLET, chain);
  assert.ok(args);
  assert.equal(args.cumulativeAmount, 250n);
  assert.equal(toHex(encodeProof(args.proof.map((p) => ({ node: { hash: Uint8Array.from(p.hash), sum: p.sum }, isLeft: p.isLeft })))), toHex(encodeProof(proofOf(tree, 1))));
  assert.equal(await claimArgsFromSummary(parseWalletSummary({ ...json, leaf: null }), WALLET, chain), null);
});

test('a summary for another root, or with a wrong proof, is refused before any claim', async () => {
  const { chain, json } = await fixture();
  const s = parseWalletSummary(json);
  const otherRoot = { ...chain, root: new Uint8Array(32).fill(9) };
  assert.equal(await kind(() => claimArgsFromSummary(s, WALLET, otherRoot)), 'OtherRoot');
  assert.equal(await kind(() => claimArgsFromSummary(parseWalletSummary({ ...json, final_root: null }), WALLET, chain)), 'OtherRoot');
  // No final root on chain yet: any answer passes the root check, the proof fails.
  assert.equal(await kind(() => claimArgsFromSummary(s, WALLET, { ...chain, epochs: 0n, root: new Uint8Array(32) })), 'BadProof');
  const wrongAmount = parseWalletSummary({ ...json, leaf: { ...json.leaf, cumulative: '251' } });
  assert.equal(await kind(() => claimArgsFromSummary(wrongAmount, WALLET, chain)), 'BadProof');
  const [first, ...rest] = json.leaf.proof;
  assert.ok(first);
  const flipped = { ...first, hash: `${first.hash.slice(0, 63)}${first.hash.endsWith('0') ? '1' : '0'}` };
  const wrongSibling = parseWalletSummary({ ...json, leaf: { ...json.leaf, proof: [flipped, ...rest] } });
  assert.equal(await kind(() => claimArgsFromSummary(wrongSibling, WALLET, chain)), 'BadProof');
  const badHex = parseWalletSummary({ ...json, leaf: { ...json.leaf, proof: [{ ...first, hash: 'zz' }, ...rest] } });
  await assert.rejects(claimArgsFromSummary(badHex, WALLET, chain), /proof hash "zz" is not 32 bytes of hex/);
  const otherWallet = asAddress(wallets[2] ?? new Uint8Array(32));
  assert.equal(await kind(() => claimArgsFromSummary(s, otherWallet, chain)), 'BadProof');
  const overflow = { ...first, sum: '18446744073709551615' };
  const big = parseWalletSummary({ ...json, leaf: { ...json.leaf, proof: [overflow, ...rest] } });
  await assert.rejects(claimArgsFromSummary(big, WALLET, chain), /SumOverflow/);
});

/** A fetch that answers one canned response. */
const answer = (status: number, body: string, seen: string[] = []) =>
  (async (input: string | URL | Request) => {
    seen.push(String(input));
    return new Response(body, { status });
  }) as typeof fetch;

test('fetchWalletSummary reads the route, and names the refusal or the bad field', async () => {
  const { json } = await fixture();
  const seen: string[] = [];
  const s = await fetchWalletSummary('http://oracle.test/', WALLET, { fetch: answer(200, JSON.stringify(json), seen) });
  assert.deepEqual(seen, [`http://oracle.test/v1/wallets/${WALLET}`]);
  assert.equal(s.claimed, 100n);
  const refusal = JSON.stringify({ error: 'chain_unavailable', detail: 'no chain' });
  const err = await fetchWalletSummary('http://o', WALLET, { fetch: answer(503, refusal) }).catch((e: unknown) => e);
  assert.ok(err instanceof RewardsApiError);
  assert.equal(err.kind, 'Refused');
  assert.deepEqual(err.refusal, { status: 503, error: 'chain_unavailable', detail: 'no chain' });
  assert.equal(err.message, `rewards API http://o/v1/wallets/${WALLET}: 503 chain_unavailable: no chain`);
  const bad = JSON.stringify({ ...json, claimed: 100 });
  await assert.rejects(fetchWalletSummary('http://o', WALLET, { fetch: answer(200, bad) }), /not a wallet summary: claimed: not a string/);
  const huge = 'x'.repeat(MAX_ANSWER_BYTES + 1);
  await assert.rejects(fetchWalletSummary('http://o', WALLET, { fetch: answer(200, huge) }), /over 16777216 bytes/);
  const down = (async () => { throw new TypeError('fetch failed'); }) as typeof fetch;
  assert.equal(await kind(() => fetchWalletSummary('http://o', WALLET, { fetch: down })), 'Http');
});
