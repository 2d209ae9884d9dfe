import { createHmac, timingSafeEqual } from 'node:crypto';
import { IncomingMessage, Server, createServer } from 'node:http';

/** One request a recorder took, with the problems found in it (none for a valid one). */
export interface Recorded {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  problems: string[];
}

export interface Recorder {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

function startRecorder(check: (req: IncomingMessage, raw: string) => { status: number; problems: string[]; body: unknown }): Promise<Recorder> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const r = check(req, raw);
      requests.push({ path: req.url ?? '', headers: req.headers, body: r.body, problems: r.problems });
      res.statusCode = r.status;
      res.end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        requests,
        close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
      }),
    ),
  );
}

/**
 * The webhook receiver of a chat relay: checks X-Orzo-Signature-256 (sha256=<hex HMAC-SHA256
 * over the raw body>) with a constant-time compare, as a receiver must.
 */
export function startWebhookRecorder(secret: string): Promise<Recorder> {
  return startRecorder((req, raw) => {
    const problems: string[] = [];
    const sig = String(req.headers['x-orzo-signature-256'] ?? '');
    const expected = `sha256=${createHmac('sha256', secret).update(raw, 'utf8').digest('hex')}`;
    if (sig.length !== expected.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(expected))) problems.push(`bad signature ${sig}`);
    if (req.method !== 'POST') problems.push(`method ${req.method}`);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      problems.push('body is not JSON');
    }
    return { status: problems.length ? 401 : 200, problems, body };
  });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrMap = (v: unknown) => isObj(v) && Object.values(v).every((x) => typeof x === 'string');
const NAME = /^[\w.-]+$/;

/**
 * No Sensu Go backend can run here, so this recorder stands in for one: it accepts only what the
 * backend's events API documents (sensu/sensu-go api/core/v2 event.proto, check.proto,
 * entity.proto; backend/apid/routers/events.go): POST /api/core/v2/namespaces/<ns>/events,
 * `Authorization: Key <key>`, an entity with metadata name and namespace (proxy class), a check
 * whose metadata holds string-only labels and annotations, status an integer, interval > 0,
 * ttl 0 or greater than interval, handlers a list of names, the event and URL namespaces equal.
 * Anything else is answered 400 and recorded with its problems; a valid event 201, as Sensu does.
 */
export function startSensuRecorder(apiKey: string, namespace: string): Promise<Recorder> {
  return startRecorder((req, raw) => {
    const problems: string[] = [];
    const m = /^\/api\/core\/v2\/namespaces\/([^/]+)\/events$/.exec(req.url ?? '');
    if (req.method !== 'POST') problems.push(`method ${req.method}`);
    if (!m) problems.push(`path ${req.url}`);
    if (req.headers.authorization !== `Key ${apiKey}`) problems.push(`authorization ${req.headers.authorization}`);
    if (!String(req.headers['content-type']).startsWith('application/json')) problems.push('content-type');
    let e: unknown;
    try {
      e = JSON.parse(raw);
    } catch {
      problems.push('body is not JSON');
    }
    if (!isObj(e)) return { status: 400, problems: [...problems, 'event is not an object'], body: e };
    const entity = e.entity;
    const check = e.check;
    if (!isObj(entity) || !isObj(entity.metadata) || typeof entity.metadata.name !== 'string' || !NAME.test(entity.metadata.name))
      problems.push('entity.metadata.name');
    else if (entity.metadata.namespace !== namespace || (m && m[1] !== namespace)) problems.push('namespace');
    if (isObj(entity) && entity.entity_class !== undefined && entity.entity_class !== 'proxy') problems.push('entity_class');
    if (!isObj(check) || !isObj(check.metadata)) problems.push('check.metadata');
    else {
      const md = check.metadata;
      if (typeof md.name !== 'string' || !NAME.test(md.name)) problems.push('check.metadata.name');
      if (md.labels !== undefined && !isStrMap(md.labels)) problems.push('check.metadata.labels must be strings');
      if (md.annotations !== undefined && !isStrMap(md.annotations)) problems.push('check.metadata.annotations must be strings');
      if (!Number.isInteger(check.status) || (check.status as number) < 0) problems.push('check.status');
      if (typeof check.output !== 'string') problems.push('check.output');
      if (!Number.isInteger(check.interval) || (check.interval as number) < 1) problems.push('check.interval');
      const ttl = check.ttl as number;
      if (!Number.isInteger(ttl) || (ttl !== 0 && ttl <= (check.interval as number))) problems.push('ttl must be greater than check interval');
      if (!Array.isArray(check.handlers) || !check.handlers.every((h) => typeof h === 'string')) problems.push('check.handlers');
    }
    if (e.timestamp !== undefined && !Number.isInteger(e.timestamp)) problems.push('timestamp');
    return { status: problems.length ? 400 : 201, problems, body: e };
  });
}
