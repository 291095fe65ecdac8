import { createHash } from "node:crypto";
import type { PassThrough } from "node:stream";
import {
  Correlator,
  describeSubstitution,
  pairValues,
  parseJsonBody,
  type Mapping,
  type RequestParts,
  type Substitution,
} from "../correlate/correlate.js";
import { decodeBody } from "../diff/decode.js";
import type { CapturedResponse } from "../diff/types.js";

/**
 * Live correlation for `mirror.writes: isolated`: the candidate runs on its own datastore, so it
 * mints its own ids, session ids and tokens. Each mirrored answer pair teaches, per user, which
 * legacy value stands for which candidate value; the user's later mirrored requests reach the
 * candidate (and legacy-secondary) with the values that side knows (path, query, headers, JSON
 * body). The same pure learning and substitution as replay (src/correlate/).
 *
 * Never on the client's critical path: a user's mirrored copies wait (detached) until the
 * previous exchange of that user has been learned, learning runs on a later turn of the event
 * loop, and a body is buffered only from the mirror's own copy (already capped at max_body).
 * Bounded: at most `users` users (least recently seen dropped first) with at most `values`
 * mappings each (least recently used dropped first), both counted (state(), shown in status and
 * measured in cutover_state_* by the comparison pipeline).
 */

export type CorrelatedSide = "candidate" | "secondary";

export interface CorrelationLimits {
  /** Users whose mappings are kept. */
  users: number;
  /** Mappings kept per user (and side). */
  values: number;
}

/** What correlation did for one exchange, as the comparison needs it. */
export interface CorrelationNote {
  /** Substitutions made in the candidate's (and secondary's) request: "4 → 1004 (path[3])". */
  mapped: string[];
  /** JSON paths where the answers hold the values a substitution sent (or a mapping already used): not differences. */
  paths: Set<string>;
  /** Paths where the candidate answered another value than the one substituted: the mapping is broken. */
  broken: string[];
}

interface UserMaps {
  candidate: Correlator;
  secondary: Correlator;
  /** Settles when the user's latest exchange has been learned. */
  tail: Promise<void>;
}

/**
 * One user's mappings as data (structured-cloneable): what a cluster's primary hands a worker with
 * the user's turn, and what the worker hands back when the turn ends. `evicted`: mappings the cap
 * pushed out while the worker held the turn.
 */
export interface CorrelationState {
  candidate: Mapping[];
  secondary: Mapping[];
  evicted: number;
}

/** Where a data plane's mirror opens turns: its own LiveCorrelation, or a cluster's primary. */
export interface TurnSource {
  /** turn opens the next mirrored exchange of the user with this bucket key; `deadlineMs`: how long it may take. */
  turn(key: string, id: string, deadlineMs?: number): Turn;
  state(): { kind: string; entries: number | null; limit: number; capped: number }[];
}

/** Users are kept by a hash of their bucket key, never the key itself. */
export function userHash(key: string): string {
  return createHash("sha256").update(key).digest("base64url").slice(0, 16);
}

function correlator(values: number, ms: readonly Mapping[], evicted: number): Correlator {
  const c = new Correlator(values);
  for (const m of ms) c.add(m);
  c.evicted = evicted;
  return c;
}

function answerJson(a: CapturedResponse | undefined): unknown {
  if (!a || a.error !== undefined || a.truncated) return undefined;
  const d = decodeBody(a);
  return d.error !== undefined || d.truncated ? undefined : parseJsonBody(d.body);
}

/**
 * One mirrored exchange of one user. `ready` settles when the user's previous exchange has been
 * learned; `rewrite` substitutes the user's mappings in a side's request; `finish` learns from
 * the answers and lets the user's next exchange go.
 */
export class Turn {
  readonly ready: Promise<void>;
  /** Settles when the turn is finished or cancelled. */
  readonly ended: Promise<void>;
  private release!: () => void;
  private readonly subs: Record<CorrelatedSide, Substitution[]> = { candidate: [], secondary: [] };
  private finished = false;

