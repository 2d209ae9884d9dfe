/** The cookie the session token travels in (HttpOnly: scripts of the page never see it). */
export const TOKEN_COOKIE = 'orzo_token';

/**
 * The cookies of a Cookie header, by name. The first of two with the same name wins (the
 * browser sends the most specific path first); a value that is not valid percent-encoding is kept as sent.
 */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || cookies.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // kept as sent
    }
    cookies.set(name, value);
  }
  return cookies;
}

/** Set-Cookie for the session: HttpOnly, SameSite=Strict, Path=/, Secure when served over HTTPS; no expiry (ends with the browser session). */
export function sessionCookie(token: string, secure: boolean): string {
  return [`${TOKEN_COOKIE}=${encodeURIComponent(token)}`, 'HttpOnly', 'SameSite=Strict', 'Path=/', ...(secure ? ['Secure'] : [])].join('; ');
}

/** Set-Cookie that removes the session cookie. */
export function clearedCookie(secure: boolean): string {
  return [`${TOKEN_COOKIE}=`, 'Max-Age=0', 'HttpOnly', 'SameSite=Strict', 'Path=/', ...(secure ? ['Secure'] : [])].join('; ');
}

/**
 * The caller's token: `Authorization: Bearer <token>` (programs) over the session cookie
 * (the browser). Undefined when neither carries one.
 */
export function callerToken(headers: { authorization?: string; cookie?: string }): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer) return bearer;
  const fromCookie = parseCookies(headers.cookie).get(TOKEN_COOKIE)?.trim();
  return fromCookie || undefined;
}
