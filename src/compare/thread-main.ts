/**
 * The comparison worker thread: receives batches of pair jobs, answers each with computePair's
 * result (or the error it threw). Stateless: findings and the noise model stay on the main thread.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { DiffOptions } from "../diff/types.js";
import { computePair } from "./compare.js";
import { reviveJob, type WireJob, type WireResult } from "./transfer.js";

const options = (workerData as { options: DiffOptions }).options;
// Not reniced: at nice 19 (Linux nice values are per thread) client p99 in bench/mirror.ts got
// worse, not better: the event loop then waits on a thread that holds the message port while
// starved (priority inversion).

// Loaded and listening: the gateway waits for this before it takes traffic.
parentPort?.postMessage("ready");

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
