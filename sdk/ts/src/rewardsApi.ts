/**
 * The oracle's rewards API from the client side (docs/api.md; shapes in sdk/formats/src/api.rs):
 * a wallet's summary over HTTP, turned into claim arguments only after its proof folds up to the
 * final root read from the chain (a port of sdk/client/src/rewards_api.rs). The API is a
 * convenience, never trusted: a wrong or stale answer is refused before anything is sent.
 *
 * Amounts travel as canonical decimal strings and become `bigint`s; epochs, counts and indexes
 * are JSON numbers, refused above 2^53 - 1 (where a JavaScript number is no longer exact).
 */
import { getAddressEncoder, type Address } from '@solana/kit';

import type { ClaimArgs, FinalRoot as ChainFinalRoot } from './generated/rewards/types/index.js';
import { type Sibling, U64_MAX, verify } from './merkleSum.js';

/** The latest final root on chain, as the API reports it. */
export type FinalRootSummary = {
  /** The last epoch the root covers (`epochs - 1`). */
  readonly epoch: bigint;
  /** Epochs `0..epochs` are final. */
  readonly epochs: bigint;
  /** The root hash, hex. */
  readonly root: string;
  /** The root's sum: every wallet's cumulative reward. */
  readonly total: bigint;
  readonly leaves: bigint;
  /** sha256 of that epoch's manifest.json, hex. */
  readonly manifestHash: string;
};

/** One sibling on the leaf's path to the root, leaf first. */
export type ProofStep = { readonly hash: string; readonly sum: bigint; readonly isLeft: boolean };

/** A wallet's leaf in the final root, with its proof. */
export type WalletLeaf = {
  readonly index: bigint;
  readonly cumulative: bigint;
  readonly proof: readonly ProofStep[];
};

/** One reason a device earned less (docs/transparency.md). */
export type ReasonCount = { readonly code: string; readonly count: bigint; readonly meaning: string };

/** What a device scored and earned in one epoch (a devices.csv row). */
export type DeviceReward = {
  readonly epoch: bigint;
  readonly device: string;
  readonly score: bigint;
  readonly reward: bigint;
  readonly reasons: readonly ReasonCount[];
  /** The epoch is covered by the final root (its reward can be claimed). */
  readonly final: boolean;
};

/** `GET /v1/wallets/{wallet}`: what a wallet has earned, claimed and may claim now. */
export type WalletSummary = {
  readonly wallet: string;
  /** Null before the first final root. */
  readonly finalRoot: FinalRootSummary | null;
  readonly cumulative: bigint;
  readonly claimed: bigint;
  readonly claimable: bigint;
  /** Null when the wallet has no leaf in the final root. */
  readonly leaf: WalletLeaf | null;
  readonly devices: readonly DeviceReward[];
};

/** Why a summary could not be had or used (the Rust `RewardsApiError`'s cases). */
export type RewardsApiErrorKind = 'Http' | 'Refused' | 'Decode' | 'OtherRoot' | 'BadProof';

