import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createNodeWebhookHandler, type Omnidealer } from '@omnidealer/core';

/** The demo's webhook endpoint: one `node:http` server, one path per channel, every request through the hub. */
export interface HubServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Attaches the hub once it exists (the sandbox needs the URL before the channels can be created). */
  attach(hub: Omnidealer): void;
  close(): Promise<void>;
}

/** Path prefix → hub channel id. Avito's secret is the path segment after `/hooks/avito/`. */
const routes: ReadonlyArray<readonly [string, string]> = [
  ['/hooks/whatsapp', 'whatsapp'],
  ['/hooks/avito/', 'avito'],
  ['/hooks/sms', 'sms'],
  ['/hooks/email', 'email'],
];

/** Starts the webhook server on `host:port` (port 0: a free one). Requests before `attach` get 503. */
export async function startHubServer(options: { host?: string; port?: number } = {}): Promise<HubServer> {
  const handlers = new Map<string, (request: IncomingMessage, response: ServerResponse) => Promise<void>>();
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const route = routes.find(([prefix]) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
    const handler = route && handlers.get(route[1]);
    if (!route || !handler) {
      response.writeHead(route ? 503 : 404, { 'content-type': 'text/plain' }).end(route ? 'not ready' : 'not found');
      return;
    }
    handler(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve((server.address() as AddressInfo).port));
  });
  return {
    url: `http://${host}:${port}`,
    attach(hub) {
      for (const [, channelId] of routes) {
        if (hub.channels.has(channelId)) handlers.set(channelId, createNodeWebhookHandler(hub, channelId));
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
