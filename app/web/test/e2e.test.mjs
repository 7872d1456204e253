// The page against a running local network (validator, oracles, `oracle serve` with this
// build), in Debian's Chromium, with a Wallet Standard test wallet injected: no mock of the
// chain. Started by the driver around `depin-dev sim --keep-running`, which sets:
//
//   DEPIN_WEB_URL          the page (e.g. http://127.0.0.1:8080/)
//   DEPIN_RPC_URL          the validator's JSON-RPC
//   DEPIN_WEB_FIXTURE      a JSON file describing one simulated owner:
//     { "owner": base58,
//       "secret_key": [64 bytes] | "keypair": path of a Solana keypair file,
//       "devices": [device base58, ...],                 exactly the owner's devices
//       "rewards": [{ "epoch": n, "device": base58, "reward": "decimal",
//                     "score"?: "decimal", "reasons"?: "code:count;..." }, ...],
//                                                        every per-epoch row of its devices
//       "claimable": "decimal base units" }              before the test claims
//   DEPIN_TREASURY_REPORT_CMD  (optional) a shell command printing `depin treasury report --json`;
//                          it runs before and after the page loads, and the page is compared
//                          with a report that did not change meanwhile (the live network mints
//                          an epoch every 15 s)
//
// Without them every test here skips, saying why. Screenshots of each page at 1280x800 and
// 390x844 go to target/web-screenshots/ (from the repository root).
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { createSolanaRpc } from '@solana/kit';
import { associatedTokenPda, networkPda, rewards } from '@depin/client';

import { REPO, browserMissing, injectWallet, launch } from './browser.mjs';

const { DEPIN_WEB_URL, DEPIN_RPC_URL, DEPIN_WEB_FIXTURE, DEPIN_TREASURY_REPORT_CMD } = process.env;
const skip =
  browserMissing() ??
  (!DEPIN_WEB_URL || !DEPIN_RPC_URL || !DEPIN_WEB_FIXTURE
    ? 'DEPIN_WEB_URL, DEPIN_RPC_URL and DEPIN_WEB_FIXTURE are not all set (they describe a running `depin-dev sim --keep-running`)'
    : null);
if (skip) console.log(`skipping the end-to-end browser tests: ${skip}`);

const SHOTS = join(REPO, 'target', 'web-screenshots');
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];

async function screenshots(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const was = page.viewportSize();
  for (const vp of VIEWPORTS) {
    await page.setViewportSize(vp);
    await page.waitForTimeout(150);
    const path = join(SHOTS, `${name}-${vp.width}x${vp.height}.png`);
    await page.screenshot({ path, fullPage: true });
    console.log(`screenshot: ${path}`);
  }
  await page.setViewportSize(was);
}

