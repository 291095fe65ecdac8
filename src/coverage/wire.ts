/**
 * The coverage matrix's JSON shapes (GET /api/coverage, `cutover coverage --json`, the HTML
 * report's coverage section). No imports, so the dashboard reads the server's own types.
 */

/**
 * Where an endpoint stands, most urgent first:
 * - `not_reached`: legacy served it, the candidate never answered it (live or mirrored);
 * - `differing`: compared, and at least one comparison showed a real difference;
 * - `never_exercised`: known from the inventory or the config, nobody called it yet;
 * - `covered`: the candidate answered it and no comparison differed.
 */
export type CoverageState = "not_reached" | "differing" | "never_exercised" | "covered";

export interface CoverageRow {
  /** "METHOD /template", the key findings use. */
  endpoint: string;
  /** The route it belongs to ("" when no route matches an inventory endpoint). */
  route: string;
  /** Listed by the route inventory (`endpoints:`) or a config route. */
  inventory: boolean;
  /** Live requests served (legacy + candidate). */
  seen: number;
  /** Live requests served by legacy. */
  legacy: number;
  /** Live requests served by the candidate. */
  candidate: number;
  /** Requests mirrored to the candidate (both answers captured). */
  mirrored: number;
  /** Mirrored requests compared (diffed, noise applied). */
  compared: number;
  /** Compared requests with a real, unaccepted difference. */
  differing: number;
  state: CoverageState;
}

export interface CoverageView {
  generatedAt: number;
  /** Rows in presentation order (coverage/present.ts: grouped by route, most urgent first). */
  rows: CoverageRow[];
  totals: Record<CoverageState, number>;
  /** Endpoints tracked, and the cap; requests beyond it are counted under "(other endpoints)". */
  endpoints: number;
  limit: number;
  /** Requests whose endpoint was folded into "(other endpoints)" because the cap was reached. */
  folded: number;
}
