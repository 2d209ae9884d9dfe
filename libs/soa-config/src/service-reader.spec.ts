import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repositoryOf } from './service-reader';

describe("a service's repository from service.yaml", () => {
  it('keeps URLs and absolute paths, and resolves a relative path from the service directory', () => {
    const dir = '/srv/soa-configs/hello';
    assert.equal(repositoryOf({ dir, gitUrl: 'https://git.example/hello.git' }), 'https://git.example/hello.git');
    assert.equal(repositoryOf({ dir, gitUrl: 'git@github.com:org/hello.git' }), 'git@github.com:org/hello.git');
    assert.equal(repositoryOf({ dir, gitUrl: 'file:///repos/hello' }), 'file:///repos/hello');
    assert.equal(repositoryOf({ dir, gitUrl: '/repos/hello' }), '/repos/hello');
    assert.equal(repositoryOf({ dir, gitUrl: '../../services/hello' }), '/srv/services/hello');
    assert.equal(repositoryOf({ dir, gitUrl: undefined }), '');
  });
});
