/**
 * The stock Anchor TypeScript client, alone, builds each wallet and crank instruction from the
 * checked-in IDLs (idl/*.json) plus what its caller holds: its signers, its own token accounts,
 * and the instruction's subject (a position, a device, a proposal, a change). Every other account
 * must come from the IDL: constant addresses, seeds, relations to accounts read from the chain.
 *
 * The cases come from `depin-dev idl-cases` (DEPIN_IDL_CASES, a JSON file): each one is built by
 * the sdk's Rust builders from a running network's accounts and names the accounts its caller
 * supplies. Here the stock client gets the instruction's arguments (decoded from the sdk's data
 * by the IDL's coder) and only those accounts; the accounts it resolves, their signer and writable
 * flags, and the data must equal the sdk's, byte for byte. It reads the chain through
 * DEPIN_RPC_URL, as a wallet would. Without both variables, every test is skipped with the reason.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import anchor from '@coral-xyz/anchor';

const { AnchorProvider, Program } = anchor;
const { Connection, PublicKey } = anchor.web3;

const IDL_DIR = new URL('../../../idl/', import.meta.url);
const RPC_URL = process.env.DEPIN_RPC_URL;
const CASES = process.env.DEPIN_IDL_CASES;
const skip = RPC_URL && CASES ? false : 'DEPIN_RPC_URL and DEPIN_IDL_CASES are unset (app/web/scripts/e2e sets them)';
if (skip) console.log(`# stock client tests skipped: ${skip}`);

/** The IDL's names as the stock client spells them. */
const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

/** A provider that can build but never sign: the tests send nothing. */
function provider(connection, signer) {
  const wallet = {
    publicKey: signer,
    signTransaction: () => Promise.reject(new Error('the tests sign nothing')),
    signAllTransactions: () => Promise.reject(new Error('the tests sign nothing')),
  };
  return new AnchorProvider(connection, wallet, { commitment: 'confirmed' });
}

function loadIdl(name) {
  return JSON.parse(readFileSync(new URL(`${name}.json`, IDL_DIR), 'utf8'));
}

/**
 * The accounts the caller passes: every signer, and the case's inputs (null for an optional
 * account the sdk left out, which it encodes as the program's own address).
 */
function callerAccounts(idlIx, c) {
  const accounts = {};
  idlIx.accounts.forEach((account, i) => {
    const key = c.keys[i];
    if (!account.signer && !c.inputs.includes(account.name)) return;
    const absent = account.optional && key.pubkey === c.programId;
    accounts[camel(account.name)] = absent ? null : new PublicKey(key.pubkey);
  });
  return accounts;
}

/** The instruction's arguments, in order, decoded from the sdk's data by the IDL's coder. */
function args(program, idlIx, data) {
  const decoded = program.coder.instruction.decode(data);
  assert.ok(decoded, `the IDL's coder cannot decode the sdk's data for ${idlIx.name}`);
  return idlIx.args.map((arg) => {
    const value = decoded.data[camel(arg.name)] ?? decoded.data[arg.name];
    assert.notEqual(value, undefined, `argument ${arg.name} of ${idlIx.name}`);
    return value;
  });
}

const meta = (k) => ({ pubkey: k.pubkey.toString(), isSigner: k.isSigner, isWritable: k.isWritable });

/** The case built by the stock client, given the caller's accounts but `omit`. */
async function build(connection, idls, c, omit) {
  const idl = idls[c.program];
  const idlIx = idl.instructions.find((ix) => ix.name === c.name);
  assert.ok(idlIx, `${c.program} has no instruction ${c.name}`);
  const signer = c.keys.find((k) => k.isSigner)?.pubkey ?? c.programId;
  const program = new Program(idl, provider(connection, new PublicKey(signer)));
  const data = Buffer.from(c.data, 'hex');
  const remaining = c.keys.slice(idlIx.accounts.length).map((k) => ({ ...k, pubkey: new PublicKey(k.pubkey) }));
  const accounts = callerAccounts(idlIx, c);
  if (omit) delete accounts[camel(omit)];
  const ix = await program.methods[camel(c.name)](...args(program, idlIx, data))
    .accountsPartial(accounts)
    .remainingAccounts(remaining)
    .instruction();
  return { ix, idlIx, data };
}

