/**
 * A tiny in-page wallet for the browser tests: it holds the test keypair passed in
 * `window.__depinTestWallet = { secretKey: number[64], name?, more?: number[64][] }` (Solana
 * keypair files' bytes: the first account, and any further ones) and registers through the
 * Wallet Standard (`registerWallet`), exactly as an extension would. It supports
 * `standard:connect`, `standard:disconnect`, `standard:events` and `solana:signTransaction`
 * (legacy and v0), signing with WebCrypto Ed25519 through @solana/kit. Connecting authorizes the
 * current account (the first); `window.__depinTestWalletSwitch(i)` switches to account `i` as a
 * user does in an extension: the connected account changes and `change` fires, with no new
 * connect; `window.__depinTestWalletDrop()` withdraws every account (`change` with none). Every request is logged in `window.__depinTestWalletLog` so a test can see that the
 * wallet, not the page, signed (and which account).
 */
import {
  createKeyPairFromBytes,
  getAddressFromPublicKey,
  getAddressEncoder,
  getTransactionDecoder,
  getTransactionEncoder,
  partiallySignTransaction,
} from '@solana/kit';
import { registerWallet } from '@wallet-standard/wallet';
import type { Wallet, WalletAccount } from '@wallet-standard/base';

declare global {
  interface Window {
    __depinTestWallet?: { secretKey: number[]; name?: string; more?: number[][] };
    __depinTestWalletLog?: { method: string; bytes?: number; address?: string }[];
    __depinTestWalletSwitch?: (index: number) => string;
    __depinTestWalletDrop?: () => void;
  }
}

const CHAINS = ['solana:localnet', 'solana:devnet', 'solana:testnet', 'solana:mainnet'] as const;
const ICON =
  'data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAxNiAxNiI+PHJlY3Qgd2lkdGg9IjE2IiBoZWlnaHQ9IjE2IiBmaWxsPSIjMWQ1ZmJmIi8+PC9zdmc+' as const;

async function start(): Promise<void> {
  const given = window.__depinTestWallet;
  // Not on about:blank (no WebCrypto outside a secure context): only on the page itself.
  if (!given || !globalThis.crypto?.subtle) return;
  const log: { method: string; bytes?: number; address?: string }[] = [];
  window.__depinTestWalletLog = log;
  const held = await Promise.all(
    [given.secretKey, ...(given.more ?? [])].map(async (bytes) => {
      const keyPair = await createKeyPairFromBytes(Uint8Array.from(bytes));
      const address = await getAddressFromPublicKey(keyPair.publicKey);
      const account: WalletAccount = {
        address,
        publicKey: Uint8Array.from(getAddressEncoder().encode(address)),
        chains: CHAINS,
        features: ['solana:signTransaction'],
      };
      return { keyPair, address, account };
    }),
  );
  let current = held[0]!;
  let connected: WalletAccount[] = [];
  const listeners = new Set<(p: { accounts: readonly WalletAccount[] }) => void>();
  window.__depinTestWalletSwitch = (index: number) => {
    const next = held[index];
    if (!next) throw new Error(`no account ${index}`);
    current = next;
    log.push({ method: 'switch', address: current.address });
    if (connected.length) {
      connected = [current.account];
      for (const l of listeners) l({ accounts: connected });
    }
    return current.address;
  };
  // The wallet withdraws every account from the page (locked, or the site's access revoked).
  window.__depinTestWalletDrop = () => {
    log.push({ method: 'drop' });
    connected = [];
    for (const l of listeners) l({ accounts: connected });
  };

  const wallet: Wallet = {
    version: '1.0.0',
    name: given.name ?? 'DePIN Test Wallet',
    icon: ICON,
    chains: CHAINS,
    get accounts() {
      return connected;
    },
    features: {
      'standard:connect': {
        version: '1.0.0',
        connect: async () => {
          log.push({ method: 'connect', address: current.address });
          connected = [current.account];
          for (const l of listeners) l({ accounts: connected });
          return { accounts: connected };
        },
      },
      'standard:disconnect': {
        version: '1.0.0',
        disconnect: async () => {
          connected = [];
          for (const l of listeners) l({ accounts: connected });
        },
      },
      'standard:events': {
        version: '1.0.0',
        on: (_event: 'change', l: (p: { accounts: readonly WalletAccount[] }) => void) => {
          listeners.add(l);
          return () => listeners.delete(l);
        },
      },
      'solana:signTransaction': {
        version: '1.0.0',
        supportedTransactionVersions: ['legacy', 0],
        signTransaction: async (...inputs: { account: WalletAccount; transaction: Uint8Array }[]) => {
          const out = [];
          for (const input of inputs) {
            const signer = held.find((k) => k.address === input.account.address);
            if (!signer || !connected.some((a) => a.address === signer.address)) throw new Error('unknown account');
            log.push({ method: 'signTransaction', bytes: input.transaction.length, address: signer.address });
            const tx = getTransactionDecoder().decode(input.transaction);
            const signed = await partiallySignTransaction([signer.keyPair], tx);
            out.push({ signedTransaction: new Uint8Array(getTransactionEncoder().encode(signed)) });
          }
          return out;
        },
      },
    },
  };
  registerWallet(wallet);
}

void start();
