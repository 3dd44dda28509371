import type { Clock } from '@omnidealer/core';
import type { ResolvedFaultRule, ResolvedSandboxBehaviour } from './sandbox-behaviour.js';
import type { SandboxCredentials } from './sandbox-credentials.js';
import type { SandboxEmitter } from './sandbox-events.js';
import type { SandboxRequest, SandboxResponse } from './sandbox-http.js';
import type { Scheduler } from './sandbox-scheduler.js';
import type { SandboxStats } from './sandbox-stats.js';
import type { WebhookDispatcher } from './webhook-dispatcher.js';

/** Everything a simulated provider shares with the sandbox that runs it. */
export interface SandboxContext {
  seed: number | string;
  clock: Clock;
  scheduler: Scheduler;
  emitter: SandboxEmitter;
  stats: SandboxStats;
  dispatcher: WebhookDispatcher;
  behaviour: ResolvedSandboxBehaviour;
  credentials: SandboxCredentials;
  /** `http://127.0.0.1:<port>` of the running sandbox. */
  origin: string;
  /** `fetch` used for webhooks and handshakes. */
  fetch: typeof fetch;
  /** Webhook target URLs per provider (Avito adds its own subscriptions to these). */
  targets: {
    whatsapp: string[];
    avito: string[];
    smsRu: string[];
    smsc: string[];
    twilio: string[];
    max: string[];
    telegram: string[];
    vk: string[];
  };
}

/** The HTTP face of one simulated provider. */
export interface HttpProvider {
  handle(request: SandboxRequest): SandboxResponse | Promise<SandboxResponse>;
  /** The provider's own answer for an injected fault (`rate_limit`, `server_error`, `unavailable`, `expired_token`). */
  faultResponse(rule: ResolvedFaultRule): SandboxResponse;
}

/** Unix seconds of an epoch-ms time, as providers write timestamps. */
export function unixSeconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}
