import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from './http-client.js';

// A real server: these are socket-level behaviours of the node:http transport that a mocked response cannot show.
let server: Server;
let base = '';
const seen: Array<{ method: string; url: string; type: string | undefined; body: string }> = [];
beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', type: request.headers['content-type'], body });
      if (request.url === '/cut') {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        response.write('{"messages":[{"id":"wamid.');
        setTimeout(() => response.destroy(), 5);
      } else if (request.url === '/never') setTimeout(() => response.destroy(), 2000);
      else if (request.url === '/stall-body') {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        response.write('{"messages":[');
        setTimeout(() => response.destroy(), 2000);
      } else if (request.url === '/see-other') response.writeHead(303, { location: '/final' }).end();
      else if (request.url === '/busy') response.writeHead(429, { 'retry-after': '7' }).end('{"error":"slow down"}');
      else response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, url: request.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the node:http transport of createHttpClient', () => {
  it('sends JSON and form bodies with their content types over keep-alive connections', async () => {
    seen.length = 0;
    const client = createHttpClient({ channel: 'test', baseURL: base });
    let connections = 0;
    server.on('connection', () => connections++);
    await expect(client.request({ method: 'POST', path: 'json', json: { to: '79161234567' } })).resolves.toEqual({
      ok: true,
      url: '/json',
    });
    await client.request({ method: 'POST', path: 'form', form: { phone: '79161234567', text: 'Привет', skip: undefined } });
    expect(seen).toEqual([
      { method: 'POST', url: '/json', type: 'application/json', body: '{"to":"79161234567"}' },
      {
        method: 'POST',
        url: '/form',
        type: 'application/x-www-form-urlencoded;charset=UTF-8',
        body: 'phone=79161234567&text=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82',
      },
    ]);
    expect(connections).toBeLessThanOrEqual(1);
  });

  it('reports a 2xx body cut off mid-way on a write as response_lost (never retried), on a read as a retryable network error', async () => {
    const client = createHttpClient({ channel: 'test', baseURL: base });
    await expect(client.request({ method: 'POST', path: 'cut', json: {} })).rejects.toMatchObject({
      code: 'response_lost',
      retryable: false,
      statusCode: 200,
    });
    await expect(client.request({ path: 'cut' })).rejects.toMatchObject({ code: 'network', retryable: true });
  });

  it('follows a 303 as a GET, refuses redirects when told to, and reads Retry-After on a 429', async () => {
    const client = createHttpClient({ channel: 'test', baseURL: base });
    await expect(client.request({ method: 'POST', path: 'see-other', json: {} })).resolves.toEqual({ ok: true, url: '/final' });
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/final', body: '' });
    const strict = createHttpClient({ channel: 'test', baseURL: base, redirect: 'error' });
    await expect(strict.request({ method: 'POST', path: 'see-other', json: {} })).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining('redirect'),
    });
    await expect(client.request({ method: 'POST', path: 'busy', json: {} })).rejects.toMatchObject({
      name: 'RateLimitError',
      retryAfterMs: 7000,
    });
  });

  it('times out a request with no answer, and one whose body stalls after the headers, as retryable timeouts', async () => {
    const client = createHttpClient({ channel: 'test', baseURL: base, timeoutMs: 100 });
    await expect(client.request({ method: 'POST', path: 'never', json: {} })).rejects.toMatchObject({
      code: 'timeout',
      retryable: true,
    });
    await expect(client.request({ method: 'POST', path: 'stall-body', json: {} })).rejects.toMatchObject({
      code: 'timeout',
      retryable: true,
    });
    // The pool is still usable afterwards.
    await expect(client.request({ path: 'after' })).resolves.toEqual({ ok: true, url: '/after' });
  });

  it("aborts with the caller's signal, not as a timeout", async () => {
    const client = createHttpClient({ channel: 'test', baseURL: base, timeoutMs: 5000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(client.request({ path: 'never', signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
