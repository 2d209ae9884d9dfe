import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';

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

const gitEnv = (): NodeJS.ProcessEnv => ({ ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' });
const git = (args: string[], options: Parameters<typeof run>[2] = {}) => run('git', args, { ...options, env: gitEnv() });

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

  /**
   * Makes the commit available in the cache; returns the bare repository's directory. One git
   * process in the common case: the commit is fetched by its sha (protocol v2 servers, GitHub,
   * GitLab and a local path allow it), only its objects; a server that refuses unadvertised
   * objects gets the old way, every branch and tag, then the commit looked up among them. An
   * abbreviated sha is looked up in the cache first, then among every branch and tag.
   */
  async fetch(gitUrl: string, sha: string, signal?: AbortSignal, onLine?: (l: string) => void): Promise<string> {
    const dir = this.repoDir(gitUrl);
    if (!existsSync(join(dir, 'HEAD'))) {
      const init = await git(['init', '--quiet', '--bare', dir], { signal });
      if (init.code !== 0) throw new StepError('fetch', `git init ${dir} failed: ${init.stderr.trim()}`);
    }
    // Already here as a loose object (a small fetch leaves its objects loose): no process.
    if (sha.length === 40 && existsSync(join(dir, 'objects', sha.slice(0, 2), sha.slice(2)))) return dir;
    onLine?.(`fetching ${sha} from ${gitUrl}`);
    const fetch = (what: string[]) => git(['-C', dir, 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--force', gitUrl, ...what], { signal });
    // A fetch of a full sha succeeds only when the commit is here after it (one already in a
    // pack of the cache is found there by the fetch's negotiation, nothing transferred).
    if (sha.length === 40 && (await fetch([sha])).code === 0) return dir;
    if (await this.hasCommit(dir, sha)) return dir;
    onLine?.(`fetching every branch and tag of ${gitUrl}`);
    const all = await fetch(['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']);
    if (all.code !== 0) throw new StepError('fetch', `git fetch ${gitUrl} failed: ${all.stderr.trim().split('\n').slice(-3).join(' ')}`);
    if (await this.hasCommit(dir, sha)) return dir;
    throw new StepError('fetch', `commit ${sha} is not in ${gitUrl} (fetched it by its sha, then every branch and tag)`);
  }

  private async hasCommit(dir: string, sha: string): Promise<boolean> {
    return (await git(['-C', dir, 'cat-file', '-e', `${sha}^{commit}`])).code === 0;
  }

  /** The full sha of a (possibly abbreviated) commit in the cache. */
  async resolve(dir: string, sha: string): Promise<string> {
    return (await git(['-C', dir, 'rev-parse', '--verify', `${sha}^{commit}`])).stdout.trim();
  }

  /**
   * The build context at a commit as a tar stream, what Docker's /build takes: `git archive`'s
   * output passed on as it comes, no file in between. The stream ends only once git exited 0;
   * otherwise it is destroyed with the StepError (which `done` rejects with), so Docker never
   * takes a cut or empty context for a whole one: a request body destroyed before its end
   * fails the build request. `stop()`, for a build request that failed on its own: git is
   * killed (it would wait for a reader forever) and `done` resolves; but a git that had already
   * failed on its own (its 'close' still to come) rejects `done` all the same, so the build
   * fails with git's words, not Docker's.
   */
  contextStream(dir: string, sha: string, context: string, signal?: AbortSignal): { stream: Readable; done: Promise<void>; stop(): void } {
    const treeish = context && context !== '.' ? `${sha}:${context.replace(/^\.\/|\/$/g, '')}` : sha;
    // Its error is `done`'s: a stream nobody reads yet must not throw it as uncaught.
    const stream = new PassThrough().on('error', () => undefined);
    const child = spawn('git', ['-C', dir, 'archive', '--format=tar', treeish], {
      env: gitEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
      killSignal: 'SIGKILL',
    });
    let stderr = '';
    let stopped = false;
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdout.pipe(stream, { end: false });
    const done = new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      // 'close' comes after stdout closed: every byte of the archive is in the stream by then.
      child.on('close', (code) => (code === 0 || stopped ? resolve() : reject(new StepError('fetch', `git archive ${treeish} failed: ${stderr.trim()}`))));
    }).then(
      () => void (stopped ? stream.destroy() : stream.end()),
      (err: unknown) => {
        stream.destroy(err as Error);
        throw err;
      },
    );
    const stop = () => {
      // A git that had already exited with an error keeps it: `done` rejects with git's words.
      // Any later exit is this stop's doing (killed, or a write error on the dropped pipe).
      if (!child.exitCode) stopped = true;
      // What git wrote and nobody read would hold its 'close' back: dropped with its pipe.
      child.stdout.unpipe(stream);
      child.stdout.destroy();
      child.kill('SIGKILL');
    };
    return { stream, done, stop };
  }

  /** A throw-away checkout of the commit, for pipeline commands (itest, security-check). */
  async checkout(dir: string, sha: string, signal?: AbortSignal): Promise<{ path: string; dispose(): void }> {
    const path = mkdtempSync(join(this.root, 'checkouts', 'co-'));
    const res = await run('sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', dir, sha, path], { signal });
    if (res.code !== 0) throw new StepError('checkout', `could not check out ${sha}: ${res.stderr.trim()}`);
    return { path, dispose: () => rmSync(path, { recursive: true, force: true }) };
  }
}
