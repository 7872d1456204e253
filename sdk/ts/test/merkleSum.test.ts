/** The merkle-sum tree against every vector of docs/merkle-sum-vectors.json, exactly. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  buildTree,
  decodeProof,
  encodeProof,
  foldAt,
  leaf,
  MerkleSumError,
  parent,
  proofOf,
  U64_MAX,
  verify,
  type MerkleNode,
  type MerkleSumErrorKind,
} from '../src/merkleSum.js';
import { fromHex, parseExactJson, repoFile, toHex } from './fixtures.js';

type JNode = { hash: string; sum: string };
type JLeaf = { wallet: string; amount: string; hash?: string; proof?: string };
type Expect = { error: MerkleSumErrorKind; index?: number };
type JPath = {
  count: number; index: number; from: number; to: number;
  start: JNode; path: JNode[]; node?: JNode; root?: JNode; expect?: Expect; tree?: string;
};
type Vectors = {
  trees: { name: string; height: number; leaves: JLeaf[]; levels: JNode[][]; root: JNode }[];
  bad_trees: { why: string; leaves: JLeaf[]; expect: Expect }[];
  bad_proof_bytes: { why: string; bytes: string; expect: Expect }[];
  bad_claims: { why: string; wallet: string; amount: string; proof: string; root: JNode; expect: Expect }[];
  shaped_paths: JPath[];
  bad_shaped_paths: (JPath & { why: string })[];
  misplaced_paths: (JPath & { why: string })[];
};

const V = parseExactJson(repoFile('docs/merkle-sum-vectors.json')) as Vectors;
const node = (n: JNode): MerkleNode => ({ hash: fromHex(n.hash), sum: BigInt(n.sum) });
const show = (n: MerkleNode) => ({ hash: toHex(n.hash), sum: n.sum.toString() });
const leaves = (ls: JLeaf[]) => ls.map((l) => ({ wallet: fromHex(l.wallet), amount: BigInt(l.amount) }));

async function refusal(run: () => Promise<unknown> | unknown): Promise<Expect> {
  try {
    await run();
  } catch (e) {
    if (!(e instanceof MerkleSumError)) throw e;
    return e.index === undefined ? { error: e.kind } : { error: e.kind, index: e.index };
  }
  assert.fail('accepted');
}

test('every tree: leaf hashes, every level, the root, and every proof byte for byte', async () => {
  assert.equal(V.trees.length, 5);
  for (const t of V.trees) {
    const tree = await buildTree(leaves(t.leaves));
    assert.deepEqual(tree.levels.map((l) => l.map(show)), t.levels, t.name);
    assert.deepEqual(show(tree.root), t.root, t.name);
    assert.equal(tree.levels.length - 1, t.height, t.name);
    for (const [i, l] of t.leaves.entries()) {
      assert.equal(toHex((await leaf(fromHex(l.wallet), BigInt(l.amount))).hash), l.hash);
      const proof = proofOf(tree, i);
      assert.equal(toHex(encodeProof(proof)), l.proof, `${t.name} leaf ${i}`);
      assert.deepEqual(decodeProof(fromHex(l.proof ?? '')), proof);
      await verify(fromHex(l.wallet), BigInt(l.amount), proof, tree.root);
    }
  }
});

test('the five-leaf root is the one docs/merkle-sum.md quotes', async () => {
  const five = V.trees.find((t) => t.leaves.length === 5);
  assert.ok(five);
  const tree = await buildTree(leaves(five.leaves));
  assert.equal(toHex(tree.root.hash), '3e6a8b08c9d194e97bba822260b85ed5b3bd25628afc3d172ff73b1786b567a6');
  assert.equal(tree.root.sum, 1001225n);
});

test('every bad tree is refused with its error', async () => {
  assert.equal(V.bad_trees.length, 6);
  for (const b of V.bad_trees) {
    assert.deepEqual(await refusal(() => buildTree(leaves(b.leaves))), b.expect, b.why);
  }
});

test('every bad proof byte string is refused with its error', async () => {
  assert.equal(V.bad_proof_bytes.length, 9);
  for (const b of V.bad_proof_bytes) {
    assert.deepEqual(await refusal(() => decodeProof(fromHex(b.bytes))), b.expect, b.why);
  }
});

test('every bad claim is refused with its error', async () => {
  assert.equal(V.bad_claims.length, 5);
  for (const c of V.bad_claims) {
    const run = () => verify(fromHex(c.wallet), BigInt(c.amount), decodeProof(fromHex(c.proof)), node(c.root));
    assert.deepEqual(await refusal(run), c.expect, c.why);
  }
});

test('every shaped path folds to its node, and every misplaced path to its other node', async () => {
  assert.equal(V.shaped_paths.length, 46);
  assert.equal(V.misplaced_paths.length, 3);
  for (const p of [...V.shaped_paths, ...V.misplaced_paths]) {
    const got = await foldAt(node(p.start), BigInt(p.index), BigInt(p.count), p.from, p.to, p.path.map(node));
    assert.deepEqual(show(got), p.node, JSON.stringify({ i: p.index, from: p.from, to: p.to }));
    if (p.root) assert.notEqual(toHex(got.hash), p.root.hash);
  }
});

test('every bad shaped path is refused with its error', async () => {
  assert.equal(V.bad_shaped_paths.length, 9);
  for (const p of V.bad_shaped_paths) {
    const run = () => foldAt(node(p.start), BigInt(p.index), BigInt(p.count), p.from, p.to, p.path.map(node));
    assert.deepEqual(await refusal(run), p.expect, p.why);
  }
});

test('refusals: a wrong sibling, a wrong amount, an overflowing sum', async () => {
  const five = V.trees.find((t) => t.leaves.length === 5);
  assert.ok(five);
  const tree = await buildTree(leaves(five.leaves));
  const wallet = fromHex(five.leaves[1]?.wallet ?? '');
  const proof = proofOf(tree, 1);
  const [first, ...rest] = proof;
  assert.ok(first);
  const flipped = { ...first, node: { ...first.node, hash: first.node.hash.map((b, i) => (i === 0 ? b ^ 1 : b)) } };
  assert.deepEqual(await refusal(() => verify(wallet, 250n, [flipped, ...rest], tree.root)), { error: 'RootMismatch' });
  assert.deepEqual(await refusal(() => verify(wallet, 249n, proof, tree.root)), { error: 'RootMismatch' });
  const huge = { node: { hash: new Uint8Array(32), sum: U64_MAX }, isLeft: true };
  assert.deepEqual(await refusal(() => verify(wallet, 1n, [huge], tree.root)), { error: 'SumOverflow' });
  const max = { hash: new Uint8Array(32), sum: U64_MAX };
  assert.deepEqual(await refusal(() => parent(max, { hash: new Uint8Array(32), sum: 1n })), { error: 'SumOverflow' });
  assert.equal((await parent(max, { hash: new Uint8Array(32), sum: 0n })).sum, U64_MAX);
  const deep = Array.from({ length: 65 }, () => ({ node: max, isLeft: false }));
  assert.deepEqual(await refusal(() => verify(wallet, 1n, deep, tree.root)), { error: 'TooDeep' });
  assert.deepEqual(await refusal(() => encodeProof(deep)), { error: 'TooDeep' });
});
