import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deflateRawSync, gzipSync } from "node:zlib";
import { decodeBody, MAX_DECODED_BYTES } from "./decode.js";
import { captured } from "./testing.js";

describe("decodeBody", () => {
  it("undoes stacked codings last first, and raw deflate too", () => {
    const body = gzipSync(gzipSync("hello"));
    assert.equal(decodeBody(captured(200, { "content-encoding": "gzip, gzip" }, body)).body.toString(), "hello");
    assert.equal(
      decodeBody(captured(200, { "content-encoding": "deflate" }, deflateRawSync("raw"))).body.toString(),
      "raw",
    );
    assert.equal(decodeBody(captured(200, { "content-encoding": "identity" }, "id")).body.toString(), "id");
  });

  it("caps what a small compressed body may expand to", () => {
    const bomb = gzipSync(Buffer.alloc(MAX_DECODED_BYTES + 1024));
    const d = decodeBody(captured(200, { "content-encoding": "gzip" }, bomb));
    assert.match(d.error ?? "", /exceeds/);
    assert.equal(d.truncated, true);
  });
});
