import { appendFile } from 'node:fs/promises';
import type { Notification, Sink } from './types';

/**
 * One JSON object per line, for log shippers. JSON encoding escapes control
 * characters, so untrusted text cannot forge extra log lines.
 */
export class LogSink implements Sink {
  readonly name: string;

  /** `path` null writes to stdout. */
  constructor(private readonly path: string | null) {
    this.name = path === null ? 'log:stdout' : `log:${path}`;
  }

  async send(notification: Notification): Promise<void> {
    const line = `${JSON.stringify({ ts: new Date().toISOString(), event: 'notification', ...notification })}\n`;
    // Appending per line (no held descriptor) keeps working across log rotation.
    if (this.path !== null) return appendFile(this.path, line);
    return new Promise((resolve, reject) => {
      process.stdout.write(line, (err) => (err ? reject(err) : resolve()));
    });
  }
}
