/**
 * The claim: the rewards program's `claim` instruction for a wallet, from the generated builder,
 * and a v0 transaction message that reaches the network's constant accounts through its address
 * lookup table, so a depth-20 proof fits in one 1,232-byte transaction. And the claim into a
 * staking position (`claim_to_position`): the wallet's positions read from the chain, checked
 * to be its own, the default one (the longest lock), and its v0 message through the same table.
 */
import {
  appendTransactionMessageInstructions,
  compressTransactionMessageUsingAddressLookupTables,
  createTransactionMessage,
  fetchAddressesForLookupTables,
  fetchEncodedAccount,
  getAddressDecoder,
  getBase58Decoder,
  getBase64Encoder,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  type Address,
  type Blockhash,
  type GetAccountInfoApi,
  type GetMultipleAccountsApi,
  type GetProgramAccountsApi,
  type Instruction,
  type Rpc,
  type TransactionSigner,
} from '@solana/kit';

import { decodeLookupTable } from './generated/rewards/accounts/index.js';
import {
  getClaimInstructionAsync,
  getClaimToPositionInstructionAsync,
} from './generated/rewards/instructions/index.js';
import { REWARDS_PROGRAM_ADDRESS } from './generated/rewards/programs/index.js';
import type { ClaimArgs } from './generated/rewards/types/index.js';
import { getPositionDecoder, POSITION_DISCRIMINATOR, type Position } from './generated/staking/accounts/position.js';
import { STAKING_PROGRAM_ADDRESS } from './generated/staking/programs/index.js';
import { LockupKind } from './generated/staking/types/lockupKind.js';
import {
  associatedTokenPda,
  collateralAuthorityPda,
  eventAuthorityPda,
  lutPda,
  mintPda,
  networkPda,
  oracleSetPda,
  revenueVaultPda,
  rewardsVaultPda,
  stakingConfigPda,
  stakingVaultPda,
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
  /** null: a network without a table yet (before `depin migrate`): every key in the message. */
  readonly lookupTable: AddressLookupTable | null;
}) {
  const { feePayer, instructions, lifetime, lookupTable } = params;
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(feePayer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(lifetime, m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  if (!lookupTable) return message;
  return compressTransactionMessageUsingAddressLookupTables(message, {
    [lookupTable.address]: [...lookupTable.addresses],
  });
}

/**
 * The 13 addresses of the network's lookup table, in the order `create_lookup_table` writes them
 * (`table_addresses` in programs/rewards/src/instructions/crank/create_lookup_table.rs): the
 * network, its mint, rewards vault and token program, the system program, the rewards event
 * authority, the oracle set, the collateral authority, then the staking program, config, vault,
 * revenue vault and event authority (what a claim into a position and an onboarding name).
 * For a network made by `initialize_network` (its mint and vault are the PDAs).
 */
export async function networkTableAddresses(tokenProgram: Address): Promise<Address[]> {
  return [
    ...(await claimConstantAccounts(tokenProgram)),
    (await oracleSetPda())[0],
    (await collateralAuthorityPda())[0],
    STAKING_PROGRAM_ADDRESS,
    (await stakingConfigPda())[0],
    (await stakingVaultPda())[0],
    (await revenueVaultPda())[0],
    (await eventAuthorityPda(STAKING_PROGRAM_ADDRESS))[0],
  ];
}

// ---- the claim into a staking position ----

/**
 * Where a staking `Position`'s `owner` starts, from the generated decoder's layout
 * (`getPositionDecoder`, the IDL's `Position`): discriminator (8 bytes), `version` (u8),
 * `bump` (u8), `kind` (`LockupKind`, a one-byte enum), `bound_devices` (u32), then `owner`.
 * The rewards program reads it at the same offset (`POSITION_OWNER_OFFSET` in
 * programs/rewards/src/staking_cpi.rs); sdk/ts/test/claim.test.ts checks all three agree.
 */
export const POSITION_OWNER_OFFSET = 8 + 1 + 1 + 1 + 4;

/** A staking position of a wallet, as read from the chain. */
export type WalletPosition = { readonly address: Address; readonly data: Position };

/** Why a position cannot receive a wallet's claim (the program's own refusals, caught first). */
export class PositionError extends Error {
  constructor(
    /** `NotAStakingPosition` / `NotPositionOwner`: the rewards error the program would return. */
    readonly kind: 'missing' | 'NotAStakingPosition' | 'NotPositionOwner',
    message: string,
  ) {
    super(message);
    this.name = 'PositionError';
  }
}

/**
 * `wallet`'s staking position at `address` (its account's owning program and bytes), decoded,
 * after the checks `claim_to_position` makes (`position_owner` in staking_cpi.rs): owned by the
 * staking program, a `Position` by its discriminator, and its `owner` is `wallet`. Throws a
 * [`PositionError`] naming the refusal otherwise.
 */
export function checkedPosition(
  address: Address,
  programAddress: Address,
  data: Uint8Array,
  wallet: Address,
): Position {
  if (programAddress !== STAKING_PROGRAM_ADDRESS || data.length < POSITION_OWNER_OFFSET + 32) {
    throw new PositionError(
      'NotAStakingPosition',
      `${address} is not a staking position (owned by ${programAddress}, ${data.length} bytes); the rewards program refuses it (NotAStakingPosition)`,
    );
  }
  if (!POSITION_DISCRIMINATOR.every((b, i) => data[i] === b)) {
    throw new PositionError(
      'NotAStakingPosition',
      `${address} is a staking account but not a Position (its discriminator); the rewards program refuses it (NotAStakingPosition)`,
    );
  }
  const position = getPositionDecoder().decode(data);
  if (position.owner !== wallet) {
    throw new PositionError(
      'NotPositionOwner',
      `staking position ${address} belongs to ${position.owner}, not to ${wallet}: a claim goes only into the wallet's own position (the rewards program refuses another's: NotPositionOwner)`,
    );
  }
  return position;
}

/**
 * Every staking position whose `owner` is `wallet`: `getProgramAccounts` on the staking
 * program, filtered on the `Position` discriminator and, at [`POSITION_OWNER_OFFSET`], the
 * wallet; each answer checked by [`checkedPosition`] (a node that answers with another's
 * position is an error). Sorted by id.
 */
export async function fetchWalletPositions(
  rpc: Rpc<GetProgramAccountsApi>,
  wallet: Address,
  commitment: 'processed' | 'confirmed' | 'finalized' = 'confirmed',
): Promise<WalletPosition[]> {
  const base58 = getBase58Decoder();
  const accounts = await rpc
    .getProgramAccounts(STAKING_PROGRAM_ADDRESS, {
      encoding: 'base64',
      commitment,
      filters: [
        { memcmp: { offset: 0n, bytes: base58.decode(POSITION_DISCRIMINATOR) as never, encoding: 'base58' } },
        { memcmp: { offset: BigInt(POSITION_OWNER_OFFSET), bytes: wallet as never, encoding: 'base58' } },
      ],
    })
    .send();
  const base64 = getBase64Encoder();
  return accounts
    .map((a) => {
      const data = new Uint8Array(base64.encode(a.account.data[0]));
      return { address: a.pubkey, data: checkedPosition(a.pubkey, a.account.owner, data, wallet) };
    })
    .sort((a, b) => (a.data.id < b.data.id ? -1 : a.data.id > b.data.id ? 1 : 0));
}

/**
 * Seconds `position` stays locked after unix time `now`: a constant lock its whole duration
 * (it does not run down), a cliff until its end (0 once past).
 */
export function positionLockSecs(position: Position, now: bigint): bigint {
  if (position.kind === LockupKind.Constant) return position.lockupSecs;
  return position.lockEnd > now ? position.lockEnd - now : 0n;
}

/**
 * The position a claim goes into unless the owner picks another: the only one, else the one
 * locked longest from `now` (ties: the larger amount, then the lower id). Null when none.
 */
export function defaultPosition(positions: readonly WalletPosition[], now: bigint): WalletPosition | null {
  let best: WalletPosition | null = null;
  for (const p of positions) {
    if (!best) {
      best = p;
      continue;
    }
    const [a, b] = [positionLockSecs(p.data, now), positionLockSecs(best.data, now)];
    if (a > b || (a === b && (p.data.amount > best.data.amount || (p.data.amount === best.data.amount && p.data.id < best.data.id)))) {
      best = p;
    }
  }
  return best;
}

/** What a claim into a position needs besides its proof. */
export type ClaimToPositionAccounts = {
  /** The leaf's wallet: it signs (only the wallet may lock its own tokens) and pays. */
  readonly wallet: TransactionSigner;
  /** The wallet's own staking position (`Position.owner` is the wallet). */
  readonly position: Address;
  /** The network's token program (`Network.tokenProgram`). */
  readonly tokenProgram: Address;
};

/**
 * The `claim_to_position` instruction, from the generated builder with every account named as
 * `claim_to_position_accounts` (sdk/client/src/builders/rewards_ix.rs) does: pays
 * `args.cumulativeAmount` minus what the wallet claimed into the position's stake.
 */
export async function claimToPositionInstruction(accounts: ClaimToPositionAccounts, args: ClaimArgs) {
  return getClaimToPositionInstructionAsync({
    wallet: accounts.wallet,
    network: (await networkPda())[0],
    mint: (await mintPda())[0],
    rewardsVault: (await rewardsVaultPda())[0],
    position: accounts.position,
    stakingConfig: (await stakingConfigPda())[0],
    stakingVault: (await stakingVaultPda())[0],
    stakingRevenueVault: (await revenueVaultPda())[0],
    tokenProgram: accounts.tokenProgram,
    stakingEventAuthority: (await eventAuthorityPda(STAKING_PROGRAM_ADDRESS))[0],
    stakingProgram: STAKING_PROGRAM_ADDRESS,
    systemProgram: SYSTEM_PROGRAM_ADDRESS,
    eventAuthority: (await eventAuthorityPda(REWARDS_PROGRAM_ADDRESS))[0],
    program: REWARDS_PROGRAM_ADDRESS,
    args,
  });
}

/**
 * The claim into a position as one v0 message: `claim_to_position` alone (nothing to create),
 * the wallet the fee payer, through the network's lookup table (null: none yet).
 */
export async function claimToPositionMessage(params: {
  readonly accounts: ClaimToPositionAccounts;
  readonly args: ClaimArgs;
  readonly lifetime: Lifetime;
  readonly lookupTable: AddressLookupTable | null;
}) {
  const { accounts, args, lifetime, lookupTable } = params;
  const ix = await claimToPositionInstruction(accounts, args);
  return claimTransactionMessage({ feePayer: accounts.wallet, instructions: [ix], lifetime, lookupTable });
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
