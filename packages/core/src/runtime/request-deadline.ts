/** A request's deadline passed (before the answer or while its body was read). */
export class TransportTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(timeoutMs: number) {
    super(`request timed out after ${timeoutMs} ms`);
  }
}

/** What a deadline stops: a `node:http` request or response, or an adapter around an `AbortController`. */
export interface Destroyable {
  destroy(error: Error): void;
}

/**
 * The deadline of one HTTP exchange, redirects and body included: a timer that destroys what it watches when it
 * passes, with a {@link TransportTimeoutError}. A timer and not an `AbortSignal`: `node:http` adds and removes abort
 * listeners on every request given a signal, ≈ 50 µs of CPU each (a third of a whole loopback request); and fake
 * timers in users' tests can move a timer, not `AbortSignal.timeout()`. Call {@link RequestDeadline.clear} when done.
 */
export class RequestDeadline {
  /** Set once the deadline has passed: throw it rather than whatever the destroyed request failed with. */
  expired: TransportTimeoutError | undefined;
  private target: Destroyable | undefined;
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(timeoutMs: number) {
    this.timer = setTimeout(() => {
      this.expired = new TransportTimeoutError(timeoutMs);
      this.target?.destroy(this.expired);
    }, timeoutMs);
  }

  /** Watches this request or response from now on (the last one given): destroyed when the deadline passes, or now if it has. */
  watch(target: Destroyable): void {
    this.target = target;
    if (this.expired) target.destroy(this.expired);
  }

  /** Stops the timer: the exchange is over. */
  clear(): void {
    clearTimeout(this.timer);
  }
}
