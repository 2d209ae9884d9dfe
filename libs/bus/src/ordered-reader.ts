import type { Consumer, ConsumerMessages } from '@nats-io/jetstream';

/**
 * Stops reading an ordered consumer and deletes it on the server at once. An ordered consumer
 * is ephemeral, but the server keeps it for its `inactive_threshold` (5 minutes) after the last
 * pull: without this, every reader that went away (a cancelled WatchEvents, a dashboard reload
 * of a build log) would leave one behind for that long. The threshold stays as the backstop for
 * a reader that dies without getting here. Never rejects (a server or connection that is gone
 * leaves nothing to delete that the threshold does not take).
 */
export async function releaseOrdered(consumer: Consumer, messages?: ConsumerMessages): Promise<void> {
  messages?.stop();
  await consumer.delete().catch(() => undefined);
}
