import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import {
  AuthError,
  ChannelApiError,
  type Contact,
  createManualClock,
  type MessageContent,
  OmnidealerError,
  UnreachableRecipientError,
  ValidationError,
} from '@omnidealer/core';
import type { OutboundMessage } from '@omnidealer/core/provider-utils';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEmailChannel, type EmailChannelSettings, type EmailTransporter } from './email-channel.js';
import { createSelfSignedCertificate, type SmtpTestServer, startSmtpTestServer } from './testing/smtp-test-server.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const lines76 = (text: string) => text.match(/.{1,76}/g) ?? [];
const start = Date.parse('2026-03-02T09:30:00Z');

const servers: SmtpTestServer[] = [];
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  vi.unstubAllEnvs();
});

async function smtp(options: Parameters<typeof startSmtpTestServer>[0] = {}) {
  const server = await startSmtpTestServer(options);
  servers.push(server);
  return server;
}

function channelFor(server: SmtpTestServer, settings: Partial<EmailChannelSettings> = {}) {
  const channel = createEmailChannel({
    transport: { host: '127.0.0.1', port: server.port, ignoreTLS: true },
    from: 'Автосалон Север <sales@dealer.ru>',
    clock: createManualClock(start),
    ...settings,
  });
  closers.push(() => channel.close());
  return channel;
}

const ivan: Contact = { id: 'c1', name: 'Иван Петров', email: 'ivan@example.ru' };

function outbound(content: MessageContent, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return { id: 'msg_1', to: 'ivan@example.ru', contact: ivan, content, ...extra };
}

async function sendError(promise: Promise<unknown>): Promise<OmnidealerError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(OmnidealerError.isInstance(error)).toBe(true);
  return error as OmnidealerError;
}

/** Splits a MIME body by its boundary into parts `{ headers, body }`. */
function mimeParts(body: string, boundary: string) {
  const sections = body.split(`--${boundary}`);
  return sections.slice(1, -1).map((section) => {
    const [head = '', ...rest] = section.replace(/^\r\n/, '').split('\r\n\r\n');
    return { headers: head, body: rest.join('\r\n\r\n').replace(/\r\n$/, '') };
  });
}

/** Decodes the Subject header's RFC 2047 B-encoded words (folded over several lines) back to text. */
function subjectOf(raw: string): string {
  const header = /^Subject: ([\s\S]*?)\r\n(?! )/m.exec(raw)?.[1] ?? '';
  const words = [...header.matchAll(/=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=/g)].map((match) => match[1] ?? '');
  expect(words.length).toBeGreaterThan(0);
  return Buffer.concat(words.map((word) => Buffer.from(word, 'base64'))).toString('utf8');
}

function boundaryOf(headers: string): string {
  const boundary = /boundary="([^"]+)"/.exec(headers)?.[1];
  expect(boundary).toBeDefined();
  return boundary as string;
}

