import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A webhook request the test receiver got. */
export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  text: string;
}

/**
 * A tiny loopback HTTP server recording every request, for tests of the sandbox's webhooks.
 * `respond` decides the answer (default 200 "ok"). Not exported from the package.
 */
export async function startTestReceiver(
  respond?: (request: ReceivedWebhook, index: number) => { status: number; body?: string },
) {
  const received: ReceivedWebhook[] = [];
  const server = createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const request: ReceivedWebhook = {
      method: incoming.method ?? 'GET',
      path: incoming.url ?? '/',
      headers: incoming.headers,
      raw,
      text: raw.toString('utf8'),
    };
    received.push(request);
    const answer = respond?.(request, received.length - 1) ?? { status: 200, body: 'ok' };
    outgoing.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body ?? '');
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    json: () => received.filter((request) => request.method === 'POST').map((request) => JSON.parse(request.text) as any),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
