import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Delivery, ParseResult } from './delivery';
import { parseJenkinsNotification } from './jenkins-notification';

const SHA = '9f1c2b3a4d5e6f708192a3b4c5d6e7f809102030';

function notification(build: Record<string, unknown> = {}, name = 'services-hello'): Record<string, unknown> {
  return {
    name,
    display_name: name,
    url: `job/${name}/`,
    build: {
      full_url: `https://ci/job/${name}/42/`,
      number: 42,
      queue_id: 1234,
      timestamp: 1718000000000,
      phase: 'FINALIZED',
      status: 'SUCCESS',
      url: `job/${name}/42/`,
      scm: { url: 'git@github.com:org/hello.git', branch: 'origin/main', commit: SHA, changes: ['src/a.ts'], culprits: ['alice'] },
      parameters: {},
      ...build,
    },
  };
}

function ok(result: ParseResult): Delivery {
  assert.ok(result.ok, result.ok ? '' : result.problems.join('; '));
  return result.delivery;
}

function problems(result: ParseResult): string[] {
  assert.ok(!result.ok, 'expected the body to be refused');
  return result.problems;
}

describe('Jenkins Notification plugin body', () => {
  it('a FINALIZED SUCCESS build of job services-hello asks for hello at the scm commit', () => {
    const d = ok(parseJenkinsNotification(notification()));
    assert.deepEqual(
      [d.key, d.service, d.job, d.number, d.phase, d.status, d.acts, d.commitSha, d.gitUrl, d.image, d.requestedBy],
      [
        'jenkins:services-hello#42:FINALIZED',
        'hello',
        'services-hello',
        42,
        'FINALIZED',
        'SUCCESS',
        true,
        SHA,
        'git@github.com:org/hello.git',
        '',
        'jenkins:services-hello#42',
      ],
    );
  });

  it('takes service, commit and image from build parameters before the job name and scm', () => {
    const d = ok(
      parseJenkinsNotification(
        notification({ parameters: { ORZO_SERVICE: 'web', GIT_SHA: 'ABCDEF1', ORZO_IMAGE: 'registry:5000/services-web:orzo-abcdef1' } }, 'anything'),
      ),
    );
    assert.deepEqual([d.service, d.commitSha, d.image], ['web', 'abcdef1', 'registry:5000/services-web:orzo-abcdef1']);
    const legacy = ok(parseJenkinsNotification(notification({ scm: {}, parameters: { SERVICE: 'web', GIT_COMMIT: SHA, DOCKER_IMAGE: 'web:1' } })));
    assert.deepEqual([legacy.service, legacy.commitSha, legacy.image, legacy.gitUrl], ['web', SHA, 'web:1', '']);
  });

  it('only records phases before FINALIZED and results other than SUCCESS, without needing a commit', () => {
    for (const [phase, status] of [
      ['QUEUED', undefined],
      ['STARTED', undefined],
      ['COMPLETED', 'SUCCESS'],
      ['FINALIZED', 'FAILURE'],
      ['FINALIZED', 'UNSTABLE'],
      ['FINALIZED', 'ABORTED'],
      ['FINALIZED', undefined],
    ]) {
      const d = ok(parseJenkinsNotification(notification({ phase, status, scm: {} })));
      assert.equal(d.acts, false, `${phase} ${status}`);
      assert.equal(d.key, `jenkins:services-hello#42:${phase}`);
      assert.match(d.note, /only FINALIZED SUCCESS builds act/);
    }
  });

  it('names every bad field at once', () => {
    assert.deepEqual(problems(parseJenkinsNotification({ build: { number: -1, status: 3, parameters: 'x' } })), [
      'name (the job name) is required',
      'build.number must be a non-negative integer (got -1)',
      'build.phase is required: one of QUEUED, STARTED, COMPLETED, FINALIZED (got nothing)',
      'build.status must be a string such as SUCCESS or FAILURE (got 3)',
      'build.parameters must be an object (got "x")',
    ]);
    assert.deepEqual(problems(parseJenkinsNotification({ name: 'j' })), ['build is required: an object with number and phase']);
    assert.match(problems(parseJenkinsNotification([]))[0]!, /body must be a JSON object/);
  });

  it('refuses a FINALIZED SUCCESS build without a usable commit or with a bad image', () => {
    assert.deepEqual(problems(parseJenkinsNotification(notification({ scm: {} }))), [
      'a commit is required for a FINALIZED SUCCESS build: build parameter GIT_SHA (or GIT_COMMIT), or build.scm.commit from the git data of the build',
    ]);
    assert.deepEqual(problems(parseJenkinsNotification(notification({ parameters: { GIT_SHA: 'main', ORZO_IMAGE: 'not an image' } }))), [
      'build.parameters.GIT_SHA "main" is not a hex git sha (7-40 characters)',
      'build.parameters.ORZO_IMAGE "not an image" is not an image reference',
    ]);
  });

  it('refuses a URL or image longer than 4096 characters, but not a long parameter of the job that Orzo does not read', () => {
    const url = `https://ci.example/${'x'.repeat(5_000)}`;
    assert.deepEqual(problems(parseJenkinsNotification(notification({ full_url: url, parameters: { ORZO_IMAGE: `a${'b'.repeat(4_096)}` } }))), [
      'build.full_url is 5019 characters; at most 4096',
      'build.parameters.ORZO_IMAGE is 4097 characters; at most 4096',
    ]);
    ok(parseJenkinsNotification(notification({ parameters: { RELEASE_NOTES: 'n'.repeat(10_000) } })));
  });
});
