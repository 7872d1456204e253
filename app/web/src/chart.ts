/**
 * Line charts with uPlot, loaded only by the treasury page (a separate chunk: the owner and
 * network pages never download it). Values are plotted as numbers in whole tokens; the tables
 * beside each chart hold the exact base units.
 */
import uPlot from 'uplot';

export type Series = { readonly label: string; readonly points: readonly { t: number; v: number }[] };

const fmt = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 3 });
const compact = (v: number) => fmt.format(v);

const COLORS = ['#1d5fbf', '#b3261e', '#0b7a3b', '#8a4b00', '#6b3fa0', '#00707a'];

/** A step chart of each series over time (unix seconds), sized to its container. */
export function lineChart(el: HTMLElement, title: string, series: readonly Series[]): void {
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b);
  const data: (number | null)[][] = [times];
  for (const s of series) {
    const at = new Map(s.points.map((p) => [p.t, p.v]));
    let last: number | null = null;
    data.push(times.map((t) => (at.has(t) ? (last = at.get(t)!) : last)));
  }
  const width = Math.max(280, Math.min(el.clientWidth || 600, 900));
  const plot = new uPlot(
    {
      title,
      width,
      height: 240,
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, paths: uPlot.paths.stepped!({ align: 1 }) }))],
      axes: [{}, { size: 76, values: (_u, ticks) => ticks.map(compact) }],
    },
    data as uPlot.AlignedData,
    el,
  );
  const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(280, Math.min(el.clientWidth, 900)), height: 240 }));
  ro.observe(el);
}
