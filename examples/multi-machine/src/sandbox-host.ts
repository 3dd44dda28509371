// The providers (WhatsApp Cloud API and SMS.ru sandboxes) for the multi-machine test, in a process of their own
// (forked with IPC), as a provider's own machine: it stamps each accepted message with its own clock. Reports `ready`
// with the providers' URLs and credentials; on `report` sends every accepted message; on `stop` stops and exits.
// Manual timers: no status webhooks, so no WhatsApp message is ever delivered and every cascade falls back to SMS.
import { startSandbox } from '@omnidealer/sandbox';

/** What the sandbox host sends back to the test. */
export interface SandboxHostReport {
  ready?: {
    whatsapp: { baseURL: string; phoneNumberId: string; accessToken: string };
    smsRu: { baseURL: string; apiId: string };
  };
  /** `[provider, recipient digits, ms]` for every message accepted, stamped when its request was handled. */
  accepted?: Array<[string, string, number]>;
  /** Sent after every 50th accepted message: how many each provider accepted so far. */
  progress?: Record<string, number>;
}

if (!process.send) throw new Error('sandbox-host.ts must be forked with IPC');
const send = (message: SandboxHostReport) => new Promise<void>((resolve) => process.send?.(message, () => resolve()));

const sandbox = await startSandbox({ seed: 24, timers: 'manual', behaviour: { whatsapp: { notOnWhatsApp: 0 } } });
const accepted: Array<[string, string, number]> = [];
const counts: Record<string, number> = {};
sandbox.on('message.accepted', (event) => {
  accepted.push([event.provider, event.to, Date.now()]);
  counts[event.provider] = (counts[event.provider] ?? 0) + 1;
  if (accepted.length % 50 === 0) void send({ progress: { ...counts } });
});
process.on('message', async (command: 'report' | 'stop') => {
  if (command === 'report') await send({ accepted });
  else {
    await sandbox.stop();
    process.disconnect();
  }
});
const { whatsapp, smsRu } = sandbox.credentials;
await send({
  ready: {
    whatsapp: {
      baseURL: sandbox.urls.whatsappMessages,
      phoneNumberId: whatsapp.phoneNumberId,
      accessToken: whatsapp.accessToken,
    },
    smsRu: { baseURL: sandbox.urls.smsRu, apiId: smsRu.apiId },
  },
});
