/**
 * A tiny in-page wallet for the browser tests: it holds the test keypair passed in
 * `window.__depinTestWallet = { secretKey: number[64], name? }` (a Solana keypair file's bytes)
 * and registers through the Wallet Standard (`registerWallet`), exactly as an extension would.
 * It supports `standard:connect`, `standard:events` and `solana:signTransaction` (legacy and v0),
 * signing with WebCrypto Ed25519 through @solana/kit; every request is logged in
 * `window.__depinTestWalletLog` so a test can see that the wallet, not the page, signed.
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
    __depinTestWallet?: { secretKey: number[]; name?: string };
    __depinTestWalletLog?: { method: string; bytes?: number; address?: string }[];
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
  const keyPair = await createKeyPairFromBytes(Uint8Array.from(given.secretKey));
  const address = await getAddressFromPublicKey(keyPair.publicKey);
  const account: WalletAccount = {
    address,
    publicKey: Uint8Array.from(getAddressEncoder().encode(address)),
    chains: CHAINS,
    features: ['solana:signTransaction'],
  };
  let connected: WalletAccount[] = [];
  const listeners = new Set<(p: { accounts: readonly WalletAccount[] }) => void>();

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
          log.push({ method: 'connect', address });
          connected = [account];
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
            if (input.account.address !== address) throw new Error('unknown account');
            log.push({ method: 'signTransaction', bytes: input.transaction.length, address });
            const tx = getTransactionDecoder().decode(input.transaction);
            const signed = await partiallySignTransaction([keyPair], tx);
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
