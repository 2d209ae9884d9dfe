import type { Registration } from '@orzo/contracts';

export const SLOTS = 32;

/**
 * This host's HAProxy: one frontend per registration on <bind>:<proxy_port> (127.0.0.1 on one
 * machine; 0.0.0.0 or the host's IP when other hosts' clients use it), and a backend of
 * `server-template` slots filled and emptied at run time (no reload for endpoint changes).
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
    lines.push(
      `frontend ${f.name}`,
      `  bind ${bind}:${f.proxyPort}`,
      `  mode ${mode}`,
      `  default_backend ${f.name}`,
      '',
      `backend ${f.name}`,
      `  mode ${mode}`,
      '  balance roundrobin',
      `  timeout connect ${f.timeoutConnectMs || 200}ms`,
      `  timeout server ${f.timeoutServerMs || 1000}ms`,
      `  retries ${f.retries}`,
      `  server-template slot 1-${SLOTS} 127.0.0.1:1 disabled`,
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}
