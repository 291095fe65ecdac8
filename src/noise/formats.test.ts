import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SignJWT } from "jose";
import { diffResponses } from "../diff/engine.js";
import { captured, fastapiHeaders, fastapiJson, flaskHeaders, flaskJson } from "../diff/testing.js";
import type { CapturedResponse, DiffOptions } from "../diff/types.js";
import { NoiseModel } from "./model.js";

/**
 * Formats are never noise: varying values (timestamps, ids, tokens) are noise, a change of their
 * format class is a finding. Each case runs the diff engine and the noise model as the mirror does:
 * legacy's answer teaches the model, then every difference of the pair is classified.
 */

const T = "/api/things/{id}";
const OPTS: DiffOptions = { ignoreHeaders: [], ignorePaths: [], presets: ["flask->fastapi"] };
type Pair = { legacy: CapturedResponse; candidate: CapturedResponse; secondary?: CapturedResponse };

/** Runs n requests; returns each (kind path) → its latest class, as the findings keep it. */
function run(n: number, pair: (i: number) => Pair): Map<string, { cls: string; detail?: string }> {
  const m = new NoiseModel();
  const latest = new Map<string, { cls: string; detail?: string }>();
  for (let i = 0; i < n; i++) {
    const { legacy, candidate, secondary } = pair(i);
    m.observeLegacyResponse(T, legacy, `GET /api/things/${i}`);
    const diffs = diffResponses(legacy, candidate, OPTS);
    if (secondary) m.observeSecondary(T, diffResponses(legacy, secondary, OPTS), diffs);
    for (const d of diffs)
      latest.set(`${d.kind} ${d.groupPath}`, { cls: m.classify(T, d), ...(d.detail ? { detail: d.detail } : {}) });
  }
  return latest;
}

const real = (r: Map<string, { cls: string }>): string[] => [...r].filter(([, v]) => v.cls === "real").map(([k]) => k);

const at = (i: number, zone = ""): string =>
  new Date(Date.UTC(2026, 11, 2, 16, 36, i, 216)).toISOString().replace(/\.(\d{3})Z$/, `.$1${301 + i}${zone}`);
const json = (legacy: unknown, candidate: unknown): Pair => ({
  legacy: captured(200, flaskHeaders(), flaskJson(legacy)),
  candidate: captured(200, fastapiHeaders(), fastapiJson(candidate)),
});

describe("format classes under noise", () => {
  it("naive vs zoned timestamps whose values are noise: one format_changed, both formats named", () => {
    const r = run(12, (i) => json({ id: 7, created_at: at(i) }, { id: 7, created_at: at(i + 1, "Z") }));
    assert.deepEqual(real(r), ["format_changed $.created_at"]);
    assert.equal(
      r.get("format_changed $.created_at")?.detail,
      "ISO 8601 date-time (no zone, fraction) → ISO 8601 date-time (zone Z, fraction)",
    );
  });

  it("the same with a legacy-secondary: the secondary's value noise never hides the format", () => {
    const r = run(6, (i) => ({
      ...json({ created_at: at(i) }, { created_at: at(i + 2, "Z") }),
      secondary: captured(200, flaskHeaders(), flaskJson({ created_at: at(i + 1) })),
    }));
    assert.deepEqual(real(r), ["format_changed $.created_at"]);
  });

  it("identical formats with varying values are noise only", () => {
    const uuid = (i: number): string => `6f1c2e0a-8c4b-4a8e-9d7a-${String(i).padStart(12, "0")}`;
    const r = run(12, (i) =>
      json(
        { created_at: at(i, "Z"), request_id: uuid(i), epoch: 1_764_000_000 + i },
        { created_at: at(i + 1, "Z"), request_id: uuid(i + 50), epoch: 1_764_000_000 + i + 1 },
      ),
    );
    assert.deepEqual(real(r), []);
    assert.deepEqual(
      [...r.keys()].sort(),
      ["value_changed $.created_at", "value_changed $.epoch", "value_changed $.request_id"],
      "shown apart as noise, not dropped",
    );
  });

  it("epoch seconds vs milliseconds and UUID vs integer string are format changes", () => {
    const r = run(8, (i) =>
      json(
        { t: 1_764_000_000 + i, id: `6f1c2e0a-8c4b-4a8e-9d7a-${String(i).padStart(12, "0")}` },
        { t: (1_764_000_000 + i) * 1000, id: String(1000 + i) },
      ),
    );
    assert.deepEqual(real(r).sort(), ["format_changed $.id", "format_changed $.t"]);
    assert.equal(r.get("format_changed $.t")?.detail, "epoch seconds → epoch milliseconds");
    assert.equal(r.get("format_changed $.id")?.detail, "UUID → integer string");
  });
});

