import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SECRET_NAME, SHARED_SECRET_SERVICE, api, secretRefsOf } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@orzo/platform';
import { CompiledService } from '@orzo/soa-config';
import { MarkService } from '../deploys/mark.service';
import { OutboxRelay } from '../deploys/outbox.relay';
import { HistoryService } from '../history/history.service';
import { requireFields } from '../required-fields';
import { InstanceOverrides } from '../scaling/instance-overrides.service';
import { shown } from '../shown';
import { SoaConfigSource } from '../soa/soa-config.source';
import { seal } from './secret-cipher';
import { SecretKeyring } from './secret-keyring';
import { Secret, SecretSchema, secretKeyOf } from './secret.entity';

const MAX_VALUE_BYTES = 64 * 1024;

/**
 * `orzo secret add|update|list|rm`: values are sealed before they reach the database and never
 * leave control-api except to a scheduler-bridge starting a replica (SecretStore.values). A
 * write re-deploys, through their bounce method, the instances whose env references the secret
 * and that run a marked version (their config hash carries the secret's version).
 */
@Injectable()
export class SecretsService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly db: DatabaseHolder,
    private readonly keyring: SecretKeyring,
    private readonly marks: MarkService,
    private readonly history: HistoryService,
    private readonly outbox: OutboxRelay,
    private readonly overrides: InstanceOverrides,
  ) {}

  async put(req: api.PutSecretRequest, mode: 'add' | 'update'): Promise<api.PutSecretResponse> {
    this.checkName(req);
    if (!req.value?.length) throw new InvalidArgumentError('value is required (give it on stdin or with --value-file)');
    if (req.value.length > MAX_VALUE_BYTES) throw new InvalidArgumentError(`value is ${req.value.length} bytes; a secret holds at most ${MAX_VALUE_BYTES}`);
    // Refused before anything is written when there is no key.
    const key = this.keyring.key();
    const k = secretKeyOf(req.service, req.name);
    const by = req.requestedBy || 'unknown';
    const now = new Date().toISOString();
    const change = { sealed: seal(key, k, Buffer.from(req.value)), version: randomUUID(), updatedAt: now, updatedBy: by };
    await this.db.database.em().transactional(async (em) => {
      const repo = em.getRepository(SecretSchema);
      const existing = await repo.one(k);
      if (mode === 'add') {
        if (existing)
          throw new FailedPreconditionError(
            `secret ${req.name} of ${req.service} exists (written ${existing.updatedAt} by ${existing.updatedBy}): use orzo secret update`,
          );
        await repo.addRow({ secretKey: k, service: req.service, name: req.name, createdAt: now, createdBy: by, ...change });
      } else if (!(await repo.rewrite(k, change))) {
        throw new NotFoundError(`${req.service} has no secret ${req.name}: use orzo secret add`);
      }
      await this.history.record(em, {
        service: req.service,
        kind: 'secret',
        deployGroup: '',
        gitSha: '',
        actor: by,
        detail: `secret ${req.name} ${mode === 'add' ? 'added' : 'updated'} (version ${change.version.slice(0, 8)}; the value is not recorded)`,
      });
    });
    const redeployed = await this.rollout(req.service, req.name, by, mode === 'add' ? 'added' : 'updated');
    const row = (await this.db.database.em().getRepository(SecretSchema).one(k))!;
    return {
      secret: this.info(row),
      redeployed,
      detail: redeployed.length ? `re-deploying ${redeployed.join(', ')} through their bounce method` : 'no running instance references it',
    };
  }

  async list(req: api.ListSecretsRequest): Promise<api.ListSecretsResponse> {
    requireFields(req, { service: 'service' });
    if (req.service !== SHARED_SECRET_SERVICE) this.soa.service(req.service);
    const rows = await this.db.database.em().getRepository(SecretSchema).ofService(req.service);
    const uses = this.references(req.service);
    const stored = new Set(rows.map((r) => r.name));
    return {
      secrets: rows.map((r) => this.info(r, uses.get(r.name) ?? [])),
      missing: [...uses.entries()].filter(([name]) => !stored.has(name)).map(([name, by]) => `${name} (referenced by ${by.join(', ')})`),
    };
  }

  async remove(req: api.RemoveSecretRequest): Promise<api.RemoveSecretResponse> {
    this.checkName(req);
    const k = secretKeyOf(req.service, req.name);
    await this.db.database.em().transactional(async (em) => {
      if (!(await em.getRepository(SecretSchema).dropRow(k))) throw new NotFoundError(`${req.service} has no secret ${shown(req.name)}`);
      await this.history.record(em, {
        service: req.service,
        kind: 'secret',
        deployGroup: '',
        gitSha: '',
        actor: req.requestedBy || 'unknown',
        detail: `secret ${req.name} removed`,
      });
    });
    const still = this.references(req.service).get(req.name) ?? [];
    return {
      stillUsedBy: still,
      detail: still.length
        ? `removed; ${still.join(', ')} still reference it: what runs keeps running, a replica they start fails its deploy naming the secret`
        : 'removed',
    };
  }

  private checkName(req: { service: string; name: string }): void {
    requireFields(req, { service: 'service', name: 'name' });
    if (!SECRET_NAME.test(req.name)) throw new InvalidArgumentError(`secret name ${shown(req.name)} is not [A-Za-z0-9_-]{1,100} (as SECRET(name) takes it)`);
    if (req.service !== SHARED_SECRET_SERVICE) this.soa.service(req.service);
  }

  private info(r: Secret, usedBy: string[] = []): api.SecretInfo {
    return { service: r.service, name: r.name, createdAt: r.createdAt, createdBy: r.createdBy, updatedAt: r.updatedAt, updatedBy: r.updatedBy, usedBy };
  }

  /** The services whose instances may reference secrets of `service`: itself, or all for `_shared`. */
  private readers(service: string): CompiledService[] {
    return service === SHARED_SECRET_SERVICE ? this.soa.load().services : [this.soa.service(service)];
  }

  /** Per secret name of `service`, the instances referencing it ("<cluster>.<instance>", with the service for `_shared`). */
  private references(service: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const svc of this.readers(service)) {
      for (const i of svc.instances) {
        for (const ref of secretRefsOf(i.env, svc.name).values()) {
          if (ref.service !== service) continue;
          const where = service === SHARED_SECRET_SERVICE ? `${svc.name}.${i.cluster}.${i.instance}` : `${i.cluster}.${i.instance}`;
          out.set(ref.name, [...(out.get(ref.name) ?? []), where]);
        }
      }
    }
    return out;
  }

  /**
   * Sends again the spec of every instance that references the secret and runs a marked
   * version, under its mark's deploy id (as orzo restart does): its config hash now carries the
   * new version, so scheduler-bridge replaces its replicas through the bounce method.
   */
  private async rollout(service: string, name: string, by: string, what: string): Promise<string[]> {
    const sent: string[] = [];
    for (const svc of this.readers(service)) {
      const affected = svc.instances.filter((i) => [...secretRefsOf(i.env, svc.name).values()].some((r) => r.service === service && r.name === name));
      if (!affected.length) continue;
      const marks = await this.history.desiredVersions(
        svc.name,
        affected.map((i) => i.deployGroup),
      );
      for (const [group, mark] of marks) {
        const keys = new Set(affected.filter((i) => i.deployGroup === group).map((i) => `${i.cluster}.${i.instance}`));
        const prepared = await this.marks.prepare(svc, {
          service: svc.name,
          deployGroup: group,
          image: mark.image,
          gitSha: mark.gitSha,
          requestedBy: by,
          reason: 'secret',
          correlationId: mark.id,
        });
        await this.db.database.em().transactional(async (em) => {
          const specs = await this.overrides.apply(
            prepared.payload.specs.filter((s) => keys.has(`${s.cluster}.${s.instance}`)),
            em,
          );
          await this.history.record(em, {
            service: svc.name,
            kind: 'secret',
            deployGroup: group,
            gitSha: mark.gitSha,
            actor: by,
            detail: `${service === SHARED_SECRET_SERVICE ? 'shared ' : ''}secret ${name} ${what}: ${[...keys].join(', ')} re-deployed through the bounce method`,
          });
          await this.outbox.enqueue(em, prepared.envelope, { ...prepared.payload, deployId: mark.id, specs });
        });
        sent.push(...[...keys].map((k) => (service === SHARED_SECRET_SERVICE ? `${svc.name}.${k}` : k)));
      }
    }
    if (sent.length) await this.outbox.flush().catch(() => undefined);
    return sent;
  }
}
