#!/usr/bin/env python3
"""Independent verifier of the merkle-sum test vectors, written from docs/merkle-sum.md.

It shares no code with the Rust crate (programs/merkle-sum): everything below follows the spec's
sections, using only the Python standard library. For docs/merkle-sum-vectors.json it

  - rebuilds every tree from its leaves and compares every leaf hash, every level, the height
    and the root (hash and sum);
  - decodes every proof from its bytes, verifies it against the root, re-encodes it, and checks
    it equals the proof this script generates itself;
  - checks that a tampered amount, a tampered wallet and every tampered sibling (hash, sum,
    side) of every proof are rejected;
  - checks every error vector (bad_trees, bad_proof_bytes, bad_claims) fails with the error the
    vector names.

Exits 1 listing every mismatch, 0 with a one-line summary otherwise.

Usage: merkle-sum-verify.py [path/to/merkle-sum-vectors.json]
"""
import hashlib
import json
import os
import struct
import sys

U64_MAX = 2**64 - 1
MAX_DEPTH = 64  # spec 5.4
LEAF_PREFIX = b"\x00"  # spec 2.1
NODE_PREFIX = b"\x01"  # spec 2.2
SIBLING_LEN = 32 + 8 + 1  # spec 5.2


class SpecError(Exception):
    """An error of spec section 6: `name` is the error, `index` its index if it has one."""

    def __init__(self, name, index=None):
        super().__init__(name if index is None else f"{name} {{ index: {index} }}")
        self.name = name
        self.index = index

    def as_expect(self):
        return {"error": self.name} if self.index is None else {"error": self.name, "index": self.index}


def u64le(x):
    if not 0 <= x <= U64_MAX:
        raise ValueError(f"{x} is not a u64")
    return struct.pack("<Q", x)


# A node is a tuple (hash: bytes[32], sum: int).


def leaf(wallet, amount):
    """Spec 2.1: SHA256(0x00 || wallet || u64le(amount)), sum = amount."""
    if len(wallet) != 32:
        raise ValueError("a wallet is 32 bytes")
    return (hashlib.sha256(LEAF_PREFIX + wallet + u64le(amount)).digest(), amount)


def parent(left, right):
    """Spec 2.2: SHA256(0x01 || L.hash || u64le(L.sum) || R.hash || u64le(R.sum)), checked sum."""
    total = left[1] + right[1]
    if total > U64_MAX:
        raise SpecError("SumOverflow")
    message = NODE_PREFIX + left[0] + u64le(left[1]) + right[0] + u64le(right[1])
    return (hashlib.sha256(message).digest(), total)


def build(leaves):
    """Spec 3 and 4: every level, leaves first; the last level is [root]."""
    if not leaves:
        raise SpecError("Empty")
    for i in range(1, len(leaves)):
        prev, cur = leaves[i - 1][0], leaves[i][0]
        if prev == cur:
            raise SpecError("Duplicate", i)
        if prev > cur:  # bytes compare lexicographically, unsigned, first byte first
            raise SpecError("Unsorted", i)
    levels = [[leaf(w, a) for w, a in leaves]]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = []
        for k in range(0, len(below), 2):
            if k + 1 < len(below):
                above.append(parent(below[k], below[k + 1]))
            else:
                above.append(below[k])  # odd last node: promoted unchanged
        levels.append(above)
    return levels


def make_proof(levels, index):
    """Spec 5.1: [(sibling node, sibling_is_left)], bottom first; promoted levels add nothing."""
    proof = []
    pos = index
    for level in levels[:-1]:
        sib = pos ^ 1
        if sib < len(level):
            proof.append((level[sib], sib < pos))
        pos >>= 1
    return proof


def encode_proof(proof):
    """Spec 5.2: u16le(count), then per sibling hash[32] | u64le(sum) | side (1 = left)."""
    if len(proof) > MAX_DEPTH:
        raise SpecError("TooDeep")
    out = struct.pack("<H", len(proof))
    for (h, s), is_left in proof:
        out += h + u64le(s) + (b"\x01" if is_left else b"\x00")
    return out


def decode_proof(data):
    """Spec 5.2, with its checks in the spec's order."""
    if len(data) < 2:
        raise SpecError("Malformed")
    (count,) = struct.unpack_from("<H", data, 0)
    if count > MAX_DEPTH:
        raise SpecError("TooDeep")
    if len(data) != 2 + SIBLING_LEN * count:
        raise SpecError("Malformed")
    proof = []
    for j in range(count):
        off = 2 + SIBLING_LEN * j
        h = data[off : off + 32]
        (s,) = struct.unpack_from("<Q", data, off + 32)
        side = data[off + 40]
        if side not in (0, 1):
            raise SpecError("Malformed")
        proof.append(((h, s), side == 1))
    return proof


def verify(wallet, amount, proof, root):
    """Spec 5.3: fold the leaf up through the proof; both hash and sum must equal the root's."""
    if len(proof) > MAX_DEPTH:
        raise SpecError("TooDeep")
    node = leaf(wallet, amount)
    for sibling, is_left in proof:
        node = parent(sibling, node) if is_left else parent(node, sibling)
    if node != root:
        raise SpecError("RootMismatch")


