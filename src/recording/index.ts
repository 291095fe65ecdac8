/** Recordings: HAR 1.2 with `_cutover` fields (and GoReplay `.gor` import) as a list of requests. */
export { harSchema, type Har, type HarEntry, type HarCutover } from "./har.js";
export { readRecording, parseRecording, harToRequests, validateHar, entryToRequest } from "./read.js";
export { toHarEntry, userKeyHash, redactBody, type RecordInput, type EntryOptions } from "./entry.js";
export { HarWriter, type WriterOptions, type WriterStats } from "./write.js";
export { parseGor } from "./gor.js";
export type { RecordedRequest, RecordedAnswer } from "./types.js";
export { idHash, getAt, setAt, type MaskedId } from "./ids.js";