/** True when the case builds to exactly the sdk's instruction. */
const same = (ix, c) =>
  ix.programId.toBase58() === c.programId &&
  JSON.stringify(ix.keys.map(meta)) === JSON.stringify(c.keys) &&
  Buffer.from(ix.data).toString('hex') === c.data;

test('the stock client builds every case from the IDL and the caller\'s accounts alone', { skip }, async (t) => {
  const connection = new Connection(RPC_URL ?? '', 'confirmed');
  const idls = { rewards: loadIdl('rewards'), staking: loadIdl('staking'), treasury: loadIdl('treasury') };
  const { cases } = JSON.parse(readFileSync(CASES ?? '', 'utf8'));
  assert.ok(cases.length >= 44, `only ${cases.length} cases (is --authority missing?)`);
  for (const c of cases) {
    await t.test(`${c.program}::${c.name} (caller passes: ${c.inputs.join(', ') || 'signers only'})`, async () => {
      const { ix, idlIx, data } = await build(connection, idls, c);
      assert.equal(ix.programId.toBase58(), c.programId);
      const resolved = ix.keys.map(meta);
      c.keys.forEach((want, i) => {
        const name = idlIx.accounts[i]?.name ?? `remaining ${i - idlIx.accounts.length}`;
        assert.deepEqual(resolved[i], want, `${c.program}::${c.name}: account ${i} (${name})`);
      });
      assert.equal(resolved.length, c.keys.length, `${c.program}::${c.name}: account count`);
      assert.equal(Buffer.from(ix.data).toString('hex'), data.toString('hex'), `${c.program}::${c.name}: data`);
      // Each input is needed: without it, the IDL alone does not give the sdk's instruction (an
      // input the IDL resolves would hide a broken rule).
      for (const input of c.inputs) {
        const without = await build(connection, idls, c, input).then(({ ix }) => ix, () => null);
        assert.ok(!without || !same(without, c), `${c.program}::${c.name}: ${input} resolves without the caller`);
      }
    });
  }
});

test('every instruction a caller sends has a case, or is listed as exempt with its reason', { skip }, () => {
  const { cases } = JSON.parse(readFileSync(CASES ?? '', 'utf8'));
  const covered = new Set(cases.map((c) => `${c.program}::${c.name}`));
  const all = ['rewards', 'staking', 'treasury'].flatMap((p) => loadIdl(p).instructions.map((ix) => `${p}::${ix.name}`));
  const missing = all.filter((name) => !covered.has(name) && !(name in EXEMPT));
  assert.deepEqual(missing, [], 'instructions with neither a case nor an exemption');
  const stale = Object.keys(EXEMPT).filter((name) => covered.has(name) || !all.includes(name));
  assert.deepEqual(stale, [], 'exemptions that are covered or unknown');
});

/** Instructions without a case here, and why (docs/idl.md). */
const EXEMPT = {
  // Set-up and governance: the deployer's or the authority's, not a wallet's or a crank's.
  'rewards::initialize_network': 'deployer (migrations)',
  'staking::initialize_staking': 'deployer (migrations)',
  'staking::initialize_revenue': 'deployer (migrations)',
  'treasury::initialize_treasury': 'deployer (migrations)',
  'treasury::initialize_credits': 'authority (migrations)',
  'rewards::approve_maker': 'authority',
  'rewards::revoke_maker': 'authority',
  'rewards::propose_change': 'authority',
  'rewards::cancel_change': 'authority',
  'staking::propose_change': 'authority',
  'staking::cancel_change': 'authority',
  'staking::overturn_slash': 'authority',
  'treasury::propose_change': 'authority',
  'treasury::cancel_change': 'authority',
  'treasury::add_stablecoin': 'authority',
  'treasury::set_stablecoin_enabled': 'authority',
  // Signed by a rewards PDA in a CPI, never sent by a client.
  'staking::bind_collateral': 'CPI only',
  'staking::release_collateral': 'CPI only',
  'treasury::buy_claim': 'CPI only',
  // The swap route is in the remaining accounts, per venue.
  'treasury::buyback': 'the venue\'s accounts come from its pool',
  // The probe's seeds include the `side` enum, which the IDL cannot express as a seed.
  'rewards::open_probe': 'an enum seed',
};
