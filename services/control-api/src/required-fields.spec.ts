import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '@orzo/platform';
import { missingFields, requireFields } from './required-fields';

describe('required gRPC fields', () => {
  it('names every empty field as the .proto does, in the order given', () => {
    assert.deepEqual(missingFields({ service: '', deployGroup: '', image: 'x' }, { service: 'service', deployGroup: 'deploy_group', image: 'image' }), [
      'service is required',
      'deploy_group is required',
    ]);
  });

  it('throws one InvalidArgumentError listing them all, and nothing when all are given', () => {
    assert.throws(
      () => requireFields({ service: '', buildId: '' }, { service: 'service', buildId: 'build_id' }),
      (err: unknown) => err instanceof InvalidArgumentError && err.message === 'service is required; build_id is required',
    );
    assert.doesNotThrow(() => requireFields({ service: 'hello' }, { service: 'service' }));
  });
});
