/** The report's stylesheet, inlined so the HTML file stands alone (no external assets). */
export const REPORT_CSS = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5b6475; --bg: #fff; --panel: #f5f7fa; --line: #dde2ea;
  --hl: #fff1b8; --real: #b42318; --noise: #6b7280; --ok: #067647; --accent: #1d4ed8; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #9aa3b2; --bg: #14171c; --panel: #1d2128;
  --line: #2d333d; --hl: #4a3f12; --real: #f97066; --noise: #9aa3b2; --ok: #47cd89; --accent: #84adff; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1240px; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0; display: inline; } .muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, pre, .mono { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.kind { display: inline-block; padding: 1px 6px; border-radius: 4px; background: var(--panel); border: 1px solid var(--line); font-size: 12px; }
.real { color: var(--real); } .noise { color: var(--noise); } .ok { color: var(--ok); }
details.finding { border: 1px solid var(--line); border-radius: 6px; margin: 10px 0; background: var(--bg); }
details.finding > summary { cursor: pointer; padding: 8px 12px; background: var(--panel); border-radius: 6px; }
details.finding[open] > summary { border-bottom: 1px solid var(--line); border-radius: 6px 6px 0 0; }
.finding-body { padding: 8px 12px; }
.example { border-top: 1px dashed var(--line); padding: 10px 0; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.side { min-width: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
.side h4 { margin: 0 0 6px; font-size: 13px; }
pre.body { margin: 6px 0 0; padding: 8px; background: var(--panel); border-radius: 4px; overflow: auto; max-height: 480px; }
pre.body .line { display: block; white-space: pre; } .hl { background: var(--hl); }
table.headers td { padding: 2px 6px; font-size: 12.5px; word-break: break-all; }
ul.diffs { margin: 6px 0; padding-left: 18px; } ul.diffs li { margin: 2px 0; }
.note { font-size: 12.5px; color: var(--muted); }
a { color: var(--accent); }
/* Nothing may widen the page past the window: long paths, values and tokens wrap anywhere. */
td, li, summary, p, h3, .mono, .example b { overflow-wrap: anywhere; }
pre.body { max-width: 100%; }
.summary .lead { font-size: 15px; }
table.severity td:first-child { width: 45%; }
ul.top { margin: 6px 0; padding-left: 18px; } ul.top li { margin: 3px 0; }
section.endpoint { margin: 18px 0 8px; }
section.endpoint > h3 { display: block; font-size: 15px; margin: 0 0 4px; }
section.endpoint > h3 .muted { font-weight: normal; font-size: 13px; }
details.finding > summary .meta { color: var(--muted); font-size: 12.5px; margin-left: 6px; }
details.finding > summary .change { font-size: 12px; }
ul.totals { list-style: none; padding: 0; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 4px 18px; }
table.coverage tr.group th { color: var(--fg); background: var(--panel); text-transform: none; font-size: 13px; }
.kind.real { color: var(--real); } .kind.noise { color: var(--noise); }
`;
