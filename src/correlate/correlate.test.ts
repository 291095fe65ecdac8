import assert from "node:assert/strict";
import { test } from "node:test";
import { describeSubstitution } from "./correlate.js";

test("a substitution in a credential place is shown only as a digest; plain ids stay readable", () => {
  const secret = [
    { legacy: "a1b2c3d4e5f6", candidate: "9f8e7d6c5b4a", where: "header:cookie" },
    { legacy: "tok_4f9a8b7c6d5e4f3a", candidate: "tok_0a1b2c3d4e5f6a7b", where: "header:authorization" },
    { legacy: "s3ss10n-legacy", candidate: "s3ss10n-cand", where: "header:x-session-token" },
    { legacy: "1234", candidate: "5678", where: "body $.user.pin" },
    { legacy: "abcdef123456", candidate: "654321fedcba", where: "query:access_token" },
    { legacy: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", candidate: "x", where: "path[2]" },
  ];
  for (const s of secret) {
    const shown = describeSubstitution(s);
    const visible = shown.replace(/#[0-9a-f]{8}/g, "#");
    for (const v of [s.legacy, s.candidate].filter((x) => x.length >= 4))
      for (let k = 0; k + 4 <= v.length; k++)
        assert.ok(!visible.includes(v.slice(k, k + 4)), `${shown} shows part of ${v}`);
    assert.match(shown, /^\[redacted\] #[0-9a-f]{8} → /, shown);
  }
  // The same value gets the same digest, so two mentions can be matched.
  const a = describeSubstitution({ legacy: "same-secret", candidate: "x1", where: "header:cookie" });
  const b = describeSubstitution({ legacy: "same-secret", candidate: "x2", where: "header:cookie" });
  assert.equal(a.split(" → ")[0], b.split(" → ")[0]);
  assert.equal(describeSubstitution({ legacy: "4", candidate: "1004", where: "path[3]" }), "4 → 1004 (path[3])");
  assert.equal(
    describeSubstitution({ legacy: "7", candidate: "12", where: "body $.comment.id" }),
    "7 → 12 (body $.comment.id)",
  );
});
