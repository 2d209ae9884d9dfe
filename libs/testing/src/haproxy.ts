import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Stops a HAProxy left running (it outlives discovery-publisher) under `<dataDir>/haproxy`. */
export async function stopHaproxyIn(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'haproxy', 'haproxy.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim().split('\n')[0]);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
