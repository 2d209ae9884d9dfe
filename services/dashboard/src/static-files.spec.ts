import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IMMUTABLE, NO_CACHE, cacheControlOf, contentTypeOf, fileUnder, isAppRoute } from './static-files';

describe('serving web/dist', () => {
  const root = '/srv/web/dist';

  it('maps URL paths to files under the root and never outside it', () => {
    assert.equal(fileUnder(root, '/'), '/srv/web/dist/index.html');
    assert.equal(fileUnder(root, '/assets/index-3fA9b1Cd.js'), '/srv/web/dist/assets/index-3fA9b1Cd.js');
    assert.equal(fileUnder(root, '/a%20b.txt'), '/srv/web/dist/a b.txt');
    // ../ cannot climb above the root: it stops there, as in a browser's own URL resolution.
    for (const climb of ['/../secret', '/%2e%2e/secret', '/assets/..%2f..%2f..%2fsecret']) assert.equal(fileUnder(root, climb), '/srv/web/dist/secret', climb);
    assert.equal(fileUnder(root, '/..'), '/srv/web/dist/index.html');
    for (const bad of ['/x%00.js', '/%E0%A4%A']) assert.equal(fileUnder(root, bad), null, bad);
  });

  it('caches hashed assets for a year and revalidates everything else, index.html above all', () => {
    assert.equal(cacheControlOf('/assets/index-3fA9b1Cd.js'), IMMUTABLE);
    assert.equal(cacheControlOf('/assets/logo-Bq1x_Zz9.svg'), IMMUTABLE);
    assert.equal(cacheControlOf('/index.html'), NO_CACHE);
    assert.equal(cacheControlOf('/favicon.ico'), NO_CACHE);
    assert.equal(cacheControlOf('/assets/plain.js'), NO_CACHE);
  });

  it('knows content types and tells app routes from missing files', () => {
    assert.equal(contentTypeOf('/x/index.html'), 'text/html; charset=utf-8');
    assert.equal(contentTypeOf('/x/a.JS'), 'text/javascript; charset=utf-8');
    assert.equal(contentTypeOf('/x/a.unknown'), 'application/octet-stream');
    assert.equal(isAppRoute('/services/hello/deploys'), true);
    assert.equal(isAppRoute('/assets/gone-12345678.js'), false);
    assert.equal(isAppRoute('/robots.txt'), false);
    assert.equal(isAppRoute('/deploys/hello/local.main', 'text/html,application/xhtml+xml'), true);
    assert.equal(isAppRoute('/assets/gone-12345678.js', 'text/html'), false);
  });
});
