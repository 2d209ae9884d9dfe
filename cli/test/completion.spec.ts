import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../src/main';

const repo = join(__dirname, '..', '..', '..');

async function script(shell: string): Promise<string> {
  const out: string[] = [];
  assert.equal(await main(['completion', shell], { out: (l) => void out.push(l), err: () => undefined }), 0);
  return out.join('\n');
}

/** What bash's completion offers for the words typed so far (the last one being completed). */
function complete(bashScript: string, ...words: string[]): string[] {
  const typed = words.map((w) => `'${w}'`).join(' ');
  const res = spawnSync('bash', ['-c', `${bashScript}\nCOMP_WORDS=(orzo ${typed}); COMP_CWORD=${words.length}; _orzo; printf '%s\\n' "\${COMPREPLY[@]}"`], {
    cwd: repo,
    encoding: 'utf8',
  });
  assert.equal(res.status, 0, res.stderr);
  return res.stdout.split('\n').filter(Boolean);
}

describe('orzo completion', () => {
  it('bash completes verbs, their options, option values and argument choices', async () => {
    const bash = await script('bash');
    assert.deepEqual(complete(bash, 'stat'), ['status']);
    assert.deepEqual(complete(bash, 'sta'), ['status', 'start']);
    assert.deepEqual(complete(bash, 'mark'), ['mark-for-deployment']);
    assert.deepEqual(complete(bash, 'status', '--j'), ['--json']);
    assert.deepEqual(complete(bash, 'mark-for-deployment', '-s', 'hello', '--w'), ['--wait']);
    assert.deepEqual(complete(bash, 'validate', '-y', 'examples/soa'), ['examples/soa-configs']);
    assert.deepEqual(complete(bash, 'status', '-s', ''), []);
    assert.deepEqual(complete(bash, 'completion', 'z'), ['zsh']);
    assert.deepEqual(complete(bash, 'help', 'get-'), ['get-latest-deployment']);
  });

  it('zsh gets a #compdef script that describes every verb', async () => {
    const zsh = await script('zsh');
    assert.match(zsh, /^#compdef orzo\n/);
    for (const verb of ['up', 'status', 'cook-image', 'completion']) assert.match(zsh, new RegExp(`\\n {4}'${verb}:`));
    // zsh is not always installed; when it is, the script must at least parse.
    const check = spawnSync('zsh', ['-n'], { input: zsh, encoding: 'utf8' });
    if (!check.error) assert.equal(check.status, 0, check.stderr);
  });
});
