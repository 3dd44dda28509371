import { readFileSync } from 'node:fs';
import {
  createManualClock,
  createMemoryStore,
  createOmnidealer,
  type Omnidealer,
  type UnreachableReason,
  UnreachableRecipientError,
} from '@omnidealer/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmailChannel, type EmailChannel, type EmailChannelSettings } from './email-channel.js';
import { type SmtpTestServer, type SmtpTestServerOptions, startSmtpTestServer } from './testing/smtp-test-server.js';

const secret = 'hook-secret-7f3a9c';
const contact = { id: 'c1', name: 'Иван Петров', email: 'ivan@example.ru' };
const content = { type: 'email' as const, subject: 'Запись на ТО', text: 'Ждём вас завтра в 10:00.' };

let server: SmtpTestServer | undefined;
let hub: Omnidealer | undefined;
let channel: EmailChannel | undefined;
afterEach(async () => {
  await hub?.shutdown();
  channel?.close();
  await server?.close();
  server = undefined;
});

async function setup(options: SmtpTestServerOptions = {}, settings: Partial<EmailChannelSettings> = {}) {
  server = await startSmtpTestServer(options);
  const clock = createManualClock(Date.parse('2026-03-02T09:30:00Z'));
  channel = createEmailChannel({
    transport: { host: '127.0.0.1', port: server.port, ignoreTLS: true },
    from: 'Автосалон Север <sales@dealer.ru>',
    clock,
    webhook: { secret },
    ...settings,
  });
  hub = createOmnidealer({
    channels: [channel],
    store: createMemoryStore(),
    clock,
    retry: { retries: 2, minTimeoutMs: 0, maxTimeoutMs: 0, jitter: false },
  });
  return { server, hub, clock };
}

