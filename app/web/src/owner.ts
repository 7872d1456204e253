/**
 * The owner view (`#/owner`, or read-only `#/owner/<wallet>`): the wallet's devices (read from
 * the chain: rewards `Device` accounts whose `owner` is the wallet), their cells on a map, what
 * each earned per epoch and why (the API's index of the published devices.csv), and the claim:
 * the API's summary is used only once its proof folds up to the final root read from the chain
 * (`claimArgsFromSummary`), and the claimed amount is the wallet's claim record on chain. The
 * claim goes to the wallet, or into one of its staking positions (read from the chain: staking
 * `Position` accounts whose `owner` is the wallet): the only one, else the one the owner picks
 * (none is picked for them), the lock it puts the rewards under on the button itself. Switching
 * accounts in the wallet redraws the view for the new account.
 */
import { getBase58Decoder, getBase64Encoder, isAddress, type Address } from '@solana/kit';
import {
  REWARDS_PROGRAM_ADDRESS,
  claimArgsFromSummary,
  claimRecordPda,
  fetchWalletPositions,
  fetchWalletSummary,
  parseDecimalU64,
  positionLockSecs,
  type DeviceReward,
  type WalletPosition,
  type WalletSummary,
} from '@depin/client';
import * as rewards from '@depin/client/rewards';
import { LockupKind } from '@depin/client/staking';

import { apiJson, fetchNetwork, txHref, type Ctx } from './app.ts';
import { claimAll, claimToPosition, refusalName, type ClaimStep } from './claimFlow.ts';
import { amount, errorText, h, int, key, mount, status, table, time, type Column } from './dom.ts';
import { cellHex, cellMap, fetchCell, type Cell } from './map.ts';
import { connect, disconnect, listWallets, onSessionChange, session } from './wallet.ts';

/** Where `owner` sits in a `Device` account: discriminator 8, bump 1, kind 1, status 1, device 32. */
export const DEVICE_OWNER_OFFSET = 43n;

export type OwnedDevice = { readonly address: Address; readonly data: rewards.Device };

/** The wallet's devices, from the chain. */
export async function fetchOwnerDevices(ctx: Ctx, owner: Address): Promise<OwnedDevice[]> {
  const disc = getBase58Decoder().decode(rewards.DEVICE_DISCRIMINATOR);
  const accounts = await ctx.rpc
    .getProgramAccounts(REWARDS_PROGRAM_ADDRESS, {
      encoding: 'base64',
      commitment: 'confirmed',
      filters: [
        { memcmp: { offset: 0n, bytes: disc as never, encoding: 'base58' } },
        { memcmp: { offset: DEVICE_OWNER_OFFSET, bytes: owner as never, encoding: 'base58' } },
      ],
    })
    .send();
  const b64 = getBase64Encoder();
  const decoder = rewards.getDeviceDecoder();
  return accounts
    .map((a) => ({ address: a.pubkey, data: decoder.decode(b64.encode(a.account.data[0])) }))
    .sort((a, b) => (a.data.device < b.data.device ? -1 : 1));
}

type RewardsPage = { rows: DeviceReward[]; next: string | null };

function parsePage(json: unknown): RewardsPage {
  const o = json as { rows?: unknown[]; next?: string | null };
  if (!Array.isArray(o.rows)) throw new Error('rewards page: no rows');
  return {
    next: typeof o.next === 'string' ? o.next : null,
    rows: o.rows.map((r, i) => {
      const row = r as Record<string, unknown>;
      const at = `rows[${i}]`;
      return {
        epoch: BigInt(row.epoch as number),
        device: String(row.device),
        score: parseDecimalU64(row.score, `${at}.score`),
        reward: parseDecimalU64(row.reward, `${at}.reward`),
        reasons: ((row.reasons as Record<string, unknown>[]) ?? []).map((x) => ({
          code: String(x.code),
          count: BigInt(x.count as number),
          meaning: String(x.meaning ?? ''),
        })),
        final: row.final === true,
      };
    }),
  };
}

export async function fetchRewardsPage(ctx: Ctx, wallet: string, cursor: string | null, limit = 100): Promise<RewardsPage> {
  const q = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  return parsePage(await apiJson(ctx, `/v1/wallets/${wallet}/rewards${q}`));
}

