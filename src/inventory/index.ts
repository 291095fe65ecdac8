/** The route inventory: every endpoint of legacy and candidate, read from OpenAPI or source, and compared. */
export { compareInventories, groupPaths } from "./compare.js";
export type { InventoryComparison, PathGroup, PathPair, RewriteSuggestion, RouteDifference } from "./compare.js";
export { pathKey, routeTemplate } from "./path.js";
export type { Endpoint, Inventory, InventoryFramework, Param, ParamType } from "./types.js";
