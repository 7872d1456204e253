/**
 * Instructions SENT from TypeScript against a running local network (issue 24, item 2): one
 * staking instruction and one treasury instruction, each built by its generated builder
 * (imported through the package's subpaths `@depin/client/staking` and
 * `@depin/client/treasury`, every account passed explicitly, as `sdk/client/src/builders`
 * does), signed by a keypair read from disk, with the exact outcome read back from the chain;
 * and one refusal of each with its exact custom error code, after which nothing changed.
 *
 * Environment (the e2e driver `app/web/scripts/e2e` sets all three on its
 * `depin-dev sim --keep-running --leave-unclaimed 2` network): DEPIN_RPC_URL; DEPIN_OWNER_KEYPAIR,
 * the first (by file name) of the owners the simulator left unclaimed
 * (`<out>/owners/<wallet>.json`, a Solana CLI keypair file; the web app claims its rewards to its
 * wallet, and the second owner's into a staking position); DEPIN_USDC_MINT, the local USDC
 * (`keys/localnet-usdc-mint.json`). Without them the localnet tests here are skipped, with the
 * reason printed.
 *
 * What the simulated network makes possible, and so what is sent:
 * - staking `stake`: the owner opens a new cliff position with 1.234567 of its network tokens.
 *   The owner staked everything it was funded with in its position 0 during the simulation; the
 *   tokens staked here are those of its rewards claim, which the browser tests
 *   (`app/web/test/e2e.test.mjs`) land from the web app just before these tests run: the e2e
 *   driver runs them in that order, and the test says so if the owner holds too few tokens.
 *   `stake` is the user's own instruction (cranks and governance need other keys), and a new
 *   position shows every field the program writes.
 * - treasury `pay`: a customer's stablecoin payment. The simulator's customers are keys in
 *   memory only; the owner on disk holds USDC of its own (its stakers' revenue share, claimed by
 *   the simulator's `claim_revenue` phase), and anyone may pay, so the owner pays as a customer:
 *   1.000007 USDC, whose split into the USDC ledger's buckets (floored stakers' and operations'
 *   shares, the dust to buyback) is checked to the base unit.
 * - the refusals: `stake` with a lock one second over the config's `max_lockup_secs`
 *   (`InvalidLockup`, 7008) and `pay` of 0 (`ZeroAmount`, 8009). They are sent without preflight,
 *   so they land on chain as failed transactions (the fee is charged) and the error read is the
 *   chain's.
 *
 * Both successes are exact: token balances to the base unit, the owner's lamports (fee and rent),
 * every field of the new position, the staker, the staking config and the USDC ledger after the
 * send against before, and the event each instruction emits (`Staked`, `RevenueReceived`).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import {
  appendTransactionMessageInstructions,
  createKeyPairSignerFromBytes,
  createSolanaRpc,
  createTransactionMessage,
  fetchEncodedAccount,
  getBase58Encoder,
  getBase64EncodedWireTransaction,
  getSignatureFromTransaction,
  none,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type Address,
  type Instruction,
  type KeyPairSigner,
  type Signature,
} from '@solana/kit';

import * as client from '@depin/client';
import * as rewards from '@depin/client/rewards';
import * as staking from '@depin/client/staking';
import * as treasury from '@depin/client/treasury';

const RPC_URL = process.env.DEPIN_RPC_URL;
const OWNER_KEYPAIR = process.env.DEPIN_OWNER_KEYPAIR;
const USDC_MINT = process.env.DEPIN_USDC_MINT as Address | undefined;
const skip = !RPC_URL
  ? 'DEPIN_RPC_URL is unset: no validator to send to'
  : !OWNER_KEYPAIR
    ? 'DEPIN_OWNER_KEYPAIR is unset: no key to sign with (app/web/scripts/e2e sets it)'
    : !USDC_MINT
      ? 'DEPIN_USDC_MINT is unset: no stablecoin to pay in (app/web/scripts/e2e sets it)'
      : false;
if (skip) console.log(`# send tests skipped: ${skip}`);

/** Network tokens staked (base units, 6 decimals: 1.234567 tokens). */
const STAKE_AMOUNT = 1_234_567n;
/** The new position's cliff: 30 days. */
const LOCKUP_SECS = 30n * 86_400n;
/** USDC paid (base units, 6 decimals: 1.000007 USDC). */
const PAY_AMOUNT = 1_000_007n;
/** `depin_common::bps::ONE`. */
const BPS_ONE = 10_000n;
/** `POSITION_VERSION` (programs/staking/src/constants.rs). */
const POSITION_VERSION = 2;

