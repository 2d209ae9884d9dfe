import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (secret: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;
/** scrypt's cost: about 30 ms per verification; a verified secret is then remembered by digest. */
const COST = { N: 16_384, r: 8, p: 1 };
const TOKEN = /^orzo_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** A new token: `orzo_<id>_<secret>`, the id public (it names the row), the secret 256 random bits. */
export function newToken(): { id: string; secret: string; token: string } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `orzo_${id}_${secret}` };
}

/** The id and secret of a token as written, or undefined when it is not shaped like one of ours. */
export function splitToken(token: string): { id: string; secret: string } | undefined {
  const m = TOKEN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** `scrypt$<salt>$<hash>`, what is stored instead of the secret. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt, 32, COST);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function secretMatches(secret: string, stored: string): Promise<boolean> {
  const [kind, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64'), expected.length, COST);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A fast fingerprint of a secret already verified with scrypt, to skip scrypt on the next call. */
export function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('base64');
}
