/** Collects bytes up to a limit and remembers whether anything was cut. */
export class BoundedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Uint8Array): void {
    const room = this.limit - this.size;
    if (chunk.byteLength > room) {
      this.truncated = true;
      if (room > 0) this.chunks.push(Buffer.from(chunk.subarray(0, room)));
      this.size = this.limit;
      return;
    }
    this.chunks.push(Buffer.from(chunk));
    this.size += chunk.byteLength;
  }

  /** UTF-8 text; a character split at the limit decodes as U+FFFD rather than failing. */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