test('the subpaths @depin/client/{rewards,staking,treasury} are the namespaces of @depin/client', () => {
  for (const [name, sub, namespace] of [
    ['rewards', rewards, client.rewards],
    ['staking', staking, client.staking],
    ['treasury', treasury, client.treasury],
  ] as const) {
    assert.deepEqual(Object.keys(sub).sort(), Object.keys(namespace).sort(), name);
    for (const [key, value] of Object.entries(sub)) {
      assert.equal(value, (namespace as Record<string, unknown>)[key], `${name}.${key}`);
    }
  }
  assert.equal(typeof staking.getStakeInstruction, 'function');
  assert.equal(typeof treasury.getPayInstruction, 'function');
  assert.equal(typeof rewards.getClaimInstruction, 'function');
});

const rpc = createSolanaRpc(RPC_URL ?? 'http://127.0.0.1:1');
const commitment = 'confirmed' as const;

/** A Solana CLI keypair file: a JSON array of the 64 bytes (secret key, then public key). */
async function keypairFromFile(path: string): Promise<KeyPairSigner> {
  const bytes = JSON.parse(await readFile(path, 'utf8')) as number[];
  return createKeyPairSignerFromBytes(Uint8Array.from(bytes));
}

/** What the chain recorded of a transaction: its error (null if it succeeded), fee and events. */
type Landed = {
  readonly signature: Signature;
  readonly err: unknown;
  readonly fee: bigint;
  readonly logs: readonly string[];
  /** The data of each inner instruction to `program` (where `emit_cpi!` events are). */
  readonly innerData: (program: Address) => Uint8Array[];
};

/** The JSON-encoded transaction, as far as these tests read it. */
type JsonTransaction = {
  readonly meta: {
    readonly err: unknown;
    readonly fee: bigint;
    readonly logMessages: readonly string[] | null;
    readonly innerInstructions:
      | readonly { readonly instructions: readonly { readonly programIdIndex: number; readonly data: string }[] }[]
      | null;
  } | null;
  readonly transaction: { readonly message: { readonly accountKeys: readonly Address[] } };
};

/**
 * Signs `instructions` with `signer` (the fee payer), sends them WITHOUT preflight (a refusal
 * then lands as a failed transaction, and its error is the chain's), waits until `confirmed`,
 * and reads the transaction back.
 */
async function send(signer: KeyPairSigner, instructions: readonly Instruction[]): Promise<Landed> {
  const { value: lifetime } = await rpc.getLatestBlockhash({ commitment }).send();
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(signer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(lifetime, m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  const signed = await signTransactionMessageWithSigners(message);
  const signature = getSignatureFromTransaction(signed);
  await rpc
    .sendTransaction(getBase64EncodedWireTransaction(signed), { encoding: 'base64', skipPreflight: true })
    .send();
  for (;;) {
    const { value } = await rpc.getSignatureStatuses([signature]).send();
    const status = value[0];
    if (status?.confirmationStatus === 'confirmed' || status?.confirmationStatus === 'finalized') break;
    const height = await rpc.getBlockHeight({ commitment }).send();
    if (height > lifetime.lastValidBlockHeight) throw new Error(`${signature} expired before it landed`);
    await new Promise((r) => setTimeout(r, 200));
  }
  let tx: JsonTransaction | null = null;
  // A node may answer a confirmed signature's status a moment before the transaction itself.
  for (let attempt = 0; !tx?.meta && attempt < 25; attempt += 1) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 200));
    tx = (await rpc
      .getTransaction(signature, { commitment, encoding: 'json', maxSupportedTransactionVersion: 0 })
      .send()) as unknown as JsonTransaction | null;
  }
  if (!tx?.meta) throw new Error(`${signature}: confirmed, but the node returns no transaction`);
  const { meta } = tx;
  const keys = tx.transaction.message.accountKeys;
  const base58 = getBase58Encoder();
  return {
    signature,
    err: meta.err,
    fee: BigInt(meta.fee),
    logs: meta.logMessages ?? [],
    innerData: (program) =>
      (meta.innerInstructions ?? [])
        .flatMap((inner) => inner.instructions)
        .filter((ix) => keys[ix.programIdIndex] === program)
        .map((ix) => new Uint8Array(base58.encode(ix.data))),
  };
}

