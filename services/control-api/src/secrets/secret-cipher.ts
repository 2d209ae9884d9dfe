import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { FailedPreconditionError } from '@orzo/platform';

/** A 256-bit key of the secret store and its id (a hash: tells which key sealed a value, reveals nothing). */
export interface SecretKey {
  key: Buffer;
  id: string;
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const FORMAT = 'v1';

/** The key in `text` (64 hex digits, or base64 of 32 bytes); `source` names where it came from in the error. */
export function parseSecretKey(text: string, source: string): SecretKey {
  const t = text.trim();
  const key = HEX_KEY.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/=_-]+$/.test(t) ? Buffer.from(t, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) {
    throw new FailedPreconditionError(
      `${source} is not a 256-bit key (${key.length ? `${key.length} bytes` : 'neither base64 nor hex'}): generate one with "openssl rand -base64 32"`,
    );
  }
  return { key, id: createHash('sha256').update('orzo-secret-key:').update(key).digest('hex').slice(0, 16) };
}

/**
 * AES-256-GCM with a fresh 96-bit nonce per value; `aad` (service/name) is authenticated, so a
 * sealed value copied to another row does not open. Text form: v1.<key id>.<nonce>.<tag>.<ciphertext>.
 */
export function seal(k: SecretKey, aad: string, plaintext: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k.key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [FORMAT, k.id, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join('.');
}

/** The plaintext of a sealed value; FailedPreconditionError when it was sealed with another key or was altered. */
export function open(k: SecretKey, aad: string, sealed: string): Buffer {
  const [format, keyId, iv, tag, ct] = sealed.split('.');
  if (format !== FORMAT || iv === undefined || tag === undefined || ct === undefined)
    throw new FailedPreconditionError(`secret ${aad}: stored value is not in ${FORMAT} form`);
  if (keyId !== k.id) {
    throw new FailedPreconditionError(
      `secret ${aad} was encrypted with key ${keyId}, control-api has key ${k.id}: start it with that key, or write the secret again (orzo secret update)`,
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', k.key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]);
  } catch {
    throw new FailedPreconditionError(`secret ${aad} does not decrypt with key ${k.id}: its stored value was altered`);
  }
}
