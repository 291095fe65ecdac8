// The deployment files (Dockerfile, Procfile, render.yaml, deploy/kubernetes.yaml,
// deploy/cutover.service, deploy/cutover.yaml) are checked here, since no container engine or
// platform runs in the tests: they parse, the command they run is a cutover command and the config
// it is given is valid, and ports and health paths agree with that config.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { parseConfig } from "../src/config/load.js";
import type { Config } from "../src/config/schema.js";

const ENV = {
  CUTOVER_ADMIN_TOKEN: "deploy-test-token-0123456789",
  LEGACY_URL: "http://legacy:5000",
  CANDIDATE_URL: "http://candidate:8000",
  DATABASE_URL: "postgres://cutover:pw@db:5432/app",
};

/** The commands `cutover --help` lists. */
function cliCommands(): Set<string> {
  const usage = readFileSync("src/cli/index.ts", "utf8");
  return new Set([...usage.matchAll(/^ {2}([a-z-]+)[ [A-Z]/gm)].map((m) => m[1] as string));
}

/** checkCommand: `node bin/cutover.js run -c FILE` (or `cutover run -c FILE`); returns FILE. */
function checkCommand(argv: readonly string[]): string {
  const i = argv.findIndex((a) => a === "bin/cutover.js" || a.endsWith("/cutover") || a === "cutover");
  assert.ok(i >= 0, `runs cutover: ${argv.join(" ")}`);
  if (argv[i] === "bin/cutover.js") assert.ok(existsSync("bin/cutover.js"));
  const cmd = argv[i + 1] ?? "";
  assert.ok(cliCommands().has(cmd), `"${cmd}" is a cutover command`);
  assert.equal(cmd, "run");
  const c = argv.indexOf("-c");
  assert.ok(c > i, "passes a config file");
  return argv[c + 1] ?? "";
}

function config(text: string, env: Record<string, string> = ENV): Config {
  const res = parseConfig(text, env);
  assert.ok(res.config, JSON.stringify(res.problems));
  return res.config;
}

const port = (c: Config): number => Number(c.listen.split(":").pop());

test("deploy/cutover.yaml is valid with only the required variables, and takes PORT and DATABASE_URL", () => {
  const text = readFileSync("deploy/cutover.yaml", "utf8");
  const { DATABASE_URL: _db, ...required } = ENV;
  const sqlite = config(text, required);
  assert.equal(sqlite.listen, "0.0.0.0:8080");
  assert.deepEqual(sqlite.store, { kind: "sqlite", path: ".cutover/state.db" });
  assert.equal(sqlite.admin.listen, "127.0.0.1:9901");
  const pg = config(text, { ...ENV, PORT: "5123" });
  assert.equal(pg.listen, "0.0.0.0:5123");
  assert.deepEqual(pg.store, { kind: "postgres", url: ENV.DATABASE_URL });
  // A missing required variable is an error, not an empty value.
  assert.equal(parseConfig(text, { LEGACY_URL: "http://a", CANDIDATE_URL: "http://b" }).config, undefined);
});

test("Dockerfile: multi-stage, non-root, healthcheck on the health path and port, runs cutover run", () => {
  const lines = readFileSync("Dockerfile", "utf8")
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"));
  const ins = (name: string): string[] => lines.filter((l) => l.startsWith(`${name} `));
  assert.equal(ins("FROM").length, 2, "a build stage and a small runtime stage");
  assert.match(ins("FROM")[1] ?? "", /-slim$/);
  const user = ins("USER").at(-1) ?? "";
  assert.ok(user && !/USER (root|0)\b/.test(user), "runs as a non-root user");
  const c = config(readFileSync("deploy/cutover.yaml", "utf8"));
  assert.deepEqual(ins("EXPOSE"), [`EXPOSE ${port(c)}`]);
  const hc = ins("HEALTHCHECK")[0] ?? "";
  assert.ok(hc.includes(c.health_endpoint.path), hc);
  assert.ok(hc.includes(String(port(c))), hc);
  const cmd = JSON.parse((ins("CMD").at(-1) ?? "").slice(4)) as string[];
  assert.equal(checkCommand(cmd), "deploy/cutover.yaml");
  // Every file the runtime stage copies from the context exists.
  for (const l of ins("COPY").filter((x) => !x.includes("--from")))
    for (const src of l.split(/\s+/).slice(1, -1)) assert.ok(existsSync(src), `${src} exists`);
  for (const must of ["package.json", "bin", "deploy/cutover.yaml"])
    assert.ok(
      ins("COPY").some((l) => l.includes(must)),
      `copies ${must}`,
    );
});

test("Procfile and render.yaml run the same command on the platform's PORT, with the health path", () => {
  const web = /^web:\s*(.+)$/m.exec(readFileSync("Procfile", "utf8"))?.[1] ?? "";
  const file = checkCommand(web.split(/\s+/));
  const c = config(readFileSync(file, "utf8"), { ...ENV, PORT: "31337" });
  assert.equal(port(c), 31337, "listens on $PORT");
  const render = parseYaml(readFileSync("render.yaml", "utf8")) as {
    services: {
      startCommand: string;
      healthCheckPath: string;
      envVars: { key: string; fromDatabase?: { name: string } }[];
    }[];
    databases: { name: string }[];
  };
  const svc = render.services[0];
  assert.ok(svc);
  assert.equal(svc.startCommand, web);
  assert.equal(svc.healthCheckPath, c.health_endpoint.path);
  const keys = svc.envVars.map((e) => e.key);
  for (const k of ["CUTOVER_ADMIN_TOKEN", "DATABASE_URL", "LEGACY_URL", "CANDIDATE_URL"])
    assert.ok(keys.includes(k), k);
  const db = svc.envVars.find((e) => e.key === "DATABASE_URL")?.fromDatabase?.name;
  assert.ok(
    render.databases.some((d) => d.name === db),
    "DATABASE_URL comes from the declared database",
  );
});

test("Kubernetes: 2+ replicas, Secret for token and database URL, readiness and liveness on the gateway's health endpoint", () => {
  const docs = parseAllDocuments(readFileSync("deploy/kubernetes.yaml", "utf8")).map((d) => {
    assert.deepEqual(d.errors, []);
    return d.toJS() as { kind: string; metadata: { name: string }; [k: string]: unknown };
  });
  const byKind = (k: string): unknown => docs.find((d) => d.kind === k);
  const secret = byKind("Secret") as { metadata: { name: string }; stringData: Record<string, string> };
  const cm = byKind("ConfigMap") as { metadata: { name: string }; data: Record<string, string> };
  type Container = {
    args: string[];
    ports: { name: string; containerPort: number }[];
    env: { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[];
    readinessProbe: { httpGet: { path: string; port: string } };
    livenessProbe: { httpGet: { path: string; port: string } };
    volumeMounts: { mountPath: string }[];
  };
  const dep = byKind("Deployment") as {
    spec: {
      replicas: number;
      template: {
        metadata: { labels: Record<string, string> };
        spec: { securityContext: { runAsNonRoot: boolean }; containers: Container[] };
      };
    };
  };
  const svc = byKind("Service") as { spec: { selector: Record<string, string>; ports: { targetPort: string }[] } };
  assert.ok(dep.spec.replicas >= 2);
  assert.equal(dep.spec.template.spec.securityContext.runAsNonRoot, true);
  const ctr = dep.spec.template.spec.containers[0];
  assert.ok(ctr);
  const cfgFile = checkCommand(ctr.args);
  const mount = ctr.volumeMounts[0]?.mountPath ?? "";
  assert.ok(cfgFile.startsWith(mount + "/"), "the config file comes from the mounted ConfigMap");
  const c = config(cm.data[cfgFile.slice(mount.length + 1)] ?? "");
  assert.equal(c.store.kind, "postgres", "replicas keep state in PostgreSQL");
  // Token and database URL come from the Secret, under keys it has.
  for (const name of ["CUTOVER_ADMIN_TOKEN", "DATABASE_URL"]) {
    const ref: { name: string; key: string } | undefined = ctr.env.find((e) => e.name === name)?.valueFrom.secretKeyRef;
    assert.ok(ref, name);
    assert.equal(ref.name, secret.metadata.name, name);
    assert.ok(ref.key in secret.stringData, `${name}: secret key ${ref.key}`);
  }
  const http = ctr.ports.find((p) => p.name === "http");
  assert.equal(http?.containerPort, port(c));
  assert.deepEqual(ctr.readinessProbe.httpGet, { path: c.health_endpoint.path, port: "http" });
  assert.deepEqual(ctr.livenessProbe.httpGet, { path: `${c.health_endpoint.path}/live`, port: "http" });
  assert.deepEqual(svc.spec.selector, dep.spec.template.metadata.labels);
  assert.equal(svc.spec.ports[0]?.targetPort, "http");
});

test("systemd unit: unprivileged, runs cutover run, reload is SIGHUP, stop is SIGTERM with time to drain", () => {
  const unit = readFileSync("deploy/cutover.service", "utf8");
  const kv = new Map(
    unit
      .split("\n")
      .filter((l) => /^[A-Za-z]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const),
  );
  for (const section of ["[Unit]", "[Service]", "[Install]"]) assert.ok(unit.includes(section), section);
  assert.equal(kv.get("DynamicUser"), "yes");
  checkCommand((kv.get("ExecStart") ?? "").split(/\s+/));
  assert.match(kv.get("ExecReload") ?? "", /kill -HUP \$MAINPID/);
  assert.equal(kv.get("KillSignal"), "SIGTERM");
  assert.ok(
    Number(kv.get("TimeoutStopSec")) * 1000 > config(readFileSync("deploy/cutover.yaml", "utf8")).timeouts.shutdown,
  );
});
