import type { Registration } from '@orzo/contracts';

export const SLOTS = 32;

/** HAProxy's `balance` (and hash) lines for smartstack.yaml's lb_policy (PaaSTA's Envoy names; HAProxy's own accepted too). */
export function balanceOf(lbPolicy: string): string[] {
  switch (lbPolicy.toUpperCase()) {
    case 'LEAST_REQUEST':
    case 'LEASTCONN':
      return ['balance leastconn'];
    case 'RANDOM':
      return ['balance random'];
    // Envoy hashes the request; HAProxy here hashes the client address, consistently.
    case 'RING_HASH':
    case 'MAGLEV':
    case 'SOURCE':
      return ['balance source', 'hash-type consistent'];
    default:
      return ['balance roundrobin'];
  }
}

/**
 * The backends of a registration, each with the same servers: the registration's own, then one
 * per endpoint_timeouts path with that path's server timeout.
 */
export function backendsOf(f: Pick<Registration, 'name' | 'endpointTimeouts' | 'mode'>): string[] {
  return [f.name, ...endpointTimeoutsOf(f).map((_, i) => `${f.name}.endpoint${i + 1}`)];
}

/** endpoint_timeouts apply to HTTP only (a TCP frontend sees no paths); longest path first, so a prefix never shadows a longer one. */
function endpointTimeoutsOf(f: Pick<Registration, 'endpointTimeouts' | 'mode'>): Registration['endpointTimeouts'] {
  if (f.mode === 'tcp') return [];
  return [...(f.endpointTimeouts ?? [])].sort((a, b) => b.path.length - a.path.length || a.path.localeCompare(b.path));
}

/** A path as HAProxy config text: quoted, with \ and " escaped. */
const quoted = (path: string) => `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * This host's HAProxy: one frontend per registration on <bind>:<proxy_port> (127.0.0.1 on one
 * machine; 0.0.0.0 or the host's IP when other hosts' clients use it), and a backend of
 * `server-template` slots filled and emptied at run time (no reload for endpoint changes).
 * smartstack.yaml's settings: lb_policy (balance), timeout_client_ms (frontend), timeout_connect_ms,
 * timeout_server_ms and retries (backend), endpoint_timeouts (an ACL per path routing to a
 * backend of the same servers with that path's server timeout).
 */
export function renderHaproxyConfig(frontends: readonly Registration[], socketPath: string, bind = '127.0.0.1'): string {
  const lines = [
    'global',
    '  master-worker',
    `  stats socket ${socketPath} mode 600 level admin expose-fd listeners`,
    '  stats timeout 10s',
    '',
    'defaults',
    '  mode http',
    '  timeout connect 200ms',
    '  timeout client 30s',
    '  timeout server 30s',
    '  option redispatch',
    '',
  ];
  for (const f of [...frontends].sort((a, b) => a.name.localeCompare(b.name))) {
    const mode = f.mode === 'tcp' ? 'tcp' : 'http';
    const paths = endpointTimeoutsOf(f);
    const backends = backendsOf(f);
    lines.push(`frontend ${f.name}`, `  bind ${bind}:${f.proxyPort}`, `  mode ${mode}`);
    if (f.timeoutClientMs) lines.push(`  timeout client ${f.timeoutClientMs}ms`);
    paths.forEach((p, i) => {
      const acl = `endpoint${i + 1}`;
      lines.push(`  acl ${acl} ${p.path.startsWith('^') ? 'path_reg' : 'path_beg'} ${quoted(p.path)}`, `  use_backend ${backends[i + 1]} if ${acl}`);
    });
    lines.push(`  default_backend ${f.name}`, '');
    backends.forEach((name, i) => {
      lines.push(
        `backend ${name}`,
        `  mode ${mode}`,
        ...balanceOf(f.lbPolicy ?? '').map((l) => `  ${l}`),
        `  timeout connect ${f.timeoutConnectMs || 200}ms`,
        `  timeout server ${i === 0 ? f.timeoutServerMs || 1000 : paths[i - 1]!.timeoutMs}ms`,
        `  retries ${f.retries}`,
        `  server-template slot 1-${SLOTS} 127.0.0.1:1 disabled`,
        '',
      );
    });
  }
  return `${lines.join('\n')}\n`;
}
