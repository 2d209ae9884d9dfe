import type { IncomingMessage } from 'node:http';
import { Refusal } from './refusal';

/** No request of the API is anywhere near this; a larger body is refused unread. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The request body as a JSON object; an empty body is `{}` (every field at its default). */
export async function readJsonObject(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  if (Number(req.headers['content-length']) > maxBytes) throw new Refusal(413, `request body is larger than ${maxBytes} bytes`, 'INVALID_ARGUMENT');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new Refusal(413, `request body is larger than ${maxBytes} bytes`, 'INVALID_ARGUMENT');
    chunks.push(chunk);
  }
  return parseJsonObject(Buffer.concat(chunks).toString('utf8'), 'request body');
}

/** `text` as a JSON object (blank: `{}`); 400 naming `what` for anything else. */
export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw Refusal.badRequest(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw Refusal.badRequest(`${what} must be a JSON object (the request message)`);
  return json as Record<string, unknown>;
}
