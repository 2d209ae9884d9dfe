import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGenericWebhook } from './generic-webhook';

const id = { key: 'webhook:d-1', requestedBy: 'webhook:d-1' };

describe('generic build webhook body', () => {
  it('asks for the service at the sha, with optional repository, Dockerfile and context', () => {
    const r = parseGenericWebhook(
      { service: 'hello', sha: 'ABCDEF0123', git_url: 'https://git/hello.git', dockerfile: 'docker/Dockerfile', context: 'app' },
      id,
    );
    assert.ok(r.ok);
    const d = r.delivery;
    assert.deepEqual(
      [d.key, d.service, d.acts, d.commitSha, d.gitUrl, d.dockerfile, d.context, d.image, d.requestedBy],
      ['webhook:d-1', 'hello', true, 'abcdef0123', 'https://git/hello.git', 'docker/Dockerfile', 'app', '', 'webhook:d-1'],
    );
  });

  it('names every bad field at once', () => {
    const r = parseGenericWebhook({ sha: 'xyz', image: 'bad image', git_url: 7, dockerfile: '../Dockerfile', context: '/etc' }, id);
    assert.ok(!r.ok);
    assert.deepEqual(r.problems, [
      'service is required',
      'git_url must be a string (got 7)',
      'sha "xyz" is not a hex git sha (7-40 characters)',
      'image "bad image" is not an image reference',
      'dockerfile "../Dockerfile" must be a path inside the build context (relative, no ..)',
      'context "/etc" must be a path inside the repository (relative, no ..)',
    ]);
    const empty = parseGenericWebhook({}, id);
    assert.ok(!empty.ok);
    assert.deepEqual(empty.problems, ['service is required', 'sha is required']);
  });

  it('refuses a field longer than 4096 characters, saying so without repeating it', () => {
    const r = parseGenericWebhook({ service: 'hello', sha: 'abcdef0', git_url: `https://git/${'x'.repeat(5_000)}` }, id);
    assert.ok(!r.ok);
    assert.deepEqual(r.problems, ['git_url is 5012 characters; at most 4096']);
  });
});
