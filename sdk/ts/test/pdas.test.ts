/** The PDAs: the programs' compile-time addresses, and every const seed the IDLs use. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { address, getAddressDecoder, getAddressEncoder, getProgramDerivedAddress, type Address } from '@solana/kit';

import { findClaimRecordPda } from '../src/generated/rewards/pdas/index.js';
import {
  associatedTokenPda,
  claimRecordPda,
  collateralAuthorityPda,
  EVENT_AUTHORITY_SEED,
  eventAuthorityPda,
  networkPda,
  oracleSetPda,
  positionPda,
  REWARDS_PROGRAM_ADDRESS,
  REWARDS_SEEDS,
  STAKING_PROGRAM_ADDRESS,
  STAKING_SEEDS,
  stakingConfigPda,
  TREASURY_PROGRAM_ADDRESS,
  TREASURY_SEEDS,
  treasuryPda,
} from '../src/pdas.js';
import { repoFile } from './fixtures.js';

type IdlSeed = { kind: string; value?: number[]; path?: string };
type Idl = {
  address: string;
  instructions: { name: string; accounts: { name: string; address?: string; pda?: { seeds: IdlSeed[]; program?: IdlSeed } }[] }[];
};
const idl = (name: string) => JSON.parse(repoFile(`idl/${name}.json`)) as Idl;

test('program ids are the IDLs\' addresses', () => {
  assert.equal(REWARDS_PROGRAM_ADDRESS, idl('rewards').address);
  assert.equal(STAKING_PROGRAM_ADDRESS, idl('staking').address);
  assert.equal(TREASURY_PROGRAM_ADDRESS, idl('treasury').address);
});

test('the singleton PDAs are the programs\' compile-time constants (constants.rs)', async () => {
  // rewards NETWORK_ADDRESS (the IDL's `network` address), COLLATERAL_AUTHORITY, STAKING_CONFIG;
  // treasury TREASURY_ADDRESS.
  assert.equal((await networkPda())[0], '6SpjTtWAM5m3Ei7RKsGKiBMXgU8RTwb3fRcz6tp6HcCk');
  assert.equal((await collateralAuthorityPda())[0], 'D4DMM1nyT5H48iJUjutpALQnFAHYpJhnLdm4Z94UHRBu');
  assert.equal((await stakingConfigPda())[0], '5PRuP37p8st1RGLFp7Ndf4VmFzhxfCZYSo19x2aANFHE');
  assert.equal((await treasuryPda())[0], 'C2Z1pNS58TeoWZ8vDhJANdAqoGJf52hgj1cZuJxwKcJC');
  const networkInIdl = idl('rewards')
    .instructions.flatMap((ix) => ix.accounts)
    .find((a) => a.name === 'network' && a.address);
  assert.equal(networkInIdl?.address, (await networkPda())[0]);
  const [oracleSet] = await oracleSetPda();
  assert.equal(typeof oracleSet, 'string');
});

test('every const seed of every IDL pda is one of our named seeds', () => {
  const ours: Record<string, readonly string[]> = {
    rewards: [...Object.values(REWARDS_SEEDS), EVENT_AUTHORITY_SEED],
    staking: [...Object.values(STAKING_SEEDS), EVENT_AUTHORITY_SEED],
    treasury: [...Object.values(TREASURY_SEEDS), EVENT_AUTHORITY_SEED],
  };
  const byAddress: Record<string, string> = {
    [REWARDS_PROGRAM_ADDRESS]: 'rewards',
    [STAKING_PROGRAM_ADDRESS]: 'staking',
    [TREASURY_PROGRAM_ADDRESS]: 'treasury',
  };
  for (const program of ['rewards', 'staking', 'treasury'] as const) {
    let checked = 0;
    for (const ix of idl(program).instructions) {
      for (const account of ix.accounts) {
        const first = account.pda?.seeds[0];
        if (first?.kind !== 'const' || !first.value) continue;
        // A PDA of another program: ours by that program's seeds; the loader's program data
        // and the like are not ours to name.
        const other = account.pda?.program?.value;
        const owner = other ? byAddress[getAddressDecoder().decode(Uint8Array.from(other))] : program;
        if (!owner) continue;
        const seed = new TextDecoder().decode(Uint8Array.from(first.value));
        assert.ok(ours[owner]?.includes(seed), `${program}.${ix.name}.${account.name}: seed ${seed} of ${owner}`);
        checked += 1;
      }
    }
    assert.ok(checked > 10, `${program}: ${checked} pdas`);
  }
});

test('our PDAs agree with the generated ones and with hand-derived seeds', async () => {
  const wallet = address('11111111111111111111111111111112');
  assert.deepEqual(await claimRecordPda(wallet), await findClaimRecordPda({ wallet }));
  const [position] = await positionPda(wallet, 7n);
  assert.notEqual(position, (await positionPda(wallet, 8n))[0]);
  const [ev] = await eventAuthorityPda(REWARDS_PROGRAM_ADDRESS);
  assert.notEqual(ev, (await eventAuthorityPda(STAKING_PROGRAM_ADDRESS))[0]);
});

test('the associated token account is [owner, token program, mint] under the ATA program', async () => {
  const owner = address('11111111111111111111111111111112');
  const mint = address('EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v');
  const token = address('TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA');
  const key = (a: Address) => getAddressEncoder().encode(a);
  const expected = await getProgramDerivedAddress({
    programAddress: address('ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL'),
    seeds: [key(owner), key(token), key(mint)],
  });
  assert.deepEqual(await associatedTokenPda(owner, mint, token), expected);
});
