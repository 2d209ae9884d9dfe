import { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { DeadLetterHeaders, deadLetterSubject } from '@orzo/contracts';

/**
 * Parks a message on orzo.dlq.<consumer>.<subject> with its original body and the reason,
 * then terminates it so the server stops redelivering. The dead letter is published with a
 * deterministic msg id, so parking the same delivery twice stores it once.
 */
export async function parkDeadLetter(js: JetStreamClient, consumer: string, m: JsMsg, reason: string): Promise<void> {
  const h = headers();
  h.set(DeadLetterHeaders.Error, reason.replace(/[\r\n]+/g, ' ').slice(0, 4000));
  h.set(DeadLetterHeaders.OriginalSubject, m.subject);
  h.set(DeadLetterHeaders.Consumer, consumer);
  h.set(DeadLetterHeaders.DeliveryCount, String(m.info.deliveryCount));
  h.set(DeadLetterHeaders.StreamSequence, String(m.info.streamSequence));
  await js.publish(deadLetterSubject(consumer, m.subject), m.data, {
    headers: h,
    msgID: `dlq:${consumer}:${m.info.stream}:${m.info.streamSequence}`,
  });
  // Without a reason: nats-server 2.9 (Debian 12's, this project's) takes "+TERM <reason>" for an
  // unknown ack and leaves the message pending, so it came back every ack_wait until
  // max_deliver, and a handler that asked for the dead letter ran again each time. The reason
  // travels in the dead letter's headers.
  m.term();
}
