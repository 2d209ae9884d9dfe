import { Injectable } from '@nestjs/common';
import { BusService, DeadLetterReader } from '@orzo/bus';
import { api } from '@orzo/contracts';
import { InvalidArgumentError } from '@orzo/platform';
import { shown } from '../shown';

/** A durable consumer name: what parkDeadLetter puts in the subject (no dots, no wildcards). */
const CONSUMER = /^[A-Za-z0-9_-]+$/;

/** ListDeadLetters: what consumers parked on ORZO_DLQ, read without consuming it. */
@Injectable()
export class DeadLettersService {
  constructor(private readonly bus: BusService) {}

  async list(req: api.ListDeadLettersRequest): Promise<api.ListDeadLettersResponse> {
    if (req.consumer && !CONSUMER.test(req.consumer))
      throw new InvalidArgumentError(`consumer "${shown(req.consumer)}" is not a consumer name (letters, digits, - and _), e.g. builder-on-build-requested`);
    const found = await new DeadLetterReader(this.bus.connection).list({ consumer: req.consumer || undefined, limit: req.limit || 50 });
    return {
      deadLetters: found.map((d) => ({
        sequence: String(d.sequence),
        subject: d.subject,
        consumer: d.consumer,
        originalSubject: d.originalSubject,
        error: d.error,
        deliveryCount: d.deliveryCount,
        parkedAt: d.parkedAt,
        eventId: d.eventId,
        originalSequence: String(d.originalSequence),
      })),
    };
  }
}