  constructor(
    private readonly maps: UserMaps,
    private readonly id: string,
  ) {
    this.ready = maps.tail;
    this.ended = new Promise<void>((r) => (this.release = r));
    maps.tail = this.ended;
  }

  rewrite(side: CorrelatedSide, parts: RequestParts): RequestParts {
    const r = this.maps[side].rewrite(parts);
    this.subs[side].push(...r.substitutions);
    return r.request;
  }

  /** finish learns from the answer pair(s), releases the user's next exchange and says what was mapped. */
  finish(
    legacy: CapturedResponse,
    candidate: CapturedResponse,
    secondary: CapturedResponse | undefined,
  ): CorrelationNote {
    const note: CorrelationNote = { mapped: [], paths: new Set(), broken: [] };
    if (this.finished) return note;
    this.finished = true;
    try {
      const lj = answerJson(legacy);
      if (lj !== undefined) {
        this.judge("candidate", lj, answerJson(candidate), note);
        if (secondary) this.judge("secondary", lj, answerJson(secondary), note);
      }
      for (const s of [...this.subs.candidate, ...this.subs.secondary]) note.mapped.push(describeSubstitution(s));
    } finally {
      this.release();
    }
    return note;
  }

  /** seed adds a mapping by hand (tests; mappings imported from elsewhere). */
  seed(side: CorrelatedSide, m: Mapping): void {
    this.maps[side].add(m);
  }

  /** exportMaps: the user's mappings as data, with what the caps dropped since they were loaded. */
  exportMaps(): CorrelationState {
    const m = this.maps;
    return {
      candidate: m.candidate.mappings(),
      secondary: m.secondary.mappings(),
      evicted: m.candidate.evicted + m.secondary.evicted,
    };
  }

  /** adoptMaps replaces the user's mappings with the ones a worker learned while it held the turn. */
  adoptMaps(s: CorrelationState, values: number): void {
    const m = this.maps;
    m.candidate = correlator(values, s.candidate, m.candidate.evicted + s.evicted);
    m.secondary = correlator(values, s.secondary, m.secondary.evicted);
  }

  /** cancel lets the user's next exchange go without learning (the exchange was abandoned). */
  cancel(): void {
    this.finished = true;
    this.release();
  }

  /**
   * judge walks the id-like values that differ between legacy's answer and the side's: a value a
   * substitution sent must come back as the side's own (else the mapping is broken and the
   * difference stays); a mapping already used by a request is confirmed; anything else is learned
   * (the first sighting stays a difference: a value no later request carries is an ordinary one).
   */
  private judge(side: CorrelatedSide, lj: unknown, other: unknown, note: CorrelationNote): void {
    if (other === undefined) return;
    const corr = this.maps[side];
    const sent = new Map(this.subs[side].map((s) => [s.legacy, s.candidate]));
    for (const p of pairValues(lj, other)) {
      const substituted = sent.get(p.legacy);
      if (substituted !== undefined) {
        if (substituted === p.candidate) note.paths.add(p.path);
        else note.broken.push(p.path);
        continue;
      }
      const m = corr.lookup(p.legacy);
      if (m?.candidate === p.candidate) {
        if (m.used) note.paths.add(p.path);
        continue;
      }
      corr.add({ ...p, from: this.id });
    }
  }
}

/**
 * turnFrom: a turn whose mappings arrive later (a cluster worker's, from the primary); `ready`
 * settles once they are loaded. Undefined state: no mappings (the turn goes uncorrelated).
 */
export function turnFrom(id: string, values: number, state: Promise<CorrelationState | undefined>): Turn {
  const maps: UserMaps = {
    candidate: new Correlator(values),
    secondary: new Correlator(values),
    tail: Promise.resolve(),
  };
  maps.tail = state.then((s) => {
    if (!s) return;
    maps.candidate = correlator(values, s.candidate, 0);
    maps.secondary = correlator(values, s.secondary, 0);
  });
  return new Turn(maps, id);
}

