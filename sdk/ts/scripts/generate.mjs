#!/usr/bin/env node
// Generates the Codama clients of src/generated/<program>/ from the checked-in Anchor IDLs
// (../../idl/<program>.json), with @codama/nodes-from-anchor and @codama/renderers-js.
//
//   npm run generate             rewrites src/generated/
//   npm run check-generated      fails (exit 1) when src/generated/ differs from a fresh
//                                generation, listing the files that differ
//
// Both render into a fresh temporary folder first; only `generate` then replaces
// src/generated/ with it, so a failed run never leaves a half-written client behind.
import { rootNodeFromAnchor } from '@codama/nodes-from-anchor';
import { renderVisitor } from '@codama/renderers-js';
import { visit } from '@codama/visitors-core';
import { definedTypeNode } from '@codama/nodes';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
const IDL_DIR = join(PACKAGE, '..', '..', 'idl');
const GENERATED = join(PACKAGE, 'src', 'generated');
const PROGRAMS = ['rewards', 'staking', 'treasury'];

/**
 * What the generator cannot take from our IDLs as they are, fixed on a copy (idl/ is never
 * edited; see README.md, "Generator fixes"):
 *
 * - A PDA whose seeds name the account itself (rewards `revoke_maker.maker_account`: Anchor read
 *   `maker_account.key` as the account's own key, docs/idl.md table 1) is circular: Codama's
 *   default-value resolver throws. The `pda` is dropped, so the caller passes the address
 *   (`pdas.ts` derives it).
 *
 * - `emit_cpi!`'s two accounts, `event_authority` followed by `program`, carry neither a `pda`
 *   nor an `address` (Anchor's own TS client fills them by convention, docs/idl.md), so every
 *   builder would ask the caller for them. They get the convention's values: the PDA
 *   `["__event_authority"]` and the program's own id.
 *
 * Returns the IDL and a count of each fix, printed so a fix that stops being needed is noticed.
 */
export function fixIdl(idl) {
  const counts = { selfPda: 0, eventCpi: 0 };
  const copy = structuredClone(idl);
  for (const ix of copy.instructions) {
    ix.accounts.forEach((account, i) => {
      const seeds = account.pda?.seeds ?? [];
      if (seeds.some((s) => s.kind === 'account' && s.path === account.name)) {
        delete account.pda;
        counts.selfPda += 1;
      }
      const next = ix.accounts[i + 1];
      const bare = (a) => a && !a.pda && !a.address && !a.signer && !a.writable;
      if (account.name === 'event_authority' && next?.name === 'program' && bare(account) && bare(next)) {
        account.pda = { seeds: [{ kind: 'const', value: [...Buffer.from(EVENT_AUTHORITY_SEED)] }] };
        next.address = copy.address;
        counts.eventCpi += 1;
      }
    });
  }
  const notes = [
    `${counts.selfPda} self-referencing pda(s) dropped`,
    `${counts.eventCpi} event_authority/program pair(s) filled`,
  ];
  return { idl: copy, notes };
}

/** Anchor's `emit_cpi!` signer: the PDA `["__event_authority"]` of the emitting program. */
const EVENT_AUTHORITY_SEED = '__event_authority';

/**
 * The program's events as defined types, so the renderer writes their codecs (renderers-js 2.2
 * renders no `eventNode`). Each keeps its 8-byte discriminator as a hidden prefix: the decoder
 * checks it and the decoded value does not carry it.
 */
function withEventTypes(root) {
  const events = root.program.events ?? [];
  const types = events.map((e) => definedTypeNode({ name: e.name, docs: e.docs, type: e.data }));
  return { ...root, program: { ...root.program, definedTypes: [...root.program.definedTypes, ...types] } };
}

/**
 * Relative imports get explicit `.js` files (`"../pdas"` becomes `"../pdas/index.js"`): the
 * renderer writes extensionless imports for bundlers, which Node's ESM loader refuses.
 */
