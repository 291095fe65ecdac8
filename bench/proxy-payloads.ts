/**
 * Payloads shared by the proxy benchmark's backend (bench/proxy-backend.ts), its load scripts and its
 * correctness check (bench/proxy.ts). Everything is built once, deterministically, so every proxy
 * can be checked for byte-identical bodies.
 */

/** jsonOfSize builds a JSON object whose UTF-8 encoding is exactly `bytes` long. */
export function jsonOfSize(bytes: number, label: string): Buffer {
  const head = { ok: true, case: label, items: [] as { id: number; name: string }[], pad: "" };
  for (let i = 0; JSON.stringify(head).length < bytes - 64; i++) head.items.push({ id: i, name: `item-${i}` });
  const base = JSON.stringify(head).length;
  if (base > bytes) throw new Error(`cannot build ${bytes}-byte body`);
  head.pad = "x".repeat(bytes - base);
  const out = Buffer.from(JSON.stringify(head));
  if (out.length !== bytes) throw new Error(`body is ${out.length} bytes, wanted ${bytes}`);
  return out;
}

export const SMALL_BODY = jsonOfSize(200, "small");
export const LARGE_BODY = jsonOfSize(16_384, "large");
/** The request body wrk and the probe POST to /echo (4 KiB JSON). */
export const POST_BODY = jsonOfSize(4_096, "post");

export type CaseName = "small" | "large" | "post";
export const CASES: readonly CaseName[] = ["small", "large", "post"];

export interface CaseSpec {
  method: "GET" | "POST";
  path: string;
  /** The body sent (POST only). */
  body: Buffer | undefined;
  /** The body every configuration must answer with. */
  expect: Buffer;
}

export const CASE_SPECS: Record<CaseName, CaseSpec> = {
  small: { method: "GET", path: "/small", body: undefined, expect: SMALL_BODY },
  large: { method: "GET", path: "/large", body: undefined, expect: LARGE_BODY },
  post: { method: "POST", path: "/echo", body: POST_BODY, expect: POST_BODY },
};

/** Distinct `x-user-id` values cycled by wrk and the probe, so cutover's 50/50 split really splits. */
export const USERS = 256;
export const userId = (i: number): string => `user-${(i % USERS) + 1}`;
