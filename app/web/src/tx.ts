/**
 * `#/tx/<signature>`: one transaction as the validator returns it (there is no explorer offline):
 * slot, time, status, fee, the account keys (with those loaded from lookup tables), the program
 * logs, and the treasury events it carries.
 */
import type { Signature } from '@solana/kit';

import type { Ctx } from './app.ts';
import { eventsOfTransaction, type RpcTransaction } from './treasuryEvents.ts';
import { errorText, h, int, key, mount, status, time } from './dom.ts';

export function renderTx(ctx: Ctx, main: HTMLElement, signature: string): void {
  const body = h('div');
  mount(main, h('h1', null, 'Transaction'), h('p', null, h('code', { class: 'wrap', id: 'tx-signature' }, signature)), body);
  void (async () => {
    mount(body, status('Reading the transaction…'));
    try {
      const tx = (await ctx.rpc
        .getTransaction(signature as Signature, { encoding: 'json', maxSupportedTransactionVersion: 0, commitment: 'confirmed' })
        .send()) as unknown as RpcTransaction | null;
      if (!tx) {
        mount(body, status('The validator does not have this transaction (not found, or pruned).', 'warn'));
        return;
      }
      const keys = [...tx.transaction.message.accountKeys, ...(tx.meta?.loadedAddresses?.writable ?? []), ...(tx.meta?.loadedAddresses?.readonly ?? [])];
      const events = eventsOfTransaction(tx, signature);
      mount(
        body,
        h('dl', { class: 'figures' },
          h('div', null, h('dt', null, 'Slot'), h('dd', null, int(tx.slot))),
          h('div', null, h('dt', null, 'Time'), h('dd', null, tx.blockTime ? time(tx.blockTime) : '—')),
          h('div', null, h('dt', null, 'Status'), h('dd', null, tx.meta?.err ? `failed: ${JSON.stringify(tx.meta.err, (_, v) => (typeof v === 'bigint' ? String(v) : v))}` : 'success')),
          h('div', null, h('dt', null, 'Fee (lamports)'), h('dd', null, int(tx.meta?.fee ?? 0))),
          h('div', null, h('dt', null, 'Version'), h('dd', null, String(tx.version ?? 'legacy'))),
        ),
        h('h2', null, 'Treasury events'),
        events.length
          ? h('ul', null, events.map((e) => h('li', null, h('strong', null, e.kind), ' ', h('code', { class: 'wrap' }, JSON.stringify(e.event, (_, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v))))))
          : h('p', { class: 'muted' }, 'None.'),
        h('h2', null, 'Accounts'),
        h('ol', { start: 0 }, keys.map((k) => h('li', null, key(k)))),
        h('h2', null, 'Logs'),
        h('pre', { class: 'logs', tabindex: 0 }, (tx.meta?.logMessages ?? []).join('\n')),
      );
    } catch (e) {
      mount(body, status(`The transaction could not be read: ${errorText(e)}`, 'error'));
    }
  })();
}
