import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import { FailedPreconditionError } from '@orzo/platform';
import type { ApiListenerConfig } from '@orzo/soa-config';
import type { ControlApiConfig } from '../config';

export interface ListenerSecurity {
  credentials: ServerCredentials;
  /** What the log and /healthz say: plaintext, tls or mutual-tls. */
  mode: 'plaintext' | 'tls' | 'mutual-tls';
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can reach them. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The gRPC listener's credentials: TLS when a certificate and key are configured (the
 * environment over orzo.yaml's api:), mutual TLS when a client CA is too. Plaintext only on
 * loopback, unless the operator said explicitly that a plaintext network listener is wanted
 * (behind a TLS-terminating proxy, say): tokens would otherwise cross the network in clear.
 */
export function listenerSecurity(config: ControlApiConfig, fromFile: ApiListenerConfig): ListenerSecurity {
  const cert = config.ORZO_GRPC_TLS_CERT ?? fromFile.tlsCert;
  const key = config.ORZO_GRPC_TLS_KEY ?? fromFile.tlsKey;
  const clientCa = config.ORZO_GRPC_TLS_CLIENT_CA ?? fromFile.clientCa;
  if (!cert !== !key)
    throw new FailedPreconditionError('TLS needs both a certificate and its key (api.tls_cert and api.tls_key, or ORZO_GRPC_TLS_CERT and ORZO_GRPC_TLS_KEY)');
  if (cert && key) {
    const read = (what: string, file: string) => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new FailedPreconditionError(`cannot read the ${what} ${file}: ${(err as Error).message}`);
      }
    };
    const pair = { cert_chain: read('TLS certificate', cert), private_key: read('TLS key', key) };
    const ca = clientCa ? read('client CA', clientCa) : null;
    return { credentials: ServerCredentials.createSsl(ca, [pair], ca !== null), mode: ca ? 'mutual-tls' : 'tls' };
  }
  if (clientCa) throw new FailedPreconditionError('a client CA (mutual TLS) needs a server certificate and key too');
  if (!isLoopback(config.ORZO_GRPC_HOST) && !(config.ORZO_GRPC_ALLOW_PLAINTEXT || fromFile.allowPlaintext))
    throw new FailedPreconditionError(
      `refusing to listen in plaintext on ${config.ORZO_GRPC_HOST}, which is not loopback: tokens would cross the network in clear. ` +
        'Configure api.tls_cert and api.tls_key in orzo.yaml (or ORZO_GRPC_TLS_CERT/KEY), or set api.allow_plaintext: true (ORZO_GRPC_ALLOW_PLAINTEXT=true) if a proxy terminates TLS',
    );
  return { credentials: ServerCredentials.createInsecure(), mode: 'plaintext' };
}
