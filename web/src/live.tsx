import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { api } from '@orzo/contracts';
import type { Wire } from './api';

export type Watched = Wire<api.WatchedEvent>;
export type Connection = 'connecting' | 'live' | 'lost';

type Listener = (e: Watched) => void;

interface Live {
  connection: Connection;
  /** Goes up on each reconnect after a loss: pages refetch what they show then. */
  generation: number;
  subscribe(f: Listener): () => void;
}

const LiveContext = createContext<Live>({ connection: 'connecting', generation: 0, subscribe: () => () => undefined });

/**
 * One EventSource on /api/events for the whole app. EventSource reconnects by itself and sends
 * Last-Event-ID, so the server resumes after the last event received; a page still refetches its
 * data after a loss, since its own answers may have missed changes that are not events.
 */
export function LiveProvider({ children }: { children: ReactNode }) {
  const [connection, setConnection] = useState<Connection>('connecting');
  const [generation, setGeneration] = useState(0);
  const listeners = useRef(new Set<Listener>());
  useEffect(() => {
    let lost = false;
    let source: EventSource;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      source = new EventSource('/api/events');
      source.onopen = () => {
        setConnection('live');
        if (lost) setGeneration((g) => g + 1);
        lost = false;
      };
      source.onerror = () => {
        lost = true;
        setConnection('lost');
        // EventSource retries a dropped connection itself, but gives up on an error answer: start over.
        if (source.readyState === EventSource.CLOSED) retry = setTimeout(connect, 3000);
      };
      source.onmessage = (e: MessageEvent<string>) => {
        let event: Watched;
        try {
          event = JSON.parse(e.data) as Watched;
        } catch {
          return;
        }
        for (const f of listeners.current) f(event);
      };
    };
    connect();
    return () => {
      clearTimeout(retry);
      source.close();
    };
  }, []);
  const subscribe = useCallback((f: Listener) => {
    listeners.current.add(f);
    return () => void listeners.current.delete(f);
  }, []);
  const value = useMemo<Live>(() => ({ connection, generation, subscribe }), [connection, generation, subscribe]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export const useLive = (): Live => useContext(LiveContext);

/** Calls f on each event that passes the filter (latest f and filter, without resubscribing). */
export function useEvents(filter: (e: Watched) => boolean, f: (e: Watched) => void): void {
  const { subscribe } = useLive();
  const latest = useRef({ filter, f });
  latest.current = { filter, f };
  useEffect(() => subscribe((e) => latest.current.filter(e) && latest.current.f(e)), [subscribe]);
}

/** The event's payload (proto3 JSON), or {} when it does not parse. */
export function payloadOf(e: Watched): Record<string, unknown> {
  try {
    return JSON.parse(e.payloadJson ?? '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}
