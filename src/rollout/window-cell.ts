import { LatencyHistogram } from "../stats/histogram.js";
import { UserSample } from "../stats/user-sample.js";
import type { Target } from "../config/schema.js";

export type Channel = "legacy" | "candidate" | "legacy:mirror" | "candidate:mirror";

export interface RequestSample {
  route: string;
  target: Target;
  /** The bucket key hash identifying the user (never the raw key). */
  user: string;
  status: number;
  latencyMs: number;
  /** 5xx, gateway timeout or connection reset. */
  error: boolean;
  /** A mirrored copy: the answer was compared, never returned. */
  mirrored: boolean;
  /** The upstream never answered (reset, timeout, refused): an error, but the endpoint was not reached. */
  unanswered?: boolean;
  at: number;
  /** Request id, kept as an example when the request is an error, slow or unusual. */
  id?: string;
  /** The endpoint ("METHOD /template"): coverage is also counted per endpoint. */
  endpoint?: string;
}

export interface WindowOptions {
  maxUsers: number;
  firstK: number;
  maxRoutes: number;
  examples: number;
  maxEndpoints?: number;
}

/** One (route, channel) accumulator. Read-only to everyone but the window. */
export class WindowCell {
  n = 0;
  errors = 0;
  readonly statuses = new Map<number, number>();
  readonly latency = new LatencyHistogram();
  readonly users: UserSample;
  firstAt = Infinity;
  lastAt = -Infinity;
  /** Latest error request ids, slowest request ids, and the first ids seen per status. */
  errorIds: string[] = [];
  slowIds: [number, string][] = [];
  readonly statusIds = new Map<number, string[]>();

  constructor(
    readonly route: string,
    readonly channel: Channel,
    private readonly opts: WindowOptions,
  ) {
    this.users = new UserSample(opts.maxUsers, opts.firstK);
  }

  add(s: RequestSample, hash: number): void {
    const status = Number.isInteger(s.status) && s.status >= 100 && s.status <= 599 ? s.status : 0;
    this.n++;
    if (s.error) this.errors++;
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    this.latency.record(s.latencyMs);
    this.users.record(hash, status, s.latencyMs, s.error);
    if (s.at < this.firstAt) this.firstAt = s.at;
    if (s.at > this.lastAt) this.lastAt = s.at;
    if (s.id !== undefined) this.keepExamples(s.id, status, s.latencyMs, s.error);
  }

  private keepExamples(id: string, status: number, ms: number, error: boolean): void {
    const k = this.opts.examples;
    if (error) {
      this.errorIds.push(id);
      if (this.errorIds.length > k) this.errorIds.shift();
    }
    const ids = this.statusIds.get(status) ?? [];
    if (ids.length < Math.min(k, 2)) this.statusIds.set(status, [...ids, id]);
    const last = this.slowIds[this.slowIds.length - 1];
    if (this.slowIds.length < k || (last && ms > last[0])) {
      this.slowIds.push([ms, id]);
      this.slowIds.sort((a, b) => b[0] - a[0]);
      if (this.slowIds.length > k) this.slowIds.pop();
    }
  }

  merge(o: WindowCell): void {
    this.n += o.n;
    this.errors += o.errors;
    for (const [st, c] of o.statuses) this.statuses.set(st, (this.statuses.get(st) ?? 0) + c);
    this.latency.merge(o.latency);
    this.users.merge(o.users);
    this.firstAt = Math.min(this.firstAt, o.firstAt);
    this.lastAt = Math.max(this.lastAt, o.lastAt);
    const k = this.opts.examples;
    this.errorIds = [...this.errorIds, ...o.errorIds].slice(-k);
    this.slowIds = [...this.slowIds, ...o.slowIds].sort((a, b) => b[0] - a[0]).slice(0, k);
    for (const [st, ids] of o.statusIds)
      this.statusIds.set(st, [...(this.statusIds.get(st) ?? []), ...ids].slice(0, 2));
  }
}
