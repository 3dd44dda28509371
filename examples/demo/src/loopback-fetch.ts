import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** A `fetch` for plain-HTTP loopback traffic, plus `close()` for its keep-alive sockets. */
export interface LoopbackFetch {
  fetch: typeof fetch;
  close(): void;
}

const toHeaders = (incoming: IncomingHttpHeaders): Headers => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
};

async function bodyOf(body: BodyInit | null | undefined): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof URLSearchParams) return Buffer.from(body.toString(), 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.from(await new Response(body).arrayBuffer());
}

/**
 * A small `fetch` over `node:http` with a keep-alive agent, for the demo's loopback traffic (hub → sandbox sends,
 * sandbox → hub webhooks). Same requests and responses on the wire as `globalThis.fetch`, at a fraction of undici's
 * CPU per request — which matters when 3000 contacts make ~20 000 requests on one core. Plain HTTP only.
 */
export function createLoopbackFetch(): LoopbackFetch {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const loopbackFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : String(input));
    if (url.protocol !== 'http:') return fetch(input, init);
    const method = init?.method ?? request?.method ?? 'GET';
    const headers = new Headers(request?.headers);
    for (const [name, value] of new Headers(init?.headers)) headers.set(name, value);
    const body =
      init?.body !== undefined ? await bodyOf(init.body) : request?.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const signal = init?.signal ?? request?.signal ?? undefined;
    if (body && !headers.has('content-length')) headers.set('content-length', String(body.length));
    return new Promise<Response>((resolve, reject) => {
      const outgoing = httpRequest(
        url,
        { method, headers: Object.fromEntries(headers), agent, ...(signal ? { signal } : {}) },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => {
            const status = incoming.statusCode ?? 500;
            const empty = status === 204 || status === 205 || status === 304 || method === 'HEAD';
            resolve(
              new Response(empty ? null : Buffer.concat(chunks), {
                status,
                statusText: incoming.statusMessage ?? '',
                headers: toHeaders(incoming.headers),
              }),
            );
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  };
  return { fetch: loopbackFetch as typeof fetch, close: () => agent.destroy() };
}
