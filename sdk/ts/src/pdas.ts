/**
 * Every PDA a user or a crank needs, with the seeds of programs/{rewards,staking,treasury}/src/
 * constants.rs as named constants (the Rust sdk's `sdk/client/src/builders/*::*_pda` derive the
 * same). Each function returns kit's `[address, bump]`, the canonical bump.
 */
import {
  getAddressEncoder,
  getProgramDerivedAddress,
  getU16Encoder,
  getU32Encoder,
  getU64Encoder,
  getUtf8Encoder,
  type Address,
  type ProgramDerivedAddress,
  type ReadonlyUint8Array,
} from '@solana/kit';

import { REWARDS_PROGRAM_ADDRESS } from './generated/rewards/programs/index.js';
import { STAKING_PROGRAM_ADDRESS } from './generated/staking/programs/index.js';
import { TREASURY_PROGRAM_ADDRESS } from './generated/treasury/programs/index.js';

/** The program ids, as the IDLs (idl/*.json `address`) give them. */
export { REWARDS_PROGRAM_ADDRESS, STAKING_PROGRAM_ADDRESS, TREASURY_PROGRAM_ADDRESS };

/** spl-governance (Realms) at its mainnet address (staking `GOVERNANCE_PROGRAM_ID`). */
export const GOVERNANCE_PROGRAM_ADDRESS =
  'GovER5Lthms3bLBqWub97yVrMmEogzX7xNjdXpPPCVZw' as Address<'GovER5Lthms3bLBqWub97yVrMmEogzX7xNjdXpPPCVZw'>;
/** The associated token account program. */
export const ASSOCIATED_TOKEN_PROGRAM_ADDRESS =
  'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL' as Address<'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL'>;

/** Seeds of the rewards program (programs/rewards/src/constants.rs). */
export const REWARDS_SEEDS = {
  network: 'network',
  mint: 'mint',
  rewardsVault: 'rewards_vault',
  genesis: 'genesis',
  oracleSet: 'oracle_set',
  proposal: 'proposal',
  probe: 'probe',
  inputs: 'inputs',
  claim: 'claim',
  bond: 'bond',
  maker: 'maker',
  device: 'device',
  change: 'change',
  collateralAuthority: 'collateral_authority',
  /** Planned with `create_lookup_table` (not in idl/rewards.json yet): the table's record. */
  lut: 'lut',
  /** Planned with `create_lookup_table`: the table's authority. */
  lutAuthority: 'lut_authority',
} as const;

/** Seeds of the staking program (programs/staking/src/constants.rs). */
export const STAKING_SEEDS = {
  config: 'config',
  vault: 'vault',
  revenueVault: 'revenue_vault',
  position: 'position',
  staker: 'staker',
  change: 'change',
  slashRecord: 'slash',
  slashApproval: 'slash_approval',
  voterWeightRecord: 'voter_weight_record',
  /** Under spl-governance: a token owner record. */
  tokenOwnerRecord: 'governance',
} as const;

/** Seeds of the treasury program (programs/treasury/src/constants.rs). */
export const TREASURY_SEEDS = {
  treasury: 'treasury',
  stablecoin: 'stablecoin',
  vault: 'vault',
  bought: 'bought',
  credits: 'credits',
  change: 'change',
} as const;

/** The `#[event_cpi]` signer of every program: `["__event_authority"]`. */
export const EVENT_AUTHORITY_SEED = '__event_authority';

type Seed = string | ReadonlyUint8Array;

const utf8 = getUtf8Encoder();
const key = (address: Address) => getAddressEncoder().encode(address);
const u16 = (n: number) => getU16Encoder().encode(n);
const u32 = (n: number) => getU32Encoder().encode(n);
const u64 = (n: bigint) => getU64Encoder().encode(n);

function pda(programAddress: Address, seeds: readonly Seed[]): Promise<ProgramDerivedAddress> {
  const bytes = seeds.map((s) => (typeof s === 'string' ? utf8.encode(s) : s));
  return getProgramDerivedAddress({ programAddress, seeds: bytes });
}

function bytes32(value: ReadonlyUint8Array, what: string): ReadonlyUint8Array {
  if (value.length !== 32) throw new RangeError(`${what} is ${value.length} bytes, not 32`);
  return value;
}

// ---- rewards ----

