import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Omnidealer } from '../hub.js';

/** Converts a Node `IncomingMessage` into a web-standard `Request` without consuming more than the hub's limit. */
export function toWebRequest(request: IncomingMessage, baseUrl = 'http://localhost'): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const method = request.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(new URL(request.url ?? '/', baseUrl), {
    method,
    headers,
    ...(hasBody
      ? {
          body: new ReadableStream<Uint8Array>({
            start(controller) {
              request.on('data', (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk)));
              request.on('end', () => controller.close());
              request.on('error', (error) => controller.error(error));
            },
          }),
          duplex: 'half',
        }
      : {}),
  } as RequestInit);
}

/** Writes a web `Response` to a Node `ServerResponse`. */
export async function writeWebResponse(response: Response, target: ServerResponse): Promise<void> {
  target.statusCode = response.status;
  for (const [name, value] of response.headers) target.setHeader(name, value);
  target.end(Buffer.from(await response.arrayBuffer()));
}

/**
 * A Node `http` / Express handler that passes a webhook to `hub.handleWebhook(channelId, …)` (a channel id, or a
 * provider name such as `whatsapp` for the route its instances share).
 * Mount it before any body parser: signatures are checked over the raw bytes.
 * @example
 * http.createServer(createNodeWebhookHandler(hub, 'whatsapp')).listen(3000);
 * app.post('/hooks/whatsapp', createNodeWebhookHandler(hub, 'whatsapp'));
 */
export function createNodeWebhookHandler(
  hub: Omnidealer,
  channelId: string,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  return async (request, response) => {
    const webResponse = await hub.handleWebhook(channelId, toWebRequest(request));
    await writeWebResponse(webResponse, response);
  };
}
