import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createNodeWebhookHandler, type Omnidealer } from '@omnidealer/core';

/** A `node:http` endpoint routing `/hooks/<channel id>` to `hub.handleWebhook`. */
export interface WebhookServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Attaches the hub (the sandbox needs the URL before the hub's channels can be created). Until then: 503. */
  attach(hub: Omnidealer): void;
  close(): Promise<void>;
}

/** Starts the webhook endpoint on a free loopback port. */
export async function startWebhookServer(): Promise<WebhookServer> {
  const handlers = new Map<string, (request: IncomingMessage, response: ServerResponse) => Promise<void>>();
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    const channelId = /^\/hooks\/([\w-]+)/.exec(request.url ?? '')?.[1] ?? '';
    const handler = handlers.get(channelId);
    if (!handler) {
      response.writeHead(503).end('not ready');
      return;
    }
    handler(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    attach(hub) {
      for (const channelId of hub.channels.keys()) handlers.set(channelId, createNodeWebhookHandler(hub, channelId));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
