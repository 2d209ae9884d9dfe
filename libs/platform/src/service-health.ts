import { Controller, Get, Header, HttpStatus, Inject, Injectable, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Registry } from 'prom-client';
import { METRICS_REGISTRY, SERVICE_NAME } from './tokens';

export interface HealthResult {
  ok: boolean;
  detail?: string;
}

export type HealthCheck = () => Promise<HealthResult> | HealthResult;

/** Components (bus, database, engine adapters) register the checks /healthz runs. */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  async run(): Promise<{ ok: boolean; checks: Record<string, HealthResult> }> {
    const results: Record<string, HealthResult> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          results[name] = await withTimeout(Promise.resolve(check()), 2000);
        } catch (err) {
          results[name] = { ok: false, detail: (err as Error).message };
        }
      }),
    );
    return { ok: Object.values(results).every((r) => r.ok), checks: results };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`check timed out after ${ms}ms`)), ms);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}

@Controller()
export class OpsController {
  constructor(
    private readonly health: HealthRegistry,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(SERVICE_NAME) private readonly service: string,
  ) {}

  @Get('healthz')
  async healthz(@Res() res: Response): Promise<void> {
    const result = await this.health.run();
    res.status(result.ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({ service: this.service, ...result });
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async metrics(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', this.registry.contentType);
    res.send(await this.registry.metrics());
  }
}
