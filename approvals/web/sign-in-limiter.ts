/**
 * Sign-in attempts, limited per user name and per client address: after `maxFailures` failures
 * within `windowMs`, that name (or address) is locked until the window has passed since its first
 * failure. A success clears the name's count. Every attempt is counted for the metrics.
 */
export interface SignInLimits {
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { maxFailures: 5, windowMs: 15 * 60_000 };

interface Failures {
  count: number;
  sinceMs: number;
}

export class SignInLimiter {
  private readonly byKey = new Map<string, Failures>();

  constructor(
    private readonly limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until this user or address may try again, or undefined when it may now. */
  lockedFor(user: string, address: string): number | undefined {
    const waits = [this.waitOf(`user:${user}`), this.waitOf(`address:${address}`)].filter((w) => w !== undefined);
    return waits.length === 0 ? undefined : Math.max(...waits);
  }

  failed(user: string, address: string): void {
    for (const key of [`user:${user}`, `address:${address}`]) {
      const current = this.current(key);
      this.byKey.set(key, current ? { count: current.count + 1, sinceMs: current.sinceMs } : { count: 1, sinceMs: this.now() });
    }
    // Bounded: a flood of made-up names cannot grow this without end.
    if (this.byKey.size > 10_000) this.byKey.clear();
  }

  succeeded(user: string): void {
    this.byKey.delete(`user:${user}`);
  }

  private current(key: string): Failures | undefined {
    const failures = this.byKey.get(key);
    if (failures && this.now() - failures.sinceMs >= this.limits.windowMs) {
      this.byKey.delete(key);
      return undefined;
    }
    return failures;
  }

  private waitOf(key: string): number | undefined {
    const failures = this.current(key);
    if (!failures || failures.count < this.limits.maxFailures) return undefined;
    return Math.ceil((failures.sinceMs + this.limits.windowMs - this.now()) / 1000);
  }
}
