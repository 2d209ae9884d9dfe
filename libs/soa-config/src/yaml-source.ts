import { readFileSync } from 'node:fs';
import { Document, isMap, isPair, isScalar, isSeq, LineCounter, Node, parseDocument } from 'yaml';
import { ConfigProblem } from './problems';

export type KeyPath = ReadonlyArray<string | number>;

/** A parsed YAML file: its plain data (merge keys resolved) and where each key sits. */
export interface YamlSource {
  file: string;
  data: unknown;
  problems: ConfigProblem[];
  /** 1-based line and column of the key at `path` (or of its value, for list items); the file start when unknown. */
  locate(path: KeyPath): { line: number; column: number };
}

/**
 * Parses YAML 1.1-style soa-configs (anchors, aliases and `<<` merge keys, as PaaSTA's
 * templates use). Never throws: syntax errors, duplicate keys and unreadable files come back
 * as problems with their line and column.
 */
export function parseYaml(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const problems: ConfigProblem[] = [];
  let doc: Document.Parsed | undefined;
  try {
    doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false, strict: true });
  } catch (err) {
    problems.push({ file, line: 0, column: 0, path: '', message: `cannot parse YAML: ${(err as Error).message}`, severity: 'error' });
  }
  const position = (offset: number | undefined) => {
    if (offset === undefined) return { line: 1, column: 1 };
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  for (const e of doc?.errors ?? []) {
    const { line, column } = position(e.pos[0]);
    problems.push({ file, line, column, path: '', message: e.message.split('\n')[0]!, hint: e.code === 'DUPLICATE_KEY' ? 'each key may appear once in a mapping' : undefined, severity: 'error' });
  }
  let data: unknown = undefined;
  if (doc && doc.errors.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      problems.push({ file, line: 1, column: 1, path: '', message: `cannot resolve YAML: ${(err as Error).message}`, severity: 'error' });
    }
  }
  return {
    file,
    data: data ?? null,
    problems,
    locate: (path) => position(doc ? offsetOf(doc.contents, path) : undefined),
  };
}

export function readYaml(file: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { file, data: null, problems: [{ file, line: 0, column: 0, path: '', message: `cannot read file: ${(err as Error).message}`, severity: 'error' }], locate: () => ({ line: 0, column: 0 }) };
  }
  return parseYaml(file, text);
}

/** Offset of the key at `path`, falling back to the deepest ancestor found (e.g. a merged key). */
function offsetOf(root: Node | null | unknown, path: KeyPath): number | undefined {
  let node = root as Node | null | undefined;
  let offset = node?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return offset;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) return offset;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}
