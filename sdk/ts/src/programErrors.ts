/**
 * A refused transaction in words: which program refused it and the name of its error, from the
 * generated error maps (`generated/{rewards,staking,treasury}/errors`: one constant per error
 * code), so a page can say "rewards NothingToClaim (6035)" rather than `{"Custom":6035}`. The
 * logs say which program failed (a CPI's error is the inner program's); without them (a
 * signature status has none) the code does: the three programs' own codes do not overlap
 * (rewards 6000–6999, staking 7000–7999, treasury 8000–8999: the offsets in each
 * `programs/<name>/src/error.rs`), so a staking code returned through the rewards program's CPI
 * is still named as staking's.
 */
import { isSolanaError, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM, type Address } from '@solana/kit';

import * as rewardsErrors from './generated/rewards/errors/rewards.js';
import { REWARDS_PROGRAM_ADDRESS } from './generated/rewards/programs/index.js';
import * as stakingErrors from './generated/staking/errors/staking.js';
import { STAKING_PROGRAM_ADDRESS } from './generated/staking/programs/index.js';
import * as treasuryErrors from './generated/treasury/errors/treasury.js';
import { TREASURY_PROGRAM_ADDRESS } from './generated/treasury/programs/index.js';

/** `NOT_POSITION_OWNER` → `NotPositionOwner` (the program's own spelling, as in the IDL). */
const pascal = (screaming: string) =>
  screaming
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

/** code → name, from a generated errors module's `<PREFIX>__<NAME>` constants. */
function names(module: Record<string, unknown>, prefix: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const [k, v] of Object.entries(module)) {
    if (k.startsWith(prefix) && typeof v === 'number') out.set(v, pascal(k.slice(prefix.length)));
  }
  return out;
}

/** The programs whose errors are named: address → its short name and its error names by code. */
const PROGRAMS = new Map<string, { readonly program: string; readonly names: () => Map<number, string> }>();
for (const [address, program, module, prefix] of [
  [REWARDS_PROGRAM_ADDRESS, 'rewards', rewardsErrors, 'REWARDS_ERROR__'],
  [STAKING_PROGRAM_ADDRESS, 'staking', stakingErrors, 'STAKING_ERROR__'],
  [TREASURY_PROGRAM_ADDRESS, 'treasury', treasuryErrors, 'TREASURY_ERROR__'],
] as const) {
  let cache: Map<number, string> | undefined;
  PROGRAMS.set(address, { program, names: () => (cache ??= names(module, prefix)) });
}

/** The error `code` of `program` by name (`NothingToClaim`), or null when not one of its errors. */
export function programErrorName(program: Address, code: number): string | null {
  return PROGRAMS.get(program)?.names().get(code) ?? null;
}

/**
 * The program whose own errors use `code`: rewards 6000–6999, staking 7000–7999, treasury
 * 8000–8999 (each program's `#[error_code(offset = …)]`); null for any other code (Anchor's
 * framework errors, below 6000, are every Anchor program's).
 */
export function programOfErrorCode(code: number): Address | null {
  if (code >= 6000 && code < 7000) return REWARDS_PROGRAM_ADDRESS;
  if (code >= 7000 && code < 8000) return STAKING_PROGRAM_ADDRESS;
  if (code >= 8000 && code < 9000) return TREASURY_PROGRAM_ADDRESS;
  return null;
}

/** A program's custom error, as far as the transaction's error and logs tell. */
export type ProgramError = {
  /** The program that returned it (for a CPI, the inner one). */
  readonly programAddress: Address;
  /** `rewards`, `staking`, `treasury`, or the address of another program. */
  readonly program: string;
  readonly code: number;
  /** From the generated error map; else the name an Anchor log gives (`Error Code: X`); else null. */
  readonly name: string | null;
  /** Anchor's `Error Message:` from the logs, when they hold one. */
  readonly message: string | null;
  /** The top-level instruction that failed. */
  readonly instruction: number;
};

/** `{ InstructionError: [index, { Custom: code }] }` (a transaction error as JSON-RPC gives it). */
function customOf(err: unknown): { index: number; code: number } | null {
  const ie = (err as { InstructionError?: unknown } | null)?.InstructionError;
  if (!Array.isArray(ie) || ie.length !== 2) return null;
  const custom = (ie[1] as { Custom?: unknown } | null)?.Custom;
  if (typeof custom !== 'number' && typeof custom !== 'bigint') return null;
  return { index: Number(ie[0]), code: Number(custom) };
}

/**
 * The custom program error in a transaction error (`simulateTransaction`'s or a status's `err`),
 * named: the failing program is the first `Program <id> failed: custom program error: 0x<code>`
 * of `logs` (the innermost, when a CPI failed); without such a line, when the failing
 * instruction's program (`instructionPrograms[index]`) is one of the three (or unknown), the
 * program whose range holds the code ([`programOfErrorCode`]: a rewards instruction failing
 * with 7xxx failed inside its CPI to staking); else that instruction's program. Null when `err`
 * is not a custom program error.
 */
export function programErrorOf(
  err: unknown,
  logs: readonly string[] | null | undefined,
  instructionPrograms: readonly Address[],
): ProgramError | null {
  const custom = customOf(err);
  if (!custom) return null;
  let programAddress = instructionPrograms[custom.index] ?? null;
  let anchorName: string | null = null;
  let message: string | null = null;
  let logged = false;
  for (const line of logs ?? []) {
    const failed = /^Program (\w+) failed: custom program error: 0x([0-9a-f]+)$/i.exec(line);
    if (failed && parseInt(failed[2]!, 16) === custom.code) {
      programAddress = failed[1] as Address;
      logged = true;
      break;
    }
    const anchor = /Error Code: (\w+)\. Error Number: (\d+)\. Error Message: (.*?)\.?$/.exec(line);
    if (anchor && Number(anchor[2]) === custom.code) {
      anchorName = anchor[1]!;
      message = anchor[3]!;
    }
  }
  if (!logged && (!programAddress || PROGRAMS.has(programAddress))) {
    programAddress = programOfErrorCode(custom.code) ?? programAddress;
  }
  if (!programAddress) return null;
  const known = PROGRAMS.get(programAddress);
  return {
    programAddress,
    program: known?.program ?? programAddress,
    code: custom.code,
    name: programErrorName(programAddress, custom.code) ?? anchorName,
    message,
    instruction: custom.index,
  };
}

/** One line for a person: `rewards NothingToClaim (6035): nothing to claim: …`. */
export function programErrorText(e: ProgramError): string {
  const what = e.name ? `${e.program} ${e.name} (${e.code})` : `${e.program} custom error ${e.code}`;
  return e.message ? `${what}: ${e.message}` : what;
}

/**
 * The program error inside an RPC failure, when there is one: `sendTransaction`'s preflight
 * refusal (a SolanaError whose context holds the simulation's `logs` and whose cause is the
 * instruction's custom error). Null for anything else (a network error, a wallet's refusal).
 */
export function programErrorFromRpc(e: unknown, instructionPrograms: readonly Address[]): ProgramError | null {
  let logs: readonly string[] | null = null;
  for (let cur: unknown = e, depth = 0; cur && depth < 8; cur = (cur as { cause?: unknown }).cause, depth++) {
    const ctx = (cur as { context?: { logs?: unknown } }).context;
    if (Array.isArray(ctx?.logs)) logs ??= ctx.logs as string[];
    if (isSolanaError(cur, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM)) {
      const { code, index } = cur.context;
      return programErrorOf({ InstructionError: [index, { Custom: code }] }, logs, instructionPrograms);
    }
  }
  return null;
}
