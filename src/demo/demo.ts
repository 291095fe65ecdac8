import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../config/load.js";
import { duration as durationSchema } from "../config/units.js";
import { CutoverError } from "../errors/index.js";
import { Gateway } from "../gateway/gateway.js";
import { startDemoBackend } from "./backends.js";
import { runTraffic } from "./traffic.js";
import { DEMO_PATHS, demoConfig } from "./config.js";
import { watchRollout } from "./watch.js";

export interface DemoOptions {
  json: boolean;
  duration?: string;
  scenario?: string;
  port?: string;
}

/**
 * demo runs everything with Node alone: the two example backends, the gateway in front of them,
 * and bounded synthetic traffic from 200 users. It stops by itself after --duration (default 10m)
 * or on Ctrl-C, and prints where to look and what to try.
 */
export async function demo(opts: DemoOptions, print: (data: unknown, text: string) => void): Promise<void> {
  const parsed = durationSchema.safeParse(opts.duration ?? "10m");
  if (!parsed.success)
    throw new CutoverError("CUTOVER_ERR_USAGE", `--duration: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  const durationMs = parsed.data;
  const dir = mkdtempSync(join(tmpdir(), "cutover-demo-"));
  const legacy = await startDemoBackend("legacy");
  const candidate = await startDemoBackend("candidate");
  const token = randomBytes(16).toString("hex");
  const scenario = opts.scenario ?? "rollout";
  if (scenario !== "rollout" && scenario !== "regression") {
    throw new CutoverError("CUTOVER_ERR_USAGE", `--scenario: "rollout" (default) or "regression", not "${scenario}"`);
  }
  const text = demoConfig({
    port: opts.port ?? "8080",
    token,
    store: join(dir, "state.db"),
    legacy: legacy.url,
    candidate: candidate.url,
    scenario,
  });
  const res = parseConfig(text);
  if (!res.config) throw new CutoverError("CUTOVER_ERR_CONFIG_INVALID", "demo config", { problems: res.problems });
  const gw = await Gateway.open(res.config);
  let urls: { url: string; adminUrl: string };
  try {
    urls = await gw.start();
  } catch (err) {
    if (opts.port === undefined && err instanceof CutoverError && err.code === "CUTOVER_ERR_LISTEN") {
      // 8080 is taken: any free port will do for a demo.
      await gw.stop();
      return demo({ ...opts, port: "0" }, print);
    }
    throw err;
  }
  const admin = `--admin ${urls.adminUrl} --token ${token}`;
  print(
    {
      gateway: urls.url,
      dashboard: `${urls.adminUrl}/`,
      admin: urls.adminUrl,
      token,
      sign_in: "open the dashboard in a browser and paste the token into its sign-in form",
      legacy: legacy.url,
      candidate: candidate.url,
      duration_ms: durationMs,
    },
    `cutover demo is running (stops by itself after ${Math.round(durationMs / 1000)}s, or Ctrl-C)

  dashboard  ${urls.adminUrl}/   <- open this in a browser, sign in with the token:
             ${token}
  gateway    ${urls.url}   (send your requests here)
  legacy     ${legacy.url}   (answers like Flask)
  candidate  ${candidate.url}   (its FastAPI-style port)
  admin API  ${urls.adminUrl}   (the CLI and the dashboard use it, with the same token)

Traffic: 200 users, ~80 requests/s. The rollout of /api/* runs by itself${scenario === "regression" ? " (and the candidate will start failing /api/orders once it serves 10 %)" : ""}. Try:
  curl -s -H 'x-user-id: ada' ${urls.url}/api/users/7      # same user, same side, every time
  curl -s ${urls.url}/health                              # legacy /health, candidate /healthz
  npx cutover status ${admin}
  npx cutover set-weight users 50 ${admin}
  npx cutover rollback ${admin}
  npx cutover findings --examples ${admin}     # what differs between legacy and its port
  npx cutover report --html parity.html ${admin}
  curl -s -H 'authorization: Bearer ${token}' ${urls.adminUrl}/metrics | grep cutover_requests_total
`,
  );

  const deadline = Date.now() + durationMs;
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const watcher = watchRollout(gw, { json: opts.json, print, scenario, backend: candidate });
  const stats = await runTraffic({
    url: urls.url,
    users: 200,
    ratePerSec: 80,
    paths: DEMO_PATHS,
    stop: () => interrupted || Date.now() >= deadline,
  });
  watcher.stop();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  const routes = gw.runtime.table.routes.map((r) => ({
    route: r.name,
    weight: gw.runtime.weight(r),
    ...gw.runtime.metrics.counts(r.id),
  }));
  // Let the last mirrored comparisons land before reading the findings.
  for (let i = 0; i < 50 && gw.plane.mirrorsPending() > 0; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setImmediate(r));
  const compared = gw.parity.compared;
  const findings = gw.parity.findings.list({ includeNoise: true }).map((f) => ({
    route: f.routeName,
    template: f.template,
    kind: f.kind,
    path: f.groupPath,
    count: f.count,
    rate: f.rate.rate,
    noise: f.noise,
  }));
  await gw.stop();
  await Promise.all([legacy.close(), candidate.close()]);
  rmSync(dir, { recursive: true, force: true });
  const line = (f: (typeof findings)[number]): string =>
    `  ${f.template.padEnd(18)} ${f.kind.padEnd(20)} ${f.path.padEnd(24)} ${(f.rate * 100).toFixed(0).padStart(3)}% of mirrored (${f.count})`;
  const real = findings.filter((f) => f.noise === "real");
  const noise = findings.filter((f) => f.noise !== "real");
  const perRoute = routes.map(
    (r) => `  ${r.route.padEnd(8)} weight ${r.weight}%  legacy ${r.legacy.total}  candidate ${r.candidate.total}`,
  );
  print(
    { traffic: stats, routes, compared, findings },
    [
      `demo finished: ${stats.sent} requests, ${stats.failed} failed, statuses ${JSON.stringify(stats.byStatus)}`,
      ...perRoute,
      "",
      `${compared} mirrored requests compared. Findings (real differences between legacy and its port):`,
      ...(real.length ? real.map(line) : ["  none"]),
      "Learned noise (values that vary by themselves; shown apart, never counted as findings):",
      ...(noise.length ? noise.map(line) : ["  none"]),
    ].join("\n"),
  );
}
