import { consentHistory, setConsent } from './hub/consent.js';
import { rewriteContact } from './hub/contacts.js';
import { branchOf, channelOf, createHubContext } from './hub/context.js';
import { assign, closeConversation, handOff, markRead } from './hub/conversations.js';
import { claimFrequency, mailingHistory, releaseFrequency } from './hub/frequency-cap.js';
import { handleWebhook } from './hub/handle-webhook.js';
import { getContact, resolveNewContact } from './hub/identity.js';
import { createInviteLink } from './hub/invite-links.js';
import { mergeContact } from './hub/merge-contact-input.js';
import { mergeContacts } from './hub/merge-contacts.js';
import { reachStats, reachTotals } from './hub/reach-stats.js';
import { resumeOutbox } from './hub/resume-outbox.js';
import { send } from './hub/send.js';
import { slaReport } from './hub/sla-records.js';
import type { Omnidealer, OmnidealerOptions } from './hub/types.js';
import { contactSchema } from './model/contact.js';
import { messageContentSchema } from './model/message-content.js';
import { parseInput } from './validation.js';

export type {
  AssignInput,
  ConsentChange,
  ConsentSource,
  FrequencyCap,
  FrequencyClaim,
  HandOffInput,
  InviteLink,
  MailingRecord,
  Omnidealer,
  OmnidealerOptions,
  OptOutOptions,
  ReachStats,
  ResumeOutboxOptions,
  SendInput,
} from './hub/types.js';

/**
 * Creates the hub: the one object a CRM talks to, whatever the channel. Each behaviour lives in its own file under
 * `hub/` (send, dispatch, apply-status, apply-inbound, handle-webhook, conversations, SLA records, resume-outbox), each
 * a function of the shared context built here; see docs/architecture.md.
 * @throws ValidationError for duplicate channel ids, a bad `slaRetentionMs` or a bad branch (unknown time zone,
 * `from` not before `to`, an unknown channel id or a channel in two branches)
 * @example
 * const hub = createOmnidealer({ channels: [createWhatsAppChannel({ … })] });
 * hub.on('message.received', ({ message }) => crm.addToTimeline(message));
 * await hub.send({ channel: 'whatsapp', contact: { id: 'c1', phone: '+79161234567' },
 *   content: { type: 'template', name: 'booking_reminder', language: 'ru', params: ['Иван'] } });
 */
export function createOmnidealer(options: OmnidealerOptions): Omnidealer {
  const context = createHubContext(options);
  const { store, clock, events, logger, channels, limiters } = context;
  const hub: Omnidealer = {
    store,
    clock,
    channels,
    branches: context.branches,
    branchOf: (channelId) => context.branchOfChannel.get(channelId),
    on(event, listener) {
      events.on(event, listener);
      return hub;
    },
    once(event, listener) {
      events.once(event, listener);
      return hub;
    },
    off(event, listener) {
      events.off(event, listener);
      return hub;
    },
    send: (input) => send(context, input),
    async canReach(channelId, contactInput, contentInput) {
      const channel = channelOf(context, channelId);
      const contact = parseInput(contactSchema, contactInput, 'contact');
      const content = parseInput(messageContentSchema, contentInput, 'content');
      const merged = mergeContact(await store.getContact(contact.id), contact);
      const conversation = await store.findConversation(merged.id, channel.id);
      return channel.canReach({ contact: merged, content, now: clock.now(), conversation });
    },
    async estimateCost(channelId, contactInput, contentInput) {
      const channel = channelOf(context, channelId);
      const contact = parseInput(contactSchema, contactInput, 'contact');
      const content = parseInput(messageContentSchema, contentInput, 'content');
      const conversation = await store.findConversation(contact.id, channel.id);
      return channel.estimateCost(content, contact, { conversation, now: clock.now() });
    },
    handleWebhook: (route, request) => handleWebhook(context, route, request),
    assign: (conversationId, input) => assign(context, conversationId, input),
    handOff: (conversationId, input) => handOff(context, conversationId, input),
    markRead: (conversationId, options) => markRead(context, conversationId, options),
    closeConversation: (conversationId) => closeConversation(context, conversationId),
    async upsertContact(input) {
      let contact = parseInput(contactSchema, input, 'contact');
      if (contact.branchId !== undefined) branchOf(context, contact.branchId, 'contact.branchId');
      if (!(await store.getContact(contact.id))) contact = { ...contact, id: await resolveNewContact(context, contact) };
      return (await rewriteContact(context, contact.id, (stored) => mergeContact(stored, contact))) ?? contact;
    },
    getContact: (id) => getContact(context, id),
    setConsent: (contactId, channel, state, consentOptions) => setConsent(context, contactId, channel, state, consentOptions),
    consentHistory: (contactId) => consentHistory(context, contactId),
    mergeContacts: (keepId, mergeId) => mergeContacts(context, keepId, mergeId),
    inviteLink: (contactId, channelId, inviteOptions) => createInviteLink(context, contactId, channelId, inviteOptions),
    claimFrequency: (contactId, claim) => claimFrequency(context, contactId, claim),
    releaseFrequency: (contactId, claimId) => releaseFrequency(context, contactId, claimId),
    mailingHistory: (contactId) => mailingHistory(context, contactId),
    reachStats: (contactId, channelId) => reachStats(context, contactId, channelId),
    reachTotals: (channelId) => reachTotals(context, channelId),
    slaReport: (reportOptions = {}) => slaReport(context, reportOptions),
    resumeOutbox: (resumeOptions = {}) => resumeOutbox(context, resumeOptions),
    async shutdown() {
      await context.sweeps.responseSweep;
      await Promise.all([...limiters.values()].map((limiter) => limiter.stop()));
      await Promise.all(
        [...channels.values()].map(async (channel) => {
          try {
            await channel.close?.();
          } catch (error) {
            logger.warn({ error: String(error) }, `${channel.id}: close failed`);
          }
        }),
      );
      limiters.clear();
      events.removeAllListeners();
    },
  };
  return hub;
}
