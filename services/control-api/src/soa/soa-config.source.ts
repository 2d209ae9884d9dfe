import { Inject, Injectable } from '@nestjs/common';
import { FailedPreconditionError, NotFoundError, SERVICE_CONFIG } from '@orzo/platform';
import { CompiledService, SoaConfigsResult, SoaServiceReader, SystemConfig, loadSoaConfigs } from '@orzo/soa-config';
import type { ControlApiConfig } from '../config';
import { shown } from '../shown';

/** No service name is longer (names.ts: 63 characters once "_" becomes "--"). */
const MAX_SERVICE_NAME = 63;

/** The soa-configs tree control-api reads, fresh on every request (git is the source of truth). */
@Injectable()
export class SoaConfigSource {
  private readonly reader: SoaServiceReader;

  constructor(@Inject(SERVICE_CONFIG) config: ControlApiConfig) {
    this.reader = new SoaServiceReader({ configFile: config.ORZO_CONFIG, soaDir: config.ORZO_SOA_DIR });
  }

  get system(): SystemConfig {
    return this.reader.system;
  }

  /** The registry of a service's images (its docker_registry, else the system registry). */
  registryOf(service: CompiledService): string {
    return this.reader.registryOf(service);
  }

  load(service?: string): SoaConfigsResult {
    return loadSoaConfigs({ service, system: this.system });
  }

  /** One service, compiled; NotFoundError when unknown, FailedPreconditionError when its configs have errors. */
  service(name: string): CompiledService {
    // Said at once rather than repeated whole in a did-you-mean: no such name can exist.
    if (name.length > MAX_SERVICE_NAME) throw new NotFoundError(`unknown service ${shown(name)}: service names have at most ${MAX_SERVICE_NAME} characters`);
    const found = this.reader.lookup(name);
    if (found.ok) return found.service;
    throw found.notFound ? new NotFoundError(found.message) : new FailedPreconditionError(found.message);
  }
}
