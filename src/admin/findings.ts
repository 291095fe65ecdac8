import { CutoverError } from "../errors/index.js";
import { buildReport, renderHtmlReport } from "../findings/index.js";
import type { AdminHost } from "./host.js";
import type { Live } from "./live.js";
import { intParam } from "./params.js";
import type { AdminServer } from "./server.js";

const DEFAULT_PAGE = 500;
const MAX_PAGE = 2000;

/** Findings, acceptance and parity reports on the admin API. */
export function registerFindingsApi(admin: AdminServer, gw: AdminHost): void {
  const parity = gw.parity;
  // Several replicas: what every replica found, merged; else this process's findings.
  const view = (): typeof parity.findings => gw.replicas?.findings() ?? parity.findings;
  admin.route("GET", "/api/findings", (r) => {
    const flag = (k: string): boolean => r.query.get(k) === "1" || r.query.get(k) === "true";
    const route = r.query.get("route") ?? undefined;
    const list = view().list({
      ...(route ? { route } : {}),
      includeNoise: flag("noise"),
      includeAccepted: flag("accepted"),
      includeIgnored: flag("ignored"),
    });
    const withExamples = flag("examples");
    // Paginated: a page is at most MAX_PAGE findings (examples make each up to ~40 KiB).
    const limit = intParam(r.query, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
    const offset = intParam(r.query, "offset", 0, 0, Number.MAX_SAFE_INTEGER);
    return {
      compared: parity.compared,
      total: list.length,
      offset,
      limit,
      routes: view().routes(),
      findings: list.slice(offset, offset + limit).map((f) => (withExamples ? f : { ...f, examples: [] })),
    };
  });
  admin.route("GET", "/api/findings/:id", (r) => {
    const f = view().get(r.params.id ?? "");
    if (!f) throw new CutoverError("CUTOVER_ERR_FINDING_NOT_FOUND", r.params.id);
    return f;
  });
  admin.route("POST", "/api/findings/:id/accept", (r) => {
    const body = r.body as { reason?: unknown } | undefined;
    if (typeof body?.reason !== "string" || body.reason.trim() === "") {
      throw new CutoverError(
        "CUTOVER_ERR_ADMIN_BAD_REQUEST",
        'body must be {"reason": "why this difference is intended"}',
      );
    }
    if (!parity.findings.get(r.params.id ?? "")) throw new CutoverError("CUTOVER_ERR_FINDING_NOT_FOUND", r.params.id);
    const f = parity.findings.accept(r.params.id ?? "", body.reason.trim(), r.actor);
    gw.runtime.store.audit({
      at: Date.now(),
      actor: r.actor,
      action: "accept_finding",
      subject: f.id,
      reason: body.reason.trim(),
      detail: { route: f.routeName, kind: f.kind, path: f.groupPath },
    });
    parity.persist(true);
    return f;
  });
  const report = () =>
    buildReport(view(), {
      presets: parity.presets,
      title: "cutover parity report",
      ...(gw.coverage ? { coverage: gw.coverage.view() } : {}),
    });
  admin.route("GET", "/api/report.json", () => report());
  admin.route("GET", "/api/report.html", (_r, res) => {
    const html = renderHtmlReport(report());
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(html);
    return undefined;
  });
}

/** Live series and the event stream the dashboard subscribes to. */
export function registerLiveApi(admin: AdminServer, live: Live): void {
  admin.route("GET", "/api/live", () => ({ series: live.series }));
  admin.route("GET", "/api/events", (_r, res) => {
    live.subscribe(res);
    return undefined;
  });
}
