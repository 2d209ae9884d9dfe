import { readFileSync, statSync } from 'node:fs';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { FailedPreconditionError, LOGGER, Logger, SERVICE_CONFIG } from '@orzo/platform';
import type { ControlApiConfig } from '../config';
import { SoaConfigSource } from '../soa/soa-config.source';
import { SecretKey, parseSecretKey } from './secret-cipher';

/**
 * The store's key: ORZO_SECRET_KEY, else the file of ORZO_SECRET_KEY_FILE, else secrets.key_file
 * of orzo.yaml. Read on first use (a control-api without a key serves everything but secrets);
 * with none configured, every secret operation is refused before anything is written.
 */
@Injectable()
export class SecretKeyring implements OnApplicationBootstrap {
  private cached?: SecretKey;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ControlApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly soa: SoaConfigSource,
  ) {}

  /** Says at start-up whether secrets work, and why not: a bad key shows now, not at the first deploy. */
  onApplicationBootstrap(): void {
    try {
      this.logger.info({ keyId: this.key().id }, 'secret store key loaded');
    } catch (err) {
      const configured = this.config.ORZO_SECRET_KEY || this.config.ORZO_SECRET_KEY_FILE || this.soa.system.secretKeyFile;
      if (configured) this.logger.error({ reason: (err as Error).message }, 'secret store key unusable: secret operations are refused');
      else this.logger.info('no secret key configured: secret operations are refused (docs/operations.md, Secrets)');
    }
  }

  key(): SecretKey {
    if (this.cached) return this.cached;
    if (this.config.ORZO_SECRET_KEY) return (this.cached = parseSecretKey(this.config.ORZO_SECRET_KEY, 'ORZO_SECRET_KEY'));
    const file = this.config.ORZO_SECRET_KEY_FILE ?? this.soa.system.secretKeyFile;
    if (!file) {
      throw new FailedPreconditionError(
        'control-api has no secret key, so secrets can be neither written nor read: set ORZO_SECRET_KEY (generate it with "openssl rand -base64 32"), ORZO_SECRET_KEY_FILE, or secrets.key_file in orzo.yaml, and restart control-api (docs/operations.md, Secrets)',
      );
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new FailedPreconditionError(`cannot read the secret key file ${file}: ${(err as Error).message}`);
    }
    if (statSync(file).mode & 0o077) this.logger.warn({ file }, 'the secret key file is readable by other users: chmod 600 it');
    return (this.cached = parseSecretKey(text, `secret key file ${file}`));
  }
}
