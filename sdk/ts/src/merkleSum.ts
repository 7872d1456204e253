/**
 * The merkle-sum tree of docs/merkle-sum.md (the Rust crate `merkle_sum`), byte for byte: the
 * leaf and node hashes, the proof bytes, the proof fold against a root, and the shaped-path fold.
 *
 * Hashing is SHA-256 through WebCrypto (`crypto.subtle`), the same in Node (>= 20) and in a
 * browser, so every hashing function is async. Amounts and sums are `bigint`s in `0 ..= 2^64-1`.
 */

/** No proof has more than 64 siblings (section 5.4). */
export const MAX_DEPTH = 64;
/** The largest amount or sum: `2^64 - 1`. */
export const U64_MAX = (1n << 64n) - 1n;

/** A node of the tree, leaf or internal: its hash and the sum of the amounts below it. */
export type MerkleNode = { readonly hash: Uint8Array; readonly sum: bigint };

/** One entry of a proof: a sibling node and whether it is the left child. */
export type Sibling = { readonly node: MerkleNode; readonly isLeft: boolean };

/** The crate's `MerkleSumError` variants (section 6). */
export type MerkleSumErrorKind =
  | 'Empty'
  | 'Duplicate'
  | 'SumOverflow'
  | 'Malformed'
  | 'TooDeep'
  | 'RootMismatch'
  | 'BadShape';

/** A refusal of the tree, named as the Rust crate names it. */
export class MerkleSumError extends Error {
  override readonly name = 'MerkleSumError';
  constructor(
    readonly kind: MerkleSumErrorKind,
    detail: string,
    /** The repeated wallet's index, for `Duplicate`. */
    readonly index?: number,
  ) {
    super(`${kind}: ${detail}`);
  }
}

/** SHA-256 of `bytes` (WebCrypto). */
export async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

/** `u64le(x)`: 8 bytes, least significant first. Throws a RangeError outside `0 ..= 2^64-1`. */
export function u64le(x: bigint): Uint8Array {
  if (x < 0n || x > U64_MAX) throw new RangeError(`${x} is not a u64`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, x, true);
  return out;
}

function readU64le(bytes: Uint8Array, offset: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset, true);
}

function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function check32(bytes: Uint8Array, what: string): void {
  if (bytes.length !== 32) throw new RangeError(`${what} is ${bytes.length} bytes, not 32`);
}

/** `leaf(wallet, amount)`: `SHA256(0x00 || wallet || u64le(amount))`, sum `amount` (2.1). */
export async function leaf(wallet: Uint8Array, amount: bigint): Promise<MerkleNode> {
  check32(wallet, 'a wallet');
  const hash = await sha256(concat([Uint8Array.of(0), wallet, u64le(amount)]));
  return { hash, sum: amount };
}

/**
 * `P(L, R)`: `SHA256(0x01 || L.hash || u64le(L.sum) || R.hash || u64le(R.sum))`, sum
 * `L.sum + R.sum` (2.2). Throws `SumOverflow` when the sum exceeds `2^64 - 1`.
 */
export async function parent(left: MerkleNode, right: MerkleNode): Promise<MerkleNode> {
  const sum = left.sum + right.sum;
  if (sum > U64_MAX) {
    throw new MerkleSumError('SumOverflow', `${left.sum} + ${right.sum} exceeds 2^64 - 1`);
  }
  check32(left.hash, 'a node hash');
  check32(right.hash, 'a node hash');
  const preimage = [Uint8Array.of(1), left.hash, u64le(left.sum), right.hash, u64le(right.sum)];
  return { hash: await sha256(concat(preimage)), sum };
}

/** Folds `start` up through `siblings`, bottom first (5.3); `SumOverflow` or `TooDeep` throws. */
export async function foldPath(start: MerkleNode, siblings: readonly Sibling[]): Promise<MerkleNode> {
  if (siblings.length > MAX_DEPTH) {
    throw new MerkleSumError('TooDeep', `${siblings.length} siblings, at most ${MAX_DEPTH}`);
  }
  let node = start;
  for (const { node: sibling, isLeft } of siblings) {
    node = isLeft ? await parent(sibling, node) : await parent(node, sibling);
  }
  return node;
}

/**
 * Checks a claim `(wallet, amount, siblings)` against a committed root (5.3): both the hash
 * and the sum must match. Throws `TooDeep`, `SumOverflow` or `RootMismatch`, in that order.
 */
export async function verify(
  wallet: Uint8Array,
  amount: bigint,
  siblings: readonly Sibling[],
  root: MerkleNode,
): Promise<void> {
  if (siblings.length > MAX_DEPTH) {
    throw new MerkleSumError('TooDeep', `${siblings.length} siblings, at most ${MAX_DEPTH}`);
  }
  const node = await foldPath(await leaf(wallet, amount), siblings);
  if (!equalBytes(node.hash, root.hash) || node.sum !== root.sum) {
    throw new MerkleSumError('RootMismatch', `the proof folds to sum ${node.sum}, not the root's`);
  }
}

