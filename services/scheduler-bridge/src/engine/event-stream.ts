import type Docker from 'dockerode';
import type { WatchHooks } from './engine';

/** One message of Docker's /events stream. */
export interface RawEngineEvent {
  Type?: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  /** The same time in nanoseconds. */
  timeNano?: number;
}

/**
 * Reconnection delays of the events stream: short, because an engine that answers again must
 * be served again within seconds (the reconnection triggers a full reconcile).
 */
const WATCH_BACKOFF_MS = [250, 500, 1_000] as const;

/**
 * Follows an engine's /events stream with `filters`. The stream ends when the engine stops or
 * restarts: it reconnects by itself with backoff (`since` the last event, so none is missed
 * while the engine kept running), reporting each break and each reconnection, after which the
 * caller should look at everything again (events of a restarting engine are not all
 * replayed). Returns a function that stops it.
 */
export function followEngineEvents(
  docker: Docker,
  filters: Record<string, string[]>,
  onEvent: (e: RawEngineEvent) => void,
  hooks: WatchHooks = {},
): () => void {
  let stopped = false;
  let since = Math.floor(Date.now() / 1000);
  let current: NodeJS.ReadableStream | undefined;
  let failures = 0;
  let broken = false;
  const connect = async (): Promise<void> => {
    while (!stopped) {
      let why: Error | undefined;
      try {
        const stream = (await docker.getEvents({ since, filters })) as NodeJS.ReadableStream;
        current = stream;
        failures = 0;
        if (broken) {
          broken = false;
          hooks.onReconnect?.();
        }
        let buffer = '';
        why = await new Promise<Error>((resolve) => {
          stream.on('data', (chunk: Buffer) => {
            buffer += chunk.toString();
            const lines = buffer.split('\n');
            buffer = lines.pop() ?? '';
            for (const line of lines) {
              if (!line.trim()) continue;
              const e = JSON.parse(line) as RawEngineEvent;
              since = e.time;
              onEvent(e);
            }
          });
          stream.on('end', () => resolve(new Error('the engine closed the events stream')));
          stream.on('error', (err: Error) => resolve(err));
          // A killed engine may drop the connection without an end.
          stream.on('close', () => resolve(new Error('the events stream was closed')));
        });
      } catch (err) {
        why = err as Error;
      }
      if (stopped) return;
      broken = true;
      const delay = WATCH_BACKOFF_MS[Math.min(failures++, WATCH_BACKOFF_MS.length - 1)]!;
      hooks.onBreak?.(why, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  };
  void connect();
  return () => {
    stopped = true;
    (current as unknown as { destroy?: () => void })?.destroy?.();
  };
}
