import { afterEach, describe, expect, it } from 'vitest';
import { createOmnidealer } from '../hub.js';
import { createTestChannel } from '../test-channel.js';
import { startWebhookServer, type WebhookServer } from './webhook-server.js';

let server: WebhookServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Posts a test channel's webhook to the running server under `path`. */
async function post(path: string, request: Request): Promise<Response> {
  return fetch(`${server?.url}${path}`, { method: 'POST', headers: request.headers, body: await request.text() });
}

describe('startWebhookServer / createNodeWebhookRouter', () => {
  it('answers 503 until a hub is attached, then routes /hooks/<channel id> (deeper paths and queries too) to it', async () => {
    const sms = createTestChannel({ id: 'sms' });
    const avito = createTestChannel({ id: 'avito', kind: 'avito' });
    const hub = createOmnidealer({ channels: [sms, avito] });
    const received: string[] = [];
    hub.on('message.received', ({ message }) => received.push(`${message.channel}:${JSON.stringify(message.content)}`));
    server = await startWebhookServer();
    expect((await post('/hooks/sms', sms.inboundWebhook('+79161234567', 'Здравствуйте'))).status).toBe(503);

    server.attach(hub);
    expect((await post('/hooks/sms?token=t', sms.inboundWebhook('+79161234567', 'Здравствуйте'))).status).toBe(200);
    expect((await post('/hooks/avito/secret-1', avito.inboundWebhook('chat-1', 'Ещё продаётся?'))).status).toBe(200);
    expect(received).toEqual(['sms:{"type":"text","text":"Здравствуйте"}', 'avito:{"type":"text","text":"Ещё продаётся?"}']);
  });

  it('answers 404 for other paths and unknown channels, and the channel its own errors (bad signature: 401)', async () => {
    const sms = createTestChannel({ id: 'sms' });
    server = await startWebhookServer({ hub: createOmnidealer({ channels: [sms] }) });
    expect((await post('/hooks/viber', sms.inboundWebhook('+79161234567', 'x'))).status).toBe(404);
    expect((await post('/sms', sms.inboundWebhook('+79161234567', 'x'))).status).toBe(404);
    expect((await post('/hooks/', sms.inboundWebhook('+79161234567', 'x'))).status).toBe(404);
    const forged = sms.inboundWebhook('+79161234567', 'x');
    forged.headers.set('x-test-secret', 'wrong');
    expect((await post('/hooks/sms', forged)).status).toBe(401);
  });
});
