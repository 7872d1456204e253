/**
 * The owner's one-click claim, as sdk/client/src/claim.rs sends it: create the wallet's
 * associated token account (idempotent) and claim, in one v0 transaction through the network's
 * lookup table; when the two do not fit one packet (1,232 bytes), the creation goes first in a
 * transaction of its own. The wallet pays and signs; the page sends over JSON-RPC and waits for
 * `confirmed`, unless the wallet only offers sign-and-send.
 */
import {
  AccountRole,
  appendTransactionMessageInstructions,
  compileTransaction,
  createNoopSigner,
  createTransactionMessage,
  getBase58Decoder,
  getBase64Decoder,
  getTransactionEncoder,
  getTransactionSize,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  type Address,
  type Base64EncodedWireTransaction,
  type Instruction,
  type Signature,
} from '@solana/kit';
import { ASSOCIATED_TOKEN_PROGRAM_ADDRESS, SYSTEM_PROGRAM_ADDRESS, associatedTokenPda, claimInstruction, claimTransactionMessage, fetchNetworkLookupTable, type AddressLookupTable } from '@depin/client';
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
  const feePayer = createNoopSigner(payer);
  const message = table
    ? claimTransactionMessage({ feePayer, instructions, lifetime, lookupTable: table })
    : pipe(
        createTransactionMessage({ version: 0 }),
        (m) => setTransactionMessageFeePayerSigner(feePayer, m),
        (m) => setTransactionMessageLifetimeUsingBlockhash(lifetime, m),
        (m) => appendTransactionMessageInstructions(instructions, m),
      );
  return compileTransaction(message);
}

export type ClaimStep = { readonly what: string; readonly signature: string; readonly bytes: number };

/** The claim's transactions, unsigned, in the order they must land (one, or two when they do not fit together). */
export type ClaimPlan = {
  readonly lifetime: Lifetime;
  readonly transactions: { readonly what: string; readonly tx: ReturnType<typeof compile>; readonly bytes: number }[];
};

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
      ? [{ what: 'claim', tx: both }]
      : [
          { what: 'create token account', tx: compile(wallet, [create], lifetime, table) },
          { what: 'claim', tx: compile(wallet, [claim], lifetime, table) },
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
  const { rpc } = ctx;
  progress('Building the claim with the network’s lookup table…');
  const plan = await planClaim(ctx, wallet, args, net);
  const steps: ClaimStep[] = [];
  for (const { what, tx, bytes } of plan.transactions) {
    if (bytes > PACKET_BYTES) throw new Error(`the ${what} transaction is ${bytes} bytes, over ${PACKET_BYTES}`);
    progress(`Waiting for ${connected.wallet.name} to sign the ${what} (${bytes} bytes)…`);
    const wire = new Uint8Array(getTransactionEncoder().encode(tx));
    const out = await signWith(connected, wire, ctx.config.chain);
    let signature: string;
    if ('signed' in out) {
      const b64 = getBase64Decoder().decode(out.signed) as Base64EncodedWireTransaction;
      progress(`Sending the ${what}…`);
      signature = await rpc
        .sendTransaction(b64, { encoding: 'base64', preflightCommitment: 'confirmed' })
        .send();
    } else {
      signature = getBase58Decoder().decode(out.sent);
    }
    progress(`Confirming the ${what} ${signature}…`);
    await confirm(ctx, signature as Signature, plan.lifetime.lastValidBlockHeight);
    steps.push({ what, signature, bytes });
  }
  return steps;
}

/** Polls the signature until `confirmed`, its error, or its blockhash expires. */
export async function confirm(ctx: Ctx, signature: Signature, lastValidBlockHeight: bigint): Promise<void> {
  for (;;) {
    const { value } = await ctx.rpc.getSignatureStatuses([signature]).send();
    const s = value[0];
    if (s) {
      if (s.err) throw new Error(`transaction ${signature} failed: ${JSON.stringify(s.err, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
      if (s.confirmationStatus === 'confirmed' || s.confirmationStatus === 'finalized') return;
    }
    const height = await ctx.rpc.getBlockHeight({ commitment: 'confirmed' }).send();
    if (height > lastValidBlockHeight) throw new Error(`transaction ${signature} expired before it landed`);
    await new Promise((r) => setTimeout(r, 400));
  }
}
