import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createManualClock, type Omnidealer } from '@omnidealer/core';
import { type Sandbox, startSandbox } from '@omnidealer/sandbox';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookApp } from './express-server.js';
import { createWebhookListener } from './server.js';
import { createWebhookHub } from './src/create-hub.js';

const avitoSecret = 'e3b0c44298fc1c149afbf4c8996fb924';
const smsToken = 'sms-callback-token-7f3a';

interface Running {
  hub: Omnidealer;
  sandbox: Sandbox;
  url: string;
  events: { received: string[]; rejected: number[]; statuses: string[] };
  close(): Promise<void>;
}

const listen = (server: Server) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

/** Starts the example server (node:http or Express) on port 0 and a sandbox whose webhooks point at it. */
async function start(variant: 'node' | 'express', avitoTarget?: (url: string) => string): Promise<Running> {
  const clock = createManualClock(Date.parse('2026-03-02T08:00:00Z'));
  // The sandbox's targets need our port and the hub needs the sandbox's credentials: listen first, route later.
  let listener: RequestListener | undefined;
  const httpServer = createServer((request, response) => {
    if (listener) listener(request, response);
    else response.writeHead(503).end();
  });
  const port = await listen(httpServer);
  const url = `http://127.0.0.1:${port}`;
  const sandbox = await startSandbox({
    seed: 11,
    clock,
    timers: 'manual',
    webhookTargets: {
      whatsapp: `${url}/hooks/whatsapp`,
      avito: avitoTarget ? avitoTarget(url) : `${url}/hooks/avito/${avitoSecret}`,
      smsRu: `${url}/hooks/sms?token=${smsToken}`,
    },
  });
  const credentials = sandbox.credentials;
  const hub = createWebhookHub({
    clock,
    whatsapp: {
      baseURL: sandbox.urls.whatsappMessages,
      phoneNumberId: credentials.whatsapp.phoneNumberId,
      accessToken: credentials.whatsapp.accessToken,
      appSecret: credentials.whatsapp.appSecret,
      verifyToken: credentials.whatsapp.verifyToken,
    },
    avito: {
      baseURL: sandbox.urls.avito,
      clientId: credentials.avito.clientId,
      clientSecret: credentials.avito.clientSecret,
      userId: credentials.avito.userId,
      webhookSecret: avitoSecret,
    },
    smsRu: { baseURL: sandbox.urls.smsRu, apiId: credentials.smsRu.apiId, webhookToken: smsToken },
  });
  listener = variant === 'node' ? createWebhookListener(hub) : createWebhookApp(hub);
  const events: Running['events'] = { received: [], rejected: [], statuses: [] };
  hub.on('message.received', ({ message, conversation }) =>
    events.received.push(
      `${conversation.channel}:${message.content.type === 'text' ? message.content.text : message.content.type}`,
    ),
  );
  hub.on('webhook.rejected', ({ status }) => events.rejected.push(status));
  hub.on('message.status', ({ message }) => events.statuses.push(`${message.channel}:${message.status}`));
  return {
    hub,
    sandbox,
    url,
    events,
    async close() {
      await hub.shutdown();
      await sandbox.stop();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe.each(['node', 'express'] as const)('webhook server (%s)', (variant) => {
  it('answers the WhatsApp GET verification handshake', async () => {
    running = await start(variant);
    const [verification] = await running.sandbox.whatsapp.verifyWebhook();
    expect(verification).toMatchObject({ status: 200, ok: true });
    const wrong = await fetch(`${running.url}/hooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=123`);
    expect(wrong.status).toBe(403);
  });

  it('accepts a signed WhatsApp webhook (200 and a hub event) and rejects a forged one with 401', async () => {
    running = await start(variant);
    const inbound = await running.sandbox.whatsapp.inbound({
      from: '+79161234567',
      text: 'Здравствуйте, Kia Rio ещё в наличии?',
    });
    expect(inbound.deliveries.map((delivery) => delivery.status)).toEqual([200]);
    expect(running.events.received).toEqual(['whatsapp:Здравствуйте, Kia Rio ещё в наличии?']);

    const body = JSON.stringify(inbound.payload).replace('Kia Rio', 'Kia Rio за 1 рубль');
    const forged = await fetch(`${running.url}/hooks/whatsapp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': inbound.deliveries[0]?.headers['x-hub-signature-256'] ?? '',
      },
      body,
    });
    expect(forged.status).toBe(401);
    const unsigned = await fetch(`${running.url}/hooks/whatsapp`, { method: 'POST', body });
    expect(unsigned.status).toBe(401);
    expect(running.events.rejected).toEqual([401, 401]);
    expect(running.events.received).toHaveLength(1);
  });

  it('accepts Avito webhooks on the secret path, with the listing on the conversation', async () => {
    running = await start(variant);
    const inbound = await running.sandbox.avito.inbound({ text: 'Добрый день! Торг уместен?', buyerName: 'Олег' });
    expect(inbound.deliveries.map((delivery) => delivery.status)).toEqual([200]);
    expect(running.events.received).toEqual(['avito:Добрый день! Торг уместен?']);
    const [conversation] = await running.hub.store.listConversations({});
    expect(conversation?.subject).toMatchObject({ title: expect.any(String) });
  });

  it('rejects an Avito webhook with a wrong secret', async () => {
    running = await start(variant, (url) => `${url}/hooks/avito/not-the-secret-0000000000000000`);
    const inbound = await running.sandbox.avito.inbound({ text: 'Ещё продаётся?' });
    expect(inbound.deliveries.map((delivery) => delivery.status)).toEqual([401]);
    expect(running.events.received).toEqual([]);
    expect(running.events.rejected).toEqual([401]);
  });

  it('turns SMS.ru delivery callbacks into statuses, and refuses callbacks without the token', async () => {
    running = await start(variant);
    const sent = await running.hub.send({
      channel: 'sms',
      contact: { id: 'c1', phone: '+79161234567' },
      content: { type: 'text', text: 'Ваш автомобиль готов к выдаче' },
    });
    expect(sent.status).toBe('sent');
    await running.sandbox.flush({ all: true });
    const callbacks = running.sandbox.webhooks().filter((delivery) => delivery.provider === 'smsRu');
    expect(callbacks.length).toBeGreaterThan(0);
    expect(callbacks.every((delivery) => delivery.status === 200)).toBe(true);
    expect(running.events.statuses.at(-1)).toMatch(/^sms:(delivered|failed)$/);

    const [first] = callbacks;
    const withoutToken = await fetch(`${running.url}/hooks/sms`, {
      method: 'POST',
      headers: first?.headers ?? {},
      body: first?.body ?? '',
    });
    expect(withoutToken.status).toBe(401);
  });
});
