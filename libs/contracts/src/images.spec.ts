import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageFor, registryOfImage, versionOf } from './images';

describe('image names', () => {
  it('names the image of a commit, with or without a registry', () => {
    assert.equal(imageFor('', 'web', 'abc1234'), 'services-web:orzo-abc1234');
    assert.equal(imageFor('registry.example:5000/team/', 'web', 'abc1234'), 'registry.example:5000/team/services-web:orzo-abc1234');
  });

  it('finds the registry host of an image reference, none for local and Docker Hub names', () => {
    const cases: Array<[string, string]> = [
      ['services-web:orzo-abc1234', ''],
      ['127.0.0.1:5000/services-web:orzo-abc1234', '127.0.0.1:5000'],
      ['registry.example/team/services-web:orzo-abc1234', 'registry.example'],
      ['localhost/web:1', 'localhost'],
      ['library/busybox:1', ''],
    ];
    for (const [image, registry] of cases) assert.equal(registryOfImage(image), registry, image);
  });

  it('reads the version an image stands for', () => {
    assert.equal(versionOf('r:5000/services-web:orzo-abc1234'), 'abc1234');
    assert.equal(versionOf('web:paasta-abcdef0-extra'), 'abcdef0');
    assert.equal(versionOf('web:v2'), 'v2');
    assert.equal(versionOf('web'), 'latest');
  });
});
