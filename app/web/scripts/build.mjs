#!/usr/bin/env node
// Builds the page into dist/: one minified ES module entry plus lazily loaded chunks (the
// treasury page and uPlot, the transaction view), each named by its content hash; a CSS file
// (ours + uPlot's) named by its hash; index.html pointing at both; a .gz sibling of every file
// (`oracle serve` sends those to browsers that accept gzip). Prints each file's raw and gzip
// size and fails when the JavaScript shipped is over the budget (300 KB gzip).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const BUDGET_GZIP = 300 * 1024;

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// @depin/client is a file: link to sdk/ts, whose dist/ imports @solana/kit from sdk/ts's own
// node_modules. Resolve every @solana/* from here so the bundle holds one copy (same version).
const oneKit = {
  name: 'one-kit',
  setup(build) {
    build.onResolve({ filter: /^@solana\// }, async (args) => {
      if (args.pluginData === 'one-kit') return undefined;
      const r = await build.resolve(args.path, { kind: args.kind, resolveDir: root, pluginData: 'one-kit' });
      return r.errors.length ? undefined : { path: r.path, sideEffects: r.sideEffects };
    });
  },
};

// `@depin/client/{rewards,staking,treasury}`: one program's generated client as a module of
// its own, so the bundle keeps only what the page uses of it (through the package's `rewards`
// namespace export, every instruction builder of every program came along: ~170 KB). sdk/ts
// exports only "."; until it has these subpaths, they resolve here to its generated index files.
export const programSubpaths = {
  name: 'program-subpaths',
  setup(build) {
    build.onResolve({ filter: /^@depin\/client\/(rewards|staking|treasury)$/ }, (args) => ({
      path: join(root, '..', '..', 'sdk', 'ts', 'dist', 'src', 'generated', args.path.split('/')[2], 'index.js'),
    }));
  },
};

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { app: 'src/main.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  outdir: dist,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  metafile: true,
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [programSubpaths, oneKit],
  logLevel: 'warning',
});

const twice = Object.keys(result.metafile.inputs).filter((i) => i.includes('sdk/ts/node_modules/'));
if (twice.length) throw new Error(`a second copy of a dependency from sdk/ts/node_modules: ${twice[0]}`);

const entry = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === 'src/main.ts')?.[0];
if (!entry) throw new Error('no entry output');

// CSS: ours, then uPlot's.
const css = readFileSync(join(root, 'src/style.css'), 'utf8') + '\n' + readFileSync(join(root, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8');
const cssName = `style-${createHash('sha256').update(css).digest('hex').slice(0, 10)}.css`;
writeFileSync(join(dist, cssName), css);

// What the first load needs: the entry and the chunks it imports statically, all preloaded
// from index.html so a slow link pays one round trip for them, not one per level of imports.
const outputs = result.metafile.outputs;
const initial = new Set();
const walk = (f) => {
  if (initial.has(f)) return;
  initial.add(f);
  for (const i of outputs[f]?.imports ?? []) if (i.kind === 'import-statement') walk(i.path);
};
walk(entry);
const rel = (f) => f.replace(/^dist\//, '');
const preloads = [...initial].filter((f) => f !== entry).map((f) => `<link rel="modulepreload" href="${rel(f)}">`).join('\n');

const html = readFileSync(join(root, 'static/index.html'), 'utf8')
  .replace('__CSS__', cssName)
  .replace('__JS__', rel(entry))
  .replace('<!--__PRELOAD__-->', preloads);
writeFileSync(join(dist, 'index.html'), html);

let jsRaw = 0;
let jsGz = 0;
let firstGz = 0;
const rows = [];
for (const name of readdirSync(dist).sort()) {
  const path = join(dist, name);
  if (!statSync(path).isFile()) continue;
  const bytes = readFileSync(path);
  const gz = gzipSync(bytes, { level: 9 });
  writeFileSync(`${path}.gz`, gz);
  const first = initial.has(`dist/${name}`) || name.endsWith('.css') || name === 'index.html';
  rows.push([name, bytes.length, gz.length, first ? 'first load' : 'lazy']);
  if (name.endsWith('.js')) {
    jsRaw += bytes.length;
    jsGz += gz.length;
    if (first) firstGz += gz.length;
  }
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const [name, raw, gz, when] of rows) console.log(`${name.padEnd(34)} ${kb(raw).padStart(10)} ${kb(gz).padStart(10)} gzip  ${when}`);
console.log(`JavaScript: ${kb(jsRaw)} raw, ${kb(jsGz)} gzip in all (${kb(firstGz)} gzip on first load); budget ${kb(BUDGET_GZIP)} gzip`);
if (jsGz > BUDGET_GZIP) {
  console.error(`over budget: ${jsGz} > ${BUDGET_GZIP} bytes of gzip JavaScript`);
  process.exit(1);
}
