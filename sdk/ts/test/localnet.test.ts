/**
 * Against a running local network (the e2e driver `app/web/scripts/e2e` runs these against
 * `depin-dev sim --keep-running`): set DEPIN_RPC_URL. Without it every test here is skipped,
 * with the reason printed.
 *
 * Every account each program owns is identified by its discriminator and decoded by the
 * generated decoder of its type, to the last field; the types the e2e network holds (after
 * `depin-dev idl-cases` added a probe, a rewards and a treasury change, and a slash approval and
 * record) must all be there: every type of the three programs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createSolanaRpc, getBase64Encoder, type Address, type Decoder } from '@solana/kit';

import * as rewards from '../src/generated/rewards/index.js';
import * as staking from '../src/generated/staking/index.js';
import * as treasury from '../src/generated/treasury/index.js';
import { networkPda } from '../src/pdas.js';

const RPC_URL = process.env.DEPIN_RPC_URL;
const skip = RPC_URL ? false : 'DEPIN_RPC_URL is unset: no validator to read';
if (skip) console.log(`# localnet tests skipped: ${skip}`);

test('the rewards Network account decodes with the generated decoder', { skip }, async () => {
  const rpc = createSolanaRpc(RPC_URL ?? '');
  const [address] = await networkPda();
  const network = await rewards.fetchNetwork(rpc, address);
  assert.equal(network.address, address);
  assert.equal(network.data.version, 1); // NETWORK_VERSION
  assert.ok(network.data.decimals <= 9, `decimals ${network.data.decimals}`); // MAX_DECIMALS
  assert.ok(network.data.totalMinted <= network.data.maxSupply);
});

/** One program: its address, its generated module, its account kinds and their identifier. */
type Program = {
  readonly name: string;
  readonly address: Address;
  readonly module: Record<string, unknown>;
  readonly kinds: Record<string, string | number>;
  readonly identify: (data: Uint8Array) => number;
  /** Types a simulated network always holds. */
  readonly expected: readonly string[];
};

const PROGRAMS: readonly Program[] = [
  {
    name: 'rewards',
    address: rewards.REWARDS_PROGRAM_ADDRESS,
    module: rewards,
    kinds: rewards.RewardsAccount,
    identify: rewards.identifyRewardsAccount,
    expected: [
      'ClaimRecord', 'Device', 'EpochInputs', 'LookupTable', 'Maker', 'Network', 'OracleBond', 'OracleSet',
      'PendingChange', 'Probe', 'RootProposal',
    ],
  },
  {
    name: 'staking',
    address: staking.STAKING_PROGRAM_ADDRESS,
    module: staking,
    kinds: staking.StakingAccount,
    identify: staking.identifyStakingAccount,
    expected: [
      'PendingChange', 'Position', 'SlashApproval', 'SlashRecord', 'Staker', 'StakingConfig', 'VoterWeightRecord',
    ],
  },
  {
    name: 'treasury',
    address: treasury.TREASURY_PROGRAM_ADDRESS,
    module: treasury,
    kinds: treasury.TreasuryAccount,
    identify: treasury.identifyTreasuryAccount,
    expected: ['PendingChange', 'Stablecoin', 'Treasury'],
  },
];

for (const p of PROGRAMS) {
  test(`every ${p.name} account decodes as its type`, { skip }, async () => {
    const rpc = createSolanaRpc(RPC_URL ?? '');
    const accounts = await rpc.getProgramAccounts(p.address, { encoding: 'base64' }).send();
    const base64 = getBase64Encoder();
    const seen = new Map<string, number>();
    for (const { pubkey, account } of accounts) {
      const data = new Uint8Array(base64.encode(account.data[0]));
      const kind = String(p.kinds[p.identify(data)]);
      const decoder = (p.module[`get${kind}Decoder`] as () => Decoder<object>)();
      const [, end] = decoder.read(data, 0);
      assert.ok(end <= data.length, `${p.name} ${kind} ${pubkey}: decoded past its ${data.length} bytes`);
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
    }
    const counts = [...seen].map(([k, n]) => `${k} ${n}`).join(', ');
    const unseen = Object.keys(p.kinds).filter((k) => Number.isNaN(Number(k)) && !seen.has(k));
    console.log(`# ${p.name}: ${counts}; not on this network: ${unseen.join(', ') || 'none'}`);
    for (const kind of p.expected) assert.ok(seen.has(kind), `${p.name}: no ${kind} account`);
  });
}
