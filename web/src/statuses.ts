import { useEffect, useRef, useState } from 'react';
import type { api } from '@orzo/contracts';
import { rpc, type Wire } from './api';
import { useEvents, useLive } from './live';

export type ServiceStatus = Wire<api.GetStatusResponse>;

/** At most this many GetStatus calls at once (a browser has about six connections per host). */
const PARALLEL = 6;

/**
 * The status of each named service, fetched a few at a time (rows appear as they come); a
 * service's status is fetched again after events about it, and all of them after a reconnect.
 */
export function useStatuses(names: readonly string[]): Map<string, ServiceStatus | Error> {
  const [statuses, setStatuses] = useState(new Map<string, ServiceStatus | Error>());
  const queue = useRef(new Set<string>());
  const running = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const { generation } = useLive();

  const pump = (): void => {
    while (running.current < PARALLEL && queue.current.size > 0) {
      const name = queue.current.values().next().value!;
      queue.current.delete(name);
      running.current++;
      rpc('GetStatus', { service: name })
        .then(
          (s) => setStatuses((m) => new Map(m).set(name, s)),
          (e: unknown) => setStatuses((m) => new Map(m).set(name, e as Error)),
        )
        .finally(() => {
          running.current--;
          pump();
        });
    }
  };
  const want = (list: Iterable<string>, soon: boolean): void => {
    for (const n of list) queue.current.add(n);
    clearTimeout(timer.current);
    if (soon) timer.current = setTimeout(pump, 300);
    else pump();
  };

  const key = names.join('\n');
  useEffect(() => want(names, false), [key, generation]);
  useEffect(() => () => clearTimeout(timer.current), []);
  useEvents(
    (e) => !!e.service && names.includes(e.service) && /^(deploy|instance|alert|config)\./.test(e.type ?? ''),
    (e) => want([e.service!], true),
  );
  return statuses;
}
