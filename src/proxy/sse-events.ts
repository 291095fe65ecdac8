/**
 * EventBoundary follows where Server-Sent Events end (a blank line: two line terminators, each
 * CRLF, LF or CR) in a response byte stream. A stream the gateway ends itself (rollback, a
 * user moved off the candidate, shutdown) is ended between events, so the client keeps every
 * event it received and reconnects with the last one's id as `Last-Event-ID`.
 */
export class EventBoundary {
  private boundary = true;
  private lastEol = true;
  private pendingCr = false;

  /** True when every byte fed so far belongs to complete events. */
  get atBoundary(): boolean {
    return this.boundary;
  }

  /**
   * feed consumes `chunk`; with `stopAtBoundary` it returns how many bytes reach the first event
   * end in it (-1 when none does), otherwise -1 after consuming everything.
   */
  feed(chunk: Uint8Array, stopAtBoundary = false): number {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (b === 10 /* LF */ && this.pendingCr) {
        this.pendingCr = false; // the LF of a CRLF: the terminator was counted at its CR
        continue;
      }
      if (b === 10 || b === 13) {
        if (this.lastEol && !this.boundary) {
          this.boundary = true;
          if (stopAtBoundary) return b === 13 && chunk[i + 1] === 10 ? i + 2 : i + 1;
        }
        this.lastEol = true;
        this.pendingCr = b === 13;
        continue;
      }
      this.lastEol = false;
      this.pendingCr = false;
      this.boundary = false;
    }
    return -1;
  }
}
