import { Injectable } from '@nestjs/common';
import { BusService, EventTail } from '@orzo/bus';
import { api } from '@orzo/contracts';
import { decodePosition, encodePosition, serviceOfEvent, sinceMs, subjectsOfKinds } from './event-filter';

/**
 * WatchEvents: Orzo's event streams, filtered by service and kind, from a position, a time or
 * now, and (unless no_follow) live. Every state change in Orzo is an event, so this is the audit
 * trail and the one way a program follows Orzo without NATS credentials.
 */
@Injectable()
export class EventWatchService {
  constructor(private readonly bus: BusService) {}

  async watch(req: api.WatchEventsRequest, write: (e: api.WatchedEvent) => void, gone: () => boolean, onStop: (stop: () => void) => void): Promise<void> {
    const subjects = subjectsOfKinds(req.kinds);
    const position = req.position ? decodePosition(req.position) : undefined;
    const services = new Set(req.services);
    const tail = new EventTail(this.bus.connection);
    onStop(() => void tail.stop());
    if (gone()) return;
    await tail.run({ subjects, position, sinceMs: sinceMs(req.since), follow: !req.noFollow }, (e) => {
      const service = serviceOfEvent(e.payload) ?? '';
      if (services.size && !services.has(service)) return;
      write({
        position: encodePosition(e.position),
        type: e.type,
        subject: e.subject,
        service,
        occurredAt: e.occurredAt,
        id: e.id,
        correlationId: e.correlationId,
        payloadJson: JSON.stringify(e.payload ?? null),
      });
    });
  }
}
