import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createManualClock } from './clock.js';
import { RateLimitError } from './errors/rate-limit-error.js';
import { createOmnidealer } from './hub.js';
import { createRedactingLogger, type Logger } from './logger.js';
import { createTestChannel } from './test-channel.js';

/** A real pino logger writing JSON lines into an array (pino accepts any `{ write }` as its destination). */
function capturedPino() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'debug', base: null, timestamp: false },
    { write: (line: string) => lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

const fastRetry = { minTimeoutMs: 1, maxTimeoutMs: 2, jitter: false, sleep: async () => {} };

describe('a pino logger', () => {
  it('plugs in as is: the fields arrive as JSON fields, the message as msg, both redacted', () => {
    const { logger, lines } = capturedPino();
    const redacting = createRedactingLogger(logger, () => ['app-secret-3d9f1c']);
    redacting.warn(
      { to: '+79161234567', accessToken: 'EAAGm0PX4ZCpsBA1b2', attempt: 2, nested: { email: 'ivan.petrov@example.ru' } },
      'signature with app-secret-3d9f1c failed for 8 916 123-45-67',
    );
    redacting.info('started');
    redacting.debug({ id: 'msg_1' }, 'debug line');
    redacting.error({ code: 'auth' }, 'error line');
    expect(lines).toEqual([
      {
        level: 40,
        to: '+7********67',
        accessToken: '[redacted]',
        attempt: 2,
        nested: { email: 'i***@example.ru' },
        msg: 'signature with [redacted] failed for 8********67',
      },
      { level: 30, msg: 'started' },
      { level: 20, id: 'msg_1', msg: 'debug line' },
      { level: 50, code: 'auth', msg: 'error line' },
    ]);
  });

  it("serialises an Error passed in pino's `err` field, redacted", () => {
    const { logger, lines } = capturedPino();
    createRedactingLogger(logger).error({ err: new Error('no route to +79161234567') }, 'send failed');
    expect(lines).toEqual([
      {
        level: 50,
        err: { type: 'Error', message: 'no route to +7********67', stack: expect.stringContaining('no route to +7********67') },
        msg: 'send failed',
      },
    ]);
  });

  it('passed as `logger` to createOmnidealer, receives the hub warnings and errors redacted', async () => {
    const { logger, lines } = capturedPino();
    const channel = createTestChannel({ id: 'sms' });
    // Type check: a pino logger is an omnidealer Logger without an adapter.
    const asLogger: Logger = logger;
    const hub = createOmnidealer({
      channels: [channel],
      clock: createManualClock(Date.parse('2026-03-01T09:00:00Z')),
      retry: fastRetry,
      logger: asLogger,
    });
    channel.failNext(new RateLimitError({ channel: 'sms', message: 'slow down', retryAfterMs: 10 }));
    const sent = await hub.send({
      channel: 'sms',
      contact: { id: 'c1', phone: '+79161234567' },
      content: { type: 'text', text: 'hi' },
    });
    expect(sent.status).toBe('sent');
    expect(lines).toContainEqual({ level: 40, code: 'rate_limited', msg: 'sms: attempt 1 failed, retrying' });

    // An error that is not omnidealer's (a bug in an adapter) is logged with String(error): redacted on the way.
    channel.failNext(new Error('socket closed while sending to +79161234567 with token=EAAGm0PX4ZCpsBA1b2') as never);
    await hub
      .send({ channel: 'sms', contact: { id: 'c1', phone: '+79161234567' }, content: { type: 'text', text: 'hi' } })
      .catch(() => undefined);
    expect(lines).toContainEqual({
      level: 50,
      error: 'Error: socket closed while sending to +7********67 with token=[redacted]',
      msg: 'sms: unexpected error while sending',
    });
    expect(JSON.stringify(lines)).not.toMatch(/9161234567|EAAGm0PX4ZCpsBA1b2/);
    await hub.shutdown();
  });
});
