/** Where a service runs when Orzo spans N hosts: once for the whole cluster, or on every host. */
export type ServicePlacement = 'cluster' | 'host';

/**
 * The Orzo services, each owning one external integration, with their default HTTP port and
 * where each runs on N hosts (docs/operations.md, "Running Orzo on N hosts"): discovery-publisher
 * runs on every host beside that host's HAProxy, as SmartStack's nerve/synapse did; the others
 * once per cluster.
 */
export const ORZO_SERVICES = [
  { name: 'control-api', httpPort: 7106, runs: 'cluster', owns: 'gRPC API, desired state and history' },
  { name: 'builder', httpPort: 7101, runs: 'cluster', owns: 'Docker builds and image pushes' },
  { name: 'jenkins-hook', httpPort: 7102, runs: 'cluster', owns: 'CI webhooks (Jenkins Notification plugin, generic)' },
  {
    name: 'scheduler-bridge',
    httpPort: 7103,
    runs: 'cluster',
    owns: "each cluster's engine (one Docker host, or a Docker Swarm through a manager; Kubernetes later)",
  },
  {
    name: 'discovery-publisher',
    httpPort: 7104,
    runs: 'host',
    owns: "this host's HAProxy, following the endpoint registry (the registrar, one per cluster, writes it)",
  },
  { name: 'monitor-bridge', httpPort: 7105, runs: 'cluster', owns: 'health checks and alert sinks (Sensu, Alertmanager)' },
] as const satisfies ReadonlyArray<{ name: string; httpPort: number; runs: ServicePlacement; owns: string }>;

export type OrzoServiceName = (typeof ORZO_SERVICES)[number]['name'];

/**
 * The dashboard: the web app and its gateway to control-api. Not one of ORZO_SERVICES (it has
 * no database, no bus and nothing to migrate); `orzo up` starts it beside them on its own port
 * (ORZO_DASHBOARD_PORT, default below), listening on 127.0.0.1 unless ORZO_DASHBOARD_HOST says otherwise.
 */
export const ORZO_DASHBOARD = { name: 'dashboard', port: 7100 } as const;
