import { createHash } from "node:crypto";
import { ExactNumber, parseBody } from "../diff/index.js";
import type { BenchRequest } from "./input.js";

/**
 * Correctness first: every answer of a bench run is reduced to a cheap fingerprint (status, media
 * type, hash of the decoded body in a canonical form), and the fingerprints of the two sides are
 * compared per request. The canonical form removes the byte-only drift between frameworks that
 * the diff engine also ignores (JSON key order and whitespace, `\u` escapes, gzip), so a
 * fingerprint differs only when the meaning may differ. Headers are not compared here: that is
 * `cutover replay`'s and the mirror's job, with the full diff engine.
 */

/** Sorted keys, numbers as written (exact beyond 2^53), strings JSON-escaped the same way on both sides. */
function canonical(v: unknown, out: string[]): void {
  if (v === null || typeof v !== "object") {
    out.push(v === undefined ? "null" : JSON.stringify(v));
    return;
  }
  if (v instanceof ExactNumber) {
    out.push(v.text);
    return;
  }
  if (Array.isArray(v)) {
    out.push("[");
    v.forEach((x, i) => {
      if (i > 0) out.push(",");
      canonical(x, out);
    });
    out.push("]");
    return;
  }
  const obj = v as Record<string, unknown>;
  out.push("{");
  Object.keys(obj)
    .sort()
    .forEach((k, i) => {
      out.push(i > 0 ? "," : "", JSON.stringify(k), ":");
      canonical(obj[k], out);
    });
  out.push("}");
}

/** fingerprint: `status media-type hash`, e.g. `200 application/json 3q2+7w1x`; an empty body has no media type. */
export function fingerprint(
  status: number,
  headers: Record<string, string | string[]>,
  body: Buffer,
  truncated: boolean,
): string {
  const parsed = parseBody({ status, headers, body, truncated, timing: { headersMs: 0, totalMs: 0 } });
  if (parsed.kind === "empty") return `${status} - empty`;
  const h = createHash("sha1");
  if (parsed.kind === "json") {
    const out: string[] = [];
    canonical(parsed.value, out);
    h.update(out.join(""));
  } else if (parsed.kind === "binary") h.update(parsed.bytes);
  else if (parsed.kind === "undecodable") h.update(body);
  else h.update(parsed.text);
  return `${status} ${parsed.mediaType || "-"} ${h.digest("base64").slice(0, 10)}${parsed.truncated ? "…" : ""}`;
}

export type Side = "legacy" | "candidate";

/** Distinct fingerprints kept per request and side; more are counted as one "other" value. */
const MAX_DISTINCT = 16;
const OTHER = "(other)";

/** What the two sides answered to one request of the input: fingerprint → count, per side. */
interface Seen {
  legacy: Map<string, number>;
  candidate: Map<string, number>;
}

export interface KindParity {
  /** Method and path shape, e.g. `GET /api/users/{int}`. */
  kind: string;
  legacyAnswers: number;
  candidateAnswers: number;
  /** Candidate answers whose fingerprint legacy never gave to the same request (only the status
   * is compared where legacy differs from itself). */
  differingAnswers: number;
  /** Requests of this kind whose status differs between the sides. */
  statusDiffers: number;
  /** Requests with the same status but a different body. */
  bodyDiffers: number;
  /** Requests where legacy's own body varies between answers (noise: bodies not compared). */
  unstable: number;
  /** One request that differs, with the most frequent fingerprint of each side. */
  example?: { method: string; path: string; legacy: string; candidate: string };
}

export interface ParitySummary {
  /** Requests of the input answered at least once by both sides. */
  compared: number;
  differingAnswers: number;
  kinds: KindParity[];
}

const statusOf = (fp: string): string => fp.slice(0, fp.indexOf(" "));
const top = (m: Map<string, number>): string => [...m].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "";
const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

/** ParityTally counts the fingerprints each side gave to each request of the input (bounded per request). */
export class ParityTally {
  private readonly seen: Seen[];
  constructor(private readonly requests: readonly BenchRequest[]) {
    this.seen = requests.map(() => ({ legacy: new Map(), candidate: new Map() }));
  }

  record(index: number, side: Side, fp: string): void {
    const m = this.seen[index]?.[side];
    if (!m) return;
    const key = m.has(fp) || m.size < MAX_DISTINCT ? fp : OTHER;
    m.set(key, (m.get(key) ?? 0) + 1);
  }

  summary(): ParitySummary {
    const kinds = new Map<string, KindParity>();
    let compared = 0;
    let differingAnswers = 0;
    this.seen.forEach((s, i) => {
      const req = this.requests[i];
      if (!req || s.legacy.size === 0 || s.candidate.size === 0) return;
      compared++;
      let k = kinds.get(req.kind);
      if (!k) {
        const zero = { legacyAnswers: 0, candidateAnswers: 0, differingAnswers: 0 };
        k = { kind: req.kind, ...zero, statusDiffers: 0, bodyDiffers: 0, unstable: 0 };
        kinds.set(req.kind, k);
      }
      k.legacyAnswers += sum(s.legacy);
      k.candidateAnswers += sum(s.candidate);
      const legacyStatuses = new Set([...s.legacy.keys()].map(statusOf));
      const stable = s.legacy.size === 1 && !s.legacy.has(OTHER);
      let differing = 0;
      for (const [fp, n] of s.candidate)
        if (stable ? !s.legacy.has(fp) : !legacyStatuses.has(statusOf(fp))) differing += n;
      const lTop = top(s.legacy);
      const cTop = top(s.candidate);
      if (statusOf(lTop) !== statusOf(cTop)) k.statusDiffers++;
      else if (stable && lTop !== cTop) k.bodyDiffers++;
      if (!stable) k.unstable++;
      k.differingAnswers += differing;
      differingAnswers += differing;
      if (differing > 0 && !k.example)
        k.example = { method: req.method, path: req.path, legacy: lTop, candidate: cTop };
    });
    const list = [...kinds.values()].sort(
      (a, b) => b.differingAnswers - a.differingAnswers || (a.kind < b.kind ? -1 : 1),
    );
    return { compared, differingAnswers, kinds: list };
  }
}
