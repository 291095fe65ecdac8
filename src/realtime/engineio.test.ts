import assert from "node:assert/strict";
import { test } from "node:test";
import { engineRequest, isHandshake, sessionStep, sidTag, stripSidTag, tagHandshake, tagSid } from "./engineio.js";

test("engineRequest reads EIO, transport and sid; a handshake has no sid", () => {
  const h = engineRequest("?EIO=4&transport=polling&t=OkL3x1");
  assert.deepEqual(h, { eio: "4", transport: "polling", sid: undefined, jsonp: false });
  assert.ok(isHandshake(h));
  const p = engineRequest("?EIO=4&transport=polling&t=a&sid=C~abc-_1");
  assert.equal(p?.sid, "C~abc-_1");
  assert.ok(!isHandshake(p));
  assert.equal(engineRequest("?EIO=3&transport=polling&j=0")?.jsonp, true);
  assert.equal(engineRequest("?transport=polling"), undefined);
  assert.equal(engineRequest(""), undefined);
  assert.equal(engineRequest("?EIO=4&transport=websocket&sid=L%7Exyz")?.sid, "L~xyz");
});

test("sid tags: read, strip before forwarding, the rest of the query byte for byte", () => {
  assert.equal(sidTag(tagSid("abc", "candidate")), "candidate");
  assert.equal(sidTag(tagSid("abc", "legacy")), "legacy");
  assert.equal(sidTag("abc"), undefined);
  assert.equal(sidTag("X~abc"), undefined);
  assert.equal(stripSidTag("?EIO=4&transport=polling&t=x&sid=C~ab_c"), "?EIO=4&transport=polling&t=x&sid=ab_c");
  assert.equal(stripSidTag("?sid=L%7Eab&EIO=4"), "?sid=ab&EIO=4");
  assert.equal(stripSidTag("?sid=L%7eab"), "?sid=ab");
  assert.equal(stripSidTag("?EIO=4&sid=plain"), undefined);
  assert.equal(stripSidTag("?EIO=4&xsid=C~a"), undefined);
  assert.equal(stripSidTag("?EIO=4"), undefined);
});

test("tagHandshake: EIO 4 open packet tagged, other packets kept, length follows", () => {
  const open = '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200}';
  const out = tagHandshake(Buffer.from(open + "\x1e40"), "4", "candidate");
  assert.ok(out);
  const [first, second] = out.toString().split("\x1e");
  assert.equal(second, "40");
  const o = JSON.parse(first!.slice(1)) as { sid: string; pingInterval: number };
  assert.equal(o.sid, "C~lv_VI97HAXpY6yYWAAAC");
  assert.equal(o.pingInterval, 300);
  assert.equal(out.length, Buffer.byteLength(open) + 2 + 3);
  // Python's json.dumps puts spaces after separators: still understood.
  const py = tagHandshake(Buffer.from('0{"sid": "abc", "upgrades": []}'), "4", "legacy");
  assert.equal(py?.toString(), '0{"sid":"L~abc","upgrades":[]}');
  assert.equal(tagHandshake(Buffer.from("40"), "4", "legacy"), undefined, "not an open packet");
  assert.equal(tagHandshake(Buffer.from("0{bad json"), "4", "legacy"), undefined);
  assert.equal(tagHandshake(Buffer.from('0{"sid":"C~abc"}'), "4", "legacy"), undefined, "already tagged");
  assert.equal(tagHandshake(Buffer.from('0{"sid":"abc"}'), "5", "legacy"), undefined, "unknown revision");
});

test("tagHandshake: EIO 3 text and binary framing get their lengths fixed", () => {
  const open = '0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}';
  const text = tagHandshake(Buffer.from(`${open.length}:${open}2:40`), "3", "candidate")?.toString();
  const tagged = open.replace('"abc"', '"C~abc"');
  assert.equal(text, `${tagged.length}:${tagged}2:40`);
  assert.equal(tagHandshake(Buffer.from(`999:${open}`), "3", "legacy"), undefined, "length past the end");

  const digits = (n: number): number[] => Array.from(String(n), Number);
  const bin = Buffer.concat([
    Buffer.from([0, ...digits(open.length), 0xff]),
    Buffer.from(open),
    Buffer.from([0, 2, 0xff]),
    Buffer.from("40"),
  ]);
  const out = tagHandshake(bin, "3", "legacy");
  const taggedL = open.replace('"abc"', '"L~abc"');
  assert.deepEqual(
    out,
    Buffer.concat([
      Buffer.from([0, ...digits(taggedL.length), 0xff]),
      Buffer.from(taggedL),
      Buffer.from([0, 2, 0xff]),
      Buffer.from("40"),
    ]),
  );
});

test("sessionStep: handshakes tagged, tagged sessions pinned, candidate sessions closed when the candidate takes no one", () => {
  assert.deepEqual(sessionStep("GET", "?EIO=4&transport=polling&t=1", true), { kind: "handshake", eio: "4" });
  assert.deepEqual(
    sessionStep("GET", "?EIO=4&transport=websocket", true),
    { kind: "none" },
    "WebSocket-first: one connection",
  );
  assert.deepEqual(sessionStep("GET", "?EIO=4&transport=polling&sid=plain", true), { kind: "none" });
  assert.deepEqual(sessionStep("GET", "/x", true), { kind: "none" });
  assert.deepEqual(sessionStep("POST", "?EIO=4&transport=polling&sid=L~a", false), {
    kind: "pinned",
    target: "legacy",
    query: "?EIO=4&transport=polling&sid=a",
  });
  assert.deepEqual(sessionStep("GET", "?EIO=4&transport=websocket&sid=C~a", true), {
    kind: "pinned",
    target: "candidate",
    query: "?EIO=4&transport=websocket&sid=a",
  });
  assert.deepEqual(sessionStep("GET", "?EIO=4&transport=polling&sid=C~a", false), { kind: "moved", eio: "4" });
  assert.deepEqual(sessionStep("POST", "?EIO=4&transport=polling&sid=C~a", false).kind, "pinned");
});
