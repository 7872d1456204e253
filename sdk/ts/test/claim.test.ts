/** The claim instruction and its v0 message with the network's lookup table, offline. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  address,
  compileTransaction,
  createNoopSigner,
  getTransactionEncoder,
  type Address,
  type Blockhash,
} from '@solana/kit';

import { CLAIM_DISCRIMINATOR } from '../src/generated/rewards/instructions/index.js';
import type { ClaimArgs } from '../src/generated/rewards/types/index.js';
import {
  ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS,
  checkedNetworkTable,
  claimConstantAccounts,
  claimInstruction,
  claimTransactionMessage,
  SYSTEM_PROGRAM_ADDRESS,
} from '../src/claim.js';
import {
  associatedTokenPda,
  claimRecordPda,
  eventAuthorityPda,
  mintPda,
  networkPda,
  REWARDS_PROGRAM_ADDRESS,
  rewardsVaultPda,
} from '../src/pdas.js';

const TOKEN = address('TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA');
const WALLET = address('9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin');
const PAYER = createNoopSigner(address('7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2'));
const LUT = address('AddressLookupTab1e1111111111111111111111112');
const LIFETIME = { blockhash: '11111111111111111111111111111111' as Blockhash, lastValidBlockHeight: 1n };
const MAX_TRANSACTION_BYTES = 1_232;

/** A depth-20 proof: the deepest the network is sized for (2^20 wallets). */
const depth20: ClaimArgs = {
  cumulativeAmount: 123_456_789n,
  proof: Array.from({ length: 20 }, (_, i) => ({ hash: new Uint8Array(32).fill(i + 1), sum: BigInt(i) * 1_000n, isLeft: i % 2 === 0 })),
};

test('the claim instruction names every account the program expects, in order', async () => {
  const ix = await claimInstruction({ payer: PAYER, wallet: WALLET, tokenProgram: TOKEN }, depth20);
  const [mint] = await mintPda();
  const expected: Address[] = [
    PAYER.address,
    WALLET,
    (await claimRecordPda(WALLET))[0],
    (await networkPda())[0],
    mint,
    (await rewardsVaultPda())[0],
    (await associatedTokenPda(WALLET, mint, TOKEN))[0],
    TOKEN,
    SYSTEM_PROGRAM_ADDRESS,
    (await eventAuthorityPda(REWARDS_PROGRAM_ADDRESS))[0],
    REWARDS_PROGRAM_ADDRESS,
  ];
  assert.equal(ix.programAddress, REWARDS_PROGRAM_ADDRESS);
  assert.deepEqual(ix.accounts.map((a) => a.address), expected);
  assert.deepEqual(ix.accounts.map((a) => a.role), [3, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0]);
  // discriminator, cumulative_amount u64, Vec<ProofNode> (u32 length, 41 bytes each)
  assert.equal(ix.data.length, 8 + 8 + 4 + 20 * 41);
  assert.deepEqual([...ix.data.slice(0, 8)], [...CLAIM_DISCRIMINATOR]);
  const destination = address('11111111111111111111111111111112');
  const other = await claimInstruction({ payer: PAYER, wallet: WALLET, tokenProgram: TOKEN, destination }, depth20);
  assert.equal(other.accounts[6]?.address, destination);
});

test('with the lookup table, the depth-20 claim compiles to a v0 transaction within 1,232 bytes', async () => {
  const ix = await claimInstruction({ payer: PAYER, wallet: WALLET, tokenProgram: TOKEN }, depth20);
  const lookupTable = { address: LUT, addresses: await claimConstantAccounts(TOKEN) };
  const message = claimTransactionMessage({ feePayer: PAYER, instructions: [ix], lifetime: LIFETIME, lookupTable });
  assert.equal(message.version, 0);
  const tx = compileTransaction(message);
  const wire = getTransactionEncoder().encode(tx);
  // 65 (one signature) + 1 (version) + 3 (header) + 161 (5 static keys: payer, wallet, claim
  // record, destination, program) + 32 (blockhash) + 856 (the instruction: 11 account indexes,
  // 2 + 840 data bytes) + 41 (the table: its address, 2 writable and 4 readonly indexes).
  assert.equal(Object.keys(tx.signatures).length, 1);
  assert.ok(wire.length <= MAX_TRANSACTION_BYTES, `${wire.length} bytes`);
  assert.equal(wire.length, 1_159);
  // Without the table the same claim does not fit: the table is what makes depth 20 possible.
  const legacy = claimTransactionMessage({ feePayer: PAYER, instructions: [ix], lifetime: LIFETIME, lookupTable: { address: LUT, addresses: [] } });
  assert.ok(getTransactionEncoder().encode(compileTransaction(legacy)).length > MAX_TRANSACTION_BYTES);
});

/** A lookup table account's bytes: meta (type 1, deactivation slot, last extension, authority) then the addresses. */
function tableBytes(opts: { deactivated?: boolean; authority?: boolean; count: number }): Uint8Array {
  const data = new Uint8Array(56 + 32 * opts.count);
  const view = new DataView(data.buffer);
  view.setUint32(0, 1, true);
  view.setBigUint64(4, opts.deactivated ? 5n : 0xffff_ffff_ffff_ffffn, true);
  if (opts.authority) data[21] = 1;
  for (let i = 0; i < opts.count; i++) data.fill(i + 1, 56 + 32 * i, 56 + 32 * i + 32);
  return data;
}

test('the network table is used only frozen, active, owned by the lookup table program and whole', () => {
  const table = address('11111111111111111111111111111112');
  const alt = ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS;
  const ok = checkedNetworkTable(table, alt, tableBytes({ count: 2 }), 2);
  assert.equal(ok.addresses.length, 2);
  assert.equal(ok.addresses[0], '4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi');
  assert.throws(() => checkedNetworkTable(table, SYSTEM_PROGRAM_ADDRESS, tableBytes({ count: 2 }), 2), /owned by/);
  assert.throws(() => checkedNetworkTable(table, alt, tableBytes({ count: 2, authority: true }), 2), /not frozen/);
  assert.throws(() => checkedNetworkTable(table, alt, tableBytes({ count: 2, deactivated: true }), 2), /deactivated/);
  assert.throws(() => checkedNetworkTable(table, alt, tableBytes({ count: 3 }), 2), /holds 3 addresses, its record says 2/);
  assert.throws(() => checkedNetworkTable(table, alt, new Uint8Array(10), 0), /not a lookup table/);
});
