import type { InventoryComparison, PathGroup } from "./compare.js";
import { canonicalSegments, routeTemplate } from "./path.js";

/**
 * planRoutes turns a comparison into the `routes:` `cutover init` writes: renamed paths and moved
 * prefixes first (each with its rewrite), then one route per top-level path segment (`/api/*`,
 * or the exact path when the segment holds one path), then a catch-all. Each route lists, as
 * comments, the endpoints it covers and which of them the candidate has not got yet.
 */

export interface PlannedRoute {
  name: string;
  path: string;
  rewrite?: string;
  mirror: boolean;
  /** Comment lines: why the route exists and the endpoints it covers. */
  notes: string[];
}

export interface RoutePlan {
  routes: PlannedRoute[];
  /** Health paths for each upstream's active check, when the inventory has one. */
  health: { legacy?: string; candidate?: string };
  /** Endpoints only the candidate serves (listed as a comment). */
  candidateOnly: string[];
}

const HEALTH = /^\/(health|healthz|healthcheck|health-check|ping|livez|readyz|status|_health)\/?$/i;
const MAX_NOTES = 30;

function routeName(path: string, used: Set<string>): string {
  const base =
    path
      .replace(/\/\*$/, "")
      .split("/")
      .filter((s) => s !== "" && !s.startsWith(":"))
      .join("-")
      .replace(/[^A-Za-z0-9_-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 80) || "root";
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
  used.add(name);
  return name;
}

function line(g: PathGroup, other?: PathGroup): string {
  const where = other ? (other.path === g.path ? "" : `  (candidate: ${other.path})`) : "  — not in the candidate yet";
  const extra =
    other && other.methods.join(",") !== g.methods.join(",")
      ? `  [candidate methods: ${other.methods.join(", ")}]`
      : "";
  return `${g.methods.join(", ")} ${g.path}${where}${extra}`;
}

function capped(lines: string[]): string[] {
  return lines.length <= MAX_NOTES ? lines : [...lines.slice(0, MAX_NOTES), `… and ${lines.length - MAX_NOTES} more`];
}

export function planRoutes(cmp: InventoryComparison): RoutePlan {
  const used = new Set<string>();
  const routes: PlannedRoute[] = [];
  const health: RoutePlan["health"] = {};
  const partner = new Map<PathGroup, PathGroup>();
  for (const p of cmp.pairs) partner.set(p.legacy, p.candidate);

  for (const p of cmp.pairs) {
    if (HEALTH.test(p.legacy.path) && !health.legacy) {
      health.legacy = p.legacy.path;
      health.candidate = p.candidate.path;
    }
  }

  const placed = new Set<PathGroup>();
  cmp.rewrites.forEach((rw, i) => {
    const covered = cmp.pairs.filter((p) => p.rewrite === i);
    for (const p of covered) placed.add(p.legacy);
    const isHealth = covered.length === 1 && HEALTH.test(covered[0]?.legacy.path ?? "");
    routes.push({
      name: routeName(rw.match, used),
      path: rw.match,
      rewrite: rw.candidate,
      mirror: !isHealth,
      notes: [`suggested rewrite — ${rw.reason}`, ...capped(covered.map((p) => line(p.legacy, p.candidate)))],
    });
  });
  if (!health.legacy) health.legacy = [...partner.keys(), ...cmp.onlyLegacy].find((g) => HEALTH.test(g.path))?.path;
  if (!health.candidate)
    health.candidate = [...partner.values(), ...cmp.onlyCandidate].find((g) => HEALTH.test(g.path))?.path;

  // One route per top-level segment for everything else legacy serves.
  const groups = new Map<string, PathGroup[]>();
  const rootParam: PathGroup[] = [];
  for (const g of [...cmp.pairs.map((p) => p.legacy), ...cmp.onlyLegacy]) {
    if (placed.has(g)) continue;
    const first = canonicalSegments(g.path).segments[0];
    if (first && first.kind !== "literal") {
      rootParam.push(g);
      continue;
    }
    const key = first?.kind === "literal" ? first.value : "";
    const list = groups.get(key) ?? [];
    list.push(g);
    groups.set(key, list);
  }
  for (const [seg, list] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const only = list.length === 1 ? list[0] : undefined;
    const path = seg === "" ? "/" : only ? routeTemplate(only.path) : `/${seg}/*`;
    const notes = capped(list.map((g) => line(g, partner.get(g))));
    const missing = list.filter((g) => !partner.has(g)).length;
    if (missing)
      notes.unshift(
        `${missing} of ${list.length} path(s) not in the candidate yet: keep candidate_weight at 0 until they are`,
      );
    const isHealth = !!only && HEALTH.test(only.path);
    const hasCandidate = list.some((g) => partner.has(g) && (g.methods.includes("GET") || g.methods.includes("*")));
    routes.push({ name: routeName(path, used), path, mirror: hasCandidate && !isHealth, notes });
  }
  routes.push({
    name: "everything-else",
    path: "/*",
    mirror: false,
    notes: [
      "first match wins: a catch-all forwards the rest",
      ...capped(rootParam.map((g) => line(g, partner.get(g)))),
    ],
  });
  return { routes, health, candidateOnly: capped(cmp.onlyCandidate.map((g) => `${g.methods.join(", ")} ${g.path}`)) };
}
