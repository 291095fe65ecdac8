import { createHash, randomUUID } from "node:crypto";
import type { CapturedResponse, DiffKind, DiffOptions } from "../diff/types.js";
import type { AggregatorOptions } from "../findings/index.js";
import { HEADER_ID_PREFIX, idHash, setAt } from "../recording/ids.js";
import type { RecordedRequest } from "../recording/types.js";
import { REDACTED } from "../redact/index.js";
import { pathShape } from "../route/shape.js";
import {
  Correlator,
  describeSubstitution,
  laterValues,
  mappedDifference,
  mappedPaths,
  parseJsonBody,
  type Mapping,
  type RequestParts,
} from "../correlate/correlate.js";
import { ReplayFindings } from "./findings.js";
import { authProblem, recordedJwt, resign, type AuthProblem, type ResignOptions } from "./jwt.js";
import { groupByUser } from "./plan.js";
import { replayAgent, ReplayTarget } from "./send.js";
import { isWrite, probeAll, type StateProbes } from "./state.js";

export interface ReplayOptions {
  legacy: string;
  candidate: string;
  secondary?: string | undefined;
  /** Users replayed in parallel (each user's requests stay sequential). Default 8. */
  concurrency: number;
  /** `original`: keep the recorded gaps (divided by `speed`); `fast`: as fast as the upstreams answer. */
  pacing: "original" | "fast";
  speed: number;
  timeoutMs: number;
  /** Learn and substitute correlated values (default true). */
  correlate: boolean;
  resign?: ResignOptions | undefined;
  keys: readonly string[];
  diff: DiffOptions;
  aggregator: Partial<AggregatorOptions>;
  /** Mappings known before the replay starts (imported, or a test's deliberately broken one). */
  seed?: Mapping[];
  /** SQL probes run on each side after every write; their rows are compared like answers (state.ts). */
  state?: StateProbes | undefined;
  onProgress?: (done: number, total: number) => void;
}

/** One replayed request: what each side answered and what the comparison made of it. */
export interface RequestOutcome {
  index: number;
  id: string;
  method: string;
  target: string;
  legacy: number;
  candidate: number;
  secondary?: number;
  /** Kinds of the real (not noise, not accepted) differences. */
  real: DiffKind[];
  /** Substitutions made in the candidate's request. */
  mapped: string[];
  /** Set when the request's credentials could not be replayed; it is then not compared. */
  unauthenticated?: AuthProblem;
  /** After a write with state probes: kinds of the real differences between the sides' rows. */
  state?: DiffKind[];
}

export interface ReplayResult {
  id: string;
  startedAt: number;
  finishedAt: number;
  requests: number;
  compared: number;
  /** Differences dismissed because they were learned correspondences. */
  mappedDifferences: number;
  mappings: Mapping[];
  unauthenticated: { index: number; method: string; target: string; reason: AuthProblem; status: number }[];
  outcomes: RequestOutcome[];
  /** A hash of every outcome (statuses, real kinds, substitutions): equal across runs means deterministic. */
  signature: string;
  findings: ReplayFindings;
}

/**
 * Restoring masked generated values: the recording keeps a salted hash beside each one (ids.ts);
 * a value carried raw by a later request with the same hash is the masked one. `answer` parses a
 * request's recorded JSON answer with its masked values restored; `headers` restores the request
 * headers masked whole (`x-session-id`), so the replay sends the id and correlation maps it.
 */
function maskedValues(later: ReadonlyMap<string, number>): {
  answer: (r: RecordedRequest) => unknown;
  headers: (r: RecordedRequest) => [string, string][];
} {
  const bySalt = new Map<string, Map<string, string>>();
  const table = (salt: string): Map<string, string> => {
    let byHash = bySalt.get(salt);
    if (!byHash) {
      byHash = new Map();
      for (const token of later.keys()) if (token.length >= 16) byHash.set(idHash(salt, token), token);
      bySalt.set(salt, byHash);
    }
    return byHash;
  };
  return {
    answer: (r) => {
      const json = parseJsonBody(r.recorded?.body);
      if (json === undefined || !r.maskedIds?.length || r.idSalt === undefined) return json;
      const byHash = table(r.idSalt);
      for (const m of r.maskedIds) {
        if (m.path.startsWith(HEADER_ID_PREFIX)) continue;
        const token = byHash.get(m.hash);
        if (token !== undefined) setAt(json, m.path, token);
      }
      return json;
    },
    headers: (r) => {
      const ids = r.maskedIds?.filter((m) => m.path.startsWith(HEADER_ID_PREFIX));
      if (!ids?.length || r.idSalt === undefined) return r.headers;
      const byHash = table(r.idSalt);
      const restored = new Map<string, string>();
      for (const m of ids) {
        const token = byHash.get(m.hash);
        if (token !== undefined) restored.set(m.path.slice(HEADER_ID_PREFIX.length), token);
      }
      if (restored.size === 0) return r.headers;
      return r.headers.map(([n, v]): [string, string] => [n, v === REDACTED ? (restored.get(n) ?? v) : v]);
    },
  };
}

