// The page in Debian's Chromium without a chain: the build's size budget, no request leaving
// this machine, the first load on "Slow 4G", the Wallet Standard discovery of an injected
// wallet, keyboard use, a 360 px screen, and the palette's contrast. The chain flows are in
// e2e.test.mjs (they need a local network).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';

import { SLOW_4G, WEB, browserMissing, injectWallet, launch, serveDist } from './browser.mjs';

const missing = browserMissing();
const dist = join(WEB, 'dist');

test('the JavaScript shipped is under 300 KB gzip, and index.html and the CSS name no other host', { skip: missing && !readdirSync(WEB).includes('dist') ? missing : false }, () => {
  const js = readdirSync(dist).filter((f) => f.endsWith('.js'));
  const gz = js.reduce((n, f) => n + gzipSync(readFileSync(join(dist, f)), { level: 9 }).length, 0);
  console.log(`JavaScript: ${js.length} files, ${gz} bytes gzip`);
  assert.ok(gz < 300 * 1024, `${gz} bytes gzip`);
  for (const f of readdirSync(dist).filter((f) => /\.(html|css)$/.test(f))) {
    const text = readFileSync(join(dist, f), 'utf8');
    assert.doesNotMatch(text, /(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i, `${f} names a host`);
  }
});

/** sRGB contrast ratio of two #rrggbb colours. */
function contrast(a, b) {
  const lum = (hex) => {
    const [r, g, b2] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b2;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

test('every text colour of the palette has a contrast of at least 4.5:1 on its backgrounds', () => {
  const css = readFileSync(join(WEB, 'src', 'style.css'), 'utf8');
  const v = Object.fromEntries([...css.matchAll(/--([a-z]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1], m[2].toLowerCase()]));
  const pairs = [
    ['fg', 'bg'], ['fg', 'card'], ['muted', 'bg'], ['muted', 'card'], ['link', 'bg'], ['link', 'card'],
    ['ok', 'bg'], ['err', 'bg'], ['warn', 'bg'], ['muted', '#eceef2'], ['#ffffff', 'accent'], ['#4d4d4d', '#e4e6ea'],
  ];
  for (const [f, b] of pairs) {
    const fc = f.startsWith('#') ? f : v[f];
    const bc = b.startsWith('#') ? b : v[b];
    const r = contrast(fc, bc);
    assert.ok(r >= 4.5, `${f} on ${b}: ${r.toFixed(2)}:1`);
  }
});

describe('in Chromium, without a chain', { skip: missing ?? false }, () => {
  let server;
  let browser;
  const RPC = 'http://127.0.0.1:9/'; // nothing listens: the page must still render and say so
  before(async () => {
    server = await serveDist({ DEPIN_RPC_URL: RPC });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    server?.stop();
  });

  test('every page renders, and no request leaves this machine', async () => {
    const page = await browser.context.newPage();
    const urls = [];
    page.on('request', (r) => urls.push(r.url()));
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    for (const [route, heading] of [['owner', 'Your devices and rewards'], ['network', 'The network'], ['treasury', 'Treasury transparency'], ['owner/11111111111111111111111111111111', 'Your devices and rewards']]) {
      await page.goto(`${server.url}#/${route}`);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      if (route !== 'owner') await page.locator('main .status.error').first().waitFor();
    }
    assert.deepEqual(errors, []);
    const off = urls.filter((u) => !u.startsWith(server.url) && !u.startsWith(RPC) && !u.startsWith('data:') && !u.startsWith('blob:'));
    assert.deepEqual(off, [], 'requests to other hosts');
    await page.close();
  });

  /** Milliseconds from navigation until the owner page's form is usable, on a fresh profile. */
  async function firstLoad(cpuSlowdown) {
    const { context, close } = await launch();
    try {
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
      if (cpuSlowdown > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpuSlowdown });
      let bytes = 0;
      cdp.on('Network.loadingFinished', (e) => (bytes += e.encodedDataLength));
      await page.goto(`${server.url}#/owner`, { waitUntil: 'commit' });
      await page.locator('body[data-page="owner"] #wallet-addr').waitFor({ timeout: 20000 });
      const ms = await page.evaluate(() => performance.now());
      return { ms: Math.round(ms), bytes };
    } finally {
      await close();
    }
  }

  test('first load on Slow 4G is interactive in under 3 s', async () => {
    const { ms, bytes } = await firstLoad(1);
    console.log(`Slow 4G: interactive (owner page, form usable) at ${ms} ms after navigation; ${bytes} bytes on the wire`);
    assert.ok(ms < 3000, `${ms} ms`);
    // A slow phone's CPU too (DevTools' 4x slowdown): measured and printed, not asserted.
    const slow = await firstLoad(4);
    console.log(`Slow 4G + 4x CPU slowdown: interactive at ${slow.ms} ms`);
  });

  test('an injected Wallet Standard wallet is found, and connects', async () => {
    const { context, close } = await launch();
    try {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
      const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
      await injectWallet(context, Buffer.concat([seed, pub]));
      const page = await context.newPage();
      await page.goto(`${server.url}#/owner`);
      const button = page.locator('button[data-wallet="DePIN Test Wallet"]');
      await button.click();
      await page.getByText('Connected:').waitFor();
      const log = await page.evaluate(() => window.__depinTestWalletLog);
      assert.equal(log[0].method, 'connect');
      const shown = await page.locator('#connect-h ~ p code.key').getAttribute('data-full');
      assert.equal(shown, log[0].address);
    } finally {
      await close();
    }
  });

  test('switching accounts in the wallet switches the page, with no reconnect; dropping them disconnects', async () => {
    const { context, close } = await launch();
    try {
      const key = () => {
        const { privateKey, publicKey } = generateKeyPairSync('ed25519');
        return Buffer.concat([privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32), publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)]);
      };
      await injectWallet(context, key(), 'DePIN Test Wallet', [key()]);
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}#/owner`);
      await page.locator('button[data-wallet="DePIN Test Wallet"]').click();
      await page.getByText('Connected:').waitFor();
      const first = (await page.evaluate(() => window.__depinTestWalletLog))[0].address;
      const shown = () => page.locator('#connect-h ~ p code.key').first().getAttribute('data-full');
      assert.equal(await shown(), first);
      const second = await page.evaluate(() => window.__depinTestWalletSwitch(1));
      assert.notEqual(second, first);
      await page.locator(`#connect-h ~ p code.key[data-full="${second}"]`).waitFor({ timeout: 5000 });
      await page.getByText(`switched to ${second}`).waitFor();
      // The owner view loads the new account (the chain is unreachable here: it says so).
      await page.getByText(`Loading ${second}`).or(page.locator('#owner-body .status.error')).first().waitFor();
      const log = await page.evaluate(() => window.__depinTestWalletLog);
      assert.deepEqual(log.map((l) => l.method), ['connect', 'switch'], 'no second connect');
      // And back; then the wallet drops its accounts (as on a lock or a revoked site): disconnected.
      await page.evaluate(() => window.__depinTestWalletSwitch(0));
      await page.locator(`#connect-h ~ p code.key[data-full="${first}"]`).waitFor({ timeout: 5000 });
      await page.evaluate(() => window.__depinTestWalletDrop());
      await page.getByText('The wallet disconnected.').waitFor({ timeout: 5000 });
      await page.locator('button[data-wallet="DePIN Test Wallet"]').waitFor();
      assert.equal(await page.getByText('Connected:').count(), 0);
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });

  test('keyboard only: the skip link, then the pages, with a visible focus', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}#/owner`);
    await page.locator('#wallet-addr').waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Treasury');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Treasury transparency' }).waitFor();
    // The address form by keyboard.
    await page.goto(`${server.url}#/owner`);
    await page.locator('#wallet-addr').focus();
    await page.keyboard.type('11111111111111111111111111111111');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/owner\/1{32}$/);
    await page.close();
  });

  test('a 360 px screen scrolls only vertically', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 360, height: 740 });
    for (const route of ['owner', 'network', 'treasury']) {
      await page.goto(`${server.url}#/${route}`);
      await page.locator('main h1').waitFor();
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, `#/${route} is ${width} px wide`);
    }
    await page.close();
  });
});
