/**
 * The claim instruction and its v0 message with the network's lookup table, offline; and the
 * claim into a staking position: its accounts against the program's and the Rust builder's
 * order, its depth-20 message within the packet, the position checks and the default pick.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  address,
  compileTransaction,
  createNoopSigner,
  getAddressEncoder,
  getTransactionEncoder,
  none,
  type Address,
  type Blockhash,
} from '@solana/kit';

import {
  CLAIM_DISCRIMINATOR,
  CLAIM_TO_POSITION_DISCRIMINATOR,
  getClaimToPositionInstructionAsync,
} from '../src/generated/rewards/instructions/index.js';
import type { ClaimArgs } from '../src/generated/rewards/types/index.js';
import { getPositionEncoder, type Position } from '../src/generated/staking/accounts/position.js';
import { LockupKind } from '../src/generated/staking/types/lockupKind.js';
import {
  ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS,
  checkedNetworkTable,
  checkedPosition,
  claimConstantAccounts,
  claimInstruction,
  claimToPositionInstruction,
  claimToPositionMessage,
  claimTransactionMessage,
  defaultPosition,
  networkTableAddresses,
  POSITION_OWNER_OFFSET,
  PositionError,
  positionLockSecs,
  SYSTEM_PROGRAM_ADDRESS,
  type WalletPosition,
} from '../src/claim.js';
import {
  associatedTokenPda,
  claimRecordPda,
  collateralAuthorityPda,
  eventAuthorityPda,
  mintPda,
  networkPda,
  oracleSetPda,
  positionPda,
  REWARDS_PROGRAM_ADDRESS,
  revenueVaultPda,
  rewardsVaultPda,
  STAKING_PROGRAM_ADDRESS,
  stakingConfigPda,
  stakingVaultPda,
} from '../src/pdas.js';
import { repoFile } from './fixtures.js';

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

// ---- the claim into a staking position ----

/** The field names of a Rust `struct <name><'info> { ... }` in `source`, in order. */
function rustStructFields(source: string, name: string): string[] {
  const start = source.indexOf(`pub struct ${name}<'info> {`);
  assert.ok(start >= 0, `struct ${name} in the source`);
  const body = source.slice(start, source.indexOf('\n}', start));
  return [...body.matchAll(/^\s*pub (\w+):/gm)].map((m) => m[1]!);
}

