/**
 * FrameTracker follows WebSocket frame boundaries (RFC 6455 §5.2) in a byte stream without
 * copying or unmasking payloads. The tunnel needs it for one thing: to inject a Close frame
 * (1001 going away) between frames, never inside one, when a rollback or shutdown ends a tunnel.
 */
export class FrameTracker {
  /** Payload bytes left in the current frame. */
  private remaining = 0;
  private readonly header = new Uint8Array(14);
  private have = 0;
  /** Status-code bytes of a Close frame still to read (2, 1 or 0), and where its mask key starts. */
  private codeLeft = 0;
  private codeAt = 0;
  private code = 0;
  /** The status code of the first Close frame seen (1005 when it carried none), for the record. */
  closeCode: number | undefined;

  /** True when the stream is between frames. */
  get atBoundary(): boolean {
    return this.remaining === 0 && this.have === 0;
  }

  /**
   * feed consumes `chunk` and returns how many of its bytes end exactly at the first frame
   * boundary reached (or -1 when the chunk ends inside a frame and no boundary was crossed).
   */
  feed(chunk: Uint8Array, stopAtBoundary = false): number {
    let off = 0;
    while (off < chunk.length) {
      if (this.remaining > 0) {
        if (this.codeLeft > 0) {
          this.readCode(chunk[off] as number);
          this.remaining--;
          off++;
          if (this.remaining === 0 && stopAtBoundary) return off;
          continue;
        }
        const take = Math.min(this.remaining, chunk.length - off);
        this.remaining -= take;
        off += take;
        if (this.remaining === 0 && stopAtBoundary) return off;
        continue;
      }
      this.header[this.have++] = chunk[off++] as number;
      const need = this.headerLength();
      if (need !== undefined && this.have >= need) {
        this.remaining = this.payloadLength();
        this.have = 0;
        if (((this.header[0] as number) & 0x0f) === 0x8 && this.closeCode === undefined) {
          if (this.remaining < 2) this.closeCode = 1005;
          else {
            this.codeLeft = 2;
            this.code = 0;
            this.codeAt = (this.header[1] as number) & 0x80 ? need - 4 : -1;
          }
        }
        if (this.remaining === 0 && stopAtBoundary) return off;
      }
    }
    return this.atBoundary ? off : -1;
  }

  private readCode(byte: number): void {
    const i = 2 - this.codeLeft;
    const b = this.codeAt >= 0 ? byte ^ (this.header[this.codeAt + i] as number) : byte;
    this.code = (this.code << 8) | b;
    if (--this.codeLeft === 0) this.closeCode = this.code;
  }

  private headerLength(): number | undefined {
    if (this.have < 2) return undefined;
    const b1 = this.header[1] as number;
    const len7 = b1 & 0x7f;
    const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    return 2 + ext + (b1 & 0x80 ? 4 : 0);
  }

  private payloadLength(): number {
    const h = this.header;
    const len7 = (h[1] as number) & 0x7f;
    if (len7 < 126) return len7;
    if (len7 === 126) return ((h[2] as number) << 8) | (h[3] as number);
    let n = 0;
    for (let i = 2; i < 10; i++) n = n * 256 + (h[i] as number);
    return n;
  }
}

/** A server-to-client Close frame with a status code (unmasked, RFC 6455 §5.1). */
export function closeFrame(code: number): Buffer {
  return Buffer.from([0x88, 0x02, (code >> 8) & 0xff, code & 0xff]);
}

/** A client-to-server Close frame: clients must mask every frame (RFC 6455 §5.3). */
export function maskedCloseFrame(code: number): Buffer {
  const mask = [0x5a, 0xa5, 0x3c, 0xc3];
  const payload = [(code >> 8) & 0xff, code & 0xff];
  return Buffer.from([
    0x88,
    0x82,
    ...mask,
    (payload[0] as number) ^ (mask[0] as number),
    (payload[1] as number) ^ (mask[1] as number),
  ]);
}

export const GOING_AWAY = 1001;
