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
  fetchEncodedAccount,
  getAddressDecoder,
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

import { decodeLookupTable } from './generated/rewards/accounts/index.js';
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

/** The address lookup table program. */
export const ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS = 'AddressLookupTab1e1111111111111111111111111' as Address;

/** Bytes before a lookup table's addresses: its meta (type 1, deactivation slot, ...). */
const LOOKUP_TABLE_META_SIZE = 56;

/**
 * A lookup table's addresses after checking it is the network's as `create_lookup_table` left
 * it: owned by the lookup table program, a table (type 1), never deactivated, frozen (no
 * authority), and holding `len` addresses.
 */
export function checkedNetworkTable(
  address: Address,
  owner: Address,
  data: Uint8Array,
  len: number,
): AddressLookupTable {
  const refuse = (why: string) => new Error(`lookup table ${address}: ${why}`);
  if (owner !== ADDRESS_LOOKUP_TABLE_PROGRAM_ADDRESS) throw refuse(`owned by ${owner}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < LOOKUP_TABLE_META_SIZE || view.getUint32(0, true) !== 1) throw refuse('not a lookup table');
  if (view.getBigUint64(4, true) !== 0xffff_ffff_ffff_ffffn) throw refuse('deactivated');
  if (data[21] !== 0) throw refuse('not frozen');
  const body = data.subarray(LOOKUP_TABLE_META_SIZE);
  if (body.length !== len * 32) throw refuse(`holds ${body.length / 32} addresses, its record says ${len}`);
  const decoder = getAddressDecoder();
  const addresses = Array.from({ length: len }, (_, i) => decoder.decode(body.subarray(i * 32, i * 32 + 32)));
  return { address, addresses };
}

/**
 * The network's lookup table, or null when the network has none yet (`depin migrate` creates
 * it; lamports sent to the record's address before then, with no data, are still none): its
 * address from the rewards record `["lut"]` (written only by `create_lookup_table`), then the
 * table itself, checked by [`checkedNetworkTable`].
 */
export async function fetchNetworkLookupTable(
  rpc: Rpc<GetAccountInfoApi>,
): Promise<AddressLookupTable | null> {
  const [key] = await lutPda();
  const record = await fetchEncodedAccount(rpc, key);
  if (!record.exists || (record.programAddress === SYSTEM_PROGRAM_ADDRESS && record.data.length === 0)) {
    return null;
  }
  const { data } = decodeLookupTable(record);
  const table = await fetchEncodedAccount(rpc, data.address);
  if (!table.exists) throw new Error(`lookup table ${data.address}: missing`);
  return checkedNetworkTable(data.address, table.programAddress, table.data, data.len);
}
