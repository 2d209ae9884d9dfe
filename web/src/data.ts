import { useCallback, useEffect, useRef, useState } from 'react';
import { rpc, type Method, type Rpcs, type Wire } from './api';
import { useEvents, useLive, type Watched } from './live';

export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
  reload: () => void;
}

/**
 * A unary RPC's answer, fetched on mount and whenever the request changes, again (at most every
 * 400 ms) when an event passes `refetchOn`, and after the event stream reconnects.
 */
export function useRpc<M extends Method>(method: M, req: Wire<Rpcs[M][0]> | undefined, refetchOn?: (e: Watched) => boolean): Loaded<Wire<Rpcs[M][1]>> {
  const key = req === undefined ? '' : JSON.stringify(req);
  const [state, setState] = useState<{ key: string; data?: Wire<Rpcs[M][1]>; error?: string; loading: boolean }>({ key, loading: true });
  const [tick, setTick] = useState(0);
  const { generation } = useLive();
  useEffect(() => {
    if (req === undefined) return;
    let current = true;
    setState((s) => ({ ...s, key, loading: true }));
    rpc(method, JSON.parse(key) as Wire<Rpcs[M][0]>).then(
      (data) => current && setState({ key, data, loading: false }),
      (e: unknown) => current && setState((s) => ({ key, data: s.key === key ? s.data : undefined, error: String((e as Error).message ?? e), loading: false })),
    );
    return () => {
      current = false;
    };
  }, [method, key, tick, generation]);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const reload = useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      setTick((t) => t + 1);
    }, 400);
  }, []);
  useEffect(() => () => clearTimeout(timer.current), []);
  useEvents(refetchOn ?? (() => false), reload);
  return { data: state.key === key ? state.data : undefined, error: state.key === key ? state.error : undefined, loading: state.loading, reload };
}
