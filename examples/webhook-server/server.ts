/**
 * A minimal webhook server on `node:http`: WhatsApp (signed, with the GET verification handshake), Avito (secret in
 * the path) and SMS.ru delivery callbacks (`?token=`), each passed to the hub, which checks the signature or secret,
 * de-duplicates and emits events. Run: `pnpm --filter @omnidealer/example-webhook-server start`.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createNodeWebhookHandler, type Omnidealer } from '@omnidealer/core';
import { createWebhookHub, webhookEnv } from './src/create-hub.js';

/** Routes: `GET|POST /hooks/whatsapp`, `POST /hooks/avito/<secret>`, `POST /hooks/sms?token=<token>`. */
export function createWebhookListener(hub: Omnidealer): RequestListener {
  const whatsapp = createNodeWebhookHandler(hub, 'whatsapp');
  const avito = createNodeWebhookHandler(hub, 'avito');
  const sms = createNodeWebhookHandler(hub, 'sms');
  return (request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    // The handlers read the raw body themselves: signatures are checked over the exact bytes.
    if (pathname === '/hooks/whatsapp' && (method === 'GET' || method === 'POST')) void whatsapp(request, response);
    else if (pathname.startsWith('/hooks/avito/') && method === 'POST') void avito(request, response);
    else if (pathname === '/hooks/sms' && method === 'POST') void sms(request, response);
    else if (pathname === '/health') response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    else response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  };
}

/** A `node:http` server with {@link createWebhookListener}'s routes. */
export function createWebhookServer(hub: Omnidealer): Server {
  return createServer(createWebhookListener(hub));
}

/** Logs what the hub makes of the webhooks. */
export function logHubEvents(hub: Omnidealer, log: (line: string) => void = console.log): void {
  hub.on('message.received', ({ message, conversation }) =>
    log(
      `${conversation.channel}: inbound ${message.content.type} in ${conversation.id}${conversation.subject ? ` about ${JSON.stringify(conversation.subject)}` : ''}`,
    ),
  );
  hub.on('message.button', ({ conversation, payload }) => log(`${conversation.channel}: button ${payload}`));
  hub.on('message.status.unmatched', ({ channel, status }) =>
    log(`${channel}: status ${status} of a message this store does not know`),
  );
  hub.on('message.status', ({ message }) => log(`${message.channel}: ${message.id} is ${message.status}`));
  hub.on('webhook.rejected', ({ channel, status, reason }) => log(`${channel}: rejected ${status} (${reason})`));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const missing = webhookEnv.filter((name) => !process.env[name]);
  if (missing.length > 0)
    console.warn(`not set: ${missing.join(', ')} — those webhooks are answered 401 or accepted unchecked (Avito)`);
  const hub = createWebhookHub();
  logHubEvents(hub);
  const port = Number(process.env.PORT ?? 3000);
  createWebhookServer(hub).listen(port, () =>
    console.log(`webhooks on http://localhost:${port}/hooks/{whatsapp,avito/<secret>,sms}`),
  );
}
