import cluster from "node:cluster";
import { loadConfig } from "../../config/load.js";
import { CutoverError } from "../../errors/index.js";
import { Gateway, workerCount } from "../../gateway/gateway.js";

/** run starts the gateway and resolves when a signal has drained it. */
export async function run(
  opts: { config: string; json: boolean; workers?: string | undefined },
  print: (data: unknown, text: string) => void,
): Promise<void> {
  const config = loadConfig(opts.config);
  const workers = workerCount(opts.workers === undefined ? config.workers : parseWorkers(opts.workers));
  const gw = await Gateway.open(config, { workers });
  const urls = await gw.start();
  // SIGHUP reloads TLS certificates; with workers it reaches this process, so pass it on to them.
  const hup = (): void => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGHUP");
  };
  if (config.tls && workers > 1) process.on("SIGHUP", hup);
  print(
    { listening: urls.url, admin: urls.adminUrl, routes: gw.runtime.table.routes.length, workers },
    `cutover listening on ${urls.url} (admin ${urls.adminUrl}${workers > 1 ? `, ${workers} workers` : ""})`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      process.off("SIGHUP", hup);
      void gw.stop().then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

function parseWorkers(v: string): number | "auto" {
  if (v === "auto") return "auto";
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new CutoverError("CUTOVER_ERR_USAGE", `--workers must be 1–64 or auto, not "${v}"`);
  return n;
}
