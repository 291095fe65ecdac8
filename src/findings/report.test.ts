import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffResponses } from "../diff/engine.js";
import { captured, fastapiHeaders, fastapiJson, flaskHeaders, flaskJson } from "../diff/testing.js";
import type { DiffOptions } from "../diff/types.js";
import { FindingsAggregator, findingId } from "./aggregator.js";
import { buildReport } from "./report-data.js";
import { esc, renderHtmlReport } from "./report-html.js";
import { isAtOrBelow, prettyJsonLines } from "./report-json.js";

const OPTS: DiffOptions = { ignoreHeaders: [], ignorePaths: [], presets: ["flask->fastapi"] };
const XSS = `<script>alert("x")</script>`;

function sample(): FindingsAggregator {
  const agg = new FindingsAggregator({ redactPaths: ["$.owner.email"] });
  for (let i = 0; i < 20; i++) {
    const legacy = captured(
      200,
      flaskHeaders({ "x-note": XSS }),
      flaskJson({
        id: 9,
        created: "Tue, 02 Jan 2024 03:04:05 GMT",
        note: XSS,
        owner: { email: "zoe@x.test" },
        items: [{ id: 1, qty: 2 }],
      }),
    );
    const candidate = captured(
      200,
      fastapiHeaders({ "x-note": "<b>changed</b>" }),
      fastapiJson({
        id: 9,
        created: "2024-01-02T03:04:05",
        note: XSS,
        owner: { email: "zoe@x.test" },
        items: [{ id: 1, qty: i % 2 ? 3 : 2 }],
      }),
    );
    agg.countMirrored("items", "/items/:id");
    agg.add(
      {
        id: `x${i}`,
        at: Date.UTC(2024, 0, 2) + i,
        method: "GET",
        path: `/items/9?q=${XSS}`,
        routeName: "items",
        template: "/items/:id",
        requestHeaders: { cookie: "sid=1" },
        legacy,
        candidate,
      },
      diffResponses(legacy, candidate, OPTS),
      (d) =>
        d.path.startsWith("header:")
          ? { class: "noise_generated", reason: "legacy's header:x-note is generated" }
          : "real",
    );
  }
  agg.accept(findingId("items", "/items/:id", "value_changed", "$.items[*].qty"), `qty fix ${XSS}`, "zoe");
  return agg;
}

describe("renderHtmlReport", () => {
  const html = renderHtmlReport(
    buildReport(sample(), { presets: ["flask->fastapi"], generatedAt: Date.UTC(2024, 0, 3) }),
  );

  it("is one self-contained document: inline CSS, no scripts, no external assets", () => {
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<style>[\s\S]+<\/style>/);
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|src=|@import|url\(/i);
    assert.doesNotMatch(html, /https?:\/\//);
  });

  it("escapes everything that came from upstreams, requests and people", () => {
    assert.ok(!html.includes(XSS));
    assert.ok(!html.includes("<b>changed</b>"));
    assert.ok(html.includes(esc(XSS)));
    assert.equal(esc(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("shows routes with rate ± CI, findings, noise apart, accepted with reasons", () => {
    assert.match(html, /<h2 id="routes">Routes<\/h2>/);
    assert.match(html, /100\.00% \(95% CI 83\.89%–100\.00%\)/, "every request had the datetime drift");
    assert.match(html, /format_changed<\/span><\/td><td class="mono">\$\.created/);
    assert.match(
      html,
      /<h2 id="noise">[\s\S]*probable noise: generated value[\s\S]*legacy&#39;s header:x-note is generated[\s\S]*<h2 id="accepted">/,
    );
    assert.match(html, /<h2 id="accepted">[\s\S]*qty fix &lt;script&gt;[\s\S]*zoe/);
  });

  it("puts examples side by side and highlights the differing paths", () => {
    assert.match(html, /<div class="sides"><div class="side"><h4>legacy<\/h4>[\s\S]*<h4>candidate<\/h4>/);
    assert.match(
      html,
      /<span class="line hl"> {2}&quot;created&quot;: &quot;Tue, 02 Jan 2024 03:04:05 GMT&quot;,<\/span>/,
    );
    assert.match(html, /<span class="line"> {2}&quot;id&quot;: 9,<\/span>/);
  });

  it("lists the preset rules applied and what was redacted", () => {
    assert.match(html, /<h2 id="presets">[\s\S]*built-in[\s\S]*flask-&gt;fastapi[\s\S]*trailing-newline:/);
    assert.match(html, /Reported on purpose/);
    assert.match(
      html,
      /<h2 id="redaction">[\s\S]*authorization[\s\S]*\$\.owner\.email[\s\S]*legacy \$\.owner\.email \(config\)/,
    );
    assert.match(html, /request header:cookie/);
    assert.ok(!html.includes("zoe@x.test") && !html.includes("sid=1"));
  });

  it("an empty aggregator renders a valid report", () => {
    const empty = renderHtmlReport(buildReport(new FindingsAggregator(), { presets: [] }));
    assert.match(empty, /No real differences\./);
    assert.match(empty, /No mirrored requests yet\./);
  });
});

describe("prettyJsonLines", () => {
  it("prints each line with its path, exact numbers kept", () => {
    const lines = prettyJsonLines('{"a":[1,{"b":9007199254740993}],"c":{}}');
    assert.deepEqual(lines, [
      { path: "$", text: "{" },
      { path: "$.a", text: '  "a": [' },
      { path: "$.a[0]", text: "    1," },
      { path: "$.a[1]", text: "    {" },
      { path: "$.a[1].b", text: '      "b": 9007199254740993' },
      { path: "$.a[1]", text: "    }" },
      { path: "$.a", text: "  ]," },
      { path: "$.c", text: '  "c": {}' },
      { path: "$", text: "}" },
    ]);
    assert.equal(prettyJsonLines('{"cut'), undefined);
  });

  it("isAtOrBelow respects segment boundaries", () => {
    assert.ok(isAtOrBelow("$.items[1].id", "$.items"));
    assert.ok(isAtOrBelow("$.items", "$.items"));
    assert.ok(!isAtOrBelow("$.items2", "$.items"));
    assert.ok(!isAtOrBelow("$.item", "$.items"));
  });
});
