import type { Live } from "../admin/live.js";
import type { Metrics } from "../metrics/registry.js";
import type { RolloutController } from "../rollout/controller.js";
import type { Served, ServedSink } from "../state/served.js";

/**
 * Recorder is the one consumer of served records: request metrics, the live chart and the
 * judge's window all read the same numbers. It runs in the process that owns the control plane:
 * fed in-process by the data plane with `workers: 1`, and from the workers' IPC reports with
 * `workers: N` (src/cluster/primary.ts), so both modes count every request exactly once, and
 * resolve its endpoint with the one resolver the findings use.
 */
export class Recorder implements ServedSink {
  rollout: RolloutController | undefined;

  constructor(
    private readonly metrics: Metrics,
    private readonly live: Live,
    /** Counts the request for its endpoint and names it ("METHOD /template"). */
    private readonly endpoints?: { served(s: Served): string },
  ) {}

  served(s: Served): void {
    this.metrics.record(s.route, s.target, s.metricStatus, s.ms / 1000);
    this.live.record(s.target, s.status, s.ms);
    const endpoint = this.endpoints?.served(s);
    this.rollout?.recordServed(s, endpoint);
  }
}
