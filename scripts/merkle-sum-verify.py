#!/usr/bin/env python3
"""Independent verifier of the merkle-sum tree, written from docs/merkle-sum.md.

It shares no code with the Rust crate (programs/merkle-sum) or the oracle: everything below
follows the spec's sections, using only the Python standard library.

For docs/merkle-sum-vectors.json (the default) it

  - rebuilds every tree from its leaves (in index order: the order given) and compares every
    leaf hash, every level, the height and the root (hash and sum);
  - decodes every proof from its bytes, verifies it against the root, re-encodes it, and checks
    it equals the proof this script generates itself;
  - checks that a tampered amount, a tampered wallet and every tampered sibling (hash, sum,
    side) of every proof are rejected;
  - folds every shaped path (spec 5.5) by the leaf index and count alone, compares it with the
    path this script derives from the tree, and checks the node it reaches;
  - checks every error vector (bad_trees, bad_proof_bytes, bad_claims, bad_shaped_paths) fails
    with the error the vector names, and every misplaced path misses the root.

With --epoch it checks a published epoch directory (docs/transparency.md) instead: wallets.csv
has the sha256 manifest.json lists, its wallets are distinct, the tree over its
(wallet, cumulative) rows in row order has the manifest's root hash, sum and leaf count (an
empty wallets.csv: a null root), and, with --previous, the leaf order of spec section 9 (the
previous epoch's wallets at the same indices, cumulative not lower, then the new wallets in
strictly ascending byte order).

--self-test checks that every rule of --epoch fires, on epoch directories it writes itself.

Exits 1 listing every mismatch, 0 with a one-line summary otherwise.

Usage: merkle-sum-verify.py [path/to/merkle-sum-vectors.json]
       merkle-sum-verify.py --epoch <epoch-dir> [--previous <previous-epoch-dir>]
       merkle-sum-verify.py --self-test
"""
import hashlib
import json
import os
import struct
import sys
import tempfile

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
    seen = set()
    for i, (wallet, _) in enumerate(leaves):
        if wallet in seen:  # any earlier wallet, not only the previous one
            raise SpecError("Duplicate", i)
        seen.add(wallet)
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


def height(count):
    """Spec 5.5: ceil(log2(count)) for count >= 1."""
    return (count - 1).bit_length()


