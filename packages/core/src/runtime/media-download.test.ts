import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChannelApiError } from '../errors/channel-api-error.js';
import { ValidationError } from '../errors/validation-error.js';
import { downloadMedia } from './media-download.js';

let server: Server;
let port = 0;
const requests: string[] = [];
/** Called when a request for `/silent` (never answered) or `/stall` (headers, then a body that never ends) arrives. */
let hanging: (() => void) | undefined;
beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (request.url === '/silent' || request.url === '/stall') {
      if (request.url === '/stall') response.writeHead(200, { 'content-type': 'image/jpeg' }).write(Buffer.alloc(10));
      hanging?.();
      return;
    }
    if (request.url === '/photo.jpg') response.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.alloc(2048, 7));
    else if (request.url === '/moved') response.writeHead(302, { location: '/photo.jpg' }).end();
    else if (request.url === '/loop') response.writeHead(302, { location: '/loop' }).end();
    else if (request.url === '/broken') response.writeHead(503).end();
    else response.writeHead(404).end();
  });
  port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  vi.useRealTimers();
});

/** DNS as an attacker would set it up: a public-looking name pointing at this machine. */
const rebinding: LookupFunction = (_hostname, options, callback) => {
  const address = { address: '127.0.0.1', family: 4 };
  if (options.all) (callback as unknown as (error: null, addresses: unknown[]) => void)(null, [address]);
  else callback(null, address.address, address.family);
};

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('downloaded'),
    (error: unknown) => error,
  );
}

describe('downloadMedia', () => {
  it('refuses a public-looking host that resolves to a private address, without sending the request', async () => {
    requests.length = 0;
    const error = await failure(
      downloadMedia(`http://cdn.dealer.example:${port}/photo.jpg`, { channel: 'avito', lookup: rebinding }),
    );
    expect(error).toSatisfy(ValidationError.isInstance);
    expect(error).toMatchObject({ channel: 'avito', retryable: false, message: expect.stringContaining('private address') });
    expect(requests).toEqual([]);
  });

  it('refuses private hosts by name and non-http schemes, and stops after three redirects', async () => {
    for (const url of [
      `http://127.0.0.1:${port}/photo.jpg`,
      'http://[::1]/x',
      'file:///etc/passwd',
      'ftp://cdn.dealer.example/x',
    ]) {
      expect(await failure(downloadMedia(url, { channel: 'email' })), url).toSatisfy(ValidationError.isInstance);
    }
    expect(await failure(downloadMedia(`http://127.0.0.1:${port}/loop`, { channel: 'email', allowPrivate: true }))).toMatchObject(
      {
        message: expect.stringContaining('redirects more than 3 times'),
      },
    );
  });

  it('with allowPrivate (a sandbox), downloads, follows a redirect, and keeps the content type', async () => {
    const media = await downloadMedia(`http://127.0.0.1:${port}/moved`, { channel: 'avito', allowPrivate: true });
    expect(media.data).toEqual(new Uint8Array(2048).fill(7));
    expect(media.contentType).toBe('image/jpeg');
    expect(media.url).toBe(`http://127.0.0.1:${port}/photo.jpg`);
  });

  it('refuses a file over maxBytes, and reports HTTP errors as provider errors (retryable on 5xx)', async () => {
    const base = { channel: 'avito', allowPrivate: true };
    expect(await failure(downloadMedia(`http://127.0.0.1:${port}/photo.jpg`, { ...base, maxBytes: 1000 }))).toMatchObject({
      message: expect.stringContaining('larger than 1000 bytes'),
    });
    const broken = await failure(downloadMedia(`http://127.0.0.1:${port}/broken`, base));
    expect(broken).toSatisfy(ChannelApiError.isInstance);
    expect(broken).toMatchObject({ statusCode: 503, retryable: true });
    expect(await failure(downloadMedia(`http://127.0.0.1:${port}/missing`, base))).toMatchObject({
      statusCode: 404,
      retryable: false,
    });
  });

  it('gives up at the timeoutMs deadline, before the answer or while the body is read, as a retryable timeout', async () => {
    // The deadline is a timer, so fake timers move it: nothing here waits 15 seconds.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    for (const path of ['/silent', '/stall']) {
      const arrived = new Promise<void>((resolve) => {
        hanging = resolve;
      });
      const download = failure(downloadMedia(`http://127.0.0.1:${port}${path}`, { channel: 'avito', allowPrivate: true }));
      await arrived;
      await vi.advanceTimersByTimeAsync(14_999);
      vi.advanceTimersByTime(1);
      const error = await download;
      expect(error, path).toSatisfy(ChannelApiError.isInstance);
      expect(error, path).toMatchObject({ code: 'timeout', retryable: true });
    }
  });
});
