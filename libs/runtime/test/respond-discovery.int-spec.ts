import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Injectable, INestApplication, Module } from '@nestjs/common';
import { ImageExistsAnswer, ImageExistsCall, Rpcs } from '@orzo/contracts';
import { BusService, Respond, RpcContext } from '@orzo/bus';
import { InvalidArgumentError, UnavailableError, createServiceApp, prepareService } from '@orzo/platform';
import { NatsServerHandle, startNatsServer } from '@orzo/testing';
import { orzoService } from '../src';

@Injectable()
class FakeEngine {
  readonly clusters = ['east', 'west'];

  @Respond(Rpcs.imageExists, { params: (self: FakeEngine) => self.clusters })
  imageExists(req: ImageExistsCall, ctx: RpcContext): ImageExistsAnswer {
    if (req.image === 'bad:ref') throw new InvalidArgumentError(`${ctx.subject}: not an image reference`);
    return { exists: req.image.endsWith(':present') };
  }
}

@Module({ providers: [FakeEngine] })
class EngineModule {}

describe('@Respond handlers of a service built with orzoService', () => {
  let nats: NatsServerHandle;
  let app: INestApplication;
  const def = orzoService({ service: 'test-rpc', httpPort: 0, module: () => EngineModule });

  before(async () => {
    nats = await startNatsServer();
    const ctx = prepareService(def, {
      ORZO_NATS_URL: nats.url,
      ORZO_DATA_DIR: mkdtempSync(join(tmpdir(), 'orzo-rpc-')),
      ORZO_LOG_LEVEL: 'silent',
      ORZO_HTTP_PORT: '0',
    });
    assert.ok(ctx);
    await def.commands!.migrate!(ctx);
    app = await createServiceApp(ctx, def.module(ctx));
    await app.init();
  });
  after(async () => {
    await app?.close();
    await nats.dispose();
  });

  it('discovers a responder at boot and serves one subject per parameter, with typed errors', async () => {
    const bus = app.get(BusService);
    assert.deepEqual(await bus.request(Rpcs.imageExists('east'), { image: 'web:present' }, { timeout: 2_000 }), { exists: true });
    assert.deepEqual(await bus.request(Rpcs.imageExists('west'), { image: 'web:gone' }, { timeout: 2_000 }), { exists: false });
    await assert.rejects(
      bus.request(Rpcs.imageExists('west'), { image: 'bad:ref' }, { timeout: 2_000 }),
      (err: Error) => err instanceof InvalidArgumentError && err.message === 'orzo.rpc.scheduler.west.image-exists.v1: not an image reference',
    );
    await assert.rejects(
      bus.request(Rpcs.imageExists('north'), { image: 'web:present' }, { timeout: 2_000 }),
      (err: Error) => err instanceof UnavailableError && /no scheduler-bridge is listening on orzo\.rpc\.scheduler\.north\.image-exists\.v1/.test(err.message),
    );
  });
});