/** The transaction's error with numbers as numbers (the RPC client may give bigints). */
function plain(err: unknown): unknown {
  return JSON.parse(JSON.stringify(err, (_, v) => (typeof v === 'bigint' ? Number(v) : v)));
}

function assertSucceeded(landed: Landed, what: string): void {
  assert.equal(landed.err, null, `${what} ${landed.signature} failed: ${JSON.stringify(plain(landed.err))}\n${landed.logs.join('\n')}`);
}

/** A failed transaction whose only instruction (index 0) returned custom error `code`. */
function assertRefused(landed: Landed, code: number, what: string): void {
  assert.deepEqual(plain(landed.err), { InstructionError: [0, { Custom: code }] }, `${what} ${landed.signature}:\n${landed.logs.join('\n')}`);
}

/** The `emit_cpi!` events in `landed` for `program`: each inner instruction's data after Anchor's tag. */
function events(landed: Landed, program: Address): Uint8Array[] {
  const tag = client.EVENT_IX_TAG_LE;
  return landed
    .innerData(program)
    .filter((d) => d.length >= tag.length && tag.every((b, i) => d[i] === b))
    .map((d) => d.slice(tag.length));
}

const tokenBalance = async (account: Address) =>
  BigInt((await rpc.getTokenAccountBalance(account, { commitment }).send()).value.amount);
const lamports = async (account: Address) => (await rpc.getBalance(account, { commitment }).send()).value;

/** The first position id of `owner` from 1 up with no account yet (0 is the simulator's). */
async function freePositionId(owner: Address): Promise<bigint> {
  for (let id = 1n; ; id += 1n) {
    const [address] = await client.positionPda(owner, id);
    if (!(await fetchEncodedAccount(rpc, address, { commitment })).exists) return id;
  }
}

/** `math::weight::multiplier_bps`: 1x plus the bonus in proportion to the remaining lock. */
function multiplierBps(remainingSecs: bigint, maxLockupSecs: bigint, maxMultiplierBps: bigint): bigint {
  const remaining = remainingSecs < maxLockupSecs ? remainingSecs : maxLockupSecs;
  return BPS_ONE + ((maxMultiplierBps - BPS_ONE) * remaining) / maxLockupSecs;
}

