/**
 * Against a running validator with the programs deployed and the network initialized: set
 * DEPIN_RPC_URL (e.g. http://127.0.0.1:8899). Without it every test here is skipped, with the
 * reason printed. A Rust test that starts the validator will drive these (issue 24).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createSolanaRpc } from '@solana/kit';

import { fetchNetwork } from '../src/generated/rewards/accounts/index.js';
import { networkPda } from '../src/pdas.js';

const RPC_URL = process.env.DEPIN_RPC_URL;
const skip = RPC_URL ? false : 'DEPIN_RPC_URL is unset: no validator to read';
if (skip) console.log(`# localnet tests skipped: ${skip}`);

test('the rewards Network account decodes with the generated decoder', { skip }, async () => {
  const rpc = createSolanaRpc(RPC_URL ?? '');
  const [address] = await networkPda();
  const network = await fetchNetwork(rpc, address);
  assert.equal(network.address, address);
  assert.equal(network.data.version, 1); // NETWORK_VERSION
  assert.ok(network.data.decimals <= 9, `decimals ${network.data.decimals}`); // MAX_DECIMALS
  assert.ok(network.data.totalMinted <= network.data.maxSupply);
  console.log(
    `# network ${address}: mint ${network.data.mint}, ${network.data.epochsMinted} epochs minted, ` +
      `${network.data.finalRoot.epochs} final, total claimable ${network.data.finalRoot.total}`,
  );
});
