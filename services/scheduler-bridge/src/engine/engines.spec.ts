import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSystemConfig } from '@orzo/soa-config';
import { DockerEngine } from '../docker-engine';
import { Engines } from './engines';
import { SwarmEngine } from './swarm-engine';

function systemConfig(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'orzo-engines-'));
  writeFileSync(join(dir, 'orzo.yaml'), yaml);
  return loadSystemConfig({ env: {}, cwd: dir });
}

describe('the engine of each cluster, from orzo.yaml', () => {
  it('runs a swarm cluster on a SwarmEngine at its docker_host, and a cluster orzo.yaml does not name on the local Docker engine', () => {
    const engines = Engines.fromSystemConfig(
      ['east', 'local', 'west'],
      systemConfig('clusters:\n  east: {engine: swarm, docker_host: "unix:///run/east.sock"}\n  west: {engine: swarm, docker_host: "unix:///run/east.sock"}\n'),
    );
    const east = engines.of('east') as SwarmEngine;
    assert.ok(east instanceof SwarmEngine);
    assert.equal((east.docker.modem as unknown as { socketPath: string }).socketPath, '/run/east.sock');
    assert.equal(engines.of('west'), east, 'one client per engine and address');
    assert.ok(engines.of('local') instanceof DockerEngine);
    assert.equal(engines.distinct().length, 2);
    assert.throws(() => engines.of('north'), /cluster north is not run by this scheduler-bridge/);
    assert.deepEqual(
      ['east', 'local', 'north', undefined].map((c) => engines.runs(c)),
      [true, true, false, false],
    );
  });

  it('refuses a kubernetes cluster, saying what to do', () => {
    assert.throws(
      () => Engines.fromSystemConfig(['k8s'], systemConfig('clusters:\n  k8s: {engine: kubernetes}\n')),
      /cluster k8s has engine kubernetes in orzo.yaml: scheduler-bridge has no Kubernetes backend yet .*use engine docker or swarm/,
    );
  });

  it("refuses a cluster whose settings are wrong, but not another cluster's", () => {
    const yaml = 'clusters:\n  east: {engine: swarm, docker_host: "10.0.0.5:2375"}\n  west: {engine: nomad}\n';
    assert.throws(() => Engines.fromSystemConfig(['east'], systemConfig(yaml)), /orzo.yaml: clusters.east.docker_host: not an Engine API address/);
    assert.throws(() => Engines.fromSystemConfig(['west'], systemConfig(yaml)), /clusters.west.engine: unknown engine/);
    assert.ok(Engines.fromSystemConfig(['local'], systemConfig(yaml)).of('local') instanceof DockerEngine);
  });
});
