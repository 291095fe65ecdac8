import { CutoverError } from "../errors/index.js";
import type { AdminHost } from "./host.js";
import type { AdminServer } from "./server.js";

/** GET /api/coverage: the coverage matrix per endpoint (`cutover coverage`, the dashboard's Coverage page). */
export function registerCoverageApi(admin: AdminServer, gw: AdminHost): void {
  admin.route("GET", "/api/coverage", (r) => {
    const source = gw.coverage;
    if (!source) throw new CutoverError("CUTOVER_ERR_INTERNAL", "coverage is not kept by this gateway");
    const view = source.view();
    const route = r.query.get("route");
    return route ? { ...view, rows: view.rows.filter((x) => x.route === route) } : view;
  });
}
