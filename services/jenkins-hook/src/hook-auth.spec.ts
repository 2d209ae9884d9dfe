import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HookAuth, presentedTokens, sameSecret, signatureOf, signatureProblem } from './hook-auth';
import type { JenkinsHookConfig } from './config';
import { HookError } from './hook-error';

const basic = (userinfo: string) => `Basic ${Buffer.from(userinfo).toString('base64')}`;

describe('webhook signature (GitHub X-Hub-Signature-256)', () => {
  it("matches GitHub's published test vector", () => {
    assert.equal(signatureOf("It's a Secret to Everybody", 'Hello, World!'), 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });

  it('accepts the exact signature, in either hex case, and refuses any other body, secret or format', () => {
    const secret = "It's a Secret to Everybody";
    const body = Buffer.from('Hello, World!');
    const good = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    assert.equal(signatureProblem(secret, body, good), null);
    assert.equal(signatureProblem(secret, body, good.toUpperCase().replace('SHA256=', 'sha256=')), null);
    assert.match(signatureProblem(secret, Buffer.from('Hello, World!\n'), good)!, /does not match the body/);
    assert.match(signatureProblem('another secret', body, good)!, /does not match the body/);
    assert.match(signatureProblem(secret, body, undefined)!, /header is required/);
    assert.match(signatureProblem(secret, body, good.slice('sha256='.length))!, /must be sha256=<64 hex digits>/);
    assert.match(signatureProblem(secret, body, 'sha1=0123')!, /must be sha256=/);
  });
});

describe('webhook token', () => {
  it('is found as Basic password (or user alone), Bearer, X-Orzo-Token and ?token=', () => {
    assert.deepEqual(presentedTokens({ authorization: basic('jenkins:s3cret-token') }, '/v1/jenkins/notification'), ['s3cret-token']);
    assert.deepEqual(presentedTokens({ authorization: basic('s3cret-token:') }, '/'), ['s3cret-token']);
    assert.deepEqual(presentedTokens({ authorization: basic('user:pa:ss') }, '/'), ['pa:ss'], 'the password may hold colons');
    assert.deepEqual(presentedTokens({ authorization: 'Bearer s3cret-token' }, '/'), ['s3cret-token']);
    assert.deepEqual(presentedTokens({ 'x-orzo-token': 's3cret-token' }, '/'), ['s3cret-token']);
    assert.deepEqual(presentedTokens({}, '/v1/jenkins/notification?token=s3cret%2Btoken'), ['s3cret+token']);
    assert.deepEqual(presentedTokens({}, '/v1/jenkins/notification'), []);
  });

  it('compares in constant time whatever the lengths', () => {
    assert.ok(sameSecret('s3cret-token', 's3cret-token'));
    assert.ok(!sameSecret('s3cret-token', 's3cret-toke'));
    assert.ok(!sameSecret('s3cret-token', 's3cret-token-and-more'));
    assert.ok(!sameSecret('s3cret-token', ''));
  });

  it('refuses with 503 when no token is configured, 401 when none or a wrong one is presented', () => {
    const status = (config: Partial<JenkinsHookConfig>, headers: Record<string, string>, url = '/') => {
      try {
        new HookAuth(config as JenkinsHookConfig).requireToken(headers, url);
        return 'ok';
      } catch (err) {
        assert.ok(err instanceof HookError);
        return `${err.status} ${err.message}`;
      }
    };
    assert.match(status({}, { 'x-orzo-token': 'anything-at-all' }), /^503 ORZO_JENKINS_TOKEN is not configured/);
    assert.match(status({ ORZO_JENKINS_TOKEN: 's3cret-token' }, {}), /^401 a token is required/);
    assert.match(status({ ORZO_JENKINS_TOKEN: 's3cret-token' }, { 'x-orzo-token': 'wrong-token' }), /^401 the token is wrong/);
    assert.equal(
      status({ ORZO_JENKINS_TOKEN: 's3cret-token' }, { authorization: basic('jenkins:wrong') }, '/?token=s3cret-token'),
      'ok',
      'any presented token may match',
    );
  });

  it('requires the signature only when a webhook secret is configured', () => {
    const body = Buffer.from('{"service":"hello"}');
    assert.doesNotThrow(() => new HookAuth({ ORZO_JENKINS_TOKEN: 's3cret-token' } as JenkinsHookConfig).requireSignature({}, body));
    const signed = new HookAuth({ ORZO_JENKINS_TOKEN: 's3cret-token', ORZO_WEBHOOK_SECRET: 'k' } as JenkinsHookConfig);
    assert.throws(
      () => signed.requireSignature({}, body),
      (e: HookError) => e.status === 401,
    );
    assert.doesNotThrow(() => signed.requireSignature({ 'x-hub-signature-256': signatureOf('k', body) }, body));
  });
});
