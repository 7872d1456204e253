/**
 * The owner's one-click claims, as sdk/client/src/claim.rs sends them. To the wallet: create the
 * wallet's associated token account (idempotent) and claim, in one v0 transaction through the
 * network's lookup table; when the two do not fit one packet (1,232 bytes), the creation goes
 * first in a transaction of its own. Into a staking position: the position read again from the
 * chain and checked to be the wallet's own, then `claim_to_position` alone through the same
 * table (`claimToPositionMessage`), simulated first so that a refusal is shown by the program's
 * error name before the wallet is asked to sign. The wallet pays and signs; the page sends over
 * JSON-RPC and waits for `confirmed`, unless the wallet only offers sign-and-send.
 */
import {
  AccountRole,
  compileTransaction,
  createNoopSigner,
  fetchEncodedAccount,
  getBase58Decoder,
  getBase64Decoder,
  getTransactionEncoder,
  getTransactionSize,
  type Address,
  type Base64EncodedWireTransaction,
  type Instruction,
  type Signature,
} from '@solana/kit';
import {
  ASSOCIATED_TOKEN_PROGRAM_ADDRESS,
  PositionError,
  REWARDS_PROGRAM_ADDRESS,
  SYSTEM_PROGRAM_ADDRESS,
  associatedTokenPda,
  checkedPosition,
  claimInstruction,
  claimToPositionMessage,
  claimTransactionMessage,
  fetchNetworkLookupTable,
  programErrorFromRpc,
  programErrorOf,
  programErrorText,
  type AddressLookupTable,
  type ProgramError,
} from '@depin/client';
import type * as rewards from '@depin/client/rewards';
type ClaimArgs = rewards.ClaimArgs;

import type { Ctx } from './app.ts';
import { signWith, type Connected } from './wallet.ts';

export const PACKET_BYTES = 1232;

/** The associated token program's CreateIdempotent (instruction 1). */
export function createAtaIdempotent(payer: Address, owner: Address, mint: Address, tokenProgram: Address, ata: Address): Instruction {
  return {
    programAddress: ASSOCIATED_TOKEN_PROGRAM_ADDRESS,
    accounts: [
      { address: payer, role: AccountRole.WRITABLE_SIGNER },
      { address: ata, role: AccountRole.WRITABLE },
      { address: owner, role: AccountRole.READONLY },
      { address: mint, role: AccountRole.READONLY },
      { address: SYSTEM_PROGRAM_ADDRESS, role: AccountRole.READONLY },
      { address: tokenProgram, role: AccountRole.READONLY },
    ],
    data: Uint8Array.of(1),
  };
}

type Lifetime = Parameters<typeof claimTransactionMessage>[0]['lifetime'];

function compile(payer: Address, instructions: Instruction[], lifetime: Lifetime, table: AddressLookupTable | null) {
  return compileTransaction(claimTransactionMessage({ feePayer: createNoopSigner(payer), instructions, lifetime, lookupTable: table }));
}

type Compiled = ReturnType<typeof compile>;

export type ClaimStep = { readonly what: string; readonly signature: string; readonly bytes: number };

/** One transaction of a claim, unsigned, with the programs of its instructions in order. */
type PlannedTx = { readonly what: string; readonly tx: Compiled; readonly bytes: number; readonly programs: readonly Address[] };

/** The claim's transactions, unsigned, in the order they must land (one, or two when they do not fit together). */
export type ClaimPlan = {
  readonly lifetime: Lifetime;
  readonly transactions: readonly PlannedTx[];
};

/** The chain refused a transaction: a program's error, named (`rewards NothingToClaim (6035)`). */
export class ChainRefusal extends Error {
  constructor(
    readonly what: string,
    readonly error: ProgramError,
  ) {
    super(`the chain refused the ${what}: ${programErrorText(error)}`);
    this.name = 'ChainRefusal';
  }
}

/** The name of the program error behind `e`, if the chain refused (for `data-error`). */
export function refusalName(e: unknown): string | null {
  if (e instanceof ChainRefusal) return e.error.name ?? String(e.error.code);
  if (e instanceof PositionError) return e.kind;
  return null;
}