test('claim_to_position names every account in the program’s order, as the Rust builder does', async () => {
  const wallet = createNoopSigner(WALLET);
  const [position] = await positionPda(WALLET, 0n);
  const ix = await claimToPositionInstruction({ wallet, position, tokenProgram: TOKEN }, depth20);
  // Each account as claim_to_position_accounts (sdk/client/src/builders/rewards_ix.rs) fills it,
  // by field name; #[event_cpi] appends event_authority and program.
  const byName: Record<string, Address> = {
    wallet: WALLET,
    claim_record: (await claimRecordPda(WALLET))[0],
    network: (await networkPda())[0],
    mint: (await mintPda())[0],
    rewards_vault: (await rewardsVaultPda())[0],
    position,
    staking_config: (await stakingConfigPda())[0],
    staking_vault: (await stakingVaultPda())[0],
    staking_revenue_vault: (await revenueVaultPda())[0],
    token_program: TOKEN,
    staking_event_authority: (await eventAuthorityPda(STAKING_PROGRAM_ADDRESS))[0],
    staking_program: STAKING_PROGRAM_ADDRESS,
    system_program: SYSTEM_PROGRAM_ADDRESS,
    event_authority: (await eventAuthorityPda(REWARDS_PROGRAM_ADDRESS))[0],
    program: REWARDS_PROGRAM_ADDRESS,
  };
  const program = rustStructFields(repoFile('programs/rewards/src/instructions/user/claim_to_position.rs'), 'ClaimToPosition');
  const order = [...program, 'event_authority', 'program'];
  assert.deepEqual(order, Object.keys(byName), 'the program’s account order');
  // The Rust builder names the same fields (the order of a struct literal does not matter to it).
  const builder = repoFile('sdk/client/src/builders/rewards_ix.rs');
  const body = builder.slice(builder.indexOf('pub fn claim_to_position_accounts('), builder.indexOf('pub fn claim_to_position('));
  assert.deepEqual([...body.matchAll(/^\s{8}(\w+)[:,]/gm)].map((m) => m[1]).sort(), [...order].sort(), 'the Rust builder’s fields');
  assert.equal(ix.programAddress, REWARDS_PROGRAM_ADDRESS);
  assert.deepEqual(ix.accounts.map((a) => a.address), order.map((n) => byName[n]));
  // wallet: writable signer; claim record, network, rewards vault, position, staking config and
  // staking vault: writable; the rest read-only.
  assert.deepEqual(ix.accounts.map((a) => a.role), [3, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(ix.data.length, 8 + 8 + 4 + 20 * 41);
  assert.deepEqual([...ix.data.slice(0, 8)], [...CLAIM_TO_POSITION_DISCRIMINATOR]);
  // The generated builder's own defaults (from the IDL's seeds and addresses) agree.
  const [mint] = await mintPda();
  const [rewardsVault] = await rewardsVaultPda();
  const defaults = await getClaimToPositionInstructionAsync({ wallet, mint, rewardsVault, position, tokenProgram: TOKEN, args: depth20 });
  assert.deepEqual(defaults.accounts, ix.accounts);
  assert.deepEqual([...defaults.data], [...ix.data]);
});

test('the network table holds create_lookup_table’s 13 addresses, in its order', async () => {
  const table = await networkTableAddresses(TOKEN);
  const source = repoFile('programs/rewards/src/instructions/crank/create_lookup_table.rs');
  assert.match(source, /pub const TABLE_LEN: u8 = 13;/);
  assert.deepEqual(table, [
    (await networkPda())[0],
    (await mintPda())[0],
    (await rewardsVaultPda())[0],
    TOKEN,
    SYSTEM_PROGRAM_ADDRESS,
    (await eventAuthorityPda(REWARDS_PROGRAM_ADDRESS))[0],
    (await oracleSetPda())[0],
    (await collateralAuthorityPda())[0],
    STAKING_PROGRAM_ADDRESS,
    (await stakingConfigPda())[0],
    (await stakingVaultPda())[0],
    (await revenueVaultPda())[0],
    (await eventAuthorityPda(STAKING_PROGRAM_ADDRESS))[0],
  ]);
  assert.equal(new Set(table).size, 13);
});

test('with the network table, the depth-20 claim into a position compiles to a v0 transaction within 1,232 bytes', async () => {
  const wallet = createNoopSigner(WALLET);
  const [position] = await positionPda(WALLET, 7n);
  const accounts = { wallet, position, tokenProgram: TOKEN };
  const lookupTable = { address: LUT, addresses: await networkTableAddresses(TOKEN) };
  const message = await claimToPositionMessage({ accounts, args: depth20, lifetime: LIFETIME, lookupTable });
  assert.equal(message.version, 0);
  assert.equal(message.feePayer.address, WALLET, 'the wallet pays');
  assert.equal(message.instructions.length, 1, 'claim_to_position alone');
  const tx = compileTransaction(message);
  const wire = getTransactionEncoder().encode(tx);
  // 65 (the wallet's signature) + 1 (version) + 3 (header) + 129 (4 static keys: wallet, claim
  // record, position, the rewards program) + 32 (blockhash) + 860 (one instruction: 15 account
  // indexes, 2 + 840 data bytes) + 46 (the table: its address, 4 writable and 7 read-only indexes).
  assert.deepEqual(Object.keys(tx.signatures), [WALLET]);
  assert.ok(wire.length <= MAX_TRANSACTION_BYTES, `${wire.length} bytes`);
  assert.equal(wire.length, 1_136);
  // Without a table (a network before `depin migrate`) the same claim does not fit.
  const bare = await claimToPositionMessage({ accounts, args: depth20, lifetime: LIFETIME, lookupTable: null });
  assert.ok(getTransactionEncoder().encode(compileTransaction(bare)).length > MAX_TRANSACTION_BYTES);
});

/** A position's account bytes. */
function positionBytes(fields: Partial<Position> & { owner: Address }): Uint8Array {
  return new Uint8Array(
    getPositionEncoder().encode({
      version: 2,
      bump: 254,
      kind: LockupKind.Cliff,
      boundDevices: 3,
      id: 0n,
      amount: 1_000n,
      lockupSecs: 0n,
      lockEnd: 0n,
      cooling: 0n,
      cooldownEnd: 0n,
      weight: 0n,
      deposited: 1_000n,
      withdrawn: 0n,
      slashed: 0n,
      slashNonce: 0n,
      pendingSlash: none(),
      createdAt: 1_700_000_000n,
      liableDevices: 0,
      liableUntilEpochs: 0n,
      reserved: new Uint8Array(52),
      ...fields,
    }),
  );
}

test('Position.owner sits at POSITION_OWNER_OFFSET in the generated layout, the IDL and the rewards program', () => {
  const bytes = positionBytes({ owner: WALLET, kind: LockupKind.Constant, boundDevices: 0xffff_ffff });
  assert.deepEqual([...bytes.subarray(POSITION_OWNER_OFFSET, POSITION_OWNER_OFFSET + 32)], [...getAddressEncoder().encode(WALLET)]);
  // The IDL's layout: the fields before `owner`, by their types' sizes.
  const idl = JSON.parse(repoFile('idl/staking.json')) as {
    types: { name: string; type: { kind: string; fields?: { name: string; type: unknown }[]; variants?: { fields?: unknown }[] } }[];
  };
  const types = new Map(idl.types.map((t) => [t.name, t.type]));
  const size = (t: unknown): number => {
    const prim: Record<string, number> = { u8: 1, i8: 1, u16: 2, u32: 4, u64: 8, i64: 8, u128: 16, pubkey: 32, bool: 1 };
    if (typeof t === 'string' && t in prim) return prim[t]!;
    const defined = (t as { defined?: { name: string } }).defined?.name;
    const def = defined ? types.get(defined) : undefined;
    if (def?.kind === 'enum' && def.variants?.every((v) => !v.fields)) return 1;
    throw new Error(`no fixed size for ${JSON.stringify(t)}`);
  };
  const fields = types.get('Position')!.fields!;
  const before = fields.slice(0, fields.findIndex((f) => f.name === 'owner'));
  assert.equal(8 + before.reduce((n, f) => n + size(f.type), 0), POSITION_OWNER_OFFSET, 'the IDL');
  const rust = /pub const POSITION_OWNER_OFFSET: usize = (\d+);/.exec(repoFile('programs/rewards/src/staking_cpi.rs'));
  assert.equal(Number(rust?.[1]), POSITION_OWNER_OFFSET, 'programs/rewards/src/staking_cpi.rs');
});

test('a position is the wallet’s own, or refused with the program’s reason', async () => {
  const [at] = await positionPda(WALLET, 0n);
  const other = address('7Np41oeYqPefeNQEHSv1UDhYrehxin3NStELsSKCT4K2');
  const mine = checkedPosition(at, STAKING_PROGRAM_ADDRESS, positionBytes({ owner: WALLET, amount: 42n }), WALLET);
  assert.equal(mine.owner, WALLET);
  assert.equal(mine.amount, 42n);
  const refused = (f: () => unknown, kind: string, text: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof PositionError && e.kind === kind && text.test(e.message));
  refused(
    () => checkedPosition(at, STAKING_PROGRAM_ADDRESS, positionBytes({ owner: other }), WALLET),
    'NotPositionOwner',
    new RegExp(`^staking position ${at} belongs to ${other}, not to ${WALLET}: .*NotPositionOwner`),
  );
  refused(() => checkedPosition(at, REWARDS_PROGRAM_ADDRESS, positionBytes({ owner: WALLET }), WALLET), 'NotAStakingPosition', /owned by 5yru/);
  const wrongKind = positionBytes({ owner: WALLET });
  wrongKind[0] = wrongKind[0]! ^ 1;
  refused(() => checkedPosition(at, STAKING_PROGRAM_ADDRESS, wrongKind, WALLET), 'NotAStakingPosition', /not a Position/);
  refused(() => checkedPosition(at, STAKING_PROGRAM_ADDRESS, new Uint8Array(20), WALLET), 'NotAStakingPosition', /20 bytes/);
});

test('the default position is the only one, else the one locked longest', async () => {
  const now = 1_800_000_000n;
  const at = async (id: bigint, fields: Partial<Position>): Promise<WalletPosition> => {
    const data = checkedPosition(
      (await positionPda(WALLET, id))[0],
      STAKING_PROGRAM_ADDRESS,
      positionBytes({ owner: WALLET, id, ...fields }),
      WALLET,
    );
    return { address: (await positionPda(WALLET, id))[0], data };
  };
  const ended = await at(0n, { kind: LockupKind.Cliff, lockupSecs: 86_400n, lockEnd: now - 1n, amount: 9_000n });
  const cliff = await at(1n, { kind: LockupKind.Cliff, lockupSecs: 31_536_000n, lockEnd: now + 100n });
  const constant = await at(2n, { kind: LockupKind.Constant, lockupSecs: 200n });
  assert.equal(positionLockSecs(ended.data, now), 0n);
  assert.equal(positionLockSecs(cliff.data, now), 100n);
  assert.equal(positionLockSecs(constant.data, now), 200n, 'a constant lock does not run down');
  assert.equal(defaultPosition([], now), null);
  assert.equal(defaultPosition([ended], now), ended, 'the only one, even unlocked');
  assert.equal(defaultPosition([ended, cliff], now), cliff);
  assert.equal(defaultPosition([constant, ended, cliff], now), constant);
  // Equal locks: the larger amount, then the lower id.
  const big = await at(3n, { kind: LockupKind.Constant, lockupSecs: 200n, amount: 5_000n });
  assert.equal(defaultPosition([constant, big], now), big);
  const twin = await at(4n, { kind: LockupKind.Constant, lockupSecs: 200n, amount: 5_000n });
  assert.equal(defaultPosition([twin, big], now), big);
});
