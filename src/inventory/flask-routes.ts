import { makeEndpoint } from "./path.js";
import { dedupe } from "./python-routes.js";
import type { Endpoint } from "./types.js";

/**
 * Endpoints from the output of `flask routes` (the running application's own URL map):
 *
 *   Endpoint  Methods           Rule
 *   --------  ----------------  -----------------------
 *   status    DELETE, GET, PUT  /status/<int:code>
 *
 * Flask's own `static` endpoint is left out (source readers never see it); HEAD and OPTIONS,
 * which Flask adds to every rule, are left out too.
 */
export function isFlaskRoutesOutput(text: string): boolean {
  return /^\s*Endpoint\s+Methods\s+Rule\s*$/m.test(text);
}

export function flaskRoutesEndpoints(text: string): Endpoint[] {
  const lines = text.split(/\r?\n/);
  const header = lines.findIndex((l) => /^\s*Endpoint\s+Methods\s+Rule\s*$/.test(l));
  if (header === -1) return [];
  const out: Endpoint[] = [];
  for (const line of lines.slice(header + 2)) {
    // Methods are "GET, POST" (comma + space), so split on the rule's leading slash instead of on spaces.
    const m = /^\s*(\S+)\s+([A-Z]+(?:,\s*[A-Z]+)*)\s+(\/\S*)\s*$/.exec(line);
    if (!m) continue;
    const [, endpoint, methods, rule] = m as unknown as [string, string, string, string];
    if (endpoint === "static" && rule.startsWith("/static/")) continue;
    for (const method of methods.split(/,\s*/)) {
      if (method === "HEAD" || method === "OPTIONS") continue;
      out.push(makeEndpoint(method, rule, "flask", "flask routes"));
    }
  }
  return dedupe(out);
}
