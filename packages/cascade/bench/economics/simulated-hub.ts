// A lean stand-in for the hub, with the contract the cascade uses and core's reach counting.
import type { Channel, Clock, Contact, Message, MessageContent, Omnidealer, ReachStats, Store } from '@omnidealer/core';
import { DAY_MS } from './base-generator.js';
import { DEEP_LINK_BASE } from './channels.js';
import { modules } from './modules.js';

type MailingRecord = Awaited<ReturnType<Omnidealer['mailingHistory']>>[number];

/**
 * A lean stand-in for the hub with the contract the cascade relies on (store, clock, channels, events, send, reach
 * statistics and totals, frequency claims, invite links). It counts reach as core's `reach-stats.ts` does (sent when
 * accepted, delivered, read, failed, and the per-channel totals). The real hub wraps every send in a Bottleneck
 * limiter that costs milliseconds of wall time per message, which would make 12 campaigns take many minutes.
 */
export function createSimulatedHub(channels: Channel[], store: Store, clock: Clock) {
  const listeners = new Map<string, Set<(event: { message: Message }) => void>>();
  const byChannel = new Map(channels.map((channel) => [channel.id, channel]));
  const emit = (name: string, message: Message) => {
    for (const listener of listeners.get(name) ?? []) listener({ message });
  };
  let invites = 0;
  const count = (stats: ReachStats, outcome: 'sent' | 'delivered' | 'read' | 'failed', alsoDelivered: boolean) => {
    if (outcome === 'sent') stats.sent = (stats.sent ?? 0) + 1;
    else if (outcome === 'delivered') stats.delivered++;
    else if (outcome === 'read') {
      stats.read = (stats.read ?? 0) + 1;
      if (alsoDelivered) stats.delivered++;
    } else stats.failed++;
    stats.lastAt = clock.now();
  };
  const recordReach = async (
    contactId: string,
    channelId: string,
    outcome: 'sent' | 'delivered' | 'read' | 'failed',
    failure?: string,
    alsoDelivered = false,
  ) => {
    await store.updateRecord<ReachStats>('reach', `${contactId}:${channelId}`, (current) => {
      const stats = current ?? { delivered: 0, failed: 0 };
      count(stats, outcome, alsoDelivered);
      if (outcome === 'failed' && failure) {
        stats.lastFailure = failure;
        stats.lastFailureAt = clock.now();
      }
      return stats;
    });
    await store.updateRecord<ReachStats>('reach-total', channelId, (current) => {
      const totals = current ?? { delivered: 0, failed: 0 };
      count(totals, outcome, alsoDelivered);
      return totals;
    });
  };
  const hub = {
    store,
    clock,
    channels: byChannel,
    get invites() {
      return invites;
    },
    on(name: string, listener: (event: { message: Message }) => void) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener);
      return hub;
    },
    off(name: string, listener?: (event: { message: Message }) => void) {
      if (listener) listeners.get(name)?.delete(listener);
      else listeners.delete(name);
      return hub;
    },
    async reachStats(contactId: string, channelId: string): Promise<ReachStats> {
      return (await store.getRecord<ReachStats>('reach', `${contactId}:${channelId}`)) ?? { delivered: 0, failed: 0 };
    },
    async reachTotals(channelId: string): Promise<ReachStats> {
      return (await store.getRecord<ReachStats>('reach-total', channelId)) ?? { delivered: 0, failed: 0 };
    },
    async mailingHistory(contactId: string): Promise<MailingRecord[]> {
      return (await store.getRecord<MailingRecord[]>('cascade.history', contactId)) ?? [];
    },
    async claimFrequency(
      contactId: string,
      claim: { kind: string; campaign?: string; claimId: string; cap?: { max: number; windowMs: number } },
    ): Promise<string | undefined> {
      const now = clock.now();
      const cap = claim.cap ?? (claim.kind === 'marketing' ? { max: 1, windowMs: 30 * DAY_MS } : undefined);
      let refusal: string | undefined;
      await store.updateRecord<MailingRecord[]>('cascade.history', contactId, (history) => {
        refusal = undefined;
        const kept = history ?? [];
        if (kept.some((record) => record.claimId === claim.claimId)) return history;
        if (claim.campaign !== undefined && kept.some((record) => record.campaign === claim.campaign))
          refusal = `already received campaign ${claim.campaign}`;
        else if (cap && kept.filter((record) => record.kind === claim.kind && now - record.at < cap.windowMs).length >= cap.max)
          refusal = 'frequency cap';
        if (refusal) return history;
        return [
          ...kept,
          { at: now, kind: claim.kind, ...(claim.campaign ? { campaign: claim.campaign } : {}), claimId: claim.claimId },
        ];
      });
      return refusal;
    },
    async releaseFrequency(contactId: string, claimId: string): Promise<void> {
      await store.updateRecord<MailingRecord[]>('cascade.history', contactId, (history) => {
        const rest = history?.filter((record) => record.claimId !== claimId);
        return rest?.length ? rest : undefined;
      });
    },
    async upsertContact(contact: Contact) {
      await store.saveContact(contact);
      return contact;
    },
    async inviteLink(contactId: string, channelId: string) {
      invites++;
      const payload = `${contactId}-${channelId}-${invites}`;
      return { url: `${DEEP_LINK_BASE}?start=${payload}`, payload, expiresAt: clock.now() + 30 * DAY_MS };
    },
    async send(input: {
      channel: string;
      contact: Contact;
      content: MessageContent;
      idempotencyKey?: string;
      metadata?: Record<string, unknown>;
    }) {
      const channel = byChannel.get(input.channel) as Channel;
      const now = clock.now();
      const conversation = await store.findConversation(input.contact.id, channel.id);
      const reach = channel.canReach({ contact: input.contact, content: input.content, now, conversation });
      if (!reach.reachable)
        throw new modules.UnreachableRecipientError({ channel: channel.kind, reason: 'not_on_channel', message: reach.detail });
      const id = `msg_${channel.id}_${input.idempotencyKey ?? now}`;
      if (input.idempotencyKey) {
        const existing = await store.claimIdempotencyKey(input.idempotencyKey, id);
        if (existing) return (await store.getMessage(existing)) as Message;
      }
      const message: Message = {
        id,
        conversationId: `conv_${input.contact.id}_${channel.id}`,
        contactId: input.contact.id,
        direction: 'outbound',
        channel: channel.id,
        content: input.content,
        status: 'queued',
        cost: channel.estimateCost(input.content, input.contact, { now }).money,
        ...(input.metadata ? { metadata: input.metadata } : {}),
        createdAt: now,
        updatedAt: now,
        statusTimes: { queued: now },
      };
      await store.saveMessage(message);
      try {
        const result = await channel.doSend({ id, to: reach.address, contact: input.contact, content: input.content }, {});
        const sent: Message = {
          ...message,
          status: result.status,
          providerMessageId: result.providerMessageId,
          statusTimes: { ...message.statusTimes, sent: now },
        };
        await store.saveMessage(sent);
        await recordReach(input.contact.id, channel.id, 'sent');
        return sent;
      } catch (error) {
        const failed: Message = {
          ...message,
          status: 'failed',
          error: { code: 'unreachable_recipient', message: String(error) },
        };
        await store.saveMessage(failed);
        await recordReach(input.contact.id, channel.id, 'failed', (error as { reason?: string }).reason);
        emit('message.failed', failed);
        return failed;
      }
    },
    /** What `hub.handleWebhook` does with one status event. */
    async applyStatus(channelId: string, providerMessageId: string, status: 'delivered' | 'read' | 'failed') {
      const message = await store.findMessageByProviderId(channelId, providerMessageId);
      if (!message || !modules.canTransition(message.status, status)) return;
      const previous = message.status;
      const updated: Message = {
        ...message,
        status,
        updatedAt: clock.now(),
        statusTimes: { ...message.statusTimes, [status]: clock.now() },
      };
      await store.saveMessage(updated);
      if (status === 'delivered') await recordReach(message.contactId, channelId, 'delivered');
      else if (status === 'read') await recordReach(message.contactId, channelId, 'read', undefined, previous !== 'delivered');
      emit('message.status', updated);
      if (status === 'failed') {
        // An undelivered SMS says nothing permanent (the real hub records no reason either); e-mail bounces are.
        await recordReach(message.contactId, channelId, 'failed', channelId === 'email' ? 'bounced' : undefined);
        emit('message.failed', updated);
      }
    },
  };
  return hub;
}
