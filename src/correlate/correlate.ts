import { ExactNumber, parseJsonLossless } from "../json/parse.js";
import { stringifyJson } from "../diff/json-stringify.js";
import type { Difference } from "../diff/types.js";
import { createHmac, randomBytes } from "node:crypto";
import { isSensitiveHeader, isSensitiveKey, looksLikeSecretValue, REDACTED, redactText } from "../redact/index.js";

/**
 * Correlated values: ids, slugs, session ids and tokens that legacy and the candidate generate
 * independently (SQLite reuses a deleted row's id, a PostgreSQL sequence does not; each side mints
 * its own session id). A pair of answers teaches "legacy's 4 is the candidate's 1004"; later
 * requests to the candidate carry 1004 where the recording says 4. Pure: data in, data out; the
 * replay (and live mirroring with `writes: isolated`) owns the instances.
 */

/** One learned correspondence. */
export interface Mapping {
  legacy: string;
  candidate: string;
  /** The JSON path it was learned at, and the request that taught it. */
  path: string;
  from: string;
  /** Set once a later request carried the legacy value and it was substituted. */
  used?: boolean;
}

/** A substitution made in one request: which legacy value became which candidate value, and where. */
export interface Substitution {
  legacy: string;
  candidate: string;
  where: string;
}

/** Keys the digests shown for masked values: random per process, so a short secret (a PIN) cannot be looked up. */
const DIGEST_KEY = randomBytes(16);

/**
 * Whether a place a substitution was made holds credentials: a credential header (cookie,
 * authorization, x-session-token…), or a query parameter or JSON key named like a secret.
 */
function credentialPlace(where: string): boolean {
  if (where.startsWith("header:")) return isSensitiveHeader(where.slice(7));
  if (where.startsWith("query:")) return isSensitiveKey(where.slice(6));
  const key = /\.([^.[\]]+)(?:\[\d+\])*$/.exec(where)?.[1];
  return where.startsWith("body ") && key !== undefined && isSensitiveKey(key);
}

/**
 * How a substitution is shown (findings, reports, replay output). A value in a credential place
 * or shaped like one (JWT, bearer token) is never shown, not even in part: only a short keyed
 * digest, so two mentions of one value in one process's output can still be matched. Other values have token-like parts masked
 * and are cut after 12 characters.
 */
export function describeSubstitution(s: Substitution): string {
  const secret = credentialPlace(s.where);
  const show = (v: string): string => {
    if (secret || looksLikeSecretValue(v))
      return `${REDACTED} #${createHmac("sha256", DIGEST_KEY).update(v).digest("hex").slice(0, 8)}`;
    const t = redactText(v).text;
    return t.length > 12 ? `${t.slice(0, 8)}…` : t;
  };
  return `${show(s.legacy)} → ${show(s.candidate)} (${s.where})`;
}

/** The parts of a request a substitution can touch. */
export interface RequestParts {
  target: string;
  headers: [string, string][];
  body: Buffer | undefined;
}

// Keys whose values are identifiers; numbers are only learned under them (a differing `qty` must
// never turn every later `/users/2` into `/users/3`).
const ID_KEY =
  /(^|[_-])(id|uuid|guid|slug|key|token|session|sid|ref|handle)$|[a-z](Id|Uuid|Slug|Key|Token)$|^(id|sid)$/i;
const TOKENISH = /^[A-Za-z0-9._~:+/=-]{1,256}$/;
const MAX_MAPPINGS = 100_000;

function idLike(key: string | number | undefined, value: string, isNumber: boolean): boolean {
  if (!TOKENISH.test(value)) return false;
  const keyed = typeof key === "string" && ID_KEY.test(key);
  if (isNumber) return keyed && /^-?\d+$/.test(value);
  // Unkeyed strings must look generated: long enough and mixing letters and digits.
  return keyed || (value.length >= 8 && /\d/.test(value) && /[A-Za-z]/.test(value));
}

function scalar(v: unknown): { text: string; isNumber: boolean } | undefined {
  if (typeof v === "string") return { text: v, isNumber: false };
  if (typeof v === "number" && Number.isInteger(v)) return { text: String(v), isNumber: true };
  if (v instanceof ExactNumber) return { text: v.text, isNumber: true };
  return undefined;
}

