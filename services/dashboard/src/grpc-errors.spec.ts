import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { codeName, gatewayErrorOf, httpStatusOf } from './grpc-errors';

describe('gRPC status to HTTP', () => {
  it('maps the codes the browser acts on, and everything else to 500', () => {
    const expected: Array<[status, number]> = [
      [status.UNAUTHENTICATED, 401],
      [status.PERMISSION_DENIED, 403],
      [status.INVALID_ARGUMENT, 400],
      [status.NOT_FOUND, 404],
      [status.FAILED_PRECONDITION, 409],
      [status.ALREADY_EXISTS, 409],
      [status.UNAVAILABLE, 503],
      [status.DEADLINE_EXCEEDED, 503],
      [status.INTERNAL, 500],
      [status.UNKNOWN, 500],
      [status.RESOURCE_EXHAUSTED, 500],
      [status.CANCELLED, 500],
    ];
    for (const [code, http] of expected) assert.equal(httpStatusOf(code), http, codeName(code));
  });

  it('names codes as grpc-js does, UNKNOWN for a number it does not know', () => {
    assert.equal(codeName(status.PERMISSION_DENIED), 'PERMISSION_DENIED');
    assert.equal(codeName(0), 'OK');
    assert.equal(codeName(99), 'UNKNOWN');
  });

  it("keeps control-api's own message and says plainly when control-api cannot be reached", () => {
    const denied = gatewayErrorOf({ code: status.PERMISSION_DENIED, details: 'token viewer (scopes: read) may not call Rollback' });
    assert.deepEqual(denied, { httpStatus: 403, body: { error: 'token viewer (scopes: read) may not call Rollback', code: 'PERMISSION_DENIED' } });
    const down = gatewayErrorOf({ code: status.UNAVAILABLE, details: 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:50051' });
    assert.equal(down.httpStatus, 503);
    assert.match(down.body.error, /^control-api is not reachable/);
    const busy = gatewayErrorOf({ code: status.UNAVAILABLE, details: 'scheduler-bridge did not answer' });
    assert.equal(busy.body.error, 'scheduler-bridge did not answer');
  });

  it('answers 500 INTERNAL for an error that is not a gRPC status', () => {
    const odd = gatewayErrorOf(new TypeError('boom'));
    assert.equal(odd.httpStatus, 500);
    assert.equal(odd.body.code, 'INTERNAL');
    assert.match(odd.body.error, /boom/);
  });
});
