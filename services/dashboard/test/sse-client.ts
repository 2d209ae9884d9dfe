/** One server-sent event as the browser's EventSource would see it. */
export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/** An open server-sent events response read as it arrives; close() drops the connection as a closed tab does. */
export interface SseReader {
  status: number;
  headers: Headers;
  events: SseEvent[];
  /** Resolves when the server ended the response (or the reader was closed). */
  done: Promise<void>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  const read = async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const parsed = parseBlock(block);
          if (parsed) events.push(parsed);
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  };
  return { status: res.status, headers: res.headers, events, done: read(), close: () => abort.abort() };
}

/** One event block; null for a comment-only block (the heartbeat). */
function parseBlock(block: string): SseEvent | null {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  return data.length || id !== undefined || event !== 'message' ? { event, id, data: data.join('\n') } : null;
}