test('staking stake: a refused lock out of range changes nothing, then a new position holds exactly the tokens staked', { skip }, async () => {
  const owner = await keypairFromFile(OWNER_KEYPAIR ?? '');
  const [configAddress] = await client.stakingConfigPda();
  const [stakerAddress] = await client.stakerPda(owner.address);
  const before = {
    config: (await staking.fetchStakingConfig(rpc, configAddress, { commitment })).data,
    staker: (await staking.fetchStaker(rpc, stakerAddress, { commitment })).data,
  };
  const config = before.config;
  const [vault] = await client.stakingVaultPda();
  const [revenueVault] = await client.revenueVaultPda();
  const [eventAuthority] = await client.eventAuthorityPda(staking.STAKING_PROGRAM_ADDRESS);
  const [source] = await client.associatedTokenPda(owner.address, config.stakeMint, config.tokenProgram);
  // The config's own accounts are the PDAs sdk/ts derives (and `sdk/client`'s `stake_accounts`).
  assert.equal(config.vault, vault);
  assert.equal(config.revenueVault, revenueVault);

  const id = await freePositionId(owner.address);
  const [position, positionBump] = await client.positionPda(owner.address, id);
  const stake = (lockupSecs: bigint) =>
    staking.getStakeInstruction({
      owner,
      config: configAddress,
      position,
      staker: stakerAddress,
      stakeMint: config.stakeMint,
      source,
      vault,
      revenueVault,
      tokenProgram: config.tokenProgram,
      systemProgram: client.SYSTEM_PROGRAM_ADDRESS,
      eventAuthority,
      program: staking.STAKING_PROGRAM_ADDRESS,
      id,
      kind: staking.LockupKind.Cliff,
      lockupSecs,
      amount: STAKE_AMOUNT,
    });
  const balances = async () => ({
    source: await tokenBalance(source),
    vault: await tokenBalance(vault),
    ownerLamports: await lamports(owner.address),
  });
  const start = await balances();
  assert.ok(
    start.source >= STAKE_AMOUNT,
    `owner ${owner.address} holds ${start.source} network token base units, under the ${STAKE_AMOUNT} to stake: ` +
      'its tokens come from its rewards claim in the browser tests, which app/web/scripts/e2e runs before these',
  );

  // Refused: a lock one second longer than the config allows.
  const refused = await send(owner, [stake(config.maxLockupSecs + 1n)]);
  assertRefused(refused, 7008, 'stake with lockup_secs = max_lockup_secs + 1');
  assert.equal(staking.STAKING_ERROR__INVALID_LOCKUP, 7008);
  assert.deepEqual(await balances(), { ...start, ownerLamports: start.ownerLamports - refused.fee });
  assert.equal((await fetchEncodedAccount(rpc, position, { commitment })).exists, false, 'no position after the refusal');
  assert.deepEqual((await staking.fetchStakingConfig(rpc, configAddress, { commitment })).data, before.config);
  assert.deepEqual((await staking.fetchStaker(rpc, stakerAddress, { commitment })).data, before.staker);

  // Sent: a 30-day cliff of STAKE_AMOUNT.
  const afterRefusal = await balances();
  const landed = await send(owner, [stake(LOCKUP_SECS)]);
  assertSucceeded(landed, 'stake');
  const end = await balances();
  const account = await staking.fetchPosition(rpc, position, { commitment });
  const rent = await rpc.getMinimumBalanceForRentExemption(BigInt(account.space), { commitment }).send();
  assert.equal(account.lamports, rent, 'the position holds exactly its rent');
  assert.equal(account.programAddress, staking.STAKING_PROGRAM_ADDRESS);
  assert.deepEqual(end, {
    source: afterRefusal.source - STAKE_AMOUNT,
    vault: afterRefusal.vault + STAKE_AMOUNT,
    ownerLamports: afterRefusal.ownerLamports - landed.fee - rent,
  });

  const staked = events(landed, staking.STAKING_PROGRAM_ADDRESS).map((d) => staking.getStakedDecoder().decode(d));
  assert.equal(staked.length, 1, 'one Staked event');
  const event = staked[0]!;
  const now = event.timestamp;
  const m = multiplierBps(LOCKUP_SECS, config.maxLockupSecs, BigInt(config.maxMultiplierBps));
  const weight = STAKE_AMOUNT * m;

  const p = account.data;
  assert.deepEqual(
    {
      discriminator: p.discriminator,
      version: p.version,
      bump: p.bump,
      kind: p.kind,
      boundDevices: p.boundDevices,
      owner: p.owner,
      id: p.id,
      amount: p.amount,
      lockupSecs: p.lockupSecs,
      lockEnd: p.lockEnd,
      cooling: p.cooling,
      cooldownEnd: p.cooldownEnd,
      weight: p.weight,
      deposited: p.deposited,
      withdrawn: p.withdrawn,
      slashed: p.slashed,
      slashNonce: p.slashNonce,
      pendingSlash: p.pendingSlash,
      createdAt: p.createdAt,
      liableDevices: p.liableDevices,
      liableUntilEpochs: p.liableUntilEpochs,
      reserved: p.reserved,
    },
    {
      discriminator: staking.POSITION_DISCRIMINATOR,
      version: POSITION_VERSION,
      bump: positionBump,
      kind: staking.LockupKind.Cliff,
      boundDevices: 0,
      owner: owner.address,
      id,
      amount: STAKE_AMOUNT,
      lockupSecs: LOCKUP_SECS,
      lockEnd: now + LOCKUP_SECS,
      cooling: 0n,
      cooldownEnd: 0n,
      weight,
      deposited: STAKE_AMOUNT,
      withdrawn: 0n,
      slashed: 0n,
      slashNonce: 0n,
      pendingSlash: none(),
      createdAt: now,
      liableDevices: 0,
      liableUntilEpochs: 0n,
      reserved: new Uint8Array(52),
    },
  );

  // No revenue arrives in the staking vault on this network after the simulator's routing, so
  // the sync folds nothing and moves only `stream_updated`.
  const configAfter = (await staking.fetchStakingConfig(rpc, configAddress, { commitment })).data;
  assert.deepEqual(configAfter, {
    ...before.config,
    totalLocked: before.config.totalLocked + STAKE_AMOUNT,
    totalWeight: before.config.totalWeight + weight,
    streamUpdated: now,
  });
  const stakerAfter = (await staking.fetchStaker(rpc, stakerAddress, { commitment })).data;
  assert.deepEqual(stakerAfter, {
    ...before.staker,
    positions: before.staker.positions + 1,
    weight: before.staker.weight + weight,
  });

  assert.deepEqual(event, {
    position,
    owner: owner.address,
    id,
    kind: staking.LockupKind.Cliff,
    lockupSecs: LOCKUP_SECS,
    lockEnd: now + LOCKUP_SECS,
    amount: STAKE_AMOUNT,
    totalLocked: configAfter.totalLocked,
    weight: {
      weightBefore: 0n,
      weightAfter: weight,
      multiplierBps: Number(m),
      ownerWeight: stakerAfter.weight,
      totalWeight: configAfter.totalWeight,
      rewardPerWeight: configAfter.rewardPerWeight,
      pendingRevenue: stakerAfter.pendingRevenue,
      revenueSynced: 0n,
    },
    timestamp: now,
  });
  console.log(
    `# stake ${landed.signature}: position ${id} of ${owner.address}, ${STAKE_AMOUNT} base units for ` +
      `${LOCKUP_SECS} s (x${Number(m) / 10_000}), fee ${landed.fee}, rent ${rent}`,
  );
});