/** What the owner may claim, as far as the chain confirms it. */
export type Verified =
  | {
      readonly ok: true;
      readonly args: rewards.ClaimArgs | null;
      readonly cumulative: bigint;
      readonly claimed: bigint;
      /** Whether the wallet's `ClaimRecord` exists (else the first claim creates it, and pays its rent). */
      readonly hasRecord: boolean;
    }
  | { readonly ok: false; readonly reason: string };

export async function verifyClaim(ctx: Ctx, wallet: Address, summary: WalletSummary, net: rewards.Network): Promise<Verified> {
  try {
    const args = await claimArgsFromSummary(summary, wallet, net.finalRoot);
    const [record] = await claimRecordPda(wallet);
    const rec = await rewards.fetchMaybeClaimRecord(ctx.rpc, record, { commitment: 'confirmed' });
    const claimed = rec.exists ? rec.data.claimed : 0n;
    return { ok: true, args, cumulative: args?.cumulativeAmount ?? 0n, claimed, hasRecord: rec.exists };
  } catch (e) {
    return { ok: false, reason: errorText(e) };
  }
}

const reasonsCell = (r: DeviceReward) =>
  r.reasons.length === 0
    ? h('span', { class: 'muted' }, 'none')
    : h(
        'ul',
        { class: 'reasons' },
        r.reasons.map((x) =>
          h('li', null, h('code', null, x.code), ` ×${x.count}`, x.meaning ? h('span', { class: 'meaning' }, ` — ${x.meaning}`) : ''),
        ),
      );

const reasonsCsv = (r: DeviceReward) => r.reasons.map((x) => `${x.code}:${x.count}`).join(';');

/** A duration in days (and hours under a week), for a lock. */
function duration(secs: bigint): string {
  const days = secs / 86_400n;
  if (days >= 7n) return `${int(days)} days`;
  const hours = (secs % 86_400n) / 3_600n;
  return days > 0n ? `${days} d ${hours} h` : hours > 0n ? `${hours} h` : `${secs} s`;
}

/** Unix seconds as a UTC day, `2027-03-01`. */
const day = (unix: bigint) => new Date(Number(unix) * 1000).toISOString().slice(0, 10);

const YEAR = 365n * 86_400n;

/** A lock's length for a button: years (to a tenth) from one year, else days, else hours. */
export function lockSpan(secs: bigint): string {
  const plural = (n: string, unit: string) => `${n} ${unit}${n === '1' ? '' : 's'}`;
  if (secs >= YEAR) {
    const tenths = (secs * 10n + YEAR / 2n) / YEAR;
    return plural(tenths % 10n === 0n ? `${tenths / 10n}` : `${tenths / 10n}.${tenths % 10n}`, 'year');
  }
  if (secs >= 86_400n) return plural(int(secs / 86_400n), 'day');
  if (secs >= 3_600n) return plural(String(secs / 3_600n), 'hour');
  return plural(String(secs), 'second');
}

/**
 * The lock a claim into `p` puts the tokens under, for its button (`Position` in
 * programs/staking/src/state/position.rs): a cliff ends at `lock_end` ("locked until
 * 2027-03-01"); a constant lock keeps `lockup_secs` left until the owner starts the unlock
 * ("locked 4 years (constant)"); a cliff past its end locks nothing.
 */
export function lockPhrase(p: WalletPosition['data'], now: bigint): string {
  if (p.kind === LockupKind.Constant) return `locked ${lockSpan(p.lockupSecs)} (constant)`;
  return p.lockEnd > now ? `locked until ${day(p.lockEnd)}` : p.lockEnd > 0n ? `not locked (its lock ended ${day(p.lockEnd)})` : 'not locked';
}

/** A position's lock in words, as of unix time `now`. */
function lockText(p: WalletPosition, now: bigint): (string | HTMLElement)[] {
  const d = p.data;
  if (d.kind === LockupKind.Constant) return [`constant lock of ${duration(d.lockupSecs)} (it does not run down until unlocked)`];
  const left = positionLockSecs(d, now);
  return left > 0n ? ['cliff lock until ', time(d.lockEnd), ` (${duration(left)} left)`] : ['unlocked (no lock left)'];
}

// ---- the view ----