/** pairValues walks two parsed JSON values in step and lists the id-like leaves that differ. */
export function pairValues(legacy: unknown, candidate: unknown): { path: string; legacy: string; candidate: string }[] {
  const out: { path: string; legacy: string; candidate: string }[] = [];
  const walk = (a: unknown, b: unknown, path: string, key: string | number | undefined, depth: number): void => {
    if (depth > 64 || out.length >= 1000) return;
    const sa = scalar(a);
    const sb = scalar(b);
    if (sa && sb) {
      if (
        sa.text !== sb.text &&
        sa.isNumber === sb.isNumber &&
        idLike(key, sa.text, sa.isNumber) &&
        idLike(key, sb.text, sb.isNumber)
      )
        out.push({ path, legacy: sa.text, candidate: sb.text });
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const n = Math.min(a.length, b.length);
      for (let i = 0; i < n; i++) walk(a[i], b[i], `${path}[${i}]`, key, depth + 1);
      return;
    }
    if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
      const bo = b as Record<string, unknown>;
      for (const [k, v] of Object.entries(a as Record<string, unknown>))
        if (Object.hasOwn(bo, k)) walk(v, bo[k], `${path}.${k}`, k, depth + 1);
    }
  };
  walk(legacy, candidate, "$", undefined, 0);
  return out;
}

/** parseJsonBody parses a body as JSON (losslessly), or undefined when it is not JSON. */
export function parseJsonBody(body: Buffer | undefined): unknown {
  if (!body || body.length === 0 || body.length > 4 << 20) return undefined;
  const text = body.toString("utf8");
  if (!/^\s*[[{]/.test(text)) return undefined;
  const r = parseJsonLossless(text);
  return r.ok ? r.value : undefined;
}

/**
 * Correlator keeps the legacy → candidate map. `learn` takes one answer pair (parsed JSON) and a
 * filter saying which legacy values are worth mapping (in a replay: values that reappear in a
 * later request; a value that never reappears is an ordinary difference and stays a finding).
 * The latest pair wins: legacy reusing a deleted id maps it to the candidate's new one.
 */
export class Correlator {
  private readonly map = new Map<string, Mapping>();
  /** The other way: a live value back to the recorded value it stands for. */
  private readonly back = new Map<string, string>();
  /** Mappings pushed out by the cap (the oldest go first). */
  evicted = 0;

  /** At most `max` mappings; past it the least recently learned or used one is dropped. */
  constructor(private readonly max = MAX_MAPPINGS) {}

  get size(): number {
    return this.map.size;
  }

  mappings(): Mapping[] {
    return [...this.map.values()];
  }

  /** add records one correspondence directly (tests; imported mappings). */
  add(m: Mapping): void {
    if (m.legacy === m.candidate) return;
    const old = this.map.get(m.legacy);
    if (old) {
      this.map.delete(m.legacy);
      if (this.back.get(old.candidate) === m.legacy) this.back.delete(old.candidate);
    } else if (this.map.size >= this.max) {
      const [oldest] = this.map.values();
      if (oldest) {
        this.map.delete(oldest.legacy);
        if (this.back.get(oldest.candidate) === oldest.legacy) this.back.delete(oldest.candidate);
        this.evicted++;
      }
    }
    this.map.set(m.legacy, m);
    this.back.set(m.candidate, m.legacy);
  }

  /** The mapping of a legacy value, if any. */
  lookup(legacy: string): Mapping | undefined {
    return this.map.get(legacy);
  }

  /** keyOf: the value this live value was mapped from, if any. */
  keyOf(live: string): string | undefined {
    return this.back.get(live);
  }

  get(legacy: string): string | undefined {
    return this.map.get(legacy)?.candidate;
  }

  learn(
    legacy: unknown,
    candidate: unknown,
    from: string,
    keep: (legacyValue: string) => boolean = () => true,
  ): Mapping[] {
    const learned: Mapping[] = [];
    for (const p of pairValues(legacy, candidate)) {
      if (!keep(p.legacy)) continue;
      const m = { ...p, from };
      this.add(m);
      learned.push(m);
    }
    return learned;
  }

  /** isMapped: the difference is a learned correspondence (legacy's id shown as the candidate's own). */
  isMapped(d: Difference): boolean {
    return mappedDifference(d, undefined, this);
  }

  /** rewrite substitutes mapped values in a request's path segments, query values, headers and JSON body. */
  rewrite(req: RequestParts): { request: RequestParts; substitutions: Substitution[] } {
    if (this.map.size === 0) return { request: req, substitutions: [] };
    const subs: Substitution[] = [];
    const swap = (value: string, where: string): string => {
      const m = this.map.get(value);
      if (m === undefined) return value;
      m.used = true;
      // Used: it is now the most recent (the cap drops the least recently used first).
      this.map.delete(value);
      this.map.set(value, m);
      subs.push({ legacy: value, candidate: m.candidate, where });
      return m.candidate;
    };
    const q = req.target.indexOf("?");
    const path = q === -1 ? req.target : req.target.slice(0, q);
    const segs = path.split("/").map((s, i) => {
      let decoded = s;
      try {
        decoded = decodeURIComponent(s);
      } catch {
        return s;
      }
      const r = swap(decoded, `path[${i}]`);
      return r === decoded ? s : encodeURIComponent(r);
    });
    let target = segs.join("/");
    if (q !== -1) {
      const params = new URLSearchParams(req.target.slice(q + 1));
      let changed = false;
      for (const [k, v] of [...params]) {
        const r = swap(v, `query:${k}`);
        if (r !== v) {
          params.set(k, r);
          changed = true;
        }
      }
      target += "?" + (changed ? params.toString() : req.target.slice(q + 1));
    }
    const headers = req.headers.map(([n, v]): [string, string] => [n, this.rewriteHeader(n, v, swap)]);
    let body = req.body;
    const json = parseJsonBody(body);
    if (json !== undefined) {
      const before = subs.length;
      const walked = this.rewriteJson(json, "$", swap);
      if (subs.length > before) body = Buffer.from(stringifyJson(walked));
    }
    return { request: { target, headers, body }, substitutions: subs };
  }

  private rewriteHeader(name: string, value: string, swap: (v: string, where: string) => string): string {
    const whole = swap(value, `header:${name}`);
    if (whole !== value) return whole;
    // Tokens inside structured values: "Bearer <t>", cookies "a=<t>; b=<u>", lists "x, y".
    return value.replace(/[^\s;,=]+/g, (tok) => swap(tok, `header:${name}`));
  }

  private rewriteJson(v: unknown, path: string, swap: (v: string, where: string) => string): unknown {
    const s = scalar(v);
    if (s) {
      const r = swap(s.text, `body ${path}`);
      if (r === s.text) return v;
      return s.isNumber && /^-?\d+$/.test(r) ? new ExactNumber(r) : r;
    }
    if (Array.isArray(v)) return v.map((x, i) => this.rewriteJson(x, `${path}[${i}]`, swap));
    if (v && typeof v === "object" && !(v instanceof ExactNumber)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>))
        Object.defineProperty(out, k, {
          value: this.rewriteJson(x, `${path}.${k}`, swap),
          enumerable: true,
          writable: true,
        });
      return out;
    }
    return v;
  }
}

