import { join } from 'node:path';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { jetstream } from '@nats-io/jetstream';
import Docker from 'dockerode';
import { BusService } from '@orzo/bus';
import { Subjects, registryOfImage } from '@orzo/contracts';
import { LOGGER, Logger, SERVICE_CONFIG, settleWithin } from '@orzo/platform';
import { SoaServiceReader, buildSteps, repositoryOf } from '@orzo/soa-config';
import { BuildLog } from './build-log';
import { Build, BuildOutcome, BuildRepository } from './persistence/build.repository';
import type { BuilderConfig } from './config';
import { buildFromTar, imageIdOf, push, tagImmutably } from './image-builder';
import { StepError, Workspace, run } from './workspace';

export const DOCKER = Symbol('orzo:builder-docker');

interface Running {
  controller: AbortController;
  /** Why it was aborted: said in build.failed. */
  reason?: string;
}

/**
 * The build queue: builds recorded by the build.requested handler wait here until a slot is
 * free (ORZO_BUILD_CONCURRENCY). The same (service, commit) is built once: a request for a
 * commit being built waits for that build, one for a commit already built reuses its image.
 * Each build has a timeout and can be cancelled. The outcome is recorded, then announced
 * (build.image-built / build.failed); an outcome not yet announced when the builder stopped is
 * announced at the next start, with the same event id.
 */
