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
//       "cumulative"?: "decimal base units",             its final cumulative (wallets.csv)
//       "claimable": "decimal base units" }              before the test claims
//   DEPIN_WEB_FIXTURE_POSITION  (optional) a second owner in the same format, with a staking
//                          position and `cumulative`: it claims everything into its position
//   DEPIN_TREASURY_REPORT_CMD  (optional) a shell command printing `depin treasury report --json`;
//                          it runs before and after the page loads, and the page is compared
//                          with a report that did not change meanwhile (the live network mints
//                          an epoch every 15 s)
//
// Without them every test here skips, saying why. Screenshots of each page at 1280x800 and
// 390x844 go to target/web-screenshots/ (from the repository root).
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { createSolanaRpc } from '@solana/kit';
import { associatedTokenPda, claimRecordPda, networkPda, rewards, staking, stakingVaultPda } from '@depin/client';

import { REPO, browserMissing, injectWallet, launch } from './browser.mjs';

const { DEPIN_WEB_URL, DEPIN_RPC_URL, DEPIN_WEB_FIXTURE, DEPIN_WEB_FIXTURE_POSITION, DEPIN_TREASURY_REPORT_CMD } = process.env;
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
    // Tables scroll in their own regions: the page itself never scrolls sideways.
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= vp.width, `${name} at ${vp.width} px is ${wide} px wide`);
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

  test('the second owner, switched to in the wallet, claims everything into its staking position', async (t) => {
    if (!DEPIN_WEB_FIXTURE_POSITION) {
      t.skip('DEPIN_WEB_FIXTURE_POSITION is not set');
      return;
    }
    const fx = JSON.parse(readFileSync(DEPIN_WEB_FIXTURE_POSITION, 'utf8'));
    if (!fx.secret_key && fx.keypair) fx.secret_key = JSON.parse(readFileSync(fx.keypair, 'utf8'));
    assert.equal(fx.secret_key?.length, 64, 'the fixture holds the second owner’s keypair');
    assert.notEqual(fx.owner, fixture.owner, 'another owner than the first test’s');
    const cumulative = BigInt(fx.cumulative);
    const want = BigInt(fx.claimable);
    assert.ok(want > 0n, 'the second owner has something to claim');
    const commitment = 'confirmed';
    const { data: net } = await rewards.fetchNetwork(rpc, (await networkPda())[0], { commitment });
    const [vault] = await stakingVaultPda();
    const tokens = async (account) => BigInt((await rpc.getTokenAccountBalance(account, { commitment }).send()).value.amount);

    // The owner's positions, read here on their own: every account of the staking program,
    // the Positions among them by discriminator, those whose decoded owner is the owner.
    const disc = staking.POSITION_DISCRIMINATOR;
    const owned = (await rpc.getProgramAccounts(staking.STAKING_PROGRAM_ADDRESS, { encoding: 'base64', commitment }).send())
      .map((a) => ({ address: a.pubkey, bytes: Buffer.from(a.account.data[0], 'base64') }))
      .filter((a) => disc.every((b, i) => a.bytes[i] === b))
      .map((a) => ({ address: a.address, data: staking.getPositionDecoder().decode(a.bytes) }))
      .filter((p) => p.data.owner === fx.owner);
    assert.ok(owned.length >= 1, 'the simulated owner staked in a position');
    // The default: the longest lock from now (a cliff's time left, a constant lock's duration).
    const now = BigInt(Math.floor(Date.now() / 1000));
    const lock = (d) => (d.kind === staking.LockupKind.Constant ? d.lockupSecs : d.lockEnd > now ? d.lockEnd - now : 0n);
    const longest = owned.reduce((a, b) => (lock(b.data) > lock(a.data) ? b : a));

    // A wallet holding a fresh key (no leaf, no position) first, and the owner's second.
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const fresh = Buffer.concat([privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32), publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)]);
    const other = await launch();
    try {
      await injectWallet(other.context, fresh, 'DePIN Test Wallet', [fx.secret_key]);
      const errors = [];
      const open = async () => {
        const page = await other.context.newPage();
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${DEPIN_WEB_URL}#/owner`);
        await page.locator('button[data-wallet="DePIN Test Wallet"]').click();
        await page.getByText('Connected:').waitFor();
        return page;
      };
      const switchToOwner = async (page) => {
        assert.equal(await page.evaluate(() => window.__depinTestWalletSwitch(1)), fx.owner);
        await page.locator(`#connect-h ~ p code.key[data-full="${fx.owner}"]`).waitFor({ timeout: 10000 });
        await page.locator(`#claimable[data-verified="true"] data[value="${want}"]`).waitFor({ timeout: 30000 });
        await page.locator('#positions input[name="position"]').first().waitFor({ timeout: 30000 });
      };
      const page = await open();

      // The fresh account: nothing to claim and no position, said plainly; no position button.
      await page.locator('#positions-none').waitFor({ timeout: 30000 });
      assert.match(await page.locator('#positions-none').textContent(), /no staking position/);
      assert.equal(await page.locator('#claim-position-button').count(), 0);

      // The user switches accounts in the wallet: the page follows without a new connect.
      await switchToOwner(page);
      const walletLog = () => page.evaluate(() => window.__depinTestWalletLog);
      const connects = (await walletLog()).filter((l) => l.method === 'connect');
      assert.equal(connects.length, 1, 'connected once, with the fresh account: the switch needed no reconnect');
      assert.notEqual(connects[0].address, fx.owner);

      // The picker: exactly the owner's positions from the chain, amounts exact, the longest lock picked.
      const shown = await page.locator('#positions input[name="position"]').evaluateAll((els) => els.map((e) => ({ address: e.value, amount: e.dataset.amount, checked: e.checked })));
      assert.deepEqual(shown.map((p) => p.address).sort(), owned.map((p) => p.address).sort());
      for (const p of owned) assert.equal(shown.find((x) => x.address === p.address).amount, String(p.data.amount), `amount of ${p.address}`);
      assert.deepEqual(shown.filter((p) => p.checked).map((p) => p.address), [longest.address], 'the longest lock is picked');
      const claimable = BigInt(await page.locator('#claimable data').getAttribute('value'));
      assert.equal(claimable, want, 'the verified claimable is the fixture’s');
      await page.locator('#map-h ~ figure, #map-h ~ .status').first().waitFor();
      await page.locator('#positions').scrollIntoViewIfNeeded();
      await screenshots(page, 'owner-positions');

      // A second tab of the same owner, left open: its claim goes stale once the first lands.
      const stale = await open();
      await switchToOwner(stale);

      // One click claims everything into the position; the wallet signs.
      const [record] = await claimRecordPda(fx.owner);
      const [ata] = await associatedTokenPda(fx.owner, net.mint, net.tokenProgram);
      const walletTokens = async () => ((await rpc.getAccountInfo(ata, { commitment, encoding: 'base64' }).send()).value ? tokens(ata) : 0n);
      const before = {
        position: (await staking.fetchPosition(rpc, longest.address, { commitment })).data.amount,
        vault: await tokens(vault),
        wallet: await walletTokens(),
      };
      await page.locator('#claim-position-button').click();
      await page.locator('#claim-log .status.ok').waitFor({ timeout: 60000 });
      const after = {
        position: (await staking.fetchPosition(rpc, longest.address, { commitment })).data.amount,
        vault: await tokens(vault),
        wallet: await walletTokens(),
      };
      assert.equal(after.position - before.position, claimable, 'the position’s amount rose by exactly the claimable');
      assert.equal(after.vault - before.vault, claimable, 'the staking vault rose by exactly the claimable');
      assert.equal(after.wallet, before.wallet, 'the wallet’s token balance did not change');
      const claimed = (await rewards.fetchClaimRecord(rpc, record, { commitment })).data.claimed;
      assert.equal(claimed, cumulative, 'the claim record holds the whole cumulative');
      const signed = (await walletLog()).filter((l) => l.method === 'signTransaction');
      assert.deepEqual(signed.map((l) => l.address), [fx.owner], 'the owner’s account signed, once');
      await page.locator('#claimable[data-verified="true"] data[value="0"]').waitFor({ timeout: 30000 });
      assert.equal(await page.locator(`#positions li[data-position="${longest.address}"] input`).getAttribute('data-amount'), String(after.position), 'the page shows the new stake');
      await screenshots(page, 'owner-position-claimed');

      // The stale tab's claim: the chain refuses it (simulated before any signing), by name.
      await stale.locator('#claim-position-button').click();
      const refusal = stale.locator('#claim-log .status.error');
      await refusal.waitFor({ timeout: 60000 });
      assert.equal(await refusal.getAttribute('data-error'), 'NothingToClaim', await refusal.textContent());
      assert.match(await refusal.textContent(), /rewards NothingToClaim \(6035\)/);
      assert.deepEqual((await stale.evaluate(() => window.__depinTestWalletLog)).filter((l) => l.method === 'signTransaction'), [], 'the wallet was not asked to sign');
      assert.equal((await staking.fetchPosition(rpc, longest.address, { commitment })).data.amount, after.position, 'nothing changed');
      // The refused tab reads the chain again: 0 left to claim there too.
      await stale.locator('#claimable[data-verified="true"] data[value="0"]').waitFor({ timeout: 30000 });
      assert.deepEqual(errors, []);
    } finally {
      await other.close();
    }
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
