import type { api } from '@orzo/contracts';

/**
 * What arrives over HTTP: ts-proto's toJSON leaves out every field at its default value
 * (empty strings, zeros, false, empty lists), so each field may be missing.
 */
export type Wire<T> = T extends readonly (infer E)[] ? Wire<E>[] : T extends object ? { [K in keyof T]?: Wire<T[K]> } : T;

export type WhoAmI = Wire<api.WhoAmIResponse>;

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Called on every 401, so the app can go back to the login form. */
let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

async function post<T>(path: string, body: unknown, action: boolean): Promise<T> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  // The server refuses a POST without it (CSRF: a cross-site form cannot set a custom header).
  if (action) headers['X-Orzo-Action'] = '1';
  const res = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body), credentials: 'same-origin' });
  return answer<T>(res, path !== '/api/login');
}

async function answer<T>(res: Response, signalUnauthorized: boolean): Promise<T> {
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    if (res.status === 401 && signalUnauthorized) onUnauthorized();
    const err = (json ?? {}) as { error?: string; code?: string };
    throw new ApiError(err.error ?? `${res.status} ${res.statusText}`, res.status, err.code);
  }
  return (json ?? {}) as T;
}

export const login = (token: string): Promise<WhoAmI> => post<WhoAmI>('/api/login', { token }, false);
export const logout = (): Promise<unknown> => post('/api/logout', {}, true);
export async function whoAmI(): Promise<WhoAmI | undefined> {
  const res = await fetch('/api/whoami', { credentials: 'same-origin' });
  if (res.status === 401) return undefined;
  return answer<WhoAmI>(res, false);
}

/** The unary RPCs the dashboard calls, with their request and response types. */
export interface Rpcs {
  ListServices: [api.ListServicesRequest, api.ListServicesResponse];
  GetStatus: [api.GetStatusRequest, api.GetStatusResponse];
  GetPipeline: [api.GetPipelineRequest, api.GetPipelineResponse];
  ListBuilds: [api.ListBuildsRequest, api.ListBuildsResponse];
  GetHistory: [api.GetHistoryRequest, api.GetHistoryResponse];
  ListAlerts: [api.ListAlertsRequest, api.ListAlertsResponse];
  ListDeployments: [api.ListDeploymentsRequest, api.ListDeploymentsResponse];
  ListJobs: [api.ListJobsRequest, api.ListJobsResponse];
  JobHistory: [api.JobHistoryRequest, api.JobHistoryResponse];
  GetJobRun: [api.GetJobRunRequest, api.GetJobRunResponse];
  MarkForDeployment: [api.MarkForDeploymentRequest, api.MarkForDeploymentResponse];
  Rollback: [api.RollbackRequest, api.RollbackResponse];
  StopInstance: [api.InstanceControlRequest, api.InstanceControlResponse];
  StartInstance: [api.InstanceControlRequest, api.InstanceControlResponse];
  RestartInstance: [api.RestartInstanceRequest, api.RestartInstanceResponse];
  Autoscale: [api.AutoscaleRequest, api.AutoscaleResponse];
  RunJob: [api.RunJobRequest, api.RunJobResponse];
}
export type Method = keyof Rpcs;

export function rpc<M extends Method>(method: M, req: Wire<Rpcs[M][0]>): Promise<Wire<Rpcs[M][1]>> {
  return post<Wire<Rpcs[M][1]>>(`/api/rpc/${method}`, req, true);
}

/** The server-streaming RPCs, as server-sent events. */
export interface Streams {
  GetBuildLog: [api.GetBuildLogRequest, api.BuildLogLine];
  GetInstanceLogs: [api.GetInstanceLogsRequest, api.InstanceLogLine];
}

/** Follows a streaming RPC; the returned function stops it. */
export function stream<M extends keyof Streams>(
  method: M,
  req: Wire<Streams[M][0]>,
  on: { message: (m: Wire<Streams[M][1]>) => void; end: (error?: string) => void },
): () => void {
  const source = new EventSource(`/api/stream/${method}?req=${encodeURIComponent(JSON.stringify(req))}`);
  let done = false;
  const finish = (error?: string): void => {
    if (done) return;
    done = true;
    source.close();
    on.end(error);
  };
  source.onmessage = (e: MessageEvent<string>) => on.message(JSON.parse(e.data) as Wire<Streams[M][1]>);
  source.addEventListener('end', () => finish());
  source.addEventListener('error', (e) => {
    const data = (e as MessageEvent<string>).data;
    // A server `event: error` carries data; a transport error has none: a stream is not resumed.
    finish(data ? ((JSON.parse(data) as { error?: string }).error ?? data) : 'the connection was lost');
  });
  return () => {
    done = true;
    source.close();
  };
}