export class RewardsApiError extends Error {
  override readonly name = 'RewardsApiError';
  constructor(
    readonly kind: RewardsApiErrorKind,
    message: string,
    /** For `Refused`: the HTTP status and the API's `{error, detail}`. */
    readonly refusal?: { readonly status: number; readonly error: string; readonly detail: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The most bytes read of an answer (a summary lists the wallet's devices). */
export const MAX_ANSWER_BYTES = 16 << 20;

/** Options of {@link fetchWalletSummary}. */
export type FetchOptions = {
  /** The fetch to use (default: the global one). */
  readonly fetch?: typeof globalThis.fetch;
  readonly signal?: AbortSignal;
};

/**
 * `GET {base}/v1/wallets/{wallet}`. Throws a {@link RewardsApiError}: `Http` (the request
 * failed), `Refused` (the API's reason and detail), or `Decode` (not a summary, or too large).
 */
export async function fetchWalletSummary(
  base: string,
  wallet: Address,
  options: FetchOptions = {},
): Promise<WalletSummary> {
  const url = `${base.replace(/\/+$/, '')}/v1/wallets/${wallet}`;
  const fetchFn = options.fetch ?? globalThis.fetch;
  let body: Uint8Array;
  let status: number;
  try {
    const init: RequestInit = options.signal ? { signal: options.signal } : {};
    const response = await fetchFn(url, init);
    status = response.status;
    body = await readCapped(response, url);
  } catch (e) {
    if (e instanceof RewardsApiError) throw e;
    throw new RewardsApiError('Http', `rewards API ${url}: ${String(e)}`, undefined, { cause: e });
  }
  const text = new TextDecoder().decode(body);
  if (status < 200 || status > 299) throw refused(url, status, text);
  try {
    return parseWalletSummary(JSON.parse(text));
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new RewardsApiError('Decode', `rewards API ${url}: not a wallet summary: ${reason}`);
  }
}

async function readCapped(response: Response, url: string): Promise<Uint8Array> {
  const tooLarge = () =>
    new RewardsApiError(
      'Decode',
      `rewards API ${url}: not a wallet summary: the answer is over ${MAX_ANSWER_BYTES} bytes`,
    );
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function refused(url: string, status: number, text: string): RewardsApiError {
  let error = '';
  let detail = text;
  try {
    const body: unknown = JSON.parse(text);
    if (isObject(body) && typeof body.error === 'string' && typeof body.detail === 'string') {
      error = body.error;
      detail = body.detail;
    }
  } catch {
    // Not the API's refusal shape: the raw body is the detail.
  }
  const message = `rewards API ${url}: ${status} ${error}: ${detail}`;
  return new RewardsApiError('Refused', message, { status, error, detail });
}

// ---- reading the JSON (strict on the fields we use, lenient on fields we do not know) ----

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, path: string): Json {
  if (!isObject(value)) throw new Error(`${path}: not an object`);
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new Error(`${path}: not a string`);
  return value;
}

function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new Error(`${path}: not a boolean`);
  return value;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${path}: not an array`);
  return value;
}

/** A canonical decimal u64 string (no sign, no leading zero but "0"), as `depin_formats::api::decimal`. */
export function parseDecimalU64(value: unknown, path = 'value'): bigint {
  const text = string(value, path);
  const canonical = /^(0|[1-9][0-9]*)$/.test(text);
  const n = canonical ? BigInt(text) : -1n;
  if (n < 0n || n > U64_MAX) throw new Error(`${path}: ${JSON.stringify(text)} is not a decimal u64`);
  return n;
}

/** A JSON number that is an exact non-negative integer. */
function u64Number(value: unknown, path: string): bigint {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${path}: not an exact non-negative integer`);
  }
  return BigInt(value);
}

function nullable<T>(value: unknown, read: (v: unknown) => T): T | null {
  return value === null || value === undefined ? null : read(value);
}

function parseFinalRoot(value: unknown): FinalRootSummary {
  const o = object(value, 'final_root');
  return {
    epoch: u64Number(o.epoch, 'final_root.epoch'),
    epochs: u64Number(o.epochs, 'final_root.epochs'),
    root: string(o.root, 'final_root.root'),
    total: parseDecimalU64(o.total, 'final_root.total'),
    leaves: u64Number(o.leaves, 'final_root.leaves'),
    manifestHash: string(o.manifest_hash, 'final_root.manifest_hash'),
  };
}

function parseLeaf(value: unknown): WalletLeaf {
  const o = object(value, 'leaf');
  return {
    index: u64Number(o.index, 'leaf.index'),
    cumulative: parseDecimalU64(o.cumulative, 'leaf.cumulative'),
    proof: array(o.proof, 'leaf.proof').map((step, i) => {
      const s = object(step, `leaf.proof[${i}]`);
      return {
        hash: string(s.hash, `leaf.proof[${i}].hash`),
        sum: parseDecimalU64(s.sum, `leaf.proof[${i}].sum`),
        isLeft: boolean(s.is_left, `leaf.proof[${i}].is_left`),
      };
    }),
  };
}

function parseDevice(value: unknown, i: number): DeviceReward {
  const at = `devices[${i}]`;
  const o = object(value, at);
  return {
    epoch: u64Number(o.epoch, `${at}.epoch`),
    device: string(o.device, `${at}.device`),
    score: parseDecimalU64(o.score, `${at}.score`),
    reward: parseDecimalU64(o.reward, `${at}.reward`),
    reasons: array(o.reasons, `${at}.reasons`).map((r, j) => {
      const reason = object(r, `${at}.reasons[${j}]`);
      return {
        code: string(reason.code, `${at}.reasons[${j}].code`),
        count: u64Number(reason.count, `${at}.reasons[${j}].count`),
        meaning: string(reason.meaning, `${at}.reasons[${j}].meaning`),
      };
    }),
    final: boolean(o.final, `${at}.final`),
  };
}

/** A `WalletSummary` from parsed JSON; throws an Error naming the first bad field. */
export function parseWalletSummary(json: unknown): WalletSummary {
  const o = object(json, 'summary');
  return {
    wallet: string(o.wallet, 'wallet'),
    finalRoot: nullable(o.final_root, parseFinalRoot),
    cumulative: parseDecimalU64(o.cumulative, 'cumulative'),
    claimed: parseDecimalU64(o.claimed, 'claimed'),
    claimable: parseDecimalU64(o.claimable, 'claimable'),
    leaf: nullable(o.leaf, parseLeaf),
    devices: array(o.devices, 'devices').map(parseDevice),
  };
}

// ---- the claim ----

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function hash32(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new Error(`proof hash ${JSON.stringify(hex)} is not 32 bytes of hex`);
  }
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/**
 * The claim a summary supports against `chainRoot` (the `Network` account's `finalRoot`, read
 * from the chain): the wallet's cumulative amount and its proof, after the proof folds up to
 * that root's hash and sum. Null when the wallet has no leaf.
 *
 * `wallet` is the wallet the caller asked about, never the summary's word for it.
 *
 * Throws a {@link RewardsApiError}: `OtherRoot` (the summary is for another final root: retry),
 * or `BadProof` (a malformed hash, or a proof that does not give the chain's root).
 */
export async function claimArgsFromSummary(
  summary: WalletSummary,
  wallet: Address,
  chainRoot: ChainFinalRoot,
): Promise<ClaimArgs | null> {
  const chain = toHex(Uint8Array.from(chainRoot.root));
  const api = summary.finalRoot?.root ?? 'none';
  if (api !== chain && chainRoot.epochs > 0n) {
    throw new RewardsApiError(
      'OtherRoot',
      `rewards API answered for final root ${api} but the chain's is ${chain}: retry`,
    );
  }
  const leaf = summary.leaf;
  if (leaf === null) return null;
  const badProof = (reason: string) =>
    new RewardsApiError('BadProof', `rewards API: wallet ${wallet}: ${reason}`);
  let siblings: Sibling[];
  try {
    siblings = leaf.proof.map((s) => ({ node: { hash: hash32(s.hash), sum: s.sum }, isLeft: s.isLeft }));
  } catch (e) {
    throw badProof(e instanceof Error ? e.message : String(e));
  }
  const walletBytes = Uint8Array.from(getAddressEncoder().encode(wallet));
  const root = { hash: Uint8Array.from(chainRoot.root), sum: chainRoot.total };
  try {
    await verify(walletBytes, leaf.cumulative, siblings, root);
  } catch (e) {
    throw badProof(`the proof does not give the final root: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    cumulativeAmount: leaf.cumulative,
    proof: siblings.map(({ node, isLeft }) => ({ hash: node.hash, sum: node.sum, isLeft })),
  };
}