def level_size(count, level):
    """Spec 5.5: ceil(count / 2^level)."""
    return -(-count // (1 << level))


def fold_at(start, index, count, lo, hi, path):
    """Spec 5.5: fold `start`, the node above leaf `index` at level `lo`, up to level `hi`."""
    if count == 0 or index >= count or lo > hi or hi > height(count):
        raise SpecError("BadShape")
    rest = list(path)
    node = start
    for level in range(lo, hi):
        p = index >> level
        if (p ^ 1) >= level_size(count, level):
            continue  # promoted: no sibling at this level
        if not rest:
            raise SpecError("BadShape")
        sibling = rest.pop(0)
        node = parent(sibling, node) if p & 1 else parent(node, sibling)
    if rest:
        raise SpecError("BadShape")
    return node


def shaped_path(levels, index, lo, hi):
    """Spec 5.5: the siblings of leaf `index`'s path at levels lo..hi-1, without sides."""
    path = []
    for level in range(lo, hi):
        sib = (index >> level) ^ 1
        if sib < len(levels[level]):
            path.append(levels[level][sib])
    return path


def outcome(fn, *args):
    """The SpecError `fn` raises as an expect dict, or None when it succeeds."""
    try:
        fn(*args)
    except SpecError as e:
        return e.as_expect()
    return None


# ---------------------------------------------------------------------------------------------
# The test vectors
# ---------------------------------------------------------------------------------------------


class Checks:
    """Collects mismatches and counts."""

    def __init__(self):
        self.failures = []
        self.counts = {"trees": 0, "leaves": 0, "proofs": 0, "tampered": 0, "shaped": 0, "errors": 0}

    def check(self, ok, what):
        if not ok:
            self.failures.append(what)
        return ok


def node_of(obj):
    return (bytes.fromhex(obj["hash"]), obj["sum"])


def tampers_of(wallet, amount, proof):
    """Every tampered claim derived from a good one: (what, wallet, amount, proof)."""
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
    return tampers


def check_leaf(c, name, levels, root, i, entry, wallet, amount):
    """One leaf of a tree: its hash, its proof's bytes and verification, and every tamper."""
    c.counts["leaves"] += 1
    c.check(levels[0][i][0].hex() == entry["hash"],
            f"{name}: leaf {i} hash is {levels[0][i][0].hex()}, the vectors say {entry['hash']}")
    raw = bytes.fromhex(entry["proof"])
    try:
        proof = decode_proof(raw)
    except SpecError as e:
        c.check(False, f"{name}: proof of leaf {i} does not decode: {e}")
        return
    mine = encode_proof(make_proof(levels, i))
    c.check(mine == raw, f"{name}: proof of leaf {i} is {mine.hex()}, the vectors say {entry['proof']}")
    c.check(encode_proof(proof) == raw, f"{name}: proof of leaf {i} does not re-encode to its bytes")
    got = outcome(verify, wallet, amount, proof, root)
    if c.check(got is None, f"{name}: proof of leaf {i} does not verify: {got}"):
        c.counts["proofs"] += 1
    for what, w, a, p in tampers_of(wallet, amount, proof):
        if c.check(outcome(verify, w, a, p, root) is not None, f"{name}: leaf {i} with {what} still verifies"):
            c.counts["tampered"] += 1


def check_tree(c, tree):
    """Spec 3, 4, 5: one tree of the vectors. Returns its levels (None if it does not build)."""
    name = tree["name"]
    c.counts["trees"] += 1
    leaves = [(bytes.fromhex(l["wallet"]), l["amount"]) for l in tree["leaves"]]
    try:
        levels = build(leaves)
    except SpecError as e:
        c.check(False, f"{name}: the leaves do not build: {e}")
        return None
    root = levels[-1][0]
    c.check(root == node_of(tree["root"]),
            f"{name}: root is {root[0].hex()} sum {root[1]}, the vectors say {tree['root']}")
    c.check(len(levels) - 1 == tree["height"],
            f"{name}: height is {len(levels) - 1}, the vectors say {tree['height']}")
    c.check(height(len(leaves)) == tree["height"], f"{name}: height({len(leaves)}) is not {tree['height']}")
    c.check(levels == [[node_of(n) for n in level] for level in tree["levels"]],
            f"{name}: the levels differ from the vectors")
    for i, entry in enumerate(tree["leaves"]):
        check_leaf(c, name, levels, node_of(tree["root"]), i, entry, *leaves[i])
    return levels


def shaped_args(case):
    path = [node_of(n) for n in case["path"]]
    return (node_of(case["start"]), case["index"], case["count"], case["from"], case["to"], path)


def check_shaped(c, case, levels_by_name):
    """Spec 5.5: a shaped path folds to its node; it is the path the tree gives."""
    c.counts["shaped"] += 1
    where = f"shaped path of {case['tree']!r} leaf {case['index']} from {case['from']} to {case['to']}"
    args = shaped_args(case)
    try:
        node = fold_at(*args)
    except SpecError as e:
        c.check(False, f"{where}: fold_at fails: {e}")
        return
    c.check(node == node_of(case["node"]), f"{where}: reaches {node[0].hex()}, the vectors say {case['node']}")
    levels = levels_by_name.get(case["tree"])
    if c.check(levels is not None, f"{where}: no tree of that name"):
        i, lo, hi = case["index"], case["from"], case["to"]
        c.check(shaped_path(levels, i, lo, hi) == args[5], f"{where}: the path differs from the tree's")
        c.check(levels[lo][i >> lo] == args[0], f"{where}: start is not the tree's node")
        c.check(levels[hi][i >> hi] == node, f"{where}: the node reached is not the tree's")


def check_error_vectors(c, data):
    for case in data["bad_trees"]:
        c.counts["errors"] += 1
        leaves = [(bytes.fromhex(l["wallet"]), l["amount"]) for l in case["leaves"]]
        got = outcome(build, leaves)
        c.check(got == case["expect"], f"bad_trees \"{case['why']}\": got {got}, the vectors say {case['expect']}")
    for case in data["bad_proof_bytes"]:
        c.counts["errors"] += 1
        got = outcome(decode_proof, bytes.fromhex(case["bytes"]))
        c.check(got == case["expect"],
                f"bad_proof_bytes \"{case['why']}\": got {got}, the vectors say {case['expect']}")
    for case in data["bad_claims"]:
        c.counts["errors"] += 1

        def claim(case=case):
            proof = decode_proof(bytes.fromhex(case["proof"]))
            verify(bytes.fromhex(case["wallet"]), case["amount"], proof, node_of(case["root"]))

        got = outcome(claim)
        c.check(got == case["expect"], f"bad_claims \"{case['why']}\": got {got}, the vectors say {case['expect']}")
    for case in data["bad_shaped_paths"]:
        c.counts["errors"] += 1
        got = outcome(fold_at, *shaped_args(case))
        c.check(got == case["expect"],
                f"bad_shaped_paths \"{case['why']}\": got {got}, the vectors say {case['expect']}")
    for case in data["misplaced_paths"]:
        c.counts["errors"] += 1
        try:
            node = fold_at(*shaped_args(case))
        except SpecError as e:
            c.check(False, f"misplaced_paths \"{case['why']}\": fold_at fails: {e}")
            continue
        c.check(node == node_of(case["node"]) and node != node_of(case["root"]),
                f"misplaced_paths \"{case['why']}\": reaches {node[0].hex()}, the vectors say {case['node']} "
                f"(and not the root {case['root']})")


def verify_vectors(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    c = Checks()
    levels_by_name = {}
    for tree in data["trees"]:
        levels = check_tree(c, tree)
        if levels is not None:
            levels_by_name[tree["name"]] = levels
    for case in data["shaped_paths"]:
        check_shaped(c, case, levels_by_name)
    check_error_vectors(c, data)
    if c.failures:
        for f in c.failures:
            print(f"merkle-sum-verify: MISMATCH: {f}", file=sys.stderr)
        print(f"merkle-sum-verify: FAILED, {len(c.failures)} mismatch(es) against {path}", file=sys.stderr)
        return 1
    n = c.counts
    print(f"merkle-sum-verify: ok: {n['trees']} trees, {n['leaves']} leaf hashes, {n['proofs']} proofs "
          f"verified, {n['tampered']} tampered claims rejected, {n['shaped']} shaped paths folded, "
          f"{n['errors']} error vectors match")
    return 0


# ---------------------------------------------------------------------------------------------
# A published epoch directory (docs/transparency.md; spec section 9)
# ---------------------------------------------------------------------------------------------

WALLETS_CSV = "wallets.csv"
MANIFEST_JSON = "manifest.json"
WALLETS_HEADER = "wallet,epoch_reward,previous_cumulative,cumulative"
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class EpochError(Exception):
    """A published epoch breaks a rule; the message names the file and the values."""


def b58encode(raw):
    n = int.from_bytes(raw, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def b58key(text, where):
    """A base58 key that is the canonical encoding of exactly 32 bytes."""
    n = 0
    for ch in text:
        if ch not in B58:
            raise EpochError(f"{where}: bad key {text!r}")
        n = n * 58 + B58.index(ch)
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    raw = b"\0" * zeros + body
    if len(raw) != 32 or b58encode(raw) != text:
        raise EpochError(f"{where}: {text!r} is not the canonical key of 32 bytes")
    return raw


def u64_field(text, where):
    if not text.isdigit() or str(int(text)) != text or int(text) > U64_MAX:
        raise EpochError(f"{where}: bad integer {text!r}")
    return int(text)


def parse_wallets(raw, name):
    """wallets.csv rows as (line number, wallet bytes, key text, cumulative), in row order."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise EpochError(f"{name}: not ASCII") from None
    if not text.endswith("\n") or "\r" in text:
        raise EpochError(f"{name}: lines must end with exactly one \\n")
    lines = text[:-1].split("\n")
    if lines[0] != WALLETS_HEADER:
        raise EpochError(f"{name} line 1: header is not {WALLETS_HEADER!r}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        where = f"{name} line {number}"
        fields = line.split(",")
        if len(fields) != 4:
            raise EpochError(f"{where}: {len(fields)} fields, expected 4")
        for f in fields[1:]:
            u64_field(f, where)
        rows.append((number, b58key(fields[0], where), fields[0], int(fields[3])))
    return rows


def check_distinct(rows, name):
    first = {}
    for number, wallet, key, _ in rows:
        if wallet in first:
            raise EpochError(f"{name} line {number}: wallet {key} repeats line {first[wallet]}")
        first[wallet] = number


def check_root(rows, manifest):
    """Spec 4 and 9: the tree over (wallet, cumulative) in row order is the manifest's root."""
    if manifest.get("wallets") != len(rows):
        raise EpochError(f"manifest.json: wallets is {manifest.get('wallets')}, wallets.csv has {len(rows)} rows")
    root = manifest.get("root")
    if not rows:
        if root is not None:
            raise EpochError(f"manifest.json: root is {root}, but wallets.csv has no rows (the root is null)")
        return None
    try:
        levels = build([(wallet, cumulative) for _, wallet, _, cumulative in rows])
    except SpecError as e:
        raise EpochError(f"wallets.csv: the tree does not build: {e}") from None
    mine = {"hash": levels[-1][0][0].hex(), "leaves": len(rows), "sum": levels[-1][0][1]}
    if root != mine:
        raise EpochError(f"manifest.json: root is {root}, the tree over wallets.csv in row order is {mine}")
    return mine


def check_append_only(prev, rows):
    """Spec 9: the previous wallets at the same indices, cumulative not lower, then the new
    wallets in strictly ascending byte order."""
    for i, (pnumber, pwallet, pkey, pcum) in enumerate(prev):
        if i >= len(rows):
            raise EpochError(f"wallets.csv: wallet {pkey} (line {pnumber} of the previous wallets.csv) "
                             f"is missing: the file has {len(rows)} rows, the previous one {len(prev)}")
        number, wallet, key, cum = rows[i]
        if wallet != pwallet:
            raise EpochError(f"wallets.csv line {number}: wallet {key}, but leaf {i} is {pkey} "
                             f"in the previous wallets.csv (a wallet keeps its index)")
        if cum < pcum:
            raise EpochError(f"wallets.csv line {number}: wallet {key} has cumulative {cum}, "
                             f"below its previous {pcum}")
    new = rows[len(prev):]
    for (_, before, bkey, _), (number, wallet, key, _) in zip(new, new[1:]):
        if not before < wallet:  # bytes compare lexicographically, unsigned, first byte first
            raise EpochError(f"wallets.csv line {number}: new wallet {key} does not sort after the "
                             f"new wallet {bkey} before it (new wallets are appended in ascending byte order)")


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise EpochError(f"{path}: {e.strerror}") from None


def verify_epoch(directory, previous=None):
    """The checks of --epoch; returns a one-line summary or raises EpochError."""
    manifest = json.loads(read(os.path.join(directory, MANIFEST_JSON)))
    raw = read(os.path.join(directory, WALLETS_CSV))
    listed = manifest.get("outputs", {}).get(WALLETS_CSV)
    if hashlib.sha256(raw).hexdigest() != listed:
        raise EpochError(f"wallets.csv has sha256 {hashlib.sha256(raw).hexdigest()}, manifest.json lists {listed}")
    rows = parse_wallets(raw, WALLETS_CSV)
    check_distinct(rows, WALLETS_CSV)
    root = check_root(rows, manifest)
    if previous is not None:
        prev_raw = read(os.path.join(previous, WALLETS_CSV))
        want = manifest.get("inputs", {}).get("previous_wallets.csv")
        if hashlib.sha256(prev_raw).hexdigest() != want:
            raise EpochError(f"the previous wallets.csv has sha256 {hashlib.sha256(prev_raw).hexdigest()}, "
                             f"manifest.json input previous_wallets.csv is {want}")
        check_append_only(parse_wallets(prev_raw, "previous wallets.csv"), rows)
    what = "no root" if root is None else f"root {root['hash']} sum {root['sum']}"
    order = ", leaf order kept" if previous is not None else ""
    return f"{len(rows)} leaves, {what}{order}"


# ---------------------------------------------------------------------------------------------
# --self-test: every rule of --epoch fires
# ---------------------------------------------------------------------------------------------


def key(first, last=0):
    """A 32-byte key: `first`, 30 zeros, `last` (so `key(1)` sorts after `key(0, 0xff)`)."""
    return bytes([first]) + b"\0" * 30 + bytes([last])


def manifest_root(rows, leaves=None):
    """The manifest's root over rows (wallet bytes, cumulative) in that order; a placeholder when
    the rows do not build (the check must fail before it is compared)."""
    try:
        top = build(rows)[-1][0]
    except SpecError:
        top = (b"\0" * 32, 0)
    return {"hash": top[0].hex(), "leaves": len(rows) if leaves is None else leaves, "sum": top[1]}


def write_epoch(directory, rows, previous_csv=None, root=..., wallets=None):
    """An epoch directory with wallets.csv over rows (wallet bytes, cumulative) and a manifest
    holding what --epoch reads (the real one holds more). Returns wallets.csv's bytes."""
    os.makedirs(directory)
    lines = [WALLETS_HEADER] + [f"{b58encode(w)},0,{c},{c}" for w, c in rows]
    raw = ("\n".join(lines) + "\n").encode("ascii")
    if root is ...:
        root = manifest_root(rows) if rows else None
    manifest = {"outputs": {WALLETS_CSV: hashlib.sha256(raw).hexdigest()},
                "inputs": {}, "root": root, "wallets": len(rows) if wallets is None else wallets}
    if previous_csv is not None:
        manifest["inputs"]["previous_wallets.csv"] = hashlib.sha256(previous_csv).hexdigest()
    with open(os.path.join(directory, WALLETS_CSV), "wb") as f:
        f.write(raw)
    with open(os.path.join(directory, MANIFEST_JSON), "w", encoding="ascii") as f:
        json.dump(manifest, f)
    return raw


def self_test_cases(a, b, c, d):
    """(name, epoch-1 rows, epoch-1 root override, expected error substring or None)."""
    base = [(b, 5), (c, 7)]
    return [
        ("the previous wallets kept, a new wallet that sorts first appended", base + [(a, 1)], ..., None),
        ("two new wallets in ascending byte order", base + [(a, 1), (d, 2)], ..., None),
        ("the previous wallets reordered", [(c, 7), (b, 5)], ...,
         f"wallets.csv line 2: wallet {b58encode(c)}, but leaf 0 is {b58encode(b)}"),
        ("a previous wallet dropped", [(b, 5)], ...,
         f"wallets.csv: wallet {b58encode(c)} (line 3 of the previous wallets.csv) is missing"),
        ("a new wallet inserted before the previous ones", [(a, 1)] + base, ...,
         f"wallets.csv line 2: wallet {b58encode(a)}, but leaf 0 is {b58encode(b)}"),
        ("new wallets out of byte order", base + [(d, 2), (a, 1)], ...,
         f"wallets.csv line 5: new wallet {b58encode(a)} does not sort after the new wallet {b58encode(d)}"),
        ("a cumulative lower than before", [(b, 4), (c, 7)], ...,
         f"wallets.csv line 2: wallet {b58encode(b)} has cumulative 4, below its previous 5"),
        ("a wallet repeated", base + [(b, 5)], ...,
         f"wallets.csv line 4: wallet {b58encode(b)} repeats line 2"),
        ("the manifest's leaf count off by one", base, {"leaves": 3}, "manifest.json: root is"),
        ("the tree built in byte order instead of row order", base + [(a, 1)],
         {"order": sorted(base + [(a, 1)])}, "manifest.json: root is"),
    ]


def self_test():
    a, b, c, d = key(0, 0xFF), key(1), key(2), key(3)  # a sorts first: byte 0 decides
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        empty = os.path.join(tmp, "epoch-0")
        write_epoch(empty, [])
        prev = os.path.join(tmp, "epoch-1")
        prev_csv = write_epoch(prev, [(b, 5), (c, 7)])
        for n, (name, rows, override, want) in enumerate(self_test_cases(a, b, c, d)):
            root = ...
            if override is not ...:
                root = manifest_root(override.get("order", rows), override.get("leaves", len(rows)))
            cur = os.path.join(tmp, f"case-{n}")
            write_epoch(cur, rows, previous_csv=prev_csv, root=root)
            try:
                verify_epoch(cur, prev)
                got = None
            except EpochError as e:
                got = str(e)
            ok = got is None if want is None else got is not None and got.startswith(want)
            if not ok:
                failures.append(f"{name}: expected {want!r}, got {got!r}")
        for name, check in [("an empty epoch verifies with a null root", lambda: verify_epoch(empty)),
                            ("the first epoch after an empty one", lambda: verify_epoch(prev, None))]:
            try:
                check()
            except EpochError as e:
                failures.append(f"{name}: {e}")
    for f in failures:
        print(f"merkle-sum-verify: SELF-TEST FAILED: {f}", file=sys.stderr)
    if failures:
        return 1
    print(f"merkle-sum-verify: self-test ok: {len(self_test_cases(a, b, c, d)) + 2} epoch cases")
    return 0


def main(argv):
    if argv[:1] == ["--self-test"]:
        return self_test()
    if argv[:1] == ["--epoch"] and len(argv) in (2, 4) and (len(argv) == 2 or argv[2] == "--previous"):
        try:
            summary = verify_epoch(argv[1], argv[3] if len(argv) == 4 else None)
        except EpochError as e:
            print(f"merkle-sum-verify: {argv[1]}: {e}", file=sys.stderr)
            return 1
        print(f"merkle-sum-verify: {argv[1]}: ok: {summary}")
        return 0
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(__doc__.split("Usage: ")[1].strip(), file=sys.stderr)
        return 2
    here = os.path.dirname(os.path.abspath(__file__))
    return verify_vectors(argv[0] if argv else os.path.join(here, "..", "docs", "merkle-sum-vectors.json"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
