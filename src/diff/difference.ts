/**
 * The kinds of difference and their shape: plain data with no Node types, so the dashboard shares
 * them (through src/findings/wire.ts) instead of re-declaring them.
 */

export type DiffKind =
  | "status_changed"
  | "header_changed"
  | "header_missing"
  | "header_added"
  | "content_type_changed"
  | "field_missing"
  | "field_added"
  | "field_renamed"
  | "type_changed"
  | "value_changed"
  | "format_changed"
  | "null_vs_absent"
  | "list_order"
  | "sse_event_missing"
  | "sse_event_extra"
  | "sse_event_changed"
  | "body_changed"
  | "upstream_error";

/** Every kind, in report order (most client-visible first). */
export const DIFF_KINDS: readonly DiffKind[] = [
  "upstream_error",
  "status_changed",
  "content_type_changed",
  "field_missing",
  "field_added",
  "field_renamed",
  "type_changed",
  "format_changed",
  "value_changed",
  "null_vs_absent",
  "list_order",
  "sse_event_missing",
  "sse_event_extra",
  "sse_event_changed",
  "body_changed",
  "header_missing",
  "header_added",
  "header_changed",
];

/** One way the candidate's answer disagrees with legacy's. */
export interface Difference {
  kind: DiffKind;
  /** Where: "status", "header:content-type", "$.user.id", "$.items[3].id", "sse[2].data", "body". */
  path: string;
  /** The path with list indexes folded ("$.items[*].id"); findings are grouped by it. */
  groupPath: string;
  /** Short (≤ 200 chars), redaction-safe preview of legacy's value. */
  legacy?: string;
  /** Short (≤ 200 chars), redaction-safe preview of the candidate's value. */
  candidate?: string;
  /** Extra explanation, e.g. "user_name → username" or "legacy body truncated at 65536 bytes". */
  detail?: string;
}
