import { AlertRaised, AlertResolved } from '@orzo/contracts';

/** One alert event as a sink receives it: a raise (or repeat) or a resolution. */
export type SinkItem = { kind: 'raised'; raised: AlertRaised } | { kind: 'resolved'; resolved: AlertResolved; raised: AlertRaised };

/**
 * Where alerts go (Alertmanager, Sensu Go, a webhook). `deliver` throws when the sink did not
 * take the item (unreachable, 5xx, refused): the relay keeps it and retries with backoff.
 */
export interface AlertSink {
  readonly name: string;
  deliver(item: SinkItem): Promise<void>;
  /**
   * Sinks that forget a firing alert unless told again (Alertmanager's resolve timeout, Sensu's
   * ttl) get every firing alert re-sent this often (seconds); undefined: only on events.
   */
  readonly resendSeconds?: number;
}

/** A sink that answered, but not with success: the status and the start of its body. */
export class SinkRefusedError extends Error {
  constructor(sink: string, status: number, body: string) {
    super(`${sink} answered HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ''}`);
    this.name = 'SinkRefusedError';
  }
}

/** POSTs JSON with a timeout; throws on anything but 2xx. */
export async function postJson(sink: string, url: string, body: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<void> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text().catch(() => '');
  if (res.status < 200 || res.status >= 300) throw new SinkRefusedError(sink, res.status, text.trim());
}

/** The annotations every sink carries besides team and severity: PaaSTA's event fields, as strings. */
export function routingAnnotations(a: AlertRaised): Record<string, string> {
  const out: Record<string, string> = {
    runbook: a.runbook,
    tip: a.tip,
    description: a.description,
    page: String(a.page),
    ticket: String(a.ticket),
    notification_email: a.notificationEmail,
    slack_channels: a.slackChannels.join(','),
    irc_channels: a.ircChannels.join(','),
    project: a.project,
    priority: a.priority,
    tags: a.tags.join(','),
    component: a.component,
    alert_after: `${a.alertAfterSeconds}s`,
    realert_every: a.realertEverySeconds > 0 ? `${a.realertEverySeconds}s` : String(a.realertEvery),
    check_every: `${a.checkEverySeconds}s`,
    source: a.source,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== ''));
}
