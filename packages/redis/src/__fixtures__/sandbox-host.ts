// The provider for the multi-process limit test, in a process of its own (forked with IPC): a lean process whose
// clock stamps arrivals, as a provider's own machine would, instead of the test runner's large heap (whose garbage
// collections would hold requests and stamp them late, together). Reports `ready` with the WhatsApp coordinates;
// `measure` starts measuring its event-loop stalls; `report` sends what the sandbox accepted; `stop` stops it and exits.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startSandbox } from '@omnidealer/sandbox';

/** What the sandbox host sends back to the test. */
export interface SandboxHostReport {
  ready?: { baseUrl: string; phoneNumberId: string; accessToken: string };
  /** `[wa id, ms]` for every message the sandbox accepted, stamped when its request was handled. */
  arrivals?: Array<[string, number]>;
  /** `to` of every message the sandbox holds. */
  messagesTo?: string[];
  accepted?: number;
  /** Longest the sandbox's event loop was held up since `measure` (ms): requests waiting that long are stamped late. */
  longestStallMs?: number;
}

if (!process.send) throw new Error('sandbox-host.ts must be forked with IPC');
const send = (message: SandboxHostReport) => new Promise<void>((resolve) => process.send?.(message, () => resolve()));

// Manual timers: the sandbox only counts and answers; no status webhooks compete for the CPU.
const sandbox = await startSandbox({ seed: 9, timers: 'manual', behaviour: { whatsapp: { notOnWhatsApp: 0 } } });
const arrivals: Array<[string, number]> = [];
const eventLoopDelay = monitorEventLoopDelay({ resolution: 5 });
eventLoopDelay.enable();
sandbox.on('message.accepted', (event) => {
  if (event.provider === 'whatsapp') arrivals.push([event.to, Date.now()]);
});
process.on('message', async (command: 'measure' | 'report' | 'stop') => {
  if (command === 'measure') {
    eventLoopDelay.reset();
  } else if (command === 'report') {
    await send({
      arrivals,
      messagesTo: sandbox.whatsapp.messages().map((message) => message.to),
      accepted: sandbox.stats().whatsapp.accepted,
      longestStallMs: Math.round(eventLoopDelay.max / 1e6),
    });
  } else if (command === 'stop') {
    await sandbox.stop();
    process.disconnect();
  }
});
const { phoneNumberId, accessToken } = sandbox.credentials.whatsapp;
await send({ ready: { baseUrl: sandbox.urls.whatsappMessages, phoneNumberId, accessToken } });
