import { randomBytes } from "node:crypto";
import { CutoverError, ERROR_CODES, isCutoverError, type ErrorCode } from "../errors/index.js";
import type { Store } from "../store/store.js";

/** Row collections: requests written by any replica, answers written by the leader (both keyed by request id). */
export const REQUESTS = "rollout_request";
export const ANSWERS = "rollout_answer";

/** A manual rollout action as one replica asks the leader to apply it. */
export interface ForwardedAction {
  type: "promote" | "pause" | "resume" | "rollback";
  actor: string;
  reason: string;
  /** The replica it came through, for the log. */
  via: string;
  at: number;
}

/** How long before the asking replica's deadline the leader stops applying a request. */
const APPLY_MARGIN_MS = 1000;

interface Answer {
  ok: boolean;
  code?: ErrorCode;
  /** The error's detail (the code's own message is not repeated). */
  detail?: string;
  by: string;
}

/** The detail a coded error was made with (its message minus the code's own message). */
function detailOf(e: CutoverError): string | undefined {
  const base = ERROR_CODES[e.code].message;
  return e.message.startsWith(`${base}: `) ? e.message.slice(base.length + 2) : undefined;
}

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Forwarding makes a manual rollout action (promote, pause, resume, rollback) work through any
 * replica: a replica that does not judge stores the request, the leader applies it as its own
 * manual action (fenced, audited with the operator as actor) and stores the answer, and the asking
 * replica answers its client with the outcome. A request older than `ttlMs` is never applied: the
 * operator was told it failed. A leader elected while a request waits applies it too.
 */
export class Forwarding {
  private readonly waiting = new Map<string, Waiter>();
  /** Requests this replica applied as leader (a request is applied at most once per leader). */
  private readonly applied = new Set<string>();

  /**
   * `now` is the database's clock as this replica estimates it, so a request's age means the same
   * on the replica that asked and on the leader whatever their own clocks say.
   */
  constructor(
    private readonly store: Store,
    private readonly replica: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Asks the leader to apply an action; resolves once it did, rejects with its error or on timeout. */
  request(action: Omit<ForwardedAction, "via" | "at">): Promise<void> {
    const id = randomBytes(8).toString("hex");
    const value: ForwardedAction = { ...action, via: this.replica, at: this.now() };
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        // An answer that arrived with the last change read counts, even at the deadline.
        this.answersChanged();
        if (!this.waiting.has(id)) return;
        this.finish(id);
        reject(
          new CutoverError(
            "CUTOVER_ERR_NOT_LEADER",
            `no leader applied ${action.type} within ${this.ttlMs} ms (cutover status shows the replicas)`,
          ),
        );
      }, this.ttlMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.store.putRows(REQUESTS, [{ key: id, value }]);
    });
  }

  /** Answers that arrived (call when other replicas changed the answers collection). */
  answersChanged(): void {
    for (const { key, value } of this.store.getRows(ANSWERS)) {
      const w = this.waiting.get(key);
      if (!w) continue;
      const a = value as Answer;
      this.finish(key);
      if (a.ok) w.resolve();
      else w.reject(new CutoverError(a.code ?? "CUTOVER_ERR_INTERNAL", `${a.detail ?? "refused"} (leader ${a.by})`));
    }
  }

  /**
   * The leader applies the requests not yet answered (call when requests changed and when this
   * replica becomes the leader). `apply` is the controller's own manual action; it throws a coded
   * error when the action is not possible in the current state.
   */
  serve(apply: (a: ForwardedAction) => void, fenced: (fn: () => void) => void = (fn) => fn(), now = this.now()): void {
    const answered = new Set(this.store.getRows(ANSWERS).map((r) => r.key));
    const requests = this.store.getRows(REQUESTS);
    // Bounded: only ids of requests still stored are remembered.
    const present = new Set(requests.map((r) => r.key));
    for (const id of this.applied) if (!present.has(id)) this.applied.delete(id);
    for (const { key, value } of requests) {
      const a = value as ForwardedAction;
      if (now - a.at > 4 * this.ttlMs) {
        // Its replica died while waiting: nobody will read the answer.
        this.store.putRows(REQUESTS, [], [key]);
        this.store.putRows(ANSWERS, [], [key]);
        continue;
      }
      // A margin before the asking replica's own deadline: never applied after it gave up.
      if (answered.has(key) || this.applied.has(key) || now - a.at > this.ttlMs - APPLY_MARGIN_MS) continue;
      this.applied.add(key);
      // Fenced like the decision itself: if a newer leader took over, the answer is refused with
      // the decision, the asker is not told "applied", and the new leader applies it instead.
      fenced(() => {
        let answer: Answer;
        try {
          apply(a);
          answer = { ok: true, by: this.replica };
        } catch (err) {
          const e = isCutoverError(err) ? err : new CutoverError("CUTOVER_ERR_INTERNAL", (err as Error).message);
          const detail = detailOf(e);
          answer = { ok: false, code: e.code, ...(detail ? { detail } : {}), by: this.replica };
        }
        // Queued after the decision's own writes: whoever reads the answer has the new state too.
        this.store.putRows(ANSWERS, [{ key, value: answer }]);
      });
    }
  }

  /** Stops waiting (the gateway stops): pending requests fail. */
  close(): void {
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(new CutoverError("CUTOVER_ERR_NOT_LEADER", "the gateway stopped before the leader answered"));
      this.finish(id);
    }
  }

  private finish(id: string): void {
    const w = this.waiting.get(id);
    if (w) clearTimeout(w.timer);
    this.waiting.delete(id);
    this.store.putRows(REQUESTS, [], [id]);
    this.store.putRows(ANSWERS, [], [id]);
  }
}
