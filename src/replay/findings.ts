import type { DiffOptions } from "../diff/index.js";
import type { CapturedResponse, DiffKind, Difference } from "../diff/types.js";
import { FindingsAggregator, findingId, type AggregatorOptions } from "../findings/index.js";
import { computePair } from "../compare/compare.js";
import { createHash } from "node:crypto";
import { decodeBody } from "../diff/decode.js";
import type { LeafSummary } from "../noise/generated.js";
import { NoiseModel } from "../noise/index.js";
import { redactBody } from "../recording/entry.js";

/** One replayed request as the comparison needs it. */
export interface ReplayedExchange {
  id: string;
  at: number;
  method: string;
  /** The request target as recorded (legacy's values). */
  target: string;
  routeName: string;
  template: string;
  headers: Record<string, string | string[] | undefined>;
  /** Correlated values substituted in the candidate's request: "4 → 1004 (path[2])". */
  mapped: string[];
}

/** What one comparison found: differences kept (real or noise), and those dismissed as mapped ids. */
export interface ExchangeVerdict {
  real: DiffKind[];
  noise: number;
  mappedDifferences: number;
}

/**
 * ReplayFindings runs a replay's answer pairs through the same pipeline as live mirroring: the
 * diff engine with the pair's presets (computePair), the learned noise model (with a
 * legacy-secondary when given), and the findings aggregator with its redaction and examples.
 * Differences that are learned correspondences (legacy's id shown as the candidate's own) are
 * dismissed before aggregation and counted apart.
 */
export class ReplayFindings {
  readonly findings: FindingsAggregator;
  readonly noise = new NoiseModel();
  compared = 0;
  mappedDifferences = 0;

  constructor(
    private readonly diffOptions: DiffOptions,
    aggregator: Partial<AggregatorOptions>,
  ) {
    this.findings = new FindingsAggregator(aggregator);
  }

  compare(
    x: ReplayedExchange,
    legacy: CapturedResponse,
    candidate: CapturedResponse,
    secondary: CapturedResponse | undefined,
    isMapped: (d: Difference) => boolean,
    recorded?: CapturedResponse,
  ): ExchangeVerdict {
    const r = computePair(
      { request: { method: x.method, headers: x.headers }, legacy, candidate, secondary },
      this.diffOptions,
    );
    // As live mirroring keys it (parity.ts): a digest of the request, only equality matters.
    const target = createHash("sha256").update(`${x.method} ${x.target}`).digest("base64url").slice(0, 16);
    if (r.legacyLeaves) {
      this.noise.observePrepared(x.template, r.legacyLeaves, target);
      // Legacy's recorded answer to the same request is a second observation of legacy: values
      // that vary by themselves (timestamps) are learned as noise as live mirroring learns them.
      const again = recorded && this.recordedLeaves(recorded, legacy, r.legacyLeaves);
      if (again) this.noise.observePrepared(x.template, again, target);
    }
    const diffs = r.diffs.filter((d) => !isMapped(d));
    const mapped = r.diffs.length - diffs.length;
    this.mappedDifferences += mapped;
    if (secondary) {
      if (r.secondaryLeaves) this.noise.observePrepared(x.template, r.secondaryLeaves, target);
      this.noise.observeSecondary(
        x.template,
        (r.secondaryDiffs ?? []).filter((d) => !isMapped(d)),
        diffs,
      );
    }
    this.findings.countMirrored(x.routeName, x.template);
    this.compared++;
    const verdict: ExchangeVerdict = { real: [], noise: 0, mappedDifferences: mapped };
    if (diffs.length === 0) return verdict;
    const exchange = {
      id: x.id,
      at: x.at,
      method: x.method,
      path: x.target,
      routeName: x.routeName,
      template: x.template,
      requestHeaders: x.headers,
      legacy,
      candidate,
      ...(x.mapped.length ? { mapped: x.mapped } : {}),
    };
    this.findings.add(exchange, diffs, (d) => {
      const e = this.noise.explain(x.template, d);
      if (e.class === "real" && !this.findings.get(findingId(x.routeName, x.template, d.kind, d.groupPath))?.accepted)
        verdict.real.push(d.kind);
      else verdict.noise++;
      return e;
    });
    return verdict;
  }

  /**
   * The noise model's leaves of legacy's recorded answer, or undefined when it is not comparable
   * (another status, cut, an error). Left out: headers (the recording drops and masks some) and
   * every path the recording's redaction changes in legacy's live answer (a masked value would
   * otherwise look like a value that varies by itself).
   */
  private recordedLeaves(
    recorded: CapturedResponse,
    live: CapturedResponse,
    liveLeaves: readonly LeafSummary[],
  ): LeafSummary[] | undefined {
    if (recorded.error !== undefined || live.error !== undefined) return undefined;
    if (recorded.truncated || live.truncated || recorded.status !== live.status) return undefined;
    const leaves = NoiseModel.prepareResponse(recorded);
    if (!leaves) return undefined;
    const decoded = decodeBody(live);
    if (decoded.error !== undefined || decoded.truncated) return undefined;
    const ctype = live.headers["content-type"];
    const { "content-encoding": _enc, ...headers } = live.headers;
    const red = redactBody(decoded.body, Array.isArray(ctype) ? ctype[0] : ctype, this.diffOptions.redactPaths ?? []);
    if (red.encoding !== undefined) return undefined;
    const redacted = NoiseModel.prepareResponse({ ...live, headers, body: Buffer.from(red.text, "utf8") });
    if (!redacted) return undefined;
    const before = new Map(liveLeaves.map((l) => [l[0], l[1]]));
    const after = new Map(redacted.map((l) => [l[0], l[1]]));
    const masked = new Set<string>();
    for (const [p, h] of before) if (after.get(p) !== h) masked.add(p);
    for (const p of after.keys()) if (!before.has(p)) masked.add(p);
    return leaves.filter(([p]) => !p.startsWith("header:") && !masked.has(p));
  }
}
