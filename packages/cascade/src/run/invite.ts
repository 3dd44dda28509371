import type { Channel } from '@omnidealer/core';
import type { CascadeState, CascadeStepRecord } from '../cascade-state.js';
import type { PlannedStep } from '../planner.js';
import { type CascadeContext, inviteCountNamespace } from './context.js';

/**
 * Channel acquisition: the SMS step's text with an invite link to the free channel appended, when the contact is not
 * reachable there yet and the link costs no more than its expected savings (see `AcquisitionPolicy`).
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
  if (extraCostMinor > acquisition.takeRate * acquisition.horizon * step.costMinor) return;
  // Atomically counted, so two workers never invite one contact past the cap.
  let allowed = false;
  await store.updateRecord<number>(inviteCountNamespace, `${state.contact.id}:${invitedChannel.id}`, (count = 0) => {
    allowed = count < acquisition.maxInvitesPerContact;
    return allowed ? count + 1 : count;
  });
  if (!allowed) return;
  try {
    if (!(await store.getContact(state.contact.id))) await hub.upsertContact(state.contact);
    const invite = await hub.inviteLink(state.contact.id, invitedChannel.id);
    step.content = { ...text, text: `${text.text}\n${acquisition.prefix}${invite.url}` };
    step.costMinor += extraCostMinor;
    step.invite = { channelId: invitedChannel.id, payload: invite.payload, extraCostMinor };
  } catch (error) {
    ctx.logger.warn({ error: String(error) }, 'cascade: no invite link for this contact; sending without');
  }
}