def outcome(fn, *args):
    """The SpecError `fn` raises as an expect dict, or None when it succeeds."""
    try:
        fn(*args)
    except SpecError as e:
        return e.as_expect()
    return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "docs", "merkle-sum-vectors.json")
    with open(path, encoding="utf-8") as f:
        data = json.load(f)

    failures = []
    counts = {"trees": 0, "leaves": 0, "proofs": 0, "tampered": 0, "errors": 0}

    def check(ok, what):
        if not ok:
            failures.append(what)
        return ok

    def node_of(obj):
        return (bytes.fromhex(obj["hash"]), obj["sum"])

    def rejected(wallet, amount, proof, root):
        return outcome(verify, wallet, amount, proof, root) is not None

    for tree in data["trees"]:
        name = tree["name"]
        counts["trees"] += 1
        leaves = [(bytes.fromhex(l["wallet"]), l["amount"]) for l in tree["leaves"]]
        try:
            levels = build(leaves)
        except SpecError as e:
            check(False, f"{name}: the leaves do not build: {e}")
            continue
        root = levels[-1][0]
        check(root == node_of(tree["root"]),
              f"{name}: root is {root[0].hex()} sum {root[1]}, the vectors say {tree['root']}")
        check(len(levels) - 1 == tree["height"],
              f"{name}: height is {len(levels) - 1}, the vectors say {tree['height']}")
        want_levels = [[node_of(n) for n in level] for level in tree["levels"]]
        check(levels == want_levels, f"{name}: the levels differ from the vectors")
        for i, entry in enumerate(tree["leaves"]):
            counts["leaves"] += 1
            wallet, amount = leaves[i]
            check(levels[0][i][0].hex() == entry["hash"],
                  f"{name}: leaf {i} hash is {levels[0][i][0].hex()}, the vectors say {entry['hash']}")
            raw = bytes.fromhex(entry["proof"])
            try:
                proof = decode_proof(raw)
            except SpecError as e:
                check(False, f"{name}: proof of leaf {i} does not decode: {e}")
                continue
            mine = encode_proof(make_proof(levels, i))
            check(mine == raw, f"{name}: proof of leaf {i} is {mine.hex()}, the vectors say {entry['proof']}")
            check(encode_proof(proof) == raw, f"{name}: proof of leaf {i} does not re-encode to its bytes")
            expected_root = node_of(tree["root"])
            if check(outcome(verify, wallet, amount, proof, expected_root) is None,
                     f"{name}: proof of leaf {i} does not verify: "
                     f"{outcome(verify, wallet, amount, proof, expected_root)}"):
                counts["proofs"] += 1

            # Tampering: each must be rejected.
            tampers = []
            other = amount + 1 if amount < U64_MAX else amount - 1
            tampers.append((f"amount {other}", wallet, other, proof))
            for byte, bit in ((0, 0), (31, 7)):
                w = bytearray(wallet)
                w[byte] ^= 1 << bit
                tampers.append((f"wallet bit {byte * 8 + bit} flipped", bytes(w), amount, proof))
            for j, ((h, s), is_left) in enumerate(proof):
                def with_sibling(node, left, j=j):
                    p = list(proof)
                    p[j] = (node, left)
                    return p
                hb = bytearray(h)
                hb[0] ^= 0x80
                tampers.append((f"sibling {j} hash flipped", wallet, amount, with_sibling((bytes(hb), s), is_left)))
                tampers.append((f"sibling {j} sum + 1", wallet, amount, with_sibling((h, s + 1), is_left)))
                if s > 0:
                    tampers.append((f"sibling {j} sum - 1", wallet, amount, with_sibling((h, s - 1), is_left)))
                tampers.append((f"sibling {j} side flipped", wallet, amount, with_sibling((h, s), not is_left)))
                tampers.append((f"sibling {j} dropped", wallet, amount, proof[:j] + proof[j + 1:]))
            for what, w, a, p in tampers:
                if check(rejected(w, a, p, expected_root), f"{name}: leaf {i} with {what} still verifies"):
                    counts["tampered"] += 1

    for case in data["bad_trees"]:
        counts["errors"] += 1
        leaves = [(bytes.fromhex(l["wallet"]), l["amount"]) for l in case["leaves"]]
        got = outcome(build, leaves)
        check(got == case["expect"], f"bad_trees \"{case['why']}\": got {got}, the vectors say {case['expect']}")

    for case in data["bad_proof_bytes"]:
        counts["errors"] += 1
        got = outcome(decode_proof, bytes.fromhex(case["bytes"]))
        check(got == case["expect"],
              f"bad_proof_bytes \"{case['why']}\": got {got}, the vectors say {case['expect']}")

    for case in data["bad_claims"]:
        counts["errors"] += 1

        def claim(case=case):
            proof = decode_proof(bytes.fromhex(case["proof"]))
            verify(bytes.fromhex(case["wallet"]), case["amount"], proof, node_of(case["root"]))

        got = outcome(claim)
        check(got == case["expect"], f"bad_claims \"{case['why']}\": got {got}, the vectors say {case['expect']}")

    if failures:
        for f in failures:
            print(f"merkle-sum-verify: MISMATCH: {f}", file=sys.stderr)
        print(f"merkle-sum-verify: FAILED, {len(failures)} mismatch(es) against {path}", file=sys.stderr)
        return 1
    print(f"merkle-sum-verify: ok: {counts['trees']} trees, {counts['leaves']} leaf hashes, "
          f"{counts['proofs']} proofs verified, {counts['tampered']} tampered claims rejected, "
          f"{counts['errors']} error vectors match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
