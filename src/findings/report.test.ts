import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffResponses } from "../diff/engine.js";
import { captured, fastapiHeaders, fastapiJson, flaskHeaders, flaskJson } from "../diff/testing.js";
import type { DiffOptions } from "../diff/types.js";
import { FindingsAggregator } from "./aggregator.js";
import { findingId } from "./grouping.js";
import { buildReport } from "./report-data.js";
import { esc, renderHtmlReport, REPORT_LIMITS } from "./report-html.js";
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

  it("leads with a summary, then findings by endpoint most client-breaking first; noise and accepted apart", () => {
    assert.ok(html.indexOf('id="summary"') < html.indexOf('id="real"'), "summary first");
    assert.match(html, /<b>1<\/b> endpoint\(s\) compared on <b>20<\/b> mirrored request\(s\)/);
    assert.match(
      html,
      /Type and format changes<\/a>[\s\S]*?<td class="num real">1<\/td><td class="num">1<\/td><td>format changed<\/td>/,
    );
    assert.match(html, /<section class="endpoint"><h3><span class="mono">\/items\/:id<\/span>/);
    assert.match(html, /format changed<\/span> <span class="mono path">\$\.created<\/span>/);
    assert.match(html, /100\.0% \(95% CI 83\.9–100\.0%\)/, "every request had the datetime drift");
    assert.match(html, /RFC 822 date → ISO 8601 date-time \(no zone, seconds\)/);
    assert.match(
      html,
      /<h2 id="noise">[\s\S]*probable noise: generated value[\s\S]*legacy&#39;s header:x-note is generated[\s\S]*<h2 id="accepted">/,
    );
    assert.match(html, /<h2 id="accepted">[\s\S]*Accepted by zoe \([^)]*\): qty fix &lt;script&gt;/);
    assert.match(html, /<h2 id="routes">Endpoints compared<\/h2>/);
  });

  it("stays small: examples per finding and body lines are bounded, and a total budget", () => {
    const small = renderHtmlReport(buildReport(sample(), { presets: [], generatedAt: 0 }), {
      ...REPORT_LIMITS,
      exampleBudget: 5000,
    });
    assert.match(small, /Further examples left out to keep the report small/);
    assert.ok(small.length < html.length);
    assert.equal(
      html.match(/<div class="example">/g)?.length,
      2 + 1 + 1,
      "2 for the real finding, 1 for noise and accepted",
    );
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
