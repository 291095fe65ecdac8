/** The pure response-diff engine: captured answers in, differences out. */
export type { CapturedResponse, DiffKind, Difference, DiffOptions, DiffRequest } from "./types.js";
export { DIFF_KINDS } from "./types.js";
export { diffResponses } from "./engine.js";
export { presetsFor, describePresets, knownPresets, REPORTED_ON_PURPOSE } from "./presets.js";
export { compilePathPattern, type PathPattern } from "../json/path.js";
export { parseJson, ExactNumber, type JsonParseResult } from "../json/parse.js";
export { parseBody, type ParsedBody } from "./parse-body.js";
export { VOLATILE_HEADERS } from "./headers.js";
