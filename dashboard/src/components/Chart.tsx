// A time-series chart of legacy vs candidate (uPlot on a canvas). Fixed height; the width follows
// the card. The values shown above the plot are the hovered second's, else the latest second's,
// in a fixed-width slot, so nothing moves while data streams in.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export const COLORS = { legacy: "#6ea8fe", candidate: "#f0a94b" } as const;

export interface ChartProps {
  title: string;
  /** Seconds (x) and one column per target. */
  data: [number[], (number | null)[], (number | null)[]];
  format: (v: number) => string;
  /** Shorter labels for the y axis (default: format). */
  axis?: (v: number) => string;
  height?: number;
  /** Lowest upper bound of the y axis, so an idle chart is not all noise. */
  minMax?: number;
  label: string;
}

const AXIS = {
  stroke: "#9aa4b2",
  grid: { stroke: "rgba(255,255,255,0.06)", width: 1 },
  ticks: { stroke: "rgba(255,255,255,0.12)", width: 1, size: 4 },
  font: "11px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
};

/** Seconds since the epoch as local HH:MM:SS. */
const clock = (s: number): string => new Date(s * 1000).toLocaleTimeString("en-GB", { hour12: false });

export function Chart({ title, data, format, axis, height = 168, minMax = 1, label }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const fmt = useRef(axis ?? format);
  fmt.current = axis ?? format;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      scales: {
        x: { time: true },
        y: { range: (_u, _min, max) => [0, Math.max(minMax, max * 1.1)] },
      },
      axes: [
        { ...AXIS, space: 72, size: 30, values: (_u, splits) => splits.map((v) => clock(v)) },
        { ...AXIS, size: 52, values: (_u, splits) => splits.map((v) => fmt.current(v)) },
      ],
      series: [
        {},
        { label: "legacy", stroke: COLORS.legacy, width: 1.5, points: { show: false } },
        { label: "candidate", stroke: COLORS.candidate, width: 1.5, points: { show: false } },
      ],
      hooks: { setCursor: [(u) => setHover(u.cursor.idx ?? null)] },
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (w !== u.width) u.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // The chart is built once; data arrives through setData below.
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  const i = hover ?? data[0].length - 1;
  const at = data[0][i];
  const value = (col: (number | null)[]): string => {
    const v = col[i];
    return v === null || v === undefined ? "–" : format(v);
  };
  return (
    <figure class="chart card" aria-label={label}>
      <figcaption class="chart-head">
        <span class="chart-title">{title}</span>
        <span class="chart-values num">
          <span class="chart-value" title="legacy">
            <span class="swatch" style={{ background: COLORS.legacy }} aria-hidden="true" />
            {value(data[1])}
          </span>
          <span class="chart-value" title="candidate">
            <span class="swatch" style={{ background: COLORS.candidate }} aria-hidden="true" />
            {value(data[2])}
          </span>
          <span class="chart-at">{at === undefined ? "" : clock(at)}</span>
        </span>
      </figcaption>
      <div ref={host} class="chart-plot" style={{ height: `${height}px` }} />
    </figure>
  );
}
