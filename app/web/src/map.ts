/**
 * The owner's devices on a map of their H3 cells: each cell's outline comes from the API
 * (`GET /v1/cells/{cell}`, a GeoJSON Polygon of [lng, lat]), drawn as inline SVG in Web
 * Mercator. Raster tiles go underneath only when `tiles_url` is configured; without them (offline)
 * the map is the cells on a plain background with a graticule, and the page works the same.
 */
import { apiJson, type Ctx } from './app.ts';
import { h, svg } from './dom.ts';

export type Cell = { readonly cell: string; readonly ring: readonly [number, number][] };

/** A device's `location` (u64) as the API's 15 lowercase hex digits; null when unset (0). */
export function cellHex(location: bigint): string | null {
  return location === 0n ? null : location.toString(16).padStart(15, '0');
}

const cache = new Map<string, Promise<Cell | null>>();

export function fetchCell(ctx: Ctx, cell: string): Promise<Cell | null> {
  let p = cache.get(cell);
  if (!p) {
    p = apiJson(ctx, `/v1/cells/${cell}`)
      .then((f) => {
        const ring = (f as { geometry?: { coordinates?: [number, number][][] } }).geometry?.coordinates?.[0];
        return ring && ring.length > 2 ? { cell, ring } : null;
      })
      .catch(() => null);
    cache.set(cell, p);
  }
  return p;
}

// Web Mercator in "world units" 0..1.
const mx = (lng: number) => (lng + 180) / 360;
const my = (lat: number) => {
  const s = Math.sin((Math.max(-85, Math.min(85, lat)) * Math.PI) / 180);
  return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
};

export type Marker = { readonly cell: string; readonly label: string; readonly active: boolean };

/** The map: a labelled SVG figure, with the cells' polygons and a list of what it shows. */
export function cellMap(ctx: Ctx, cells: readonly Cell[], markers: readonly Marker[]): HTMLElement {
  const W = 640;
  const H = 360;
  const fig = h('figure', { class: 'map' });
  if (cells.length === 0) {
    fig.append(h('figcaption', null, 'No device has a location cell the API could outline.'));
    return fig;
  }
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const c of cells)
    for (const [lng, lat] of c.ring) {
      const x = mx(lng);
      const y = my(lat);
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  // Fit with a margin; never zoom in further than ~1/2^18 of the world.
  const span = Math.max(x1 - x0, (y1 - y0) * (W / H), 1 / 2 ** 18) * 1.3;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const scale = W / span;
  const px = (x: number) => (x - cx) * scale + W / 2;
  const py = (y: number) => (y - cy) * scale + H / 2;

  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'map-title', class: 'map-svg' });
  root.append(svg('title', { id: 'map-title' }));
  root.firstChild!.textContent = `Map of ${cells.length} H3 cell(s) holding ${markers.length} device(s)`;
  root.append(svg('rect', { x: 0, y: 0, width: W, height: H, class: 'map-bg' }));

  if (ctx.config.tiles_url) {
    // Tiles at the zoom whose 256 px tiles match the view's scale.
    const z = Math.max(0, Math.min(19, Math.round(Math.log2(scale / 256))));
    const n = 2 ** z;
    const size = scale / n;
    const tx0 = Math.floor((cx - W / 2 / scale) * n);
    const tx1 = Math.floor((cx + W / 2 / scale) * n);
    const ty0 = Math.max(0, Math.floor((cy - H / 2 / scale) * n));
    const ty1 = Math.min(n - 1, Math.floor((cy + H / 2 / scale) * n));
    for (let tx = tx0; tx <= tx1; tx += 1)
      for (let ty = ty0; ty <= ty1; ty += 1) {
        const href = ctx.config.tiles_url
          .replace('{z}', String(z))
          .replace('{x}', String(((tx % n) + n) % n))
          .replace('{y}', String(ty));
        root.append(svg('image', { href, x: px(tx / n), y: py(ty / n), width: size + 0.5, height: size + 0.5 }));
      }
  } else {
    // A graticule every power-of-ten degrees that gives a few lines in view.
    const degSpan = span * 360;
    const step = 10 ** Math.floor(Math.log10(degSpan / 2));
    const lngFrom = (cx - W / 2 / scale) * 360 - 180;
    for (let lng = Math.ceil(lngFrom / step) * step, i = 0; i < 12; lng += step, i += 1) {
      const x = px(mx(lng));
      root.append(svg('line', { x1: x, x2: x, y1: 0, y2: H, class: 'grat' }));
    }
    const latAt = (y: number) => (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;
    const latTop = latAt(cy - H / 2 / scale);
    for (let lat = Math.floor(latTop / step) * step, i = 0; i < 12; lat -= step, i += 1) {
      const y = py(my(lat));
      root.append(svg('line', { x1: 0, x2: W, y1: y, y2: y, class: 'grat' }));
    }
  }
  const byCell = new Map<string, Marker[]>();
  for (const m of markers) byCell.set(m.cell, [...(byCell.get(m.cell) ?? []), m]);
  for (const c of cells) {
    const ms = byCell.get(c.cell) ?? [];
    const active = ms.some((m) => m.active);
    const points = c.ring.map(([lng, lat]) => `${px(mx(lng)).toFixed(1)},${py(my(lat)).toFixed(1)}`).join(' ');
    const poly = svg('polygon', { points, class: active ? 'cell active' : 'cell', 'data-cell': c.cell });
    poly.append(svg('title'));
    poly.lastChild!.textContent = `cell ${c.cell}: ${ms.map((m) => m.label).join(', ')}`;
    root.append(poly);
  }
  fig.append(root, h('figcaption', null, `${cells.length} cell(s); filled: a cell with an active device. `,
    ctx.config.tiles_url ? 'Tiles: configured.' : 'No map tiles configured: cells only.'));
  return fig;
}