/** `Proof::to_bytes` (5.2): `u16le(count)`, then per sibling `hash || u64le(sum) || side`. */
export function encodeProof(siblings: readonly Sibling[]): Uint8Array {
  if (siblings.length > MAX_DEPTH) {
    throw new MerkleSumError('TooDeep', `${siblings.length} siblings, at most ${MAX_DEPTH}`);
  }
  const parts: Uint8Array[] = [Uint8Array.of(siblings.length & 0xff, siblings.length >> 8)];
  for (const { node, isLeft } of siblings) {
    check32(node.hash, 'a sibling hash');
    parts.push(node.hash, u64le(node.sum), Uint8Array.of(isLeft ? 1 : 0));
  }
  return concat(parts);
}

/** `Proof::from_bytes` (5.2), with its checks in its order: `Malformed` or `TooDeep`. */
export function decodeProof(bytes: Uint8Array): Sibling[] {
  if (bytes.length < 2) throw new MerkleSumError('Malformed', `${bytes.length} bytes, under 2`);
  const count = (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8);
  if (count > MAX_DEPTH) throw new MerkleSumError('TooDeep', `count ${count} > ${MAX_DEPTH}`);
  if (bytes.length !== 2 + 41 * count) {
    throw new MerkleSumError('Malformed', `${bytes.length} bytes for ${count} siblings`);
  }
  const siblings: Sibling[] = [];
  for (let j = 0; j < count; j += 1) {
    const at = 2 + 41 * j;
    const side = bytes[at + 40];
    if (side !== 0 && side !== 1) throw new MerkleSumError('Malformed', `side byte ${side}`);
    const node = { hash: bytes.slice(at, at + 32), sum: readU64le(bytes, at + 32) };
    siblings.push({ node, isLeft: side === 1 });
  }
  return siblings;
}

/** The height of a tree of `n >= 1` leaves: `ceil(log2(n))` (section 4). */
export function height(n: bigint): number {
  let h = 0;
  while (1n << BigInt(h) < n) h += 1;
  return h;
}

/**
 * `fold_at(start, i, n, from, to, path)` (5.5): folds `start`, the node above leaf `index` at
 * level `from`, up to level `to` of the tree of `count` leaves; the sides follow from the index.
 * Throws `BadShape` or `SumOverflow`, in the order of section 5.5.
 */
export async function foldAt(
  start: MerkleNode,
  index: bigint,
  count: bigint,
  from: number,
  to: number,
  path: readonly MerkleNode[],
): Promise<MerkleNode> {
  if (count === 0n || index >= count || from > to || to > height(count)) {
    throw new MerkleSumError('BadShape', `no levels ${from}..${to} above leaf ${index} of ${count}`);
  }
  let node = start;
  let next = 0;
  for (let level = from; level < to; level += 1) {
    const p = index >> BigInt(level);
    const size = (count + (1n << BigInt(level)) - 1n) >> BigInt(level);
    if ((p ^ 1n) >= size) continue;
    const sibling = path[next];
    if (sibling === undefined) throw new MerkleSumError('BadShape', `no sibling for level ${level}`);
    next += 1;
    node = p & 1n ? await parent(sibling, node) : await parent(node, sibling);
  }
  if (next !== path.length) {
    throw new MerkleSumError('BadShape', `${path.length - next} sibling(s) too many`);
  }
  return node;
}

/** A built tree: every level, leaves first; the last level is `[root]`. */
export type MerkleTree = { readonly levels: readonly (readonly MerkleNode[])[]; readonly root: MerkleNode };

/**
 * Builds the tree of `(wallet, amount)` leaves in their order (sections 3 and 4): `Empty`,
 * `Duplicate` (the first repeat's index), then `SumOverflow`.
 */
export async function buildTree(
  leaves: readonly { readonly wallet: Uint8Array; readonly amount: bigint }[],
): Promise<MerkleTree> {
  if (leaves.length === 0) throw new MerkleSumError('Empty', 'no leaves');
  const seen = new Set<string>();
  leaves.forEach(({ wallet }, index) => {
    const key = wallet.join(',');
    if (seen.has(key)) throw new MerkleSumError('Duplicate', `wallet ${index} repeats`, index);
    seen.add(key);
  });
  let level = await Promise.all(leaves.map(({ wallet, amount }) => leaf(wallet, amount)));
  const levels = [level];
  while (level.length > 1) {
    const next: MerkleNode[] = [];
    for (let k = 0; k < level.length; k += 2) {
      const left = level[k] as MerkleNode;
      const right = level[k + 1];
      next.push(right === undefined ? left : await parent(left, right));
    }
    levels.push(next);
    level = next;
  }
  return { levels, root: level[0] as MerkleNode };
}

/** The proof of leaf `index` (5.1): the siblings met on the way up, bottom first. */
export function proofOf(tree: MerkleTree, index: number): Sibling[] {
  const siblings: Sibling[] = [];
  let pos = index;
  for (const level of tree.levels.slice(0, -1)) {
    const node = level[pos ^ 1];
    if (node !== undefined) siblings.push({ node, isLeft: (pos & 1) === 1 });
    pos >>= 1;
  }
  return siblings;
}
