import { randomBytes } from "node:crypto";
import type pg from "pg";
import type { Logger } from "pino";
import type { PostgresStore } from "../store/postgres.js";
import { CHANGES_CHANNEL } from "../store/postgres-schema.js";

/** A lost LISTEN connection is opened again after this, doubling up to the max while it fails. */
const LISTEN_RETRY_MS = 2000;
const LISTEN_RETRY_MAX_MS = 60_000;

/**
 * ChangeFeed is how a replica hears that others wrote: LISTEN on a session of its own, checked
 * with a self-notification (a transaction-mode pooler accepts LISTEN and never delivers). While it
 * works, `mode` is "listen" and each notification calls `onChange`; otherwise "poll" with the
 * reason, and the replica polls. A lost connection is opened again with backoff.
 */
export class ChangeFeed {
  mode: "listen" | "poll" = "poll";
  modeReason: string | null = "not started";
  private listener: pg.Client | undefined;
  private probe: { nonce: string; resolve(): void } | undefined;
  private relistenTimer: NodeJS.Timeout | undefined;
  private listenRetryMs = LISTEN_RETRY_MS;
  private stopped = false;

  constructor(
    private readonly store: PostgresStore,
    private readonly opts: { id: string; probeMs: number; pollMs: number },
    private readonly onChange: () => void,
    private readonly log: Logger,
  ) {}

  start(): Promise<void> {
    return this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.relistenTimer);
    await this.listener?.end().catch(() => undefined);
  }

  /** LISTEN on a session of its own, then checks with a self-notification that it is delivered. */
  private async listen(): Promise<void> {
    const c = this.store.client();
    try {
      await c.connect();
      c.on("notification", (n) => {
        const p = n.payload ?? "";
        if (p.startsWith("probe ")) {
          if (this.probe && p === `probe ${this.probe.nonce}`) this.probe.resolve();
          return;
        }
        this.onChange();
      });
      c.on("error", (err) => {
        if (this.listener === c) this.listener = undefined;
        void c.end().catch(() => undefined);
        this.toPolling(`LISTEN connection lost: ${err.message}`);
        this.relisten();
      });
      await c.query(`LISTEN ${CHANGES_CHANNEL}`);
      const nonce = randomBytes(8).toString("hex");
      let timer: NodeJS.Timeout | undefined;
      const arrived = await new Promise<boolean>((resolve) => {
        this.probe = { nonce, resolve: () => resolve(true) };
        timer = setTimeout(() => resolve(false), this.opts.probeMs);
        void this.store
          .query("SELECT pg_notify($1, $2)", [CHANGES_CHANNEL, `probe ${nonce}`])
          .catch(() => resolve(false));
      });
      clearTimeout(timer);
      this.probe = undefined;
      if (!arrived) {
        await c.end().catch(() => undefined);
        this.toPolling(
          `a self-notification did not arrive within ${this.opts.probeMs} ms (a transaction-mode pooler?)`,
        );
        return;
      }
      if (this.stopped) {
        await c.end().catch(() => undefined);
        return;
      }
      this.listener = c;
      this.listenRetryMs = LISTEN_RETRY_MS;
      this.mode = "listen";
      this.modeReason = null;
      this.log.info({ replica: this.opts.id }, "replicas: LISTEN works, changes arrive by notification");
    } catch (err) {
      await c.end().catch(() => undefined);
      this.toPolling(`LISTEN failed: ${(err as Error).message}`);
      this.relisten();
    }
  }

  /**
   * After a lost or failed LISTEN connection (not a pooler that never delivers), try again later,
   * backing off up to a minute; meanwhile the replica polls.
   */
  private relisten(): void {
    if (this.stopped || this.relistenTimer) return;
    const wait = this.listenRetryMs;
    this.listenRetryMs = Math.min(wait * 2, LISTEN_RETRY_MAX_MS);
    this.relistenTimer = setTimeout(() => {
      this.relistenTimer = undefined;
      if (!this.stopped && !this.listener) void this.listen();
    }, wait).unref();
  }

  private toPolling(reason: string): void {
    if (this.mode === "poll" && this.modeReason === reason) return;
    this.mode = "poll";
    this.modeReason = reason;
    this.listener = undefined;
    this.log.warn(
      { replica: this.opts.id, poll_ms: this.opts.pollMs, reason },
      "replicas: change notifications unavailable, polling instead; prefer a session-mode or direct database URL",
    );
  }
}
