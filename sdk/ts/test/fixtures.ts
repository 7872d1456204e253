/** Shared test helpers: repository files and hex. */
import { readFileSync } from 'node:fs';

/** A file of the repository, from the compiled test's place (sdk/ts/dist/test/). */
export function repoFile(path: string): string {
  return readFileSync(new URL(`../../../../${path}`, import.meta.url), 'utf8');
}

/**
 * Parses JSON whose `sum` and `amount` integers may exceed 2^53: they are read as decimal
 * strings (JSON.parse would round them to doubles).
 */
export function parseExactJson(text: string): unknown {
  return JSON.parse(text.replace(/"(sum|amount)": (\d+)/g, '"$1": "$2"'));
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new Error(`odd hex ${hex}`);
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function toHex(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
