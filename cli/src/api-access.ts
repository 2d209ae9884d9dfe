import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChannelCredentials, credentials } from '@grpc/grpc-js';

/**
 * The token the CLI sends: ORZO_TOKEN, else the file ORZO_TOKEN_FILE names, else the admin
 * token `npm start` left in the data dir (<ORZO_DATA_DIR or .orzo/data>/admin-token, mode 0600).
 * Never a command-line flag: arguments are visible to every user in `ps`.
 */
export function resolveToken(env: NodeJS.ProcessEnv = process.env): { token?: string; from: string } {
  if (env.ORZO_TOKEN) return { token: env.ORZO_TOKEN.trim(), from: 'ORZO_TOKEN' };
  const file = env.ORZO_TOKEN_FILE ?? join(env.ORZO_DATA_DIR ?? join('.orzo', 'data'), 'admin-token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    return token ? { token, from: file } : { from: `${file} (empty)` };
  } catch {
    return { from: `${env.ORZO_TOKEN_FILE ? 'ORZO_TOKEN_FILE ' : ''}${file} (not readable)` };
  }
}

/**
 * The channel's credentials: TLS with the CA of ORZO_CA (--ca) when given, with a client
 * certificate for mutual TLS when ORZO_CLIENT_CERT and ORZO_CLIENT_KEY are; plaintext otherwise.
 */
export function channelCredentials(env: NodeJS.ProcessEnv = process.env): ChannelCredentials {
  const ca = env.ORZO_CA;
  if (!ca) return credentials.createInsecure();
  const read = (what: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the ${what} ${file}: ${(err as Error).message}`);
    }
  };
  const cert = env.ORZO_CLIENT_CERT ? read('client certificate (ORZO_CLIENT_CERT)', env.ORZO_CLIENT_CERT) : null;
  const key = env.ORZO_CLIENT_KEY ? read('client key (ORZO_CLIENT_KEY)', env.ORZO_CLIENT_KEY) : null;
  return credentials.createSsl(read('CA (--ca / ORZO_CA)', ca), key, cert);
}
