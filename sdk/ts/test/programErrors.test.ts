/** The programs' errors by name, from the generated error maps, offline. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM,
  SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
  SolanaError,
  type Address,
} from '@solana/kit';

import { REWARDS_PROGRAM_ADDRESS, STAKING_PROGRAM_ADDRESS, TREASURY_PROGRAM_ADDRESS } from '../src/pdas.js';
import { programErrorFromRpc, programErrorName, programErrorOf, programErrorText, programOfErrorCode } from '../src/programErrors.js';
import { repoFile } from './fixtures.js';

const TOKEN = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA' as Address;

test('every rewards, staking and treasury error is named as in the IDL, from the generated maps', () => {
  for (const [program, file] of [
    [REWARDS_PROGRAM_ADDRESS, 'idl/rewards.json'],
    [STAKING_PROGRAM_ADDRESS, 'idl/staking.json'],
    [TREASURY_PROGRAM_ADDRESS, 'idl/treasury.json'],
  ] as const) {
    const errors = (JSON.parse(repoFile(file)) as { errors: { code: number; name: string }[] }).errors;
    assert.ok(errors.length > 20, file);
    for (const e of errors) assert.equal(programErrorName(program, e.code), e.name, `${file} ${e.code}`);
  }
  assert.equal(programErrorName(REWARDS_PROGRAM_ADDRESS, 7008), null, 'a staking code is not a rewards error');
  assert.equal(programErrorName(TOKEN, 1), null);
});

test('a failed claim_to_position is named after the program that failed, inner or outer', () => {
  const programs = [REWARDS_PROGRAM_ADDRESS];
  // The rewards program's own refusal, with Anchor's log line.
  const own = programErrorOf(
    { InstructionError: [0, { Custom: 6035 }] },
    [
      `Program ${REWARDS_PROGRAM_ADDRESS} invoke [1]`,
      'Program log: Instruction: ClaimToPosition',
      'Program log: AnchorError thrown in programs/rewards/src/instructions/shared.rs:40. Error Code: NothingToClaim. Error Number: 6035. Error Message: nothing to claim: the wallet has already been paid this cumulative amount.',
      `Program ${REWARDS_PROGRAM_ADDRESS} consumed 20000 of 200000 compute units`,
      `Program ${REWARDS_PROGRAM_ADDRESS} failed: custom program error: 0x1793`,
    ],
    programs,
  );
  assert.deepEqual(own, {
    programAddress: REWARDS_PROGRAM_ADDRESS,
    program: 'rewards',
    code: 6035,
    name: 'NothingToClaim',
    message: 'nothing to claim: the wallet has already been paid this cumulative amount',
    instruction: 0,
  });
  assert.equal(programErrorText(own!), 'rewards NothingToClaim (6035): nothing to claim: the wallet has already been paid this cumulative amount');
  // The staking program's refusal inside the CPI: the top-level instruction is the rewards one,
  // the code is staking's (7000s), and the first failed program in the logs is staking.
  const inner = programErrorOf(
    { InstructionError: [0, { Custom: 7000 + 17 }] },
    [
      `Program ${REWARDS_PROGRAM_ADDRESS} invoke [1]`,
      `Program ${STAKING_PROGRAM_ADDRESS} invoke [2]`,
      `Program ${STAKING_PROGRAM_ADDRESS} failed: custom program error: 0x1b69`,
      `Program ${REWARDS_PROGRAM_ADDRESS} failed: custom program error: 0x1b69`,
    ],
    programs,
  );
  assert.equal(inner?.program, 'staking');
  assert.equal(inner?.name, programErrorName(STAKING_PROGRAM_ADDRESS, 7017));
  assert.ok(inner?.name);
  // No logs (a signature status): the failing instruction's program.
  const bare = programErrorOf({ InstructionError: [0, { Custom: 6067 }] }, null, programs);
  assert.equal(programErrorText(bare!), 'rewards NotPositionOwner (6067)');
  // Another program's code, named by Anchor's log when it is not one of ours.
  const other = programErrorOf(
    { InstructionError: [1, { Custom: 3012 }] },
    ['Program log: AnchorError caused by account: x. Error Code: AccountNotInitialized. Error Number: 3012. Error Message: The program expected this account to be already initialized.'],
    [TOKEN, REWARDS_PROGRAM_ADDRESS],
  );
  assert.equal(programErrorText(other!), 'rewards AccountNotInitialized (3012): The program expected this account to be already initialized');
  assert.equal(programErrorOf({ InstructionError: [0, 'InvalidAccountData'] }, null, programs), null);
  assert.equal(programErrorOf('AccountNotFound', null, programs), null);
});

test('a preflight refusal from sendTransaction is named too', () => {
  const logs = [`Program ${REWARDS_PROGRAM_ADDRESS} failed: custom program error: 0x17b3`];
  const e = new SolanaError(SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE, {
    accounts: null,
    logs,
    unitsConsumed: 5000n,
    returnData: null,
    cause: new SolanaError(SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM, { code: 6067, index: 0 }),
  } as never);
  const named = programErrorFromRpc(e, [REWARDS_PROGRAM_ADDRESS]);
  assert.equal(named?.name, 'NotPositionOwner');
  assert.equal(programErrorFromRpc(new Error('fetch failed'), [REWARDS_PROGRAM_ADDRESS]), null);
});

test('without logs, a code is the program’s whose range holds it: 6xxx rewards, 7xxx staking, 8xxx treasury', () => {
  // The ranges, at their edges, against each IDL's own codes (the offsets in each programs/<name>/src/error.rs).
  for (const [program, file, lo] of [
    [REWARDS_PROGRAM_ADDRESS, 'idl/rewards.json', 6000],
    [STAKING_PROGRAM_ADDRESS, 'idl/staking.json', 7000],
    [TREASURY_PROGRAM_ADDRESS, 'idl/treasury.json', 8000],
  ] as const) {
    assert.equal(programOfErrorCode(lo), program, `${lo}`);
    assert.equal(programOfErrorCode(lo + 999), program, `${lo + 999}`);
    const errors = (JSON.parse(repoFile(file)) as { errors: { code: number }[] }).errors;
    for (const e of errors) assert.equal(programOfErrorCode(e.code), program, `${file} ${e.code}`);
  }
  for (const code of [0, 1, 100, 2006, 3012, 5999, 9000, 65535]) assert.equal(programOfErrorCode(code), null, `${code}`);

  // A signature status (no logs) of claim_to_position: the top-level instruction is rewards',
  // the code staking's: it failed inside the CPI and is named as staking's.
  const programs = [REWARDS_PROGRAM_ADDRESS];
  const inner = programErrorOf({ InstructionError: [0, { Custom: 7017 }] }, null, programs);
  assert.equal(inner?.programAddress, STAKING_PROGRAM_ADDRESS);
  assert.equal(inner?.program, 'staking');
  assert.equal(inner?.name, programErrorName(STAKING_PROGRAM_ADDRESS, 7017));
  assert.ok(inner?.name);
  assert.doesNotMatch(programErrorText(inner!), /^rewards/);
  // Logs that do not name the failing program (truncated): the range too.
  const truncated = programErrorOf({ InstructionError: [0, { Custom: 7017 }] }, ['Log truncated'], programs);
  assert.equal(truncated?.program, 'staking');
  // A treasury code under a rewards or staking instruction, and an empty program list.
  assert.equal(programErrorOf({ InstructionError: [0, { Custom: 8003 }] }, null, [STAKING_PROGRAM_ADDRESS])?.program, 'treasury');
  assert.equal(programErrorOf({ InstructionError: [3, { Custom: 6035 }] }, null, [])?.name, 'NothingToClaim');
  // The logs, when they name the failing program, win over the range.
  const logged = programErrorOf(
    { InstructionError: [0, { Custom: 7017 }] },
    [`Program ${REWARDS_PROGRAM_ADDRESS} failed: custom program error: 0x1b69`],
    programs,
  );
  assert.equal(logged?.program, 'rewards');
  // Another program's instruction keeps its own name for the code (not one of ours to remap);
  // Anchor's framework codes (below 6000) stay the failing instruction's program's.
  const TOKEN_ATA = 'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL' as Address;
  assert.equal(programErrorOf({ InstructionError: [0, { Custom: 6001 }] }, null, [TOKEN_ATA])?.programAddress, TOKEN_ATA);
  assert.equal(programErrorOf({ InstructionError: [0, { Custom: 3012 }] }, null, programs)?.program, 'rewards');
  assert.equal(programErrorOf({ InstructionError: [0, { Custom: 1 }] }, null, [TOKEN])?.programAddress, TOKEN);
});
