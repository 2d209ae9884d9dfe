import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InstanceSpec, SHARED_SECRET_SERVICE, SecretValuesAnswer, SecretValuesCall, secretRefsOf } from '@orzo/contracts';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';
import { InvalidArgumentError, NotFoundError } from '@orzo/platform';
import { open } from './secret-cipher';
import { SecretKeyring } from './secret-keyring';
import { SecretSchema, secretKeyOf } from './secret.entity';

/**
 * What the rest of control-api needs of the secret store: the versions of the secrets a spec
 * references, folded into its config hash (no key needed: a mark never decrypts anything), and
 * the plaintext for the scheduler-bridge that starts a replica (the only place it is decrypted).
 */
@Injectable()
export class SecretStore {
  constructor(
    private readonly db: DatabaseHolder,
    private readonly keyring: SecretKeyring,
  ) {}

  /**
   * The specs with each referencing instance's config hash changed by the versions of the
   * secrets it references (a missing one counts as "missing"): a new value re-deploys it through
   * its bounce method, as PaaSTA puts secret hashes into config_sha. `em`: the caller's transaction.
   */
  async stamp(specs: InstanceSpec[], em: EntityManager = this.db.database.em()): Promise<InstanceSpec[]> {
    const refs = specs.map((s) => [...secretRefsOf(s.env, s.service).keys()].sort());
    const keys = [...new Set(refs.flat())];
    if (!keys.length) return specs;
    const rows = await em.getRepository(SecretSchema).byKeys(keys);
    return specs.map((s, i) =>
      refs[i]!.length
        ? {
            ...s,
            configHash: withSecretVersions(
              s.configHash,
              refs[i]!.map((k) => `${k}=${rows.get(k)?.version ?? 'missing'}`),
            ),
          }
        : s,
    );
  }

  /**
   * `env` with each SECRET(name) / SHARED_SECRET(name) replaced by its value (a one-off run of
   * an adhoc instance: its env goes to the bridge in a request, never in an event).
   */
  async resolveEnv(env: Record<string, string>, at: { service: string; instance: string; cluster: string }): Promise<Record<string, string>> {
    const refs = secretRefsOf(env, at.service);
    if (!refs.size) return env;
    const { values } = await this.values({ ...at, refs: [...refs.values()].map((r) => ({ service: r.service, name: r.name })) });
    const out = { ...env };
    for (const v of values) for (const name of refs.get(secretKeyOf(v.service, v.name))?.vars ?? []) out[name] = v.value;
    return out;
  }

  /**
   * The plaintext of the secrets an instance of `service` asks for: its own service's and the
   * shared ones, nothing else. NotFoundError names every one the store lacks.
   */
  async values(req: SecretValuesCall): Promise<SecretValuesAnswer> {
    const foreign = req.refs.filter((r) => r.service !== req.service && r.service !== SHARED_SECRET_SERVICE);
    if (foreign.length) throw new InvalidArgumentError(`${req.service} may not read secrets of ${foreign.map((r) => r.service).join(', ')}`);
    const key = this.keyring.key();
    const rows = await this.db.database
      .em()
      .getRepository(SecretSchema)
      .byKeys(req.refs.map((r) => secretKeyOf(r.service, r.name)));
    const missing = req.refs.filter((r) => !rows.has(secretKeyOf(r.service, r.name)));
    if (missing.length) {
      throw new NotFoundError(
        `${req.service}.${req.instance} references ${missing.map(describeRef).join(', ')}, not in Orzo's secret store: add ${missing.length > 1 ? 'them' : 'it'} with ${missing
          .map((r) => `orzo secret add ${r.service === SHARED_SECRET_SERVICE ? '--shared' : `-s ${r.service}`} -n ${r.name}`)
          .join('; ')}`,
      );
    }
    return {
      values: req.refs.map((r) => {
        const k = secretKeyOf(r.service, r.name);
        return { ...r, value: open(key, k, rows.get(k)!.sealed).toString('utf8') };
      }),
    };
  }
}

/** SECRET(name) of svc, or SHARED_SECRET(name). */
export function describeRef(r: { service: string; name: string }): string {
  return r.service === SHARED_SECRET_SERVICE ? `SHARED_SECRET(${r.name})` : `SECRET(${r.name}) of ${r.service}`;
}

/** The config hash with the referenced secrets' versions folded in; same "config" + 8 hex form. */
export function withSecretVersions(configHash: string, versions: string[]): string {
  return `config${createHash('sha256')
    .update(`${configHash}\n${versions.join('\n')}`)
    .digest('hex')
    .slice(0, 8)}`;
}