/** The network config, `["network"]`; also the mint authority. */
export const networkPda = () => pda(REWARDS_PROGRAM_ADDRESS, [REWARDS_SEEDS.network]);
/** The network token mint, `["mint"]`. */
export const mintPda = () => pda(REWARDS_PROGRAM_ADDRESS, [REWARDS_SEEDS.mint]);
/** The vault that holds minted epochs until claimed, `["rewards_vault"]`. */
export const rewardsVaultPda = () => pda(REWARDS_PROGRAM_ADDRESS, [REWARDS_SEEDS.rewardsVault]);
/** The genesis token account, `["genesis"]`. */
export const genesisPda = () => pda(REWARDS_PROGRAM_ADDRESS, [REWARDS_SEEDS.genesis]);
/** The oracle set, `["oracle_set"]`. */
export const oracleSetPda = () => pda(REWARDS_PROGRAM_ADDRESS, [REWARDS_SEEDS.oracleSet]);
/** The PDA that signs staking's `bind_collateral` / `release_collateral`. */
export const collateralAuthorityPda = () =>
  pda(REWARDS_PROGRAM_ADDRESS, [REWARDS_SEEDS.collateralAuthority]);
/** A wallet's claim record, `["claim", wallet]`. */
export const claimRecordPda = (wallet: Address) =>
  pda(REWARDS_PROGRAM_ADDRESS, [REWARDS_SEEDS.claim, key(wallet)]);
/** An oracle's bond, `["bond", oracle]`. */
export const bondPda = (oracle: Address) =>
  pda(REWARDS_PROGRAM_ADDRESS, [REWARDS_SEEDS.bond, key(oracle)]);
/** An approved maker, `["maker", maker]`. */
export const makerPda = (maker: Address) =>
  pda(REWARDS_PROGRAM_ADDRESS, [REWARDS_SEEDS.maker, key(maker)]);
/** A device, `["device", device]`. */
export const devicePda = (device: Address) =>
  pda(REWARDS_PROGRAM_ADDRESS, [REWARDS_SEEDS.device, key(device)]);
/** An epoch's input commitments, `["inputs", epoch_le]`. */
export const inputsPda = (epoch: bigint) =>
  pda(REWARDS_PROGRAM_ADDRESS, [REWARDS_SEEDS.inputs, u64(epoch)]);
/** A queued rewards parameter change, `["change", id_le]`. */
export const rewardsChangePda = (id: bigint) =>
  pda(REWARDS_PROGRAM_ADDRESS, [REWARDS_SEEDS.change, u64(id)]);

/** What a root proposal's address commits to (`VoteRootArgs`'s seeded fields). */
export type ProposalSeeds = {
  readonly epoch: bigint;
  readonly root: ReadonlyUint8Array;
  readonly total: bigint;
  readonly leaves: bigint;
  readonly manifestHash: ReadonlyUint8Array;
};

/**
 * A root proposal: `["proposal", epoch_le, set_version_le (u32), round_le (the network's
 * voided_roots), root, total_le, leaves_le, manifest_hash]`.
 */
export function proposalPda(setVersion: number, round: bigint, args: ProposalSeeds) {
  return pda(REWARDS_PROGRAM_ADDRESS, [
    REWARDS_SEEDS.proposal,
    u64(args.epoch),
    u32(setVersion),
    u64(round),
    bytes32(args.root, 'root'),
    u64(args.total),
    u64(args.leaves),
    bytes32(args.manifestHash, 'manifest hash'),
  ]);
}

/** A probe's side (`ProbeSide::seed`): the base root's tree or the posted one. */
export const PROBE_SIDE_SEED = { base: 0, posted: 1 } as const;

/** A fraud-proof probe, `["probe", proposal, side, index_le]`. */
export const probePda = (proposal: Address, side: keyof typeof PROBE_SIDE_SEED, index: bigint) =>
  pda(REWARDS_PROGRAM_ADDRESS, [
    REWARDS_SEEDS.probe,
    key(proposal),
    Uint8Array.of(PROBE_SIDE_SEED[side]),
    u64(index),
  ]);

/** The record of the network's lookup table, `["lut"]` (its address). */
export const lutPda = () => pda(REWARDS_PROGRAM_ADDRESS, [REWARDS_SEEDS.lut]);
/** The lookup table's authority, `["lut_authority"]`. */
export const lutAuthorityPda = () => pda(REWARDS_PROGRAM_ADDRESS, [REWARDS_SEEDS.lutAuthority]);

// ---- staking ----

