// What the browser tests share: Debian's Chromium through playwright-core (never a downloaded
// browser), with the flags that work on this project's machines; the dev server over dist/;
// the in-page test wallet, bundled from test/wallet/testWallet.ts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';

export const WEB = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = join(WEB, '..', '..');
export const CHROMIUM = process.env.DEPIN_CHROMIUM ?? '/usr/bin/chromium';

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser tests cannot run here, or null. */
export function browserMissing() {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (app/web/scripts/setup installs Debian's)`;
  if (!existsSync(join(WEB, 'dist', 'index.html'))) return 'no app/web/dist (npm run build)';
  return null;
}

/** Chromium, headless, with a fresh profile (removed on close). */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'depin-web-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

/** The dev server over dist/ on a free port, with `env` for its config.json; resolves to its URL. */
export async function serveDist(env = {}) {
  const child = spawn(process.execPath, [join(WEB, 'scripts', 'serve.mjs')], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) resolve(m[0]);
    });
    child.on('exit', (code) => reject(new Error(`serve.mjs exited ${code}`)));
  });
  return { url, stop: () => child.kill() };
}

let walletScript;
/** The test wallet as one classic script (an init script runs before the page's own). */
export async function testWalletScript() {
  walletScript ??= (
    await esbuild.build({
      entryPoints: [join(WEB, 'test', 'wallet', 'testWallet.ts')],
      bundle: true,
      format: 'iife',
      write: false,
      minify: true,
      target: 'chrome120',
      logLevel: 'warning',
    })
  ).outputFiles[0].text;
  return walletScript;
}

/**
 * Injects the test wallet holding `secretKey` (64 bytes) into every page of `context`; `more`:
 * further accounts it holds, to switch to with `window.__depinTestWalletSwitch(i)`.
 */
export async function injectWallet(context, secretKey, name = 'DePIN Test Wallet', more = []) {
  const given = { secretKey: [...secretKey], name, more: more.map((k) => [...k]) };
  await context.addInitScript({ content: `window.__depinTestWallet = ${JSON.stringify(given)};` });
  await context.addInitScript({ content: await testWalletScript() });
}

/** Chromium DevTools' "Slow 4G" preset. */
export const SLOW_4G = { offline: false, latency: 562.5, downloadThroughput: 180000, uploadThroughput: 84375 };
