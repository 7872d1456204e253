/**
 * @depin/client: the DePIN reward protocol from TypeScript, on @solana/kit.
 *
 * - `rewards`, `staking`, `treasury`: the Codama clients generated from idl/ (accounts, their
 *   decoders and fetchers, instructions, events' codecs, errors, PDAs), one namespace each since
 *   the programs share type names (`PendingChange`, `ChangeApplied`, ...).
 * - The hand-written parts: PDAs, the merkle-sum tree, the rewards API, the claim, the treasury
 *   report, the programs' errors by name.
 */
export * as rewards from './generated/rewards/index.js';
export * as staking from './generated/staking/index.js';
export * as treasury from './generated/treasury/index.js';

export * from './claim.js';
export * from './merkleSum.js';
export * from './pdas.js';
export * from './programErrors.js';
export * from './rewardsApi.js';
export * from './treasuryReport.js';
