import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OmnidealerError } from '../errors/omnidealer-error.js';
import { createTestServer } from '../testing/test-server.js';
import { createHttpClient, parseRetryAfter } from './http-client.js';

const base = 'https://api.provider.test';
const server = createTestServer();
const client = createHttpClient({
  channel: 'test',
  baseURL: base,
  headers: { authorization: 'Bearer secret-token-123456' },
  timeoutMs: 50,
});

describe('createHttpClient', () => {
  it('sends JSON with the auth header and validates the response leniently', async () => {
    server.use('POST https://api.provider.test/v1/messages', { json: { id: 'm1', extra: 'ignored by schema' } });
    const result = await client.request({
      method: 'POST',
      path: '/v1/messages',
      json: { text: 'hi' },
      schema: z.object({ id: z.string() }),
    });
    expect(result).toEqual({ id: 'm1' });
    expect(server.calls[0]?.json).toEqual({ text: 'hi' });
    expect(server.calls[0]?.headers.get('authorization')).toBe('Bearer secret-token-123456');
  });

  it('sends form bodies and query strings, dropping undefined values', async () => {
    server.use('POST https://api.provider.test/send', { json: { ok: true } });
    await client.request({
      method: 'POST',
      path: 'send',
      form: { to: '79161234567', from: undefined, json: 1 },
      searchParams: { a: 'b', c: undefined },
    });
    expect(server.calls[0]?.form).toEqual({ to: '79161234567', json: '1' });
    expect(server.calls[0]?.url.search).toBe('?a=b');
  });

  it('maps 429 to a retryable RateLimitError carrying Retry-After', async () => {
    server.use('GET https://api.provider.test/x', { status: 429, headers: { 'retry-after': '3' }, json: { error: 'slow down' } });
    await expect(client.request({ path: 'x' })).rejects.toMatchObject({
      name: 'RateLimitError',
      retryable: true,
      retryAfterMs: 3000,
      raw: { error: 'slow down' },
    });
  });

  it('maps 5xx to retryable and 4xx to final provider errors', async () => {
    server.use('GET https://api.provider.test/x', [
      { status: 503, text: '<html>busy</html>' },
      { status: 400, json: { error: 'bad' } },
    ]);
    await expect(client.request({ path: 'x' })).rejects.toMatchObject({
      statusCode: 503,
      retryable: true,
      raw: '<html>busy</html>',
    });
    await expect(client.request({ path: 'x' })).rejects.toMatchObject({ statusCode: 400, retryable: false });
  });

  it('turns timeouts, network errors and cut-off bodies into retryable typed errors', async () => {
    server.use('GET https://api.provider.test/slow', { delayMs: 500, json: {} });
    server.use('GET https://api.provider.test/down', { error: 'network' });
    server.use('GET https://api.provider.test/cut', { truncate: true });
    await expect(client.request({ path: 'slow' })).rejects.toMatchObject({ code: 'timeout', retryable: true });
    await expect(client.request({ path: 'down' })).rejects.toMatchObject({ code: 'network', retryable: true });
    const cut = await client.request({ path: 'cut' }).catch((error: unknown) => error);
    expect(OmnidealerError.isInstance(cut)).toBe(true);
    expect(cut).toMatchObject({ code: 'network', retryable: true });
    // A cut-off answer to a write means the provider acted: repeating it would deliver twice. (Through `fetch`: msw's
    // node:http interception reports a cut-off mocked body as a failed request; http-transport.test.ts cuts a real one.)
    server.use('POST https://api.provider.test/send', { truncate: true });
    const viaFetch = createHttpClient({ channel: 'test', baseURL: base, fetch: (input, init) => globalThis.fetch(input, init) });
    await expect(viaFetch.request({ method: 'POST', path: 'send', json: { to: '1' } })).rejects.toMatchObject({
      code: 'response_lost',
      retryable: false,
      statusCode: 200,
    });
  });

  it('refuses redirects with a final error when told to', async () => {
    server.use('POST https://api.provider.test/moved', { status: 307, headers: { location: `${base}/final` } });
    server.use('POST https://api.provider.test/final', { json: { id: 'm1' } });
    const strict = createHttpClient({ channel: 'test', baseURL: base, redirect: 'error' });
    await expect(strict.request({ method: 'POST', path: 'moved', json: { to: '1' } })).rejects.toMatchObject({
      name: 'ChannelApiError',
      retryable: false,
      message: expect.stringContaining('redirect'),
    });
    expect(server.callsTo('/final')).toHaveLength(0);
  });

  it('rejects malformed JSON and unexpected shapes with a non-retryable error', async () => {
    server.use('GET https://api.provider.test/bad', [
      { text: '{"id":', headers: { 'content-type': 'application/json' } },
      { json: { nope: 1 } },
    ]);
    await expect(client.request({ path: 'bad' })).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining('malformed JSON'),
    });
    await expect(client.request({ path: 'bad', schema: z.object({ id: z.string() }) })).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining('unexpected response shape: id'),
    });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 10:00:10 GMT', Date.parse('Wed, 25 Nov 2026 10:00:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
