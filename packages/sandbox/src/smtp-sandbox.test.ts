import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type StartSandboxOptions, startSandbox } from './sandbox.js';
import { decodeMimeWords } from './smtp-sandbox.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

/** A minimal SMTP client: sends each command after the previous reply and returns the replies. */
async function smtpSession(port: number, commands: string[]): Promise<string[]> {
  const socket: Socket = connect(port, '127.0.0.1');
  let buffer = '';
  const waiters: Array<(reply: string) => void> = [];
  const replies: string[] = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (;;) {
      const match = /(?:^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(buffer);
      if (!match) break;
      const end = match.index + match[0].length;
      const reply = buffer.slice(0, end).trim().split('\r\n').at(-1) as string;
      buffer = buffer.slice(end);
      waiters.shift()?.(reply);
    }
  });
  const next = () => new Promise<string>((resolve) => waiters.push(resolve));
  replies.push(await next());
  for (const command of commands) {
    socket.write(`${command}\r\n`);
    replies.push(await next());
  }
  socket.end();
  return replies;
}

async function setup(options: Partial<StartSandboxOptions> = {}) {
  const sandbox = await startSandbox({ seed: 9, ...options });
  stops.push(sandbox.stop);
  return sandbox;
}

const message = [
  'From: Автосалон <dealer@example.ru>',
  'To: ivan@example.ru',
  'Subject: =?UTF-8?B?0JLQtdGB0LXQvdC90Y/RjyDRgNCw0YHQv9GA0L7QtNCw0LbQsA==?=',
  'Message-ID: <m1@example.ru>',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Скидки до 31 марта.',
  '.',
].join('\r\n');

describe('SMTP sandbox', () => {
  it('accepts and records a mail', async () => {
    const sandbox = await setup();
    const replies = await smtpSession(sandbox.urls.smtp.port, [
      'EHLO crm.example.ru',
      'MAIL FROM:<dealer@example.ru>',
      'RCPT TO:<ivan@example.ru>',
      'DATA',
      message,
      'QUIT',
    ]);
    expect(replies.map((reply) => reply.slice(0, 3))).toEqual(['220', '250', '250', '250', '354', '250', '221']);
    expect(replies[5]).toMatch(/^250 OK: queued as [0-9A-F]{12}$/);
    const [mail] = sandbox.smtp.messages();
    expect(mail).toMatchObject({
      from: 'dealer@example.ru',
      to: ['ivan@example.ru'],
      subject: 'Весенняя распродажа',
      messageId: '<m1@example.ru>',
    });
    expect(mail?.raw).toContain('Скидки до 31 марта.');
    expect(sandbox.stats().smtp.received).toBe(1);
  });

  it('bounces configured addresses and domains with 550 at RCPT TO', async () => {
    const sandbox = await setup({ behaviour: { smtp: { bounce: ['gone@example.ru', '@dead.example'] } } });
    const bounced: string[] = [];
    sandbox.on('mail.bounced', (event) => bounced.push(event.to));
    const replies = await smtpSession(sandbox.urls.smtp.port, [
      'EHLO crm',
      'MAIL FROM:<dealer@example.ru>',
      'RCPT TO:<gone@example.ru>',
      'RCPT TO:<anyone@dead.example>',
      'RCPT TO:<ok@example.ru>',
      'QUIT',
    ]);
    expect(replies[3]).toMatch(/^550 5\.1\.1 <gone@example\.ru>: Recipient address rejected/);
    expect(replies[4]?.slice(0, 3)).toBe('550');
    expect(replies[5]?.slice(0, 3)).toBe('250');
    expect(bounced).toEqual(['gone@example.ru', 'anyone@dead.example']);
  });

  it('injects a 451 rate limit for the first mail, then accepts', async () => {
    const sandbox = await setup({ behaviour: { faults: [{ provider: 'smtp', kind: 'rate_limit', first: 1 }] } });
    const replies = await smtpSession(sandbox.urls.smtp.port, [
      'EHLO crm',
      'MAIL FROM:<a@example.ru>',
      'RSET',
      'MAIL FROM:<a@example.ru>',
      'QUIT',
    ]);
    expect(replies[2]).toMatch(/^451 4\.7\.1 /);
    expect(replies[4]?.slice(0, 3)).toBe('250');
  });

  it('requires AUTH when configured', async () => {
    const sandbox = await setup({ behaviour: { smtp: { requireAuth: true } } });
    const { user, pass } = sandbox.credentials.smtp;
    const good = Buffer.from(`\u0000${user}\u0000${pass}`).toString('base64');
    const bad = Buffer.from(`\u0000${user}\u0000wrong`).toString('base64');
    const replies = await smtpSession(sandbox.urls.smtp.port, [
      'EHLO crm',
      'MAIL FROM:<a@example.ru>',
      `AUTH PLAIN ${bad}`,
      `AUTH PLAIN ${good}`,
      'QUIT',
    ]);
    expect(replies.map((reply) => reply.slice(0, 3))).toEqual(['220', '250', '530', '535', '235', '221']);
  });

  it('decodes RFC 2047 Q and B words', () => {
    expect(decodeMimeWords('=?UTF-8?Q?=D0=A2=D0=9E_=D0=B7=D0=B0=D0=B2=D1=82=D1=80=D0=B0?=')).toBe('ТО завтра');
    expect(decodeMimeWords('Re: =?utf-8?b?0J/RgNC40LLQtdGC?= =?utf-8?b?INC80LjRgA==?=')).toBe('Re: Привет мир');
  });
});
