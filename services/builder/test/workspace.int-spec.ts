import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createGitRepo } from '@orzo/testing';
import { StepError, Workspace } from '../src/workspace';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Workspace.contextStream: git archive's output as a build context (real git, no Docker)", () => {
  it("cut off with git's words when git fails; git stopped when nobody reads it, but a git that failed on its own before stop() still fails the context", async () => {
    const root = mkdtempSync(join(tmpdir(), 'orzo-ws-'));
    const bin = mkdtempSync(join(tmpdir(), 'orzo-fake-git-'));
    const repo = createGitRepo();
    const path = process.env.PATH;
    try {
      const ws = new Workspace(root);
      const sha = repo.commit({ 'big.bin': randomBytes(3 << 20).toString('base64') }, 'a context larger than a pipe');
      const dir = await ws.fetch(repo.dir, sha);
      const missing = ws.contextStream(dir, sha, 'no-such-dir');
      await assert.rejects(missing.done, (err: unknown) => err instanceof StepError && err.step === 'fetch' && /git archive .* failed/.test(err.message));
      assert.ok(missing.stream.destroyed, 'the body is cut off, not ended');
      // A build request that failed before reading the context: git, blocked on a full pipe, is killed.
      const unread = ws.contextStream(dir, sha, '');
      await sleep(200);
      unread.stop();
      await unread.done;
      assert.ok(unread.stream.destroyed);

      // git failed (exit 128) and the build request failed too, stop() coming before git's
      // 'close' (held back here by a child of the fake git that keeps its stdout open).
      writeFileSync(join(bin, 'git'), '#!/bin/sh\nsleep 2 2>/dev/null &\necho "fatal: not a valid object name" >&2\nexit 128\n', { mode: 0o755 });
      process.env.PATH = `${bin}:${path}`;
      const failed = ws.contextStream(dir, sha, '');
      await sleep(300);
      failed.stop();
      await assert.rejects(
        failed.done,
        (err: unknown) => err instanceof StepError && err.step === 'fetch' && /git archive .* failed: fatal: not a valid object name/.test(err.message),
      );
      assert.ok(failed.stream.destroyed, 'the body is cut off, not ended');
    } finally {
      process.env.PATH = path;
      for (const dir of [root, bin, repo.dir]) rmSync(dir, { recursive: true, force: true });
    }
  });
});
