import { ConfigError } from '@orzo/platform';
import { formatProblem, loadSystemConfig } from '@orzo/soa-config';
import type { MonitorBridgeConfig } from '../config';
import { AlertSink } from './alert-sink';
import { AlertmanagerSink } from './alertmanager.sink';
import { SensuSink } from './sensu.sink';
import { WebhookSink } from './webhook.sink';

/** Injection token of the configured sinks (AlertSink[]). */
export const ALERT_SINKS = Symbol('orzo:alert-sinks');

/**
 * The sinks configured: orzo.yaml `alerts:` (ORZO_CONFIG, else ./orzo.yaml), each key
 * overridden by its environment variable. None configured is valid: alerts are still published
 * on the bus and listed by `orzo alerts`. An orzo.yaml with errors stops the boot, listing them
 * (a sink silently missing would lose every alert meant for it).
 */
export function configuredSinks(config: MonitorBridgeConfig, cwd?: string): AlertSink[] {
  const system = loadSystemConfig({ file: config.ORZO_CONFIG, env: {}, cwd });
  const errors = system.problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new ConfigError('monitor-bridge', errors.map(formatProblem));
  const file = system.config.alerts;
  const sinks: AlertSink[] = [];
  const amUrl = config.ORZO_ALERTMANAGER_URL ?? file.alertmanager?.url;
  if (amUrl) sinks.push(new AlertmanagerSink(amUrl, config.ORZO_ALERTMANAGER_RESEND_S));
  const sensuUrl = config.ORZO_SENSU_URL ?? file.sensu?.url;
  if (sensuUrl)
    sinks.push(
      new SensuSink({
        url: sensuUrl,
        apiKey: config.ORZO_SENSU_API_KEY ?? file.sensu?.apiKey,
        namespace: config.ORZO_SENSU_NAMESPACE ?? file.sensu?.namespace ?? 'default',
        handlers: config.ORZO_SENSU_HANDLERS?.split(',')
          .map((h) => h.trim())
          .filter(Boolean) ??
          file.sensu?.handlers ?? ['default'],
        resendSeconds: config.ORZO_ALERTMANAGER_RESEND_S,
      }),
    );
  const hookUrl = config.ORZO_ALERT_WEBHOOK_URL ?? file.webhook?.url;
  if (hookUrl) sinks.push(new WebhookSink(hookUrl, config.ORZO_ALERT_WEBHOOK_SECRET ?? file.webhook?.secret));
  return sinks;
}
