import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { BUSYBOX_BASE, ensureBusyboxBase, httpGet, startHttpContainer } from '../src';

// busybox httpd serving one page, as the example service does.
const serve = ['/bin/sh', '-c', 'mkdir -p /www && echo ok > /www/status && exec httpd -f -p 8080 -h /www'];

describe('startHttpContainer (testcontainers, no registry, Ryuk off)', () => {
  const docker = new Docker();
  before(async () => {
    await ensureBusyboxBase(docker);
  });

  it('starts a local image, resolves once it answers HTTP, and removes it on stop', async () => {
    const c = await startHttpContainer(BUSYBOX_BASE, { port: 8080, path: '/status', command: serve, labels: { 'orzo.test': 'http-container' } });
    assert.equal(process.env.TESTCONTAINERS_RYUK_DISABLED, 'true');
    assert.equal((await httpGet(`${c.url}/status`)).body.trim(), 'ok');
    assert.equal((await docker.getContainer(c.id).inspect()).Config.Labels['orzo.test'], 'http-container');
    await c.stop();
    await assert.rejects(docker.getContainer(c.id).inspect(), /no such container/i);
  });

  it('fails naming the URL when the container never answers', async () => {
    await assert.rejects(
      startHttpContainer(BUSYBOX_BASE, { port: 8080, path: '/status', command: ['sleep', '60'], timeoutMs: 1_500 }),
      /\/status to answer 200/,
    );
  });
});