describe("JWTs: compared by algorithm, claim set and lifetime, never by value", () => {
  const secret = new TextEncoder().encode("test-secret-test-secret-test-secret");
  const legacyToken = (i: number): Promise<string> =>
    new SignJWT({ fresh: false, type: "access", jti: `j${i}`, sub: "ada" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt(1_764_000_000 + i)
      .setNotBefore(1_764_000_000 + i)
      .setExpirationTime(1_764_000_000 + i + 15 * 60)
      .sign(secret);
  const candidateToken = (i: number, claims: Record<string, unknown> = { username: "ada" }): Promise<string> =>
    new SignJWT({ sub: "ada", ...claims })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt(1_764_000_000 + i)
      .setExpirationTime(1_764_000_000 + i + 7 * 86_400)
      .sign(secret);

  it("different claim sets in a body: one finding naming the claims and both lifetimes, no token shown", async () => {
    const tokens = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => [await legacyToken(i), await candidateToken(i)]),
    );
    const r = run(8, (i) => json({ token: tokens[i]?.[0] }, { token: tokens[i]?.[1] }));
    assert.deepEqual(real(r), ["format_changed $.token"]);
    const detail = r.get("format_changed $.token")?.detail ?? "";
    assert.match(detail, /claims exp,fresh,iat,jti,nbf,sub,type → exp,iat,sub,username/);
    assert.match(detail, /without fresh, jti, nbf, type; new username/);
    assert.match(detail, /lifetime 15 min → 7 d/);
    const d = diffResponses(
      json({ token: tokens[0]?.[0] }, { token: tokens[0]?.[1] }).legacy,
      json({}, { token: tokens[0]?.[1] }).candidate,
      OPTS,
    );
    assert.ok(!JSON.stringify(d).includes("eyJ"), "token values never reach a preview");
  });

  it("same algorithm, claims and lifetime with different values: no difference at all", async () => {
    const a = await candidateToken(1);
    const b = await candidateToken(2);
    assert.notEqual(a, b);
    assert.deepEqual(
      diffResponses(json({ token: a }, { token: b }).legacy, json({}, { token: b }).candidate, OPTS),
      [],
    );
  });

  it("in a Set-Cookie header and a custom header: compared the same way, cookie attributes as text", async () => {
    const [l, c] = [await legacyToken(1), await candidateToken(1, { username: "ada" })];
    const cookie = (t: string): string => `access_token_cookie=${t}; HttpOnly; Path=/`;
    const ds = diffResponses(
      captured(200, flaskHeaders({ "set-cookie": cookie(l), "x-token": l }), flaskJson({})),
      captured(200, fastapiHeaders({ "set-cookie": cookie(c), "x-token": c }), fastapiJson({})),
      OPTS,
    );
    assert.deepEqual(
      ds.map((d) => `${d.kind} ${d.path}`),
      ["format_changed header:set-cookie", "format_changed header:x-token"],
    );
    assert.ok(ds.every((d) => d.legacy === "[redacted]" && /claims/.test(d.detail ?? "")));
    const same = diffResponses(
      captured(200, flaskHeaders({ "x-token": await candidateToken(1) }), flaskJson({})),
      captured(200, fastapiHeaders({ "x-token": await candidateToken(2) }), fastapiJson({})),
      OPTS,
    );
    assert.deepEqual(same, []);
  });
});

describe("noise inside SSE event data", () => {
  const SSE = { "content-type": "text/event-stream; charset=utf-8" };
  const events = (i: number, field = "status", zone = "Z"): string =>
    [1, 2, 3]
      .map(
        (k) =>
          `event: update\nid: ${k}\ndata: {"seq": ${k}, "${field}": "running", "at": "${at(i * 3 + k, zone)}"}\n\n`,
      )
      .join("");
  const sse = (l: string, c: string): Pair => ({ legacy: captured(200, SSE, l), candidate: captured(200, SSE, c) });

  it("a timestamp in every event is noise, learned like a JSON body", () => {
    const r = run(8, (i) => sse(events(i), events(i + 1)));
    assert.deepEqual(real(r), []);
    assert.deepEqual([...r.keys()], ["value_changed sse[*].data.at"]);
    assert.equal(r.get("value_changed sse[*].data.at")?.cls, "noise_generated");
  });

  it("a renamed field in event data is a finding; the timestamp beside it stays noise", () => {
    const r = run(8, (i) => sse(events(i), events(i + 1, "state")));
    assert.deepEqual(real(r), ["field_renamed sse[*].data.status"]);
    assert.equal(r.get("value_changed sse[*].data.at")?.cls, "noise_generated");
  });

  it("a noisy stream with an event missing in the middle: aligned by name, id and shape, one missing event", () => {
    const without2 = (i: number): string =>
      events(i + 1)
        .split("\n\n")
        .filter((e) => !e.includes("id: 2"))
        .join("\n\n");
    const r = run(8, (i) => sse(events(i), without2(i)));
    assert.deepEqual(real(r), ["sse_event_missing sse[*]"]);
    assert.equal(r.get("value_changed sse[*].data.at")?.cls, "noise_generated");
  });

  it("a timestamp whose format changed inside event data is a format_changed", () => {
    const r = run(8, (i) => sse(events(i, "status", ""), events(i + 1)));
    assert.deepEqual(real(r), ["format_changed sse[*].data.at"]);
  });
});
