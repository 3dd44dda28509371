import { randomBytes } from 'node:crypto';
import { createAvitoChannel } from '@omnidealer/channel-avito';
import { createWhatsAppChannel } from '@omnidealer/channel-whatsapp';
import type { BranchInput, Channel, Clock } from '@omnidealer/core';
import { type Sandbox, startSandbox } from '@omnidealer/sandbox';
import { branches, channelIdOf, whatsAppTemplates } from './inbox-config.js';

/** Every branch's provider accounts: one sandbox per branch, its channels, and the hub's `branches` option. */
export interface BranchAccounts {
  /** The sandbox of each branch, by branch id: its WhatsApp number (and Avito account) simulated offline. */
  sandboxes: Record<string, Sandbox>;
  /** The channels of every branch, for `createOmnidealer({ channels })`. */
  channels: Channel[];
  /** The branches with their channel ids, for `createOmnidealer({ branches })`. */
  hubBranches: BranchInput[];
  stop(): Promise<void>;
}

/**
 * Starts a sandbox per branch (each with its own WhatsApp number and Avito account, ids derived from the seed and the
 * branch) and creates the branch's channels over it. Every branch's WhatsApp number posts to one URL,
 * `<url>/hooks/whatsapp`, signed with one app secret, as the numbers of one Meta app do: the hub hands each delivery
 * to the number its `phone_number_id` names (`createNodeWebhookRouter`). Each Avito account has its own URL,
 * `<url>/hooks/<channel id>/<secret>`, carrying the secret its channel checks.
 */
export async function startBranchAccounts(options: {
  url: string;
  seed: number | string;
  clock: Clock;
  manual: boolean;
  avitoWebhookSecret: string;
}): Promise<BranchAccounts> {
  const { url, clock, avitoWebhookSecret } = options;
  const sandboxes: Record<string, Sandbox> = {};
  const channels: Channel[] = [];
  const hubBranches: BranchInput[] = [];
  // One Meta app for the group: its app secret signs every number's deliveries.
  const whatsAppAppSecret = randomBytes(16).toString('hex');
  try {
    for (const branch of branches) {
      const whatsappId = channelIdOf(branch.id, 'whatsapp');
      const avitoId = channelIdOf(branch.id, 'avito');
      const sandbox = await startSandbox({
        seed: `${options.seed}:${branch.id}`,
        clock,
        timers: options.manual ? 'manual' : 'real',
        webhookTargets: { whatsapp: `${url}/hooks/whatsapp`, avito: `${url}/hooks/${avitoId}/${avitoWebhookSecret}` },
        credentials: { whatsapp: { appSecret: whatsAppAppSecret } },
        // Every number is on WhatsApp and every message arrives: the example is about the inbox, not delivery failures.
        behaviour: { whatsapp: { notOnWhatsApp: 0, failed: 0, silent: 0 } },
      });
      sandboxes[branch.id] = sandbox;
      const { whatsapp: wa, avito: av } = sandbox.credentials;
      const ids: string[] = [];
      const whatsapp = createWhatsAppChannel({
        id: whatsappId,
        baseURL: sandbox.urls.whatsappMessages,
        accessToken: wa.accessToken,
        phoneNumberId: wa.phoneNumberId,
        appSecret: wa.appSecret,
        verifyToken: wa.verifyToken,
        templates: whatsAppTemplates,
        clock,
      });
      channels.push(whatsapp);
      ids.push(whatsapp.id);
      if (branch.accounts.avito) {
        const avito = createAvitoChannel({
          id: avitoId,
          baseURL: sandbox.urls.avito,
          clientId: av.clientId,
          clientSecret: av.clientSecret,
          userId: av.userId,
          webhookSecret: avitoWebhookSecret,
          clock,
        });
        channels.push(avito);
        ids.push(avito.id);
      }
      hubBranches.push({
        id: branch.id,
        name: branch.name,
        timeZone: branch.timeZone,
        workingHours: branch.workingHours,
        channels: ids,
      });
    }
  } catch (error) {
    await Promise.all(Object.values(sandboxes).map((sandbox) => sandbox.stop()));
    throw error;
  }
  return {
    sandboxes,
    channels,
    hubBranches,
    async stop() {
      await Promise.all(Object.values(sandboxes).map((sandbox) => sandbox.stop()));
    },
  };
}
