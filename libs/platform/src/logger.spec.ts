import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from './logger';

/** The keys of a JSON object line in the order written, repeats included (JSON.parse hides them). */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let j = i + 1;
      while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(line.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = depth === 1 && c === '{';
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return keys;
}

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => void lines.push(...s.split('\n').filter(Boolean)) } };
}

describe('service logger', () => {
  it('never writes a key twice on a line, even when a call or a child gives pid or service', () => {
    const { lines, stream } = capture();
    const log = createLogger('discovery-publisher', 'info', stream);
    log.info({ pid: 4242, frontends: ['hello.main'] }, 'adopted the running haproxy');
    log.child({ consumer: 'c', pid: 7 }).info({ service: 'hello', buildId: 'b1' }, 'build requested');
    log.error({ err: new Error('boom') }, 'failed');
    assert.equal(lines.length, 3);
    for (const line of lines) {
      const keys = topLevelKeys(line);
      assert.deepEqual(
        keys.filter((k, i) => keys.indexOf(k) !== i),
        [],
        line,
      );
    }
    const [adopted, requested] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // The process's own pid and service stay where every reader expects them; the others are kept beside.
    assert.deepEqual({ service: adopted!.service, pid: adopted!.pid, _pid: adopted!._pid }, { service: 'discovery-publisher', pid: process.pid, _pid: 4242 });
    assert.deepEqual(
      { service: requested!.service, pid: requested!.pid, _pid: requested!._pid, _service: requested!._service, consumer: requested!.consumer },
      { service: 'discovery-publisher', pid: process.pid, _pid: 7, _service: 'hello', consumer: 'c' },
    );
  });

  it('the key scanner of this test sees repeats', () => {
    assert.deepEqual(topLevelKeys('{"a":1,"b":{"a":2},"c":"x,\\"a\\":","a":[{"d":1}]}'), ['a', 'b', 'c', 'a']);
  });
});
