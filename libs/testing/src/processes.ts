import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  command: string;
}

/**
 * The processes whose environment names this data dir (ORZO_DATA_DIR=<dir>): `orzo up`, its
 * services and whatever they started. HAProxy is left out on purpose: it keeps serving the
 * deployed services while the platform is stopped (docs/operations.md).
 */
export function platformProcesses(dataDir: string): ProcessInfo[] {
  const needle = `ORZO_DATA_DIR=${dataDir}\0`;
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle)) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      const state = /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
      if (state === 'Z' || readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'haproxy') continue;
      found.push({ pid, command });
    } catch {
      // gone while we looked, or not ours to read
    }
  }
  return found;
}
