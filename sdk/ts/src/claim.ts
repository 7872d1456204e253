/**
 * The claim: the rewards program's `claim` instruction for a wallet, from the generated builder,
 * and a v0 transaction message that reaches the network's constant accounts through its address
 * lookup table, so a depth-20 proof fits in one 1,232-byte transaction.
 */
import {
  appendTransactionMessageInstructions,
  compressTransactionMessageUsingAddressLookupTables,
  createTransactionMessage,
  fetchAddressesForLookupTables,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  type Address,
  type Blockhash,
  type GetAccountInfoApi,
  type GetMultipleAccountsApi,
  type Instruction,
  type Rpc,
  type TransactionSigner,
} from '@solana/kit';

import { fetchMaybeLookupTable } from './generated/rewards/accounts/index.js';
import { getClaimInstructionAsync } from './generated/rewards/instructions/index.js';
import { REWARDS_PROGRAM_ADDRESS } from './generated/rewards/programs/index.js';
import type { ClaimArgs } from './generated/rewards/types/index.js';
import {
  associatedTokenPda,
  eventAuthorityPda,
  lutPda,
  mintPda,
  networkPda,
  rewardsVaultPda,
} from './pdas.js';

/** The system program. */
export const SYSTEM_PROGRAM_ADDRESS = '11111111111111111111111111111111' as Address;

/** What a claim needs besides its proof. */
export type ClaimAccounts = {
  /** Signs and pays the fee and, the first time, the claim record's rent: any key. */
  readonly payer: TransactionSigner;
  /** The wallet whose leaf is claimed; it does not sign. */
  readonly wallet: Address;
  /** The network's token program (`Network.tokenProgram`: Token or Token-2022). */
  readonly tokenProgram: Address;
  /** The token account paid; default: the wallet's associated token account of the mint. */
  readonly destination?: Address;
};

/**
 * The `claim` instruction: pays `args.cumulativeAmount` minus what the wallet's claim record
 * says it already claimed. Get `args` from `claimArgsFromSummary` (it checks the proof first).
 */
export async function claimInstruction(accounts: ClaimAccounts, args: ClaimArgs) {
  const [mint] = await mintPda();
  const [rewardsVault] = await rewardsVaultPda();
  const destination =
    accounts.destination ?? (await associatedTokenPda(accounts.wallet, mint, accounts.tokenProgram))[0];
  return getClaimInstructionAsync({
    payer: accounts.payer,
    wallet: accounts.wallet,
    mint,
    rewardsVault,
    destination,
    tokenProgram: accounts.tokenProgram,
    args,
  });
}

/** An address lookup table and the addresses it holds, in its order. */
export type AddressLookupTable = { readonly address: Address; readonly addresses: readonly Address[] };

/**
 * The claim's constant accounts, which the network's lookup table is meant to hold (what a
 * table created for tests or by hand should contain). The rewards program itself is not among
 * them: an instruction's program id must be a static key of the message.
 */
export async function claimConstantAccounts(tokenProgram: Address): Promise<Address[]> {
  return [
    (await networkPda())[0],
    (await mintPda())[0],
    (await rewardsVaultPda())[0],
    tokenProgram,
    SYSTEM_PROGRAM_ADDRESS,
    (await eventAuthorityPda(REWARDS_PROGRAM_ADDRESS))[0],
  ];
}

/** A recent blockhash and the last block height it is valid for (`getLatestBlockhash`). */
export type Lifetime = { readonly blockhash: Blockhash; readonly lastValidBlockHeight: bigint };

/**
 * A v0 transaction message: `instructions` (the claim, and any before it such as a compute
 * budget), paid by `feePayer`, with every account the lookup table holds moved into it.
 */
export function claimTransactionMessage(params: {
  readonly feePayer: TransactionSigner;
  readonly instructions: readonly Instruction[];
  readonly lifetime: Lifetime;
  readonly lookupTable: AddressLookupTable;
}) {
  const { feePayer, instructions, lifetime, lookupTable } = params;
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(feePayer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(lifetime, m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  return compressTransactionMessageUsingAddressLookupTables(message, {
    [lookupTable.address]: [...lookupTable.addresses],
  });
}

/** Reads a lookup table's addresses from the chain. */
export async function fetchAddressLookupTable(
  rpc: Rpc<GetMultipleAccountsApi>,
  address: Address,
): Promise<AddressLookupTable> {
  const tables = await fetchAddressesForLookupTables([address], rpc);
  const addresses = tables[address];
  if (!addresses) throw new Error(`no address lookup table at ${address}`);
  return { address, addresses };
}

/**
 * The network's lookup table, or null when the network has none yet (`depin migrate` creates
 * it): its address from the rewards record `["lut"]` (written only by `create_lookup_table`),
 * its addresses from the chain, refused when it does not hold as many as the record says.
 */
export async function fetchNetworkLookupTable(
  rpc: Rpc<GetAccountInfoApi & GetMultipleAccountsApi>,
): Promise<AddressLookupTable | null> {
  const [record] = await lutPda();
  const maybe = await fetchMaybeLookupTable(rpc, record);
  if (!maybe.exists) return null;
  const table = await fetchAddressLookupTable(rpc, maybe.data.address);
  if (table.addresses.length !== maybe.data.len) {
    throw new Error(
      `lookup table ${table.address} holds ${table.addresses.length} addresses, its record says ${maybe.data.len}`,
    );
  }
  return table;
}
