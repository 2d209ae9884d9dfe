import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailedPreconditionError, NotFoundError } from '@orzo/platform';
import type { DeployMark } from '../history/deploy-mark.entity';
import { outcomeOf } from './deployments.service';
import { isRollbackReason, rollbackTarget } from './rollback-target';

const mark = (gitSha: string, n: number): DeployMark => ({
  id: `d${n}`,
  service: 'hello',
  deployGroup: 'local.main',
  image: `services-hello:orzo-${gitSha}`,
  gitSha,
  requestedBy: 'alice',
  reason: 'mark-for-deployment',
  eventId: `e${n}`,
  createdAt: `2026-01-01T00:00:0${n}Z`,
});

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

describe('rollbackTarget: which version a rollback goes back to', () => {
  it('takes the newest earlier version with another sha, skipping re-marks of the current one', () => {
    const recent = [mark(C, 4), mark(C, 3), mark(B, 2), mark(A, 1)];
    assert.equal(rollbackTarget(recent, new Set()).target.gitSha, B);
    assert.equal(rollbackTarget(recent, new Set()).current.id, 'd4');
  });

  it('skips a version that was itself rolled back', () => {
    assert.equal(rollbackTarget([mark(C, 3), mark(B, 2), mark(A, 1)], new Set([B])).target.gitSha, A);
  });

  it('takes the version given by a sha prefix, even one rolled back before (a person chose it)', () => {
    assert.equal(rollbackTarget([mark(C, 3), mark(B, 2), mark(A, 1)], new Set([B]), 'bbbbbbb').target.id, 'd2');
  });

  it('refuses a group never marked, a sha it did not run, the current version and a group with one version', () => {
    assert.throws(
      () => rollbackTarget([], new Set()),
      (e: Error) => e instanceof NotFoundError && /never marked/.test(e.message),
    );
    assert.throws(
      () => rollbackTarget([mark(B, 2), mark(A, 1)], new Set(), 'ddddddd'),
      (e: Error) =>
        e instanceof NotFoundError && /ddddddd is not among the recent versions of hello deploy group local.main: bbbbbbbbbbbb, aaaaaaaaaaaa/.test(e.message),
    );
    assert.throws(() => rollbackTarget([mark(B, 2), mark(A, 1)], new Set(), 'bbbbbbb'), FailedPreconditionError);
    assert.throws(
      () => rollbackTarget([mark(A, 2), mark(A, 1)], new Set()),
      (e: Error) => e instanceof FailedPreconditionError && /no earlier version to go back to/.test(e.message),
    );
  });

  it('knows the marks a rollback makes', () => {
    assert.deepEqual(['rollback', 'auto-rollback', 'pipeline', 'mark-for-deployment'].map(isRollbackReason), [true, true, false, false]);
  });
});

describe('outcomeOf: how a deploy went from its instances', () => {
  it('is none without instances, failed when one failed, completed when all completed, else requested', () => {
    assert.equal(outcomeOf([]), 'none');
    assert.equal(outcomeOf([{ state: 'completed' }, { state: 'failed' }]), 'failed');
    assert.equal(outcomeOf([{ state: 'completed' }, { state: 'completed' }]), 'completed');
    assert.equal(outcomeOf([{ state: 'completed' }, { state: 'requested' }]), 'requested');
  });
});
