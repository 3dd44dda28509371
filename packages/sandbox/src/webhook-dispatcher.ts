import type { Clock } from '@omnidealer/core';
import type { SandboxProvider } from './sandbox-behaviour.js';
import type { SandboxEmitter, WebhookDeliveryEvent } from './sandbox-events.js';
import type { Scheduler } from './sandbox-scheduler.js';
import type { SandboxStats } from './sandbox-stats.js';

/** One webhook payload to POST to every target of a provider. */
export interface WebhookPayload {
  provider: Exclude<SandboxProvider, 'smtp'>;
  targets: readonly string[];
  body: string;
  headers: Record<string, string>;
}

/** POSTs webhooks, retries non-2xx answers on the sandbox clock, and records every attempt. */
export interface WebhookDispatcher {
  /** Sends now; resolves with the first attempt to each target. Failed attempts are retried later. */
  dispatch(payload: WebhookPayload): Promise<WebhookDeliveryEvent[]>;
  readonly log: WebhookDeliveryEvent[];
}

/** Creates the dispatcher. At most `concurrency` POSTs are in flight at once. */
export function createWebhookDispatcher(options: {
  fetch: typeof fetch;
  clock: Clock;
  scheduler: Scheduler;
  emitter: SandboxEmitter;
  stats: SandboxStats;
  maxAttempts: number;
  retryDelayMs: number;
  concurrency?: number;
}): WebhookDispatcher {
  const log: WebhookDeliveryEvent[] = [];
  const limit = options.concurrency ?? 16;
  let active = 0;
  const waiting: Array<() => void> = [];
  const acquire = async () => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
  };
  const release = () => {
    active--;
    waiting.shift()?.();
  };

  const attempt = async (payload: WebhookPayload, url: string, number: number): Promise<WebhookDeliveryEvent> => {
    await acquire();
    let status = 0;
    let error: string | undefined;
    try {
      const response = await options.fetch(url, { method: 'POST', headers: payload.headers, body: payload.body });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    } finally {
      release();
    }
    const ok = status >= 200 && status < 300;
    const event: WebhookDeliveryEvent = {
      provider: payload.provider,
      url,
      attempt: number,
      status,
      body: payload.body,
      headers: payload.headers,
      at: options.clock.now(),
      ...(error === undefined ? {} : { error }),
    };
    log.push(event);
    options.stats[payload.provider].webhooks[ok ? 'delivered' : 'failed']++;
    options.emitter.emit(ok ? 'webhook.delivered' : 'webhook.failed', event);
    if (!ok && number < options.maxAttempts) {
      options.scheduler.schedule(options.clock.now() + options.retryDelayMs * number, async () => {
        await attempt(payload, url, number + 1);
      });
    }
    return event;
  };

  return {
    log,
    dispatch: (payload) => Promise.all(payload.targets.map((url) => attempt(payload, url, 1))),
  };
}
