import { createHmac } from 'node:crypto';
import { AlertRaised, AlertResolved } from '@orzo/contracts';
import { AlertSink, SinkItem, postJson } from './alert-sink';

/** The header carrying sha256=<hex HMAC-SHA256(secret, raw body)>, GitHub's scheme. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-orzo-signature-256';

/**
 * A generic webhook for chat relays: the alert event as JSON ({kind, alert, resolved?}),
 * signed with HMAC-SHA256 over the exact body bytes. Sent on each raise, repeat and resolution.
 */
export class WebhookSink implements AlertSink {
  readonly name = 'webhook';

  constructor(
    private readonly url: string,
    private readonly secret?: string,
  ) {}

  async deliver(item: SinkItem): Promise<void> {
    const body = JSON.stringify({
      kind: item.kind,
      alert: AlertRaised.toJSON(item.raised),
      ...(item.kind === 'resolved' ? { resolved: AlertResolved.toJSON({ ...item.resolved, last: undefined }) } : {}),
    });
    const headers: Record<string, string> = { 'x-orzo-event': `alert.${item.kind}` };
    if (this.secret) headers[WEBHOOK_SIGNATURE_HEADER] = signBody(this.secret, body);
    await postJson(this.name, this.url, body, headers);
  }
}

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