describe('createEmailChannel over a real SMTP server', () => {
  it('sends a Cyrillic e-mail and the server receives exactly these bytes', async () => {
    const server = await smtp();
    const channel = channelFor(server);
    const text = 'Здравствуйте!\nЖдём вас завтра в 10:00.';
    const result = await channel.doSend(outbound({ type: 'email', subject: 'Запись на ТО', text }), {});

    expect(result).toEqual({ providerMessageId: 'msg_1@dealer.ru', status: 'sent' });
    expect(server.messages).toHaveLength(1);
    const [mail] = server.messages;
    expect(mail?.from).toBe('sales@dealer.ru');
    expect(mail?.to).toEqual(['ivan@example.ru']);
    expect(mail?.raw).toBe(
      [
        `From: =?UTF-8?B?${b64('Автосалон Север')}?=`,
        ' <sales@dealer.ru>',
        `To: =?UTF-8?B?${b64('Иван Петров')}?= <ivan@example.ru>`,
        `Subject: =?UTF-8?B?${b64('Запись на ТО')}?=`,
        'Message-ID: <msg_1@dealer.ru>',
        'Date: Mon, 02 Mar 2026 09:30:00 +0000',
        'Content-Transfer-Encoding: base64',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        ...lines76(b64(text)),
        '',
      ].join('\r\n'),
    );
  });

  it('signs with DKIM when configured: a verifier that knows the published key passes it, a changed body fails', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const record = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
    const resolver = async (name: string, type: string) => {
      if (name === 'omni2026._domainkey.dealer.ru' && type === 'TXT') return [[record]];
      throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
    };
    const server = await smtp();
    const channel = channelFor(server, {
      transport: {
        host: '127.0.0.1',
        port: server.port,
        ignoreTLS: true,
        dkim: {
          domainName: 'dealer.ru',
          keySelector: 'omni2026',
          privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        },
      },
    });
    await channel.doSend(outbound({ type: 'email', subject: 'Запись на ТО', text: 'Ждём вас завтра в 10:00.' }), {});
    const raw = server.messages[0]?.raw ?? '';
    expect(raw).toMatch(/^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=dealer\.ru;/);
    const verified = await dkimVerify(raw, { resolver });
    expect(verified.results.map((result) => result.status.result)).toEqual(['pass']);
    const tampered = await dkimVerify(raw.replace(/\r\n\r\n[\s\S]*$/, '\r\n\r\nZmFrZQ==\r\n'), { resolver });
    // mailauth reports a body-hash mismatch as `neutral` ("body hash did not verify"): anything but pass.
    expect(tampered.results.map((result) => result.status.result)).toEqual(['neutral']);
    expect(tampered.results[0]?.status.comment).toMatch(/body hash did not verify/);
  });

  it('folds a long Cyrillic subject into encoded words that decode back to the subject', async () => {
    const server = await smtp();
    const subject = 'Напоминание: плановое техническое обслуживание вашего автомобиля Lada Vesta в понедельник';
    await channelFor(server).doSend(outbound({ type: 'email', subject, text: 'Текст' }), {});
    const raw = server.messages[0]?.raw ?? '';
    expect(/^Subject: ([\s\S]*?)\r\n(?! )/m.exec(raw)?.[1]?.split('\r\n ').length).toBeGreaterThan(1);
    expect(subjectOf(raw)).toBe(subject);
    for (const line of raw.split('\r\n\r\n')[0]?.split('\r\n') ?? []) expect(line.length).toBeLessThanOrEqual(78);
  });

  it('sends text content with the default subject, ASCII in 7bit, and threads replies', async () => {
    const server = await smtp();
    const channel = channelFor(server, { from: 'sales@dealer.ru', defaultSubject: 'Dealer news', replyTo: 'service@dealer.ru' });
    await channel.doSend(
      outbound(
        { type: 'text', text: 'Your car is ready.' },
        { id: 'msg_2', contact: { id: 'c2', email: 'ivan@example.ru' }, replyTo: 'in-1@mail.example.ru' },
      ),
      {},
    );
    expect(server.messages[0]?.raw).toBe(
      [
        'From: sales@dealer.ru',
        'To: ivan@example.ru',
        'Reply-To: service@dealer.ru',
        'In-Reply-To: <in-1@mail.example.ru>',
        'References: <in-1@mail.example.ru>',
        'Subject: Dealer news',
        'Message-ID: <msg_2@dealer.ru>',
        'Date: Mon, 02 Mar 2026 09:30:00 +0000',
        'Content-Transfer-Encoding: 7bit',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Your car is ready.',
        '',
      ].join('\r\n'),
    );
  });

  it('builds multipart/mixed with text, HTML and a media attachment fetched from its URL', async () => {
    const pdf = Buffer.from('%PDF-1.4\n% omnidealer test\n%%EOF\n');
    const files: Server = createServer((request, response) => {
      if (request.url === '/docs/%D1%81%D1%87%D1%91%D1%82.pdf') {
        response.writeHead(200, { 'content-type': 'application/pdf' }).end(pdf);
      } else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    closers.push(() => files.close());
    const server = await smtp();
    const channel = channelFor(server, { allowPrivateMediaUrls: true }); // the file server is on loopback
    const url = `http://127.0.0.1:${(files.address() as AddressInfo).port}/docs/%D1%81%D1%87%D1%91%D1%82.pdf`;

    await channel.doSend(
      outbound({ type: 'media', kind: 'document', url, caption: 'Счёт во вложении', mimeType: 'application/pdf' }),
      {},
    );

    const raw = server.messages[0]?.raw ?? '';
    const [head = '', ...rest] = raw.split('\r\n\r\n');
    expect(head).toContain(`Subject: =?UTF-8?B?${b64('Автосалон Север')}?=`);
    expect(head).toMatch(/Content-Type: multipart\/mixed;(\r\n)? boundary="--_NmP-[0-9a-f]{16}-Part_1"/);
    const parts = mimeParts(rest.join('\r\n\r\n'), boundaryOf(head));
    expect(parts).toHaveLength(2);
    expect(parts[0]?.headers).toBe('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64');
    expect(Buffer.from(parts[0]?.body ?? '', 'base64').toString('utf8')).toBe('Счёт во вложении');
    expect(parts[1]?.headers).toContain('Content-Type: application/pdf; name=');
    expect(parts[1]?.headers).toContain('Content-Disposition: attachment;');
    expect(parts[1]?.headers).toContain('Content-Transfer-Encoding: base64');
    expect(parts[1]?.headers).toMatch(/filename\*0\*=utf-8''%D1%81%D1%87%D1%91%D1%82\.pdf|filename=.*=\?UTF-8\?/);
    expect(Buffer.from(parts[1]?.body ?? '', 'base64')).toEqual(pdf);
  });

  it('renders email HTML as multipart/alternative (text first) with the same boundary on a retry', async () => {
    const server = await smtp();
    const channel = channelFor(server);
    const content: MessageContent = { type: 'email', subject: 'Акция', text: 'Скидка 10%', html: '<p>Скидка <b>10%</b></p>' };
    await channel.doSend(outbound(content), {});
    await channel.doSend(outbound(content), {});
    const [first, second] = server.messages;
    expect(first?.raw).toBe(second?.raw);
    const [head = '', ...rest] = first?.raw.split('\r\n\r\n') ?? [];
    expect(head).toMatch(/Content-Type: multipart\/alternative;/);
    const parts = mimeParts(rest.join('\r\n\r\n'), boundaryOf(head));
    expect(parts.map((part) => /Content-Type: ([^;\r\n]+)/.exec(part.headers)?.[1])).toEqual(['text/plain', 'text/html']);
    expect(Buffer.from(parts[1]?.body ?? '', 'base64').toString('utf8')).toBe('<p>Скидка <b>10%</b></p>');
  });

  it('renders template content from the channel templates, HTML-escaping parameters', async () => {
    const server = await smtp();
    const channel = channelFor(server, {
      templates: {
        booking_reminder: {
          subject: 'Запись на ТО {date}',
          text: 'Здравствуйте, {name}! Ждём вас {date}.',
          html: '<p>Здравствуйте, {{name}}!</p>',
        },
      },
    });
    expect(channel.capabilities.contentTypes).toContain('template');
    await channel.doSend(
      outbound({ type: 'template', name: 'booking_reminder', language: 'ru', params: { name: 'Иван <VIP>', date: '3 марта' } }),
      {},
    );
    const raw = server.messages[0]?.raw ?? '';
    expect(subjectOf(raw)).toBe('Запись на ТО 3 марта');
    const [head = '', ...rest] = raw.split('\r\n\r\n');
    const parts = mimeParts(rest.join('\r\n\r\n'), boundaryOf(head));
    expect(Buffer.from(parts[0]?.body ?? '', 'base64').toString('utf8')).toBe('Здравствуйте, Иван <VIP>! Ждём вас 3 марта.');
    expect(Buffer.from(parts[1]?.body ?? '', 'base64').toString('utf8')).toBe('<p>Здравствуйте, Иван &lt;VIP&gt;!</p>');
  });

  it.each<[string, MessageContent, Partial<Contact>, string]>([
    ['subject CR/LF', { type: 'email', subject: 'Hi\r\nBcc: all@example.ru', text: 'x' }, {}, 'content.subject'],
    ['bare LF in subject', { type: 'email', subject: 'Hi\nBcc: all@example.ru', text: 'x' }, {}, 'content.subject'],
    ['contact name CR/LF', { type: 'text', text: 'x' }, { name: 'Ivan\r\nBcc: all@example.ru' }, 'contact.name'],
    [
      'template parameter that lands in the subject',
      { type: 'template', name: 'reminder', language: 'ru', params: { date: 'завтра\r\nBcc: all@example.ru' } },
      {},
      'content.subject',
    ],
    ['unknown template', { type: 'template', name: 'nope', language: 'ru' }, {}, 'content.name'],
    ['missing template parameter', { type: 'template', name: 'reminder', language: 'ru', params: {} }, {}, 'content.params.date'],
  ])('rejects %s with a ValidationError before connecting', async (_name, content, contact, field) => {
    const server = await smtp();
    const channel = channelFor(server, { templates: { reminder: { subject: 'ТО {date}', text: 'Ждём вас {date}' } } });
    const error = await sendError(channel.doSend(outbound(content, { contact: { ...ivan, ...contact } }), {}));
    expect(error).toSatisfy(ValidationError.isInstance);
    expect((error as ValidationError).field).toBe(field);
    expect(() => channel.validate?.(content, { ...ivan, ...contact })).toThrow(expect.toSatisfy(ValidationError.isInstance));
    expect(server.connections).toBe(0);
    expect(server.messages).toHaveLength(0);
  });

  it('rejects header injection in settings when the channel is created', () => {
    expect(() => createEmailChannel({ from: { name: 'Dealer\r\nBcc: x@y.ru', address: 'sales@dealer.ru' } })).toThrow(
      ValidationError,
    );
    expect(() => createEmailChannel({ from: 'sales@dealer.ru', defaultSubject: 'a\nb' })).toThrow(
      expect.toSatisfy(ValidationError.isInstance),
    );
    expect(() => createEmailChannel({ from: 'sales@dealer.ru', headers: { 'X-A': 'b\r\nBcc: x@y.ru' } })).toThrow(
      ValidationError,
    );
    expect(() => createEmailChannel({ from: 'not an address' })).toThrow(/settings\.from/);
  });

  it('uses the transport settings of AUTH PLAIN and LOGIN: the right password is accepted', async () => {
    const server = await smtp({ auth: { user: 'sales@dealer.ru', pass: 'correct-horse-battery' } });
    for (const authMethod of ['PLAIN', 'LOGIN']) {
      const channel = channelFor(server, {
        transport: {
          host: '127.0.0.1',
          port: server.port,
          ignoreTLS: true,
          authMethod,
          auth: { user: 'sales@dealer.ru', pass: 'correct-horse-battery' },
        },
      });
      await channel.doSend(outbound({ type: 'text', text: 'hi' }), {});
    }
    expect(server.authAttempts).toEqual([
      { method: 'PLAIN', user: 'sales@dealer.ru', ok: true },
      { method: 'LOGIN', user: 'sales@dealer.ru', ok: true },
    ]);
    expect(server.messages.map((mail) => mail.user)).toEqual(['sales@dealer.ru', 'sales@dealer.ru']);
  });

  it.each(['PLAIN', 'LOGIN'])('maps a wrong password with AUTH %s to AuthError without leaking it', async (authMethod) => {
    const server = await smtp({ auth: { user: 'sales@dealer.ru', pass: 'correct-horse-battery' } });
    const channel = channelFor(server, {
      transport: {
        host: '127.0.0.1',
        port: server.port,
        ignoreTLS: true,
        authMethod,
        auth: { user: 'sales@dealer.ru', pass: 'wrong-password-42' },
      },
    });
    const error = await sendError(channel.doSend(outbound({ type: 'text', text: 'hi' }), {}));
    expect(error).toSatisfy(AuthError.isInstance);
    expect(error).toMatchObject({ code: 'auth', retryable: false, providerCode: 535, channel: 'email' });
    expect(error.raw).toMatchObject({
      code: 'EAUTH',
      command: `AUTH ${authMethod}`,
      response: '535 Invalid username or password',
    });
    expect(JSON.stringify({ message: error.message, raw: error.raw })).not.toContain('wrong-password-42');
    expect(server.authAttempts).toEqual([{ method: authMethod, user: 'sales@dealer.ru', ok: false }]);
    expect(server.messages).toHaveLength(0);
  });

  it('maps a 451 at RCPT TO to a retryable ChannelApiError carrying the SMTP reply', async () => {
    const server = await smtp({
      onRcptTo: () => Object.assign(new Error('4.3.0 Mailbox temporarily unavailable'), { responseCode: 451 }),
    });
    const error = await sendError(channelFor(server).doSend(outbound({ type: 'text', text: 'hi' }), {}));
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error).toMatchObject({ code: 'provider_error', retryable: true, providerCode: 451 });
    expect(error.raw).toEqual({
      code: 'EENVELOPE',
      command: 'RCPT TO',
      responseCode: 451,
      response: '451 4.3.0 Mailbox temporarily unavailable',
      enhancedStatus: '4.3.0',
    });
  });

  it('maps a 451 after DATA to a retryable error and a throttling 450 to RateLimitError', async () => {
    let reply = 451;
    const server = await smtp({
      onData: () =>
        reply === 451
          ? Object.assign(new Error('Temporary local problem, try again'), { responseCode: 451 })
          : Object.assign(new Error('4.7.0 Too many messages, slow down'), { responseCode: 450 }),
    });
    const channel = channelFor(server);
    const first = await sendError(channel.doSend(outbound({ type: 'text', text: 'hi' }), {}));
    expect(first).toMatchObject({ code: 'provider_error', retryable: true, providerCode: 451 });
    expect(first.raw).toMatchObject({ command: 'DATA', code: 'EMESSAGE' });
    reply = 450;
    const second = await sendError(channel.doSend(outbound({ type: 'text', text: 'hi' }), {}));
    expect(second).toMatchObject({ code: 'rate_limited', retryable: true, providerCode: 450 });
  });

  it('maps 550 mailbox unavailable at RCPT TO to a permanent UnreachableRecipientError (bounced)', async () => {
    const server = await smtp({
      onRcptTo: (address) =>
        Object.assign(new Error(`5.1.1 <${address}>: Recipient address rejected: User unknown`), { responseCode: 550 }),
    });
    const error = await sendError(channelFor(server).doSend(outbound({ type: 'text', text: 'hi' }), {}));
    expect(error).toSatisfy(UnreachableRecipientError.isInstance);
    expect(error).toMatchObject({ reason: 'bounced', retryable: false, providerCode: 550, code: 'unreachable_recipient' });
    // The reply is kept, the address in it masked.
    expect(error.raw).toMatchObject({ response: '550 5.1.1 <i***@example.ru>: Recipient address rejected: User unknown' });
    expect(error.message).not.toContain('ivan@example.ru');
  });

  it('maps a 554 5.7.1 content rejection after DATA to a permanent ChannelApiError, not an unreachable recipient', async () => {
    const server = await smtp({
      onData: () => Object.assign(new Error('5.7.1 Message rejected as spam'), { responseCode: 554 }),
    });
    const error = await sendError(channelFor(server).doSend(outbound({ type: 'text', text: 'hi' }), {}));
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error).toMatchObject({ retryable: false, providerCode: 554 });
  });

  it('maps a connection dropped in the middle of DATA to a retryable network error', async () => {
    const server = await smtp({ dropDuringData: true });
    const error = await sendError(channelFor(server).doSend(outbound({ type: 'text', text: 'x'.repeat(200_000) }), {}));
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error).toMatchObject({ code: 'network', retryable: true });
    expect(server.messages).toHaveLength(0);
  });

  it('maps a refused connection to a retryable network error', async () => {
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const channel = createEmailChannel({ transport: { host: '127.0.0.1', port, ignoreTLS: true }, from: 'sales@dealer.ru' });
    const error = await sendError(channel.doSend(outbound({ type: 'text', text: 'hi' }), {}));
    expect(error).toMatchObject({ code: 'network', retryable: true });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('maps a server that never greets to a retryable timeout', async () => {
    const silent = createTcpServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    closers.push(() => silent.close());
    const channel = createEmailChannel({
      transport: { host: '127.0.0.1', port: (silent.address() as AddressInfo).port, ignoreTLS: true, greetingTimeout: 50 },
      from: 'sales@dealer.ru',
    });
    const error = await sendError(channel.doSend(outbound({ type: 'text', text: 'hi' }), {}));
    expect(error).toMatchObject({ code: 'timeout', retryable: true });
  });

  describe('TLS', () => {
    const certificate = createSelfSignedCertificate();

    it.skipIf(!certificate)('upgrades with STARTTLS to a server with a self-signed certificate the client trusts', async () => {
      const server = await smtp({ tls: certificate as { key: string; cert: string } });
      const channel = channelFor(server, {
        transport: {
          host: '127.0.0.1',
          port: server.port,
          requireTLS: true,
          tls: { ca: [certificate?.cert ?? ''], servername: 'localhost' },
        },
      });
      await channel.doSend(outbound({ type: 'text', text: 'secret offer' }), {});
      expect(server.messages[0]?.secure).toBe(true);
    });

    it.skipIf(!certificate)('uses implicit TLS when secure is true', async () => {
      const server = await smtp({ tls: certificate as { key: string; cert: string }, secure: true });
      const channel = channelFor(server, {
        transport: {
          host: '127.0.0.1',
          port: server.port,
          secure: true,
          tls: { ca: [certificate?.cert ?? ''], servername: 'localhost' },
        },
      });
      await channel.doSend(outbound({ type: 'text', text: 'hi' }), {});
      expect(server.messages[0]?.secure).toBe(true);
    });

    it.skipIf(!certificate)('refuses an untrusted certificate with a non-retryable error', async () => {
      const server = await smtp({ tls: certificate as { key: string; cert: string } });
      const channel = channelFor(server, {
        transport: { host: '127.0.0.1', port: server.port, requireTLS: true, tls: { servername: 'localhost' } },
      });
      const error = await sendError(channel.doSend(outbound({ type: 'text', text: 'hi' }), {}));
      expect(error).toMatchObject({ code: 'network', retryable: false });
      expect(error.message).toMatch(/self-signed certificate/);
      expect(server.messages).toHaveLength(0);
    });

    it('refuses to send in clear text when requireTLS is set and the server has no STARTTLS', async () => {
      const server = await smtp();
      const channel = channelFor(server, { transport: { host: '127.0.0.1', port: server.port, requireTLS: true } });
      const error = await sendError(channel.doSend(outbound({ type: 'text', text: 'hi' }), {}));
      expect(error).toMatchObject({ code: 'network', retryable: false });
      expect(error.raw).toMatchObject({ code: 'ETLS', command: 'STARTTLS' });
      expect(server.messages).toHaveLength(0);
    });
  });

  it('reuses one connection for several messages with pool: true', async () => {
    const server = await smtp();
    const channel = channelFor(server, {
      transport: { host: '127.0.0.1', port: server.port, ignoreTLS: true, pool: true, maxConnections: 1 },
    });
    for (const id of ['msg_a', 'msg_b', 'msg_c']) await channel.doSend(outbound({ type: 'text', text: id }, { id }), {});
    expect(server.messages).toHaveLength(3);
    expect(server.connections).toBe(1);
  });

  it('accepts a nodemailer transporter and an SMTP URL from OMNIDEALER_SMTP_URL', async () => {
    const server = await smtp();
    const transporter: EmailTransporter = nodemailer.createTransport({ host: '127.0.0.1', port: server.port, ignoreTLS: true });
    await createEmailChannel({ transport: transporter, from: 'sales@dealer.ru' }).doSend(
      outbound({ type: 'text', text: 'one' }),
      {},
    );
    vi.stubEnv('OMNIDEALER_SMTP_URL', `smtp://127.0.0.1:${server.port}/?ignoreTLS=true`);
    await createEmailChannel({ from: 'sales@dealer.ru' }).doSend(outbound({ type: 'text', text: 'two' }), {});
    expect(server.messages).toHaveLength(2);
  });

  it('fails at send time, not creation, when no transport is configured', async () => {
    vi.stubEnv('OMNIDEALER_SMTP_URL', '');
    const channel = createEmailChannel({ from: 'sales@dealer.ru' });
    const error = await sendError(channel.doSend(outbound({ type: 'text', text: 'hi' }), {}));
    expect(error).toMatchObject({
      code: 'validation',
      field: 'settings.transport',
      message: 'email: no SMTP transport (pass settings.transport or set OMNIDEALER_SMTP_URL)',
    });
  });

  it('holds the SMTP password, its AUTH encodings and the webhook secret as its own secrets', () => {
    const channel = createEmailChannel({
      transport: { host: 'smtp.dealer.ru', auth: { user: 'sales@dealer.ru', pass: 'smtp-password-42' } },
      from: 'sales@dealer.ru',
      webhook: { secret: 'ses-webhook-secret-42' },
    });
    expect(channel.secrets?.()).toEqual([
      'smtp-password-42',
      Buffer.from('smtp-password-42').toString('base64'),
      Buffer.from('\u0000sales@dealer.ru\u0000smtp-password-42').toString('base64'),
      'ses-webhook-secret-42',
    ]);
    expect(createEmailChannel({ from: 'sales@dealer.ru' }).secrets?.()).toEqual([]);
  });
});

