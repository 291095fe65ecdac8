import { createReadStream, createWriteStream, mkdirSync, rmSync, type WriteStream } from "node:fs";
import { once } from "node:events";
import { dirname, extname } from "node:path";
import { createInterface } from "node:readline";
import { CutoverError } from "../errors/index.js";
import { toHarEntry, type EntryOptions, type RecordInput } from "./entry.js";
import { CREATOR } from "./har.js";
import { newIdSalt } from "./ids.js";

export interface WriterOptions extends EntryOptions {
  /** Start a new file when the current one holds this many bytes of entries. 0: never. */
  rotateBytes: number;
  /** Start a new file when the current one is this old (ms). 0: never. */
  rotateMs: number;
  /** Journal bytes waiting to be flushed to disk before new entries are dropped (and counted). */
  maxPending: number;
}

export interface WriterStats {
  written: number;
  dropped: number;
  files: string[];
}

/**
 * HarWriter appends redacted entries to `<file>.entries.tmp` as NDJSON (one line per exchange,
 * written by the stream in the background) and assembles the HAR document when the file rotates
 * or the writer closes. Bounded: when the disk falls behind by `maxPending` bytes, entries are
 * dropped and counted instead of growing memory. The first file is the configured path; rotated ones are `<stem>.<n><ext>` (n ≥ 2).
 */
export class HarWriter {
  readonly stats: WriterStats = { written: 0, dropped: 0, files: [] };
  private journal: WriteStream | undefined;
  private journalPath = "";
  private bytes = 0;
  private openedAt = 0;
  private seq = 0;
  private closing: Promise<void> = Promise.resolve();
  private error: Error | undefined;

  constructor(
    private readonly file: string,
    private readonly opts: WriterOptions,
  ) {
    this.opts = { idSalt: newIdSalt(), ...opts };
    mkdirSync(dirname(file), { recursive: true });
  }

  /** write records one exchange (redacted here). Never throws; false when it was dropped. */
  write(x: RecordInput): boolean {
    if (this.error) {
      this.stats.dropped++;
      return false;
    }
    const line = JSON.stringify(toHarEntry(x, this.opts)) + "\n";
    const now = Date.now();
    if (
      this.journal &&
      ((this.opts.rotateBytes > 0 && this.bytes + line.length > this.opts.rotateBytes && this.bytes > 0) ||
        (this.opts.rotateMs > 0 && now - this.openedAt >= this.opts.rotateMs))
    )
      this.rotate();
    const j = this.journal ?? this.open(now);
    if (j.writableLength > this.opts.maxPending) {
      this.stats.dropped++;
      return false;
    }
    j.write(line);
    this.bytes += line.length;
    this.stats.written++;
    return true;
  }

  /** The first file is the configured path; after each rotation, `<stem>.2<ext>`, `<stem>.3<ext>`, … */
  private target(): string {
    if (this.seq <= 1) return this.file;
    const ext = extname(this.file) || ".har";
    const stem = this.file.slice(0, this.file.length - extname(this.file).length);
    return `${stem}.${this.seq}${ext}`;
  }

  private open(now: number): WriteStream {
    this.seq++;
    this.journalPath = `${this.target()}.entries.tmp`;
    const j = createWriteStream(this.journalPath, { flags: "w" });
    j.on("error", (err) => (this.error = err));
    this.journal = j;
    this.bytes = 0;
    this.openedAt = now;
    return j;
  }

  /** rotate finishes the current file (assembled in the background) and starts the next one on the next write. */
  rotate(): void {
    const j = this.journal;
    if (!j) return;
    const journal = this.journalPath;
    const out = this.target();
    this.journal = undefined;
    const prev = this.closing;
    this.closing = (async () => {
      await prev;
      j.end();
      await once(j, "close");
      await assemble(journal, out);
      this.stats.files.push(out);
    })().catch((err: unknown) => {
      this.error = err as Error;
    });
  }

  /** close finishes the last file. Resolves when every file is assembled; throws if one failed. */
  async close(): Promise<WriterStats> {
    if (!this.journal && this.stats.files.length === 0 && this.seq === 0) this.open(Date.now());
    this.rotate();
    await this.closing;
    if (this.error)
      throw new CutoverError("CUTOVER_ERR_RECORDING_WRITE", `${this.file}: ${this.error.message}`, {
        cause: this.error,
      });
    return this.stats;
  }
}

/** assemble streams a journal of entries into one HAR 1.2 document, then removes the journal. */
async function assemble(journal: string, out: string): Promise<void> {
  const w = createWriteStream(out);
  const write = async (s: string): Promise<void> => {
    if (!w.write(s)) await once(w, "drain");
  };
  await write(`{"log":{"version":"1.2","creator":${JSON.stringify(CREATOR)},"entries":[`);
  let first = true;
  for await (const line of createInterface({ input: createReadStream(journal), crlfDelay: Infinity })) {
    if (line === "") continue;
    await write((first ? "\n" : ",\n") + line);
    first = false;
  }
  await write("\n]}}\n");
  w.end();
  await once(w, "close");
  rmSync(journal, { force: true });
}
