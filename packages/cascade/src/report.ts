import type { Message, Store } from '@omnidealer/core';
import type { CascadeState } from './cascade-state.js';

/** Per channel numbers of a report. */
export interface ChannelReport {
  channelId: string;
  /** Messages the provider accepted. */
  sent: number;
  /** Messages known delivered (read implies delivered). */
  delivered: number;
  read: number;
  /** Attempts that failed: refused before sending (window closed, unreachable), by the provider, or by a later status. */
  failed: number;
  /** What the accepted messages cost, in minor units (the provider's reported cost when it gave one, else the estimate). */
  spendMinor: number;
}

/** Channel acquisition in a report: invite links sent in SMS, how many linked, and when they pay back. */
export interface AcquisitionReport {
  /** SMS steps that carried an invite link. */
  invites: number;
  /** Invites redeemed: the contact pressed Start and is now linked on the invited channel. */
  links: number;
  /** What the links added to the SMS (extra segments), in minor units. */
  extraCostMinor: number;
  /**
   * Mailings until the links pay for themselves: extra cost ÷ (links × the average SMS baseline per cascade), since a
   * linked contact's next mailing goes out free; undefined while nobody linked.
   */
  paybackMailings: number | undefined;
}

/** Campaign or overall numbers: who was reached, what it cost, and what SMS alone would have cost. */
export interface CascadeReport {
  /** The campaign reported on, undefined for all cascades. */
  campaign: string | undefined;
  cascades: number;
  /** Cascades whose success condition was met, or where any message was delivered or read. */
  reached: number;
  notReached: number;
  /** Cascades still waiting for a status or deadline. */
  running: number;
  perChannel: Record<string, ChannelReport>;
  totalSpendMinor: number;
  /** What sending every message by SMS alone would have cost (exact per contact, from the SMS channel's `estimateCost`). */
  smsBaselineMinor: number;
  /** `smsBaselineMinor − totalSpendMinor`. */
  savingsMinor: number;
  /** Savings as a share of the SMS baseline (0…1), 0 when the baseline is 0. */
  savingsRatio: number;
  /**
   * What the first step of the fixed order (the policy's `preference`) would have cost: a lower bound of that order's
   * spend, since its fallbacks are unknown. `fixedOrderFirstStepMinor − totalSpendMinor` is a conservative saving.
   */
  fixedOrderFirstStepMinor: number;
  /** Spend divided by reached cascades, in minor units (0 when none was reached). */
  costPerReachedMinor: number;
  currency: string;
  /** Invites, links and payback of the policy's channel acquisition (zeros without one). */
  acquisition: AcquisitionReport;
}

/** Core's store namespace of invite tokens (`@omnidealer/core` `storeNamespaces.invite`): a used invite has `usedAt`. */
const inviteNamespace = 'invite';

const isDelivered = (message: Message) =>
  message.status === 'delivered' ||
  message.status === 'read' ||
  message.statusTimes?.delivered !== undefined ||
  message.statusTimes?.read !== undefined;

/**
 * Builds a {@link CascadeReport} from cascade states and the hub's stored messages (so late statuses count).
 * @param states the cascades to report on (see `cascade.report({ campaign })`).
 */
export async function buildReport(
  store: Store,
  states: readonly CascadeState[],
  campaign?: string,
  billedOn: (channelId: string) => 'accepted' | 'delivered' = () => 'accepted',
): Promise<CascadeReport> {
  const perChannel: Record<string, ChannelReport> = {};
  let reached = 0;
  let running = 0;
  let totalSpendMinor = 0;
  let smsBaselineMinor = 0;
  let fixedOrderFirstStepMinor = 0;
  let currency = 'RUB';
  const acquisition: AcquisitionReport = { invites: 0, links: 0, extraCostMinor: 0, paybackMailings: undefined };
  for (const state of states) {
    currency = state.currency;
    if (state.status === 'running') running++;
    smsBaselineMinor += state.baselineMinor ?? 0;
    fixedOrderFirstStepMinor += state.fixedOrderFirstStepMinor ?? 0;
    let reachedHere = state.status === 'succeeded';
    for (const step of state.steps) {
      if (step.status === 'deferred') continue;
      if (step.invite && step.messageId !== undefined && step.status !== 'failed') {
        acquisition.invites++;
        acquisition.extraCostMinor += step.invite.extraCostMinor;
        const invite = await store.getRecord<{ usedAt?: number }>(inviteNamespace, step.invite.payload);
        if (invite?.usedAt !== undefined) acquisition.links++;
      }
      const row = (perChannel[step.channelId] ??= {
        channelId: step.channelId,
        sent: 0,
        delivered: 0,
        read: 0,
        failed: 0,
        spendMinor: 0,
      });
      const message = step.messageId ? await store.getMessage(step.messageId) : undefined;
      // Accepted by the provider (it answered with an id) even if it failed later: counted as sent and as failed.
      const accepted =
        message !== undefined && (message.providerMessageId !== undefined || message.statusTimes?.sent !== undefined);
      if (!message || message.status === 'failed') row.failed++;
      if (!message || !accepted) continue;
      row.sent++;
      // Spend follows the provider's billing: SMS is charged once accepted, WhatsApp only once delivered.
      const billable = billedOn(step.channelId) === 'accepted' || isDelivered(message);
      const spend = billable ? (message.cost?.amountMinor ?? step.costMinor) : 0;
      row.spendMinor += spend;
      totalSpendMinor += spend;
      if (isDelivered(message)) {
        row.delivered++;
        reachedHere = true;
      }
      if (message.status === 'read' || message.statusTimes?.read !== undefined) row.read++;
    }
    if (reachedHere) reached++;
  }
  const savingsMinor = smsBaselineMinor - totalSpendMinor;
  if (acquisition.links > 0 && smsBaselineMinor > 0)
    acquisition.paybackMailings = acquisition.extraCostMinor / (acquisition.links * (smsBaselineMinor / states.length));
  return {
    campaign,
    cascades: states.length,
    reached,
    notReached: states.length - reached,
    running,
    perChannel,
    totalSpendMinor,
    smsBaselineMinor,
    savingsMinor,
    savingsRatio: smsBaselineMinor === 0 ? 0 : savingsMinor / smsBaselineMinor,
    fixedOrderFirstStepMinor,
    costPerReachedMinor: reached === 0 ? 0 : totalSpendMinor / reached,
    currency,
    acquisition,
  };
}
