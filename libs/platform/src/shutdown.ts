import type { INestApplication } from '@nestjs/common';
import pino, { Logger } from 'pino';

/** A service has this long from SIGTERM / SIGINT to be gone; `orzo up` kills it a little later. */
export const STOP_DEADLINE_MS = 8_000;

/**
 * The same Ctrl-C arrives twice: from the terminal to the whole process group, and from
 * `orzo up` forwarding it. A signal this soon after the first is that copy, not a second request.
 */
export const DUPLICATE_SIGNAL_MS = 1_000;

/** Waits for `work` at most `ms`; true when it settled (resolved or rejected) in time. */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** What settleLogs needs of pino's destination (sonic-boom); every field is checked before use. */
interface LogStream {
  flushSync?: () => void;
  once?: (event: 'error', listener: () => void) => void;
  removeListener?: (event: 'error', listener: () => void) => void;
  _writing?: boolean;
  _len?: number;
}

/**
 * Waits (at most `ms`) until the log lines written so far are out, then disarms pino's
 * exit-time `flushSync`: that flush (sonic-boom) retries every failed write forever, EPIPE
 * included, so when `orzo up` was gone (and stdout's reader with it) `process.exit` never
 * returned — the issue-9 hang. sonic-boom's own `flush(cb)` answers at once without waiting
 * for a write in flight, hence the look at its counters.
 */
export async function settleLogs(logger: Logger, ms = 1_000): Promise<void> {
  const stream = (logger as unknown as Record<symbol, LogStream | undefined>)[pino.symbols.streamSym];
  if (!stream) return;
  let failed = false;
  const onError = () => (failed = true);
  stream.once?.('error', onError);
  const until = Date.now() + ms;
  while (!failed && Date.now() < until && (stream._writing === true || (stream._len ?? 0) > 0)) await new Promise((r) => setTimeout(r, 5));
  stream.removeListener?.('error', onError);
  if (typeof stream.flushSync === 'function') stream.flushSync = () => undefined;
}

/** Exits with `code` after a bounded flush of the log: never hangs on a stdout nobody reads. */
export async function exitProcess(logger: Logger, code: number): Promise<never> {
  await settleLogs(logger);
  process.exit(code);
}

/**
 * SIGTERM / SIGINT: Nest's shutdown (stop consuming, finish or nak the batch in hand, close
 * HTTP, drain NATS, close the database), then exit 0. A hard deadline exits 1 whatever still
 * runs; its timer is not unref'd, so the process cannot end any other way than through it or
 * a completed close. A second Ctrl-C (SIGINT after the duplicate window) exits at once; a
 * SIGTERM while stopping is a copy (orzo up forwards the stop as SIGTERM).
 */
export function stopOnSignal(app: INestApplication, logger: Logger, service: string, deadlineMs = STOP_DEADLINE_MS): void {
  let first: number | undefined;
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, `${service} stopping`);
    const force = setTimeout(() => {
      logger.error({ deadlineMs }, `${service} did not stop within ${deadlineMs / 1000}s; exiting`);
      void exitProcess(logger, 1);
    }, deadlineMs);
    app.close().then(
      () => {
        clearTimeout(force);
        logger.info(`${service} stopped`);
        return exitProcess(logger, 0);
      },
      (err: unknown) => {
        logger.error({ err }, `${service} failed to stop cleanly`);
        return exitProcess(logger, 1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (first === undefined) {
      first = Date.now();
      stop(signal);
    } else if (signal === 'SIGINT' && Date.now() - first >= DUPLICATE_SIGNAL_MS) {
      logger.warn({ signal }, `${service}: second ${signal} while stopping; exiting now`);
      void exitProcess(logger, 1);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
