/**
 * The mirror circuit breaker: after `failures` consecutive failed exchanges with one upstream on
 * one route (transport errors, garbage, the mirror deadline, a body past the capture cap where
 * legacy's was not), mirroring that traffic stops for `open` ms; then one exchange is let through
 * as a probe. A probe that succeeds closes the breaker; one that fails opens it again for twice as
 * long, up to `max_open`. The open period starts again from `open` once the breaker stayed closed
 * for `max_open`. Modelled on Envoy's outlier detection (consecutive local-origin failures, an
 * ejection time that grows with each ejection up to a maximum) and Traefik's circuit breaker (open,
 * then recovering on live traffic); for a mirror the "fallback" is simply not mirroring, which the
 * client never sees.
 *
 * Nothing is hidden: every failure seen is still compared and reported as a finding, each exchange
 * the breaker skips is counted, and the breaker's state is in status and metrics.
 *
 * Pure logic: time comes in as an argument, decisions come out as data.
 */
import type { BreakerView } from "../state/breakers.js";

export type { BreakerView } from "../state/breakers.js";

export type BreakerState = BreakerView["state"];

export interface BreakerConfig {
  /** Consecutive failed exchanges that open the breaker; 0 turns it off. */
  failures: number;
  /** First open period, ms. */
  open: number;
  /** Longest open period, ms; also how long it must stay closed before the period starts again. */
  max_open: number;
}

/** How an exchange was admitted: as ordinary traffic or as the half-open breaker's probe. */
export type Admission = "pass" | "probe";

/**
 * What one mirrored exchange says about the upstream: `ok`, a failure (an error code or
 * `capture_full`), or `neutral` when the exchange ended for a reason that is not the upstream's
 * (the client's body was cut, the gateway refused the request).
 */
export type Outcome = { ok: true } | { ok: false; reason: string } | "neutral";

export class Breaker {
  state: BreakerState = "closed";
  consecutive = 0;
  failures = 0;
  skipped = 0;
  opened = 0;
  probes = 0;
  /** Open periods in a row without a long enough closed spell: the period is open × 2^level. */
  private level = 0;
  private openMs = 0;
  private openUntil = 0;
  private closedAt = Number.NEGATIVE_INFINITY;
  private probing = false;
  private probeAt = 0;
  private lastFailure: { at: number; reason: string } | undefined;

  constructor(private readonly cfg: BreakerConfig) {}

  /** admit says whether an exchange may go now, and how; undefined means skip it (counted). */
  admit(now: number): Admission | undefined {
    if (this.cfg.failures === 0 || this.state === "closed") return "pass";
    if (this.state === "open" && now >= this.openUntil) this.state = "half_open";
    // A probe whose outcome never came back (its exchange lost) must not keep the breaker half-open
    // for good: after max_open another one goes.
    if (this.probing && now - this.probeAt >= this.cfg.max_open) this.probing = false;
    if (this.state === "half_open" && !this.probing) {
      this.probing = true;
      this.probeAt = now;
      this.probes++;
      return "probe";
    }
    this.skipped++;
    return undefined;
  }

  /**
   * report takes an admitted exchange's outcome and returns the new state when it changed.
   * Exchanges admitted before the breaker opened still count as evidence (failures) but only the
   * probe decides while it is open.
   */
  report(admission: Admission, outcome: Outcome, now: number): BreakerState | undefined {
    if (outcome !== "neutral" && !outcome.ok) {
      this.failures++;
      this.lastFailure = { at: now, reason: outcome.reason };
    }
    if (this.cfg.failures === 0) return undefined;
    if (admission === "probe") {
      this.probing = false;
      if (outcome === "neutral") return undefined; // the next exchange probes instead
      return outcome.ok ? this.close(now) : this.open(now);
    }
    if (this.state !== "closed" || outcome === "neutral") return undefined;
    if (outcome.ok) {
      this.consecutive = 0;
      return undefined;
    }
    if (++this.consecutive < this.cfg.failures) return undefined;
    if (now - this.closedAt >= this.cfg.max_open) this.level = 0;
    return this.open(now);
  }

  private open(now: number): BreakerState {
    this.openMs = Math.min(this.cfg.max_open, this.cfg.open * 2 ** this.level);
    this.level = Math.min(this.level + 1, 30);
    this.openUntil = now + this.openMs;
    this.opened++;
    this.state = "open";
    return this.state;
  }

  private close(now: number): BreakerState {
    this.state = "closed";
    this.consecutive = 0;
    this.closedAt = now;
    return this.state;
  }

  view(route: string, upstream: string, now: number): BreakerView {
    return {
      route,
      upstream,
      state: this.state,
      consecutive_failures: this.consecutive,
      failures: this.failures,
      skipped: this.skipped,
      opened: this.opened,
      probes: this.probes,
      open_ms: this.openMs,
      probe_in_ms: this.state === "open" ? Math.max(0, this.openUntil - now) : null,
      last_failure: this.lastFailure
        ? { at: new Date(this.lastFailure.at).toISOString(), reason: this.lastFailure.reason }
        : null,
    };
  }
}

/** Error codes that end an exchange for reasons that are not the upstream's (never a failure). */
const NOT_THE_UPSTREAM = new Set(["CUTOVER_ERR_BAD_REQUEST", "CUTOVER_ERR_INTERNAL"]);

/**
 * outcomeOf judges one side of a finished mirrored exchange. A body past the capture cap is a
 * failure only when legacy's answer fit: a route whose answers are all that large is compared on
 * their first bytes as before, at the cost mirroring it always had.
 */
export function outcomeOf(
  side: { error?: string; truncated: boolean },
  legacyTruncated: boolean,
  bodyCut: boolean,
): Outcome {
  if (bodyCut) return "neutral";
  if (side.error !== undefined) return NOT_THE_UPSTREAM.has(side.error) ? "neutral" : { ok: false, reason: side.error };
  if (side.truncated && !legacyTruncated) return { ok: false, reason: "capture_full" };
  return { ok: true };
}
