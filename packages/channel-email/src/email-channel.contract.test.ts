import { readFileSync } from 'node:fs';
import type { Message } from '@omnidealer/core';
import { testChannelContract } from '@omnidealer/core/test';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createEmailChannel, type EmailChannel } from './email-channel.js';
import { type SmtpTestServer, startSmtpTestServer } from './testing/smtp-test-server.js';

const webhookSecret = 'hook-secret-7f3a9c';
const smtpPassword = 'correct-horse-battery-staple';
/** What the SMTP server answers after DATA; `undefined` accepts the message. */
let rejectData: (Error & { responseCode?: number }) | undefined;
let dataCommands = 0;
let server: SmtpTestServer;
const channels: EmailChannel[] = [];

beforeAll(async () => {
  server = await startSmtpTestServer({
    auth: { user: 'sales@dealer.ru', pass: smtpPassword },
    onData: () => {
      dataCommands += 1;
      return rejectData;
    },
  });
});
afterEach(() => {
  for (const channel of channels.splice(0)) channel.close();
});
afterAll(() => server.close());

/** An SMTP reply as nodemailer reads it: the text and its `responseCode`. */
const reply = (text: string) => () => {
  rejectData = Object.assign(new Error(text), { responseCode: Number(text.slice(0, 3)) });
};

/** The SES delivery notification (SNS envelope) for the message the hub sent, as SNS posts it. */
function sesDelivery(sent: Message | undefined, token = webhookSecret): Request {
  const envelope = JSON.parse(readFileSync(new URL('./__fixtures__/ses-delivery.sns.json', import.meta.url), 'utf8'));
  if (sent) {
    const notification = JSON.parse(envelope.Message);
    notification.mail.commonHeaders.messageId = `<${sent.providerMessageId}>`;
    envelope.Message = JSON.stringify(notification);
  }
  return snsPost(JSON.stringify(envelope), token);
}

const snsPost = (body: string, token: string) =>
  new Request(`https://hooks.dealer.ru/omnidealer/email?token=${token}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
    body,
  });

testChannelContract('email (SMTP + SES notifications)', {
  createChannel: () => {
    const channel = createEmailChannel({
      transport: { host: '127.0.0.1', port: server.port, ignoreTLS: true, auth: { user: 'sales@dealer.ru', pass: smtpPassword } },
      from: 'Автосалон Север <sales@dealer.ru>',
      webhook: { secret: webhookSecret },
    });
    channels.push(channel);
    return channel;
  },
  sendable: {
    contact: { id: 'c1', name: 'Иван Петров', email: 'ivan@example.ru' },
    content: { type: 'email', subject: 'Запись на ТО', text: 'Ждём вас завтра в 10:00.' },
  },
  sendAttempts: () => dataCommands,
  // The provider id is the Message-ID the channel makes for each message.
  success: {
    script: () => {
      rejectData = undefined;
    },
  },
  errors: {
    retryable: [
      {
        name: '452 4.3.1 insufficient system storage',
        script: reply('452 4.3.1 Insufficient system storage'),
        providerCode: 452,
      },
      { name: '451 4.7.1 greylisted', script: reply('451 4.7.1 Greylisted, try again later'), providerCode: 451 },
    ],
    final: [
      { name: '554 5.7.1 spam detected', script: reply('554 5.7.1 Message rejected as spam'), providerCode: 554 },
      { name: '552 5.3.4 message too big', script: reply('552 5.3.4 Message size exceeds fixed limit'), providerCode: 552 },
    ],
  },
  webhook: {
    valid: (sent) => sesDelivery(sent),
    badSignature: () => sesDelivery(undefined, 'hook-secret-7f3a9d'),
    malformed: () => snsPost('{"Type":"Notification","Message":', webhookSecret),
  },
  secrets: [smtpPassword, webhookSecret],
});
