import { existsSync } from "node:fs";
import { request } from "undici";
import { loadConfig } from "../config/load.js";
import { CutoverError, isCutoverError, type ErrorCode, type Problem } from "../errors/index.js";

export interface AdminTarget {
  url: string;
  token: string;
}

/**
 * resolveAdmin finds the admin API: --admin/--token flags, then CUTOVER_ADMIN_URL and
 * CUTOVER_ADMIN_TOKEN, then the config file's admin section.
 */
export function resolveAdmin(flags: { admin?: string; token?: string; config?: string }): AdminTarget {
  let url = flags.admin ?? process.env.CUTOVER_ADMIN_URL;
  let token = flags.token ?? process.env.CUTOVER_ADMIN_TOKEN;
  if (!url || !token) {
    const file = flags.config ?? "cutover.yaml";
    if (!existsSync(file)) {
      throw new CutoverError(
        "CUTOVER_ERR_USAGE",
        `no admin API address: pass --admin URL --token T, set CUTOVER_ADMIN_URL/CUTOVER_ADMIN_TOKEN, or -c CONFIG (${file} not found)`,
      );
    }
    const cfg = loadConfig(file);
    const listen = cfg.admin.listen.replace(/^0\.0\.0\.0:/, "127.0.0.1:");
    url ??= `${cfg.admin.tls ? "https" : "http"}://${listen}`;
    token ??= cfg.admin.token;
  }
  return { url: url.replace(/\/$/, ""), token };
}

/** call sends one admin request and returns its JSON, turning error bodies back into CutoverErrors. */
export async function call<T>(admin: AdminTarget, method: string, path: string, body?: unknown): Promise<T> {
  let res;
  try {
    res = await request(admin.url + path, {
      method: method as "GET",
      headers: {
        authorization: `Bearer ${admin.token}`,
        "content-type": "application/json",
        "x-cutover-actor": `cli:${process.env.USER ?? "unknown"}`,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 10_000,
      bodyTimeout: 30_000,
    });
  } catch (err) {
    throw new CutoverError("CUTOVER_ERR_ADMIN_UNREACHABLE", `${admin.url}: ${(err as Error).message}`, { cause: err });
  }
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.statusCode >= 400) {
    const e = (json as { error?: { code?: string; message?: string; problems?: Problem[] } } | undefined)?.error;
    if (e?.code?.startsWith("CUTOVER_ERR_")) {
      const err = new CutoverError(e.code as ErrorCode, undefined, { problems: e.problems });
      err.message = e.message ?? err.message;
      throw err;
    }
    throw new CutoverError("CUTOVER_ERR_ADMIN_UNREACHABLE", `${admin.url}${path}: HTTP ${res.statusCode}`);
  }
  return json as T;
}

export { isCutoverError };