/** Legacy's recorded answer as a captured response (decoded and redacted when it was written). */
function recordedAnswer(r: RecordedRequest): CapturedResponse | undefined {
  const a = r.recorded;
  if (!a) return undefined;
  return {
    status: a.status,
    headers: a.headers,
    body: a.body,
    truncated: a.truncated === true,
    ...(a.error !== undefined ? { error: a.error } : {}),
    timing: { headersMs: 0, totalMs: 0 },
  };
}

/** The endpoint template under which the rows the state probes read are compared. */
export const STATE_TEMPLATE = "[state]";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function headerOf(h: [string, string][], name: string): string | undefined {
  return h.find(([n]) => n === name)?.[1];
}

function headerRecord(h: [string, string][]): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [n, v] of h) {
    const prev = out[n];
    out[n] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/**
 * replay sends a recording to legacy, the candidate (and a legacy-secondary) and compares the
 * answers with the live pipeline's diff, noise and findings. Users run in parallel (at most
 * `concurrency`), each user's requests in recorded order; values the two sides generate
 * differently are learned and substituted in later candidate requests; recorded JWTs are re-signed
 * when a secret is given, and otherwise requests whose token cannot be replayed are listed apart.
 */
export async function replay(requests: readonly RecordedRequest[], o: ReplayOptions): Promise<ReplayResult> {
  const startedAt = Date.now();
  const agent = replayAgent(Math.max(4, o.concurrency * 2));
  const legacy = new ReplayTarget(o.legacy, agent, o.timeoutMs);
  const candidate = new ReplayTarget(o.candidate, agent, o.timeoutMs);
  const secondary = o.secondary ? new ReplayTarget(o.secondary, agent, o.timeoutMs) : undefined;
  const findings = new ReplayFindings(o.diff, o.aggregator);
  // Recorded value → the value each side minted on replay (legacy too: a fresh session id).
  const toLegacy = new Correlator();
  const toCandidate = new Correlator();
  const toSecondary = new Correlator();
  for (const m of o.seed ?? []) toCandidate.add(m);
  // Restored request headers carry their ids too: a session id sent only in a header is kept.
  const restoring = maskedValues(laterValues(requests));
  const later = laterValues(requests.map((r) => ({ target: r.target, headers: restoring.headers(r), body: r.body })));
  const masked = maskedValues(later);
  const recordedOf = masked.answer;
  const outcomes: RequestOutcome[] = [];
  const unauthenticated: ReplayResult["unauthenticated"] = [];
  const t0 = requests.reduce((m, r) => Math.min(m, r.at || Infinity), Infinity);
  let done = 0;

  const one = async (r: RecordedRequest): Promise<void> => {
    if (o.pacing === "original" && Number.isFinite(t0) && r.at) {
      const due = startedAt + (r.at - t0) / o.speed;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    let headers = masked.headers(r);
    let problem: AuthProblem | undefined;
    const jwt = recordedJwt(headerOf(headers, "authorization"), r.jwt);
    if (jwt) {
      const now = Math.floor(Date.now() / 1000);
      if (o.resign) {
        const token = await resign(jwt, o.resign, now);
        headers = [...headers.filter(([n]) => n !== "authorization"), ["authorization", `Bearer ${token}`]];
      } else problem = authProblem(jwt, now);
    }
    const base: RequestParts = { target: r.target, headers, body: r.body };
    const none = { request: base, substitutions: [] };
    const lr = o.correlate ? toLegacy.rewrite(base) : none;
    const c = o.correlate ? toCandidate.rewrite(base) : none;
    const s = o.correlate ? toSecondary.rewrite(base) : none;
    const [l, cand, sec] = await Promise.all([
      legacy.send(r.method, lr.request),
      candidate.send(r.method, c.request),
      secondary?.send(r.method, s.request),
    ]);
    const paths = o.correlate ? learn(r, l, cand, sec) : new Set<string>();
    const outcome: RequestOutcome = {
      index: r.index,
      id: r.id,
      method: r.method,
      target: r.target,
      legacy: l.status,
      candidate: cand.status,
      real: [],
      mapped: c.substitutions.map(describeSubstitution),
    };
    if (sec) outcome.secondary = sec.status;
    const refused = (x: CapturedResponse): boolean => x.status === 401 || x.status === 403;
    if (problem && refused(l) && refused(cand)) {
      outcome.unauthenticated = problem;
      unauthenticated.push({ index: r.index, method: r.method, target: r.target, reason: problem, status: l.status });
    } else {
      const exchange = {
        id: r.id,
        at: r.at || Date.now(),
        method: r.method,
        target: r.target,
        routeName: r.route ?? "replay",
        template: r.template ?? pathShape(r.target),
        headers: headerRecord(headers),
        mapped: outcome.mapped,
      };
      const v = findings.compare(
        exchange,
        l,
        cand,
        sec,
        (d) =>
          (d.kind === "value_changed" && paths.has(d.path)) ||
          mappedDifference(d, toLegacy, toCandidate) ||
          mappedDifference(d, toLegacy, toSecondary),
        recordedAnswer(r),
      );
      outcome.real = [...new Set(v.real)].sort();
      if (o.state && isWrite(r.method)) {
        // The write's effect: each side's rows after it, compared like answers (ids mapped alike).
        // One template for every write's rows: volatile columns are the table's, learned across
        // all writes; each finding's examples name the write.
        const rows = await probeAll(o.state);
        const sv = findings.compare(
          { ...exchange, template: STATE_TEMPLATE },
          rows.legacy,
          rows.candidate,
          rows.secondary,
          (d) => mappedDifference(d, toLegacy, toCandidate) || mappedDifference(d, toLegacy, toSecondary),
        );
        outcome.state = [...new Set(sv.real)].sort();
      }
    }
    outcomes.push(outcome);
    o.onProgress?.(++done, requests.length);
  };

  // Each side's answer is paired with the recorded one; without a recorded JSON answer, legacy's
  // live answer stands in for it (legacy on a twin database reproduces the recording).
  const learn = (
    r: RecordedRequest,
    l: CapturedResponse,
    c: CapturedResponse,
    s: CapturedResponse | undefined,
  ): Set<string> => {
    const keep = (v: string): boolean => (later.get(v) ?? -1) > r.index;
    const lj = parseJsonBody(l.body);
    const recorded = recordedOf(r);
    if (recorded !== undefined && lj !== undefined) toLegacy.learn(recorded, lj, r.id, keep);
    const ref = recorded ?? lj;
    if (ref === undefined) return new Set();
    const cj = parseJsonBody(c.body);
    if (cj !== undefined) toCandidate.learn(ref, cj, r.id, keep);
    const sj = s ? parseJsonBody(s.body) : undefined;
    if (sj !== undefined) toSecondary.learn(ref, sj, r.id, keep);
    // Where legacy's and each other side's live values stand for the same recorded value.
    const paths = mappedPaths(lj, cj, toLegacy, toCandidate);
    for (const p of mappedPaths(lj, sj, toLegacy, toSecondary)) paths.add(p);
    return paths;
  };

  const groups = groupByUser(requests, o.keys);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let g = groups[next++]; g; g = groups[next++]) for (const r of g.requests) await one(r);
  };
  try {
    // With state probes, one user at a time: a probe must see the rows of its own write only, not
    // another user's concurrent one (at different moments on each side: false state findings).
    const concurrency = o.state ? 1 : o.concurrency;
    await Promise.all(Array.from({ length: Math.min(concurrency, groups.length) }, worker));
  } finally {
    await agent.close();
  }
  outcomes.sort((a, b) => a.index - b.index);
  const sig = createHash("sha256");
  for (const x of outcomes)
    sig.update(
      `${x.index} ${x.legacy} ${x.candidate} ${x.secondary ?? ""} ${x.real.join(",")} ${x.mapped.length} ${x.unauthenticated ?? ""} ${x.state?.join(",") ?? ""}\n`,
    );
  return {
    id: `replay-${new Date(startedAt).toISOString().replace(/[-:]/g, "").slice(0, 15)}-${randomUUID().slice(0, 8)}`,
    startedAt,
    finishedAt: Date.now(),
    requests: requests.length,
    compared: findings.compared,
    mappedDifferences: findings.mappedDifferences,
    mappings: toCandidate.mappings(),
    unauthenticated,
    outcomes,
    signature: sig.digest("hex").slice(0, 16),
    findings,
  };
}