test('treasury pay: a refused payment of 0 changes nothing, then a payment is split exactly into the USDC ledger', { skip }, async () => {
  const payer = await keypairFromFile(OWNER_KEYPAIR ?? '');
  const mint = USDC_MINT as Address;
  const [treasuryAddress] = await client.treasuryPda();
  const [stablecoinAddress] = await client.stablecoinPda(mint);
  const [vault] = await client.treasuryVaultPda(mint);
  const [eventAuthority] = await client.eventAuthorityPda(treasury.TREASURY_PROGRAM_ADDRESS);
  const split = (await treasury.fetchTreasury(rpc, treasuryAddress, { commitment })).data.split;
  const coinBefore = (await treasury.fetchStablecoin(rpc, stablecoinAddress, { commitment })).data;
  assert.equal(coinBefore.mint, mint);
  assert.equal(coinBefore.vault, vault);
  assert.equal(coinBefore.enabled, true, 'USDC is accepted');
  const [payerTokens] = await client.associatedTokenPda(payer.address, mint, coinBefore.tokenProgram);

  const reference = new Uint8Array(32);
  reference.set(new TextEncoder().encode('SDK-TS-PAY-1'));
  const pay = (amount: bigint) =>
    treasury.getPayInstruction({
      payer,
      treasury: treasuryAddress,
      stablecoin: stablecoinAddress,
      mint,
      vault,
      payerTokens,
      tokenProgram: coinBefore.tokenProgram,
      eventAuthority,
      program: treasury.TREASURY_PROGRAM_ADDRESS,
      amount,
      reference,
    });
  const balances = async () => ({
    payer: await tokenBalance(payerTokens),
    vault: await tokenBalance(vault),
    payerLamports: await lamports(payer.address),
  });
  const start = await balances();
  assert.ok(
    start.payer >= PAY_AMOUNT,
    `owner ${payer.address} holds ${start.payer} USDC base units, under the ${PAY_AMOUNT} to pay ` +
      '(its stakers’ revenue share, claimed by the simulator)',
  );

  // Refused: nothing to pay.
  const refused = await send(payer, [pay(0n)]);
  assertRefused(refused, 8009, 'pay of 0');
  assert.equal(treasury.TREASURY_ERROR__ZERO_AMOUNT, 8009);
  assert.deepEqual(await balances(), { ...start, payerLamports: start.payerLamports - refused.fee });
  assert.deepEqual((await treasury.fetchStablecoin(rpc, stablecoinAddress, { commitment })).data, coinBefore);

  // Sent: PAY_AMOUNT, split by the treasury's basis points, stakers' and operations' shares
  // floored and the dust to buyback (`math::split`).
  const stakers = (PAY_AMOUNT * BigInt(split.stakersBps)) / BPS_ONE;
  const operations = (PAY_AMOUNT * BigInt(split.operationsBps)) / BPS_ONE;
  const buyback = PAY_AMOUNT - stakers - operations;
  const afterRefusal = await balances();
  const landed = await send(payer, [pay(PAY_AMOUNT)]);
  assertSucceeded(landed, 'pay');
  assert.deepEqual(await balances(), {
    payer: afterRefusal.payer - PAY_AMOUNT,
    vault: afterRefusal.vault + PAY_AMOUNT,
    payerLamports: afterRefusal.payerLamports - landed.fee,
  });
  const bucketsAfter = {
    buyback: coinBefore.buckets.buyback + buyback,
    stakers: coinBefore.buckets.stakers + stakers,
    operations: coinBefore.buckets.operations + operations,
  };
  const coinAfter = (await treasury.fetchStablecoin(rpc, stablecoinAddress, { commitment })).data;
  assert.deepEqual(coinAfter, {
    ...coinBefore,
    buckets: bucketsAfter,
    totalReceived: coinBefore.totalReceived + PAY_AMOUNT,
    payments: coinBefore.payments + 1n,
  });

  // Read as the treasury report reads events (`decodeTreasuryEvent`, the generated decoders).
  const received = landed.innerData(treasury.TREASURY_PROGRAM_ADDRESS).map((d) => {
    const decoded = client.decodeTreasuryEvent(d);
    if (decoded?.kind !== 'Revenue') throw new Error(`pay emitted ${decoded?.kind ?? 'an unknown event'}`);
    return decoded.event;
  });
  assert.equal(received.length, 1, 'one RevenueReceived event');
  const { timestamp, ...event } = received[0]!;
  assert.ok(timestamp > 0n);
  assert.deepEqual(event, {
    reference,
    payer: payer.address,
    byOperator: false,
    customer: payer.address,
    mint,
    amount: PAY_AMOUNT,
    toBuyback: buyback,
    toStakers: stakers,
    toOperations: operations,
    bucketsBefore: coinBefore.buckets,
    bucketsAfter,
    totalReceivedAfter: coinAfter.totalReceived,
  });
  console.log(
    `# pay ${landed.signature}: ${PAY_AMOUNT} USDC base units from ${payer.address}: buyback ${buyback}, ` +
      `stakers ${stakers}, operations ${operations} (split ${split.buybackBps}/${split.stakersBps}/${split.operationsBps} bps)`,
  );
});
