/**
 * Waiting and retrying, for every app and script: {@link sleep}, and {@link retry}, the one backoff loop
 * (exponential, capped) the registry client, the Connect client, the InfluxDB writer and saltransform's
 * start-up use. What counts as worth retrying, and what is logged, stays with each caller.
 */

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface Backoff {
  /** Delay before the first retry, doubled before each further one. */
  initialDelayMs: number;
  /** Cap of the delay (default: none). */
  maxDelayMs?: number;
}

/** Delay before retry `attempt` (1 = the retry after the first failure): initial × 2^(attempt−1), capped. */
export function backoffDelayMs(attempt: number, b: Backoff): number {
  return Math.min(b.initialDelayMs * 2 ** Math.max(0, attempt - 1), b.maxDelayMs ?? Infinity);
}

export interface RetryOptions extends Backoff {
  /** Attempts in all (default: unlimited). */
  attempts?: number;
  /** Aborting ends a wait at once. */
  signal?: AbortSignal;
  /** With `signal`: the error to stop with once it aborted, instead of trying again. */
  abortedError?: () => Error;
}

/** What {@link retry} tells `onFailure` about a failed attempt. */
export interface Failure {
  /** 1-based number of the attempt that failed. */
  attempt: number;
  /** No attempt is left: returning from `onFailure` rethrows the error. */
  last: boolean;
  /** Wait before the next attempt. */
  delayMs: number;
}

/**
 * Runs `op` until it returns. After each failure `onFailure` decides: it throws to stop (the error to
 * surface, often the one it got when it is not worth retrying), or returns to try again after
 * {@link Failure.delayMs} (logging, metrics). Once no attempt is left the last error is rethrown.
 */
export async function retry<T>(
  op: (attempt: number) => Promise<T>,
  opts: RetryOptions,
  onFailure: (err: unknown, failure: Failure) => void | Promise<void>,
): Promise<T> {
  const attempts = opts.attempts ?? Infinity;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      const failure: Failure = { attempt, last: attempt >= attempts, delayMs: backoffDelayMs(attempt, opts) };
      await onFailure(err, failure);
      if (failure.last) throw err;
      if (opts.abortedError && opts.signal?.aborted) throw opts.abortedError();
      await sleep(failure.delayMs, opts.signal);
      if (opts.abortedError && opts.signal?.aborted) throw opts.abortedError();
    }
  }
}
