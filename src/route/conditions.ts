/**
 * Header and query conditions of a route (`match: { headers: {...}, query: {...} }`). A condition
 * is an exact value, `{ regex }` (matched against the whole value) or `{ present }`. Pure: takes
 * the request's headers and query string, returns whether every condition holds.
 */

/** A condition as written in the config. */
export type ConditionSpec = string | { regex: string } | { present: boolean };

export interface Condition {
  /** Header name (lower-cased) or query parameter name. */
  readonly name: string;
  test(values: readonly string[]): boolean;
}

/** The request as route conditions see it: Node's lower-cased headers and the query string. */
export interface RequestView {
  readonly headers: Record<string, string | string[] | undefined>;
  /** The query string with its leading "?", or "". */
  readonly query: string;
}

/** compileCondition returns a condition, or an error message for an invalid regex. */
export function compileCondition(name: string, spec: ConditionSpec): Condition | { error: string } {
  if (typeof spec === "string") return { name, test: (vs) => vs.includes(spec) };
  if ("present" in spec) {
    const want = spec.present;
    return { name, test: (vs) => vs.length > 0 === want };
  }
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${spec.regex})$`);
  } catch (err) {
    return { error: `invalid regex "${spec.regex}": ${(err as Error).message}` };
  }
  return { name, test: (vs) => vs.some((v) => re.test(v)) };
}

export function compileConditions(
  specs: Readonly<Record<string, ConditionSpec>> | undefined,
  lowerNames: boolean,
): Condition[] {
  return Object.entries(specs ?? {}).map(([n, spec]) => {
    const c = compileCondition(lowerNames ? n.toLowerCase() : n, spec);
    if ("error" in c) throw new Error(c.error);
    return c;
  });
}

/** describeCondition is the short text of a condition used in default route names. */
export function describeCondition(spec: ConditionSpec): string {
  if (typeof spec === "string") return spec;
  return "present" in spec ? (spec.present ? "(present)" : "(absent)") : `~/${spec.regex}/`;
}

function headerValues(headers: RequestView["headers"], name: string): string[] {
  const v = headers[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** QueryCache parses a request's query string at most once, and only if a route asks. */
export class QueryCache {
  private parsed: URLSearchParams | undefined;
  constructor(private readonly query: string) {}
  values(name: string): string[] {
    if (this.query === "") return [];
    this.parsed ??= new URLSearchParams(this.query);
    return this.parsed.getAll(name);
  }
}

export function conditionsHold(
  headers: readonly Condition[],
  query: readonly Condition[],
  req: RequestView,
  q: QueryCache,
): boolean {
  for (const c of headers) if (!c.test(headerValues(req.headers, c.name))) return false;
  for (const c of query) if (!c.test(q.values(c.name))) return false;
  return true;
}
