import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { api } from '@orzo/contracts';
import { InvalidArgumentError } from '@orzo/platform';
import { MalformedRequest, decodingLeniently, refuseMalformed } from './malformed-request';

describe('decodingLeniently: request bytes that are not the message are refused, not a server fault', () => {
  const service = decodingLeniently(api.ControlApiService);

  it('decodes a valid request as before', () => {
    const bytes = api.ControlApiService.cancelBuild.requestSerialize({ buildId: 'b-1' });
    assert.deepEqual(refuseMalformed(service.cancelBuild.requestDeserialize(bytes)), { buildId: 'b-1' });
  });

  it('turns a truncated message and an impossible wire type into INVALID_ARGUMENT naming the message type', () => {
    const truncated = Buffer.from([0x0a, 0x05, 0x68]);
    const wireType7 = Buffer.from([0x0f, 0x00]);
    for (const bytes of [truncated, wireType7]) {
      const decoded = service.markForDeployment.requestDeserialize(bytes) as unknown;
      assert.ok(decoded instanceof MalformedRequest);
      assert.throws(
        () => refuseMalformed(decoded),
        (err: Error) => err instanceof InvalidArgumentError && /^the request is not a valid MarkForDeploymentRequest message \(.+\)$/.test(err.message),
      );
    }
  });
});
