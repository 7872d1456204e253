#!/usr/bin/env python3
"""Teach the upstream std sources (Debian rust-web-src 1.96) about `target_os = "solana"`.

Why it exists: our SBF target spec sets `os = "solana"` so that the Solana crates take their
on-chain code paths, but upstream std has no such OS. Without this patch `-Zbuild-std` fails
(std marks the target `restricted_std`, and has no allocator, io-error, random or
thread-local module for it). Each edit below maps `solana` onto the branch std already uses for
another OS-less target (zkvm, vexos), so no new behaviour is invented.

When it can be deleted: when the project builds with Solana's platform-tools (`cargo build-sbf`),
whose rustc fork knows `target_os = "solana"`. See ARCHITECTURE.md, "The SBF build".

Idempotent: an edit that is already present is skipped. An edit whose anchor text is missing
fails loudly, which is what should happen if the pinned rust-web-src version ever changes.

Usage: patch-std.py <path to .../library>
"""
import pathlib
import sys

lib = pathlib.Path(sys.argv[1])
std = lib / "std"
applied = 0


def patch(rel, old, new, count=1):
    global applied
    path = std / rel
    text = path.read_text()
    if new in text:
        return
    if text.count(old) < count:
        sys.exit(f"patch-std: anchor text not found in {rel}: {old!r}")
    path.write_text(text.replace(old, new))
    applied += 1


# build.rs: a full (not `restricted_std`) std, like zkvm.
patch("build.rs", '        || target_os == "zkvm"\n',
      '        || target_os == "zkvm"\n        || target_os == "solana"\n')
# Minimum allocation alignment on bpf is 8, as on the other 64-bit targets in that list.
patch("src/sys/alloc/mod.rs", '    target_arch = "xtensa",\n)) {\n    8',
      '    target_arch = "xtensa",\n    target_arch = "bpf",\n)) {\n    8')
# `System` allocator: always null. Programs install their own #[global_allocator]
# (solana-program's bump allocator on the 32 KiB heap), so std's is never used.
patch("src/sys/alloc/mod.rs", '    target_os = "zkvm" => {\n        mod zkvm;\n    }\n',
      '    target_os = "zkvm" => {\n        mod zkvm;\n    }\n    target_os = "solana" => {\n        mod solana;\n    }\n')
alloc = std / "src/sys/alloc/solana.rs"
alloc_src = '''use crate::alloc::{GlobalAlloc, Layout, System};

#[stable(feature = "alloc_system_type", since = "1.28.0")]
unsafe impl GlobalAlloc for System {
    #[inline]
    unsafe fn alloc(&self, _layout: Layout) -> *mut u8 {
        crate::ptr::null_mut()
    }
    #[inline]
    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}
'''
if not alloc.exists() or alloc.read_text() != alloc_src:
    alloc.write_text(alloc_src)
    applied += 1
# io::Error, randomness and thread-locals: the generic/unsupported implementations.
patch("src/sys/io/error/mod.rs", '        target_os = "zkvm",\n    ) => {\n        mod generic;',
      '        target_os = "zkvm",\n        target_os = "solana",\n    ) => {\n        mod generic;')
patch("src/sys/random/mod.rs", 'target_os = "vexos",\n', 'target_os = "vexos",\n    target_os = "solana",\n', 2)
patch("src/sys/thread_local/mod.rs", 'target_os = "zkvm",\n', 'target_os = "zkvm",\n        target_os = "solana",\n', 2)
# HashMap's RandomState reads per-thread keys from a thread-local in `.bss`, which SBF refuses.
# On-chain there is no attacker-chosen hashing worth randomising against, so use fixed keys.
patch("src/hash/random.rs", "    pub fn new() -> RandomState {\n",
      "    pub fn new() -> RandomState {\n        #[cfg(target_os = \"solana\")]\n        {\n"
      "            return RandomState { k0: 0x736f6d6570736575, k1: 0x646f72616e646f6d };\n        }\n")
print(f"std patched for target_os=solana ({applied} edits applied, the rest already present)")
