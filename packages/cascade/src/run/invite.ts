import type { Channel, Contact } from '@omnidealer/core';
import { type AcquisitionTotals, decideInvite } from '../acquisition.js';
import type { CascadeState, CascadeStepRecord } from '../cascade-state.js';
import type { PlannedStep } from '../planner.js';
import { acquisitionNamespace, type CascadeContext, type InviteRecord, inviteCountNamespace } from './context.js';

/** A stored invite record; records written before links were counted hold a bare count. */
function inviteRecordOf(stored: InviteRecord | number | undefined): InviteRecord {
  if (stored === undefined) return { invites: 0 };
  return typeof stored === 'number' ? { invites: stored } : stored;
}

/** An invite is settled (counted in the take rate, linked or not) once it is this old: a link follows within days. */
export const INVITE_SETTLE_MS = 7 * 86_400_000;

/**
 * Settles a contact's invites to the acquisition channel once they are a week old: the base's settled invites go up
 * by the contact's unsettled ones, and its links by one when the contact is now reachable on the channel (pressed
 * Start on the deep link, or linked since). Those counts are the learned take rate (see `learnedTakeRate`).
 */
export async function settleInvites(ctx: CascadeContext, contact: Contact): Promise<void> {
  const invitedChannel = ctx.acquisition?.channel;
  if (!invitedChannel) return;
  const now = ctx.clock.now();
  const key = `${contact.id}:${invitedChannel.id}`;
  const due = (record: InviteRecord) =>
    record.invites > (record.settled ?? 0) && now - (record.lastAt ?? 0) >= INVITE_SETTLE_MS && record.linkedAt === undefined;
  const stored = await ctx.store.getRecord<InviteRecord | number>(inviteCountNamespace, key);
  if (stored === undefined || !due(inviteRecordOf(stored))) return;
  const linked = invitedChannel.canReach({ contact, content: { type: 'text', text: '.' }, now }).reachable;
  let settled = 0;
  await ctx.store.updateRecord<InviteRecord | number>(inviteCountNamespace, key, (current) => {
    const record = inviteRecordOf(current);
    settled = due(record) ? record.invites - (record.settled ?? 0) : 0;
    if (settled === 0) return current;
    return { ...record, settled: record.invites, ...(linked ? { linkedAt: now } : {}) };
  });
  if (settled > 0)
    await ctx.store.updateRecord<AcquisitionTotals>(acquisitionNamespace, invitedChannel.id, (totals) => ({
      invites: totals?.invites ?? 0,
      settled: (totals?.settled ?? 0) + settled,
      links: (totals?.links ?? 0) + (linked ? 1 : 0),
    }));
}

/**
 * Channel acquisition: the SMS step's text with an invite link to the free channel appended, when the contact is not
 * reachable there yet and the link pays back (see `decideInvite` and `AcquisitionPolicy`).
 */
export async function withInvite(
  ctx: CascadeContext,
  state: CascadeState,
  step: CascadeStepRecord,
  candidate: PlannedStep,
): Promise<void> {
  const { hub, store } = ctx;
  const acquisition = ctx.acquisition?.policy;
  const invitedChannel = ctx.acquisition?.channel;
  if (!acquisition || !invitedChannel || candidate.channelKind !== 'sms' || step.content.type !== 'text') return;
  const now = ctx.clock.now();
  const text = step.content;
  const linked = invitedChannel.canReach({ contact: state.contact, content: text, now });
  if (linked.reachable || (linked.reason !== 'cannot_start_conversation' && linked.reason !== 'no_identity')) return;
  const channel = hub.channels.get(candidate.channelId) as Channel;
  const placeholder = { ...text, text: `${text.text}\n${acquisition.prefix}${invitedChannel.inviteLink?.('x'.repeat(22))}` };
  let extraCostMinor: number;
  try {
    extraCostMinor = channel.estimateCost(placeholder, state.contact, { now }).money.amountMinor - step.costMinor;
  } catch {
    return;
  }
  const key = `${state.contact.id}:${invitedChannel.id}`;
  const [stored, totals, history] = await Promise.all([
    store.getRecord<InviteRecord | number>(inviteCountNamespace, key),
    store.getRecord<AcquisitionTotals>(acquisitionNamespace, invitedChannel.id),
    hub.mailingHistory(state.contact.id),
  ]);
  const earlierMailings = history.filter((record) => (record.claimId ?? record.cascadeId) !== state.id).length;
  const facts = { extraCostMinor, priceMinor: step.costMinor, totals, earlierMailings };
  if (!decideInvite({ ...facts, ignoredInvites: inviteRecordOf(stored).invites }, acquisition).invite) return;
  // Counted atomically and decided again on the stored count, so two workers never invite one contact twice for one.
  let allowed = false;
  await store.updateRecord<InviteRecord | number>(inviteCountNamespace, key, (current) => {
    const record = inviteRecordOf(current);
    allowed = decideInvite({ ...facts, ignoredInvites: record.invites }, acquisition).invite;
    return allowed ? { ...record, invites: record.invites + 1, lastAt: now } : current;
  });
  if (!allowed) return;
  try {
    if (!(await store.getContact(state.contact.id))) await hub.upsertContact(state.contact);
    const invite = await hub.inviteLink(state.contact.id, invitedChannel.id);
    step.content = { ...text, text: `${text.text}\n${acquisition.prefix}${invite.url}` };
    step.costMinor += extraCostMinor;
    step.invite = { channelId: invitedChannel.id, payload: invite.payload, extraCostMinor };
    await store.updateRecord<AcquisitionTotals>(acquisitionNamespace, invitedChannel.id, (current) => ({
      invites: (current?.invites ?? 0) + 1,
      settled: current?.settled ?? 0,
      links: current?.links ?? 0,
    }));
  } catch (error) {
    ctx.logger.warn({ error: String(error) }, 'cascade: no invite link for this contact; sending without');
  }
}
