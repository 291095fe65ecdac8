import cluster from "node:cluster";
import { loadConfig } from "../../config/load.js";
import { CutoverError } from "../../errors/index.js";
import { Gateway, workerCount } from "../../gateway/gateway.js";

/** run starts the gateway and resolves when a signal has drained it. */
export async function run(
  opts: { config: string; json: boolean; workers?: string | undefined; record?: string | undefined },
  print: (data: unknown, text: string) => void,
): Promise<void> {
  let config = loadConfig(opts.config);
  // `cutover record --out FILE`: the gateway with recording on (the config's record: settings, this file).
  if (opts.record !== undefined) {
    const base = config.record ?? { percent: 100, max_body: 64 * 1024, rotate_size: 64 * 1024 * 1024, rotate_age: 0 };
    config = { ...config, record: { ...base, path: opts.record } };
    if (!config.routes.some((r) => r.mirror) && !config.rollout)
      throw new CutoverError("CUTOVER_ERR_USAGE", "cutover record taps mirrored exchanges: give a route `mirror:`");
  }
  const workers = workerCount(opts.workers === undefined ? config.workers : parseWorkers(opts.workers));
  const gw = await Gateway.open(config, { workers });
  const urls = await gw.start();
  // SIGHUP reloads TLS certificates; with workers it reaches this process, so pass it on to them.
  const hup = (): void => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGHUP");
  };
  if (config.tls && workers > 1) process.on("SIGHUP", hup);
  const health = config.health_endpoint.enabled ? `${urls.url}${config.health_endpoint.path}` : null;
  print(
    {
      listening: urls.url,
      admin: urls.adminUrl,
      dashboard: `${urls.adminUrl}/`,
      sign_in: "open the dashboard in a browser and paste admin.token from the config into its sign-in form",
      health,
      store: gw.runtime.store.info().kind,
      recording: config.record?.path ?? null,
      routes: gw.runtime.table.routes.length,
      workers,
    },
    [
      `cutover listening on ${urls.url}${workers > 1 ? ` (${workers} workers)` : ""}: point clients here`,
      `  dashboard  ${urls.adminUrl}/   <- open in a browser; sign in with admin.token from ${opts.config}`,
      `  admin API  ${urls.adminUrl}   (cutover status, set-weight, … use the same token)`,
      ...(health ? [`  health     ${health}   (readiness; ${health}/live for liveness)`] : []),
      `  state      ${gw.runtime.store.info().kind} ${gw.runtime.store.info().location}`,
      ...(config.record ? [`  recording  mirrored exchanges to ${config.record.path}`] : []),
    ].join("\n"),
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
