import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { LOGGER, Logger, SERVICE_CONFIG } from '@orzo/platform';
import type { ControlApiConfig } from '../config';
import { TokenService } from './token.service';

/** Where the CLI and control-api agree the bootstrap admin token lives. */
export function adminTokenFile(config: Pick<ControlApiConfig, 'ORZO_ADMIN_TOKEN_FILE' | 'ORZO_DATA_DIR'>): string | undefined {
  if (config.ORZO_ADMIN_TOKEN_FILE === 'none') return undefined;
  return config.ORZO_ADMIN_TOKEN_FILE ?? join(config.ORZO_DATA_DIR, 'admin-token');
}

/**
 * The first door: with every RPC behind a token, someone must hold one before any token can be
 * made. At start-up, when the admin token file holds no valid admin token (first start, a
 * revoked or expired one, a new database), control-api creates one and writes it there,
 * mode 0600, readable only by the user that runs Orzo; `npm start` and the CLI use it.
 */
@Injectable()
export class AdminTokenBootstrap implements OnApplicationBootstrap {
  constructor(
    private readonly tokens: TokenService,
    @Inject(SERVICE_CONFIG) private readonly config: ControlApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const file = adminTokenFile(this.config);
    if (!file) return;
    const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
    if (existing) {
      const caller = await this.tokens.authenticate(`Bearer ${existing}`).catch(() => undefined);
      if (caller?.scopes.some((s) => s.verb === 'admin')) return;
    }
    const name = `admin-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${Math.random().toString(36).slice(2, 6)}`;
    const { token } = await this.tokens.create({ name, scopes: ['admin'], createdBy: 'control-api (bootstrap)' });
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      // On PostgreSQL nothing else may have made the data dir yet.
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await writeFile(tmp, `${token}\n`, { mode: 0o600 });
      await rename(tmp, file);
    } catch (err) {
      // The API still serves every other token; only the CLI's default token is missing.
      this.logger.error({ err, file, token: name }, 'could not write the bootstrap admin token; revoke it and set ORZO_ADMIN_TOKEN_FILE to a writable path');
      return;
    }
    this.logger.info({ file, token: name }, 'bootstrap admin token written');
  }
}
