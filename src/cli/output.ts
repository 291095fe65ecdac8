/** What a command returns: data for --json, and the same thing rendered for people. */
export interface CommandResult {
  data: unknown;
  text: string;
  /** Non-zero when the command ran but found a problem (e.g. `check` on a broken config). */
  exitCode?: number;
}

/** table renders rows as aligned columns. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
