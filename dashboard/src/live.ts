// The live state every page reads: the per-second series of both targets, the latest status and
// findings summary. Pushed by the gateway over GET /api/events (one `series` event on connect,
// then a `tick` every second); nothing here polls.
import { useEffect, useState } from "preact/hooks";
import { api, setToken } from "./api";
import { subscribe, type StreamHandle, type StreamState } from "./sse";
import type { FindingsSummary, LivePoint, Status, Tick } from "./types";

export const KEEP = 600;

export interface LiveState {
  stream: StreamState;
  series: LivePoint[];
  status: Status | null;
  findings: FindingsSummary | null;
  /** Wall-clock ms of the last tick received. */
  lastTick: number;
}

let state: LiveState = { stream: { state: "connecting" }, series: [], status: null, findings: null, lastTick: 0 };
const listeners = new Set<(s: LiveState) => void>();
let handle: StreamHandle | null = null;

function set(patch: Partial<LiveState>): void {
  state = { ...state, ...patch };
  for (const l of listeners) l(state);
}

/** startLive opens the stream for a token (and fetches the status once so the first paint is full). */
export function startLive(token: string): void {
  stopLive();
  set({ stream: { state: "connecting" }, series: [], status: null, findings: null, lastTick: 0 });
  void api<Status>("GET", "/api/status")
    .then((status) => {
      if (state.status === null) set({ status });
    })
    .catch(() => undefined);
  handle = subscribe("/api/events", token, {
    onState: (stream) => set({ stream }),
    onError: (e) => {
      if (e.status !== 401) return true;
      setToken(null);
      return false;
    },
    onEvent: (e) => {
      if (e.event === "series") {
        set({ series: (JSON.parse(e.data) as LivePoint[]).slice(-KEEP) });
      } else if (e.event === "findings") {
        set({ findings: JSON.parse(e.data) as FindingsSummary | null });
      } else if (e.event === "tick") {
        const t = JSON.parse(e.data) as Tick;
        const series = state.series.length >= KEEP ? state.series.slice(1) : state.series.slice();
        series.push(t.point);
        set({ series, status: t.status, findings: mergeFindings(state.findings, t.findings), lastTick: Date.now() });
      }
    },
  });
}

/** A tick carries only the route summaries that changed: merged into what the stream sent before. */
function mergeFindings(prev: FindingsSummary | null, inc: FindingsSummary): FindingsSummary {
  if (!prev) return inc;
  if (inc.routes.length === 0) return { ...prev, compared: inc.compared };
  const key = (r: FindingsSummary["routes"][number]): string => `${r.routeName}\n${r.template}`;
  const byKey = new Map(prev.routes.map((r) => [key(r), r]));
  for (const r of inc.routes) byKey.set(key(r), r);
  const routes = [...byKey.values()].sort(
    (a, b) => a.routeName.localeCompare(b.routeName) || a.template.localeCompare(b.template),
  );
  return { compared: inc.compared, routes };
}

export function stopLive(): void {
  handle?.close();
  handle = null;
}

export function useLive(): LiveState {
  const [s, setS] = useState(state);
  useEffect(() => {
    listeners.add(setS);
    setS(state);
    return () => {
      listeners.delete(setS);
    };
  }, []);
  return s;
}