/** Builds the claim of `wallet` (which pays): ATA creation + claim, split when over a packet. */
export async function planClaim(
  ctx: Ctx,
  wallet: Address,
  args: ClaimArgs,
  net: { mint: Address; tokenProgram: Address },
): Promise<ClaimPlan> {
  const { rpc } = ctx;
  const [ata] = await associatedTokenPda(wallet, net.mint, net.tokenProgram);
  const create = createAtaIdempotent(wallet, wallet, net.mint, net.tokenProgram, ata);
  const claim = await claimInstruction({ payer: createNoopSigner(wallet), wallet, tokenProgram: net.tokenProgram }, args);
  const table = await fetchNetworkLookupTable(rpc);
  const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'confirmed' }).send();
  const both = compile(wallet, [create, claim], lifetime, table);
  const txs =
    getTransactionSize(both) <= PACKET_BYTES
      ? [{ what: 'claim', tx: both, programs: [ASSOCIATED_TOKEN_PROGRAM_ADDRESS, REWARDS_PROGRAM_ADDRESS] }]
      : [
          { what: 'create token account', tx: compile(wallet, [create], lifetime, table), programs: [ASSOCIATED_TOKEN_PROGRAM_ADDRESS] },
          { what: 'claim', tx: compile(wallet, [claim], lifetime, table), programs: [REWARDS_PROGRAM_ADDRESS] },
        ];
  return { lifetime, transactions: txs.map((t) => ({ ...t, bytes: getTransactionSize(t.tx) })) };
}

/**
 * Claims everything `args` proves for `connected`'s wallet (its own rewards: the wallet is the
 * claimed wallet and the payer). `progress` hears each step.
 */
export async function claimAll(
  ctx: Ctx,
  connected: Connected,
  args: ClaimArgs,
  net: { mint: Address; tokenProgram: Address },
  progress: (text: string) => void,
): Promise<ClaimStep[]> {
  const wallet = connected.account.address as Address;
  progress('Building the claim with the network’s lookup table…');
  const plan = await planClaim(ctx, wallet, args, net);
  const steps: ClaimStep[] = [];
  for (const t of plan.transactions) steps.push(await signSendConfirm(ctx, connected, t, plan.lifetime, progress));
  return steps;
}

/** Builds the claim of everything `args` proves for `wallet` into its staking position `position`. */
export async function planClaimToPosition(
  ctx: Ctx,
  wallet: Address,
  args: ClaimArgs,
  position: Address,
  net: { tokenProgram: Address },
): Promise<ClaimPlan> {
  const { rpc } = ctx;
  // The position as the chain holds it now: still there, a staking Position, the wallet's own.
  const account = await fetchEncodedAccount(rpc, position, { commitment: 'confirmed' });
  if (!account.exists) throw new PositionError('missing', `staking position ${position} does not exist (any more)`);
  checkedPosition(position, account.programAddress, new Uint8Array(account.data), wallet);
  const table = await fetchNetworkLookupTable(rpc);
  const { value: lifetime } = await rpc.getLatestBlockhash({ commitment: 'confirmed' }).send();
  const message = await claimToPositionMessage({
    accounts: { wallet: createNoopSigner(wallet), position, tokenProgram: net.tokenProgram },
    args,
    lifetime,
    lookupTable: table,
  });
  const tx = compileTransaction(message);
  return { lifetime, transactions: [{ what: 'claim into the position', tx, bytes: getTransactionSize(tx), programs: [REWARDS_PROGRAM_ADDRESS] }] };
}

/**
 * Claims everything `args` proves for `connected`'s wallet into its staking position `position`
 * (the wallet signs and pays). The transaction is simulated before the wallet is asked: a
 * refusal (a [`ChainRefusal`], the program's error named) costs the owner nothing.
 */
