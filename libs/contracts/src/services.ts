/** The Orzo services, each owning one external integration, with their default HTTP port. */
export const ORZO_SERVICES = [
  { name: 'control-api', httpPort: 7106, owns: 'gRPC API, desired state and history' },
  { name: 'builder', httpPort: 7101, owns: 'Docker builds and image pushes' },
  { name: 'jenkins-hook', httpPort: 7102, owns: 'CI webhooks (Jenkins Notification plugin, generic)' },
  { name: 'scheduler-bridge', httpPort: 7103, owns: 'the scheduler engine (Docker Engine; later Swarm, Kubernetes)' },
  { name: 'discovery-publisher', httpPort: 7104, owns: 'the endpoint registry and the local HAProxy' },
  { name: 'monitor-bridge', httpPort: 7105, owns: 'health checks and alert sinks (Sensu, Alertmanager)' },
] as const;

export type OrzoServiceName = (typeof ORZO_SERVICES)[number]['name'];
