import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A failure of one build step, with what the user needs to fix it. */
export class StepError extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; resolves with its exit code and output, killed when the signal aborts. */
export function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal; onLine?: (line: string) => void } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    const lines = (chunk: string, partial: { rest: string }) => {
      if (!options.onLine) return;
      const parts = (partial.rest + chunk).split('\n');
      partial.rest = parts.pop() ?? '';
      for (const l of parts) options.onLine(l);
    };
    const out = { rest: '' };
    const err = { rest: '' };
    child.stdout.setEncoding('utf8').on('data', (c: string) => ((stdout += c), lines(c, out)));
    child.stderr.setEncoding('utf8').on('data', (c: string) => ((stderr += c), lines(c, err)));
    child.on('error', reject);
    child.on('close', (code) => {
      for (const rest of [out.rest, err.rest]) if (rest && options.onLine) options.onLine(rest);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const git = (args: string[], options: Parameters<typeof run>[2] = {}) =>
  run('git', args, { ...options, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } });

/**
 * A cache of bare repositories, one per git URL, under the builder's workspace. A commit is
 * fetched once; later builds of the same repository fetch only what is new.
 */
export class Workspace {
  constructor(readonly root: string) {
    mkdirSync(join(root, 'repos'), { recursive: true });
    mkdirSync(join(root, 'checkouts'), { recursive: true });
  }

  repoDir(gitUrl: string): string {
    return join(this.root, 'repos', `${createHash('sha256').update(gitUrl).digest('hex').slice(0, 16)}.git`);
  }

  /** Makes the commit available in the cache; returns the bare repository's directory. */
  async fetch(gitUrl: string, sha: string, signal?: AbortSignal, onLine?: (l: string) => void): Promise<string> {
    const dir = this.repoDir(gitUrl);
    if (!existsSync(join(dir, 'HEAD'))) {
      const init = await git(['init', '--quiet', '--bare', dir], { signal });
      if (init.code !== 0) throw new StepError('fetch', `git init ${dir} failed: ${init.stderr.trim()}`);
    }
    if (await this.hasCommit(dir, sha)) return dir;
    onLine?.(`fetching ${gitUrl}`);
    const all = await git(['-C', dir, 'fetch', '--quiet', '--no-tags', '--force', gitUrl, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], {
      signal,
    });
    if (all.code !== 0) throw new StepError('fetch', `git fetch ${gitUrl} failed: ${all.stderr.trim().split('\n').slice(-3).join(' ')}`);
    if (await this.hasCommit(dir, sha)) return dir;
    // A commit no branch points at: some servers let it be fetched by its sha.
    await git(['-C', dir, 'fetch', '--quiet', '--no-tags', gitUrl, sha], { signal });
    if (await this.hasCommit(dir, sha)) return dir;
    throw new StepError('fetch', `commit ${sha} is not in ${gitUrl} (fetched every branch and tag)`);
  }

  private async hasCommit(dir: string, sha: string): Promise<boolean> {
    return (await git(['-C', dir, 'cat-file', '-e', `${sha}^{commit}`])).code === 0;
  }

  /** The full sha of a (possibly abbreviated) commit in the cache. */
  async resolve(dir: string, sha: string): Promise<string> {
    return (await git(['-C', dir, 'rev-parse', '--verify', `${sha}^{commit}`])).stdout.trim();
  }

  /** Whether a file exists at a path of the commit. */
  async exists(dir: string, sha: string, path: string): Promise<boolean> {
    return (await git(['-C', dir, 'cat-file', '-e', `${sha}:${path}`])).code === 0;
  }

  /**
   * The build context at a commit, written as a tar file (what Docker's /build takes). A file,
   * not git's stdout piped on: a failed `git archive` then fails here, with git's words,
   * instead of reaching Docker as an empty or cut context.
   */
  async contextTar(dir: string, sha: string, context: string, signal?: AbortSignal): Promise<{ path: string; dispose(): void }> {
    const treeish = context && context !== '.' ? `${sha}:${context.replace(/^\.\/|\/$/g, '')}` : sha;
    const path = join(mkdtempSync(join(this.root, 'checkouts', 'ctx-')), 'context.tar');
    const dispose = () => rmSync(dirname(path), { recursive: true, force: true });
    const res = await git(['-C', dir, 'archive', '--format=tar', '-o', path, treeish], { signal });
    if (res.code !== 0) {
      dispose();
      throw new StepError('fetch', `git archive ${treeish} failed: ${res.stderr.trim()}`);
    }
    return { path, dispose };
  }

  /** A throw-away checkout of the commit, for pipeline commands (itest, security-check). */
  async checkout(dir: string, sha: string, signal?: AbortSignal): Promise<{ path: string; dispose(): void }> {
    const path = mkdtempSync(join(this.root, 'checkouts', 'co-'));
    const res = await run('sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', dir, sha, path], { signal });
    if (res.code !== 0) throw new StepError('checkout', `could not check out ${sha}: ${res.stderr.trim()}`);
    return { path, dispose: () => rmSync(path, { recursive: true, force: true }) };
  }
}
