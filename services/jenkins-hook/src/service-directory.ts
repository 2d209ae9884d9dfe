import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@orzo/platform';
import { CompiledService, SoaServiceReader } from '@orzo/soa-config';
import type { JenkinsHookConfig } from './config';
import { shown } from './delivery';
import { HookError } from './hook-error';

/** No service name is longer (soa-config names.ts: 63 characters once "_" becomes "--"). */
const MAX_SERVICE_NAME = 63;

/** The services webhooks may name, read fresh from the soa-configs tree on every delivery. */
@Injectable()
export class ServiceDirectory {
  private readonly reader: SoaServiceReader;

  constructor(@Inject(SERVICE_CONFIG) config: JenkinsHookConfig) {
    this.reader = new SoaServiceReader({ configFile: config.ORZO_CONFIG, soaDir: config.ORZO_SOA_DIR });
  }

  /** The service; 404 when unknown (saying where its name came from), 422 when its configs have errors. */
  service(name: string, from: string): CompiledService {
    if (!name) throw HookError.notFound(`no service named (from ${from})`);
    // Said at once rather than repeated whole in a did-you-mean: no such name can exist.
    if (name.length > MAX_SERVICE_NAME)
      throw HookError.notFound(`unknown service ${shown(name)}: service names have at most ${MAX_SERVICE_NAME} characters (service from ${from})`);
    const found = this.reader.lookup(name);
    if (found.ok) return found.service;
    throw found.notFound ? HookError.notFound(`${found.message} (service from ${from})`) : HookError.unprocessable(found.message);
  }
}
