import { readFileSync } from 'node:fs';
import { createManualClock, createMemoryStore, createOmnidealer, type Omnidealer } from '@omnidealer/core';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSesWebhook } from './email-bounce-webhook.js';
import { createEmailChannel, type EmailChannel } from './email-channel.js';
import { sesMessageIdOf } from './email-message-id.js';
import { type SmtpTestServer, startSmtpTestServer } from './testing/smtp-test-server.js';

const secret = 'hook-secret-7f3a9c';
// Amazon SES's bounce notification example, as published in the SES Developer Guide ("Examples of Amazon SES
// notifications", bounce with a DSN): https://docs.aws.amazon.com/ses/latest/dg/notification-examples.html
const awsExample = JSON.parse(
  readFileSync(new URL('./__fixtures__/ses-bounce-aws-example.raw.json', import.meta.url), 'utf8'),
) as { mail: Record<string, unknown> };
const sesId = awsExample.mail.messageId as string;

/** The AWS example as SES sends it when the identity does not include original headers in notifications. */
function withoutOriginalHeaders(): string {
  const { headers: _, commonHeaders: __, ...mail } = awsExample.mail;
  return JSON.stringify({ ...awsExample, mail: { ...mail, headersTruncated: false } });
}

const post = (body: string) =>
  new Request(`https://hooks.dealer.ru/omnidealer/email?token=${secret}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
    body,
  });

describe("Amazon SES's own message id", () => {
  it('is read from the SMTP reply `250 Ok <id>` (the SES docs example) and not from other servers’ replies', () => {
    // SES Developer Guide, "Testing your connection to the Amazon SES SMTP interface using the command line".
    expect(sesMessageIdOf('250 Ok 01010160d7de98d8-21e57d9a-JZho-416c-bbe1-8ebaAexample-000000')).toBe(
      '01010160d7de98d8-21e57d9a-JZho-416c-bbe1-8ebaAexample-000000',
    );
    expect(sesMessageIdOf(`250 Ok <${sesId}>\r\n`)).toBe(sesId);
    expect(sesMessageIdOf('250 2.0.0 Ok: queued as 4Xk2Lq0n3hz9')).toBeUndefined();
    expect(sesMessageIdOf('250 OK: queued as Q1')).toBeUndefined();
    expect(sesMessageIdOf(undefined)).toBeUndefined();
  });

  it('a notification without original headers (AWS example, headers off) carries SES’s id as the provider id', async () => {
    const result = await parseSesWebhook(
      {
        method: 'POST',
        url: new URL(`https://hooks.dealer.ru/email?token=${secret}`),
        headers: new Headers({ 'x-amz-sns-message-type': 'Notification' }),
        body: new TextEncoder().encode(withoutOriginalHeaders()),
      },
      { secret },
    );
    expect(result.events).toEqual([
      expect.objectContaining({
        providerMessageId: sesId,
        status: 'failed',
        error: expect.objectContaining({ code: 'bounced' }),
      }),
    ]);
  });

  it('a Message-ID that is SES’s own (`<ses id>@…amazonses.com`) also gives way to SES’s id; ours is kept', async () => {
    const parse = async (messageId: string) => {
      const notification = structuredClone(awsExample) as { mail: { commonHeaders: { messageId: string } } };
      notification.mail.commonHeaders.messageId = messageId;
      const result = await parseSesWebhook(
        {
          method: 'POST',
          url: new URL(`https://hooks.dealer.ru/email?token=${secret}`),
          headers: new Headers({ 'x-amz-sns-message-type': 'Notification' }),
          body: new TextEncoder().encode(JSON.stringify(notification)),
        },
        { secret },
      );
      return result.events[0]?.providerMessageId;
    };
    expect(await parse(`<${sesId}@email.amazonses.com>`)).toBe(sesId);
    expect(await parse('<msg_0f3a@example.com>')).toBe('msg_0f3a@example.com');
  });

  describe('through the hub', () => {
    let server: SmtpTestServer | undefined;
    let hub: Omnidealer | undefined;
    let channel: EmailChannel | undefined;
    afterEach(async () => {
      await hub?.shutdown();
      channel?.close();
      await server?.close();
    });

    it('a bounce that names only SES’s id (original headers off) fails the message sent through SES', async () => {
      // An SMTP server answering DATA the way SES does.
      server = await startSmtpTestServer({ acceptReply: () => `Ok ${sesId}` });
      const clock = createManualClock(Date.parse('2016-01-27T14:05:45Z'));
      channel = createEmailChannel({
        transport: { host: '127.0.0.1', port: server.port, ignoreTLS: true },
        from: 'John Doe <john@example.com>',
        clock,
        webhook: { secret },
      });
      const store = createMemoryStore();
      hub = createOmnidealer({ channels: [channel], store, clock, retry: { retries: 0 } });
      const sent = await hub.send({
        channel: 'email',
        contact: { id: 'c1', email: 'jane@example.com' },
        content: { type: 'email', subject: 'Hello', text: 'Hello' },
      });
      // Stored under our Message-ID, as before; SES's id is remembered beside it.
      expect(sent.providerMessageId).toMatch(/^msg_[0-9a-f]+@example\.com$/);
      const unmatched: string[] = [];
      hub.on('message.status.unmatched', ({ providerMessageId }) => unmatched.push(providerMessageId));

      expect((await hub.handleWebhook('email', post(withoutOriginalHeaders()))).status).toBe(200);
      expect(unmatched).toEqual([]);
      expect(await store.getMessage(sent.id)).toMatchObject({
        status: 'failed',
        error: { code: 'bounced', providerCode: '5.1.1', retryable: false },
        metadata: { sesMessageId: sesId },
      });
    });
  });
});