/** The staking config, `["config"]`; it owns the vaults. */
export const stakingConfigPda = () => pda(STAKING_PROGRAM_ADDRESS, [STAKING_SEEDS.config]);
/** The vault of every locked token, `["vault"]`. */
export const stakingVaultPda = () => pda(STAKING_PROGRAM_ADDRESS, [STAKING_SEEDS.vault]);
/** The stakers' revenue vault, `["revenue_vault"]`. */
export const revenueVaultPda = () => pda(STAKING_PROGRAM_ADDRESS, [STAKING_SEEDS.revenueVault]);
/** A position, `["position", owner, id_le]`; the owner picks `id`. */
export const positionPda = (owner: Address, id: bigint) =>
  pda(STAKING_PROGRAM_ADDRESS, [STAKING_SEEDS.position, key(owner), u64(id)]);
/** An owner's staker record, `["staker", owner]`. */
export const stakerPda = (owner: Address) =>
  pda(STAKING_PROGRAM_ADDRESS, [STAKING_SEEDS.staker, key(owner)]);
/** A queued staking parameter change, `["change", id_le]`. */
export const stakingChangePda = (id: bigint) =>
  pda(STAKING_PROGRAM_ADDRESS, [STAKING_SEEDS.change, u64(id)]);
/** An offence's slash record, `["slash", position, evidence_hash]`. */
export const slashRecordPda = (position: Address, evidenceHash: ReadonlyUint8Array) =>
  pda(STAKING_PROGRAM_ADDRESS, [
    STAKING_SEEDS.slashRecord,
    key(position),
    bytes32(evidenceHash, 'evidence hash'),
  ]);
/** The approvals of one slash, `["slash_approval", position, evidence_hash, amount_bps_le]`. */
export const slashApprovalPda = (
  position: Address,
  evidenceHash: ReadonlyUint8Array,
  amountBps: number,
) =>
  pda(STAKING_PROGRAM_ADDRESS, [
    STAKING_SEEDS.slashApproval,
    key(position),
    bytes32(evidenceHash, 'evidence hash'),
    u16(amountBps),
  ]);
/** A voter-weight record, `["voter_weight_record", realm, governing_token_mint, owner]`. */
export const voterWeightRecordPda = (realm: Address, mint: Address, owner: Address) =>
  pda(STAKING_PROGRAM_ADDRESS, [STAKING_SEEDS.voterWeightRecord, key(realm), key(mint), key(owner)]);
/** Under spl-governance: a token owner record, `["governance", realm, mint, owner]`. */
export const tokenOwnerRecordPda = (realm: Address, mint: Address, owner: Address) =>
  pda(GOVERNANCE_PROGRAM_ADDRESS, [STAKING_SEEDS.tokenOwnerRecord, key(realm), key(mint), key(owner)]);

// ---- treasury ----

/** The treasury config, `["treasury"]`. */
export const treasuryPda = () => pda(TREASURY_PROGRAM_ADDRESS, [TREASURY_SEEDS.treasury]);
/** An accepted stablecoin, `["stablecoin", mint]`. */
export const stablecoinPda = (mint: Address) =>
  pda(TREASURY_PROGRAM_ADDRESS, [TREASURY_SEEDS.stablecoin, key(mint)]);
/** A stablecoin's revenue vault, `["vault", mint]`. */
export const treasuryVaultPda = (mint: Address) =>
  pda(TREASURY_PROGRAM_ADDRESS, [TREASURY_SEEDS.vault, key(mint)]);
/** Where a buyback receives network tokens, `["bought", mint]`. */
export const boughtPda = (mint: Address) =>
  pda(TREASURY_PROGRAM_ADDRESS, [TREASURY_SEEDS.bought, key(mint)]);
/** The service-credits mint, `["credits"]`. */
export const creditsMintPda = () => pda(TREASURY_PROGRAM_ADDRESS, [TREASURY_SEEDS.credits]);
/** A queued treasury parameter change, `["change", id_le]`. */
export const treasuryChangePda = (id: bigint) =>
  pda(TREASURY_PROGRAM_ADDRESS, [TREASURY_SEEDS.change, u64(id)]);

// ---- any program ----

/** A program's `#[event_cpi]` authority, `["__event_authority"]`. */
export const eventAuthorityPda = (program: Address) => pda(program, [EVENT_AUTHORITY_SEED]);

/** The associated token account of `owner` for `mint` under `tokenProgram`. */
export const associatedTokenPda = (owner: Address, mint: Address, tokenProgram: Address) =>
  pda(ASSOCIATED_TOKEN_PROGRAM_ADDRESS, [key(owner), key(tokenProgram), key(mint)]);
