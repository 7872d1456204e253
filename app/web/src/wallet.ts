/**
 * Browser wallets through the Wallet Standard: `getWallets()` lists every wallet that registered
 * (extensions, or the tests' in-page wallet); a usable one has `standard:connect` and
 * `solana:signTransaction` or `solana:signAndSendTransaction`. Once connected, the wallet's
 * `standard:events` `change` is followed: switching accounts in the wallet switches the session
 * (and the page) without reconnecting; a wallet that drops every account disconnects it. The
 * features are typed here, by their published shapes, rather than pulling in their packages.
 */
import { getWallets } from '@wallet-standard/app';
import type { Wallet, WalletAccount } from '@wallet-standard/base';

type ConnectFeature = { connect(input?: { silent?: boolean }): Promise<{ accounts: readonly WalletAccount[] }> };
type DisconnectFeature = { disconnect(): Promise<void> };
type EventsFeature = {
  on(
    event: 'change',
    listener: (properties: { accounts?: readonly WalletAccount[]; chains?: unknown; features?: unknown }) => void,
  ): () => void;
};
type SignTransactionFeature = {
  signTransaction(
    ...inputs: { account: WalletAccount; transaction: Uint8Array; chain?: string }[]
  ): Promise<readonly { signedTransaction: Uint8Array }[]>;
};
type SignAndSendFeature = {
  signAndSendTransaction(
    ...inputs: { account: WalletAccount; transaction: Uint8Array; chain: string; options?: { commitment?: string } }[]
  ): Promise<readonly { signature: Uint8Array }[]>;
};

const feature = <T>(w: Wallet, name: string): T | undefined =>
  (w.features as Record<string, unknown>)[name] as T | undefined;

/** Whether the page can claim with `w`. */
export function usable(w: Wallet): boolean {
  return (
    !!feature(w, 'standard:connect') &&
    (!!feature(w, 'solana:signTransaction') || !!feature(w, 'solana:signAndSendTransaction'))
  );
}

let offRegistry: (() => void)[] = [];

/** The usable wallets now, and a subscription to wallets registering later (the latest caller's). */
export function listWallets(onChange: () => void): Wallet[] {
  const api = getWallets();
  for (const off of offRegistry) off();
  offRegistry = [api.on('register', onChange), api.on('unregister', onChange)];
  return api.get().filter(usable);
}

export type Connected = { readonly wallet: Wallet; readonly account: WalletAccount };

/** The session's connection (kept in memory only: nothing is stored). */
export const session: { connected: Connected | null } = { connected: null };

const listeners = new Set<() => void>();

/** Calls `listener` whenever the wallet itself switches the session's account or drops it. */
export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

let offEvents: (() => void) | null = null;

function unfollow(): void {
  offEvents?.();
  offEvents = null;
}

/**
 * Follows `w`'s `change` events: when its accounts change, the session keeps its account if the
 * wallet still offers it (the new object: its features may have changed), else takes the
 * wallet's first account (the user switched accounts in the wallet), else ends (the wallet
 * dropped them all). Listeners hear each switch and end, not a change that keeps the address.
 */
function follow(w: Wallet): void {
  unfollow();
  const events = feature<EventsFeature>(w, 'standard:events');
  if (!events) return;
  offEvents = events.on('change', ({ accounts }) => {
    const c = session.connected;
    if (!c || c.wallet !== w || !accounts) return;
    const kept = accounts.find((a) => a.address === c.account.address);
    const next = kept ?? accounts[0] ?? null;
    session.connected = next ? { wallet: w, account: next } : null;
    if (!next) unfollow();
    if (!kept) for (const l of [...listeners]) l();
  });
}

export async function connect(w: Wallet): Promise<Connected> {
  const { accounts } = await feature<ConnectFeature>(w, 'standard:connect')!.connect();
  const account = accounts[0] ?? w.accounts[0];
  if (!account) throw new Error(`${w.name} connected no account`);
  session.connected = { wallet: w, account };
  follow(w);
  return session.connected;
}

export async function disconnect(): Promise<void> {
  const c = session.connected;
  session.connected = null;
  unfollow();
  if (c) await feature<DisconnectFeature>(c.wallet, 'standard:disconnect')?.disconnect();
}

/**
 * Has the wallet sign `wire` (a serialized unsigned transaction). Either the signed bytes (the
 * page sends them), or, with a wallet that only signs-and-sends, the signature it sent.
 */
export async function signWith(
  c: Connected,
  wire: Uint8Array,
  chain: string,
): Promise<{ signed: Uint8Array } | { sent: Uint8Array }> {
  const sign = feature<SignTransactionFeature>(c.wallet, 'solana:signTransaction');
  if (sign) {
    const [out] = await sign.signTransaction({ account: c.account, transaction: wire, chain });
    if (!out) throw new Error(`${c.wallet.name} returned no signed transaction`);
    return { signed: out.signedTransaction };
  }
  const send = feature<SignAndSendFeature>(c.wallet, 'solana:signAndSendTransaction')!;
  const [out] = await send.signAndSendTransaction({
    account: c.account,
    transaction: wire,
    chain,
    options: { commitment: 'confirmed' },
  });
  if (!out) throw new Error(`${c.wallet.name} returned no signature`);
  return { sent: out.signature };
}
