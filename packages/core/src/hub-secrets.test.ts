import { describe, expect, it } from 'vitest';
import type { Channel } from './channel.js';
import { createOmnidealer } from './hub.js';
import type { Logger } from './logger.js';
import { createSecretRegistry } from './redact.js';
import { createHttpClient } from './runtime/http-client.js';
import { createTestChannel } from './test-channel.js';
import { createTestServer } from './testing/test-server.js';

const server = createTestServer();

function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (fields: Record<string, unknown>, message: string) => {
    lines.push(`${message} ${JSON.stringify(fields)}`);
  };
  return { lines, debug: record, info: record, warn: record, error: record };
}

/** A test channel holding one token, which it leaks into an untyped error on every send. */
function leakyChannel(token: string): Channel {
  const channel = createTestChannel({ id: 'sms' });
  return Object.assign(channel, {
    secrets: () => [token],
    doSend: async () => {
      throw new Error(`gateway refused token ${token}`);
    },
  });
}

describe('secrets per hub', () => {
  it("redacts each hub's own channel secrets from its logs", async () => {
    const tokenA = 'hub-a-token-7f3a9c41';
    const tokenB = 'hub-b-token-2d8e6b17';
    const loggerA = capturingLogger();
    const loggerB = capturingLogger();
    const hubA = createOmnidealer({ channels: [leakyChannel(tokenA)], logger: loggerA, retry: { retries: 0 } });
    const hubB = createOmnidealer({ channels: [leakyChannel(tokenB)], logger: loggerB, retry: { retries: 0 } });
    const send = { channel: 'sms', contact: { id: 'c1', phone: '+79161234567' }, content: { type: 'text', text: 'hi' } } as const;
    await hubA.send(send).catch(() => undefined);
    await hubB.send(send).catch(() => undefined);

    expect(loggerA.lines.join('\n')).toContain('gateway refused token [redacted]');
    expect(loggerA.lines.join('\n')).not.toContain(tokenA);
    expect(loggerB.lines.join('\n')).toContain('gateway refused token [redacted]');
    expect(loggerB.lines.join('\n')).not.toContain(tokenB);
  });

  it('keeps secrets out of the errors a channel HTTP client throws, message, stack and raw body alike', async () => {
    const secrets = createSecretRegistry();
    secrets.add('EAAGsecretAccessToken99');
    const client = createHttpClient({
      channel: 'whatsapp',
      baseURL: 'https://graph.provider.test',
      headers: { authorization: 'Bearer EAAGsecretAccessToken99' },
      secrets,
    });
    server.use('POST https://graph.provider.test/messages', {
      status: 401,
      json: { error: { message: 'Invalid OAuth access token EAAGsecretAccessToken99' } },
    });
    const error = await client.request({ method: 'POST', path: 'messages', json: {} }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ channel: 'whatsapp', code: 'provider_error' });
    const exposed = `${(error as Error).message}\n${(error as Error).stack}\n${JSON.stringify((error as { raw: unknown }).raw)}`;
    expect(exposed).not.toContain('EAAGsecretAccessToken99');
    expect(JSON.stringify((error as { raw: unknown }).raw)).toContain('[redacted]');
  });
});
