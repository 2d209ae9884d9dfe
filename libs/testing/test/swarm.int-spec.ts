import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { BUSYBOX_BASE, Swarm, ensureBusyboxBase, httpGet, startSwarm, waitFor } from '../src';

/** The multi-node swarm harness itself: nodes in their namespaces, labels, images, a node killed and back, and nothing left after. */
describe('startSwarm: a real 2-node Docker Swarm on this machine', () => {
  let swarm: Swarm;

  before(async () => {
    await ensureBusyboxBase(new Docker());
    swarm = await startSwarm({ nodes: 2, pools: ['a', 'b'] });
  });
  after(async () => {
    await swarm?.dispose();
  });

  it('forms a swarm of ready nodes at their own addresses, labelled with their pool', async () => {
    const nodes = (await swarm.manager.docker.listNodes()) as Array<{ ID: string; Status: { State: string }; Spec: { Labels: Record<string, string> } }>;
    assert.equal(nodes.length, 2);
    for (const [i, node] of swarm.nodes.entries()) {
      const listed = nodes.find((n) => n.ID === node.nodeId)!;
      assert.equal(listed.Status.State, 'ready');
      assert.equal(listed.Spec.Labels.pool, ['a', 'b'][i]);
      assert.match(node.ip, /^10\.2[0-4]\d\.\d+\.1[12]$/);
    }
    assert.deepEqual(
      swarm.nodes.map((n) => n.manager),
      [true, false],
    );
  });

  it('runs a task on the node its constraint picks, answering at that node IP from the root namespace', async () => {
    await swarm.loadImage(BUSYBOX_BASE);
    const service = (await swarm.manager.docker.createService({
      Name: 'harness-probe',
      TaskTemplate: {
        ContainerSpec: { Image: BUSYBOX_BASE, Args: ['/bin/sh', '-c', 'mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 8080 -h /www'] },
        Placement: { Constraints: ['node.labels.pool==b'] },
      },
      EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 0, PublishMode: 'host' }] },
    } as unknown as Docker.CreateServiceOptions)) as unknown as { id: string };
    const task = await waitFor(
      async () => {
        const [t] = (await swarm.manager.docker.listTasks({ filters: { service: [service.id] } })) as Array<{
          NodeID: string;
          Status: { State: string; PortStatus?: { Ports?: Array<{ PublishedPort: number }> } };
        }>;
        return t?.Status.State === 'running' ? t : undefined;
      },
      { timeoutMs: 30_000, what: 'the probe task running' },
    );
    assert.equal(task.NodeID, swarm.nodes[1]!.nodeId);
    const port = task.Status.PortStatus!.Ports![0]!.PublishedPort;
    const page = await waitFor(async () => (await httpGet(`http://${swarm.nodes[1]!.ip}:${port}/`)).body, { what: 'the probe answering' });
    assert.equal(page.trim(), 'hi');
    await swarm.manager.docker.getService(service.id).remove();
  });

  it('kills a node, which the manager marks down, and starts it again', async () => {
    const state = async () => ((await swarm.manager.docker.getNode(swarm.nodes[1]!.nodeId).inspect()) as { Status: { State: string } }).Status.State;
    swarm.killNode(1);
    await waitFor(async () => (await state()) === 'down', { timeoutMs: 30_000, what: 'node2 down' });
    await swarm.startNode(1);
    await waitFor(async () => (await state()) === 'ready', { timeoutMs: 30_000, what: 'node2 ready again' });
  });

  it('leaves nothing behind, and can be disposed of twice', async () => {
    const roots = swarm.nodes.map((n) => n.dockerHost.replace('unix://', '').replace(/\/docker\.sock$/, ''));
    await swarm.dispose();
    await swarm.dispose();
    assert.ok(!execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(swarm.bridge.name), 'namespaces gone');
    assert.ok(!execFileSync('ip', ['link', 'show'], { encoding: 'utf8' }).includes(swarm.bridge.name), 'bridge and veths gone');
    assert.ok(!execFileSync('iptables', ['-S', 'DOCKER-USER'], { encoding: 'utf8' }).includes(swarm.bridge.name), 'iptables rule gone');
    for (const root of roots) assert.equal(existsSync(root), false, `${root} removed`);
  });
});
