import { Injectable } from '@nestjs/common';
import { InstanceSpec, Subjects, api, createEnvelope } from '@orzo/contracts';
import { DatabaseHolder } from '@orzo/persistence';
import { CompiledService } from '@orzo/soa-config';
import { MarkService } from '../deploys/mark.service';
import { OutboxRelay } from '../deploys/outbox.relay';
import { HistoryService } from '../history/history.service';
import { InstanceOverrides } from '../scaling/instance-overrides.service';
import { SoaConfigSource } from '../soa/soa-config.source';
import { ReplicaSchema } from '../status/replica.entity';

/**
 * `orzo config apply`: a soa-configs change (env, resources, command, health check, bounce
 * parameters: whatever goes into the config hash) reaches running instances without a new
 * mark, when an operator asks for it (explicit and reviewable: --dry-run says what would
 * change, as PaaSTA's setup_kubernetes_job compares config_sha). An instance changes when
 * replicas of its marked version run a config hash other than the spec built from the tree
 * now; its spec is sent again under its mark's deploy id (as orzo restart does), so
 * scheduler-bridge replaces the replicas through the bounce method. History records it and
 * config.changed announces the new hashes.
 */
@Injectable()
export class ConfigApplyService {
  constructor(
    private readonly soa: SoaConfigSource,
    private readonly db: DatabaseHolder,
    private readonly marks: MarkService,
    private readonly history: HistoryService,
    private readonly outbox: OutboxRelay,
    private readonly overrides: InstanceOverrides,
  ) {}

  async apply(req: api.ApplyConfigRequest): Promise<api.ApplyConfigResponse> {
    const services = req.service ? [this.soa.service(req.service)] : this.soa.load().services;
    const out: api.ApplyConfigResponse = { changes: [], unchanged: [] };
    for (const svc of services) await this.applyService(svc, req, out);
    if (out.changes.some((c) => c.applied)) await this.outbox.flush().catch(() => undefined);
    return out;
  }

  private async applyService(svc: CompiledService, req: api.ApplyConfigRequest, out: api.ApplyConfigResponse): Promise<void> {
    const by = req.requestedBy || 'unknown';
    const marks = await this.history.desiredVersions(
      svc.name,
      svc.instances.map((i) => i.deployGroup),
    );
    if (!marks.size) return;
    const replicas = await this.db.database.em().getRepository(ReplicaSchema).ofService(svc.name);
    const changedHashes: Record<string, string> = {};
    for (const [group, mark] of marks) {
      const prepared = await this.marks.prepare(svc, {
        service: svc.name,
        deployGroup: group,
        image: mark.image,
        gitSha: mark.gitSha,
        requestedBy: by,
        reason: 'config',
        correlationId: mark.id,
      });
      const changed: InstanceSpec[] = [];
      for (const spec of prepared.payload.specs.filter((s) => s.desiredState === 'start')) {
        const mine = replicas.filter((r) => r.cluster === spec.cluster && r.instance === spec.instance && r.gitSha === mark.gitSha);
        const running = [...new Set(mine.filter((r) => r.configHash !== spec.configHash).map((r) => r.configHash))];
        if (!running.length) {
          if (mine.length) out.unchanged.push(`${svc.name}.${spec.cluster}.${spec.instance}`);
          continue;
        }
        changed.push(spec);
        changedHashes[`${spec.cluster}.${spec.instance}`] = spec.configHash;
        out.changes.push({
          service: svc.name,
          cluster: spec.cluster,
          instance: spec.instance,
          runningConfigHash: running.join(','),
          configHash: spec.configHash,
          applied: !req.dryRun,
        });
      }
      if (!changed.length || req.dryRun) continue;
      const where = changed.map((s) => `${s.cluster}.${s.instance}`).join(', ');
      await this.db.database.em().transactional(async (em) => {
        await this.history.record(em, {
          service: svc.name,
          kind: 'config',
          deployGroup: group,
          gitSha: mark.gitSha,
          actor: by,
          detail: `soa-configs applied: ${where} re-deployed through the bounce method (${changed.map((s) => s.configHash).join(', ')})`,
        });
        await this.outbox.enqueue(em, prepared.envelope, { ...prepared.payload, deployId: mark.id, specs: await this.overrides.apply(changed, em) });
      });
    }
    if (!Object.keys(changedHashes).length || req.dryRun) return;
    await this.db.database.em().transactional((em) =>
      this.outbox.enqueue(em, createEnvelope(Subjects.ConfigChanged, { source: 'control-api' }), {
        service: svc.name,
        soaDir: this.soa.system.soaDir,
        changedFiles: [],
        configHashes: changedHashes,
      }),
    );
  }
}