export function renderOwner(ctx: Ctx, main: HTMLElement, walletParam: string | null): void {
  const connectBox = h('section', { 'aria-labelledby': 'connect-h', class: 'card' });
  const body = h('div', { id: 'owner-body' });
  mount(main, h('h1', null, 'Your devices and rewards'), connectBox, body);

  const target = (): string | null => walletParam ?? session.connected?.account.address ?? null;

  const drawConnect = (note?: string) => {
    const wallets = listWallets(() => drawConnect());
    const c = session.connected;
    const form = h(
      'form',
      { class: 'inline', onsubmit: ((e: Event) => {
        e.preventDefault();
        const v = (form.querySelector('input') as HTMLInputElement).value.trim();
        location.hash = `#/owner/${v}`;
      }) as EventListener },
      h('label', { for: 'wallet-addr' }, 'Or view any wallet (read-only): '),
      h('input', { id: 'wallet-addr', name: 'wallet', autocomplete: 'off', spellcheck: 'false', placeholder: 'wallet address', value: walletParam ?? '', size: 44, required: true }),
      h('button', { type: 'submit' }, 'View'),
    );
    mount(
      connectBox,
      h('h2', { id: 'connect-h' }, 'Wallet'),
      c
        ? h('p', null, 'Connected: ', h('strong', null, c.wallet.name), ' ', key(c.account.address), ' ',
            h('button', { type: 'button', onclick: (async () => { await disconnect(); drawConnect(); load(); }) as EventListener }, 'Disconnect'))
        : wallets.length === 0
          ? h('p', null, 'No browser wallet found (one that supports the Wallet Standard with Solana signing). You can still view a wallet by its address.')
          : h('p', { class: 'wallets' }, 'Connect: ', wallets.map((w) =>
              h('button', { type: 'button', class: 'wallet', 'data-wallet': w.name, onclick: (async () => {
                try {
                  await connect(w);
                  if (walletParam && walletParam !== session.connected?.account.address) location.hash = '#/owner';
                  drawConnect();
                  load();
                } catch (e) {
                  connectBox.append(status(`Could not connect ${w.name}: ${errorText(e)}`, 'error'));
                }
              }) as EventListener }, w.icon ? h('img', { src: w.icon, alt: '', width: 20, height: 20 }) : '', w.name))),
      form,
      note ? status(note) : '',
    );
  };

  let generation = 0;
  const load = async () => {
    const wallet = target();
    const gen = ++generation;
    if (!wallet) {
      mount(body, status('Connect a wallet, or enter an address, to see its devices and rewards.'));
      return;
    }
    if (!isAddress(wallet)) {
      mount(body, status(`“${wallet}” is not a Solana address.`, 'error'));
      return;
    }
    mount(body, status(`Loading ${wallet}…`));
    const addr = wallet as Address;
    const [net, devices, summary, page, positions, rent] = await Promise.allSettled([
      fetchNetwork(ctx),
      fetchOwnerDevices(ctx, addr),
      fetchWalletSummary(ctx.api || location.origin, addr),
      fetchRewardsPage(ctx, addr, null),
      fetchWalletPositions(ctx.rpc, addr),
      // What the first claim pays for the wallet's claim record, which it creates.
      ctx.rpc.getMinimumBalanceForRentExemption(BigInt(rewards.getClaimRecordSize()), { commitment: 'confirmed' }).send(),
    ]);
    if (gen !== generation) return;
    const first = net.status === 'fulfilled' ? net.value : null;
    if (!first) {
      mount(body, status(net.status === 'rejected' ? `The chain could not be read: ${errorText(net.reason)}` : 'No rewards network on this chain yet (run `depin migrate`).', 'error'));
      return;
    }
    // The rewards network as last read: read again with every refresh of the claim, since its
    // final root moves on (a new final epoch) while the page stays open.
    let network: rewards.Network = first;
    const dec = network.decimals;
    const sections: HTMLElement[] = [];

    // The claim.
    const claimBox = h('section', { 'aria-labelledby': 'claim-h', class: 'card', id: 'claim' });
    sections.push(claimBox);
    // What the last claim did: kept across redraws of the figures.
    const log = h('div', { id: 'claim-log', 'aria-live': 'polite' });
    // The wallet's staking positions (re-read after each claim) and the one picked.
    let owned = positions;
    let picked: Address | null = null;
    const done = (steps: ClaimStep[], what: string) =>
      mount(log, status(what, 'ok'), h('ul', null, steps.map((st) => h('li', null, `${st.what} (${st.bytes} bytes): `, h('a', { href: txHref(ctx, st.signature), class: 'sig' }, st.signature)))));
    /** Shows why a claim failed; when the chain refused it, the figures are read again (they were stale). */
    const failed = (e: unknown, what: string, refresh: () => Promise<void>) => {
      const line = status(`${what}: ${errorText(e)}`, 'error');
      const name = refusalName(e);
      if (name) line.setAttribute('data-error', name);
      mount(log, line);
      if (name) void refresh();
    };
    /** The connected wallet, if it is still the one this view shows. */
    const signer = () => (session.connected?.account.address === wallet ? session.connected : null);
    const drawClaim = async (s: WalletSummary | null, summaryError: string | null) => {
      if (!s) {
        mount(claimBox, h('h2', { id: 'claim-h' }, 'Claim'), status(`The rewards API did not answer: ${summaryError}`, 'error'));
        return;
      }
      const v = await verifyClaim(ctx, addr, s, network);
      if (gen !== generation) return;
      const claimable = v.ok ? v.cumulative - v.claimed : null;
      const mine = session.connected?.account.address === wallet;
      const canClaim = mine && v.ok && !!v.args && claimable! > 0n;
      // After a claim (or a refusal, or on request): the network (its final root may have
      // moved on), the summary and the positions again, then the figures.
      const refresh = async () => {
        const [netAgain, fresh, again] = await Promise.allSettled([
          fetchNetwork(ctx),
          fetchWalletSummary(ctx.api || location.origin, addr),
          fetchWalletPositions(ctx.rpc, addr),
        ]);
        if (gen !== generation) return;
        if (netAgain.status === 'fulfilled' && netAgain.value) network = netAgain.value;
        owned = again;
        await drawClaim(fresh.status === 'fulfilled' ? fresh.value : s, null);
      };
      const rentNote = (id: string) => firstClaimRent(v, id);
      const walletRent = rentNote('claim-rent');
      const button = h('button', { type: 'button', id: 'claim-button', class: 'primary', disabled: !canClaim, 'aria-describedby': walletRent ? 'claim-rent' : null }, 'Claim everything');
      button.addEventListener('click', async () => {
        const c = signer();
        if (!v.ok || !v.args || !c) return;
        button.disabled = true;
        try {
          const steps = await claimAll(ctx, c, v.args, { mint: network.mint, tokenProgram: network.tokenProgram }, (t) => mount(log, status(t)));
          done(steps, 'Claimed.');
          await refresh();
        } catch (e) {
          failed(e, 'The claim failed', refresh);
          button.disabled = false;
        }
      });
      mount(
        claimBox,
        h('h2', { id: 'claim-h' }, 'Claim'),
        h('dl', { class: 'figures' },
          h('div', null, h('dt', null, 'Earned (cumulative, final root)'), h('dd', { id: 'cumulative' }, amount(v.ok ? v.cumulative : s.cumulative, dec))),
          h('div', null, h('dt', null, 'Claimed (on chain)'), h('dd', { id: 'claimed' }, amount(v.ok ? v.claimed : s.claimed, dec))),
          h('div', null, h('dt', null, 'Claimable now'), h('dd', { id: 'claimable', 'data-verified': String(v.ok) }, v.ok ? amount(claimable!, dec) : h('span', null, amount(s.claimable, dec), ' (API, not verified)'))),
        ),
        v.ok
          ? status(
              v.args
                ? `Verified against the chain root: the proof folds to the final root of epochs 0–${network.finalRoot.epochs - 1n} read from the chain.`
                : s.finalRoot ? 'This wallet has no leaf in the final root: nothing to claim yet.' : 'No final root on chain yet.',
              'ok',
            )
          : h('div', null,
              status(`Not verified: ${v.reason}`, 'error'),
              h('button', { type: 'button', id: 'claim-recheck', onclick: (() => void refresh()) as EventListener }, 'Read the chain and the API again')),
        mine ? '' : h('p', { class: 'muted' }, session.connected ? 'The connected wallet is not this one: read-only.' : 'Connect this wallet to claim.'),
        h('p', { class: 'claim-to' }, button, ' ', h('span', { class: 'muted' }, 'to the wallet’s token account', walletRent ? '.' : ''), walletRent ? [' ', walletRent] : ''),
        positionPicker(v, canClaim, refresh, rentNote('claim-position-rent')),
        log,
      );
    };

    /**
     * The first claim's rent: the wallet's `ClaimRecord` does not exist yet, so the claim (either
     * kind) creates it and the wallet pays its rent-exempt lamports. Null once it exists (or
     * when unknown).
     */
    const firstClaimRent = (v: Verified, id: string): HTMLElement | null => {
      if (!v.ok || v.hasRecord || rent.status !== 'fulfilled') return null;
      return h('span', { id, class: 'muted rent', 'data-lamports': String(rent.value) },
        'First claim: the wallet also pays ', amount(rent.value, 9, 'SOL'),
        ` rent for its claim record (${rewards.getClaimRecordSize()} bytes), which the claim creates.`);
    };

    /**
     * The wallet's positions to claim into, each with its stake, its lock, the devices whose
     * collateral it holds and any pending slash. One position is picked for the owner only when
     * it is the only one; with more, the owner picks (the button says which and under what lock).
     */
    const positionPicker = (v: Verified, canClaim: boolean, refresh: () => Promise<void>, rentNote: HTMLElement | null): HTMLElement => {
      const mine = signer() !== null;
      const box = h('fieldset', { id: 'positions', class: 'positions', 'aria-describedby': 'positions-help' },
        h('legend', null, 'Or claim everything into a staking position'),
        h('p', { id: 'positions-help', class: 'muted' },
          'The claimed tokens are added to the position’s stake at once, under its lock (rewards ',
          h('code', null, 'claim_to_position'), '): nothing is paid to the wallet, and the tokens stay locked until the position’s lock ends. The wallet signs.'));
      if (owned.status === 'rejected') {
        box.append(status(`Staking positions could not be read from the chain: ${errorText(owned.reason)}`, 'error'));
        return box;
      }
      const list = owned.value;
      if (list.length === 0) {
        const none = status(
          mine
            ? 'This wallet has no staking position to claim into: open one first (staking `stake`, e.g. `depin stake lock`), or claim to the wallet above.'
            : 'This wallet has no staking position.',
          'warn',
        );
        none.id = 'positions-none';
        box.append(none);
        return box;
      }
      const now = BigInt(Math.floor(Date.now() / 1000));
      // The only position is the one; among several, none is picked for the owner (each locks
      // the claim differently); a pick made survives the redraws after a claim.
      if (list.length === 1) picked = list[0]!.address;
      else if (picked && !list.some((p) => p.address === picked)) picked = null;
      const hint = h('p', { id: 'position-hint', class: 'muted', 'aria-live': 'polite' });
      const button = h('button', {
        type: 'button', id: 'claim-position-button', class: 'primary',
        'aria-describedby': ['position-hint', rentNote ? 'claim-position-rent' : ''].filter(Boolean).join(' '),
      }, '');
      const label = () => {
        const p = list.find((x) => x.address === picked);
        button.textContent = p ? `Claim everything into position ${p.data.id}, ${lockPhrase(p.data, now)}` : 'Claim everything into a position';
        button.disabled = !canClaim || !p;
        hint.textContent = !p && canClaim
          ? `Pick one of the ${list.length} positions above first: each puts the claim under its own lock, so none is picked for you.`
          : '';
      };
      const finalEpochs = network.finalRoot.epochs;
      const items = list.map((p) => {
        const id = `position-${p.address}`;
        const d = p.data;
        const input = h('input', {
          type: 'radio', name: 'position', id, value: p.address, checked: p.address === picked,
          'data-amount': String(d.amount), 'data-lock-secs': String(positionLockSecs(d, now)),
          'aria-describedby': `${id}-risk`,
          onchange: (() => { picked = p.address; label(); }) as EventListener,
        });
        // Devices whose collateral this position holds: an offence of any of them is slashed as
        // a share of the position's balance, so what is claimed into it is at stake too.
        const liable = d.liableDevices > 0 && finalEpochs < d.liableUntilEpochs ? d.liableDevices : 0;
        const slash = d.pendingSlash.__option === 'Some' ? d.pendingSlash.value : null;
        const risk = h('span', { id: `${id}-risk`, class: 'risk', 'data-bound-devices': d.boundDevices, 'data-liable-devices': liable, 'data-pending-slash': slash ? String(slash.amount) : null },
          d.boundDevices === 0 && liable === 0
            ? h('span', { class: 'muted' }, 'Collateral of no device.')
            : [
                `Collateral of ${int(d.boundDevices)} bound device${d.boundDevices === 1 ? '' : 's'}`,
                liable > 0 ? ` and ${int(liable)} released device${liable === 1 ? '' : 's'} still liable until ${int(d.liableUntilEpochs)} epochs are final` : '',
                ': a slash for their offences takes a share of the position’s whole balance, so it grows with what is claimed into it.',
              ],
          slash
            ? h('span', { class: 'badge warn' }, ' A slash of ', amount(slash.amount, dec), ` (${slash.amountBps / 100}%) is pending: nothing can leave this position until its appeal window ends at `, time(slash.appealEnds), ' and the slash is executed, unless governance overturns it first.')
            : '');
        return h('li', { 'data-position': p.address },
          input,
          h('label', { for: id },
            h('strong', null, `Position ${d.id}`), ': ', amount(d.amount, dec), ' staked; ', ...lockText(p, now),
            h('br'), risk,
            h('br'), h('span', { class: 'muted' }, 'account '), key(p.address)));
      });
      label();
      button.addEventListener('click', async () => {
        const c = signer();
        if (!v.ok || !v.args || !c || !picked) return;
        button.disabled = true;
        try {
          const steps = await claimToPosition(ctx, c, v.args, picked, { tokenProgram: network.tokenProgram }, (t) => mount(log, status(t)));
          const p = list.find((x) => x.address === picked);
          done(steps, p ? `Claimed into position ${p.data.id}, ${lockPhrase(p.data, now)}.` : `Claimed into position ${picked}.`);
          await refresh();
        } catch (e) {
          failed(e, 'The claim into the position failed', refresh);
          button.disabled = false;
        }
      });
      box.append(h('ul', { class: 'choices' }, items), h('p', { class: 'claim-to' }, button, rentNote ? [' ', rentNote] : ''), hint);
      return box;
    };
    await drawClaim(summary.status === 'fulfilled' ? summary.value : null, summary.status === 'rejected' ? errorText(summary.reason) : null);

    // The devices.
    const devs = devices.status === 'fulfilled' ? devices.value : [];
    const lastRewards = new Map<string, DeviceReward>();
    if (summary.status === 'fulfilled') for (const d of summary.value.devices) lastRewards.set(d.device, d);
    const devCols: Column<OwnedDevice>[] = [
      { title: 'Device', cell: (d) => key(d.data.device), csv: (d) => d.data.device },
      { title: 'Kind', cell: (d) => rewards.DeviceKind[d.data.kind] ?? String(d.data.kind), csv: (d) => rewards.DeviceKind[d.data.kind] ?? '' },
      { title: 'Status', cell: (d) => rewards.DeviceStatus[d.data.status] ?? String(d.data.status), csv: (d) => rewards.DeviceStatus[d.data.status] ?? '' },
      { title: 'H3 cell', cell: (d) => h('code', null, cellHex(d.data.location) ?? '—'), csv: (d) => cellHex(d.data.location) ?? '' },
      { title: 'Onboarded', cell: (d) => time(d.data.onboardedAt), csv: (d) => d.data.onboardedAt },
      { title: 'Last final epoch reward', num: true, cell: (d) => { const r = lastRewards.get(d.data.device); return r ? amount(r.reward, dec) : '—'; }, csv: (d) => lastRewards.get(d.data.device)?.reward ?? '' },
      { title: 'Why less', cell: (d) => { const r = lastRewards.get(d.data.device); return r ? reasonsCell(r) : '—'; }, csv: (d) => { const r = lastRewards.get(d.data.device); return r ? reasonsCsv(r) : ''; } },
    ];
    const devSection = h('section', { 'aria-labelledby': 'devices-h', class: 'card', id: 'devices' },
      h('h2', { id: 'devices-h' }, `Devices (${devs.length})`),
      devices.status === 'rejected' ? status(`Devices could not be read from the chain: ${errorText(devices.reason)}`, 'error') : '',
      table('Devices owned by this wallet, from the chain', devCols, devs, 'devices'));
    for (const tr of devSection.querySelectorAll('tbody tr')) {
      const i = [...tr.parentElement!.children].indexOf(tr);
      if (devs[i]) tr.setAttribute('data-device', devs[i].data.device);
    }
    sections.push(devSection);
    const mapBox = h('section', { 'aria-labelledby': 'map-h', class: 'card' }, h('h2', { id: 'map-h' }, 'Map'), status('Loading cells…'));
    sections.push(mapBox);

    // The rewards per epoch, paged.
    const rewSection = h('section', { 'aria-labelledby': 'rewards-h', class: 'card', id: 'rewards' }, h('h2', { id: 'rewards-h' }, 'Rewards per epoch'));
    sections.push(rewSection);
    const rows: DeviceReward[] = [];
    const rewCols: Column<DeviceReward>[] = [
      { title: 'Epoch', num: true, cell: (r) => int(r.epoch), csv: (r) => r.epoch },
      { title: 'Device', cell: (r) => key(r.device), csv: (r) => r.device },
      { title: 'Score', num: true, cell: (r) => int(r.score), csv: (r) => r.score },
      { title: 'Reward', num: true, cell: (r) => amount(r.reward, dec), csv: (r) => r.reward },
      { title: 'Reasons', cell: reasonsCell, csv: reasonsCsv },
      { title: 'Final', cell: (r) => (r.final ? 'yes' : 'pending'), csv: (r) => String(r.final) },
    ];
    const drawRewards = (next: string | null, err: string | null) => {
      const t = table('Each device’s score, reward and reasons, newest epoch first (rewards API)', rewCols, rows, 'rewards');
      t.querySelectorAll('tbody tr').forEach((tr, i) => {
        const r = rows[i];
        if (r) {
          tr.setAttribute('data-epoch', String(r.epoch));
          tr.setAttribute('data-device', r.device);
          tr.setAttribute('data-reward', String(r.reward));
        }
      });
      const more = next
        ? h('button', { type: 'button', id: 'more-rewards', onclick: (async () => {
            try {
              const p = await fetchRewardsPage(ctx, wallet, next);
              rows.push(...p.rows);
              drawRewards(p.next, null);
            } catch (e) {
              drawRewards(next, errorText(e));
            }
          }) as EventListener }, 'Load older epochs')
        : h('p', { class: 'muted', id: 'rewards-complete' }, `All ${rows.length} row(s) shown.`);
      mount(rewSection, h('h2', { id: 'rewards-h' }, 'Rewards per epoch'), err ? status(err, 'error') : '', t, more);
    };
    if (page.status === 'fulfilled') {
      rows.push(...page.value.rows);
      drawRewards(page.value.next, null);
    } else drawRewards(null, `The rewards API did not answer: ${errorText(page.reason)}`);

    mount(body, ...sections);

    // The cells, after the tables are on screen.
    const hexes = [...new Set(devs.map((d) => cellHex(d.data.location)).filter((x): x is string => !!x))];
    const cells = (await Promise.all(hexes.map((c) => fetchCell(ctx, c)))).filter((c): c is Cell => !!c);
    if (gen !== generation) return;
    mount(mapBox, h('h2', { id: 'map-h' }, 'Map'),
      cellMap(ctx, cells, devs.flatMap((d) => { const c = cellHex(d.data.location); return c ? [{ cell: c, label: d.data.device, active: d.data.status === rewards.DeviceStatus.Active }] : []; })),
      cells.length < hexes.length ? status(`${hexes.length - cells.length} cell(s) could not be outlined (GET /v1/cells).`, 'warn') : '');
  };

  // The wallet switched accounts (or dropped them): this view follows, no reconnecting.
  const off = onSessionChange(() => {
    if (!connectBox.isConnected) {
      off();
      return;
    }
    const c = session.connected;
    drawConnect(c ? `${c.wallet.name} switched to ${c.account.address}.` : 'The wallet disconnected.');
    void load();
  });
  drawConnect();
  void load();
}
