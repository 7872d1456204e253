/**
 * The page: loads /config.json, then routes on the hash: `#/owner[/<wallet>]`, `#/treasury`,
 * `#/network`, `#/tx/<signature>`. No cookies, no storage, no third-party request: the page
 * talks only to its own origin (the API, config) and the configured JSON-RPC (and map tiles if
 * configured).
 */
import { loadConfig, makeCtx, type Ctx } from './app.ts';
import { h, mount, view } from './dom.ts';
import { renderNetwork } from './network.ts';
import { renderOwner } from './owner.ts';

let ctx: Ctx;

function route(focus = true): void {
  const main = document.getElementById('main')!;
  const hash = location.hash || '#/owner';
  const [, page = 'owner', arg = null] = hash.split('/');
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a[data-page]')) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const titles: Record<string, string> = { owner: 'Owner', treasury: 'Treasury', network: 'Network', tx: 'Transaction' };
  document.title = `${titles[page] ?? 'Not found'} · DePIN rewards`;
  if (page === 'owner') renderOwner(ctx, main, arg);
  else if (page === 'network') renderNetwork(ctx, main);
  else if (page === 'treasury') {
    mount(main, h('p', { class: 'status', role: 'status' }, 'Loading…'));
    void import('./treasury.ts').then((m) => m.renderTreasury(ctx, main));
  } else if (page === 'tx' && arg) void import('./tx.ts').then((m) => m.renderTx(ctx, main, arg));
  else mount(main, h('h1', null, 'Not found'), h('p', null, h('a', { href: '#/owner' }, 'Go to your devices')));
  // After a navigation, focus moves to the new content (screen readers read it); not on first load.
  if (focus) main.focus({ preventScroll: true });
  document.body.dataset.page = page;
}

async function start(): Promise<void> {
  ctx = makeCtx(await loadConfig());
  const toggle = document.getElementById('base-units') as HTMLInputElement;
  toggle.addEventListener('change', () => {
    view.baseUnits = toggle.checked;
    route();
  });
  window.addEventListener('hashchange', () => route());
  route(false);
}

void start();
