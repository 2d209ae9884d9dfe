import type { HaproxyRuntime } from '@orzo/platform';

/**
 * The sessions HAProxy holds open to one replica (at any of its addresses: the published one
 * and, on its own engine's host, the bridge one; in whichever slots of whichever backends), and
 * whether any of those slots still takes new requests: read from `show servers state`
 * (address, admin state) and `show stat` (scur, current sessions).
 */
export async function sessionsTo(runtime: HaproxyRuntime, addresses: Array<{ host: string; port: number }>): Promise<{ routed: boolean; sessions: number }> {
  const slots = (await runtime.servers()).filter((s) => addresses.some((a) => s.addr === a.host && s.port === a.port));
  if (!slots.length) return { routed: false, sessions: 0 };
  // Admin state bit 0x01: forced maintenance (set server ... state maint); 0x02/0x04: inherited or by a resolver.
  const routed = slots.some((s) => (s.adminState & 0x07) === 0);
  const names = new Set(slots.map((s) => `${s.backend}/${s.server}`));
  const [header, ...rows] = (await runtime.command('show stat'))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^# /, '').split(','));
  const col = (name: string) => header?.indexOf(name) ?? -1;
  const [px, sv, scur] = [col('pxname'), col('svname'), col('scur')];
  if (px < 0 || sv < 0 || scur < 0) throw new Error('haproxy show stat: no pxname/svname/scur columns');
  const sessions = rows.filter((f) => names.has(`${f[px]}/${f[sv]}`)).reduce((n, f) => n + (Number(f[scur]) || 0), 0);
  return { routed, sessions };
}
