/**
 * The same webhook endpoints on Express 5. The hub's handlers read the raw body, so they are mounted before any body
 * parser (`express.json()` would consume the bytes the WhatsApp signature is computed over).
 * Run: `pnpm --filter @omnidealer/example-webhook-server start:express`.
 */
import { pathToFileURL } from 'node:url';
import { createNodeWebhookHandler, type Omnidealer } from '@omnidealer/core';
import express, { type Express } from 'express';
import { logHubEvents } from './server.js';
import { createWebhookHub, webhookEnv } from './src/create-hub.js';

/** An Express app with `GET|POST /hooks/whatsapp`, `POST /hooks/avito/:secret` and `POST /hooks/sms`. */
export function createWebhookApp(hub: Omnidealer): Express {
  const app = express();
  app.get('/hooks/whatsapp', createNodeWebhookHandler(hub, 'whatsapp'));
  app.post('/hooks/whatsapp', createNodeWebhookHandler(hub, 'whatsapp'));
  app.post('/hooks/avito/:secret', createNodeWebhookHandler(hub, 'avito'));
  app.post('/hooks/sms', createNodeWebhookHandler(hub, 'sms'));
  app.get('/health', (_request, response) => {
    response.type('text/plain').send('ok');
  });
  // Your own JSON API can parse bodies — after the webhook routes.
  app.use(express.json());
  return app;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const missing = webhookEnv.filter((name) => !process.env[name]);
  if (missing.length > 0)
    console.warn(`not set: ${missing.join(', ')} — those webhooks are answered 401 or accepted unchecked (Avito)`);
  const hub = createWebhookHub();
  logHubEvents(hub);
  const port = Number(process.env.PORT ?? 3000);
  createWebhookApp(hub).listen(port, () => console.log(`webhooks (Express) on http://localhost:${port}/hooks/…`));
}