/** LiveCorrelation holds the per-user maps of one data plane (one process, or a cluster's primary). */
export class LiveCorrelation implements TurnSource {
  private readonly users = new Map<string, UserMaps>();
  private usersDropped = 0;

  constructor(readonly limits: CorrelationLimits) {}

  /** turn opens the next mirrored exchange of the user with this bucket key. */
  turn(key: string, id: string): Turn {
    return this.open(userHash(key), id);
  }

  /** open opens the next exchange of the user with this hash (userHash). */
  open(h: string, id: string): Turn {
    let maps = this.users.get(h);
    if (maps) this.users.delete(h);
    else {
      if (this.users.size >= this.limits.users) {
        const [oldest] = this.users.keys();
        if (oldest !== undefined) this.users.delete(oldest);
        this.usersDropped++;
      }
      maps = {
        candidate: new Correlator(this.limits.values),
        secondary: new Correlator(this.limits.values),
        tail: Promise.resolve(),
      };
    }
    this.users.set(h, maps);
    return new Turn(maps, id);
  }

  /** The state counts as status shows them: users and mappings held, their caps, what the caps dropped. */
  state(): { kind: string; entries: number | null; limit: number; capped: number }[] {
    let values = 0;
    let dropped = 0;
    for (const m of this.users.values()) {
      values += m.candidate.size + m.secondary.size;
      dropped += m.candidate.evicted + m.secondary.evicted;
    }
    return [
      { kind: "correlation_users", entries: this.users.size, limit: this.limits.users, capped: this.usersDropped },
      {
        kind: "correlation_values",
        entries: values,
        limit: this.limits.values * this.limits.users * 2,
        capped: dropped,
      },
    ];
  }
}

/** collect reads a mirrored body copy (the tee caps it at max_body) into one buffer; undefined when it failed. */
export function collect(stream: PassThrough | null): Promise<Buffer | null | undefined> {
  if (!stream) return Promise.resolve(null);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.once("end", () => resolve(Buffer.concat(chunks)));
    stream.once("error", () => resolve(undefined));
    stream.once("close", () => resolve(stream.readableEnded ? Buffer.concat(chunks) : undefined));
  });
}

const FRAMING = new Set(["content-length", "transfer-encoding"]);

/**
 * turnWithin: true when the user's previous exchange was learned within `ms`, false after `ms`
 * (the copies of a user that sends many requests at once, or whose previous exchange is a slow
 * answer, are not left holding mirror slots).
 */
export function turnWithin(turn: Turn, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    turn.ready.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

/**
 * correlatedRequest waits for the user's turn and the whole mirrored body, then rewrites the
 * side's request with the user's mappings. Headers are node's flat [name, value, …] list; a
 * buffered body gets its own Content-Length (a substituted id can change its length).
 */
export async function correlatedRequest(
  turn: Turn,
  ready: Promise<boolean>,
  side: CorrelatedSide,
  path: string,
  headers: string[],
  body: PassThrough | null,
): Promise<{ path: string; headers: string[]; body: Buffer | null } | "lapsed" | undefined> {
  const [buf, inTime] = await Promise.all([collect(body), ready]);
  if (!inTime) return "lapsed";
  if (buf === undefined) return undefined;
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const n = headers[i] as string;
    if (buf === null || !FRAMING.has(n.toLowerCase())) pairs.push([n, headers[i + 1] as string]);
  }
  const r = turn.rewrite(side, { target: path, headers: pairs, body: buf ?? undefined });
  const flat = r.headers.flat();
  if (buf !== null) flat.push("content-length", String(r.body?.length ?? 0));
  return { path: r.target, headers: flat, body: buf === null ? null : (r.body ?? buf) };
}
