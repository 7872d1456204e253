/**
 * The page's whole rendering layer: `h()` builds real DOM nodes (no virtual DOM, no framework),
 * plus the formatting every view shares. Amounts are `bigint`s from end to end; each shown
 * amount carries its exact base units in `data-base` (and a tooltip), for people and tests.
 */
type Child = Node | string | number | bigint | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces `el`'s children. */
export function mount(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function svg(tag: string, attrs: Record<string, string | number> = {}, ...children: Node[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.appendChild(c);
  return el;
}

// ---- numbers ----

/** Whether amounts show in base units (the header's toggle). */
export const view = { baseUnits: false };

/** `value` base units with `decimals` decimals, grouped by thousands, trailing zeros trimmed. */
export function formatUnits(value: bigint, decimals: number): string {
  const neg = value < 0n;
  const v = neg ? -value : value;
  const scale = 10n ** BigInt(decimals);
  const whole = (v / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  let frac = decimals > 0 ? (v % scale).toString().padStart(decimals, '0').replace(/0+$/, '') : '';
  return (neg ? '-' : '') + whole + (frac ? '.' + frac : '');
}

/** An amount as a `<data>` element: formatted text, exact base units in `value`/`data-base`. */
export function amount(value: bigint, decimals: number, unit = ''): HTMLElement {
  const text = view.baseUnits ? value.toString() : formatUnits(value, decimals);
  return h(
    'data',
    { class: 'amt', value: value.toString(), 'data-base': value.toString(), title: `${value} base units` },
    text,
    unit && !view.baseUnits ? ` ${unit}` : '',
  );
}

/** A plain integer (counts, scores), grouped. */
export const int = (v: bigint | number) => String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export function hex(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A long key or hash shortened for the eye, whole in the tooltip and for copy. */
export function short(s: string, keep = 6): string {
  return s.length <= keep * 2 + 1 ? s : `${s.slice(0, keep)}…${s.slice(-keep)}`;
}

/**
 * An invoice or usage reference (32 bytes, hex): its text when it is printable ASCII padded with
 * zero bytes (as references usually are), else the shortened hex; the hex in full in the tooltip.
 */
export function reference(hexText: string): HTMLElement {
  const bytes = (hexText.match(/../g) ?? []).map((b) => parseInt(b, 16));
  const end = bytes.findIndex((b) => b === 0);
  const text = bytes.slice(0, end < 0 ? bytes.length : end);
  const printable = text.length > 0 && text.every((b) => b >= 0x20 && b < 0x7f) && bytes.slice(text.length).every((b) => b === 0);
  return printable
    ? h('code', { class: 'key', title: hexText, 'data-full': hexText }, String.fromCharCode(...text))
    : key(hexText);
}

export function key(s: string): HTMLElement {
  return h('code', { class: 'key', title: s, 'data-full': s }, short(s));
}

/** Unix seconds as UTC ISO text. */
export function time(unix: bigint | number): HTMLElement {
  const n = Number(unix);
  if (!n) return h('span', null, '—');
  const iso = new Date(n * 1000).toISOString().replace('.000Z', 'Z');
  return h('time', { datetime: iso }, iso.replace('T', ' ').replace('Z', ' UTC'));
}

// ---- tables ----

export type Column<T> = {
  readonly title: string;
  /** The cell's content. */
  readonly cell: (row: T) => Child;
  /** The CSV value (exact: base units, full keys). */
  readonly csv?: (row: T) => string | bigint | number;
  readonly num?: boolean;
};

/** A captioned table with a CSV download of exactly its rows. */
export function table<T>(caption: string, columns: Column<T>[], rows: readonly T[], csvName?: string): HTMLElement {
  const t = h(
    'table',
    null,
    h('caption', null, caption),
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.title)))),
    h(
      'tbody',
      null,
      rows.length === 0
        ? h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, 'None yet.'))
        : rows.map((r) => h('tr', null, columns.map((c) => h('td', { class: c.num ? 'num' : null }, c.cell(r))))),
    ),
  );
  const wrap = h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption }, t);
  if (!csvName) return wrap;
  return h('div', { class: 'table-block' }, wrap, csvLink(csvName, columns, rows));
}

function csvField(v: string | bigint | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLink<T>(name: string, columns: Column<T>[], rows: readonly T[]): HTMLElement {
  const cols = columns.filter((c) => c.csv);
  const text =
    [cols.map((c) => csvField(c.title)).join(','), ...rows.map((r) => cols.map((c) => csvField(c.csv!(r))).join(','))].join(
      '\n',
    ) + '\n';
  const href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const a = h('a', { class: 'csv', download: `${name}.csv`, href }, `Download ${name}.csv`);
  a.dataset.csv = text;
  return a;
}

export function status(text: string, kind: 'info' | 'ok' | 'error' | 'warn' = 'info'): HTMLElement {
  return h('p', { class: `status ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
