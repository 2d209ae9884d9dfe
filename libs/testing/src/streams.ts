import { JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/** Every message a stream holds now (optionally of one subject), in order. */
export async function readStream(nc: NatsConnection, stream: string, subject?: string): Promise<JsMsg[]> {
  const jsm = await jetstreamManager(nc);
  const counts = (await jsm.streams.info(stream, { subjects_filter: subject ?? '>' })).state.subjects ?? {};
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (!total) return [];
  const c = await jetstream(nc).consumers.get(stream, subject ? { filter_subjects: subject } : {});
  const out: JsMsg[] = [];
  for await (const m of await c.fetch({ max_messages: total, expires: 2_000 })) {
    out.push(m);
    if (out.length >= total) break;
  }
  return out;
}
