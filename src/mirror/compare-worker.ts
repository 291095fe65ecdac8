/**
 * The comparison worker thread: receives batches of pair jobs, answers each with computePair's
 * result (or the error it threw). Stateless: findings and the noise model stay on the main thread.
 */
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import type { DiffOptions } from "../diff/types.js";
import { computePair } from "./compare.js";
import { reviveJob, type WireJob, type WireResult } from "./compare-wire.js";

const options = (workerData as { options: DiffOptions }).options;

// Comparisons are background work: at nice 19 this thread runs on CPU the event loop serving
// clients does not want (on Linux the nice value is per thread, so only this thread is lowered).
try {
  setPriority(0, 19);
} catch {
  // not permitted or not supported here: the thread still keeps the work off the event loop
}

parentPort?.on("message", (batch: WireJob[]) => {
  const out: WireResult[] = [];
  for (const j of batch) {
    try {
      out.push({ seq: j.seq, result: computePair(reviveJob(j), options) });
    } catch (err) {
      out.push({ seq: j.seq, error: err instanceof Error ? err.message : String(err) });
    }
  }
  parentPort?.postMessage(out);
});
