/**
 * What every view shares: the settings from `GET /config.json` (written by `oracle serve`), the
 * JSON-RPC client (the chain is the authority), the API's base URL, and the network account and
 * mint, read once per page load and again after a claim.
 */
import { createSolanaRpc, type Address } from '@solana/kit';
import { networkPda } from '@depin/client';
import * as rewards from '@depin/client/rewards';

export type Config = {
  /** The validator's JSON-RPC (CORS allowed). */
  readonly rpc_url: string;
  /** The rewards API; "" = this page's origin. */
  readonly api_url: string;
  /** Raster tiles, `{z}/{x}/{y}` template; null = the map draws the cells alone. */
  readonly tiles_url: string | null;
  /** Where a transaction link goes, the signature appended; null = the page's own `#/tx/`. */
  readonly explorer_url: string | null;
  /** The Wallet Standard chain (default: solana:localnet for a loopback RPC, else solana:mainnet). */
  readonly chain: string;
};

const DEFAULTS = { rpc_url: 'http://127.0.0.1:8899', api_url: '', tiles_url: null, explorer_url: null };

export async function loadConfig(): Promise<Config> {
  let got: Partial<Config> = {};
  try {
    const r = await fetch('config.json');
    if (r.ok) got = (await r.json()) as Partial<Config>;
  } catch {
    // No config.json: the defaults (a local validator, the API on this origin).
  }
  const c = { ...DEFAULTS, ...got } as Config;
  const local = /\/\/(127\.|localhost|\[::1\])/.test(c.rpc_url);
  return { ...c, chain: got.chain ?? (local ? 'solana:localnet' : 'solana:mainnet') };
}

export type Rpc = ReturnType<typeof createSolanaRpc>;

export type Ctx = {
  readonly config: Config;
  readonly rpc: Rpc;
  /** The API base without a trailing slash. */
  readonly api: string;
};

export function makeCtx(config: Config): Ctx {
  return { config, rpc: createSolanaRpc(config.rpc_url), api: config.api_url.replace(/\/+$/, '') };
}

/** The rewards `Network` account, read from the chain (null before `depin migrate`). */
export async function fetchNetwork(ctx: Ctx): Promise<rewards.Network | null> {
  const [address] = await networkPda();
  const maybe = await rewards.fetchMaybeNetwork(ctx.rpc, address, { commitment: 'confirmed' });
  return maybe.exists ? maybe.data : null;
}

/** Where a transaction signature links: the configured explorer, or this page's detail view. */
export function txHref(ctx: Ctx, signature: string): string {
  return ctx.config.explorer_url ? `${ctx.config.explorer_url}${signature}` : `#/tx/${signature}`;
}

/** GET a JSON document from the API; throws the API's `{error, detail}` as text. */
export async function apiJson(ctx: Ctx, path: string): Promise<unknown> {
  const url = `${ctx.api}${path}`;
  const r = await fetch(url);
  const text = await r.text();
  if (!r.ok) {
    let reason = text;
    try {
      const j = JSON.parse(text) as { error?: string; detail?: string };
      if (j.error) reason = `${j.error}: ${j.detail ?? ''}`;
    } catch {
      // not JSON: the text itself
    }
    throw new Error(`${url}: ${r.status} ${reason}`);
  }
  return JSON.parse(text);
}

export type { Address };
