/**
 * How `orzo up` shows its children's log lines. Services log pino JSON (one record a line); on a
 * terminal a person reads them better as `time service level message k=v ...`. Pure functions:
 * the runner decides (TTY, --json-logs) and calls them.
 */
export interface LogView {
  /** false: pass every line through as it came, prefixed with the service (for programs and files). */
  readable: boolean;
  /** ANSI colours for the level (a terminal without NO_COLOR). */
  color: boolean;
}

/** The prefix every passed-through line gets; tests and tools match `<service> | {...}`. */
export function prefixed(service: string, line: string): string {
  return `${service.padEnd(20)}| ${line}`;
}

const LEVELS: Record<string, { label: string; ansi: string }> = {
  trace: { label: 'TRACE', ansi: '90' },
  debug: { label: 'DEBUG', ansi: '36' },
  info: { label: 'INFO', ansi: '32' },
  warn: { label: 'WARN', ansi: '33' },
  error: { label: 'ERROR', ansi: '31' },
  fatal: { label: 'FATAL', ansi: '1;31' },
};
// pino writes numbers when no level formatter is configured.
const NUMERIC: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

// Shown in the line's fixed columns, or the same on every line of a process.
const SHOWN_ELSEWHERE = new Set(['time', 'level', 'msg', 'service', 'pid', 'hostname']);
const STACK_FRAMES = 5;

/** One line of a child's output as the operator sees it (possibly several lines: stack frames). */
export function formatLogLine(service: string, line: string, view: LogView): string {
  if (!view.readable) return prefixed(service, line);
  const record = parseRecord(line);
  if (!record) return prefixed(service, line);
  const levelName = typeof record.level === 'number' ? (NUMERIC[record.level] ?? String(record.level)) : String(record.level ?? '');
  const level = LEVELS[levelName] ?? { label: levelName.toUpperCase(), ansi: '' };
  const label = level.label.padEnd(5);
  const head = [clock(record.time), service.padEnd(20), view.color && level.ansi ? `\x1b[${level.ansi}m${label}\x1b[0m` : label];
  const msg = typeof record.msg === 'string' ? record.msg : '';
  const fields: string[] = [];
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (SHOWN_ELSEWHERE.has(key) || value === undefined) continue;
    if (isError(value)) {
      fields.push(`${key}=${quote(`${value.type ?? 'Error'}: ${value.message}`)}`);
      if (typeof value.code === 'string' || typeof value.code === 'number') fields.push(`${key}.code=${value.code}`);
      if (typeof value.stack === 'string') stacks.push(value.stack);
    } else if (key === 'stack' && typeof value === 'string' && value.includes('\n')) stacks.push(value);
    else fields.push(`${key}=${formatValue(value)}`);
  }
  const first = [...head, [msg, ...fields].filter(Boolean).join(' ')].join(' ');
  return [first, ...stacks.flatMap(compactStack)].join('\n');
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    return 'level' in record || 'msg' in record ? record : undefined;
  } catch {
    return undefined;
  }
}

/** HH:MM:SS.mmm in the local time zone, from pino's ISO time or epoch milliseconds. */
function clock(time: unknown): string {
  const d = typeof time === 'string' || typeof time === 'number' ? new Date(time) : new Date(NaN);
  if (Number.isNaN(d.getTime())) return '--:--:--.---';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function isError(v: unknown): v is { type?: string; message: string; stack?: unknown; code?: unknown } {
  return typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string' && 'stack' in v;
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

// Bare when it reads unambiguously as one token, JSON-quoted otherwise (spaces, quotes, '=').
function quote(s: string): string {
  return /^[^\s"'=]+$/.test(s) ? s : JSON.stringify(s);
}

/** The first frames of a stack, indented under the record (Node's own frames left out). */
function compactStack(stack: string): string[] {
  const frames = stack
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at ') && !l.includes('(node:internal/') && !l.startsWith('at node:internal/'));
  const shown = frames.slice(0, STACK_FRAMES).map((f) => `    ${f}`);
  if (frames.length > STACK_FRAMES) shown.push(`    ... ${frames.length - STACK_FRAMES} more`);
  return shown;
}

/** Readable on a terminal unless --json-logs; colour unless NO_COLOR (no-color.org) or a dumb terminal. */
export function chooseLogView(jsonLogs: boolean, isTTY: boolean, env: NodeJS.ProcessEnv): LogView {
  const readable = !jsonLogs && isTTY;
  return { readable, color: readable && !env.NO_COLOR && env.TERM !== 'dumb' };
}
