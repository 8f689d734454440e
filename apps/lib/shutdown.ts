/**
 * Graceful shutdown: on SIGTERM/SIGINT (or `trigger`), abort `signal`, then run the registered hooks in
 * reverse order (last started, first stopped) within `timeoutMs`; a second signal or the timeout forces
 * the exit. Apps loop `while (!shutdown.signal.aborted)` and register `flush`/`disconnect` hooks.
 */
import { Logger } from './logging';

export interface ShutdownOptions {
  logger?: Logger;
  /** Time allowed for the hooks (default 10 s; Kubernetes gives 30 s by default). */
  timeoutMs?: number;
  /** Called to force the exit (default process.exit). */
  exit?: (code: number) => void;
}

export interface Shutdown {
  /** Aborted when shutdown starts. */
  readonly signal: AbortSignal;
  /** Registers a hook (run in reverse registration order). */
  onShutdown(name: string, hook: () => unknown | Promise<unknown>): void;
  /** Starts the shutdown (idempotent); resolves when the hooks are done. */
  trigger(reason: string): Promise<void>;
  /** Resolves when the hooks have run. */
  readonly done: Promise<void>;
  /** Installs SIGTERM/SIGINT handlers; returns a function that removes them. */
  installSignalHandlers(signals?: NodeJS.Signals[]): () => void;
}

export function createShutdown(opts: ShutdownOptions = {}): Shutdown {
  const controller = new AbortController();
  const hooks: { name: string; hook: () => unknown }[] = [];
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let running: Promise<void> | undefined;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));

  async function runHooks(): Promise<void> {
    for (const { name, hook } of [...hooks].reverse()) {
      try {
        await hook();
      } catch (err) {
        opts.logger?.error({ hook: name, err: (err as Error).message }, `shutdown step ${name} failed: ${(err as Error).message}`);
      }
    }
  }

  function trigger(reason: string): Promise<void> {
    if (running) return running;
    opts.logger?.info({ reason }, `shutting down (${reason})`);
    controller.abort(new Error(reason));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => {
      timer = setTimeout(() => {
        opts.logger?.error({ timeoutMs }, `shutdown did not finish within ${timeoutMs} ms, forcing exit`);
        exit(1);
        r();
      }, timeoutMs);
      timer.unref();
    });
    running = Promise.race([runHooks(), timeout]).finally(() => {
      if (timer) clearTimeout(timer);
      resolveDone();
    });
    return running;
  }

  function installSignalHandlers(signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): () => void {
    const handler = (sig: NodeJS.Signals) => {
      if (running) {
        opts.logger?.warn({ signal: sig }, `second ${sig}: exiting now`);
        exit(130);
        return;
      }
      void trigger(sig);
    };
    for (const s of signals) process.on(s, handler);
    return () => {
      for (const s of signals) process.off(s, handler);
    };
  }

  return {
    signal: controller.signal,
    onShutdown: (name, hook) => hooks.push({ name, hook }),
    trigger,
    done,
    installSignalHandlers,
  };
}
