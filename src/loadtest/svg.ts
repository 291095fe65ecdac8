import { esc } from "../findings/report-html.js";

/**
 * A small line chart as inline SVG: axes with ticks, one polyline (and dots) per series, a legend.
 * Enough for a latency CDF and throughput per load level, with no script and nothing to download.
 */

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

export interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Logarithmic x axis (latency spans orders of magnitude). */
  xLog?: boolean;
  /** Fixed y range, e.g. [0, 100] for percentiles; default 0 to the data's max. */
  yRange?: [number, number];
  /** Ticks at the data's x values (load levels) instead of evenly spaced ones. */
  xTicksAtData?: boolean;
}

const W = 560;
const H = 300;
const M = { left: 64, right: 16, top: 34, bottom: 46 };

const nice = (x: number): string =>
  Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1).replace(/\.0$/, "") : String(+x.toPrecision(2));

function linearTicks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || 1;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step / 1e6; v += step) out.push(+v.toPrecision(12));
  return out;
}

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const k of [1, 2, 5]) {
      const v = k * 10 ** e;
      if (v >= lo && v <= hi) out.push(v);
    }
  return out;
}

export function lineChart(spec: ChartSpec): string {
  const all = spec.series.flatMap((s) => s.points);
  const xs = all.map((p) => (spec.xLog ? Math.max(p[0], 0.001) : p[0]));
  let x0 = Math.min(...xs);
  let x1 = Math.max(...xs);
  if (!all.length) [x0, x1] = [spec.xLog ? 0.1 : 0, 1];
  if (x0 === x1) [x0, x1] = spec.xLog ? [x0 / 2, x1 * 2] : [x0 - 1, x1 + 1];
  const [y0, y1] = spec.yRange ?? [0, Math.max(1e-9, ...all.map((p) => p[1])) * 1.1];
  const tx = (v: number): number => {
    const f = spec.xLog
      ? (Math.log10(Math.max(v, 0.001)) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))
      : (v - x0) / (x1 - x0);
    return M.left + f * (W - M.left - M.right);
  };
  const ty = (v: number): number => H - M.bottom - ((v - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);
  const xt = spec.xTicksAtData ? [...new Set(xs)] : spec.xLog ? logTicks(x0, x1) : linearTicks(x0, x1);
  const parts: string[] = [];
  for (const v of linearTicks(y0, y1)) {
    const y = ty(v).toFixed(1);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(
      `<text x="${M.left - 6}" y="${y}" class="tick" text-anchor="end" dominant-baseline="middle">${nice(v)}</text>`,
    );
  }
  for (const v of xt) {
    const x = tx(v).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${H - M.bottom}" class="grid"/>`);
    parts.push(`<text x="${x}" y="${H - M.bottom + 16}" class="tick" text-anchor="middle">${nice(v)}</text>`);
  }
  parts.push(
    `<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" class="frame"/>`,
  );
  spec.series.forEach((s, i) => {
    const pts = s.points.map((p) => `${tx(p[0]).toFixed(1)},${ty(p[1]).toFixed(1)}`);
    parts.push(
      `<polyline data-series="${esc(s.name)}" data-points="${pts.length}" points="${pts.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"/>`,
    );
    for (const p of pts) {
      const [x, y] = p.split(",");
      parts.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${s.color}"/>`);
    }
    const lx = M.left + 10 + i * 120;
    parts.push(`<rect x="${lx}" y="8" width="14" height="4" fill="${s.color}"/>`);
    parts.push(`<text x="${lx + 20}" y="14" class="legend">${esc(s.name)}</text>`);
  });
  parts.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 8}" class="label" text-anchor="middle">${esc(spec.xLabel)}</text>`,
  );
  parts.push(
    `<text x="14" y="${(M.top + H - M.bottom) / 2}" class="label" text-anchor="middle" transform="rotate(-90 14 ${(M.top + H - M.bottom) / 2})">${esc(spec.yLabel)}</text>`,
  );
  return `<figure><figcaption>${esc(spec.title)}</figcaption><svg class="chart" id="${esc(spec.id)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}">${parts.join("")}</svg></figure>`;
}