/** The SES bounce fixture, re-addressed to the Message-ID the hub's send produced. */
function sesWebhook(fixture: string, messageId: string): Request {
  const envelope = JSON.parse(readFileSync(new URL(`./__fixtures__/${fixture}`, import.meta.url), 'utf8'));
  const notification = JSON.parse(envelope.Message);
  notification.mail.commonHeaders.messageId = `<${messageId}>`;
  envelope.Message = JSON.stringify(notification);
  return new Request(`https://hooks.dealer.ru/omnidealer/email?token=${secret}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
    body: JSON.stringify(envelope),
  });
}

describe('e-mail through the hub', () => {
  it('sends (sent, Message-ID as provider id), then a permanent SES bounce fails it and marks the address bounced', async () => {
    const { server, hub } = await setup();
    const sent = await hub.send({ channel: 'email', contact, content });

    expect(sent.status).toBe('sent');
    expect(sent.providerMessageId).toBe(`${sent.id}@dealer.ru`);
    expect(sent.cost).toEqual({ amountMinor: 0, currency: 'RUB' });
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]?.raw).toContain(`Message-ID: <${sent.id}@dealer.ru>\r\n`);

    const failed: string[] = [];
    hub.on('message.failed', ({ message }) => failed.push(message.id));
    const response = await hub.handleWebhook('email', sesWebhook('ses-bounce-permanent.sns.json', sent.providerMessageId ?? ''));
    expect(response.status).toBe(200);

    const stored = await hub.store.getMessage(sent.id);
    expect(stored).toMatchObject({ status: 'failed', error: { code: 'bounced', providerCode: '5.1.1', retryable: false } });
    expect(stored?.statusTimes?.failed).toBe(Date.parse('2026-03-02T09:30:04.512Z'));
    expect(failed).toEqual([sent.id]);
    expect(await hub.reachStats('c1', 'email')).toMatchObject({ failed: 1, delivered: 0, lastFailure: 'bounced' });
  });

  it('counts a delivery notification as delivered', async () => {
    const { hub } = await setup();
    const sent = await hub.send({ channel: 'email', contact, content });
    await hub.handleWebhook('email', sesWebhook('ses-delivery.sns.json', sent.providerMessageId ?? ''));
    expect((await hub.store.getMessage(sent.id))?.status).toBe('delivered');
    expect(await hub.reachStats('c1', 'email')).toMatchObject({ delivered: 1, failed: 0 });
  });

  it('answers a webhook with a wrong token 401 and changes nothing', async () => {
    const { hub } = await setup();
    const sent = await hub.send({ channel: 'email', contact, content });
    const forged = sesWebhook('ses-bounce-permanent.sns.json', sent.providerMessageId ?? '');
    const response = await hub.handleWebhook(
      'email',
      new Request(forged.url.replace(secret, 'guess'), { method: 'POST', headers: forged.headers, body: await forged.text() }),
    );
    expect(response.status).toBe(401);
    expect((await hub.store.getMessage(sent.id))?.status).toBe('sent');
  });

  it('retries a transient 451 and sends once the server accepts', async () => {
    let attempts = 0;
    const { server, hub } = await setup({
      onRcptTo: () => {
        attempts += 1;
        return attempts === 1 ? Object.assign(new Error('4.7.1 Greylisted, try again'), { responseCode: 451 }) : undefined;
      },
    });
    const sent = await hub.send({ channel: 'email', contact, content });
    expect(sent.status).toBe('sent');
    expect(attempts).toBe(2);
    expect(server.messages).toHaveLength(1);
  });

  it('fails at once on 550 without retrying and records the recipient as bounced', async () => {
    let attempts = 0;
    const { server, hub } = await setup({
      onRcptTo: () => {
        attempts += 1;
        return Object.assign(new Error('5.1.1 Mailbox unavailable'), { responseCode: 550 });
      },
    });
    const sent = await hub.send({ channel: 'email', contact, content });
    expect(sent).toMatchObject({
      status: 'failed',
      error: { code: 'unreachable_recipient', providerCode: 550, retryable: false },
    });
    expect(attempts).toBe(1);
    expect(server.messages).toHaveLength(0);
    expect(await hub.reachStats('c1', 'email')).toMatchObject({ failed: 1, lastFailure: 'bounced' });
  });

  it('refuses header injection before storing or connecting', async () => {
    const { server, hub } = await setup();
    await expect(
      hub.send({ channel: 'email', contact, content: { type: 'email', subject: 'Hi\r\nBcc: all@example.ru', text: 'x' } }),
    ).rejects.toMatchObject({ code: 'validation', field: 'content.subject' });
    expect(server.connections).toBe(0);
  });

  describe('with a suppression list', () => {
    it('a permanent bounce makes the address unreachable: the next send is refused before connecting', async () => {
      const suppressionList = new Map<string, UnreachableReason>();
      const { server, hub } = await setup({}, { suppressionList });
      const sent = await hub.send({ channel: 'email', contact, content });
      await hub.handleWebhook('email', sesWebhook('ses-bounce-permanent.sns.json', sent.providerMessageId ?? ''));
      expect([...suppressionList]).toEqual([['ivan@example.ru', 'bounced']]);

      expect(await hub.canReach('email', contact, content)).toMatchObject({ reachable: false, reason: 'bounced' });
      const error = await hub.send({ channel: 'email', contact, content }).catch((caught: unknown) => caught);
      expect(error).toSatisfy(UnreachableRecipientError.isInstance);
      expect(error).toMatchObject({ reason: 'bounced' });
      expect(server.connections).toBe(1);
    });

    it('a complaint marks the address opted out', async () => {
      const suppressionList = new Map<string, UnreachableReason>();
      const { hub } = await setup({}, { suppressionList });
      const sent = await hub.send({ channel: 'email', contact, content });
      await hub.handleWebhook('email', sesWebhook('ses-complaint.sns.json', sent.providerMessageId ?? ''));
      expect(await hub.canReach('email', contact, content)).toMatchObject({ reachable: false, reason: 'opted_out' });
    });

    it('a 550 at send time suppresses the address too', async () => {
      const suppressionList = new Map<string, UnreachableReason>();
      const { hub } = await setup(
        { onRcptTo: () => Object.assign(new Error('5.1.1 Mailbox unavailable'), { responseCode: 550 }) },
        { suppressionList },
      );
      await hub.send({ channel: 'email', contact: { ...contact, email: 'Ivan@Example.ru' }, content });
      expect(suppressionList.get('ivan@example.ru')).toBe('bounced');
    });
  });
});