@Injectable()
export class BuildQueue implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly running = new Map<string, Running>();
  private pumping: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private stopping = false;
  readonly workspace: Workspace;
  private readonly soa: SoaServiceReader;

  constructor(
    private readonly store: BuildRepository,
    private readonly bus: BusService,
    @Inject(DOCKER) private readonly docker: Docker,
    @Inject(SERVICE_CONFIG) private readonly config: BuilderConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.workspace = new Workspace(config.ORZO_BUILD_WORKSPACE ?? join(config.ORZO_DATA_DIR, 'builder'));
    this.soa = new SoaServiceReader({ configFile: config.ORZO_CONFIG, soaDir: config.ORZO_SOA_DIR });
  }

  /**
   * What the builder needs of a service from soa-configs: its git URL (see repositoryOf) and
   * where its images go (its docker_registry, else orzo.yaml's registry; '' = stay local).
   * notFound: no such service. A service whose configs have errors falls back to the defaults.
   */
  sourceOf(service: string): { ok: true; gitUrl: string; registry: string } | { ok: false; notFound: boolean; message: string; registry: string } {
    const found = this.soa.lookup(service);
    if (!found.ok) return { ...found, registry: this.soa.system.registry };
    return { ok: true, gitUrl: repositoryOf(found.service), registry: this.soa.registryOf(found.service) };
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const b of await this.store.inState('running')) {
      if (await this.store.transition(b.id, 'running', 'queued'))
        this.logger.warn({ buildId: b.id, service: b.service }, 'build interrupted by a builder restart: queued again');
    }
    this.timer = setInterval(() => this.kick(), 1_000);
    this.timer.unref();
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    // Running builds are left as `running`: the next start builds them again.
    for (const r of this.running.values()) {
      r.reason = 'builder stopping';
      r.controller.abort();
    }
    await settleWithin(this.pumping, 2_000);
  }

  /** Looks for work now (called after a build is recorded or finished, and every second). */
  kick(): void {
    if (this.stopping) return;
    this.pumping = this.pumping.then(() => this.pump()).catch((err: unknown) => this.logger.error({ err }, 'build queue pass failed'));
  }

  /** Cancels a queued, waiting or running build. */
  async cancel(buildId: string, by: string): Promise<{ cancelled: boolean; state: string }> {
    const r = this.running.get(buildId);
    if (r) {
      r.reason = `cancelled by ${by}`;
      r.controller.abort();
      return { cancelled: true, state: 'running' };
    }
    const b = await this.store.get(buildId);
    if (!b) return { cancelled: false, state: 'unknown' };
    if ((b.state === 'queued' || b.state === 'waiting') && (await this.store.transition(b.id, b.state, 'running'))) {
      await this.complete(b, { state: 'cancelled', step: 'queue', error: `cancelled by ${by} before it started` }, this.logFor(b));
      return { cancelled: true, state: b.state };
    }
    return { cancelled: false, state: b.state };
  }

  private async pump(): Promise<void> {
    await this.announcePending();
    for (const b of await this.store.inState('queued')) {
      if (this.stopping || this.running.size >= this.config.ORZO_BUILD_CONCURRENCY) return;
      if (!b.force) {
        const primary = await this.store.sameCommit(b, ['running']);
        if (primary) {
          if (await this.store.transition(b.id, 'queued', 'waiting', { follows: primary.id })) {
            this.logger.info({ buildId: b.id, follows: primary.id }, 'same commit is being built: waiting for that build');
          }
          continue;
        }
        const done = await this.store.sameCommit(b, ['succeeded']);
        if (done?.imageId && (await imageIdOf(this.docker, b.image)) === done.imageId && (await this.store.transition(b.id, 'queued', 'running'))) {
          const log = this.logFor(b);
          log.line(`${b.image} was already built from ${b.commitSha} by build ${done.id}: reusing it`);
          await this.complete(b, { state: 'succeeded', imageId: done.imageId, digest: done.digest ?? '' }, log);
          continue;
        }
      }
      if (!(await this.store.transition(b.id, 'queued', 'running'))) continue;
      this.start(b);
    }
  }

  private start(b: Build): void {
    const entry: Running = { controller: new AbortController() };
    this.running.set(b.id, entry);
    const timeout = setTimeout(() => {
      entry.reason = `timed out after ${this.config.ORZO_BUILD_TIMEOUT_S}s (ORZO_BUILD_TIMEOUT_S)`;
      entry.controller.abort();
    }, this.config.ORZO_BUILD_TIMEOUT_S * 1000);
    const log = this.logFor(b);
    void this.execute(b, entry, log)
      .then(async (outcome) => {
        if (this.stopping && entry.reason === 'builder stopping') return;
        await this.complete(b, outcome, log);
      })
      .catch((err: unknown) => this.logger.error({ err, buildId: b.id }, 'recording a build outcome failed; it is retried at the next start'))
      .finally(() => {
        clearTimeout(timeout);
        this.running.delete(b.id);
        this.kick();
      });
  }

  private logFor(b: Build): BuildLog {
    return new BuildLog(jetstream(this.bus.connection), b.service, b.id, this.logger);
  }

  /** Runs one build to its outcome; never throws. */
  private async execute(b: Build, entry: Running, log: BuildLog): Promise<BuildOutcome> {
    const signal = entry.controller.signal;
    let step = 'fetch';
    // Announcing the start is informative only: NATS being away must not fail the build (its
    // outcome is recorded and announced when NATS is back). It goes out beside the fetch.
    const started = this.bus
      .publish(
        Subjects.BuildStarted,
        { buildId: b.id, service: b.service, commitSha: b.commitSha, image: b.image },
        { source: 'builder', correlationId: b.correlationId },
      )
      .catch((err: unknown) => this.logger.warn({ err, buildId: b.id }, 'build.started could not be published; building anyway'));
    try {
      log.line(`build ${b.id}: ${b.service} at ${b.commitSha} from ${b.gitUrl || '(no git URL)'} -> ${b.image}`);
      if (!b.gitUrl) throw new StepError('fetch', `no git URL: the request has none and ${b.service}'s service.yaml has no git_url`);
      // Which image the tag names now, asked beside the build (the tag is never moved unless forced).
      const tagged = imageIdOf(this.docker, b.image);
      const repo = await this.workspace.fetch(b.gitUrl, b.commitSha, signal, (l) => log.line(l));
      const dockerfile = b.dockerfile || 'Dockerfile';
      const context = (b.context || '.').replace(/^\.\/?|\/$/g, '');
      const source = this.workspace.contextStream(repo, b.commitSha, context, signal);
      step = 'build';
      const build = buildFromTar(this.docker, source.stream, {
        dockerfile,
        buildargs: JSON.parse(b.buildArgs || '{}') as Record<string, string>,
        // One label: the classic builder adds each label as a step of its own (a container
        // created and committed, 100-200 ms). The service and the commit are also in the tag,
        // the build in this builder's records (its image id).
        labels: { 'orzo.git_sha': b.commitSha },
        signal,
        onLine: (l) => log.line(l),
      });
      // A build Docker refused or failed before reading the whole context stops git.
      build.catch(() => source.stop());
      // A context that could not be read fully fails the build with git's words, not Docker's.
      const [fed, built] = await Promise.allSettled([source.done, build]);
      if (fed.status === 'rejected') throw fed.reason;
      // No Dockerfile at that path: said in our words (Docker finds out first, from the context).
      if (built.status === 'rejected' && /Cannot locate specified Dockerfile/i.test(String((built.reason as Error)?.message)))
        throw new StepError('fetch', `commit ${b.commitSha} has no ${context ? `${context}/${dockerfile}` : dockerfile}`);
      if (built.status === 'rejected') throw built.reason;
      const { imageId } = built.value;
      step = 'tag';
      const tag = await tagImmutably(this.docker, imageId, b.image, b.force === 1, await tagged);
      log.line(tag === 'tagged' ? `tagged ${b.image}` : `${b.image} already is this image`);
      await this.runPipelineSteps(b, repo, signal, log);
      let digest = '';
      const registry = registryOfImage(b.image);
      if (registry) {
        step = 'push';
        log.line(`pushing ${b.image}`);
        const auth = { username: this.config.ORZO_REGISTRY_USERNAME, password: this.config.ORZO_REGISTRY_PASSWORD, serveraddress: registry };
        digest = await push(this.docker, b.image, auth, signal, (l) => log.line(l));
        log.line(`pushed ${b.image}${digest ? ` (${digest})` : ''}`);
      }
      await started;
      return { state: 'succeeded', imageId, digest };
    } catch (err) {
      await started;
      if (signal.aborted)
        return { state: 'cancelled', step: err instanceof StepError ? err.step : step, error: entry.reason ?? 'cancelled', logTail: log.tail };
      if (err instanceof StepError) return { state: 'failed', step: err.step, error: err.message, logTail: log.tail };
      return { state: 'failed', step, error: (err as Error).message ?? String(err), logTail: log.tail };
    }
  }

  /**
   * The deploy.yaml steps before the first deploy group that are not deploy groups (itest,
   * security-check, ...): each runs its configured `command` in a checkout of the commit with
   * DOCKER_TAG set to the built image; a step without a command is logged as skipped.
   * push-to-registry is the push that follows when a registry is configured.
   */
  private async runPipelineSteps(b: Build, repo: string, signal: AbortSignal, log: BuildLog): Promise<void> {
    const found = this.soa.lookup(b.service);
    if (!found.ok) {
      log.line(`pipeline steps not run: ${found.message}`);
      return;
    }
    for (const s of buildSteps(found.service.pipeline)) {
      if (s.step === 'push-to-registry') {
        log.line(
          `step ${s.step}: ${registryOfImage(b.image) ? `pushing to ${registryOfImage(b.image)}` : 'skipped: no registry configured (images stay on this engine)'}`,
        );
        continue;
      }
      if (!s.command) {
        log.line(`step ${s.step}: skipped (no command configured in deploy.yaml)`);
        continue;
      }
      log.line(`step ${s.step}: ${s.command}`);
      const co = await this.workspace.checkout(repo, b.commitSha, signal);
      try {
        const res = await run('sh', ['-c', s.command], {
          cwd: co.path,
          signal,
          env: { ...process.env, DOCKER_TAG: b.image, ORZO_IMAGE: b.image, GIT_SHA: b.commitSha, ORZO_SERVICE: b.service },
          onLine: (l) => log.line(l),
        });
        if (res.code !== 0)
          throw new StepError(s.step, `step ${s.step} (${s.command}) exited with ${res.code}: ${(res.stderr || res.stdout).trim().split('\n').pop() ?? ''}`);
      } finally {
        co.dispose();
      }
    }
  }

  /** Records the outcome of a build and of every request waiting for it, then announces them. */
  private async complete(b: Build, outcome: BuildOutcome, log: BuildLog): Promise<void> {
    await this.store.finish(b.id, outcome);
    const summary = outcome.state === 'succeeded' ? `built ${b.image}` : `${outcome.state} at ${outcome.step}: ${outcome.error}`;
    await log.end(outcome.state, summary);
    for (const f of await this.store.followers(b.id)) {
      await this.store.finish(f.id, { ...outcome });
      await this.logFor(f).end(outcome.state, `${summary} (by build ${b.id} of the same commit)`);
    }
    this.logger.info(
      { buildId: b.id, service: b.service, commitSha: b.commitSha, state: outcome.state, step: outcome.step, error: outcome.error },
      `build ${outcome.state}`,
    );
    await this.announcePending();
  }

  /** Publishes every recorded outcome JetStream has not stored yet (same event id on a retry). */
  private async announcePending(): Promise<void> {
    for (const row of await this.store.unpublished()) {
      const envelope = { source: 'builder', correlationId: row.correlationId, id: row.resultEventId! };
      if (row.state === 'succeeded') {
        await this.bus.publish(
          Subjects.BuildImageBuilt,
          {
            buildId: row.id,
            service: row.service,
            commitSha: row.commitSha,
            image: row.image,
            imageId: row.imageId ?? '',
            digest: row.digest ?? '',
            external: false,
            skipPipeline: row.skipPipeline === 1,
          },
          envelope,
        );
      } else {
        const tail = JSON.parse(row.logTail || '[]') as string[];
        await this.bus.publish(
          Subjects.BuildFailed,
          { buildId: row.id, service: row.service, commitSha: row.commitSha, step: row.step ?? '', error: row.error ?? row.state, logTail: tail },
          envelope,
        );
      }
      await this.store.markPublished(row.id);
    }
  }
}
