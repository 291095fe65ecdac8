// One response body as the example stored it: JSON pretty-printed with the differing paths
// highlighted, text and SSE as text, binary as its digest. Redacted values are shown as such.
import { useMemo } from "preact/hooks";
import { isMarked, lines, parseJson, type JsonLine } from "../json";
import type { ResponseSummary } from "../types";

export function Body({ r, marked, whole }: { r: ResponseSummary; marked: ReadonlySet<string>; whole: boolean }) {
  const parsed = useMemo(() => {
    if (r.bodyKind !== "json") return null;
    try {
      return lines(parseJson(r.body));
    } catch {
      return null;
    }
  }, [r.body, r.bodyKind]);
  const notes: string[] = [];
  if (r.previewTruncated) notes.push("preview cut at the example size cap");
  if (r.captureTruncated) notes.push("capture cut at the mirror's capture cap");
  return (
    <div class={`body${whole ? " body-marked" : ""}`}>
      <div class="body-meta num">
        <span>{r.bodyKind}</span>
        <span>{r.mediaType || "no content type"}</span>
        <span>{r.bodyBytes} bytes</span>
        {notes.map((n) => (
          <span key={n} class="warn-text">
            {n}
          </span>
        ))}
      </div>
      {r.bodyKind === "empty" || r.body === "" ? (
        <p class="sub body-empty">(empty body)</p>
      ) : parsed ? (
        <JsonLines rows={parsed} marked={marked} />
      ) : (
        <pre class="code">{r.bodyKind === "binary" ? `binary body, digest ${r.body}` : highlightRedacted(r.body)}</pre>
      )}
    </div>
  );
}

function highlightRedacted(text: string) {
  const parts = text.split(/(\[redacted\])/g);
  return parts.map((p, i) =>
    p === "[redacted]" ? (
      <span key={i} class="redacted">
        {p}
      </span>
    ) : (
      p
    ),
  );
}

function JsonLines({ rows, marked }: { rows: JsonLine[]; marked: ReadonlySet<string> }) {
  return (
    <pre class="code json" aria-label="JSON body">
      {rows.map((l, i) => {
        const hit = isMarked(l.path, marked);
        return (
          <div
            key={i}
            class={`jl${hit ? " jl-marked" : ""}`}
            data-path={l.path}
            data-marked={hit ? "true" : undefined}
            title={l.kind === "close" ? undefined : l.path}
          >
            <span class="jl-indent">{"  ".repeat(l.depth)}</span>
            {l.key !== undefined ? (
              <>
                <span class="j-key">{JSON.stringify(l.key)}</span>
                <span class="j-punct">: </span>
              </>
            ) : null}
            <span class={l.redacted ? "redacted" : `j-${l.kind}`}>{l.text}</span>
            {l.comma ? <span class="j-punct">,</span> : null}
          </div>
        );
      })}
    </pre>
  );
}