describe('channel contract pieces', () => {
  const channel = createEmailChannel({ from: 'sales@dealer.ru', pricing: { perMessageMinor: 15 }, id: 'email-service' });

  it('describes itself as an e-mail channel that can start conversations', () => {
    expect(channel).toMatchObject({ id: 'email-service', kind: 'email', accountId: 'sales@dealer.ru' });
    expect(channel.capabilities).toMatchObject({ address: 'email', canStartConversation: true, templates: false });
    expect(channel.capabilities.contentTypes).toEqual(['text', 'email', 'media']);
  });

  it('prices one message by the configured minor units (0 by default)', () => {
    expect(channel.estimateCost({ type: 'text', text: 'hi' }, ivan).money).toEqual({ amountMinor: 15, currency: 'RUB' });
    const free = createEmailChannel({ from: 'sales@dealer.ru' });
    expect(free.estimateCost({ type: 'text', text: 'hi' }, ivan)).toMatchObject({ money: { amountMinor: 0 }, units: 1 });
  });

  it('reaches contacts by e-mail and explains why not', () => {
    const text: MessageContent = { type: 'text', text: 'hi' };
    expect(channel.canReach({ contact: ivan, content: text, now: start })).toEqual({
      reachable: true,
      address: 'ivan@example.ru',
    });
    expect(channel.canReach({ contact: { id: 'c' }, content: text, now: start })).toMatchObject({ reason: 'no_identity' });
    expect(channel.canReach({ contact: { ...ivan, consent: { email: 'opted_out' } }, content: text, now: start })).toMatchObject({
      reason: 'opted_out',
    });
    expect(
      channel.canReach({ contact: ivan, content: { type: 'template', name: 'x', language: 'ru' }, now: start }),
    ).toMatchObject({ reason: 'unsupported_content' });
  });
});

describe('settings validation', () => {
  it.each<[unknown, string]>([
    [{ host: 'smtp.dealer.ru', port: 70000 }, 'settings.transport.port'],
    [{ host: 'smtp.dealer.ru', secure: 'yes' }, 'settings.transport.secure'],
    [{ host: 'smtp.dealer.ru', auth: { user: 'u' } }, 'settings.transport.auth'],
    [{ port: 25 }, 'settings.transport.host'],
    ['', 'settings.transport'],
  ])('names the bad field of transport %o', (transport, field) => {
    expect(() => createEmailChannel({ from: 'sales@dealer.ru', transport: transport as never })).toThrow(
      expect.objectContaining({ code: 'validation', field }),
    );
  });

  it('names bad pricing and unknown settings', () => {
    expect(() => createEmailChannel({ from: 'sales@dealer.ru', pricing: { perMessageMinor: -1 } })).toThrow(
      expect.objectContaining({ field: 'settings.pricing.perMessageMinor' }),
    );
    expect(() => createEmailChannel({ from: 'sales@dealer.ru', smtpHost: 'x' } as never)).toThrow(
      expect.toSatisfy(ValidationError.isInstance),
    );
  });
});
