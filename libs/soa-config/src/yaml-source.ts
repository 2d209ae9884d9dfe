import { readFileSync } from 'node:fs';
import * as jsYaml from 'js-yaml';
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

// js-yaml exports its built-in types at run time; @types/js-yaml 4 does not declare them.
const mergeType = (jsYaml as unknown as { types: { merge: jsYaml.Type } }).types.merge;
const SCHEMA = jsYaml.CORE_SCHEMA.extend({ implicit: [mergeType] });

/**
 * Parses YAML 1.1-style soa-configs (anchors, aliases and `<<` merge keys, as PaaSTA's
 * templates use) with js-yaml's core schema (no timestamps: dates stay strings). Never throws:
 * a syntax error or a duplicate key comes back as a problem with its line and column. Key
 * positions come from a second, position-keeping parse that runs only when a problem needs
 * one, so a clean tree pays for one fast parse.
 */
export function parseYaml(file: string, text: string): YamlSource {
  const problems: ConfigProblem[] = [];
  let data: unknown = null;
  try {
    data = jsYaml.load(text, { schema: SCHEMA, filename: file }) ?? null;
  } catch (err) {
    const e = err as { reason?: string; message?: string; mark?: { line: number; column: number } };
    const reason = e.reason ?? e.message ?? String(err);
    problems.push({
      file,
      line: (e.mark?.line ?? 0) + 1,
      column: (e.mark?.column ?? 0) + 1,
      path: '',
      message: `YAML ${reason}`,
      hint: /duplicated mapping key/.test(reason) ? 'each key may appear once in a mapping' : undefined,
      severity: 'error',
    });
    data = null;
  }
  let located: ((path: KeyPath) => { line: number; column: number }) | undefined;
  return {
    file,
    data,
    problems,
    locate: (path) => (located ??= positionsOf(text))(path),
  };
}

function positionsOf(text: string): (path: KeyPath) => { line: number; column: number } {
  const lineCounter = new LineCounter();
  let doc: Document.Parsed | undefined;
  try {
    doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: false, strict: false });
  } catch {
    doc = undefined;
  }
  return (path) => {
    const offset = doc ? offsetOf(doc.contents, path) : undefined;
    if (offset === undefined) return { line: 1, column: 1 };
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
}

export function readYaml(file: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return {
      file,
      data: null,
      problems: [{ file, line: 0, column: 0, path: '', message: `cannot read file: ${(err as Error).message}`, severity: 'error' }],
      locate: () => ({ line: 0, column: 0 }),
    };
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
