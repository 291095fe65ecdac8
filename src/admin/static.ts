import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};

/** Where the built dashboard lives: dist/dashboard, beside dist/src in the package. */
export const DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dashboard");

/**
 * serveStatic answers GET / and /assets/* from the built dashboard. The bundle holds no secrets,
 * so it is served without the token; every /api request still needs it.
 */
export async function serveStatic(path: string, res: ServerResponse): Promise<boolean> {
  const rel =
    path === "/" || path === "/index.html" ? "index.html" : path.startsWith("/assets/") ? path.slice(1) : undefined;
  if (!rel) return false;
  const file = normalize(join(DASHBOARD_DIR, rel));
  if (!file.startsWith(DASHBOARD_DIR)) return false;
  try {
    const body = await readFile(file);
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": rel === "index.html" ? "no-store" : "public, max-age=31536000, immutable",
      "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    });
    res.end(body);
    return true;
  } catch {
    if (rel !== "index.html") return false;
    res.writeHead(503, { "content-type": "text/plain; charset=utf-8" });
    res.end("The dashboard is not built: run `npm run build:dashboard`.\n");
    return true;
  }
}
