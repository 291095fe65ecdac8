// The mixed traffic the recording tests send through a gateway: mirrored GETs (route api),
// unmirrored POSTs to /api/items (the planted write-path bodies) and PUTs to /echo with secrets in
// the body, /whoami on an unrecorded route; every other request with a Bearer JWT.
import { request, type Dispatcher } from "undici";

// Distinctive, so a hit anywhere is a leak; the card numbers are Luhn-valid test numbers.
export const SECRETS = {
  password: "PwdBodyPlanted5T8q1",
  apiKey: "ApiKeyBodyPlanted3M6w",
  bearer: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.Ym9keS1zZWNyZXQtc2lnbmF0dXJl",
  signature: "Ym9keS1zZWNyZXQtc2lnbmF0dXJl",
  query: "QuerySecretPlanted2Z9",
  card: "4111111111111111",
  cardSpaced: "4012 8888 8888 1881",
};

/**
 * The routes the mix expects (api mirrored; api and echo recorded, with bodies up to 4 KiB). With
 * `mirrorPuts`, the PUTs to echo are mirrored too (a candidate with its own datastore).
 */
export function mixConfig(file: string, o: { mirrorPuts?: boolean } = {}): string {
  const echoMirror = o.mirrorPuts
    ? "\n    mirror: { percent: 100, timeout: 2s, methods: [PUT], writes: isolated }"
    : "";
  return `
bucketing: { keys: [jwt.sub, header:x-user-id] }
routes:
  - name: api
    match: { path: /api/* }
    mirror: { percent: 100, timeout: 2s }
  - name: echo
    match: { path: /echo/* }${echoMirror}
  - name: other
    match: { path: /* }
record: { path: ${JSON.stringify(file)}, routes: [api, echo], percent: 100, max_body: 4kib }
`;
}

export interface Sent {
  method: string;
  path: string;
  json?: unknown;
}

/** The mix: mirrored GETs, unmirrored POSTs (the three planted bodies) and PUTs with secrets in the body. */
export function mix(i: number): Sent {
  switch (i % 10) {
    case 0:
      return { method: "POST", path: "/api/items", json: { name: "x", qty: "lots", password: SECRETS.password } };
    case 1:
      return { method: "POST", path: "/api/items", json: { name: "x", qty: "42" } };
    case 2:
      return { method: "POST", path: "/api/items", json: { name: `n${i}`, qty: i } };
    case 3:
      return {
        method: "PUT",
        path: `/echo/profile/${i}`,
        json: { note: `put ${i}`, card: SECRETS.card, api_key: SECRETS.apiKey, text: `card ${SECRETS.cardSpaced}` },
      };
    case 4:
      return { method: "GET", path: `/api/tags?api_key=${SECRETS.query}` };
    case 5:
      return { method: "GET", path: "/whoami" };
    case 6:
      return { method: "GET", path: "/api/users/2" };
    default:
      return { method: "GET", path: `/api/same/${i}` };
  }
}

/** sendMix sends `n` requests of the mix, one after the other, and returns them with their statuses. */
export async function sendMix(
  url: string,
  o: { n?: number; dispatcher?: Dispatcher } = {},
): Promise<(Sent & { status: number })[]> {
  const n = o.n ?? 200;
  const sent: (Sent & { status: number })[] = [];
  for (let i = 0; i < n; i++) {
    const s = mix(i);
    const headers: Record<string, string> =
      i % 2 ? { authorization: `Bearer ${SECRETS.bearer}` } : { "x-user-id": `u${i % 7}` };
    if (s.json !== undefined) headers["content-type"] = "application/json";
    const r = await request(url + s.path, {
      method: s.method as "GET",
      headers,
      body: s.json === undefined ? null : JSON.stringify(s.json),
      ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}),
    });
    await r.body.dump();
    sent.push({ ...s, status: r.statusCode });
  }
  return sent;
}
