import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@orzo/platform';
import { CompiledService, SoaConfigsResult, SystemConfig, formatProblem, loadSoaConfigs, loadSystemConfig } from '@orzo/soa-config';
import { GrpcError } from './grpc-error';

export interface SoaSourceConfig {
  ORZO_SOA_DIR?: string;
  ORZO_CONFIG?: string;
}

/** The soa-configs tree control-api reads, fresh on every request (git is the source of truth). */
@Injectable()
export class SoaConfigSource {
  readonly system: SystemConfig;

  constructor(@Inject(SERVICE_CONFIG) config: SoaSourceConfig) {
    this.system = loadSystemConfig({ file: config.ORZO_CONFIG, env: { ...process.env, ...(config.ORZO_SOA_DIR ? { ORZO_SOA_DIR: config.ORZO_SOA_DIR } : {}) } }).config;
  }

  load(service?: string): SoaConfigsResult {
    return loadSoaConfigs({ service, system: this.system });
  }

  /** One service, compiled; NOT_FOUND when unknown, FAILED_PRECONDITION when its configs have errors. */
  service(name: string): CompiledService {
    const result = this.load(name);
    const svc = result.services[0];
    if (svc) return svc;
    const errors = result.problems.filter((p) => p.severity === 'error');
    if (errors.some((p) => p.message.startsWith(`unknown service ${name}`))) throw GrpcError.notFound(errors.map((p) => `${p.message}${p.hint ? ` (${p.hint})` : ''}`).join('; '));
    throw GrpcError.failedPrecondition(`soa-configs of ${name} have errors (run orzo validate -s ${name}): ${errors.slice(0, 5).map(formatProblem).join(' | ')}`);
  }
}
