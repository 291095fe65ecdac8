/**
 * Entry point of a cluster worker process (forked by ClusterPlane). It waits for its init message,
 * serves until told to drain (or until the primary goes away), then exits.
 */
import type { FromWorker, ToWorker } from "./protocol.js";
import { ClusterWorker } from "./worker.js";

const send = (m: FromWorker, done?: (err: Error | null) => void): boolean => {
  if (!process.connected || !process.send) {
    done?.(null);
    return false;
  }
  return process.send(m, undefined, {}, (err) => done?.(err));
};

let worker: ClusterWorker | undefined;

async function exitAfterDrain(code: number): Promise<void> {
  await worker?.drain();
  // The last report must reach the primary before the channel closes.
  for (let i = 0; i < 100 && (worker?.unsentReports ?? 0) > 0; i++) await new Promise((r) => setTimeout(r, 20));
  process.exit(code);
}

process.on("message", (m: ToWorker) => {
  if (m.t === "init") {
    if (worker) return;
    worker = new ClusterWorker(m, send);
    worker.listen().catch(() => process.exit(1));
    return;
  }
  if (m.t === "drain") {
    void exitAfterDrain(0);
    return;
  }
  worker?.handle(m);
});

// Without its primary nobody decides weights or health: stop serving rather than serve stale.
process.on("disconnect", () => {
  worker?.turns.closeAll();
  void exitAfterDrain(0);
});
// Signals go to the whole process group; the primary decides when workers stop.
process.on("SIGINT", () => undefined);
process.on("SIGTERM", () => void exitAfterDrain(0));

send({ t: "ready" });