/** A table's CSV (its download link's exact text) as objects by header. */
async function csvRows(page, section) {
  const text = await page.locator(`${section} a.csv`).first().getAttribute('data-csv');
  const [head, ...lines] = text.trimEnd().split('\n');
  const cols = head.split(',');
  return lines.filter(Boolean).map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

if (skip) test('the page on a local network', { skip }, () => {});
else describe('the page on a local network', () => {
  let fixture;
  let browser;
  let rpc;
  before(async () => {
    fixture = JSON.parse(readFileSync(DEPIN_WEB_FIXTURE, 'utf8'));
    if (!fixture.secret_key && fixture.keypair) fixture.secret_key = JSON.parse(readFileSync(fixture.keypair, 'utf8'));
    assert.equal(fixture.secret_key?.length, 64, 'the fixture holds the owner keypair (64 bytes)');
    rpc = createSolanaRpc(DEPIN_RPC_URL);
    browser = await launch();
    await injectWallet(browser.context, fixture.secret_key);
  });
  after(async () => browser?.close());

  async function balance(owner) {
    const [net] = await networkPda();
    const { data } = await rewards.fetchNetwork(rpc, net, { commitment: 'confirmed' });
    const [ata] = await associatedTokenPda(owner, data.mint, data.tokenProgram);
    try {
      const { value } = await rpc.getTokenAccountBalance(ata, { commitment: 'confirmed' }).send();
      return BigInt(value.amount);
    } catch {
      return 0n; // no token account yet: the claim creates it
    }
  }

  test('the owner page shows exactly the owner’s devices, rewards and claimable; the injected wallet claims it all', async () => {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${DEPIN_WEB_URL}#/owner`);
    await page.locator('button[data-wallet="DePIN Test Wallet"]').click();
    await page.locator('#claimable[data-verified="true"]').waitFor({ timeout: 30000 });
    const log = await page.evaluate(() => window.__depinTestWalletLog);
    assert.equal(log[0].address, fixture.owner, 'the wallet holds the fixture owner');

    // Devices: exactly the owner's.
    const devices = await page.locator('#devices tbody tr[data-device]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device')));
    assert.deepEqual([...devices].sort(), [...fixture.devices].sort());

    // Every per-epoch row, all pages.
    while (await page.locator('#more-rewards').count()) {
      const n = await page.locator('#rewards tbody tr[data-epoch]').count();
      await page.locator('#more-rewards').click();
      await page.waitForFunction((m) => document.querySelectorAll('#rewards tbody tr[data-epoch]').length > m || !document.querySelector('#more-rewards'), n);
    }
    const shown = await csvRows(page, '#rewards');
    const key = (r) => `${r.epoch}:${r.device}`;
    const got = new Map(shown.map((r) => [`${r.Epoch}:${r.Device}`, r]));
    // The network stays live: its oracles go on publishing epochs after the fixture was taken.
    // Up to the fixture's last epoch the rows are exactly the fixture's; any later row is one of
    // the owner's devices earning nothing (the fleet has stopped reporting).
    const last = Math.max(...fixture.rewards.map((r) => Number(r.epoch)));
    const later = shown.filter((r) => Number(r.Epoch) > last);
    for (const r of later) {
      assert.ok(fixture.devices.includes(r.Device), `a later row of another device: ${r.Device}`);
      assert.equal(r.Reward, '0', `epoch ${r.Epoch}, published after the fleet stopped, pays nothing`);
    }
    assert.equal(shown.length - later.length, fixture.rewards.length, 'as many rows as the owner’s device-epochs');
    for (const want of fixture.rewards) {
      const row = got.get(key(want));
      assert.ok(row, `a row for epoch ${want.epoch}, device ${want.device}`);
      assert.equal(row.Reward, String(want.reward), `reward of ${key(want)}`);
      if (want.score !== undefined) assert.equal(row.Score, String(want.score), `score of ${key(want)}`);
      if (want.reasons !== undefined) assert.equal(row.Reasons, want.reasons, `reasons of ${key(want)}`);
    }

    // Claimable, verified against the chain's root.
    const claimable = BigInt(await page.locator('#claimable data').getAttribute('value'));
    assert.equal(claimable, BigInt(fixture.claimable));
    await page.locator('#map-h ~ figure, #map-h ~ .status').first().waitFor();
    await screenshots(page, 'owner');

    // One click claims it all; the wallet signs; the balance rises by exactly the claimable.
    const before = await balance(fixture.owner);
    const signs = log.filter((l) => l.method === 'signTransaction').length;
    await page.locator('#claim-button').click();
    await page.locator('#claim-log .status.ok').waitFor({ timeout: 60000 });
    const after = await balance(fixture.owner);
    assert.equal(after - before, claimable, 'the token balance rose by exactly the claimable amount');
    const signed = (await page.evaluate(() => window.__depinTestWalletLog)).filter((l) => l.method === 'signTransaction');
    assert.ok(signed.length > signs, 'the injected wallet signed');
    await page.locator('#claimable[data-verified="true"] data[value="0"]').waitFor({ timeout: 30000 });
    await screenshots(page, 'owner-claimed');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the treasury page’s totals equal `depin treasury report --json` to the base unit', async (t) => {
    if (!DEPIN_TREASURY_REPORT_CMD) {
      t.skip('DEPIN_TREASURY_REPORT_CMD is not set');
      return;
    }
    const cliReport = () => execSync(DEPIN_TREASURY_REPORT_CMD, { encoding: 'utf8' });
    const page = await browser.context.newPage();
    let report;
    for (let attempt = 1; !report; attempt++) {
      const before = cliReport();
      await page.goto(`${DEPIN_WEB_URL}#/treasury`);
      await page.reload();
      await page.locator('#reconcile').waitFor({ timeout: 60000 });
      await page.locator('#revenue-chart canvas, #revenue-chart p').first().waitFor();
      if (cliReport() === before) report = JSON.parse(before);
      else assert.ok(attempt < 4, 'the chain changed while the page loaded, three times');
    }
    await screenshots(page, 'treasury');
    const coins = new Map((await csvRows(page, '#ledger')).map((r) => [r.mint, r]));
    for (const c of report.coins) {
      const row = coins.get(c.mint);
      assert.ok(row, `coin ${c.mint} on the page`);
      for (const [k, v] of Object.entries({
        payments: c.payments,
        received: c.received,
        'buckets.buyback': c.buckets.buyback,
        'buckets.stakers': c.buckets.stakers,
        'buckets.operations': c.buckets.operations,
        bought_back: c.bought_back,
        routed_to_stakers: c.routed_to_stakers,
        swept_to_operations: c.swept_to_operations,
      }))
        assert.equal(row[k], String(v), `${c.mint} ${k}`);
    }
    assert.equal(await page.locator('#split-buyback').getAttribute('value'), String(report.split_bps.buyback));
    assert.equal(await page.locator('#split-stakers').getAttribute('value'), String(report.split_bps.stakers));
    assert.equal(await page.locator('#split-operations').getAttribute('value'), String(report.split_bps.operations));
    assert.equal(await page.locator('#total-bought-burned data').getAttribute('value'), String(report.total_bought_burned));
    if (report.supply) {
      const s = new Map((await csvRows(page, '#supply')).map((r) => [r.figure, r['base units']]));
      assert.equal(s.get('minted'), String(report.supply.minted));
      assert.equal(s.get('supply'), String(report.supply.supply));
      assert.equal(s.get('untracked_burns'), String(report.supply.untracked_burns));
      for (const [k, v] of Object.entries(report.supply.burned)) {
        assert.equal(s.get(k === 'total' ? 'burned.total' : `burned.${k}`), String(v), `burned.${k}`);
      }
    }
    // And the events behind the ledger fold to it exactly.
    await page.locator('#reconcile .status.ok').waitFor();
    await page.close();
  });

  test('the network page reads epochs, proposals, the oracle set and devices by status', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${DEPIN_WEB_URL}#/network`);
    await page.locator('#devices-by-status').waitFor({ timeout: 30000 });
    const total = (await csvRows(page, '#devices-by-status')).reduce((n, r) => n + Number(r.Devices), 0);
    assert.ok(total > 0, 'devices registered');
    await page.locator('#oracles').waitFor();
    await screenshots(page, 'network');
    await page.close();
  });
});
