import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError } from '@orzo/platform';
import { callStatusOf } from './grpc-status';

describe('callStatusOf: domain errors become their gRPC status, everything else INTERNAL', () => {
  it('maps each domain error kind to its code and keeps its message as the details', () => {
    const cases: Array<[Error, status]> = [
      [new NotFoundError('unknown service nosuch'), status.NOT_FOUND],
      [new InvalidArgumentError('service is required'), status.INVALID_ARGUMENT],
      [new FailedPreconditionError('hello/deploy.yaml:3:5: bad'), status.FAILED_PRECONDITION],
      [new UnavailableError('the builder did not answer'), status.UNAVAILABLE],
    ];
    for (const [err, code] of cases) assert.deepEqual(callStatusOf('GetStatus', err), { code, details: err.message, refused: true }, err.name);
  });

  it('answers INTERNAL naming the method for any other error, and for a thrown non-error', () => {
    assert.deepEqual(callStatusOf('ListBuilds', new TypeError("Cannot read properties of undefined (reading 'x')")), {
      code: status.INTERNAL,
      details: "ListBuilds failed: Cannot read properties of undefined (reading 'x')",
      refused: false,
    });
    assert.deepEqual(callStatusOf('GetHistory', 'boom'), { code: status.INTERNAL, details: 'GetHistory failed: boom', refused: false });
  });
});
