import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { causedBy, createEnvelope, decodeEvent, encodeEvent } from './envelope';
import { ALL_SUBJECTS, STREAMS, Subjects, streamForSubject, subjectMatches } from './subjects';

const requested = {
  buildId: 'b-1',
  service: 'web',
  gitUrl: '/repos/web',
  commitSha: 'abc123',
  dockerfile: '',
  context: '',
  buildArgs: { NODE_ENV: 'production' },
  requestedBy: 'jenkins',
  force: false,
  skipPipeline: false,
};

function body(value: unknown): Uint8Array {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
}

describe('event envelope', () => {
  it('round-trips an event through the wire form with all envelope fields', () => {
    const envelope = createEnvelope(Subjects.BuildRequested, { source: 'jenkins-hook' });
    const decoded = decodeEvent(Subjects.BuildRequested, encodeEvent(envelope, requested));
    assert.ok(decoded.ok, !decoded.ok ? decoded.reason : '');
    assert.deepEqual(decoded.event.envelope, envelope);
    assert.deepEqual(decoded.event.payload, requested);
    assert.equal(envelope.correlationId, envelope.id, 'a new workflow correlates to itself');
  });

  it('carries correlation and causation to a caused event', () => {
    const cause = createEnvelope(Subjects.BuildRequested, { source: 'jenkins-hook' });
    const effect = createEnvelope(Subjects.BuildStarted, causedBy(cause, 'builder'));
    assert.equal(effect.correlationId, cause.correlationId);
    assert.equal(effect.causationId, cause.id);
    assert.notEqual(effect.id, cause.id);
  });

  it('rejects a body that is not JSON with the parser message', () => {
    const decoded = decodeEvent(Subjects.BuildRequested, body('{not json'));
    assert.equal(decoded.ok, false);
    assert.match(!decoded.ok ? decoded.reason : '', /not valid JSON/);
  });

  it('lists every missing envelope field at once', () => {
    const decoded = decodeEvent(Subjects.BuildRequested, body({ payload: requested }));
    assert.equal(decoded.ok, false);
    const reason = !decoded.ok ? decoded.reason : '';
    for (const field of ['id', 'type', 'occurredAt', 'correlationId', 'source']) assert.match(reason, new RegExp(`envelope.${field}`));
  });

  it('rejects an event whose type is not the subject it arrived on', () => {
    const envelope = createEnvelope(Subjects.BuildRequested, { source: 't' });
    const decoded = decodeEvent(Subjects.BuildStarted, encodeEvent(envelope, requested));
    assert.equal(decoded.ok, false);
    assert.match(!decoded.ok ? decoded.reason : '', /does not match subject/);
  });

  it('rejects an unknown subject', () => {
    const decoded = decodeEvent(
      'orzo.nothing.here.v1',
      body({ id: 'x', type: 'orzo.nothing.here.v1', occurredAt: new Date().toISOString(), correlationId: 'x', source: 's', payload: {} }),
    );
    assert.equal(decoded.ok, false);
    assert.match(!decoded.ok ? decoded.reason : '', /unknown event type/);
  });

  it('rejects a payload missing required fields, naming the message', () => {
    const envelope = createEnvelope(Subjects.BuildRequested, { source: 't' });
    const decoded = decodeEvent(Subjects.BuildRequested, body({ ...envelope, payload: { buildId: 'b', service: '' } }));
    assert.equal(decoded.ok, false);
    const reason = !decoded.ok ? decoded.reason : '';
    assert.match(reason, /payload.service is required by BuildRequested/);
    assert.match(reason, /payload.commitSha is required/);
  });

  it('rejects an occurredAt that is not a time', () => {
    const envelope = createEnvelope(Subjects.BuildRequested, { source: 't', occurredAt: 'yesterday' });
    const decoded = decodeEvent(Subjects.BuildRequested, encodeEvent(envelope, requested));
    assert.equal(decoded.ok, false);
  });
});

describe('subjects and streams', () => {
  it('versions every subject as orzo.<domain>.<event>.v1', () => {
    for (const subject of ALL_SUBJECTS) assert.match(subject, /^orzo\.[a-z]+\.[a-z-]+\.v\d+$/);
  });

  it('puts every subject in exactly one stream', () => {
    for (const subject of ALL_SUBJECTS) {
      const holders = STREAMS.filter((s) => s.subjects.some((p) => subjectMatches(p, subject)));
      assert.equal(holders.length, 1, subject);
      assert.equal(streamForSubject(subject), holders[0]);
    }
  });

  it('matches NATS wildcards like the server does', () => {
    assert.ok(subjectMatches('orzo.build.>', 'orzo.build.requested.v1'));
    assert.ok(!subjectMatches('orzo.build.>', 'orzo.build'));
    assert.ok(subjectMatches('orzo.*.requested.v1', 'orzo.build.requested.v1'));
    assert.ok(!subjectMatches('orzo.*', 'orzo.build.requested.v1'));
  });
});