const unquote = (s: string): string => (s.startsWith('"') ? (JSON.parse(s) as string) : s);

/**
 * mappedDifference: legacy's value and the candidate's in a difference stand for the same recorded
 * value (legacy's own value maps through `toLegacy` when legacy minted a new one on replay).
 */
export function mappedDifference(d: Difference, toLegacy: Correlator | undefined, toOther: Correlator): boolean {
  if (d.kind !== "value_changed" || d.legacy === undefined || d.candidate === undefined) return false;
  try {
    return linked(unquote(d.legacy), unquote(d.candidate), toLegacy, toOther);
  } catch {
    return false;
  }
}

/** linked: the two live values stand for the same recorded value. */
export function linked(l: string, other: string, toLegacy: Correlator | undefined, toOther: Correlator): boolean {
  return toOther.get(toLegacy?.keyOf(l) ?? l) === other;
}

/**
 * mappedPaths lists where two parsed answers hold linked values: differences there are mapped
 * ids, also when previews are masked (a `session_id` difference shows "[redacted]" on both sides).
 */
export function mappedPaths(legacy: unknown, other: unknown, toLegacy: Correlator, toOther: Correlator): Set<string> {
  if (legacy === undefined || other === undefined) return new Set();
  return new Set(
    pairValues(legacy, other)
      .filter((p) => linked(p.legacy, p.candidate, toLegacy, toOther))
      .map((p) => p.path),
  );
}

/**
 * laterValues indexes, for each value found in a request (path segment, query value, header token,
 * JSON body leaf), the last request index where it appears: a legacy value is worth mapping only
 * when some later request carries it.
 */
export function laterValues(requests: readonly RequestParts[]): Map<string, number> {
  const last = new Map<string, number>();
  const note = (v: string, i: number): void => {
    if (v !== "") last.set(v, i);
  };
  requests.forEach((r, i) => {
    const q = r.target.indexOf("?");
    for (const s of (q === -1 ? r.target : r.target.slice(0, q)).split("/")) {
      try {
        note(decodeURIComponent(s), i);
      } catch {
        note(s, i);
      }
    }
    if (q !== -1) for (const [, v] of new URLSearchParams(r.target.slice(q + 1))) note(v, i);
    for (const [, v] of r.headers) {
      note(v, i);
      for (const tok of v.match(/[^\s;,=]+/g) ?? []) note(tok, i);
    }
    const walk = (v: unknown, depth: number): void => {
      const s = scalar(v);
      if (s) note(s.text, i);
      else if (depth < 64 && v && typeof v === "object" && !(v instanceof ExactNumber))
        for (const x of Object.values(v as Record<string, unknown>)) walk(x, depth + 1);
    };
    walk(parseJsonBody(r.body), 0);
  });
  return last;
}