function withExplicitExtensions(dir) {
  for (const file of files(dir).filter((f) => f.endsWith('.ts'))) {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const fixed = text.replace(/from "(\.{1,2}(?:\/[^"]*)?)"/g, (_, spec) => {
      const target = join(dirname(path), spec);
      if (existsSync(`${target}.ts`)) return `from "${spec}.js"`;
      if (existsSync(join(target, 'index.ts'))) return `from "${spec.replace(/\/$/, '')}/index.js"`;
      throw new Error(`${file}: cannot resolve the import "${spec}"`);
    });
    if (fixed !== text) writeFileSync(path, fixed);
  }
}

/**
 * The program plugin's return type as kit 8 gives it. renderers-js 2.2 declares
 * `Omit<T, "rewards"> & { rewards: RewardsPlugin }`, which kit's `extendClient` (typed
 * `ExtendedClient<T, A>` since kit 6.x) no longer satisfies under `strict`, so tsc fails on the
 * generated code. `ExtendedClient<T, { rewards: RewardsPlugin }>` is the same shape, flattened.
 */
function withKitPluginType(dir, program) {
  const path = join(dir, program, 'programs', `${program}.ts`);
  const text = readFileSync(path, 'utf8');
  const plugin = `${program[0].toUpperCase()}${program.slice(1)}Plugin`;
  const declared = `): Omit<T, "${program}"> & { ${program}: ${plugin} } => {`;
  const kitImport = '\n  extendClient,\n';
  if (text.split(declared).length !== 2 || text.split(kitImport).length !== 2) {
    throw new Error(`${path}: the plugin's return type is not the expected one: update withKitPluginType`);
  }
  const fixed = text
    .replace(declared, `): ExtendedClient<T, { ${program}: ${plugin} }> => {`)
    .replace(kitImport, `${kitImport}  type ExtendedClient,\n`);
  writeFileSync(path, fixed);
}

/** Renders every program's client into `<out>/<program>/`. */
async function render(out) {
  for (const program of PROGRAMS) {
    const raw = JSON.parse(readFileSync(join(IDL_DIR, `${program}.json`), 'utf8'));
    const { idl, notes } = fixIdl(raw);
    console.log(`${program}: ${notes.join(', ')}`);
    await visit(
      withEventTypes(rootNodeFromAnchor(idl)),
      renderVisitor(out, {
        generatedFolder: program,
        // We pin our own dependencies in package.json; the renderer must not edit it.
        syncPackageJson: false,
        deleteFolderBeforeRendering: true,
        formatCode: true,
        // One import root: the generated code needs nothing but @solana/kit.
        kitImportStrategy: 'rootOnly',
      }),
    );
    withKitPluginType(out, program);
  }
  withExplicitExtensions(out);
}

/** Every file under `dir`, as paths relative to it, sorted. */
function files(dir) {
  const walk = (d) =>
    readdirSync(d).flatMap((name) => {
      const path = join(d, name);
      return statSync(path).isDirectory() ? walk(path) : [relative(dir, path)];
    });
  return walk(dir).sort();
}

/** The files that differ between two trees (added, removed or changed). */
function differences(expected, actual) {
  const a = files(expected);
  const b = files(actual);
  const all = [...new Set([...a, ...b])].sort();
  return all.filter((f) => {
    if (!a.includes(f) || !b.includes(f)) return true;
    return !readFileSync(join(expected, f)).equals(readFileSync(join(actual, f)));
  });
}

const check = process.argv.includes('--check');
const tmp = mkdtempSync(join(tmpdir(), 'depin-codama-'));
try {
  await render(tmp);
  if (check) {
    const changed = differences(tmp, GENERATED);
    if (changed.length > 0) {
      console.error(`src/generated/ is stale against idl/: ${changed.length} file(s) differ:`);
      for (const f of changed) console.error(`  ${f}`);
      console.error('run `npm run generate` in sdk/ts and commit the result');
      process.exit(1);
    }
    console.log(`src/generated/ matches idl/ (${files(tmp).length} files)`);
  } else {
    rmSync(GENERATED, { recursive: true, force: true });
    cpSync(tmp, GENERATED, { recursive: true });
    console.log(`wrote src/generated/ (${files(GENERATED).length} files)`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
