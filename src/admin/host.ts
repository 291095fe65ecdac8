import type { Parity } from "../compare/parity.js";
import type { Config } from "../config/schema.js";
import type { CoverageSource } from "../coverage/index.js";
import type { FindingsAggregator } from "../findings/index.js";
import type { ReplicasStatus } from "../replicas/wire.js";
import type { RolloutController } from "../rollout/controller.js";
import type { Plane } from "../state/plane.js";
import type { Runtime } from "../state/runtime.js";

/**
 * AdminHost is what the admin API reads and drives: the live state, whatever serves clients, the
 * comparison pipeline and the rollout. The gateway (src/gateway/gateway.ts) implements it; the
 * admin room never imports the gateway.
 */
export interface AdminHost {
  readonly config: Config;
  readonly runtime: Runtime;
  readonly plane: Plane;
  readonly parity: Parity;
  /** The coverage matrix per endpoint. */
  readonly coverage?: CoverageSource;
  readonly rollout: RolloutController | undefined;
  /** The data-plane URL. */
  readonly url: string;
  /** Several replicas on one PostgreSQL store: the fleet for status, every replica's findings merged. */
  readonly replicas?: { status(): ReplicasStatus; findings(): FindingsAggregator } | undefined;
  /** The Prometheus exposition (summed over cluster workers). */
  renderMetrics(): Promise<string>;
}