export async function claimToPosition(
  ctx: Ctx,
  connected: Connected,
  args: ClaimArgs,
  position: Address,
  net: { tokenProgram: Address },
  progress: (text: string) => void,
): Promise<ClaimStep[]> {
  const wallet = connected.account.address as Address;
  progress('Reading the position and building the claim with the network’s lookup table…');
  const plan = await planClaimToPosition(ctx, wallet, args, position, net);
  const [t] = plan.transactions;
  if (!t) throw new Error('nothing planned');
  if (t.bytes > PACKET_BYTES) throw new Error(`the ${t.what} transaction is ${t.bytes} bytes, over ${PACKET_BYTES}`);
  progress(`Simulating the ${t.what}…`);
  const wire = getBase64Decoder().decode(getTransactionEncoder().encode(t.tx)) as Base64EncodedWireTransaction;
  const { value } = await ctx.rpc
    .simulateTransaction(wire, { encoding: 'base64', sigVerify: false, commitment: 'confirmed' })
    .send();
  if (value.err) {
    const named = programErrorOf(value.err, value.logs, t.programs);
    if (named) throw new ChainRefusal(t.what, named);
    throw new Error(`the chain refused the ${t.what}: ${json(value.err)}`);
  }
  return [await signSendConfirm(ctx, connected, t, plan.lifetime, progress)];
}

const json = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x));

/** Has the wallet sign `t` (or sign and send it), sends it, and waits until `confirmed`. */
async function signSendConfirm(
  ctx: Ctx,
  connected: Connected,
  t: PlannedTx,
  lifetime: Lifetime,
  progress: (text: string) => void,
): Promise<ClaimStep> {
  const { what, tx, bytes, programs } = t;
  if (bytes > PACKET_BYTES) throw new Error(`the ${what} transaction is ${bytes} bytes, over ${PACKET_BYTES}`);
  progress(`Waiting for ${connected.wallet.name} to sign the ${what} (${bytes} bytes)…`);
  const out = await signWith(connected, new Uint8Array(getTransactionEncoder().encode(tx)), ctx.config.chain);
  let signature: string;
  if ('signed' in out) {
    const b64 = getBase64Decoder().decode(out.signed) as Base64EncodedWireTransaction;
    progress(`Sending the ${what}…`);
    try {
      signature = await ctx.rpc.sendTransaction(b64, { encoding: 'base64', preflightCommitment: 'confirmed' }).send();
    } catch (e) {
      const named = programErrorFromRpc(e, programs);
      throw named ? new ChainRefusal(what, named) : e;
    }
  } else {
    signature = getBase58Decoder().decode(out.sent);
  }
  progress(`Confirming the ${what} ${signature}…`);
  await confirm(ctx, signature as Signature, lifetime.lastValidBlockHeight, what, programs);
  return { what, signature, bytes };
}

/** The logs of a landed transaction (`getTransaction`), or null when the node has none (yet). */
async function failureLogs(ctx: Ctx, signature: Signature): Promise<readonly string[] | null> {
  try {
    const tx = await ctx.rpc
      .getTransaction(signature, { commitment: 'confirmed', encoding: 'json', maxSupportedTransactionVersion: 0 })
      .send();
    return tx?.meta?.logMessages ?? null;
  } catch {
    return null;
  }
}

/** Polls the signature until `confirmed`, its error (named when a program's), or its blockhash expires. */
export async function confirm(
  ctx: Ctx,
  signature: Signature,
  lastValidBlockHeight: bigint,
  what = 'transaction',
  programs: readonly Address[] = [],
): Promise<void> {
  for (;;) {
    const { value } = await ctx.rpc.getSignatureStatuses([signature]).send();
    const s = value[0];
    if (s) {
      if (s.err) {
        // A status has no logs: the transaction's, when the node gives them, name the failing
        // program (inner, for a CPI) and carry Anchor's message; else the code's range does.
        const named = programErrorOf(s.err, await failureLogs(ctx, signature), programs);
        if (named) throw new ChainRefusal(`${what} ${signature}`, named);
        throw new Error(`transaction ${signature} failed: ${json(s.err)}`);
      }
      if (s.confirmationStatus === 'confirmed' || s.confirmationStatus === 'finalized') return;
    }
    const height = await ctx.rpc.getBlockHeight({ commitment: 'confirmed' }).send();
    if (height > lastValidBlockHeight) throw new Error(`transaction ${signature} expired before it landed`);
    await new Promise((r) => setTimeout(r, 400));
  }
}
