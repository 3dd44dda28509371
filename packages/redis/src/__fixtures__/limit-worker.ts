// A CRM worker for the multi-process limit test: `limit-worker.ts <redisUrl> <config JSON>` (forked with IPC). It builds
// its own hub with a WhatsApp channel pointed at the sandbox and the shared Redis rate limiter, warms the send
// path up, reports `ready`, waits for `go`, sends one template to each of its recipients (all queued at once:
// the limiter paces them) and reports `done` with the hub's results and when each request left (its body was written).
import http from 'node:http';
import { createWhatsAppChannel } from '@omnidealer/channel-whatsapp';
import { createOmnidealer, OmnidealerError } from '@omnidealer/core';
import { Redis } from 'ioredis';
import { createRedisRateLimiter } from '../redis-rate-limiter.js';

interface WorkerConfig {
  baseUrl: string;
  phoneNumberId: string;
  accessToken: string;
  perSecond: number;
  /** Sent before `ready`, to warm the send path up; not part of the measurement. */
  warmUp: string[];
  recipients: string[];
}

/** What a worker sends back to the test. */
export interface LimitWorkerReport {
  ready?: true;
  done?: true;
  sent?: number;
  failed?: string[];
  /** `[wa id, ms]`: each request's recipient and the time its body was handed to the socket. */
  launches?: Array<[string, number]>;
}

const [redisUrl, json] = process.argv.slice(2);
if (!redisUrl || !json || !process.send) throw new Error('usage: limit-worker.ts <redisUrl> <config JSON> (forked with IPC)');
const config = JSON.parse(json) as WorkerConfig;
const report = (message: LimitWorkerReport) => new Promise<void>((resolve) => process.send?.(message, () => resolve()));

const launches: Array<[string, number]> = [];
// The channel sends over node:http (its default transport, looked up on the module at call time): record when each
// request's body is written, without putting a slower custom fetch on the path under test.
const originalRequest = http.request;
http.request = ((...args: Parameters<typeof http.request>) => {
  const outgoing = originalRequest(...args);
  const end = outgoing.end;
  outgoing.end = ((body?: unknown, ...rest: unknown[]) => {
    if (typeof body === 'string' && body.includes('"to"'))
      launches.push([String((JSON.parse(body) as { to?: unknown }).to).replace(/^\+/, ''), Date.now()]);
    return (end as (...values: unknown[]) => http.ClientRequest).call(outgoing, body, ...rest);
  }) as typeof outgoing.end;
  return outgoing;
}) as typeof http.request;
const redis = new Redis(redisUrl);
const whatsapp = createWhatsAppChannel({
  baseUrl: config.baseUrl,
  phoneNumberId: config.phoneNumberId,
  accessToken: config.accessToken,
  // Distinct recipients: only the per-number budget is under test.
  limits: { perSecond: config.perSecond, perRecipientIntervalMs: 0 },
  timeoutMs: 20_000,
});
const hub = createOmnidealer({ channels: [whatsapp], rateLimiter: createRedisRateLimiter({ redis }) });

// Warm the whole send path up (hub, shared limiter, HTTP agent, the sandbox's accept path) with a few real
// sends: compiling that code on the first measured send would hold it between its launch and its arrival.
for (const phone of config.warmUp) {
  await hub.send({
    channel: 'whatsapp',
    contact: { id: phone, phone },
    content: { type: 'template', name: 'service_reminder', language: 'ru', params: ['Иван'] },
  });
}
launches.length = 0;

await new Promise<void>((resolve) => {
  process.once('message', () => resolve());
  void report({ ready: true });
});
const sent: string[] = [];
const failed: string[] = [];
await Promise.all(
  config.recipients.map(async (phone) => {
    try {
      const message = await hub.send({
        channel: 'whatsapp',
        contact: { id: phone, phone },
        content: { type: 'template', name: 'service_reminder', language: 'ru', params: ['Иван'] },
      });
      sent.push(message.id);
    } catch (error) {
      failed.push(OmnidealerError.isInstance(error) ? error.code : String(error));
    }
  }),
);
await report({ done: true, sent: sent.length, failed, launches });
await hub.shutdown();
redis.disconnect();
process.disconnect();
