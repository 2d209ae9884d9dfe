import { JetStreamManager, StorageType, StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { STREAMS, StreamDefinition } from '@orzo/contracts';

function toConfig(def: StreamDefinition): Partial<StreamConfig> & { name: string } {
  return {
    name: def.name,
    subjects: [...def.subjects],
    description: def.description,
    storage: StorageType.File,
    max_age: nanos(def.maxAgeSeconds * 1000),
    duplicate_window: nanos(Math.min(def.duplicateWindowSeconds, def.maxAgeSeconds) * 1000),
  };
}

/**
 * Creates each stream, or updates it when its subjects, retention or duplicate window
 * differ. Idempotent: every service calls it at boot.
 */
export async function ensureStreams(jsm: JetStreamManager, defs: readonly StreamDefinition[] = STREAMS): Promise<void> {
  for (const def of defs) {
    const wanted = toConfig(def);
    let current: StreamConfig | undefined;
    try {
      current = (await jsm.streams.info(def.name)).config;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!current) {
      try {
        await jsm.streams.add(wanted);
      } catch (err) {
        // Another service created it between our info and add.
        if (!/already in use|already exists/i.test((err as Error).message)) throw err;
      }
      continue;
    }
    const differs =
      current.subjects.join(',') !== wanted.subjects!.join(',') ||
      current.max_age !== wanted.max_age ||
      current.duplicate_window !== wanted.duplicate_window ||
      (current.description ?? '') !== wanted.description;
    if (differs) await jsm.streams.update(def.name, { ...wanted });
  }
}

export function isNotFound(err: unknown): boolean {
  const e = err as { code?: number; name?: string; message?: string };
  return (
    e?.code === 10059 || e?.code === 10014 || e?.name === 'StreamNotFoundError' || e?.name === 'ConsumerNotFoundError' || /not found/i.test(e?.message ?? '')
  );
}
