import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Omnidealer } from '../hub.js';
import { createNodeWebhookHandler } from './node-adapter.js';

/** A Node `http` / Express request handler. */
export type NodeRequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * One Node `http` / Express handler for every channel of the hub: `<prefix><channel id>` goes to
 * `hub.handleWebhook(channelId, …)`, including deeper paths and query strings (`/hooks/avito/<secret>`,
 * `/hooks/sms?token=…`); `<prefix><provider>` (`/hooks/whatsapp`, `/hooks/avito`, `/hooks/max`, `/hooks/telegram`,
 * `/hooks/vk`) serves every instance of that provider, each delivery routed to the number, account or bot it names
 * (see `Channel.claimWebhook`). A channel id wins over a provider name: with several WhatsApp numbers, give none of
 * them the id `whatsapp` to use `/hooks/whatsapp` for all. Other paths get 404. Mount it before any body parser:
 * signatures are checked over the raw bytes.
 * @example
 * http.createServer(createNodeWebhookRouter(hub)).listen(3000); // POST /hooks/whatsapp, /hooks/sms, …
 * app.use(createNodeWebhookRouter(hub)); // Express
 */
export function createNodeWebhookRouter(hub: Omnidealer, options: { prefix?: string } = {}): NodeRequestHandler {
  const prefix = options.prefix ?? '/hooks/';
  const routes = new Set(hub.channels.keys());
  for (const channel of hub.channels.values()) if (channel.provider && channel.claimWebhook) routes.add(channel.provider);
  // The hub resolves a route to its channel, or to the provider's instances (a channel id first).
  const handlers = new Map([...routes].map((route) => [route, createNodeWebhookHandler(hub, route)]));
  return async (request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const route = path.startsWith(prefix) ? path.slice(prefix.length).split('/')[0] : undefined;
    const handler = route === undefined ? undefined : handlers.get(route);
    if (!handler) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    try {
      await handler(request, response);
    } catch {
      if (!response.headersSent) response.writeHead(500).end();
    }
  };
}

/** Options of {@link startWebhookServer}. */
export interface WebhookServerOptions {
  /** The hub; may be attached later (until then every request gets 503). */
  hub?: Omnidealer;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** @default '/hooks/' */
  prefix?: string;
}

/** A running {@link startWebhookServer}. */
export interface WebhookServer {
  /** `http://<host>:<port>`; webhooks go to `<url>/hooks/<channel id>` or `<url>/hooks/<provider>`. */
  readonly url: string;
  /** Routes to this hub from now on (providers and the sandbox need the URL before the channels exist). */
  attach(hub: Omnidealer): void;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Starts a `node:http` server that passes `/hooks/<channel id>` and `/hooks/<provider>` to the hub (see
 * {@link createNodeWebhookRouter}), for CRMs without a web framework, examples and tests.
 * @example
 * const server = await startWebhookServer({ hub, host: '0.0.0.0', port: 3000 });
 * // register `${publicUrl}/hooks/whatsapp` in Meta's app dashboard
 */
export async function startWebhookServer(options: WebhookServerOptions = {}): Promise<WebhookServer> {
  let route: NodeRequestHandler | undefined = options.hub ? createNodeWebhookRouter(options.hub, options) : undefined;
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    if (!route) {
      response.writeHead(503, { 'content-type': 'text/plain' }).end('not ready');
      return;
    }
    void route(request, response);
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
      route = createNodeWebhookRouter(hub, options);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
